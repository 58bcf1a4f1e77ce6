//! U+0000 in a payload: valid JSON, and kept in the raw body, but never in what is read from it:
//! the projections, and the payload the API answers.
//!
//! PostgreSQL refuses U+0000 in `text` and `jsonb` values, while SQLite takes it, so the same
//! delivery would be refused by one store and kept by the other. Every string and object key
//! is read with U+0000 replaced by U+FFFD (the replacement character) before anything is
//! derived from it, on every store alike; the raw body keeps the bytes as they came.

use serde_json::{Map, Value};

/// What U+0000 becomes in the projections and the payload the API answers.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `json` with U+0000 replaced in every string and key, or `None` when it has none (the
/// common case, which costs one walk and no copy).
pub fn replaced(json: &Value) -> Option<Value> {
    has_nul(json).then(|| replace(json.clone()))
}

/// `text` with U+0000 replaced, for text that does not come from the payload's JSON (an
/// error message that quotes the body).
pub fn replace_in(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', REPLACEMENT.encode_utf8(&mut [0; 4]))
    } else {
        text
    }
}

fn has_nul(json: &Value) -> bool {
    match json {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn replace(json: Value) -> Value {
    match json {
        Value::String(text) => Value::String(replace_in(text)),
        Value::Array(items) => Value::Array(items.into_iter().map(replace).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (replace_in(key), replace(value)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_payload_without_nul_is_not_copied() {
        assert_eq!(replaced(&json!({"a": ["b", {"c": 1}]})), None);
    }

    #[test]
    fn nul_is_replaced_in_nested_strings_and_keys() {
        let json = json!({"a\u{0}": ["x\u{0}y", {"k": "\u{0}"}], "n": 1});
        assert_eq!(
            replaced(&json),
            Some(json!({"a\u{FFFD}": ["x\u{FFFD}y", {"k": "\u{FFFD}"}], "n": 1}))
        );
    }
}
