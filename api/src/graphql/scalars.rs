//! The API's own scalars: `Position` and `DateTime`.
//!
//! GraphQL's `Int` is 32-bit and JavaScript numbers lose integers past 2^53, so positions are
//! written as strings of decimal digits; inputs take a string or an integer.
//!
//! Each scalar's `is_valid` accepts exactly what its `parse` does. async-graphql checks every
//! argument, with the request's variables in place, against `is_valid` before anything runs, so
//! a value that does not fit is refused as a request error (HTTP 400, no `data`) rather than
//! failing its field once execution has begun. (async-graphql's own `DateTime` has no
//! `is_valid`: hence the one here.)

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::Utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub i64);

impl Position {
    /// What a Position is, for the error that refuses one.
    pub const EXPECTED: &str =
        "a Position is a non-negative whole number written as a string of digits, such as \"42\"";

    fn read(value: &Value) -> Option<Self> {
        let position = match value {
            Value::String(text) => text.trim().parse::<i64>().ok(),
            Value::Number(number) => number.as_i64(),
            _ => None,
        }?;
        (position >= 0).then_some(Self(position))
    }
}

/// A position in the event log: a string of decimal digits (inputs also take an integer).
#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        Self::read(&value).ok_or_else(|| InputValueError::custom(Self::EXPECTED))
    }

    fn is_valid(value: &Value) -> bool {
        Self::read(value).is_some()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An instant, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

impl DateTime {
    /// What a DateTime is, for the error that refuses one.
    pub const EXPECTED: &str = "a DateTime is written in RFC 3339, such as \"2024-03-01T00:00:00Z\" or \
         \"2024-03-01T09:30:00-05:00\"";

    fn read(value: &Value) -> Option<Self> {
        match value {
            Value::String(text) => text.parse::<chrono::DateTime<Utc>>().ok().map(Self),
            _ => None,
        }
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(time: chrono::DateTime<Utc>) -> Self {
        Self(time)
    }
}

/// An instant in RFC 3339: written in UTC (`2016-07-01T15:11:09.553+00:00`); inputs take any
/// offset (`2024-03-01T00:00:00Z`, `2024-03-01T09:30:00-05:00`).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        Self::read(&value).ok_or_else(|| InputValueError::custom(Self::EXPECTED))
    }

    fn is_valid(value: &Value) -> bool {
        Self::read(value).is_some()
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_is_valid_exactly_when_it_parses() {
        for value in [
            Value::String("42".into()),
            Value::String(" 7 ".into()),
            Value::Number(0.into()),
            Value::String("abc".into()),
            Value::String("-1".into()),
            Value::Number((-1).into()),
            Value::Boolean(true),
        ] {
            let parses = <Position as ScalarType>::parse(value.clone()).is_ok();
            assert_eq!(
                <Position as ScalarType>::is_valid(&value),
                parses,
                "{value}"
            );
        }
    }

    #[test]
    fn a_date_time_is_valid_exactly_when_it_parses() {
        for value in [
            Value::String("2024-03-01T00:00:00Z".into()),
            Value::String("2024-03-01T09:30:00-05:00".into()),
            Value::String("yesterday".into()),
            Value::String("2024-03-01".into()),
            Value::Number(1_700_000_000.into()),
        ] {
            let parses = <DateTime as ScalarType>::parse(value.clone()).is_ok();
            assert_eq!(
                <DateTime as ScalarType>::is_valid(&value),
                parses,
                "{value}"
            );
        }
        let written = DateTime("2016-07-01T15:11:09.553Z".parse().expect("a time")).to_value();
        assert_eq!(
            written,
            Value::String("2016-07-01T15:11:09.553+00:00".into())
        );
    }
}
