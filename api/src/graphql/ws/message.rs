//! What the two protocols say, once decoded: the same few things under different names.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A message from the client.
#[derive(Debug)]
pub(super) enum ClientMessage {
    /// `connection_init`, with its payload (which may carry the API key).
    Init(Option<Map<String, Value>>),
    /// `subscribe` (legacy: `start`).
    Subscribe {
        id: Id,
        payload: OperationPayload,
    },
    /// `complete` (legacy: `stop`): the client stopped listening.
    Complete(Id),
    Ping(Option<Value>),
    Pong,
    /// Legacy `connection_terminate`.
    Terminate,
}

/// A message to the client.
#[derive(Debug)]
pub(super) enum ServerMessage {
    Ack,
    /// The server's keep-alive: `ping` (legacy: `ka`).
    KeepAlive,
    Pong(Option<Value>),
    /// A result: `next` (legacy: `data`), its payload already encoded as JSON text, so that one
    /// encoding serves every subscriber of a shared subscription.
    Next {
        id: Id,
        payload: Arc<str>,
    },
    /// The operation failed before it ran; it is over.
    Error {
        id: Id,
        errors: Vec<Value>,
    },
    Complete(Id),
    /// Legacy `connection_error`, before the connection closes.
    ConnectionError(String),
}

/// An operation's id: a non-empty string chosen by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(in crate::graphql) struct Id(String);

impl Id {
    /// The id of the one operation of a connection that runs no other (a GraphQL over SSE
    /// stream), where no client names it.
    pub(in crate::graphql) fn only() -> Self {
        Self("1".to_owned())
    }

    pub(super) fn as_str(&self) -> &str {
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
    /// Checked to be an object, as the protocol says; nothing reads it.
    #[serde(default, rename = "extensions")]
    pub _extensions: Option<Map<String, Value>>,
}

/// Why a client's message was refused; the text becomes the close reason.
#[derive(Debug, thiserror::Error)]
pub(super) enum Invalid {
    #[error("the message is not JSON")]
    NotJson,
    #[error("binary messages are not part of the protocol; send text")]
    Binary,
    #[error("invalid message: {0}")]
    Shape(serde_json::Error),
}

/// Reads a message as JSON, then as `T`, one of the protocol's message enums.
pub(super) fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Invalid> {
    let value: Value = serde_json::from_str(text).map_err(|_| Invalid::NotJson)?;
    serde_json::from_value(value).map_err(Invalid::Shape)
}

/// A result message around a payload that is JSON text already.
pub(super) fn next_text(id: &Id, kind: &str, payload: &str) -> String {
    let id = Value::String(id.0.clone());
    format!(r#"{{"id":{id},"type":"{kind}","payload":{payload}}}"#)
}
