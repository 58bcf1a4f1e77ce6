//! One event stream: the operation's results as `next` and `complete` events, keep-alive
//! comments, and how the stream ends.
//!
//! # Memory and slow clients
//!
//! The operation hands each result, encoded once, to a queue of [`QUEUE`] results, the size of a
//! WebSocket connection's. A pump takes what is queued, up to [`QUEUE`] results, writes it as one
//! chunk of whole events, and hands the chunk to the response body, which holds one at a time.
//! An operation whose result does not fit waits, and its stream with it: a subscription follows
//! the log by position, so waiting loses nothing, and the stream holds a bounded number of
//! results whatever the client does.
//!
//! A chunk that the client has not taken within `--live-send-timeout` ends the stream: the
//! operation stops, the connection slot is freed, and the body ends with an error, which makes
//! the server drop the connection rather than end the response as if complete. (The HTTP server
//! polls a body only when it has room to write; what it already buffered stays until the client
//! reads again or its connection fails, a bounded amount.) The client resumes with
//! `afterPosition`.
//!
//! # The end
//!
//! An operation that ends (a query, a subscription that could not run) sends `complete`. When
//! the server shuts down the body simply ends, without `complete`: graphql-sse's client takes
//! that for a lost connection and reconnects, as after a WebSocket's 1001.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::graphql::RouteState;
use crate::graphql::Scope;
use crate::graphql::live::operation::{self, Event, Outcome, Results};
use crate::graphql::live::{Id, OperationPayload};
use crate::graphql::measure::Transport;

/// Results waiting for the pump, per stream.
const QUEUE: usize = 32;

/// A comment line: what a client ignores, and what keeps proxies from closing an idle stream.
const KEEP_ALIVE: &[u8] = b":\n\n";

/// The body's error when the client stopped reading; the server then drops the connection.
#[derive(Debug, thiserror::Error)]
#[error(
    "the client took nothing for {}; resume with afterPosition",
    humantime::format_duration(*.0)
)]
struct NotReading(Duration);

/// Why the pump stopped.
#[derive(Debug)]
enum End {
    /// The operation said its last word (`complete`, after its errors if any).
    Complete,
    /// The server shuts down.
    ShuttingDown,
    /// The client went away: the body was dropped.
    Gone,
    /// A chunk was not taken within `--live-send-timeout`.
    NotReading(Duration),
}

/// A running operation. Dropping it stops its task.
struct Operation(JoinHandle<()>);

impl Drop for Operation {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the operation and answers with its stream.
pub(super) fn respond(
    state: RouteState,
    scope: Scope,
    payload: OperationPayload,
    request: async_graphql::Request,
    slot: OwnedSemaphorePermit,
) -> Response {
    let (results, queue) = mpsc::channel(QUEUE);
    let out = Results::new(Id::only(), 0, results);
    let settings = state.live.settings();
    let pump = Pump {
        queue,
        closing: state.live.closing(),
        keep_alive: settings.keep_alive,
        send_timeout: settings.send_timeout,
    };
    let operation = Operation(tokio::spawn(operation::run_prepared(
        state,
        scope,
        payload,
        request,
        out,
        Transport::ServerSentEvents,
    )));
    let (chunks, body) = mpsc::channel::<Bytes>(1);
    // Set when the client stopped reading, for the body to fail rather than end.
    let stalled = Arc::new(OnceLock::new());
    tokio::spawn({
        let stalled = stalled.clone();
        async move {
            let end = pump.run(&chunks).await;
            tracing::debug!(?end, "a GraphQL over SSE stream ended");
            if let End::NotReading(waited) = end {
                let _ = stalled.set(waited);
            }
            // The operation stops and the slot frees before the body learns that it is over.
            drop((operation, slot));
        }
    });
    let body = stream::unfold(Some(body), move |body| {
        let stalled = stalled.clone();
        async move {
            let mut body = body?;
            match body.recv().await {
                Some(chunk) => Some((Ok(chunk), Some(body))),
                None => stalled.get().map(|waited| (Err(NotReading(*waited)), None)),
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx buffers responses by default, which would hold events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Moves the operation's results into the body, with keep-alive, until the stream ends.
struct Pump {
    queue: mpsc::Receiver<Outcome>,
    closing: watch::Receiver<bool>,
    keep_alive: Duration,
    send_timeout: Duration,
}

impl Pump {
    async fn run(mut self, chunks: &mpsc::Sender<Bytes>) -> End {
        if *self.closing.borrow_and_update() {
            return End::ShuttingDown;
        }
        // A comment first: some clients treat the stream as open only once a byte arrives.
        if let Err(end) = self.send(chunks, Bytes::from_static(KEEP_ALIVE)).await {
            return end;
        }
        let period = self.keep_alive;
        let mut keep_alive = tokio::time::interval_at(Instant::now() + period, period);
        keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                // A change is the shutdown; so is the sender's end, with the server.
                _ = self.closing.changed() => Err(End::ShuttingDown),
                () = chunks.closed() => Err(End::Gone),
                outcome = self.queue.recv() => match outcome {
                    Some(outcome) => {
                        let (chunk, over) = self.batch(outcome);
                        keep_alive.reset();
                        match self.send(chunks, chunk).await {
                            Ok(()) if over => Err(End::Complete),
                            sent => sent,
                        }
                    }
                    // The operation's task ended without a word: it failed, and said so in
                    // the log. Ending without `complete` makes the client retry.
                    None => Err(End::Gone),
                },
                _ = keep_alive.tick() => self.send(chunks, Bytes::from_static(KEEP_ALIVE)).await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// `first` and whatever else is queued already, as one chunk of events, and whether the
    /// operation is over: a subscriber catching up costs a write per batch, not per result.
    fn batch(&mut self, first: Outcome) -> (Bytes, bool) {
        let mut chunk = Vec::new();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(Outcome { event, .. }) = next.take() {
            taken += 1;
            let over = write_event(&mut chunk, event);
            if over {
                return (chunk.into(), true);
            }
            if taken < QUEUE {
                next = self.queue.try_recv().ok();
            }
        }
        (chunk.into(), false)
    }

    /// Hands a chunk to the body; one that is not taken in time means the client stopped
    /// reading (see the module's documentation).
    async fn send(&self, chunks: &mpsc::Sender<Bytes>, chunk: Bytes) -> Result<(), End> {
        match tokio::time::timeout(self.send_timeout, chunks.send(chunk)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::NotReading(self.send_timeout)),
        }
    }
}

/// Appends the event's text to `chunk`; `true` when it is the operation's last.
fn write_event(chunk: &mut Vec<u8>, event: Event) -> bool {
    match event {
        Event::Next(result) => {
            write_next(chunk, result.as_bytes());
            false
        }
        // Errors found before execution are a result too in this protocol, then the end.
        Event::Error(errors) => {
            let result = json!({ "errors": Value::Array(errors) }).to_string();
            write_next(chunk, result.as_bytes());
            write_complete(chunk);
            true
        }
        Event::Complete => {
            write_complete(chunk);
            true
        }
    }
}

/// A `next` event. JSON text has no line breaks outside its strings, where they are escaped,
/// so the result fits on one `data:` line.
fn write_next(chunk: &mut Vec<u8>, result: &[u8]) {
    chunk.extend_from_slice(b"event: next\ndata: ");
    chunk.extend_from_slice(result);
    chunk.extend_from_slice(b"\n\n");
}

/// `complete`, with an empty `data:` line: an `EventSource` does not dispatch an event without
/// data.
fn write_complete(chunk: &mut Vec<u8>) {
    chunk.extend_from_slice(b"event: complete\ndata:\n\n");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Event, write_event};

    fn text(event: Event) -> (String, bool) {
        let mut chunk = Vec::new();
        let over = write_event(&mut chunk, event);
        (String::from_utf8(chunk).expect("UTF-8"), over)
    }

    #[test]
    fn events_are_written_as_the_protocol_says() {
        let result: Arc<str> = r#"{"data":{"a":"x\ny"}}"#.into();
        assert_eq!(
            text(Event::Next(result)),
            (
                "event: next\ndata: {\"data\":{\"a\":\"x\\ny\"}}\n\n".into(),
                false
            )
        );
        assert_eq!(
            text(Event::Complete),
            ("event: complete\ndata:\n\n".into(), true)
        );
        let errors = vec![serde_json::json!({"message": "no"})];
        assert_eq!(
            text(Event::Error(errors)),
            (
                "event: next\ndata: {\"errors\":[{\"message\":\"no\"}]}\n\n\
                 event: complete\ndata:\n\n"
                    .into(),
                true
            )
        );
    }
}
