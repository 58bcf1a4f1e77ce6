//! Field readers shared by the payload modules.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Deserializer, de};
use serde_json::Value;

use super::{Invalid, PayloadError};

/// The most bytes an identifier or status code may have. The store indexes them, and
/// PostgreSQL refuses an index entry over about 2.7 KB where SQLite takes any length; refusing
/// longer ones here answers both stores alike (422, kept in quarantine). Mobiniti's ids are
/// UUIDs.
pub const MAX_KEY_BYTES: usize = 255;

/// Checks an identifier or code against [`MAX_KEY_BYTES`].
pub fn key(field: &str, value: String) -> Result<String, PayloadError> {
    if value.len() > MAX_KEY_BYTES {
        return Err(Invalid::new(
            field,
            "too long",
            format_args!(
                "{} bytes, more than the {MAX_KEY_BYTES} an identifier may have",
                value.len()
            ),
        )
        .into());
    }
    Ok(value)
}

/// Checks that a time lies in the years 1 to 9999: RFC 3339's range, within PostgreSQL's, and
/// the range in which SQLite's text timestamps sort as times.
pub fn time(field: &str, value: DateTime<Utc>) -> Result<DateTime<Utc>, PayloadError> {
    if (1..=9999).contains(&value.year()) {
        Ok(value)
    } else {
        Err(Invalid::new(
            field,
            "outside the years 1 to 9999",
            format_args!("{value} is outside the years 1 to 9999"),
        )
        .into())
    }
}

/// A value Mobiniti may send as a string or a number (status codes, recipients, short codes),
/// kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl de::Visitor<'_> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
                Ok(Text(value.to_owned()))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Text, E> {
                Ok(Text(value.to_string()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Text, E> {
                Ok(Text(value.to_string()))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Text, E> {
                Ok(Text(value.to_string()))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`), so an update that
/// does not mention a field leaves it alone.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// How a JSON value is named in an error message.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
