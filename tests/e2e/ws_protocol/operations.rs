//! Operations over graphql-transport-ws: results, errors, completion, keep-alive, the limits.

use std::time::Duration;

use serde_json::json;

use super::EVENTS;
use crate::support::ws::{TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, TestApp, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    a_live_events_subscription_receives_a_delivered_event,
    an_invalid_operation_gets_an_error_message_and_no_complete,
    a_field_error_comes_inside_a_next,
    a_query_gets_one_next_then_complete,
    the_query_limits_apply_over_the_socket,
    ping_gets_pong_and_the_server_pings_on_its_own,
    a_client_complete_stops_its_stream_and_frees_its_id,
    operations_past_the_limit_get_an_error,
);

async fn connected(app: &TestApp) -> WsClient {
    WsClient::connect(app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await
}

/// Time for the service to start a subscription "from now" before an event is delivered.
const SETTLE: Duration = Duration::from_millis(300);

async fn a_live_events_subscription_receives_a_delivered_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = connected(&app).await;
    client.subscribe("live", EVENTS, json!({})).await;
    client
        .subscribe("replay", EVENTS, json!({ "after": "0" }))
        .await;
    tokio::time::sleep(SETTLE).await;

    let receipt = app
        .deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let expected = json!({ "events": {
        "position": receipt.position.to_string(),
        "kind": "INBOUND_MESSAGE",
    }});
    for id in ["live", "replay"] {
        let results = client.collect_next(id, 1, WAIT).await;
        assert_eq!(results, std::slice::from_ref(&expected), "{id}");
    }
}

async fn an_invalid_operation_gets_an_error_message_and_no_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = connected(&app).await;
    let cases = [
        ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        (
            "subscription A { events { position } } subscription B { events { kind } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (i, (query, code)) in cases.into_iter().enumerate() {
        let id = format!("bad-{i}");
        client.subscribe(&id, query, json!({})).await;
        let message = client.expect_message().await;
        assert_eq!(message["id"], id.as_str(), "{message}");
        assert_eq!(message["type"], "error", "{message}");
        let errors = message["payload"].as_array().expect("a list of errors");
        assert_eq!(errors[0]["extensions"]["code"], code, "{query}: {message}");
        assert!(errors[0]["message"].is_string());
    }
    client.expect_silence(Duration::from_millis(300)).await;
    // The ids are free again: an error ends the operation.
    client
        .subscribe("bad-0", "{ totals { contacts } }", json!({}))
        .await;
    assert_eq!(client.expect_message().await["type"], "next");
}

async fn a_field_error_comes_inside_a_next(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = connected(&app).await;
    // A phone that cannot be a number fails in the resolver, not before it.
    let query = "subscription { events(filter: { phone: \"not a phone\" }) { position } }";
    client.subscribe("1", query, json!({})).await;
    let next = client.expect_message().await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["errors"][0]["path"],
        json!(["events"]),
        "{next}"
    );
    assert_eq!(
        client.expect_message().await,
        json!({ "id": "1", "type": "complete" })
    );
}

async fn a_query_gets_one_next_then_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let mut client = connected(&app).await;
    client
        .subscribe("q", "{ totals { contacts } }", json!({}))
        .await;
    assert_eq!(
        client.expect_message().await,
        json!({ "id": "q", "type": "next", "payload": { "data": { "totals": { "contacts": 1 } } } })
    );
    assert_eq!(
        client.expect_message().await,
        json!({ "id": "q", "type": "complete" })
    );
}

async fn the_query_limits_apply_over_the_socket(backend: Backend) {
    let flags = [
        "--graphql-max-aliases",
        "1",
        "--graphql-max-query-bytes",
        "200",
    ];
    let app = spawn_app_with(backend, &flags).await;
    let mut client = connected(&app).await;
    let cases = [
        (
            "{ a: totals { contacts } b: totals { contacts } }".to_owned(),
            "TOO_MANY_ALIASES",
        ),
        (
            format!("{{ totals {{ contacts }} }} #{}", "x".repeat(200)),
            "QUERY_TOO_LARGE",
        ),
    ];
    for (query, code) in cases {
        client.subscribe("1", &query, json!({})).await;
        let message = client.expect_message().await;
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(
            message["payload"][0]["extensions"]["code"], code,
            "{message}"
        );
    }
}

async fn ping_gets_pong_and_the_server_pings_on_its_own(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-keep-alive", "200ms"]).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None).await;
    // A ping needs no ack first.
    client
        .send(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    assert_eq!(
        client.expect_message().await,
        json!({ "type": "pong", "payload": { "n": 1 } })
    );
    client.send(json!({ "type": "pong" })).await;
    let mut client = client.acknowledged(None).await;
    assert_eq!(client.expect_message().await, json!({ "type": "ping" }));
    assert_eq!(client.expect_message().await, json!({ "type": "ping" }));
}

async fn a_client_complete_stops_its_stream_and_frees_its_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = connected(&app).await;
    client.subscribe("1", EVENTS, json!({ "after": "0" })).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    assert_eq!(client.collect_next("1", 1, WAIT).await.len(), 1);

    client.complete("1").await;
    // Completing an unknown or finished operation is no error.
    client.complete("never-started").await;
    tokio::time::sleep(SETTLE).await;
    app.deliver("unsubscribe", vendor_example("unsubscribe"))
        .await;
    client.expect_silence(Duration::from_millis(500)).await;

    client.subscribe("1", EVENTS, json!({ "after": "1" })).await;
    let replayed = client.collect_next("1", 1, WAIT).await;
    assert_eq!(replayed[0]["events"]["kind"], "UNSUBSCRIBE");
}

async fn operations_past_the_limit_get_an_error(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-max-subscriptions", "2"]).await;
    let mut client = connected(&app).await;
    client.subscribe("1", EVENTS, json!({})).await;
    client.subscribe("2", EVENTS, json!({})).await;
    client.subscribe("3", EVENTS, json!({})).await;
    let refused = client.expect_message().await;
    assert_eq!(refused["id"], "3");
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );

    // Completing one makes room.
    client.complete("1").await;
    client.subscribe("3", EVENTS, json!({})).await;
    client.expect_silence(Duration::from_millis(300)).await;
}
