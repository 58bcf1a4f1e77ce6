//! GraphQL over WebSocket: `GET /graphql` and `GET /graphql/ws` upgraded, for subscriptions (and
//! queries). The protocol is chosen by `Sec-WebSocket-Protocol`: `graphql-transport-ws`
//! ([`transport`], the protocol of the `graphql-ws` library) or the legacy `graphql-ws` of
//! subscriptions-transport-ws ([`legacy`]).
//!
//! Written by hand over `Schema::execute_stream`: async-graphql's own WebSocket handling departs
//! from graphql-transport-ws (its close codes and its answers to a malformed message).
//!
//! Every connection is bounded: by the limits it shares with GraphQL over SSE streams
//! ([`super::live`]: how many are open, keep-alive, a client that stops reading), at most
//! `--ws-max-pending-per-address` of them not yet acknowledged per client address (more are
//! answered 429, [`pending`]), `--ws-max-subscriptions` operations on each, holding
//! [`MAX_OPERATION_BYTES`] at most together ([`running`]), and a fixed amount of memory per
//! connection (see [`connection`]).
//!
//! - [`connection`]: one socket: the reads, the single writer, keep-alive, the operations.
//! - [`running`]: the operations of one connection, and the bytes they hold.
//! - [`message`]: what either protocol says, once decoded; [`close`]: why a connection closes.

mod close;
mod connection;
mod legacy;
mod message;
mod pending;
mod running;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth_guard::LateFailure;
use crate::error::{ErrorCode, error_response};
use crate::graphql::RouteState;
use crate::graphql::live::{REFUSALS_LOGGED, too_many_connections};
use message::{ClientMessage, Invalid, ServerMessage};
use pending::Pending;

/// The largest message a client may send: a query is at most `--graphql-max-query-bytes`, and
/// its variables come on top, as with a POST body.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// The query text and variables (as JSON text) that one connection's running operations may
/// hold together; a `subscribe` past it gets `OPERATIONS_TOO_LARGE`. Without it,
/// `--ws-max-subscriptions` operations of [`MAX_MESSAGE_BYTES`] each would be 100 MiB.
const MAX_OPERATION_BYTES: usize = 1024 * 1024;

// Any one message's operation fits on a connection that runs nothing else.
const _: () = assert!(MAX_OPERATION_BYTES >= MAX_MESSAGE_BYTES);

/// What a connection gathers of a batch of results before it writes to the socket.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// What a connection reads at a time; a larger message grows the buffer as it needs.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The limits only a WebSocket has, each a flag; those it shares with SSE streams are
/// [`super::live::Settings`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_subscriptions: usize,
    pub init_timeout: Duration,
    /// Connections one address may hold before `connection_init` is acknowledged.
    pub max_pending_per_address: usize,
}

/// What the WebSocket connections of this process share besides [`super::live::Live`]: their
/// own limits, and the connections not acknowledged yet, per client address.
#[derive(Debug, Clone)]
pub struct WebSockets {
    settings: Arc<Settings>,
    pending: Arc<Pending>,
}

impl WebSockets {
    pub fn new(settings: Settings) -> Self {
        let pending = Pending::new(settings.max_pending_per_address);
        Self {
            settings: Arc::new(settings),
            pending: Arc::new(pending),
        }
    }
}

/// The two protocols spoken, by their subprotocol names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Transport,
    Legacy,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Self::Transport => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }

    /// graphql-transport-ws when the client offers it or offers nothing; the legacy protocol
    /// when the client offers that one only.
    fn choose<'a>(offered: impl Iterator<Item = &'a HeaderValue>) -> Result<Self, UpgradeError> {
        let offered: Vec<&str> = offered.filter_map(|value| value.to_str().ok()).collect();
        if offered.is_empty() || offered.contains(&Self::Transport.name()) {
            Ok(Self::Transport)
        } else if offered.contains(&Self::Legacy.name()) {
            Ok(Self::Legacy)
        } else {
            Err(UpgradeError::UnknownSubprotocol(offered.join(", ")))
        }
    }

    fn decode(self, text: &str) -> Result<ClientMessage, Invalid> {
        match self {
            Self::Transport => transport::decode_message(text),
            Self::Legacy => legacy::decode_message(text),
        }
    }

    /// The message's text; `None` for what this protocol does not say.
    fn encode(self, message: ServerMessage) -> Option<String> {
        match self {
            Self::Transport => transport::encode(message),
            Self::Legacy => legacy::encode(message),
        }
    }
}

/// Why an upgrade was refused, answered before any WebSocket exists.
#[derive(Debug, thiserror::Error)]
enum UpgradeError {
    /// 400: no subprotocol offered is one this service speaks.
    #[error(
        "none of the subprotocols offered ({0}) is spoken here; use graphql-transport-ws or graphql-ws"
    )]
    UnknownSubprotocol(String),
    /// 503: `--live-max-connections` are open.
    #[error("{}", too_many_connections(*.0))]
    TooManyConnections(usize),
    /// 429, with `Retry-After` (`--ws-init-timeout`, by when one of them is acknowledged or
    /// closed): the client's address holds `--ws-max-pending-per-address` connections that
    /// have not been acknowledged.
    #[error(
        "this address has {max} WebSocket connections open that are not acknowledged yet, the \
         most allowed (--ws-max-pending-per-address); send connection_init promptly after \
         connecting, and close connections you do not use"
    )]
    TooManyPending { max: usize, retry_after: Duration },
    /// The rejection's own status (400, 405, …): not a well-formed WebSocket upgrade.
    #[error("{0}; this path takes WebSocket upgrades (graphql-transport-ws or graphql-ws) only")]
    NotAnUpgrade(WebSocketUpgradeRejection),
}

impl IntoResponse for UpgradeError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::UnknownSubprotocol(_) => (StatusCode::BAD_REQUEST, ErrorCode::UnknownSubprotocol),
            Self::TooManyConnections(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::TooManyConnections,
            ),
            Self::TooManyPending { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyPendingConnections,
            ),
            Self::NotAnUpgrade(rejection) => (rejection.status(), ErrorCode::NotAWebsocketUpgrade),
        };
        if let Self::TooManyConnections(_) | Self::TooManyPending { .. } = self {
            if let Some(held_back) = REFUSALS_LOGGED.allow() {
                tracing::warn!(
                    code = code.snake(),
                    held_back,
                    "WebSocket upgrade refused: {self} (one such line per 10 s; held_back counts \
                     those not written)"
                );
            }
        } else {
            tracing::debug!(code = code.snake(), "WebSocket upgrade refused: {self}");
        }
        let retry_after = match &self {
            Self::TooManyPending { retry_after, .. } => Some(whole_seconds(*retry_after)),
            _ => None,
        };
        let mut response = error_response(status, code, self.to_string());
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `duration` in seconds, rounded up (`Retry-After` takes whole seconds), at least 1.
fn whole_seconds(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}

/// `GET /graphql/ws`: WebSocket upgrades only.
pub async fn handler(
    State(state): State<RouteState>,
    headers: HeaderMap,
    late_failure: Option<Extension<LateFailure>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(upgrade) => {
            let late_failure = late_failure.map(|Extension(late)| late);
            accept(state, &headers, upgrade, late_failure)
        }
        Err(rejection) => refuse(rejection),
    }
}

/// Whether a request asks for a WebSocket (so a malformed one is answered as an upgrade).
pub(super) fn asks_for_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// Answers a request that is not a well-formed WebSocket upgrade.
pub(super) fn refuse(rejection: WebSocketUpgradeRejection) -> Response {
    UpgradeError::NotAnUpgrade(rejection).into_response()
}

/// Takes the upgrade, if a subprotocol fits, the client's address has room for one more
/// connection before its `connection_init`, and a connection slot is free. A `connection_init`
/// with a wrong key, or none in time, is reported through `late_failure`, as a 401 would be.
pub(super) fn accept(
    state: RouteState,
    headers: &HeaderMap,
    upgrade: WebSocketUpgrade,
    late_failure: Option<LateFailure>,
) -> Response {
    let protocol = match Protocol::choose(upgrade.requested_protocols()) {
        Ok(protocol) => protocol,
        Err(refusal) => return refusal.into_response(),
    };
    let sockets = state.websockets.clone();
    // Without an address (no peer known), nothing to count against.
    let client = late_failure.as_ref().and_then(LateFailure::client);
    let unacknowledged = match client {
        Some(client) => {
            let Some(unacknowledged) = sockets.pending.take(client) else {
                let settings = &sockets.settings;
                return UpgradeError::TooManyPending {
                    max: settings.max_pending_per_address,
                    retry_after: settings.init_timeout,
                }
                .into_response();
            };
            Some(unacknowledged)
        }
        None => None,
    };
    let Some(slot) = state.live.slot() else {
        return UpgradeError::TooManyConnections(state.live.settings().max_connections)
            .into_response();
    };
    let upgraded = connection::Upgraded {
        protocol,
        // Kept for `connection_init`, which may carry the key instead.
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(connection::Authorization::new),
        late_failure,
        unacknowledged,
    };
    upgrade
        // Echoed only when offered: a client that named no subprotocol must not get one back.
        .protocols([protocol.name()])
        .max_message_size(MAX_MESSAGE_BYTES)
        // tungstenite reserves 128 KiB for reading by default, per idle subscriber; clients send
        // little. Results are written in batches of what is queued, flushed at the end of each.
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .on_failed_upgrade(|err| tracing::debug!(error = %err, "a WebSocket upgrade failed"))
        .on_upgrade(move |socket| async move {
            connection::serve(socket, state, upgraded).await;
            drop(slot);
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::whole_seconds;

    #[test]
    fn retry_after_is_the_init_timeout_rounded_up_to_a_second() {
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
        assert_eq!(whole_seconds(Duration::from_millis(2500)), 3);
        assert_eq!(whole_seconds(Duration::from_millis(200)), 1);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }
}
