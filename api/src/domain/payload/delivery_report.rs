//! `delivery-report`: the delivery status of outbound messages, in groups of recipients that
//! share a status code.
//!
//! A report names no report id, so its dedupe key is the whole content: the same report sent
//! again is a duplicate, and a later report for the same messages with another status is a new
//! event.

use serde::Deserialize;
use serde_json::Value;

use super::{Invalid, PayloadError, fields, fields::Text, phone, sender, typed};
use crate::domain::phone::PhoneNormalizer;

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReport {
    pub statuses: Vec<StatusGroup>,
    pub messages: Vec<OutboundMessage>,
}

/// Recipients that share one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusGroup {
    pub code: String,
    pub status: String,
    pub success: bool,
    pub bounce: bool,
    /// E.164.
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// Mobiniti's message id.
    pub id: String,
    /// E.164, or a short code as given.
    pub sender: Option<String>,
    pub body: String,
    /// E.164 of the recipient.
    pub phone: String,
    pub metadata: Option<Value>,
}

#[derive(Deserialize)]
struct Fields {
    statuses: Vec<StatusFields>,
    messages: Vec<MessageFields>,
}

#[derive(Deserialize)]
struct StatusFields {
    code: Text,
    #[serde(default)]
    status: Option<String>,
    recipients: Vec<Text>,
    success: bool,
    #[serde(default)]
    bounce: Option<bool>,
}

#[derive(Deserialize)]
struct MessageFields {
    id: Text,
    #[serde(default)]
    from: Option<Text>,
    message: String,
    phone_number: Text,
    #[serde(default)]
    metadata: Option<Value>,
}

pub fn parse(json: &Value, phones: &PhoneNormalizer) -> Result<DeliveryReport, PayloadError> {
    let fields: Fields = typed(json)?;
    let statuses = fields
        .statuses
        .into_iter()
        .enumerate()
        .map(|(group, status)| {
            let recipients = status
                .recipients
                .iter()
                .enumerate()
                .map(|(i, recipient)| {
                    phone(
                        phones,
                        &format!("statuses[{group}].recipients[{i}]"),
                        &recipient.0,
                    )
                })
                .collect::<Result<_, _>>()?;
            Ok(StatusGroup {
                code: fields::key(
                    &format!("statuses[{group}].code"),
                    status.code.0.trim().to_owned(),
                )?,
                status: status.status.unwrap_or_default(),
                success: status.success,
                bounce: status.bounce.unwrap_or(false),
                recipients,
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    let messages = fields
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, message)| {
            if message.id.0.trim().is_empty() {
                return Err(Invalid::new(
                    format!("messages[{i}].id"),
                    "empty",
                    "must not be empty",
                )
                .into());
            }
            let sender = message
                .from
                .map(|from| sender(phones, &format!("messages[{i}].from"), &from.0))
                .transpose()?;
            Ok(OutboundMessage {
                phone: phone(
                    phones,
                    &format!("messages[{i}].phone_number"),
                    &message.phone_number.0,
                )?,
                id: fields::key(&format!("messages[{i}].id"), message.id.0)?,
                sender,
                body: message.message,
                metadata: message.metadata,
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    Ok(DeliveryReport { statuses, messages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_match_messages_after_normalization() {
        let json = serde_json::json!({
            "statuses": [{"code": 100, "status": "ok", "count": 1, "recipients": ["19999999999"], "success": true, "bounce": false}],
            "messages": [{"id": "m1", "from": "+15555555555", "message": "hi", "phone_number": "9999999999", "metadata": []}]
        });
        let phones = PhoneNormalizer::new(phonenumber::country::Id::US);
        let report = parse(&json, &phones).expect("valid report");
        assert_eq!(report.statuses[0].code, "100");
        assert_eq!(report.statuses[0].recipients, ["+19999999999"]);
        assert_eq!(report.messages[0].phone, "+19999999999");
        assert_eq!(report.messages[0].sender.as_deref(), Some("+15555555555"));
    }
}
