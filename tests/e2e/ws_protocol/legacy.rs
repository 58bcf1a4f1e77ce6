//! The legacy `graphql-ws` protocol of subscriptions-transport-ws: `connection_init` and `ka`,
//! `start`, `data`, `error`, `stop`, `connection_terminate`, under the same rules.

use serde_json::{Value, json};

use super::{EVENTS, READER};
use crate::support::ws::{LEGACY, WAIT, WsClient};
use crate::support::{Backend, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    the_legacy_protocol_acknowledges_then_keeps_alive,
    the_legacy_protocol_starts_streams_and_stops_them,
    the_legacy_protocol_refuses_a_wrong_key_with_connection_error,
    the_legacy_protocol_applies_the_same_limits,
);

async fn acknowledged(client: WsClient, payload: Option<Value>) -> WsClient {
    let mut client = client.acknowledged(payload).await;
    // The legacy protocol sends a `ka` right after the ack.
    assert_eq!(client.expect_message().await, json!({ "type": "ka" }));
    client
}

async fn the_legacy_protocol_acknowledges_then_keeps_alive(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-keep-alive", "200ms"]).await;
    let mut client = WsClient::connect(&app, LEGACY, None).await;
    assert_eq!(client.subprotocol(), Some(LEGACY));
    let ack = client.init(Some(json!({}))).await.expect("acknowledged");
    assert_eq!(ack, json!({ "type": "connection_ack" }));
    for _ in 0..3 {
        assert_eq!(client.expect_message().await, json!({ "type": "ka" }));
    }
}

async fn the_legacy_protocol_starts_streams_and_stops_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = WsClient::connect(&app, LEGACY, None).await;
    let mut client = acknowledged(client, None).await;

    client.subscribe("1", EVENTS, json!({ "after": "0" })).await;
    let receipt = app
        .deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let data = client.collect_next("1", 1, WAIT).await;
    assert_eq!(data[0]["events"]["position"], receipt.position.to_string());

    // `stop` is confirmed with `complete`.
    client.complete("1").await;
    assert_eq!(
        client.expect_message().await,
        json!({ "id": "1", "type": "complete" })
    );

    client
        .subscribe("bad", "subscription { nope }", json!({}))
        .await;
    let error = client.expect_message().await;
    assert_eq!(error["id"], "bad");
    assert_eq!(error["type"], "error");
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    client
        .subscribe("q", "{ totals { contacts } }", json!({}))
        .await;
    let data = client.expect_message().await;
    assert_eq!(data["type"], "data");
    assert_eq!(data["payload"]["data"]["totals"]["contacts"], 1);
    assert_eq!(
        client.expect_message().await,
        json!({ "id": "q", "type": "complete" })
    );

    client.send(json!({ "type": "connection_terminate" })).await;
    assert_eq!(client.expect_close().await.0, 1000);
}

async fn the_legacy_protocol_refuses_a_wrong_key_with_connection_error(backend: Backend) {
    let app = spawn_app_with(backend, &["--api-key", READER]).await;
    let mut client = WsClient::connect(&app, LEGACY, None).await;
    let payload = json!({ "authorization": "Bearer nope-nope-nope-nope" });
    client
        .send(json!({ "type": "connection_init", "payload": payload }))
        .await;
    assert_eq!(
        client.expect_message().await,
        json!({ "type": "connection_error", "payload": { "message": "Forbidden" } })
    );
    assert_eq!(client.expect_close().await, (4403, "Forbidden".to_owned()));

    let client = WsClient::connect(&app, LEGACY, None).await;
    let payload = json!({ "Authorization": format!("Bearer {READER}") });
    acknowledged(client, Some(payload)).await;
}

async fn the_legacy_protocol_applies_the_same_limits(backend: Backend) {
    let flags = ["--ws-max-subscriptions", "1", "--ws-init-timeout", "300ms"];
    let app = spawn_app_with(backend, &flags).await;
    let client = WsClient::connect(&app, LEGACY, None).await;
    let mut client = acknowledged(client, None).await;
    client.subscribe("1", EVENTS, json!({})).await;
    client.subscribe("2", EVENTS, json!({})).await;
    let refused = client.expect_message().await;
    assert_eq!(refused["id"], "2");
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );

    let mut late = WsClient::connect(&app, LEGACY, None).await;
    let reason = "Connection initialisation timeout";
    assert_eq!(
        late.expect_message().await,
        json!({ "type": "connection_error", "payload": { "message": reason } })
    );
    assert_eq!(late.expect_close().await, (4408, reason.to_owned()));
}
