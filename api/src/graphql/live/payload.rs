//! What an operation is, whichever transport carries it: its id and its payload.

use serde::Deserialize;
use serde_json::{Map, Value};

/// An operation's id: a non-empty string chosen by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(in crate::graphql) struct Id(String);

impl Id {
    /// The id of the one operation of a connection that runs no other (a GraphQL over SSE
    /// stream), where no client names it.
    pub(in crate::graphql) fn only() -> Self {
        Self("1".to_owned())
    }

    pub(in crate::graphql) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        if id.is_empty() {
            return Err(serde::de::Error::custom("`id` must not be empty"));
        }
        Ok(Self(id))
    }
}

/// The operation of a `subscribe` (legacy: `start`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::graphql) struct OperationPayload {
    pub query: String,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    /// Checked to be an object, as the protocol says; `persistedQuery` is read from it (a
    /// persisted document's hash, with `query` empty to use the registered text).
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
}
