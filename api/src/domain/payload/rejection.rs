//! `rejection`: a message failed (validation, provider error, or a failed delivery receipt).
//!
//! The payload carries no id, so the dedupe key is the whole content: two rejections with the
//! same code, message and description are one event whose `deliveries` counter says how many
//! arrived.

use serde::Deserialize;
use serde_json::Value;

use super::{
    PayloadError,
    fields::{Text, present},
    typed,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: String,
    pub message: String,
    pub description: String,
}

#[derive(Deserialize)]
struct Fields {
    /// Required, though Mobiniti's example sends it empty.
    #[serde(deserialize_with = "present")]
    code: Option<Option<Text>>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

pub fn parse(json: &Value) -> Result<Rejection, PayloadError> {
    let fields: Fields = typed(json)?;
    Ok(Rejection {
        code: fields.code.flatten().map(|code| code.0).unwrap_or_default(),
        message: fields.message.unwrap_or_default(),
        description: fields.description.unwrap_or_default(),
    })
}
