//! Dedupe keys: deterministic, derived from what was delivered, never from when or at random.
//!
//! A kind with a natural key (see each payload module) is keyed on it, so a redelivery whose
//! unrelated fields moved still maps onto its first delivery; the other kinds are keyed on their
//! whole content, read as JSON so that whitespace and key order do not matter.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::kind::WebhookKind;

/// `{kind}:{sha256 hex}`: readable by kind, fixed length for the unique index.
pub fn key(kind: WebhookKind, json: &Value, natural: Option<&[String]>) -> String {
    let mut hasher = Sha256::new();
    match natural {
        Some(parts) => {
            hasher.update(b"natural\0");
            for part in parts {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part.as_bytes());
            }
        }
        None => {
            hasher.update(b"content\0");
            hash_canonical(&mut hasher, json);
        }
    }
    format!("{kind}:{}", hex::encode(hasher.finalize()))
}

/// Feeds `value` to the hasher with object keys in sorted order and every item length-prefixed,
/// so two documents hash alike exactly when they are equal as JSON.
fn hash_canonical(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Null => hasher.update(b"n"),
        Value::Bool(b) => hasher.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            let text = n.to_string();
            hasher.update(b"d");
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        }
        Value::String(s) => {
            hasher.update(b"s");
            hasher.update((s.len() as u64).to_be_bytes());
            hasher.update(s.as_bytes());
        }
        Value::Array(items) => {
            hasher.update(b"a");
            hasher.update((items.len() as u64).to_be_bytes());
            for item in items {
                hash_canonical(hasher, item);
            }
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            hasher.update(b"o");
            hasher.update((entries.len() as u64).to_be_bytes());
            for (name, item) in entries {
                hasher.update((name.len() as u64).to_be_bytes());
                hasher.update(name.as_bytes());
                hash_canonical(hasher, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_keys_ignore_key_order_and_whitespace() {
        let a = serde_json::from_str::<Value>(r#"{"code": "1", "message": "x"}"#).expect("json");
        let b = serde_json::from_str::<Value>(r#"{ "message":"x","code":"1" }"#).expect("json");
        assert_eq!(
            key(WebhookKind::Rejection, &a, None),
            key(WebhookKind::Rejection, &b, None)
        );
    }

    #[test]
    fn content_keys_tell_different_content_apart() {
        let a = json!({"code": "1", "message": "x"});
        let b = json!({"code": "1", "message": "y"});
        let c = json!({"code": 1, "message": "x"});
        let keys = [a, b, c].map(|v| key(WebhookKind::Rejection, &v, None));
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
    }

    #[test]
    fn natural_keys_ignore_other_fields_and_part_boundaries_count() {
        let parts = ["ab".to_owned(), "c".to_owned()];
        let shifted = ["a".to_owned(), "bc".to_owned()];
        let k1 = key(WebhookKind::Bounce, &json!({"x": 1}), Some(&parts));
        let k2 = key(WebhookKind::Bounce, &json!({"x": 2}), Some(&parts));
        let k3 = key(WebhookKind::Bounce, &json!({"x": 1}), Some(&shifted));
        assert_eq!(k1, k2);
        assert_ne!(k1, k3);
        assert!(k1.starts_with("bounce:"));
    }
}
