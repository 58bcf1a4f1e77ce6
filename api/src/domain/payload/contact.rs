//! The contact fields that inbound-message, unsubscribe, bounce and contact-status share.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Invalid, PayloadError, fields, fields::present, phone, typed};
use crate::domain::phone::PhoneNormalizer;

/// What an event says about a contact. `None` means the payload did not mention the field and
/// the contact's stored value stands; `Some(None)` means it was sent as `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdate {
    /// Mobiniti's contact id.
    pub id: String,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    /// E.164.
    pub phone: String,
    pub unsubscribed_at: Option<Option<DateTime<Utc>>>,
    pub bounces: Option<i32>,
    pub carrier_status: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Orders updates: an older one never overwrites a newer one.
    pub updated_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ContactFields {
    id: String,
    #[serde(default, deserialize_with = "present")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    phone_number: String,
    #[serde(default, deserialize_with = "present")]
    unsubscribed_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl ContactUpdate {
    /// Reads the shared contact fields of a payload.
    pub fn parse(json: &Value, phones: &PhoneNormalizer) -> Result<Self, PayloadError> {
        let fields: ContactFields = typed(json)?;
        if fields.id.trim().is_empty() {
            return Err(Invalid::new("id", "empty", "must not be empty").into());
        }
        let time = |field, value: Option<DateTime<Utc>>| {
            value.map(|value| fields::time(field, value)).transpose()
        };
        Ok(Self {
            phone: phone(phones, "phone_number", &fields.phone_number)?,
            id: fields::key("id", fields.id)?,
            first_name: fields.first_name,
            last_name: fields.last_name,
            email: fields.email,
            unsubscribed_at: fields
                .unsubscribed_at
                .map(|value| time("unsubscribed_at", value))
                .transpose()?,
            bounces: None,
            carrier_status: None,
            created_at: time("created_at", fields.created_at)?,
            updated_at: fields::time("updated_at", fields.updated_at)?,
        })
    }
}
