//! 100 subscribers that never read while 10,000 events arrive: the service's memory stays within
//! the bound the README states, each of them is disconnected after `--ws-send-timeout`, and a
//! subscriber that reads gets every event, in order, without waiting on them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use crate::support::process::ServiceProcess;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TOKEN, TestDb};

const STALLED: usize = 100;
const WRITERS: usize = 8;
const PER_WRITER: usize = 1_250;
const EVENTS: usize = WRITERS * PER_WRITER;
/// What 100 stalled subscribers may add to the service's memory (README, "Slow consumers").
const MEMORY_BOUND: u64 = 256 << 20;
/// How late the reading subscriber may get an event after its webhook was answered: a guard
/// against it waiting on the stalled ones, not a performance figure.
const LATENESS_BOUND: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_subscribers_are_bounded_and_dropped_while_a_reader_keeps_up() {
    let db = TestDb::create(Backend::Sqlite).await;
    let service = ServiceProcess::start_with(&db.url, &["--ws-send-timeout", "2s"]).await;
    let base_rss = service.rss_bytes();
    let subscription = "subscription { events { position payload } }";
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut client = WsClient::connect_small_buffer_to(service.address)
            .await
            .acknowledged(None)
            .await;
        client.subscribe("s", subscription, json!({})).await;
        stalled.push(client);
    }
    let mut reader = WsClient::connect_to(service.address, TRANSPORT)
        .await
        .acknowledged(None)
        .await;
    reader
        .subscribe("s", "subscription { events { position } }", json!({}))
        .await;
    // Subscriptions from now start once the service has them: let them settle.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let acknowledged = Arc::new(Mutex::new(vec![None::<Instant>; EVENTS + 1]));
    let http = reqwest::Client::new();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (http, acknowledged) = (http.clone(), Arc::clone(&acknowledged));
            let url = service.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"));
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let body = json!({
                        "id": format!("slow-{w}"),
                        "phone_number": format!("+1505555{w:04}"),
                        "message": format!("{i} {}", "padding ".repeat(100)),
                        "received_at": "2024-06-01T00:00:00Z",
                        "updated_at": "2024-06-01T00:00:00Z",
                    });
                    let response = http.post(&url).json(&body).send().await.expect("an answer");
                    let at = Instant::now();
                    assert_eq!(response.status(), 200);
                    let receipt: serde_json::Value = response.json().await.expect("a receipt");
                    let position = receipt["position"].as_u64().expect("a position") as usize;
                    acknowledged.lock().await[position] = Some(at);
                }
            })
        })
        .collect();

    let mut peak_rss = base_rss;
    let mut received = Vec::with_capacity(EVENTS);
    let deadline = Instant::now() + Duration::from_secs(120);
    while received.len() < EVENTS {
        assert!(
            Instant::now() < deadline,
            "{} of {EVENTS} events",
            received.len()
        );
        let batch = reader.collect_next("s", 1, Duration::from_secs(30)).await;
        let at = Instant::now();
        for data in batch {
            let position: usize = data["events"]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .expect("a position");
            received.push((position, at));
        }
        if received.len() % 500 == 0 {
            peak_rss = peak_rss.max(service.rss_bytes());
        }
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    peak_rss = peak_rss.max(service.rss_bytes());

    let positions: Vec<usize> = received.iter().map(|(position, _)| *position).collect();
    assert_eq!(positions, (1..=EVENTS).collect::<Vec<_>>(), "the reader");
    let acknowledged = acknowledged.lock().await;
    let latest = received
        .iter()
        .filter_map(|(position, at)| {
            acknowledged[*position].map(|ack| at.saturating_duration_since(ack))
        })
        .max()
        .expect("lateness");
    assert!(
        latest <= LATENESS_BOUND,
        "an event reached the reader {latest:?} after its webhook's 200"
    );
    let added = peak_rss.saturating_sub(base_rss);
    assert!(
        added <= MEMORY_BOUND,
        "100 stalled subscribers added {} MiB",
        added >> 20
    );

    // Each stalled one was disconnected, and reads again only now: what it reads ends with the
    // close (1008) if that is within the second `--ws-send-timeout` the service waited for it,
    // else with the end of the connection after the results already written (1006).
    for client in &mut stalled {
        let (_, (ended, _)) = client.read_to_the_end(Duration::from_secs(10)).await;
        assert!(matches!(ended, 1008 | 1006), "closed with {ended}");
    }
    eprintln!(
        "slow consumers: {STALLED} stalled, {EVENTS} events; memory {} MiB idle, {} MiB at \
         most (+{} MiB); latest event to the reader {latest:?} after its 200",
        base_rss >> 20,
        peak_rss >> 20,
        added >> 20
    );
    service.stop().await;
}
