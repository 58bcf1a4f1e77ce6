//! `Position`: a place in the event log, 64-bit and exact.
//!
//! GraphQL's `Int` is 32-bit and JavaScript numbers lose integers past 2^53, so positions are
//! written as strings of decimal digits; inputs take a string or an integer.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub i64);

/// A position in the event log: a string of decimal digits (inputs also take an integer).
#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = match &value {
            Value::String(text) => text.trim().parse::<i64>().ok(),
            Value::Number(number) => number.as_i64(),
            _ => None,
        };
        match parsed {
            Some(position) if position >= 0 => Ok(Self(position)),
            _ => Err(InputValueError::custom(
                "a Position is a non-negative whole number, written as a string of digits",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
