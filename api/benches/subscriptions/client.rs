//! A `graphql-transport-ws` client: one connection, one subscription, and a task that reads it,
//! answers the server's pings, and records when each event arrived.
//!
//! Arrival times are taken as the frame is read, before it is parsed. Each subscriber keeps its
//! own list, returned when it is stopped; its progress (events received, last position) is
//! readable meanwhile without locking.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, TryStreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long connecting and the `connection_init` / `connection_ack` exchange may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// An event as it reached a subscriber.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    pub position: i64,
    pub at: Instant,
}

/// What a subscriber's reader has done so far.
#[derive(Debug, Default)]
pub struct Progress {
    pub received: AtomicU64,
    pub last: AtomicI64,
    /// Set when the reader stopped on its own: the connection or the subscription failed.
    pub ended: AtomicBool,
}

/// One open connection with one subscription, read by its own task.
#[derive(Debug)]
pub struct Subscriber {
    pub progress: Arc<Progress>,
    /// When the `subscribe` message was sent.
    pub subscribed_at: Instant,
    task: JoinHandle<anyhow::Result<Vec<Received>>>,
}

/// The messages of the server, as far as this client reads them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage {
    ConnectionAck,
    Ping,
    Pong,
    Next { payload: NextPayload },
    Error { payload: serde_json::Value },
    Complete,
}

#[derive(Debug, Deserialize)]
struct NextPayload {
    data: Option<EventsData>,
    errors: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct EventsData {
    events: EventItem,
}

#[derive(Debug, Deserialize)]
struct EventItem {
    /// The `Position` scalar: decimal digits in a string.
    position: String,
}

impl Subscriber {
    /// Connects to `url`, waits for `connection_ack`, subscribes with `query` (an `events`
    /// subscription selecting `position`), and starts reading; the reader ends when `stop`
    /// turns true.
    pub async fn open(url: &str, query: &str, stop: watch::Receiver<bool>) -> anyhow::Result<Self> {
        let subscribe = serde_json::json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": query },
        });
        let (socket, subscribed_at) = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            let mut socket = handshake(url).await?;
            let subscribed_at = Instant::now();
            socket
                .send(Message::text(subscribe.to_string()))
                .await
                .context("sending subscribe")?;
            anyhow::Ok((socket, subscribed_at))
        })
        .await
        .with_context(|| format!("no connection_ack from {url} within 15 s"))??;
        let progress = Arc::new(Progress::default());
        let task = tokio::spawn(read(socket, progress.clone(), stop));
        Ok(Self {
            progress,
            subscribed_at,
            task,
        })
    }

    /// Waits for the reader to end (after `stop`, or on its own) and returns what it received.
    pub async fn finish(self) -> anyhow::Result<Vec<Received>> {
        self.task.await.context("a subscriber's reader panicked")?
    }
}

/// Opens `count` subscribers, at most `concurrency` connecting at once, printing progress.
pub async fn open_many(
    url: &str,
    query: &str,
    count: usize,
    concurrency: usize,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<Subscriber>> {
    let started = Instant::now();
    let step = (count / 10).max(1);
    let mut opened = Vec::with_capacity(count);
    let mut pending = futures_util::stream::iter(0..count)
        .map(|n| {
            let stop = stop.clone();
            async move {
                Subscriber::open(url, query, stop)
                    .await
                    .with_context(|| format!("opening subscriber {n}"))
            }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(subscriber) = pending.try_next().await? {
        opened.push(subscriber);
        if opened.len() % step == 0 || opened.len() == count {
            println!(
                "    {:>6} connections acknowledged ({:.1?})",
                opened.len(),
                started.elapsed()
            );
        }
    }
    Ok(opened)
}

/// Waits until every subscriber has received `position`; false if `timeout` passed first. Fails
/// as soon as one of them stopped on its own.
pub async fn wait_for(
    subscribers: &[Subscriber],
    position: i64,
    timeout: Duration,
) -> anyhow::Result<bool> {
    let limit = Instant::now() + timeout;
    loop {
        let mut behind = 0;
        for (n, subscriber) in subscribers.iter().enumerate() {
            if subscriber.progress.ended.load(Ordering::Acquire) {
                bail!("subscriber {n} stopped before position {position} (its error follows)");
            }
            if subscriber.progress.last.load(Ordering::Acquire) < position {
                behind += 1;
            }
        }
        if behind == 0 {
            return Ok(true);
        }
        if Instant::now() >= limit {
            println!(
                "    {behind} of {} subscribers short of position {position}",
                subscribers.len()
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Ends every subscriber's reader and returns what each received, in their order; fails with
/// the first reader's error.
pub async fn finish_all(
    stop: &watch::Sender<bool>,
    subscribers: Vec<Subscriber>,
) -> anyhow::Result<Vec<Vec<Received>>> {
    let _ = stop.send(true);
    let finished =
        futures_util::future::join_all(subscribers.into_iter().map(Subscriber::finish)).await;
    finished
        .into_iter()
        .enumerate()
        .map(|(n, received)| received.with_context(|| format!("subscriber {n}")))
        .collect()
}

/// What a phase measured and what its subscribers received; a reader's error, being the cause,
/// comes before the phase's own.
pub fn joined<T>(
    outcome: anyhow::Result<T>,
    received: anyhow::Result<Vec<Vec<Received>>>,
) -> anyhow::Result<(T, Vec<Vec<Received>>)> {
    match (outcome, received) {
        (Ok(outcome), Ok(received)) => Ok((outcome, received)),
        (Err(err), Err(cause)) => Err(cause.context(format!("{err:#}"))),
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => Err(err),
    }
}

/// Connects with the `graphql-transport-ws` subprotocol and completes `connection_init`.
async fn handshake(url: &str) -> anyhow::Result<Socket> {
    let mut request = url
        .into_client_request()
        .with_context(|| format!("{url} is not a WebSocket URL"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    // Small buffers: 10,000 connections at tungstenite's default 128 KiB would cost this
    // process more than a gigabyte, while every message here is well under 4 KiB.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, response) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true)
            .await
            .with_context(|| format!("connecting to {url}"))?;
    let protocol = response.headers().get("Sec-WebSocket-Protocol");
    if protocol.is_none_or(|p| p != "graphql-transport-ws") {
        bail!("{url} did not accept the graphql-transport-ws subprotocol: {protocol:?}");
    }
    socket
        .send(Message::text(r#"{"type":"connection_init","payload":{}}"#))
        .await
        .context("sending connection_init")?;
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => bail!("closed before connection_ack: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err).context("reading connection_ack"),
            None => bail!("the connection ended before connection_ack"),
        };
        match parse(&text)? {
            ServerMessage::ConnectionAck => return Ok(socket),
            ServerMessage::Ping => pong(&mut socket).await?,
            _ => bail!("expected connection_ack, got {text}"),
        }
    }
}

/// The reader: records every event, answers pings, and fails on anything unexpected.
async fn read(
    socket: Socket,
    progress: Arc<Progress>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Received>> {
    let result = read_until_stopped(socket, &progress, stop).await;
    progress.ended.store(true, Ordering::Release);
    result
}

async fn read_until_stopped(
    mut socket: Socket,
    progress: &Progress,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Received>> {
    let mut received = Vec::new();
    loop {
        let frame = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            frame = socket.next() => frame,
        };
        let at = Instant::now();
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => bail!("the server closed the connection: {frame:?}"),
            // WebSocket pings are answered by tungstenite itself.
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err).context("reading the subscription"),
            None => bail!("the connection ended"),
        };
        match parse(&text)? {
            ServerMessage::Next { payload } => {
                let position = position_of(payload).with_context(|| format!("in {text}"))?;
                received.push(Received { position, at });
                progress.last.store(position, Ordering::Release);
                progress.received.fetch_add(1, Ordering::Release);
            }
            ServerMessage::Ping => pong(&mut socket).await?,
            ServerMessage::Pong => {}
            ServerMessage::Error { payload } => bail!("the subscription failed: {payload}"),
            ServerMessage::Complete => bail!("the server completed the subscription"),
            ServerMessage::ConnectionAck => bail!("a second connection_ack"),
        }
    }
    // A polite close; the measurement is over, so a slow or failed one does not matter.
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
    Ok(received)
}

fn parse(text: &str) -> anyhow::Result<ServerMessage> {
    serde_json::from_str(text).with_context(|| format!("an unexpected message: {text}"))
}

fn position_of(payload: NextPayload) -> anyhow::Result<i64> {
    if let Some(errors) = payload.errors {
        bail!("the event came with errors: {errors}");
    }
    let data = payload.data.context("a next message without data")?;
    data.events
        .position
        .parse()
        .context("the position is not a number")
}

async fn pong(socket: &mut Socket) -> anyhow::Result<()> {
    socket
        .send(Message::text(r#"{"type":"pong"}"#))
        .await
        .context("answering the server's ping")
}
