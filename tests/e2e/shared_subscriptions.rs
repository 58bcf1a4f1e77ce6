//! Identical live subscriptions share one execution; a subscriber that falls behind its group
//! goes on alone from the last result it received, and misses nothing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::ws::{TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, TestApp, spawn_app, spawn_app_with};

on_every_store!(
    identical_live_subscriptions_share_one_execution,
    a_subscriber_behind_its_group_goes_on_alone_without_a_gap,
);

const LIVE: &str = "subscription { events { position kind } }";

fn inbound(n: usize, text: &str) -> String {
    json!({
        "id": format!("c-{n}"),
        "phone_number": format!("+1303555{:04}", n % 5),
        "message": text,
        "received_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    })
    .to_string()
}

fn positions(data: &[Value]) -> Vec<i64> {
    data.iter()
        .map(|d| {
            d["events"]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a position in {d}"))
        })
        .collect()
}

/// Subscribes `client` and waits until the service runs the operation: a ping round trip
/// after the subscribe, then a moment for the execution to start.
async fn subscribe_live(client: &mut WsClient, id: &str, query: &str, variables: Value) {
    client.subscribe(id, query, variables).await;
    client.send(json!({"type": "ping"})).await;
    let pong = client.expect_message().await;
    assert_eq!(pong["type"], "pong", "{pong}");
    tokio::time::sleep(Duration::from_millis(200)).await;
}

async fn connected(app: &TestApp) -> WsClient {
    WsClient::connect(app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await
}

async fn identical_live_subscriptions_share_one_execution(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.metric("mobiniti_subscription_groups").await, 0);
    let mut first = connected(&app).await;
    let mut second = connected(&app).await;
    subscribe_live(&mut first, "a", LIVE, json!({})).await;
    subscribe_live(&mut second, "b", LIVE, json!({})).await;
    assert_eq!(app.metric("mobiniti_subscription_groups").await, 1);

    // Other variables are another execution; a replay from a position runs on its own.
    let by_kind = "subscription($kinds: [EventKind!]) { events(filter: {kinds: $kinds}) \
                   { position kind } }";
    subscribe_live(&mut second, "c", by_kind, json!({"kinds": ["BOUNCE"]})).await;
    let replay = r#"subscription { events(afterPosition: "0") { position kind } }"#;
    subscribe_live(&mut second, "d", replay, json!({})).await;
    assert_eq!(app.metric("mobiniti_subscription_groups").await, 2);

    let mut receipts = Vec::new();
    for n in 0..5 {
        receipts.push(
            app.deliver("inbound-message", inbound(n, "hi"))
                .await
                .position,
        );
    }
    assert_eq!(positions(&first.collect_next("a", 5, WAIT).await), receipts);
    assert_eq!(
        positions(&second.collect_next("b", 5, WAIT).await),
        receipts
    );
    assert_eq!(
        positions(&second.collect_next("d", 5, WAIT).await),
        receipts
    );

    // The group ends with its last subscriber.
    first.send(json!({"id": "a", "type": "complete"})).await;
    second.send(json!({"id": "b", "type": "complete"})).await;
    second.send(json!({"id": "c", "type": "complete"})).await;
    second.send(json!({"type": "ping"})).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.metric("mobiniti_subscription_groups").await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the groups did not end"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_subscriber_behind_its_group_goes_on_alone_without_a_gap(backend: Backend) {
    const EVENTS: usize = 200;
    // The slow subscriber reads nothing while 20 MB are written, which takes 30 s and more on
    // a busy machine: the send timeout must not end it first, it is not what is tested here.
    let flags = ["--ws-group-buffer", "16", "--live-send-timeout", "180s"];
    let app = spawn_app_with(backend, &flags).await;
    let query = "subscription { events { position payload } }";
    let mut fast = connected(&app).await;
    let mut slow = WsClient::connect_small_buffer(&app)
        .await
        .acknowledged(None)
        .await;
    subscribe_live(&mut fast, "f", query, json!({})).await;
    subscribe_live(&mut slow, "s", query, json!({})).await;
    assert_eq!(app.metric("mobiniti_subscription_groups").await, 1);

    // 100 KB a result, 20 MB in all: more than the socket buffers (4 MB at most here), the
    // connection's queue (32) and the group's channel (16) hold, so the group runs past the
    // slow subscriber while it does not read.
    let text = "x".repeat(100_000);
    let writer = {
        let app_client = app.client.clone();
        let url = app.url("/webhooks/mobiniti/inbound-message?token=");
        let text = text.clone();
        tokio::spawn(async move {
            let mut receipts = Vec::new();
            for n in 0..EVENTS {
                let response = app_client
                    .post(format!("{url}{}", crate::support::TOKEN))
                    .body(inbound(n, &text))
                    .send()
                    .await
                    .expect("the service answers");
                let status = response.status();
                let receipt: Value = response.json().await.expect("a receipt");
                assert_eq!(status, 200, "{receipt}");
                receipts.push(receipt["position"].as_i64().expect("a position"));
            }
            receipts
        })
    };
    let wait = Duration::from_secs(60);
    let seen_fast = positions(&fast.collect_next("f", EVENTS, wait).await);
    let receipts = writer.await.expect("the writer finished");
    assert_eq!(seen_fast, receipts);
    let results = slow.collect_next("s", EVENTS, wait).await;
    assert_eq!(positions(&results), receipts);
    assert!(
        results
            .iter()
            .all(|r| r["events"]["payload"]["message"].as_str() == Some(text.as_str())),
        "every result carries its payload"
    );
    // It learns that it fell behind when it takes its next result from the group, once its
    // client reads again.
    assert!(
        app.metric("mobiniti_subscription_group_departures_total")
            .await
            >= 1,
        "the slow subscriber never fell behind its group"
    );
}
