//! One WebSocket connection, in either protocol: `connection_init` and the API key, the
//! operations it runs, keep-alive, and how it ends.
//!
//! # Memory and slow clients
//!
//! Each operation runs in its own task ([`crate::graphql::live::operation`]) and hands every result, encoded,
//! to one queue per connection of [`QUEUE`] messages; the connection's single writer drains it
//! into the socket. An operation whose result does not fit waits, and its stream with it: a
//! subscription follows the log by position, so waiting loses nothing. The writer takes up to
//! [`QUEUE`] results at a time and flushes them with one write. A connection thus holds at most
//! twice [`QUEUE`] results (queued, and being written) plus one per running operation, however
//! fast events arrive.
//!
//! The operations themselves hold their query text and variables while they run: together at
//! most [`MAX_OPERATION_BYTES`] (1 MiB) per connection, counted as JSON text (see
//! [`super::running`]). A `subscribe` that would take them over gets an `error` with
//! `OPERATIONS_TOO_LARGE`, as one past `--ws-max-subscriptions` gets `TOO_MANY_SUBSCRIPTIONS`;
//! the other operations go on. Parsed, a payload takes a small multiple of its text.
//!
//! Before it is acknowledged, a connection counts against its address's
//! `--ws-max-pending-per-address` ([`super::pending`]); a `connection_init` that does not come
//! within `--ws-init-timeout` counts as a failed authentication (`auth_guard`), as a refused
//! key does.
//!
//! A client that stops reading stalls the writer. One write that makes no progress for
//! `--live-send-timeout` ends the connection with 1008 and a reason that says so. No result is
//! written after it, and the close frame can only go after the frames already handed to the
//! socket (tungstenite's write buffer, then the kernel's: megabytes, delivered in order), so the
//! connection stays open up to another `--live-send-timeout` for the client to read them and the
//! close. Then it is dropped: a client that never reads again cannot be told, and sees the
//! connection end after those frames, without a close frame. Either way the client reconnects
//! and resumes with `afterPosition`.

mod finish;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::SinkExt;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::close::Close;
use super::message::{ClientMessage, Id, Invalid, OperationPayload, ServerMessage};
use super::pending::Unacknowledged;
use super::running::{self, Operations, payload_bytes};
use super::{MAX_OPERATION_BYTES, Protocol, Settings};
use crate::auth_guard::LateFailure;
use crate::graphql::RouteState;
use crate::graphql::Scope;
use crate::graphql::live;
use crate::graphql::live::operation::{self, Event, Outcome};

/// Results waiting for the writer, per connection.
pub(super) const QUEUE: usize = 32;

/// The upgrade request's `Authorization`, kept out of logs.
pub(super) struct Authorization(String);

impl Authorization {
    pub(super) fn new(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authorization(***)")
    }
}

/// Whether a write goes out at once or waits in the write buffer for a flush.
#[derive(Debug, Clone, Copy)]
enum Write {
    Now,
    Buffered,
}

/// Why the connection loop stopped.
enum End {
    /// The server closes, with a code and reason.
    Close(Close),
    /// The client sent its close frame.
    ClosedByClient,
    /// The connection failed; nothing more can be sent.
    Gone,
}

impl From<Close> for End {
    fn from(close: Close) -> Self {
        Self::Close(close)
    }
}

impl From<Invalid> for End {
    fn from(invalid: Invalid) -> Self {
        Self::Close(Close::Invalid(invalid))
    }
}

struct Connection {
    socket: WebSocket,
    protocol: Protocol,
    state: RouteState,
    settings: Arc<Settings>,
    /// The limits shared with SSE streams: keep-alive, send timeout.
    live: Arc<live::Settings>,
    authorization: Option<Authorization>,
    /// Where a refused key, or a `connection_init` that never came, is counted against the
    /// client's address (`auth_guard`).
    late_failure: Option<LateFailure>,
    /// Counts the connection against its address until it is acknowledged.
    unacknowledged: Option<Unacknowledged>,
    /// Whether `connection_init` arrived (accepted or not).
    initialised: bool,
    /// The key's scope, once the connection is acknowledged.
    scope: Option<Scope>,
    operations: Operations,
    results: mpsc::Sender<Outcome>,
    queue: mpsc::Receiver<Outcome>,
    keep_alive: Interval,
}

/// What a connection is given at its upgrade, besides the socket.
pub(super) struct Upgraded {
    pub protocol: Protocol,
    /// The upgrade request's own key, for a `connection_init` without one.
    pub authorization: Option<Authorization>,
    pub late_failure: Option<LateFailure>,
    /// `None` when the client's address is unknown.
    pub unacknowledged: Option<Unacknowledged>,
}

/// Serves one upgraded connection until either side ends it.
pub(super) async fn serve(socket: WebSocket, state: RouteState, upgraded: Upgraded) {
    let Upgraded {
        protocol,
        authorization,
        late_failure,
        unacknowledged,
    } = upgraded;
    let settings = state.websockets.settings.clone();
    let live = state.live.settings().clone();
    let (results, queue) = mpsc::channel(QUEUE);
    let period = live.keep_alive;
    let mut keep_alive = tokio::time::interval_at(Instant::now() + period, period);
    keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut connection = Connection {
        socket,
        protocol,
        state,
        settings,
        live,
        authorization,
        late_failure,
        unacknowledged,
        initialised: false,
        scope: None,
        operations: Operations::default(),
        results,
        queue,
        keep_alive,
    };
    let end = connection.run().await;
    connection.finish(end).await;
}

impl Connection {
    async fn run(&mut self) -> End {
        let mut closing = self.state.live.closing();
        if *closing.borrow_and_update() {
            return Close::ShuttingDown.into();
        }
        let init_deadline = tokio::time::sleep(self.settings.init_timeout);
        tokio::pin!(init_deadline);
        loop {
            let step = tokio::select! {
                // A change is the shutdown; so is the sender's end, with the server.
                _ = closing.changed() => Err(Close::ShuttingDown.into()),
                () = &mut init_deadline, if !self.initialised => Err(self.init_timed_out()),
                frame = self.socket.recv() => self.on_frame(frame).await,
                Some(outcome) = self.queue.recv() => self.on_outcomes(outcome).await,
                _ = self.keep_alive.tick(), if self.scope.is_some() => {
                    self.send(ServerMessage::KeepAlive).await
                }
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn on_frame(&mut self, frame: Option<Result<Message, axum::Error>>) -> Result<(), End> {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => return Err(Invalid::Binary.into()),
            // The WebSocket layer answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(()),
            Some(Ok(Message::Close(_))) => return Err(End::ClosedByClient),
            None | Some(Err(_)) => return Err(End::Gone),
        };
        match self.protocol.decode(text.as_str())? {
            ClientMessage::Init(payload) => self.on_init(payload).await,
            ClientMessage::Subscribe { id, payload } => self.on_subscribe(id, payload).await,
            ClientMessage::Complete(id) => {
                // A client may complete an operation the server completed already.
                let stopped = self.operations.stop(&id);
                // The legacy protocol confirms a `stop`; graphql-transport-ws says nothing.
                if stopped && self.protocol == Protocol::Legacy {
                    self.send(ServerMessage::Complete(id)).await?;
                }
                Ok(())
            }
            ClientMessage::Ping(payload) => self.send(ServerMessage::Pong(payload)).await,
            ClientMessage::Pong => Ok(()),
            ClientMessage::Terminate => Err(Close::Terminated.into()),
        }
    }

    /// Checks the key, from the payload or else the upgrade request, and acknowledges.
    async fn on_init(&mut self, payload: Option<Map<String, Value>>) -> Result<(), End> {
        if self.initialised {
            return Err(Close::TooManyInits.into());
        }
        self.initialised = true;
        let from_payload = payload.as_ref().and_then(|payload| {
            payload
                .get("Authorization")
                .or(payload.get("authorization"))
        });
        let presented = match from_payload {
            Some(value) => value.as_str(),
            None => self.authorization.as_ref().map(|header| header.0.as_str()),
        };
        let Ok(scope) = self.state.api_keys.scope_of(presented) else {
            self.report_failed_authentication();
            return Err(Close::Forbidden.into());
        };
        self.scope = Some(scope);
        // Before the ack, so that a client that reads it may count on the room.
        self.unacknowledged = None;
        self.keep_alive.reset();
        self.send(ServerMessage::Ack).await?;
        // The legacy protocol starts its keep-alive right away.
        if self.protocol == Protocol::Legacy {
            self.send(ServerMessage::KeepAlive).await?;
        }
        Ok(())
    }

    /// A client that upgrades and never initialises holds a connection slot for
    /// `--ws-init-timeout` each time; counted as a failed authentication, it runs into
    /// `--auth-failure-limit` as a client guessing keys would.
    fn init_timed_out(&self) -> End {
        self.report_failed_authentication();
        Close::InitTimeout.into()
    }

    fn report_failed_authentication(&self) {
        if let Some(late_failure) = &self.late_failure {
            late_failure.report();
        }
    }

    async fn on_subscribe(&mut self, id: Id, payload: OperationPayload) -> Result<(), End> {
        let Some(scope) = self.scope else {
            return Err(Close::Unauthorized.into());
        };
        if self.operations.contains(&id) {
            return Err(Close::SubscriberExists(id.as_str().to_owned()).into());
        }
        let max = self.settings.max_subscriptions;
        if self.operations.len() >= max {
            let errors = vec![running::too_many_subscriptions(max)];
            return self.send(ServerMessage::Error { id, errors }).await;
        }
        let bytes = payload_bytes(&payload);
        let held = self.operations.bytes();
        if held.saturating_add(bytes) > MAX_OPERATION_BYTES {
            let errors = vec![running::operations_too_large(
                MAX_OPERATION_BYTES,
                held,
                bytes,
            )];
            return self.send(ServerMessage::Error { id, errors }).await;
        }
        let (state, results) = (self.state.clone(), self.results.clone());
        self.operations.start(id.clone(), bytes, |serial| {
            let results = operation::Results::new(id, serial, results);
            tokio::spawn(operation::run(state, scope, payload, results))
        });
        Ok(())
    }

    /// Writes `first` and whatever else is queued already, then flushes once: a subscriber
    /// catching up, or one of many, costs a system call per batch rather than per result.
    async fn on_outcomes(&mut self, first: Outcome) -> Result<(), End> {
        let mut next = Some(first);
        let mut written = 0;
        while let Some(outcome) = next.take() {
            if let Some(message) = self.message_for(outcome) {
                self.write(message, Write::Buffered).await?;
            }
            written += 1;
            if written < QUEUE {
                next = self.queue.try_recv().ok();
            }
        }
        self.flush().await
    }

    /// The message an operation's outcome becomes; `None` once the operation is no longer wanted.
    fn message_for(&mut self, outcome: Outcome) -> Option<ServerMessage> {
        let Outcome { id, serial, event } = outcome;
        if !self.operations.is_current(&id, serial) {
            // Queued before the client completed the operation.
            return None;
        }
        Some(match event {
            Event::Next(payload) => ServerMessage::Next { id, payload },
            Event::Error(errors) => {
                self.operations.stop(&id);
                ServerMessage::Error { id, errors }
            }
            Event::Complete => {
                self.operations.stop(&id);
                ServerMessage::Complete(id)
            }
        })
    }

    /// Writes one message at once.
    async fn send(&mut self, message: ServerMessage) -> Result<(), End> {
        self.write(message, Write::Now).await
    }

    /// Writes one message; a write that makes no progress for `--live-send-timeout` ends the
    /// connection (see the module's documentation).
    async fn write(&mut self, message: ServerMessage, how: Write) -> Result<(), End> {
        let Some(text) = self.protocol.encode(message) else {
            return Ok(());
        };
        let message = Message::text(text);
        let timeout = self.live.send_timeout;
        match how {
            Write::Now => within(timeout, self.socket.send(message)).await,
            Write::Buffered => within(timeout, self.socket.feed(message)).await,
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        within(self.live.send_timeout, self.socket.flush()).await
    }
}

/// A write that must make progress within `timeout`.
async fn within(
    timeout: Duration,
    write: impl Future<Output = Result<(), axum::Error>>,
) -> Result<(), End> {
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(Close::NotReading(timeout).into()),
    }
}
