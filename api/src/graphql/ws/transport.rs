//! graphql-transport-ws on the wire, as
//! <https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md> describes it. What each
//! message makes the server do is [`super::connection`]'s.

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
    Ping {
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    Pong {
        #[serde(default, rename = "payload")]
        _payload: Option<Map<String, Value>>,
    },
    Subscribe {
        id: Id,
        payload: OperationPayload,
    },
    Complete {
        id: Id,
    },
}

pub(super) fn decode_message(text: &str) -> Result<ClientMessage, Invalid> {
    Ok(match decode(text)? {
        Incoming::ConnectionInit { payload } => ClientMessage::Init(payload),
        Incoming::Ping { payload } => ClientMessage::Ping(payload.map(Value::Object)),
        Incoming::Pong { .. } => ClientMessage::Pong,
        Incoming::Subscribe { id, payload } => ClientMessage::Subscribe { id, payload },
        Incoming::Complete { id } => ClientMessage::Complete(id),
    })
}

/// The message on the wire; `None` for what this protocol does not say.
pub(super) fn encode(message: ServerMessage) -> Option<String> {
    let value = match message {
        ServerMessage::Ack => json!({ "type": "connection_ack" }),
        ServerMessage::KeepAlive => json!({ "type": "ping" }),
        ServerMessage::Pong(None) => json!({ "type": "pong" }),
        ServerMessage::Pong(Some(payload)) => json!({ "type": "pong", "payload": payload }),
        ServerMessage::Next { id, payload } => {
            return Some(next_text(&id, "next", &payload));
        }
        ServerMessage::Error { id, errors } => {
            json!({ "id": id.as_str(), "type": "error", "payload": errors })
        }
        ServerMessage::Complete(id) => json!({ "id": id.as_str(), "type": "complete" }),
        ServerMessage::ConnectionError(_) => return None,
    };
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match decode_message(text) {
            Ok(message) => panic!("decoded {message:?}"),
            Err(invalid) => invalid.to_string(),
        }
    }

    #[test]
    fn malformed_messages_say_what_is_wrong() {
        assert_eq!(reason("{"), "the message is not JSON");
        assert!(reason(r#"{"type":"start","id":"1"}"#).contains("unknown variant `start`"));
        assert!(reason(r#"{"type":"subscribe","payload":{"query":"{a}"}}"#).contains("`id`"));
        assert!(
            reason(r#"{"type":"subscribe","id":"","payload":{"query":"{a}"}}"#)
                .contains("must not be empty")
        );
        assert!(reason(r#"{"type":"subscribe","id":"1"}"#).contains("`payload`"));
        assert!(reason(r#"{"id":"1"}"#).contains("`type`"));
    }

    #[test]
    fn a_subscribe_reads_its_operation() {
        let text = r#"{"type":"subscribe","id":"a","payload":{"query":"{ x }","variables":null}}"#;
        match decode_message(text) {
            Ok(ClientMessage::Subscribe { id, payload }) => {
                assert_eq!(id.as_str(), "a");
                assert_eq!(payload.query, "{ x }");
                assert!(payload.variables.is_none());
            }
            other => panic!("{other:?}"),
        }
    }
}
