//! `bounce`: a contact's bounce count crossed the threshold set in Mobiniti.
//!
//! Dedupe key: contact id, `bounces` and `updated_at`: one webhook per crossing, and a count that
//! was reset and climbs again is a new event because `updated_at` moved.

use serde::Deserialize;
use serde_json::Value;

use super::{ContactUpdate, Invalid, PayloadError, typed};
use crate::domain::phone::PhoneNormalizer;

#[derive(Deserialize)]
struct Fields {
    bounces: u32,
}

pub fn parse(json: &Value, phones: &PhoneNormalizer) -> Result<ContactUpdate, PayloadError> {
    let mut contact = ContactUpdate::parse(json, phones)?;
    let fields: Fields = typed(json)?;
    let bounces = i32::try_from(fields.bounces).map_err(|_| {
        Invalid::new(
            "bounces",
            "too large",
            format_args!("{} is too large", fields.bounces),
        )
    })?;
    contact.bounces = Some(bounces);
    Ok(contact)
}

pub fn natural_key(contact: &ContactUpdate) -> Option<Vec<String>> {
    Some(vec![
        contact.id.clone(),
        contact.bounces.unwrap_or_default().to_string(),
        contact.updated_at.to_rfc3339(),
    ])
}
