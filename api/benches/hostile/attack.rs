//! One attack's target: a fresh service on a temporary SQLite file, warmed up, its memory and
//! file descriptors read from `/proc`; and the WebSocket upgrade the attacks use.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::service::Service;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const TOKEN: &str = "bench-token-0123456789abcdef";
/// The read key of the services started with `--api-key`.
pub const KEY: &str = "read-key-0123456789abcdef";

/// A service started for one attack; [`Target::stop`] ends it and removes its store.
#[derive(Debug)]
pub struct Target {
    service: Service,
    _dir: tempfile::TempDir,
    pub address: SocketAddr,
    /// The key its API needs, if it was started with one.
    pub key: Option<&'static str>,
}

impl Target {
    /// Starts the service with `flags` on a fresh store, and sends it one webhook and one query
    /// so that what is loaded on first use is in the idle figure.
    pub async fn start(flags: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let flags: Vec<String> = flags.iter().map(|flag| (*flag).to_owned()).collect();
        let key = flags.iter().any(|flag| flag == "--api-key").then_some(KEY);
        let service = Service::start(&url, TOKEN, &flags).await?;
        let address = service
            .base
            .trim_start_matches("http://")
            .parse()
            .context("the service's address")?;
        let target = Self {
            service,
            _dir: dir,
            address,
            key,
        };
        let http = reqwest::Client::new();
        inbound(&http, address, 0)
            .await
            .context("the warm-up webhook")?;
        crate::good::query(&http, address, key)
            .await
            .map_err(anyhow::Error::msg)
            .context("the warm-up query")?;
        Ok(target)
    }

    /// Its resident memory now, in bytes.
    pub fn rss(&self) -> anyhow::Result<u64> {
        self.service.rss()
    }

    pub fn pid(&self) -> u32 {
        self.service.pid
    }

    /// The file descriptors it holds open now.
    pub fn fds(&self) -> anyhow::Result<usize> {
        let path = format!("/proc/{}/fd", self.service.pid);
        let entries = std::fs::read_dir(&path).with_context(|| format!("reading {path}"))?;
        Ok(entries.count())
    }

    /// Fails if it has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        self.service.ensure_running()
    }

    pub async fn stop(self) {
        self.service.stop().await;
    }
}

/// Posts inbound message `n` (1,000 characters of text) and checks it is answered 200.
pub async fn inbound(http: &reqwest::Client, address: SocketAddr, n: usize) -> anyhow::Result<()> {
    let body = json!({
        "id": format!("c-{n}"), "phone_number": format!("+1303555{:04}", n % 10_000),
        "message": "x".repeat(1_000), "updated_at": "2024-01-01T00:00:00Z",
    });
    let url = format!("http://{address}/webhooks/mobiniti/inbound-message?token={TOKEN}");
    let response = http.post(&url).body(body.to_string()).send().await;
    let status = response.context("posting a webhook")?.status();
    if status != 200 {
        bail!("a webhook was answered {status}");
    }
    Ok(())
}

/// Upgrades `/graphql` (graphql-transport-ws) with `headers`; the status if it was refused. A
/// `small_buffer` connection receives into 4 KiB, so that not reading stalls the service soon.
pub async fn upgrade(
    address: SocketAddr,
    headers: &[(&str, &str)],
    small_buffer: bool,
) -> anyhow::Result<Result<Socket, u16>> {
    let mut request = format!("ws://{address}/graphql").into_client_request()?;
    let protocol = HeaderValue::from_static("graphql-transport-ws");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())?;
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value)?);
    }
    let socket = TcpSocket::new_v4().context("a socket")?;
    if small_buffer {
        socket
            .set_recv_buffer_size(4096)
            .context("a small buffer")?;
    }
    let tcp = socket.connect(address).await.context("connecting")?;
    match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await {
        Ok((socket, _)) => Ok(Ok(socket)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Ok(Err(response.status().as_u16()))
        }
        Err(err) => Err(err).context("upgrading"),
    }
}

/// A `graphql-transport-ws` message.
pub fn message(kind: &str, id: Option<&str>, payload: Value) -> String {
    let mut message = json!({ "type": kind, "payload": payload });
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    message.to_string()
}
