//! One WebSocket connection, in either protocol: `connection_init` and the API key, the
//! operations it runs, keep-alive, and how it ends.
//!
//! # Memory and slow clients
//!
//! Each operation runs in its own task ([`super::operation`]) and hands every result, encoded,
//! to one queue per connection of [`QUEUE`] messages; the connection's single writer drains it
//! into the socket. An operation whose result does not fit waits, and its stream with it: a
//! subscription follows the log by position, so waiting loses nothing. The writer takes up to
//! [`QUEUE`] results at a time and flushes them with one write. A connection thus holds at most
//! twice [`QUEUE`] results (queued, and being written) plus one per running operation, however
//! fast events arrive.
//!
//! A client that stops reading stalls the writer. One write that makes no progress for
//! `--ws-send-timeout` ends the connection with 1008 and a reason that says so. No result is
//! written after it, and the close frame can only go after the frames already handed to the
//! socket (tungstenite's write buffer, then the kernel's: megabytes, delivered in order), so the
//! connection stays open up to another `--ws-send-timeout` for the client to read them and the
//! close. Then it is dropped: a client that never reads again cannot be told, and sees the
//! connection end after those frames, without a close frame. Either way the client reconnects
//! and resumes with `afterPosition`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::close::{CLOSE_GRACE, Close, Unsent};
use super::message::{ClientMessage, Id, Invalid, OperationPayload, ServerMessage};
use super::operation::{self, Event, Outcome};
use super::{Protocol, Settings};
use crate::AppState;
use crate::auth_guard::LateFailure;
use crate::graphql::Scope;

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

/// A running operation. Dropping it stops its task.
struct Running {
    serial: u64,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Connection {
    socket: WebSocket,
    protocol: Protocol,
    state: AppState,
    settings: Arc<Settings>,
    authorization: Option<Authorization>,
    /// Where a refused key is counted against the client's address (`auth_guard`).
    late_failure: Option<LateFailure>,
    /// Whether `connection_init` arrived (accepted or not).
    initialised: bool,
    /// The key's scope, once the connection is acknowledged.
    scope: Option<Scope>,
    operations: HashMap<Id, Running>,
    /// Tells a result of a completed operation from one of a later operation with the same id.
    serial: u64,
    results: mpsc::Sender<Outcome>,
    queue: mpsc::Receiver<Outcome>,
    keep_alive: Interval,
}

/// Serves one upgraded connection until either side ends it.
pub(super) async fn serve(
    socket: WebSocket,
    protocol: Protocol,
    state: AppState,
    authorization: Option<Authorization>,
    late_failure: Option<LateFailure>,
) {
    let settings = state.websockets.settings.clone();
    let (results, queue) = mpsc::channel(QUEUE);
    let period = settings.keep_alive;
    let mut keep_alive = tokio::time::interval_at(Instant::now() + period, period);
    keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut connection = Connection {
        socket,
        protocol,
        state,
        settings,
        authorization,
        late_failure,
        initialised: false,
        scope: None,
        operations: HashMap::new(),
        serial: 0,
        results,
        queue,
        keep_alive,
    };
    let end = connection.run().await;
    connection.finish(end).await;
}

impl Connection {
    async fn run(&mut self) -> End {
        let mut closing = self.state.websockets.closing.clone();
        if *closing.borrow_and_update() {
            return Close::ShuttingDown.into();
        }
        let init_deadline = tokio::time::sleep(self.settings.init_timeout);
        tokio::pin!(init_deadline);
        loop {
            let step = tokio::select! {
                // A change is the shutdown; so is the sender's end, with the server.
                _ = closing.changed() => Err(Close::ShuttingDown.into()),
                () = &mut init_deadline, if !self.initialised => Err(Close::InitTimeout.into()),
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
                let stopped = self.operations.remove(&id).is_some();
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
            if let Some(late_failure) = &self.late_failure {
                late_failure.report();
            }
            return Err(Close::Forbidden.into());
        };
        self.scope = Some(scope);
        self.keep_alive.reset();
        self.send(ServerMessage::Ack).await?;
        // The legacy protocol starts its keep-alive right away.
        if self.protocol == Protocol::Legacy {
            self.send(ServerMessage::KeepAlive).await?;
        }
        Ok(())
    }

    async fn on_subscribe(&mut self, id: Id, payload: OperationPayload) -> Result<(), End> {
        let Some(scope) = self.scope else {
            return Err(Close::Unauthorized.into());
        };
        if self.operations.contains_key(&id) {
            return Err(Close::SubscriberExists(id.as_str().to_owned()).into());
        }
        let max = self.settings.max_subscriptions;
        if self.operations.len() >= max {
            let errors = vec![operation::too_many_subscriptions(max)];
            return self.send(ServerMessage::Error { id, errors }).await;
        }
        self.serial += 1;
        let results = operation::Results::new(id.clone(), self.serial, self.results.clone());
        let task = tokio::spawn(operation::run(self.state.clone(), scope, payload, results));
        let running = Running {
            serial: self.serial,
            task,
        };
        self.operations.insert(id, running);
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
        let current = self
            .operations
            .get(&id)
            .is_some_and(|running| running.serial == serial);
        if !current {
            // Queued before the client completed the operation.
            return None;
        }
        Some(match event {
            Event::Next(payload) => ServerMessage::Next { id, payload },
            Event::Error(errors) => {
                self.operations.remove(&id);
                ServerMessage::Error { id, errors }
            }
            Event::Complete => {
                self.operations.remove(&id);
                ServerMessage::Complete(id)
            }
        })
    }

    /// Writes one message at once.
    async fn send(&mut self, message: ServerMessage) -> Result<(), End> {
        self.write(message, Write::Now).await
    }

    /// Writes one message; a write that makes no progress for `--ws-send-timeout` ends the
    /// connection (see the module's documentation).
    async fn write(&mut self, message: ServerMessage, how: Write) -> Result<(), End> {
        let Some(text) = self.protocol.encode(message) else {
            return Ok(());
        };
        let message = Message::text(text);
        let timeout = self.settings.send_timeout;
        match how {
            Write::Now => within(timeout, self.socket.send(message)).await,
            Write::Buffered => within(timeout, self.socket.feed(message)).await,
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        within(self.settings.send_timeout, self.socket.flush()).await
    }

    /// Stops the operations, then closes: the close frame, and the client's answer to it.
    async fn finish(mut self, end: End) {
        self.operations.clear();
        // No result is sent any more: free those queued now, not when the connection ends,
        // which may be another `--ws-send-timeout` away.
        self.queue.close();
        while self.queue.try_recv().is_ok() {}
        let answer_by = match end {
            End::Gone => return,
            End::ClosedByClient => Instant::now() + CLOSE_GRACE,
            End::Close(close) => {
                tracing::debug!(code = close.code(), reason = %close, "closing a WebSocket");
                let deadline = Instant::now() + close.patience();
                if let Err(unsent) = self.send_close(&close, deadline).await {
                    tracing::debug!(
                        code = close.code(),
                        "dropping a WebSocket without its close frame: {unsent}"
                    );
                    return;
                }
                deadline.max(Instant::now() + CLOSE_GRACE)
            }
        };
        // Reading on sends the answer to a client's close frame, and waits for the client's
        // answer to ours: closing TCP with unread input could reset the connection before the
        // client reads the close frame.
        let drained = async { while let Some(Ok(_)) = self.socket.recv().await {} };
        let _ = tokio::time::timeout_at(answer_by, drained).await;
    }

    /// Writes the close frame (after a legacy `connection_error`, for a refusal) by `deadline`.
    /// It goes after every frame already written, so it is out only once the client has read
    /// enough of those to make room for it.
    async fn send_close(&mut self, close: &Close, deadline: Instant) -> Result<(), Unsent> {
        if self.protocol == Protocol::Legacy && close.is_refusal() {
            let refusal = ServerMessage::ConnectionError(close.reason());
            if let Some(text) = self.protocol.encode(refusal) {
                let sent = self.socket.send(Message::text(text));
                tokio::time::timeout_at(deadline, sent)
                    .await
                    .map_err(|_| Unsent::Timeout)?
                    .map_err(Unsent::Failed)?;
            }
        }
        let frame = CloseFrame {
            code: close.code(),
            reason: close.reason().into(),
        };
        let sent = self.socket.send(Message::Close(Some(frame)));
        tokio::time::timeout_at(deadline, sent)
            .await
            .map_err(|_| Unsent::Timeout)?
            .map_err(Unsent::Failed)
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
