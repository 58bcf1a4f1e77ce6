//! `GET /metrics` after known traffic: every outcome of a webhook, the latency histograms, the
//! appends and their batches, GraphQL operations by name and outcome, live subscribers and the
//! store's pool, each with the number the traffic implies.

use std::time::Duration;

use serde_json::json;

use crate::support::sse::SseStream;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, KINDS, TestApp, series, spawn_app_with, vendor_example};

on_every_store!(the_scrape_counts_what_the_traffic_did);

async fn the_scrape_counts_what_the_traffic_did(backend: Backend) {
    let app = spawn_app_with(backend, &["--webhook-body-limit", "4096"]).await;
    for kind in KINDS {
        assert_eq!(app.post(kind, vendor_example(kind)).await.status(), 200);
    }
    let inbound = vendor_example("inbound-message");
    assert_eq!(
        app.post("inbound-message", inbound.clone()).await.status(),
        200
    );
    let wrong_token = app
        .client
        .post(app.url("/webhooks/mobiniti/inbound-message?token=not-the-token-at-all"))
        .body(inbound)
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong_token.status(), 401);
    let too_large = format!(r#"{{"message": "{}"}}"#, "x".repeat(5_000));
    assert_eq!(app.post("inbound-message", too_large).await.status(), 413);
    assert_eq!(app.post("inbound-message", "{").await.status(), 400);
    assert_eq!(app.post("bounce", r#"{"foo": 1}"#).await.status(), 422);
    assert_eq!(app.post("no-such-kind", "{}").await.status(), 404);

    for _ in 0..2 {
        let answer = app
            .graphql("query Totals { contacts { totalCount } }", json!({}))
            .await;
        assert_eq!(answer["data"]["contacts"]["totalCount"], 1, "{answer}");
    }
    for refused in ["query Broken { nope }", "query Bad {"] {
        let answer = app.graphql_request(None, refused, json!({})).await;
        assert_eq!(answer.status(), 400, "{refused}");
    }

    let mut subscriber = WsClient::connect(&app, TRANSPORT, None).await;
    subscriber.init(None).await.expect("acknowledged");
    let live = "subscription Live { events { position } }";
    subscriber.subscribe("s", live, json!({})).await;
    let subscribers = r#"mobiniti_subscribers{transport="websocket"}"#;
    wait_for(&app, subscribers, 1).await;
    // Counted once it has started, which may be a moment after the gauge moved.
    let started = |name: &str| {
        format!(
            r#"mobiniti_graphql_operations_total{{operation="{name}",type="subscription",outcome="ok"}}"#
        )
    };
    wait_for(&app, &started("Live"), 1).await;
    subscriber.complete("s").await;
    wait_for(&app, subscribers, 0).await;

    let streamed = r#"mobiniti_subscribers{transport="sse"}"#;
    let stream = SseStream::post(
        &app,
        None,
        "subscription Streamed { events { position } }",
        json!({}),
    )
    .await;
    wait_for(&app, streamed, 1).await;
    wait_for(&app, &started("Streamed"), 1).await;
    drop(stream);
    wait_for(&app, streamed, 0).await;

    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("a scrape");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let scrape = response.text().await.expect("text");
    let value = |name: &str| series(&scrape, name).unwrap_or_else(|| panic!("{name}:\n{scrape}"));

    let webhooks = |kind: &str, outcome: &str| {
        value(&format!(
            r#"mobiniti_webhooks_total{{kind="{kind}",outcome="{outcome}"}}"#
        ))
    };
    for kind in KINDS {
        assert_eq!(webhooks(kind, "stored"), 1, "{kind}");
    }
    assert_eq!(webhooks("inbound-message", "duplicate"), 1);
    assert_eq!(webhooks("inbound-message", "unauthorized"), 1);
    assert_eq!(webhooks("inbound-message", "too_large"), 1);
    assert_eq!(webhooks("inbound-message", "quarantined"), 1);
    assert_eq!(webhooks("bounce", "quarantined"), 1);
    assert_eq!(webhooks("unknown", "unknown_kind"), 1);

    let requests = |status: u16| {
        value(&format!(
            r#"mobiniti_http_request_duration_seconds_count{{method="POST",route="/webhooks/mobiniti/{{kind}}",status="{status}"}}"#
        ))
    };
    assert_eq!(requests(200), 7);
    for status in [400, 401, 404, 413, 422] {
        assert_eq!(requests(status), 1, "status {status}");
    }
    let everything = value(
        r#"mobiniti_http_request_duration_seconds_bucket{method="POST",route="/webhooks/mobiniti/{kind}",status="200",le="+Inf"}"#,
    );
    assert_eq!(everything, 7, "the last bucket holds every request");

    assert_eq!(value("mobiniti_events_appended_total"), 6);
    assert_eq!(
        value("mobiniti_commit_batch_size_sum"),
        7,
        "the six kinds and the redelivery went through the group commit"
    );
    let batches = value("mobiniti_commit_batch_size_count");
    assert!((1..=7).contains(&batches), "{batches} batches");

    let operations = |name: &str, kind: &str, outcome: &str| {
        value(&format!(
            r#"mobiniti_graphql_operations_total{{operation="{name}",type="{kind}",outcome="{outcome}"}}"#
        ))
    };
    assert_eq!(operations("Totals", "query", "ok"), 2);
    assert_eq!(operations("Broken", "query", "refused"), 1);
    assert_eq!(operations("anonymous", "unknown", "refused"), 1);
    assert_eq!(operations("Live", "subscription", "ok"), 1);
    assert_eq!(operations("Streamed", "subscription", "ok"), 1);

    let max = value(r#"mobiniti_store_connections{state="max"}"#);
    assert_eq!(max, 10, "the default --store-max-connections");
    let open = value(r#"mobiniti_store_connections{state="in_use"}"#)
        + value(r#"mobiniti_store_connections{state="idle"}"#);
    assert!((1..=max).contains(&open), "{open} open connections");
    assert_eq!(
        value(r#"mobiniti_auth_failures_total{surface="webhook"}"#),
        1
    );
}

/// Scrapes until `name` reads `expected`, for at most five seconds.
async fn wait_for(app: &TestApp, name: &str, expected: u64) {
    for _ in 0..100 {
        if series(&app.metrics().await, name) == Some(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never read {expected}:\n{}", app.metrics().await);
}
