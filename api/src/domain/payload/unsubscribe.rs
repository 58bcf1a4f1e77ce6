//! `unsubscribe`: a contact left the list.
//!
//! Dedupe key: contact id and `unsubscribed_at`, one unsubscription per contact and instant;
//! without `unsubscribed_at` the key is the whole content.

use serde_json::Value;

use super::{ContactUpdate, PayloadError};
use crate::domain::phone::PhoneNormalizer;

pub fn parse(json: &Value, phones: &PhoneNormalizer) -> Result<ContactUpdate, PayloadError> {
    ContactUpdate::parse(json, phones)
}

pub fn natural_key(contact: &ContactUpdate) -> Option<Vec<String>> {
    let unsubscribed_at = contact.unsubscribed_at.flatten()?;
    Some(vec![contact.id.clone(), unsubscribed_at.to_rfc3339()])
}
