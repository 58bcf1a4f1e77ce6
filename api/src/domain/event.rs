//! The event a delivery becomes, and the step from a raw body to it: lenient JSON, the kind's
//! payload read and normalized, U+0000 replaced, the dedupe key derived.
//!
//! The same step runs at ingest and on `replay-quarantine`, so a replayed delivery becomes the
//! event it would have become had it been readable when it arrived. A body that cannot become
//! an event is given back whole ([`Unreadable::raw`]), for the quarantine.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::dedupe;
use crate::domain::kind::WebhookKind;
use crate::domain::payload::{self, EventData, Normalizer, PayloadError};

/// A delivery that passed validation, ready to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub kind: WebhookKind,
    pub dedupe_key: String,
    pub received_at: DateTime<Utc>,
    /// The body as delivered, byte for byte (U+0000 included).
    pub raw_body: Vec<u8>,
    /// The body as JSON, with U+0000 replaced ([`payload::nul`]).
    pub payload: Value,
    pub data: EventData,
}

/// A body that cannot become an event: why, and the body itself, given back for the quarantine.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Unreadable {
    /// Not JSON ([`PayloadError::NotJson`]), or not a valid payload of its kind
    /// ([`PayloadError::Invalid`]).
    pub reason: PayloadError,
    /// The body as delivered.
    pub raw: Vec<u8>,
}

/// Reads a delivery's body into the event it becomes, as `id`; or says why it cannot, and gives
/// the body back.
pub fn from_body(
    kind: WebhookKind,
    id: Uuid,
    received_at: DateTime<Utc>,
    raw: Vec<u8>,
    normalizer: &Normalizer,
) -> Result<NewEvent, Unreadable> {
    let parsed = payload::read_json(&raw).and_then(|json| {
        let kept = payload::nul::replaced(&json);
        let data = payload::parse(kind, kept.as_ref().unwrap_or(&json), normalizer)?;
        // Keyed on the content as delivered, so a body with U+0000 is not a duplicate of one
        // that spelled U+FFFD.
        let dedupe_key = dedupe::key(kind, &json, data.natural_key().as_deref());
        Ok((kept.unwrap_or(json), data, dedupe_key))
    });
    match parsed {
        Ok((payload, data, dedupe_key)) => Ok(NewEvent {
            id,
            kind,
            dedupe_key,
            received_at,
            raw_body: raw,
            payload,
            data,
        }),
        Err(reason) => Err(Unreadable { reason, raw }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::Keywords;
    use crate::domain::phone::PhoneNormalizer;

    fn read(kind: WebhookKind, raw: &[u8]) -> Result<NewEvent, Unreadable> {
        let normalizer = Normalizer {
            phones: PhoneNormalizer::new(phonenumber::country::Id::US),
            keywords: Keywords::default(),
        };
        from_body(kind, Uuid::nil(), Utc::now(), raw.to_vec(), &normalizer)
    }

    #[test]
    fn an_unreadable_body_is_given_back_whole_with_why() {
        let not_json = read(WebhookKind::Rejection, b"id=1&x=2").expect_err("not JSON");
        assert!(matches!(not_json.reason, PayloadError::NotJson(_)));
        assert_eq!(not_json.raw, b"id=1&x=2");

        let invalid = read(WebhookKind::Bounce, b"[]").expect_err("not a payload");
        assert!(matches!(invalid.reason, PayloadError::Invalid(_)));
        assert_eq!(invalid.raw, b"[]");
    }

    #[test]
    fn nul_is_replaced_in_the_payload_and_kept_in_the_raw_body() {
        let raw = br#"{"code": "1", "message": "a\u0000b", "description": ""}"#;
        let event = read(WebhookKind::Rejection, raw).expect("a valid rejection");
        assert_eq!(event.raw_body, raw);
        assert_eq!(event.payload["message"], "a\u{FFFD}b");
        assert!(event.dedupe_key.starts_with("rejection:"));
    }
}
