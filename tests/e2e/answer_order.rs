//! Answers in the order of their selection, through the binary, over every transport: HTTP
//! with the answer cache on and off, WebSocket, Server-Sent Events, and identical live
//! subscriptions sharing one execution. Compared by bytes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::sse::{Received, SseStream};
use crate::support::ws::first_result_text;
use crate::support::{Backend, spawn_binary_with, vendor_example};

on_every_store!(answers_come_in_the_order_of_their_selection);

const WAIT: Duration = Duration::from_secs(5);

/// The issue's own example: the root's fields, a connection's, and a node's, each out of
/// alphabetical order, with an alias and `__typename`.
const ORDERED: &str = "{ contacts(first: 2) { totalCount nodes { phone id subscribed } } \
                       totals { subscribed contacts } r: __typename }";

/// Where each of `keys` first appears in `text`; the test wants them in the order given.
fn assert_in_order(text: &str, keys: &[&str]) {
    let places: Vec<usize> = keys
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\""))
                .unwrap_or_else(|| panic!("{key} not in {text}"))
        })
        .collect();
    assert!(places.is_sorted(), "{keys:?} at {places:?} in {text}");
}

const ORDER: [&str; 8] = [
    "contacts",
    "totalCount",
    "nodes",
    "phone",
    "id",
    "subscribed",
    "totals",
    "r",
];

async fn answers_come_in_the_order_of_their_selection(backend: Backend) {
    for cache in ["64", "0"] {
        let app = spawn_binary_with(backend, &["--graphql-cache-mib", cache]).await;
        app.deliver("contact-status", vendor_example("contact-status"))
            .await;

        let mut answers = Vec::new();
        for _ in 0..10 {
            let text = app
                .client
                .post(app.url("/graphql"))
                .json(&json!({ "query": ORDERED }))
                .send()
                .await
                .expect("an answer")
                .text()
                .await
                .expect("a body");
            assert_in_order(&text, &ORDER);
            answers.push(text);
        }
        answers.dedup();
        assert_eq!(answers.len(), 1, "identical requests, identical bytes");

        let text = first_result_text(&app, None, json!({ "query": ORDERED })).await;
        let payload = text.split_once("\"payload\":").expect("a payload").1;
        assert_in_order(payload, &ORDER);
        assert!(
            payload.starts_with(&answers[0]),
            "{text} against {}",
            answers[0]
        );

        let mut stream = SseStream::post(&app, None, ORDERED, json!({})).await;
        match stream.expect_event(WAIT).await {
            Received::Event { data, .. } => {
                assert_in_order(&data, &ORDER);
                assert_eq!(data, answers[0]);
            }
            other => panic!("expected a result, got {other:?}"),
        }

        // A subscription's results too, live and shared alike.
        let events =
            "subscription { events(afterPosition: \"0\") { receivedAt position kind id } }";
        let mut stream = SseStream::post(&app, None, events, json!({})).await;
        match stream.expect_event(WAIT).await {
            Received::Event { data, .. } => {
                assert_in_order(&data, &["receivedAt", "position", "kind", "id"]);
            }
            other => panic!("expected a result, got {other:?}"),
        }
        // Two identical live subscriptions share one execution: the same bytes, in order.
        let live = "subscription { events { receivedAt position kind id } }";
        let mut first = SseStream::post(&app, None, live, json!({})).await;
        let mut second = SseStream::post(&app, None, live, json!({})).await;
        while app.metric("mobiniti_subscription_groups").await < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.deliver("inbound-message", vendor_example("inbound-message"))
            .await;
        let (first, second) = (
            first.expect_event(WAIT).await,
            second.expect_event(WAIT).await,
        );
        assert_eq!(first, second);
        match first {
            Received::Event { data, .. } => {
                assert_in_order(&data, &["receivedAt", "position", "kind", "id"]);
            }
            other => panic!("expected a result, got {other:?}"),
        }
        let value: Value = serde_json::from_str(&answers[0]).expect("JSON");
        assert_eq!(value["data"]["contacts"]["totalCount"], 1);
        app.stop().await;
    }
}
