//! The legacy `graphql-ws` subprotocol of Apollo's subscriptions-transport-ws, on the wire, for
//! clients that still speak it. The server follows the same rules as for graphql-transport-ws
//! ([`super::connection`]), under this protocol's names: `start`/`stop` for
//! `subscribe`/`complete`, `data` for `next`, `ka` for the server's keep-alive.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::message::{
    ClientMessage, Id, Invalid, OperationPayload, ServerMessage, decode, next_text,
};

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    Start {
        id: Id,
        payload: OperationPayload,
    },
    Stop {
        id: Id,
    },
    ConnectionTerminate,
}

pub(super) fn decode_message(text: &str) -> Result<ClientMessage, Invalid> {
    Ok(match decode(text)? {
        Incoming::ConnectionInit { payload } => ClientMessage::Init(payload),
        Incoming::Start { id, payload } => ClientMessage::Subscribe { id, payload },
        Incoming::Stop { id } => ClientMessage::Complete(id),
        Incoming::ConnectionTerminate => ClientMessage::Terminate,
    })
}

/// The message on the wire; `None` for what this protocol does not say.
pub(super) fn encode(message: ServerMessage) -> Option<String> {
    let value = match message {
        ServerMessage::Ack => json!({ "type": "connection_ack" }),
        ServerMessage::KeepAlive => json!({ "type": "ka" }),
        // The protocol has no ping; a client cannot ask for a pong.
        ServerMessage::Pong(_) => return None,
        ServerMessage::Next { id, payload } => {
            return Some(next_text(&id, "data", &payload));
        }
        ServerMessage::Error { id, errors } => {
            json!({ "id": id.as_str(), "type": "error", "payload": errors })
        }
        ServerMessage::Complete(id) => json!({ "id": id.as_str(), "type": "complete" }),
        ServerMessage::ConnectionError(message) => {
            json!({ "type": "connection_error", "payload": { "message": message } })
        }
    };
    Some(value.to_string())
}
