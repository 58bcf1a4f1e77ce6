//! `Event.payload`: the JSON as received, its keys in the order they came.
//!
//! The body is kept byte for byte, and is the only copy of the delivery the store keeps: it alone
//! has the order of the keys (PostgreSQL's `jsonb` and `serde_json`, built without
//! `preserve_order`, would both lose it). It is read here into async-graphql's own value, whose
//! objects keep their order, the way ingest reads it (leniently, as `domain::payload::read_json`
//! does: Mobiniti's examples end objects with a trailing comma) and with U+0000 replaced as
//! ingest replaces it before parsing (`domain::payload::nul`).
//!
//! It is read only when `payload` is selected. A row read without its body (none of the API's
//! reads does that when `payload` is asked for) answers `null`.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Json, Name, OutputType, Positioned, ServerResult, Value};
use entity::events;

use crate::domain::payload::nul;

/// An event's `payload`, the `JSON` scalar: read from the body only once the field resolves,
/// and handed over as read (async-graphql's `Json` would copy the value once more).
#[derive(Debug)]
pub struct Payload<'a>(pub &'a events::Model);

impl OutputType for Payload<'_> {
    fn type_name() -> Cow<'static, str> {
        <Json<Value> as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Json<Value> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(as_received(self.0))
    }
}

/// The event's payload as received.
fn as_received(event: &events::Model) -> Value {
    read(&event.raw_body).unwrap_or(Value::Null)
}

/// The body as JSON with its keys in their order, U+0000 replaced; `None` for an empty or
/// unreadable body.
fn read(raw: &[u8]) -> Option<Value> {
    if raw.is_empty() {
        return None;
    }
    let payload = serde_json_lenient::from_slice::<Value>(raw).ok()?;
    Some(if has_nul(&payload) {
        replace_nul(payload)
    } else {
        payload
    })
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || has_nul(value)),
        _ => false,
    }
}

/// As `nul::replaced` does at ingest: where two keys become one, the later value
/// is kept, as in any JSON object with a repeated key.
fn replace_nul(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(nul::replace_in(text)),
        Value::List(items) => Value::List(items.into_iter().map(replace_nul).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = if key.contains('\0') {
                        Name::new(nul::replace_in(key.to_string()))
                    } else {
                        key
                    };
                    (key, replace_nul(value))
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &Value) -> String {
        serde_json::to_string(value).expect("JSON")
    }

    #[test]
    fn keys_keep_their_order_and_a_trailing_comma_is_read() {
        let raw = br#"{"z": 1, "a": {"y": [ {"k2": 2, "k1": 1} ], "b": null},}"#;
        let payload = read(raw).expect("a payload");
        assert_eq!(
            text(&payload),
            r#"{"z":1,"a":{"y":[{"k2":2,"k1":1}],"b":null}}"#
        );
    }

    #[test]
    fn nul_is_replaced_as_ingest_replaces_it() {
        let raw = br#"{"b\u0000": "x\u0000y", "a": ["\u0000"]}"#;
        let read = read(raw).expect("a payload");
        let stored = serde_json::from_slice::<serde_json::Value>(raw).expect("JSON");
        let stored = nul::replaced(&stored).expect("a replacement");
        assert_eq!(
            text(&read),
            "{\"b\u{FFFD}\":\"x\u{FFFD}y\",\"a\":[\"\u{FFFD}\"]}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text(&read)).expect("JSON"),
            stored
        );
    }

    #[test]
    fn without_a_body_the_stored_payload_is_answered() {
        assert_eq!(read(b""), None);
        assert_eq!(read(b"not json"), None);
    }
}
