//! A GraphQL-over-WebSocket client for the tests, in either protocol: JSON messages read with a
//! timeout, and the close code and reason when the service closes.
//!
//! ```ignore
//! let mut client = WsClient::connect(&app, TRANSPORT, None).await;
//! client.init(None).await.expect("acknowledged");
//! client.subscribe("1", "subscription { events { position } }", json!({})).await;
//! let data = client.collect_next("1", 1, WAIT).await;
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

/// graphql-transport-ws, the protocol of the `graphql-ws` library.
pub const TRANSPORT: &str = "graphql-transport-ws";
/// The legacy protocol of subscriptions-transport-ws.
pub const LEGACY: &str = "graphql-ws";
/// How long the `expect_*` helpers wait.
pub const WAIT: Duration = Duration::from_secs(5);

/// An upgrade the service did not take: its status and body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

/// What one read found.
#[derive(Debug)]
enum Received {
    Message(Value),
    Closed(u16, String),
    Nothing,
}

/// One WebSocket connection to the service.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    subprotocol: Option<String>,
    /// Messages `collect_next` read past, for the next reads.
    kept: VecDeque<Value>,
}

impl WsClient {
    /// Connects to `/graphql` offering `protocol`, with `Authorization: Bearer key` if given.
    pub async fn connect(app: &TestApp, protocol: &str, key: Option<&str>) -> Self {
        let authorization = key.map(|key| format!("Bearer {key}"));
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        Self::try_connect(app, "/graphql", &[protocol], &headers)
            .await
            .unwrap_or_else(|refused| panic!("the upgrade was refused: {refused:?}"))
    }

    /// Connects to `path`, offering `protocols` (none: no `Sec-WebSocket-Protocol` at all).
    pub async fn try_connect(
        app: &TestApp,
        path: &str,
        protocols: &[&str],
        headers: &[(&str, &str)],
    ) -> Result<Self, Refused> {
        let tcp = TcpStream::connect(app.address).await.expect("connect");
        Self::handshake(tcp, app.address, path, protocols, headers).await
    }

    /// Connects to `/graphql` of a service at `address` (one the test started as a process)
    /// offering `protocol`, without a key.
    pub async fn connect_to(address: SocketAddr, protocol: &str) -> Self {
        let tcp = TcpStream::connect(address).await.expect("connect");
        Self::handshake(tcp, address, "/graphql", &[protocol], &[])
            .await
            .unwrap_or_else(|refused| panic!("the upgrade was refused: {refused:?}"))
    }

    /// Connects to `/graphql` with graphql-transport-ws over a socket that buffers little, so a
    /// client that stops reading stalls the service's writes soon.
    pub async fn connect_small_buffer(app: &TestApp) -> Self {
        Self::connect_small_buffer_with(app, TRANSPORT).await
    }

    /// The same, offering `protocol`.
    pub async fn connect_small_buffer_with(app: &TestApp, protocol: &str) -> Self {
        Self::small_buffer(app.address, protocol).await
    }

    /// The same, to a service at `address`.
    pub async fn connect_small_buffer_to(address: SocketAddr) -> Self {
        Self::small_buffer(address, TRANSPORT).await
    }

    async fn small_buffer(address: SocketAddr, protocol: &str) -> Self {
        let socket = TcpSocket::new_v4().expect("a socket");
        // Set before connecting, so that the window offered in the handshake is small too.
        socket.set_recv_buffer_size(4096).expect("a small buffer");
        let tcp = socket.connect(address).await.expect("connect");
        Self::handshake(tcp, address, "/graphql", &[protocol], &[])
            .await
            .unwrap_or_else(|refused| panic!("the upgrade was refused: {refused:?}"))
    }

    async fn handshake(
        tcp: TcpStream,
        address: SocketAddr,
        path: &str,
        protocols: &[&str],
        headers: &[(&str, &str)],
    ) -> Result<Self, Refused> {
        let url = format!("ws://{address}{path}");
        let mut request = url.into_client_request().expect("a WebSocket URL");
        if !protocols.is_empty() {
            let offered = HeaderValue::from_str(&protocols.join(", ")).expect("a header value");
            request
                .headers_mut()
                .insert("sec-websocket-protocol", offered);
        }
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            let value = HeaderValue::from_str(value).expect("a header value");
            request.headers_mut().insert(name, value);
        }
        match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await {
            Ok((socket, response)) => {
                let subprotocol = response
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                Ok(Self {
                    socket,
                    subprotocol,
                    kept: VecDeque::new(),
                })
            }
            Err(Error::Http(response)) => Err(Refused {
                status: response.status().as_u16(),
                body: String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                    .into_owned(),
            }),
            Err(err) => panic!("connecting to {path}: {err}"),
        }
    }

    /// The subprotocol the service chose, as it echoed it.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    fn is_legacy(&self) -> bool {
        self.subprotocol() == Some(LEGACY)
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    /// Sends any text, well-formed or not.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("the message is sent");
    }

    /// Sends `connection_init` (with `payload` if given); the ack, or the close code and reason
    /// if the service refused (a legacy `connection_error` before it is skipped).
    pub async fn init(&mut self, payload: Option<Value>) -> Result<Value, (u16, String)> {
        let message = match payload {
            Some(payload) => json!({ "type": "connection_init", "payload": payload }),
            None => json!({ "type": "connection_init" }),
        };
        self.send(message).await;
        loop {
            match self.receive(WAIT).await {
                Received::Message(message) if message["type"] == "connection_ack" => {
                    return Ok(message);
                }
                Received::Message(message) if message["type"] == "connection_error" => {}
                Received::Message(message) => panic!("expected connection_ack, got {message}"),
                Received::Closed(code, reason) => return Err((code, reason)),
                Received::Nothing => panic!("no connection_ack within {WAIT:?}"),
            }
        }
    }

    /// Sends `init` and fails the test unless it is acknowledged.
    pub async fn acknowledged(mut self, payload: Option<Value>) -> Self {
        if let Err(close) = self.init(payload).await {
            panic!("connection_init was refused: {close:?}");
        }
        self
    }

    /// Starts an operation: `subscribe` (legacy: `start`).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.is_legacy() {
            "start"
        } else {
            "subscribe"
        };
        let payload = json!({ "query": query, "variables": variables });
        self.send(json!({ "id": id, "type": kind, "payload": payload }))
            .await;
    }

    /// Stops an operation: `complete` (legacy: `stop`).
    pub async fn complete(&mut self, id: &str) {
        let kind = if self.is_legacy() { "stop" } else { "complete" };
        self.send(json!({ "id": id, "type": kind })).await;
    }

    /// The next message within `timeout`, or `None`; fails the test if the service closes.
    pub async fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        match self.receive(timeout).await {
            Received::Message(message) => Some(message),
            Received::Closed(code, reason) => panic!("the service closed: {code} {reason}"),
            Received::Nothing => None,
        }
    }

    /// The next message within `timeout`, or the close code and reason; fails the test if
    /// neither comes.
    pub async fn next_message_or_close(
        &mut self,
        timeout: Duration,
    ) -> Result<Value, (u16, String)> {
        match self.receive(timeout).await {
            Received::Message(message) => Ok(message),
            Received::Closed(code, reason) => Err((code, reason)),
            Received::Nothing => panic!("neither a message nor the close within {timeout:?}"),
        }
    }

    /// Every message until the connection ends, and how it ended: the close code and reason,
    /// or 1006 when it ended without a close frame. Fails the test if `each` passes without a
    /// message or the end.
    pub async fn read_to_the_end(&mut self, each: Duration) -> (Vec<Value>, (u16, String)) {
        let mut messages = Vec::new();
        loop {
            match self.next_message_or_close(each).await {
                Ok(message) => messages.push(message),
                Err(close) => return (messages, close),
            }
        }
    }

    /// The next message; fails the test if none comes within [`WAIT`].
    pub async fn expect_message(&mut self) -> Value {
        self.next_message(WAIT)
            .await
            .unwrap_or_else(|| panic!("no message within {WAIT:?}"))
    }

    /// The close code and reason; fails the test on a message, or on nothing within [`WAIT`].
    pub async fn expect_close(&mut self) -> (u16, String) {
        match self.receive(WAIT).await {
            Received::Closed(code, reason) => (code, reason),
            Received::Message(message) => panic!("expected the close, got {message}"),
            Received::Nothing => panic!("the service did not close within {WAIT:?}"),
        }
    }

    /// Fails the test if any message comes within `duration`.
    pub async fn expect_silence(&mut self, duration: Duration) {
        if let Some(message) = self.next_message(duration).await {
            panic!("expected nothing, got {message}");
        }
    }

    /// `payload.data` of the first `n` results (`next`, legacy `data`) for `id`; fails the test
    /// on an `error` for `id`, or if the `n` do not all come within `timeout`. Other messages
    /// read meanwhile (other operations', keep-alives) are kept for the next reads.
    pub async fn collect_next(&mut self, id: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut found = Vec::with_capacity(n);
        let mut passed = VecDeque::new();
        let mut kept = std::mem::take(&mut self.kept);
        while found.len() < n {
            let message = match kept.pop_front() {
                Some(message) => message,
                None => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    let Some(message) = self.next_message(left).await else {
                        let got = found.len();
                        panic!("{got} of {n} results for {id} within {timeout:?}: {found:?}");
                    };
                    message
                }
            };
            if message["id"] != id {
                passed.push_back(message);
                continue;
            }
            match message["type"].as_str() {
                Some("next" | "data") => found.push(message["payload"]["data"].clone()),
                Some("error") => panic!("operation {id} failed: {message}"),
                Some("complete") => panic!("operation {id} completed after {found:?}"),
                _ => panic!("unexpected message for {id}: {message}"),
            }
        }
        passed.append(&mut kept);
        self.kept = passed;
        found
    }

    async fn receive(&mut self, timeout: Duration) -> Received {
        if let Some(message) = self.kept.pop_front() {
            return Received::Message(message);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Received::Nothing,
                Ok(None) => return Received::Closed(1006, String::new()),
                Ok(Some(frame)) => frame,
            };
            match frame {
                Ok(Message::Text(text)) => {
                    let message = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|err| panic!("the service sent {text}: {err}"));
                    return Received::Message(message);
                }
                Ok(Message::Close(Some(frame))) => {
                    return Received::Closed(frame.code.into(), frame.reason.to_string());
                }
                Ok(Message::Close(None)) => return Received::Closed(1005, String::new()),
                Ok(Message::Binary(_)) => panic!("the service sent a binary message"),
                Ok(_) => {}
                // Like a browser, the end of the connection without a close frame is 1006.
                Err(err) => return Received::Closed(1006, err.to_string()),
            }
        }
    }
}

/// The text of the first `next` or `error` message of one operation over graphql-transport-ws,
/// as the service wrote it (for byte comparisons), with `Authorization: Bearer key` in
/// `connection_init` if given.
pub async fn first_result_text(app: &TestApp, key: Option<&str>, payload: Value) -> String {
    let mut client = WsClient::connect(app, TRANSPORT, None).await;
    let init = key.map(|key| json!({ "Authorization": format!("Bearer {key}") }));
    if let Err(close) = client.init(init).await {
        panic!("connection_init was refused: {close:?}");
    }
    client
        .send(json!({ "id": "1", "type": "subscribe", "payload": payload }))
        .await;
    loop {
        let frame = tokio::time::timeout(WAIT, client.socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame
            && (text.contains("\"next\"") || text.contains("\"error\""))
        {
            return text.to_string();
        }
    }
}
