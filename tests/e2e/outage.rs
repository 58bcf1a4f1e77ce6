//! PostgreSQL cut off in the middle of a load, then given back: webhooks are answered 503 with
//! `Retry-After` (never a 4xx, never later than the store timeout allows), `/readyz` says not
//! ready, subscriptions pause; once the store is back everything goes on without a restart, and
//! after the senders retried their 503s the log holds every delivery exactly once, which a
//! subscriber from position 0 receives once each, in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, Proxy, TOKEN, TestApp, TestDb, spawn_on_url};

const WRITERS: u64 = 4;
const PER_WRITER: u64 = 60;
/// `--store-timeout`: how long a request may wait on the store before its 503.
const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// What the senders saw: each delivery's position, and every status answered.
#[derive(Default)]
struct Seen {
    positions: HashMap<u64, i64>,
    statuses: HashMap<u16, usize>,
    slowest: Duration,
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is not set: PostgreSQL run skipped"
)]
async fn a_store_outage_mid_load_loses_and_duplicates_nothing() {
    let db = TestDb::create(Backend::Postgres).await;
    let (proxy, through_proxy) = Proxy::in_front_of(&db.url).await;
    let app = Arc::new(spawn_on_url(db, &through_proxy, &["--store-timeout", "1s"]).await);
    let mut subscriber = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    subscriber
        .subscribe(
            "s",
            r#"subscription { events(afterPosition: "0") { position } }"#,
            json!({}),
        )
        .await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (app, seen) = (Arc::clone(&app), Arc::clone(&seen));
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let n = w * PER_WRITER + i;
                    let position = deliver_until_stored(&app, &seen, n).await;
                    seen.lock().await.positions.insert(n, position);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.cut();
    let mut not_ready = false;
    for _ in 0..40 {
        let ready = app.client.get(app.url("/readyz")).send().await;
        if ready.is_ok_and(|response| response.status() == 503) {
            not_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        not_ready,
        "/readyz turns not ready while the store is cut off"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    for writer in writers {
        writer.await.expect("a writer");
    }

    let seen = seen.lock().await;
    let unexpected: Vec<_> = seen
        .statuses
        .keys()
        .filter(|status| !matches!(status, 200 | 503))
        .collect();
    assert!(
        unexpected.is_empty(),
        "only 200 and 503: {:?}",
        seen.statuses
    );
    assert!(
        seen.statuses.get(&503).is_some_and(|count| *count > 0),
        "the cut was felt: {:?}",
        seen.statuses
    );
    assert!(
        seen.slowest < STORE_TIMEOUT + Duration::from_secs(4),
        "an answer took {:?}",
        seen.slowest
    );
    let outcome = |outcome: &str| {
        format!(r#"mobiniti_webhooks_total{{kind="inbound-message",outcome="{outcome}"}}"#)
    };
    assert_eq!(
        app.metric(&outcome("unavailable")).await,
        seen.statuses[&503] as u64,
        "/metrics counts every 503"
    );
    let stored = app.metric(&outcome("stored")).await;
    let duplicates = app.metric_or_zero(&outcome("duplicate")).await;
    assert_eq!(
        stored + duplicates,
        seen.statuses[&200] as u64,
        "and every 200"
    );
    let total = (WRITERS * PER_WRITER) as i64;
    let mut positions: Vec<i64> = seen.positions.values().copied().collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=total).collect::<Vec<_>>(),
        "every delivery is one event, positions without a hole"
    );
    let received: Vec<i64> = subscriber
        .collect_next("s", total as usize, Duration::from_secs(30))
        .await
        .iter()
        .map(|data| {
            data["events"]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a position in {data}"))
        })
        .collect();
    assert_eq!(received, (1..=total).collect::<Vec<_>>(), "the subscriber");
}

/// Posts delivery `n` until it is stored, as Mobiniti retries; returns its position.
async fn deliver_until_stored(app: &TestApp, seen: &Mutex<Seen>, n: u64) -> i64 {
    let body = json!({
        "id": format!("outage-{}", n % 7),
        "phone_number": format!("+1404555{:04}", n % 7),
        "message": format!("outage test {n}"),
        "received_at": format!("2024-05-01T00:{:02}:{:02}Z", n / 60 % 60, n % 60),
        "updated_at": "2024-05-01T00:00:00Z",
    })
    .to_string();
    let url = app.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"));
    loop {
        let started = Instant::now();
        let response = app
            .client
            .post(&url)
            .body(body.clone())
            .send()
            .await
            .expect("the service answers, also while the store is away");
        let status = response.status().as_u16();
        {
            let mut seen = seen.lock().await;
            *seen.statuses.entry(status).or_default() += 1;
            seen.slowest = seen.slowest.max(started.elapsed());
        }
        if status == 200 {
            let receipt: serde_json::Value = response.json().await.expect("a receipt");
            return receipt["position"].as_i64().expect("a position");
        }
        if status == 503 {
            assert_eq!(response.headers()["retry-after"], "5");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
