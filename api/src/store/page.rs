//! Keyset pagination: a cursor names a row's place in an ordering, so a page reads only the rows
//! it returns however deep it is, and rows inserted meanwhile neither repeat nor vanish.
//!
//! Every ordering ends with the table's primary key, so positions are unique and stable.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait};
use serde::{Deserialize, Serialize};

mod read;

pub use read::{fetch, fetch_joined, first_page_of};

/// Rows per page when the client names no size.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// One value of a row's sort key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KeyValue {
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    #[serde(rename = "b")]
    Bool(bool),
}

impl From<KeyValue> for sea_orm::Value {
    fn from(value: KeyValue) -> Self {
        match value {
            KeyValue::Text(text) => text.into(),
            KeyValue::Int(int) => int.into(),
            KeyValue::Time(time) => time.into(),
            KeyValue::Bool(flag) => flag.into(),
        }
    }
}

/// A row's place in one ordering; opaque to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "k")]
    keys: Vec<KeyValue>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serializing plain data to a Vec cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str) -> Result<Self, PageError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| PageError::InvalidCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| PageError::InvalidCursor)
    }
}

/// Why a page cannot be read as asked.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("`first` and `last` cannot be given together")]
    FirstAndLast,
    #[error("`{argument}` must be between 0 and {MAX_PAGE_SIZE}; ask for more pages instead")]
    TooLarge { argument: &'static str },
    #[error("`{argument}` must not be negative")]
    Negative { argument: &'static str },
    #[error("the cursor is not one this API gave out")]
    InvalidCursor,
    #[error(
        "the cursor belongs to the ordering {found}, not {expected}; restart from the first page"
    )]
    WrongOrdering { expected: String, found: String },
}

/// What page a client asks for, checked.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    limit: u64,
    backward: bool,
    after: Option<Cursor>,
    before: Option<Cursor>,
}

impl PageRequest {
    /// Checks Relay's `first/after/last/before`.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Self, PageError> {
        let size = |value: Option<i32>, argument| match value {
            None => Ok(None),
            Some(n) if n < 0 => Err(PageError::Negative { argument }),
            Some(n) if n as u64 > MAX_PAGE_SIZE => Err(PageError::TooLarge { argument }),
            Some(n) => Ok(Some(n as u64)),
        };
        let (first, last) = (size(first, "first")?, size(last, "last")?);
        if first.is_some() && last.is_some() {
            return Err(PageError::FirstAndLast);
        }
        Ok(Self {
            limit: first.or(last).unwrap_or(DEFAULT_PAGE_SIZE),
            backward: last.is_some(),
            after: after.map(Cursor::decode).transpose()?,
            before: before.map(Cursor::decode).transpose()?,
        })
    }
}

/// A page of rows with their cursors.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<(Cursor, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// The same page, each row turned into another by `f`, in order.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self
                .rows
                .into_iter()
                .map(|(cursor, row)| (cursor, f(row)))
                .collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// An ordering of an entity's rows: its name, its sort keys ending with the primary key, and
/// how to read those keys off a row.
#[derive(Debug)]
pub struct Ordering<E: EntityTrait> {
    name: String,
    keys: Vec<(E::Column, Direction)>,
    key_of: fn(&E::Model) -> Vec<KeyValue>,
}

impl<E: EntityTrait> Ordering<E> {
    /// The ordering that `order`, a variant of a store's ordering enum, chooses. Its name, which
    /// cursors carry and errors quote, is the variant's in SCREAMING_SNAKE_CASE (`PositionAsc`
    /// is `POSITION_ASC`): GraphQL spells the value that chooses it the same way, so a client
    /// reads in an error the name it sent.
    pub fn new(
        order: impl fmt::Debug,
        keys: Vec<(E::Column, Direction)>,
        key_of: fn(&E::Model) -> Vec<KeyValue>,
    ) -> Self {
        Self {
            name: order_name(order),
            keys,
            key_of,
        }
    }

    fn cursor(&self, row: &E::Model) -> Cursor {
        Cursor {
            order: self.name.clone(),
            keys: (self.key_of)(row),
        }
    }

    fn check(&self, cursor: &Cursor) -> Result<(), PageError> {
        if cursor.order != self.name || cursor.keys.len() != self.keys.len() {
            return Err(PageError::WrongOrdering {
                expected: self.name.clone(),
                found: cursor.order.clone(),
            });
        }
        Ok(())
    }

    /// Rows strictly after (`forward`) or before `cursor` in this ordering.
    fn beyond(&self, cursor: &Cursor, forward: bool) -> Condition {
        let mut any = Condition::any();
        for (i, (column, direction)) in self.keys.iter().enumerate() {
            let mut all = Condition::all();
            for ((equal, _), value) in self.keys[..i].iter().zip(&cursor.keys) {
                all = all.add(equal.eq(sea_orm::Value::from(value.clone())));
            }
            let value = sea_orm::Value::from(cursor.keys[i].clone());
            let greater = (*direction == Direction::Asc) == forward;
            all = all.add(if greater {
                column.gt(value)
            } else {
                column.lt(value)
            });
            any = any.add(all);
        }
        // Every branch implies this bound on the first key. Alone, the disjunction is no range
        // the planner can seek to: PostgreSQL read the index from its start and filtered,
        // which made a page deep in the list cost as much as the rows before it.
        let Some(((first, direction), value)) = self.keys.first().zip(cursor.keys.first()) else {
            return any;
        };
        let value = sea_orm::Value::from(value.clone());
        let bound = if (*direction == Direction::Asc) == forward {
            first.gte(value)
        } else {
            first.lte(value)
        };
        Condition::all().add(bound).add(any)
    }
}

/// `order`'s variant name in SCREAMING_SNAKE_CASE: the name of the ordering it chooses.
pub fn order_name(order: impl fmt::Debug) -> String {
    let mut name = String::new();
    for (i, c) in format!("{order:?}").chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            order: "PHONE_ASC".into(),
            keys: vec![KeyValue::Text("+1999".into()), KeyValue::Int(7)],
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        assert_eq!(
            Cursor::decode("not a cursor"),
            Err(PageError::InvalidCursor)
        );
    }

    #[test]
    fn an_ordering_is_named_after_its_variant_in_screaming_snake_case() {
        #[derive(Debug)]
        enum Order {
            PositionAsc,
            UpdatedAtDesc,
        }
        assert_eq!(order_name(Order::PositionAsc), "POSITION_ASC");
        assert_eq!(order_name(Order::UpdatedAtDesc), "UPDATED_AT_DESC");
    }

    #[test]
    fn page_sizes_are_checked() {
        assert!(PageRequest::new(Some(500), None, None, None).is_ok());
        assert_eq!(
            PageRequest::new(Some(501), None, None, None).err(),
            Some(PageError::TooLarge { argument: "first" })
        );
        assert_eq!(
            PageRequest::new(Some(1), None, Some(1), None).err(),
            Some(PageError::FirstAndLast)
        );
        assert_eq!(
            PageRequest::new(None, None, Some(-1), None).err(),
            Some(PageError::Negative { argument: "last" })
        );
    }
}
