//! Server-Sent Events streams whose clients never read while events arrive: the service's
//! memory stays within the README's bound, and each stream's operation ends after
//! `--ws-send-timeout`, giving its connection slot back.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TOKEN, TestDb, series};

const STALLED: usize = 50;
const EVENTS: usize = 3_000;
const WRITERS: usize = 4;
/// What the stalled streams may add to the service's memory (README, "Slow consumers").
const MEMORY_BOUND: u64 = 256 << 20;
const LIVE: &str = r#"mobiniti_subscribers{transport="sse"}"#;

/// Opens a stream of every event with its payload, on a socket with a small receive buffer,
/// and never reads from it.
async fn stalled_stream(service: &ServiceProcess) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let mut tcp = socket.connect(service.address).await.expect("connect");
    let body = json!({ "query": "subscription { events { position payload } }" }).to_string();
    let request = format!(
        "POST /graphql/stream HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        service.address,
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.expect("send");
    tcp
}

/// `query` over `/graphql/stream`, answered as it comes.
async fn stream(
    http: &reqwest::Client,
    service: &ServiceProcess,
    query: &str,
) -> reqwest::Response {
    http.post(service.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("an answer")
}

async fn scrape(http: &reqwest::Client, service: &ServiceProcess, name: &str) -> u64 {
    let text = http
        .get(service.url("/metrics"))
        .send()
        .await
        .expect("a scrape")
        .text()
        .await
        .expect("text");
    series(&text, name).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_streams_are_bounded_and_let_go() {
    let db = TestDb::create(Backend::Sqlite).await;
    let max = STALLED.to_string();
    let flags = ["--ws-send-timeout", "1s", "--ws-max-connections", &max];
    let service = ServiceProcess::start_with(&db.url, &flags).await;
    let http = reqwest::Client::new();
    let base_rss = service.rss_bytes();
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        stalled.push(stalled_stream(&service).await);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while scrape(&http, &service, LIVE).await < STALLED as u64 {
        assert!(Instant::now() < deadline, "the streams did not all start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let full = stream(&http, &service, "subscription { events { position } }").await;
    assert_eq!(full.status(), 503, "every slot is taken");

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let http = http.clone();
            let url = service.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"));
            tokio::spawn(async move {
                for i in 0..EVENTS / WRITERS {
                    let body = json!({
                        "id": format!("sse-slow-{w}"),
                        "phone_number": format!("+1505556{w:04}"),
                        "message": format!("{i} {}", "padding ".repeat(100)),
                        "received_at": "2024-06-01T00:00:00Z",
                        "updated_at": "2024-06-01T00:00:00Z",
                    });
                    let response = http.post(&url).json(&body).send().await.expect("an answer");
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    let mut peak_rss = base_rss;
    for writer in writers {
        writer.await.expect("a writer");
        peak_rss = peak_rss.max(service.rss_bytes());
    }

    // Their operations end once a send has waited `--ws-send-timeout`, and the slots free.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        peak_rss = peak_rss.max(service.rss_bytes());
        if scrape(&http, &service, LIVE).await == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "stalled streams still run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let added = peak_rss.saturating_sub(base_rss);
    assert!(
        added <= MEMORY_BOUND,
        "{STALLED} stalled streams added {} MiB",
        added >> 20
    );
    let again = stream(&http, &service, "{ events(first: 1) { totalCount } }").await;
    assert_eq!(again.status(), 200, "a slot is free again");
    let text = again.text().await.expect("the stream");
    assert!(text.contains(&format!("\"totalCount\":{EVENTS}")), "{text}");
    eprintln!(
        "sse slow consumers: {STALLED} stalled, {EVENTS} events; memory {} MiB idle, {} MiB at \
         most (+{} MiB)",
        base_rss >> 20,
        peak_rss >> 20,
        added >> 20
    );
    drop(stalled);
    service.stop().await;
}
