//! `GET /metrics` after known traffic: every outcome of a webhook, the latency histograms, the
//! appends and their batches, GraphQL operations by name and outcome, live subscribers and the
//! store's pool, each with the number the traffic implies.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::process::binary;
use crate::support::sse::SseStream;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{
    Backend, KINDS, TOKEN, TestApp, TestDb, series, spawn_app_with, spawn_binary_with,
    vendor_example,
};

on_every_store!(
    the_scrape_counts_what_the_traffic_did,
    invented_operation_names_leave_the_scrape_small,
    with_metrics_listen_the_scrape_is_served_there_and_only_there,
);

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

/// The most the operations family may take in a scrape: 200 names of at most 100 bytes, each in
/// a line of about 100 bytes more, plus `anonymous` and `other`.
const OPERATIONS_FAMILY_BYTES: usize = 100 * 1024;

/// A client inventing operation names, long ones first, then a thousand more: the first 200
/// short names become labels, every other name counts as `other`, and the family stays small.
/// Without a bound on their length, the 10 KB names alone would put 2 MB in every scrape.
async fn invented_operation_names_leave_the_scrape_small(backend: Backend) {
    let app = spawn_binary_with(backend, &[]).await;
    let ask = |name: String| {
        let request = app.client.post(app.url("/graphql")).json(&json!({
            "query": format!("query {name} {{ __typename }}"),
            "operationName": name,
        }));
        async move {
            let response = request.send().await.expect("an answer");
            assert_eq!(response.status(), 200);
        }
    };
    let (long, short) = (300, 1_000);
    for i in 0..long {
        ask(format!("Long{i}_{}", "x".repeat(10_000))).await;
    }
    for i in 0..short {
        ask(format!("Short{i:04}_{}", "y".repeat(80))).await;
    }

    let scrape = app.metrics().await;
    let family: Vec<&str> = scrape
        .lines()
        .filter(|line| line.starts_with("mobiniti_graphql_operations_total{"))
        .collect();
    let bytes: usize = family.iter().map(|line| line.len() + 1).sum();
    assert!(
        bytes < OPERATIONS_FAMILY_BYTES,
        "{bytes} bytes of operations in the scrape"
    );
    assert_eq!(family.len(), 201, "200 names and `other`");
    assert!(family.iter().all(|line| !line.contains("Long")));
    let other = r#"mobiniti_graphql_operations_total{operation="other",type="query",outcome="ok"}"#;
    assert_eq!(series(&scrape, other), Some(long + short - 200));
    let kept = r#"mobiniti_graphql_operations_total{operation="Short0199_"#;
    assert!(scrape.contains(kept), "the 200th short name is a label");
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

/// `--metrics-listen`: the scrape moves to a listener of its own (a private address, say, while
/// the API is public); the main one answers 404 for it. SIGTERM stops both.
async fn with_metrics_listen_the_scrape_is_served_there_and_only_there(backend: Backend) {
    let db = TestDb::create(backend).await;
    let mut child = binary()
        .args(["serve", "--database-url", &db.url, "--webhook-token", TOKEN])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start mobiniti-events");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut main, mut scrape) = (None, None);
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(rest) = line.strip_prefix("mobiniti-events is listening on ") {
                main = Some(rest.trim().to_owned());
            }
            if let Some(rest) = line.strip_prefix("Metrics:") {
                scrape = Some(rest.trim().to_owned());
            }
            if main.is_some() && scrape.is_some() {
                return;
            }
        }
        panic!("mobiniti-events ended before printing both addresses");
    })
    .await
    .expect("both addresses printed within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (main, scrape) = (main.expect("printed"), scrape.expect("printed"));
    assert!(scrape.ends_with("/metrics"), "{scrape}");
    assert!(
        !scrape.starts_with(&format!("{main}/")),
        "the printed metrics URL is the other listener's: {scrape}"
    );

    let client = reqwest::Client::new();
    for kind in KINDS {
        let answer = client
            .post(format!("{main}/webhooks/mobiniti/{kind}?token={TOKEN}"))
            .body(vendor_example(kind))
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 200, "{kind}");
    }
    let on_main = client
        .get(format!("{main}/metrics"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(on_main.status(), 404, "no scrape on the main listener");
    assert_eq!(
        client
            .get(format!("{main}/healthz"))
            .send()
            .await
            .expect("an answer")
            .status(),
        200,
        "the rest of the main listener is as before"
    );

    let answer = client.get(&scrape).send().await.expect("a scrape");
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.expect("text");
    for kind in KINDS {
        let name = format!(r#"mobiniti_webhooks_total{{kind="{kind}",outcome="stored"}}"#);
        assert_eq!(series(&text, &name), Some(1), "{name}:\n{text}");
    }
    assert_eq!(series(&text, "mobiniti_events_appended_total"), Some(6));
    let graphql = scrape.replace("/metrics", "/graphql");
    let elsewhere = client.get(&graphql).send().await.expect("an answer");
    assert_eq!(
        elsewhere.status(),
        404,
        "the metrics listener serves the scrape alone"
    );

    let pid = child.id().expect("a running child").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("both listeners stop within 10 s of SIGTERM")
        .expect("its exit status");
    assert!(status.success(), "{status}");
    assert!(
        client.get(&scrape).send().await.is_err(),
        "the metrics listener is closed"
    );
}
