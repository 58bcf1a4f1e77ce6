//! Clients that stall: a webhook body that stops arriving is answered 503 after
//! `--request-body-timeout`, so that the sender retries, and one still stalled at shutdown does
//! not keep the process alive past `--shutdown-timeout`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sea_orm::{EntityTrait, PaginatorTrait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TOKEN, TestDb, spawn_app_with};

/// Sends a webhook's head and the first bytes of a 100-byte body, then nothing more.
async fn stalled_webhook(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "POST /webhooks/mobiniti/inbound-message?token={TOKEN} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\": "
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    stream
}

#[tokio::test]
async fn a_stalled_body_is_answered_503_after_the_timeout_so_the_sender_retries() {
    let app = spawn_app_with(Backend::Sqlite, &["--request-body-timeout", "1s"]).await;
    let started = Instant::now();
    let mut stream = stalled_webhook(app.address).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 10 s")
        .expect("read");
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let head = answer.to_ascii_lowercase();
    assert!(head.contains("\r\nretry-after: 5\r\n"), "{answer}");
    assert!(answer.contains(r#""code":"body_unreadable""#), "{answer}");
    assert!(answer.contains("could not be read"), "{answer}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );
    let unreadable = r#"mobiniti_webhooks_total{kind="inbound-message",outcome="unreadable"}"#;
    assert_eq!(app.metric(unreadable).await, 1);
    let db = app.store().await;
    let quarantined = entity::quarantine::Entity::find().count(&db).await;
    assert_eq!(
        quarantined.expect("count"),
        0,
        "a retry will bring the body"
    );
}

#[tokio::test]
async fn shutdown_does_not_wait_past_its_deadline_for_a_stalled_client() {
    let db = TestDb::create(Backend::Sqlite).await;
    let flags = ["--shutdown-timeout", "1s", "--request-body-timeout", "60s"];
    let service = ServiceProcess::start_with(&db.url, &flags).await;
    let _stalled = stalled_webhook(service.address).await;
    // The request is in its handler, waiting for the rest of the body.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    service.stop().await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "stopped after {waited:?}"
    );
}
