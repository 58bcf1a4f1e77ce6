//! Connections that say nothing, through the binary: one that never sends a request, one that
//! sends half a header, one kept alive and left idle. Each is closed after
//! `--request-header-timeout`, so they cannot pile up and take every socket, while a client
//! that sends its requests is served throughout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, spawn_binary_with};

on_every_store!(silent_connections_are_closed_after_the_header_timeout);

const TIMEOUT: Duration = Duration::from_millis(500);

/// How long a closed connection may take to be seen closed (not a performance bound).
const GRACE: Duration = Duration::from_secs(5);

/// What the service sent before it closed `stream`, and when it closed it.
async fn until_closed(mut stream: TcpStream) -> (String, Instant) {
    let mut received = Vec::new();
    tokio::time::timeout(GRACE, stream.read_to_end(&mut received))
        .await
        .expect("the service closes the connection")
        .ok();
    (
        String::from_utf8_lossy(&received).into_owned(),
        Instant::now(),
    )
}

async fn open(address: SocketAddr) -> TcpStream {
    TcpStream::connect(address).await.expect("connect")
}

async fn totals(app: &TestApp) {
    let answer: serde_json::Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ totals { contacts } }" }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["data"]["totals"]["contacts"], 0, "{answer}");
}

async fn silent_connections_are_closed_after_the_header_timeout(backend: Backend) {
    let app = spawn_binary_with(backend, &["--request-header-timeout", "500ms"]).await;
    let started = Instant::now();

    let silent: Vec<TcpStream> =
        futures_util::future::join_all((0..50).map(|_| open(app.address))).await;
    let mut half = open(app.address).await;
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        .await
        .expect("send");
    let mut kept = open(app.address).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("send");

    // Served while they wait.
    totals(&app).await;

    let closings = futures_util::future::join_all(silent.into_iter().map(until_closed)).await;
    for (sent, closed) in &closings {
        assert!(
            sent.is_empty(),
            "nothing is sent to a silent client: {sent}"
        );
        let after = closed.duration_since(started);
        assert!(
            after >= TIMEOUT,
            "closed after {after:?}, before the timeout"
        );
    }
    let (sent, closed) = until_closed(half).await;
    assert!(sent.is_empty(), "half a request is not answered: {sent:?}");
    assert!(closed.duration_since(started) >= TIMEOUT);
    let (sent, closed) = until_closed(kept).await;
    assert!(
        sent.starts_with("HTTP/1.1 200"),
        "the request is answered first: {sent:?}"
    );
    assert!(closed.duration_since(started) >= TIMEOUT);

    totals(&app).await;
    app.stop().await;
}
