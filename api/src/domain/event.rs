//! The event a delivery becomes, and the step from a raw body to it: lenient JSON, the kind's
//! payload read and normalized, U+0000 replaced, the dedupe key derived.
//!
//! The same step runs at ingest, on `replay-quarantine` and on `rebuild` ([`reread`]), so a
//! replayed delivery becomes the event it would have become had it been readable when it
//! arrived, and a rebuilt projection equals the one built as events arrived. A body that cannot
//! become an event is given back whole ([`Unreadable::raw`]), for the quarantine.

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
    /// The body as delivered, byte for byte (U+0000 included): what the store keeps.
    pub raw_body: Vec<u8>,
    /// What the body says, read with U+0000 replaced ([`payload::nul`]).
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
    match read(kind, &raw, normalizer) {
        Ok(read) => Ok(read.into_event(id, received_at, raw)),
        Err(reason) => Err(Unreadable { reason, raw }),
    }
}

/// A body read by this version: its kind, its JSON as delivered, and what it says (read with
/// U+0000 replaced).
#[derive(Debug)]
pub struct Read {
    pub kind: WebhookKind,
    /// The JSON as delivered: the dedupe key is derived from it.
    json: Value,
    pub data: EventData,
}

impl Read {
    /// The event the body becomes, as `id`; `raw` is the body `self` was read from.
    pub fn into_event(self, id: Uuid, received_at: DateTime<Utc>, raw: Vec<u8>) -> NewEvent {
        // Keyed on the content as delivered, so a body with U+0000 is not a duplicate of one
        // that spelled U+FFFD.
        let dedupe_key = dedupe::key(self.kind, &self.json, self.data.natural_key().as_deref());
        NewEvent {
            id,
            kind: self.kind,
            dedupe_key,
            received_at,
            raw_body: raw,
            data: self.data,
        }
    }
}

/// Why a body kept in the store does not read with this version.
#[derive(Debug, thiserror::Error)]
pub enum NotReadable {
    /// The kind it was stored under is not one of [`WebhookKind::ALL`].
    #[error("`{0}` is not a kind this version knows")]
    UnknownKind(String),
    #[error("{reason}")]
    Payload {
        kind: WebhookKind,
        reason: PayloadError,
    },
}

/// Reads a body kept in the store under the kind named `kind`: the one way `rebuild` reads the
/// log's bodies and `replay-quarantine` the quarantine's, the way they were read at ingest.
pub fn reread(kind: &str, raw: &[u8], normalizer: &Normalizer) -> Result<Read, NotReadable> {
    let kind =
        WebhookKind::from_name(kind).ok_or_else(|| NotReadable::UnknownKind(kind.to_owned()))?;
    read(kind, raw, normalizer).map_err(|reason| NotReadable::Payload { kind, reason })
}

fn read(kind: WebhookKind, raw: &[u8], normalizer: &Normalizer) -> Result<Read, PayloadError> {
    let json = payload::read_json(raw)?;
    let kept = payload::nul::replaced(&json);
    let data = payload::parse(kind, kept.as_ref().unwrap_or(&json), normalizer)?;
    Ok(Read { kind, json, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::Keywords;
    use crate::domain::phone::PhoneNormalizer;

    fn normalizer() -> Normalizer {
        Normalizer {
            phones: PhoneNormalizer::new(phonenumber::country::Id::US),
            keywords: Keywords::default(),
        }
    }

    fn read(kind: WebhookKind, raw: &[u8]) -> Result<NewEvent, Unreadable> {
        from_body(kind, Uuid::nil(), Utc::now(), raw.to_vec(), &normalizer())
    }

    #[test]
    fn a_stored_body_reads_again_into_the_event_it_became() {
        let raw = br#"{"code": "1", "message": "a\u0000b", "description": "",}"#;
        let ingested = read(WebhookKind::Rejection, raw).expect("a valid rejection");
        let again = reread("rejection", raw, &normalizer())
            .expect("still valid")
            .into_event(ingested.id, ingested.received_at, raw.to_vec());
        assert_eq!(format!("{again:?}"), format!("{ingested:?}"));

        let unknown = reread("rejected", raw, &normalizer()).expect_err("not a kind");
        assert!(matches!(&unknown, NotReadable::UnknownKind(name) if name == "rejected"));
        let invalid = reread("bounce", b"[]", &normalizer()).expect_err("not a bounce");
        assert!(matches!(
            invalid,
            NotReadable::Payload {
                kind: WebhookKind::Bounce,
                reason: PayloadError::Invalid(_)
            }
        ));
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
    fn nul_is_replaced_in_what_is_read_and_kept_in_the_raw_body() {
        let raw = br#"{"code": "1", "message": "a\u0000b", "description": ""}"#;
        let event = read(WebhookKind::Rejection, raw).expect("a valid rejection");
        assert_eq!(event.raw_body, raw);
        let EventData::Rejection(rejection) = &event.data else {
            panic!("a rejection: {:?}", event.data);
        };
        assert_eq!(rejection.message, "a\u{FFFD}b");
        assert!(event.dedupe_key.starts_with("rejection:"));
    }
}
