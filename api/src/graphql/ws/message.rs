//! What the two protocols say, once decoded: the same few things under different names.

use std::sync::Arc;

use serde_json::{Map, Value};

pub(in crate::graphql) use crate::graphql::live::{Id, OperationPayload};

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
    let id = Value::String(id.as_str().to_owned());
    format!(r#"{{"id":{id},"type":"{kind}","payload":{payload}}}"#)
}
