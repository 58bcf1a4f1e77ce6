//! Reading a delivery's body: lenient JSON first, then the kind's typed payload, normalized.
//!
//! The JSON is read leniently because Mobiniti's own examples carry a trailing comma before `}`.
//! Each kind's module checks the fields it needs and their types; unknown fields are ignored
//! here and kept in the raw body. The same functions run at ingest and on `rebuild`, so a
//! projection rebuilt from the log equals the one built as events arrived.

mod bounce;
mod contact;
mod contact_status;
mod delivery_report;
mod fields;
mod inbound_message;
pub mod nul;
mod rejection;
mod unsubscribe;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use contact::ContactUpdate;
pub use delivery_report::{DeliveryReport, OutboundMessage, StatusGroup};
pub use inbound_message::InboundMessage;
pub use rejection::Rejection;

use crate::domain::category::Keywords;
use crate::domain::kind::WebhookKind;
use crate::domain::phone::PhoneNormalizer;

/// The account's rules for reading payloads: the same at ingest and on rebuild.
#[derive(Debug, Clone)]
pub struct Normalizer {
    pub phones: PhoneNormalizer,
    pub keywords: Keywords,
}

/// Why a body could not become an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    /// Not JSON at all: answered 400.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// JSON of the wrong shape for its kind: answered 422.
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// JSON of the wrong shape for its kind. The sender and the quarantine get the whole message,
/// which may quote the value: the sender sent it, and the quarantine is for admins. The log gets
/// `field` and `reason` only, as payloads hold phone numbers, names and texts.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct Invalid {
    /// Where: `phone_number`, `statuses[0].recipients[1]`; `.` for the payload as a whole.
    pub field: String,
    /// Why, in words that never quote the value.
    pub reason: &'static str,
    /// The field and why, for the sender: what to change.
    pub message: String,
}

impl Invalid {
    /// The payload as a whole: `message` names no field.
    const WHOLE: &str = ".";

    /// A field refused, with `detail` for the sender after the field's name.
    pub fn new(field: impl Into<String>, reason: &'static str, detail: impl fmt::Display) -> Self {
        let field = field.into();
        Self {
            message: format!("{field}: {detail}"),
            field,
            reason,
        }
    }
}

/// A delivery's content, typed and normalized (E.164 phones, UTC times).
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    InboundMessage(InboundMessage),
    Unsubscribe(ContactUpdate),
    Bounce(ContactUpdate),
    ContactStatus(ContactUpdate),
    DeliveryReport(DeliveryReport),
    Rejection(Rejection),
}

impl EventData {
    /// The contact the event is about, where the payload names one.
    pub fn contact(&self) -> Option<&ContactUpdate> {
        match self {
            Self::InboundMessage(message) => Some(&message.contact),
            Self::Unsubscribe(contact) | Self::Bounce(contact) | Self::ContactStatus(contact) => {
                Some(contact)
            }
            Self::DeliveryReport(_) | Self::Rejection(_) => None,
        }
    }

    /// The payload's own time: when an inbound message was received, when a contact changed.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::InboundMessage(message) => {
                message.received_at.or(Some(message.contact.updated_at))
            }
            _ => self.contact().map(|contact| contact.updated_at),
        }
    }

    /// The fields that identify this delivery beyond its content, if the kind has any.
    pub fn natural_key(&self) -> Option<Vec<String>> {
        match self {
            Self::InboundMessage(message) => message.natural_key(),
            Self::Unsubscribe(contact) => unsubscribe::natural_key(contact),
            Self::Bounce(contact) => bounce::natural_key(contact),
            Self::ContactStatus(contact) => contact_status::natural_key(contact),
            Self::DeliveryReport(_) | Self::Rejection(_) => None,
        }
    }
}

/// Reads a body as JSON, accepting trailing commas and comments.
pub fn read_json(raw: &[u8]) -> Result<Value, PayloadError> {
    serde_json_lenient::from_slice::<Value>(raw)
        .map_err(|err| PayloadError::NotJson(err.to_string()))
}

/// Checks a kind's payload and normalizes it.
pub fn parse(
    kind: WebhookKind,
    json: &Value,
    normalizer: &Normalizer,
) -> Result<EventData, PayloadError> {
    let phones = &normalizer.phones;
    if !json.is_object() {
        return Err(Invalid {
            field: Invalid::WHOLE.to_owned(),
            reason: "not a JSON object",
            message: format!(
                "a {kind} payload must be a JSON object, not {}",
                fields::describe(json)
            ),
        }
        .into());
    }
    Ok(match kind {
        WebhookKind::InboundMessage => {
            EventData::InboundMessage(inbound_message::parse(json, normalizer)?)
        }
        WebhookKind::Unsubscribe => EventData::Unsubscribe(unsubscribe::parse(json, phones)?),
        WebhookKind::Bounce => EventData::Bounce(bounce::parse(json, phones)?),
        WebhookKind::ContactStatus => {
            EventData::ContactStatus(contact_status::parse(json, phones)?)
        }
        WebhookKind::DeliveryReport => {
            EventData::DeliveryReport(delivery_report::parse(json, phones)?)
        }
        WebhookKind::Rejection => EventData::Rejection(rejection::parse(json)?),
    })
}

/// Deserializes `json` into `T`, naming the offending field in the error.
fn typed<T: DeserializeOwned>(json: &Value) -> Result<T, PayloadError> {
    serde_path_to_error::deserialize(json).map_err(|err| {
        let path = err.path().to_string();
        let detail = err.into_inner().to_string();
        let message = if path == Invalid::WHOLE {
            detail.clone()
        } else {
            format!("{path}: {detail}")
        };
        // serde reports a missing field at its parent, naming it in the message (one of the
        // payload structs' own field names, never the sender's text).
        let missing = detail
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        let (field, reason) = match missing {
            Some(name) if path == Invalid::WHOLE => (name.to_owned(), "missing"),
            Some(name) => (format!("{path}.{name}"), "missing"),
            None if detail.starts_with("invalid type") => (path, "of the wrong type"),
            None => (path, "not a valid value"),
        };
        Invalid {
            field,
            reason,
            message,
        }
        .into()
    })
}

/// Normalizes a contact's or a recipient's phone number, naming the field it came from in the
/// error.
fn phone(phones: &PhoneNormalizer, field: &str, raw: &str) -> Result<String, PayloadError> {
    phones
        .normalize(raw)
        .map_err(|err| Invalid::new(field, err.why.reason(), &err).into())
}

/// Normalizes a message's sender, which may be a short code.
fn sender(phones: &PhoneNormalizer, field: &str, raw: &str) -> Result<String, PayloadError> {
    phones
        .normalize_sender(raw)
        .map_err(|err| Invalid::new(field, err.why.reason(), &err).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Normalizer {
        Normalizer {
            phones: PhoneNormalizer::new(phonenumber::country::Id::US),
            keywords: Keywords::default(),
        }
    }

    #[test]
    fn trailing_commas_and_comments_are_read() {
        let json = read_json(b"{\"a\": 1, // note\n}").expect("lenient JSON");
        assert_eq!(json["a"], 1);
    }

    #[test]
    fn garbage_is_not_json() {
        assert!(matches!(
            read_json(b"id=1&x=2"),
            Err(PayloadError::NotJson(_))
        ));
        assert!(matches!(
            read_json(b"{\"a\": 1} trailing"),
            Err(PayloadError::NotJson(_))
        ));
    }

    /// What the README's "Bad input" table says is answered 400.
    #[test]
    fn what_no_store_could_hold_is_not_json() {
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        for body in [
            br#"{"a": "\ud800"}"#.as_slice(),
            b"{\"a\": 1e400}",
            deep.as_bytes(),
        ] {
            assert!(
                matches!(read_json(body), Err(PayloadError::NotJson(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn arrays_are_not_payloads() {
        let err =
            parse(WebhookKind::Bounce, &serde_json::json!([]), &us()).expect_err("must be refused");
        assert_eq!(
            err,
            PayloadError::Invalid(Invalid {
                field: ".".into(),
                reason: "not a JSON object",
                message: "a bounce payload must be a JSON object, not an array".into(),
            })
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let json = serde_json::json!({"id": "c1", "updated_at": "2016-07-01T15:11:09.553Z", "message": "hi"});
        let err = parse(WebhookKind::InboundMessage, &json, &us()).expect_err("must be refused");
        assert_eq!(
            err,
            PayloadError::Invalid(Invalid {
                field: "phone_number".into(),
                reason: "missing",
                message: "missing field `phone_number`".into(),
            })
        );
    }

    #[test]
    fn a_wrong_type_is_named_with_its_path() {
        let json = serde_json::json!({"statuses": [{"code": "100", "recipients": [true], "success": true}], "messages": []});
        let err = parse(WebhookKind::DeliveryReport, &json, &us()).expect_err("must be refused");
        let PayloadError::Invalid(invalid) = err else {
            panic!("{err:?}")
        };
        assert_eq!(invalid.field, "statuses[0].recipients[0]");
        assert_eq!(invalid.reason, "of the wrong type");
        assert!(
            invalid.message.starts_with("statuses[0].recipients[0]: "),
            "{invalid}"
        );
    }

    #[test]
    fn a_missing_nested_field_is_named_with_its_path() {
        let json =
            serde_json::json!({"statuses": [{"recipients": [], "success": true}], "messages": []});
        let err = parse(WebhookKind::DeliveryReport, &json, &us()).expect_err("must be refused");
        let PayloadError::Invalid(invalid) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (invalid.field.as_str(), invalid.reason),
            ("statuses[0].code", "missing")
        );
        assert_eq!(invalid.message, "statuses[0]: missing field `code`");
    }

    /// The field and the reason are what the log gets: neither may carry the value.
    #[test]
    fn the_field_and_reason_never_quote_the_value() {
        let long_id = format!("PII-id-{}", "x".repeat(300));
        let contact = |field: &str, value: &str| {
            let mut json = serde_json::json!({
                "id": "c1", "phone_number": "+19999999999", "status": "s", "bounces": 1,
                "updated_at": "2024-01-01T00:00:00Z",
            });
            json[field] = value.into();
            json
        };
        let report = serde_json::json!({
            "statuses": [{"code": 1, "recipients": ["PII-recipient 1"], "success": true}],
            "messages": [],
        });
        let status = WebhookKind::ContactStatus;
        let cases = [
            (
                status,
                contact("phone_number", "call PII-phone 12"),
                "PII-phone",
                "phone_number",
            ),
            (
                WebhookKind::Bounce,
                contact("bounces", "PII-count"),
                "PII-count",
                "bounces",
            ),
            (
                status,
                contact("updated_at", "PII-time"),
                "PII-time",
                "updated_at",
            ),
            (
                status,
                contact("updated_at", "0000-01-01T07:31:00Z"),
                "07:31",
                "updated_at",
            ),
            (status, contact("id", &long_id), "PII-id", "id"),
            (
                WebhookKind::DeliveryReport,
                report,
                "PII-recipient",
                "statuses[0].recipients[0]",
            ),
        ];
        for (kind, json, marker, field) in cases {
            let err = parse(kind, &json, &us()).expect_err("must be refused");
            let PayloadError::Invalid(invalid) = err else {
                panic!("{err:?}")
            };
            assert_eq!(invalid.field, field, "{invalid}");
            assert!(
                !invalid.reason.contains(marker),
                "{}: {invalid}",
                invalid.reason
            );
        }
    }
}
