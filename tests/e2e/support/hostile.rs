//! Parts of the hostile-client tests: a well-behaved client that keeps being served while an
//! attack runs and reports its worst latency, and raw connections that misbehave on purpose.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TOKEN;

/// How long one request of the well-behaved client may take before it counts as not served: far
/// above any bound a test states, so that a hang is reported as a latency rather than a timeout.
const GIVE_UP: Duration = Duration::from_secs(30);
/// The well-behaved client's pause between requests: a dashboard's pace, not a load.
const PACE: Duration = Duration::from_millis(50);

/// What a well-behaved client saw while it ran.
#[derive(Debug)]
pub struct Served {
    pub answered: usize,
    pub worst: Duration,
    /// Each request that was not answered as it should have been, and why.
    pub failures: Vec<String>,
}

impl Served {
    /// Fails the test unless every request was answered correctly, at least `min` of them, each
    /// within `bound`.
    pub fn assert_within(&self, who: &str, min: usize, bound: Duration) {
        assert!(self.failures.is_empty(), "{who}: {:?}", self.failures);
        assert!(self.answered >= min, "{who}: only {self:?}");
        assert!(
            self.worst <= bound,
            "{who}: worst {:?} > {bound:?}",
            self.worst
        );
    }
}

/// A well-behaved client running in a task of its own until [`GoodClient::finish`].
#[derive(Debug)]
pub struct GoodClient {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Served>,
}

impl GoodClient {
    /// Repeats `request` (given its round) until finished, timing each.
    pub fn start<F, Fut>(request: F) -> Self
    where
        F: Fn(usize) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut served = Served {
                answered: 0,
                worst: Duration::ZERO,
                failures: Vec::new(),
            };
            for round in 0.. {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let started = Instant::now();
                match tokio::time::timeout(GIVE_UP, request(round)).await {
                    Ok(Ok(())) => served.answered += 1,
                    Ok(Err(why)) => served.failures.push(format!("round {round}: {why}")),
                    Err(_) => served.failures.push(format!("round {round}: no answer")),
                }
                served.worst = served.worst.max(started.elapsed());
                tokio::time::sleep(PACE).await;
            }
            served
        });
        Self { stop, task }
    }

    /// A client asking `{ totals { contacts } }` over HTTP, with `key` as a bearer if given.
    pub fn queries(address: SocketAddr, key: Option<&str>) -> Self {
        let http = reqwest::Client::new();
        let url = format!("http://{address}/graphql");
        let key = key.map(str::to_owned);
        Self::start(move |_| {
            let mut request = http
                .post(&url)
                .json(&json!({ "query": "{ totals { contacts } }" }));
            if let Some(key) = &key {
                request = request.bearer_auth(key);
            }
            async move {
                let response = request.send().await.map_err(|err| err.to_string())?;
                let status = response.status();
                let body: Value = response.json().await.map_err(|err| err.to_string())?;
                let answered = status == 200 && body["data"]["totals"]["contacts"].is_u64();
                answered.then_some(()).ok_or(format!("{status} {body}"))
            }
        })
    }

    /// A webhook sender posting a new inbound message each round, answered 200.
    pub fn webhooks(address: SocketAddr) -> Self {
        let http = reqwest::Client::new();
        Self::start(move |round| {
            let http = http.clone();
            async move { inbound(&http, address, round).await.map(|_| ()) }
        })
    }

    /// Stops the client and returns what it saw.
    pub async fn finish(self) -> Served {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the well-behaved client's task")
    }
}

/// Posts inbound message number `n` (1,000 characters of text); its position once stored.
pub async fn inbound(http: &reqwest::Client, address: SocketAddr, n: usize) -> Result<i64, String> {
    let body = json!({
        "id": format!("c-{n}"), "phone_number": format!("+1303555{:04}", n % 10_000),
        "message": "x".repeat(1_000), "updated_at": "2024-01-01T00:00:00Z",
    });
    let url = format!("http://{address}/webhooks/mobiniti/inbound-message?token={TOKEN}");
    let sent = http.post(url).body(body.to_string()).send().await;
    let response = sent.map_err(|err| err.to_string())?;
    let status = response.status();
    let receipt: Value = response.json().await.map_err(|err| err.to_string())?;
    match receipt["position"].as_i64() {
        Some(position) if status == 200 => Ok(position),
        _ => Err(format!("{status} {receipt}")),
    }
}

/// Brings the service to its steady state before anything is measured: the first webhook
/// loads the phone-number metadata (a second or more in a debug build), which an attack must
/// not be blamed for. Returns the position of the message it posted.
pub async fn warm_up(address: SocketAddr) -> i64 {
    let http = reqwest::Client::new();
    inbound(&http, address, 999_999)
        .await
        .expect("the first webhook")
}

/// `n` TCP connections to `address` that send nothing.
pub async fn silent_connections(address: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut connections = Vec::with_capacity(n);
    for _ in 0..n {
        connections.push(TcpStream::connect(address).await.expect("connect"));
    }
    connections
}

/// Whether the service still holds `connection` open: nothing to read and no end seen. What it
/// sent meanwhile (an answer to a request) counts as open, and is read past.
pub fn still_open(connection: &TcpStream) -> bool {
    let mut buffer = [0; 4096];
    loop {
        match connection.try_read(&mut buffer) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

/// A WebSocket upgrade of `/graphql` offering graphql-transport-ws, with `headers`; the
/// upgrade's status if the service refused it.
pub async fn upgrade(
    address: SocketAddr,
    headers: &[(&str, &str)],
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, u16> {
    let url = format!("ws://{address}/graphql");
    let mut request = url.into_client_request().expect("a WebSocket URL");
    let protocol = HeaderValue::from_static("graphql-transport-ws");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        let value = HeaderValue::from_str(value).expect("a header value");
        request.headers_mut().insert(name, value);
    }
    let tcp = TcpStream::connect(address).await.expect("connect");
    match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(err) => panic!("upgrading: {err}"),
    }
}

/// Memory growth in MiB, for messages.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}
