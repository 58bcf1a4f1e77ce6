//! Two `mobiniti-events` processes on one PostgreSQL database, sharing nothing but the database:
//! 8 concurrent writers spread over both, subscribers on both that join before, during and after
//! the writes, and one that reads slowly. Each receives every event after its position exactly
//! once, in strictly increasing order, whichever process stored it.

use std::time::Duration;

use serde_json::json;

use crate::support::process::ServiceProcess;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TOKEN, TestDb};

const WRITERS: usize = 8;
const PER_WRITER: usize = 625;
const TOTAL: i64 = (WRITERS * PER_WRITER) as i64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is not set: PostgreSQL run skipped"
)]
async fn two_processes_deliver_every_event_once_in_order() {
    let db = TestDb::create(Backend::Postgres).await;
    let a = ServiceProcess::start(&db.url).await;
    let b = ServiceProcess::start(&db.url).await;
    let http = reqwest::Client::new();

    let early = [subscribe(&a, 0).await, subscribe(&b, 0).await];
    let slow = tokio::spawn(read_slowly(subscribe(&b, 0).await));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let replica = if w % 2 == 0 { &a } else { &b };
            let url = replica.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"));
            let client = http.clone();
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let body = json!({
                        "id": format!("c-{w}"),
                        "phone_number": format!("+130355510{w:02}"),
                        "message": format!("writer {w} message {i}"),
                        "received_at": "2024-01-01T00:00:00Z",
                        "updated_at": "2024-01-01T00:00:00Z",
                    });
                    let response = client
                        .post(&url)
                        .body(body.to_string())
                        .send()
                        .await
                        .expect("the replica answers");
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    // Mid-stream joiners, once some of the events are in.
    wait_for_head(&http, &a, TOTAL / 3).await;
    let middle = [subscribe(&a, 1_000).await, subscribe(&b, 500).await];
    for writer in writers {
        writer.await.expect("a writer finished");
    }
    let late = [subscribe(&b, 0).await, subscribe(&a, TOTAL - 10).await];

    let wait = Duration::from_secs(60);
    for (mut client, after) in early
        .into_iter()
        .zip([0, 0])
        .chain(middle.into_iter().zip([1_000, 500]))
        .chain(late.into_iter().zip([0, TOTAL - 10]))
    {
        let seen = positions(
            client
                .collect_next("s", (TOTAL - after) as usize, wait)
                .await,
        );
        assert_eq!(
            seen,
            (after + 1..=TOTAL).collect::<Vec<_>>(),
            "after {after}"
        );
        // Nothing more for the subscription (the server's keep-alive pings may come).
        while let Some(message) = client.next_message(Duration::from_millis(200)).await {
            assert_ne!(message["type"], "next", "after {after}: {message}");
        }
    }
    let slow = slow.await.expect("the slow reader finished");
    assert_eq!(slow, (1..=TOTAL).collect::<Vec<_>>(), "the slow reader");
    a.stop().await;
    b.stop().await;
}

async fn subscribe(replica: &ServiceProcess, after: i64) -> WsClient {
    let mut client = WsClient::connect_to(replica.address, TRANSPORT)
        .await
        .acknowledged(None)
        .await;
    client
        .subscribe(
            "s",
            "subscription($after: Position) { events(afterPosition: $after) { position } }",
            json!({ "after": after.to_string() }),
        )
        .await;
    client
}

/// Reads one event at a time with a pause every ten, while the writers go on.
async fn read_slowly(mut client: WsClient) -> Vec<i64> {
    let mut seen = Vec::new();
    while seen.len() < TOTAL as usize {
        let next = client.collect_next("s", 1, Duration::from_secs(60)).await;
        seen.extend(positions(next));
        if seen.len() % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    seen
}

async fn wait_for_head(http: &reqwest::Client, replica: &ServiceProcess, position: i64) {
    let query = json!({ "query": "{ events(last: 1) { nodes { position } } }" });
    for _ in 0..600 {
        let answer: serde_json::Value = http
            .post(replica.url("/graphql"))
            .json(&query)
            .send()
            .await
            .expect("the replica answers")
            .json()
            .await
            .expect("JSON");
        let last = answer["data"]["events"]["nodes"][0]["position"]
            .as_str()
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(0);
        if last >= position {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the log did not reach position {position}");
}

fn positions(data: Vec<serde_json::Value>) -> Vec<i64> {
    data.iter()
        .map(|d| {
            d["events"]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a position in {d}"))
        })
        .collect()
}
