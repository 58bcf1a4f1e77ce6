//! `inbound-message`: a text a contact sent to a short code.
//!
//! Mobiniti's `id` here is the contact's id, not the message's: the message has no id of its own.
//! Dedupe key: contact id, `received_at` and the text. Two identical texts from one contact in
//! the same millisecond count as one delivery (its `deliveries` counter shows both). Without
//! `received_at` the key is the whole content.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{ContactUpdate, Normalizer, PayloadError, fields, fields::Text, typed};
use crate::domain::category::Category;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub contact: ContactUpdate,
    pub body: String,
    /// The short code the text was sent to, as given.
    pub short_code: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub category: Category,
}

#[derive(Deserialize)]
struct Fields {
    message: String,
    #[serde(default)]
    short_code: Option<Text>,
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
}

pub fn parse(json: &Value, normalizer: &Normalizer) -> Result<InboundMessage, PayloadError> {
    let contact = ContactUpdate::parse(json, &normalizer.phones)?;
    let fields: Fields = typed(json)?;
    Ok(InboundMessage {
        contact,
        category: normalizer.keywords.classify(&fields.message),
        body: fields.message,
        short_code: fields.short_code.map(|code| code.0.trim().to_owned()),
        received_at: fields
            .received_at
            .map(|value| fields::time("received_at", value))
            .transpose()?,
    })
}

impl InboundMessage {
    pub fn natural_key(&self) -> Option<Vec<String>> {
        let received_at = self.received_at?;
        Some(vec![
            self.contact.id.clone(),
            received_at.to_rfc3339(),
            self.body.clone(),
        ])
    }
}
