//! Connections not acknowledged yet: how many one address may hold
//! (`--ws-max-pending-per-address`), and a `connection_init` that never comes counted as a
//! failed authentication (`--auth-failure-limit`).

use std::time::Duration;

use serde_json::{Value, json};

use super::READER;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TestApp, spawn_binary_with};

on_every_store!(
    unacknowledged_connections_past_the_limit_of_an_address_are_refused_with_429,
    clients_that_never_initialise_run_into_the_failure_limit,
);

/// An upgrade to `path` as a plain HTTP request, so that a refusal's headers can be read.
async fn upgrade(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", TRANSPORT)
        .send()
        .await
        .expect("an answer")
}

async fn unacknowledged_connections_past_the_limit_of_an_address_are_refused_with_429(
    backend: Backend,
) {
    // Long enough for none of them to time out during the test: a timeout frees a place too.
    let flags = [
        "--ws-max-pending-per-address",
        "2",
        "--ws-init-timeout",
        "4500ms",
    ];
    let app = spawn_binary_with(backend, &flags).await;
    let first = WsClient::connect(&app, TRANSPORT, None).await;
    let second = WsClient::connect(&app, TRANSPORT, None).await;

    // Both paths count together.
    let refused = upgrade(&app, "/graphql/ws").await;
    assert_eq!(refused.status(), 429);
    let retry_after = refused.headers().get("retry-after").cloned();
    assert_eq!(
        retry_after.as_ref().and_then(|value| value.to_str().ok()),
        Some("5"),
        "the init timeout, rounded up"
    );
    let body: Value = refused.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "too_many_pending_connections");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("--ws-max-pending-per-address") && message.contains("connection_init"),
        "{message}"
    );

    // An acknowledged connection no longer counts.
    let _first = first.acknowledged(None).await;
    let third = WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[])
        .await
        .expect("room once one is acknowledged");
    assert_eq!(
        upgrade(&app, "/graphql").await.status(),
        429,
        "two unacknowledged again"
    );

    // Nor does one that ended.
    drop(second);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[])
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place of a closed connection was not freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(third);
}

async fn clients_that_never_initialise_run_into_the_failure_limit(backend: Backend) {
    let flags = [
        "--api-key",
        READER,
        "--ws-init-timeout",
        "200ms",
        "--auth-failure-limit",
        "2",
    ];
    let app = spawn_binary_with(backend, &flags).await;
    for failures in 1..=2 {
        let mut idle = WsClient::connect(&app, TRANSPORT, None).await;
        let (code, _) = idle.expect_close().await;
        assert_eq!(code, 4408);
        let counted = app
            .metric(r#"mobiniti_auth_failures_total{surface="graphql"}"#)
            .await;
        assert_eq!(counted, failures, "each timeout is a failed authentication");
    }

    let limited = upgrade(&app, "/graphql").await;
    assert_eq!(limited.status(), 429, "an upgrade without a key");
    let body: Value = limited.json().await.expect("a JSON error");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "TOO_MANY_FAILED_AUTHENTICATIONS"
    );

    // The key in the upgrade is checked before the limit applies: served.
    let mut keyed = WsClient::connect(&app, TRANSPORT, Some(READER))
        .await
        .acknowledged(None)
        .await;
    keyed
        .subscribe("q", "{ totals { contacts } }", json!({}))
        .await;
    assert_eq!(keyed.expect_message().await["type"], "next");
}
