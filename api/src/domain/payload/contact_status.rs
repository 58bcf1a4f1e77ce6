//! `contact-status`: carriers reported a change (`suspended`, `deactivated`, `resumed`,
//! `transferred`; a status Mobiniti adds later is kept as given).
//!
//! Dedupe key: contact id, status and `updated_at`.

use serde::Deserialize;
use serde_json::Value;

use super::{ContactUpdate, Invalid, PayloadError, typed};
use crate::domain::phone::PhoneNormalizer;

#[derive(Deserialize)]
struct Fields {
    status: String,
}

pub fn parse(json: &Value, phones: &PhoneNormalizer) -> Result<ContactUpdate, PayloadError> {
    let mut contact = ContactUpdate::parse(json, phones)?;
    let fields: Fields = typed(json)?;
    let status = fields.status.trim();
    if status.is_empty() {
        return Err(Invalid::new("status", "empty", "must not be empty").into());
    }
    contact.carrier_status = Some(status.to_owned());
    Ok(contact)
}

pub fn natural_key(contact: &ContactUpdate) -> Option<Vec<String>> {
    Some(vec![
        contact.id.clone(),
        contact.carrier_status.clone().unwrap_or_default(),
        contact.updated_at.to_rfc3339(),
    ])
}
