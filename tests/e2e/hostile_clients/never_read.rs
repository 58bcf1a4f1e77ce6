//! Clients that never read: TCP connections that send nothing at all, requests for a large
//! answer that is never read, and SSE streams and WebSocket subscriptions that never read while
//! events arrive. None of them may hold up a client that reads, or grow the process's memory.

use std::net::SocketAddr;

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use super::{ATTACK, SERVED_WITHIN};
use crate::support::hostile::{GoodClient, mib, silent_connections, still_open, warm_up};
use crate::support::process::ServiceProcess;
use crate::support::ws::WsClient;
use crate::support::{Backend, TestDb};

on_every_store!(connections_that_never_read_cost_little_and_hold_up_no_one);

/// Connections that connect and send nothing.
const SILENT: usize = 200;
/// Requests for the large answer below, each on its own connection, never read.
const UNREAD_ANSWERS: usize = 20;
/// SSE streams and WebSocket subscriptions, of each, that never read.
const UNREAD_STREAMS: usize = 10;
/// What all of them together may add to the process's memory. Measured: a few MiB (the
/// benchmark's figures); the bound leaves room for the allocator on a busy machine.
const MEMORY_BOUND: u64 = 64 << 20;

/// The schema's every type, field and argument with their descriptions, four times: a large
/// answer (the test checks it is over 100 kB) that runs no SQL.
const LARGE_ANSWER: &str = "{ a: __schema { ...all } b: __schema { ...all } \
     c: __schema { ...all } d: __schema { ...all } } \
     fragment all on __Schema { types { name description fields { name description \
     args { name description type { name } } type { name kind ofType { name } } } } }";

async fn connections_that_never_read_cost_little_and_hold_up_no_one(backend: Backend) {
    let db = TestDb::create(backend).await;
    let service = ServiceProcess::start_with(&db.url, &["--ws-send-timeout", "2s"]).await;
    let address = service.address;
    assert_the_answer_is_large(&service).await;
    warm_up(address).await;
    let before = service.rss_bytes();

    let reader = GoodClient::queries(address, None);
    let writer = GoodClient::webhooks(address);
    let silent = silent_connections(address, SILENT).await;
    let mut unread = Vec::new();
    for _ in 0..UNREAD_ANSWERS {
        unread.push(send_unread(address, "/graphql", "application/json", LARGE_ANSWER).await);
    }
    let catch_up = "subscription { events(afterPosition: \"0\") { position payload } }";
    for _ in 0..UNREAD_STREAMS {
        unread.push(send_unread(address, "/graphql/stream", "text/event-stream", catch_up).await);
    }
    let mut subscribers = Vec::new();
    for n in 0..UNREAD_STREAMS {
        let client = WsClient::connect_small_buffer_to(address).await;
        let mut client = client.acknowledged(None).await;
        client
            .subscribe(&format!("s{n}"), catch_up, json!({}))
            .await;
        subscribers.push(client);
    }
    tokio::time::sleep(ATTACK).await;
    let during = service.rss_bytes();
    let read = reader.finish().await;
    let written = writer.finish().await;

    let held = silent
        .iter()
        .filter(|connection| still_open(connection))
        .count();
    eprintln!(
        "{backend:?}: RSS {:.1} MiB before, {:.1} MiB during; {held} of {SILENT} silent \
         connections still open after {ATTACK:?}; reader {read:?}; webhooks {written:?}",
        mib(before),
        mib(during),
    );
    read.assert_within("the reader", 10, SERVED_WITHIN);
    written.assert_within("the webhook sender", 10, SERVED_WITHIN);
    assert!(
        during < before + MEMORY_BOUND,
        "RSS grew by {:.1} MiB",
        mib(during.saturating_sub(before))
    );
    drop((silent, unread, subscribers));
    let health = reqwest::get(service.url("/healthz")).await.expect("alive");
    assert_eq!(health.status(), 200);
    service.stop().await;
}

/// Reads the large answer once, to check it is large and answered.
async fn assert_the_answer_is_large(service: &ServiceProcess) {
    let answer = reqwest::Client::new()
        .post(service.url("/graphql"))
        .json(&json!({ "query": LARGE_ANSWER }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 200);
    let body = answer.text().await.expect("a body");
    assert!(body.len() > 100_000, "{} bytes: {body:.300}", body.len());
}

/// POSTs `query` to `path` over a connection that buffers little and is never read.
async fn send_unread(address: SocketAddr, path: &str, accept: &str, query: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    // Set before connecting, so that the window offered in the handshake is small too.
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let mut stream = socket.connect(address).await.expect("connect");
    let body = json!({ "query": query }).to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Accept: {accept}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    stream
}
