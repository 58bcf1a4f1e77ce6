//! GraphQL over WebSocket, by the rules of graphql-transport-ws (PROTOCOL.md of `graphql-ws`):
//! the upgrade, `connection_init` and the API key, and the close code each broken rule gets.
//! Operations are in [`operations`], the legacy protocol in [`legacy`], the connection limit and
//! shutdown in [`capacity`], a client that stops reading in [`stalled`], what a connection's
//! operations may hold in [`operation_bytes`], connections not yet acknowledged in
//! [`unacknowledged`].

mod capacity;
mod legacy;
mod operation_bytes;
mod operations;
mod stalled;
mod unacknowledged;

use serde_json::json;

use crate::support::ws::{LEGACY, Refused, TRANSPORT, WsClient};
use crate::support::{Backend, spawn_app, spawn_app_with};

const READER: &str = "reader-key-0123456789";

/// A subscription to the log from after `$after` (from now without it).
pub const EVENTS: &str = "subscription($after: Position) {
    events(afterPosition: $after) { position kind }
}";

on_every_store!(
    a_client_that_never_initialises_is_closed_with_4408,
    a_wrong_or_missing_key_is_closed_with_4403,
    a_key_in_the_upgrade_header_or_the_init_payload_is_accepted,
    a_second_init_is_closed_with_4429,
    subscribing_before_the_ack_is_closed_with_4401,
    a_message_that_is_not_json_is_closed_with_4400,
    an_unknown_message_type_is_closed_with_4400,
    a_subscribe_without_an_id_or_payload_is_closed_with_4400,
    a_running_operation_id_used_again_is_closed_with_4409,
    the_subprotocol_is_chosen_from_the_offer_and_echoed,
    both_paths_take_upgrades_and_graphiql_still_loads,
);

async fn a_client_that_never_initialises_is_closed_with_4408(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-init-timeout", "300ms"]).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None).await;
    let started = std::time::Instant::now();
    assert_eq!(
        client.expect_close().await,
        (4408, "Connection initialisation timeout".to_owned())
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
}

async fn a_wrong_or_missing_key_is_closed_with_4403(backend: Backend) {
    let app = spawn_app_with(backend, &["--api-key", READER]).await;
    let mut wrong = WsClient::connect(&app, TRANSPORT, None).await;
    let refused = wrong
        .init(Some(
            json!({ "Authorization": "Bearer not-a-key-0123456789" }),
        ))
        .await;
    assert_eq!(refused, Err((4403, "Forbidden".to_owned())));

    let mut missing = WsClient::connect(&app, TRANSPORT, None).await;
    assert_eq!(
        missing.init(None).await,
        Err((4403, "Forbidden".to_owned()))
    );

    // A wrong key in the header is refused too, at `connection_init`.
    let mut header = WsClient::connect(&app, TRANSPORT, Some("not-a-key-0123456789")).await;
    assert_eq!(header.init(None).await, Err((4403, "Forbidden".to_owned())));
}

async fn a_key_in_the_upgrade_header_or_the_init_payload_is_accepted(backend: Backend) {
    let app = spawn_app_with(backend, &["--api-key", READER]).await;
    let query = "{ totals { contacts } }";

    let mut header = WsClient::connect(&app, TRANSPORT, Some(READER))
        .await
        .acknowledged(None)
        .await;
    header.subscribe("1", query, json!({})).await;
    assert_eq!(
        header.collect_next("1", 1, crate::support::ws::WAIT).await,
        [json!({ "totals": { "contacts": 0 } })]
    );

    for name in ["Authorization", "authorization"] {
        let payload = json!({ name: format!("Bearer {READER}") });
        let mut client = WsClient::connect(&app, TRANSPORT, None)
            .await
            .acknowledged(Some(payload))
            .await;
        client.subscribe("q", query, json!({})).await;
        assert_eq!(
            client.expect_message().await["type"],
            "next",
            "a key in `{name}`"
        );
    }
}

async fn a_second_init_is_closed_with_4429(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        client.expect_close().await,
        (4429, "Too many initialisation requests".to_owned())
    );
}

async fn subscribing_before_the_ack_is_closed_with_4401(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None).await;
    client.subscribe("1", EVENTS, json!({})).await;
    assert_eq!(
        client.expect_close().await,
        (4401, "Unauthorized".to_owned())
    );
}

async fn a_message_that_is_not_json_is_closed_with_4400(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client.send_text("{ not json").await;
    assert_eq!(
        client.expect_close().await,
        (4400, "the message is not JSON".to_owned())
    );
}

async fn an_unknown_message_type_is_closed_with_4400(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    // The legacy protocol's `start` is not a graphql-transport-ws message.
    client
        .send(json!({ "id": "1", "type": "start", "payload": { "query": "{ totals { contacts } }" } }))
        .await;
    let (code, reason) = client.expect_close().await;
    assert_eq!(code, 4400);
    assert!(reason.contains("unknown variant `start`"), "{reason}");
}

async fn a_subscribe_without_an_id_or_payload_is_closed_with_4400(backend: Backend) {
    let app = spawn_app(backend).await;
    let messages = [
        (
            json!({ "type": "subscribe", "payload": { "query": EVENTS } }),
            "`id`",
        ),
        (
            json!({ "id": "", "type": "subscribe", "payload": { "query": EVENTS } }),
            "must not be empty",
        ),
        (json!({ "id": "1", "type": "subscribe" }), "`payload`"),
        (
            json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS, "variables": [] } }),
            "invalid type",
        ),
    ];
    for (message, says) in messages {
        let mut client = WsClient::connect(&app, TRANSPORT, None)
            .await
            .acknowledged(None)
            .await;
        client.send(message.clone()).await;
        let (code, reason) = client.expect_close().await;
        assert_eq!(code, 4400, "{message}");
        assert!(reason.contains(says), "{message}: {reason}");
    }
}

async fn a_running_operation_id_used_again_is_closed_with_4409(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client.subscribe("same", EVENTS, json!({})).await;
    client.subscribe("same", EVENTS, json!({})).await;
    assert_eq!(
        client.expect_close().await,
        (4409, "Subscriber for same already exists".to_owned())
    );
}

async fn the_subprotocol_is_chosen_from_the_offer_and_echoed(backend: Backend) {
    let app = spawn_app(backend).await;

    let both = WsClient::try_connect(&app, "/graphql", &[LEGACY, TRANSPORT], &[])
        .await
        .expect("upgraded");
    assert_eq!(both.subprotocol(), Some(TRANSPORT));
    let legacy = WsClient::try_connect(&app, "/graphql", &[LEGACY], &[])
        .await
        .expect("upgraded");
    assert_eq!(legacy.subprotocol(), Some(LEGACY));

    // No offer at all: graphql-transport-ws, and no subprotocol echoed.
    let mut unnamed = WsClient::try_connect(&app, "/graphql", &[], &[])
        .await
        .expect("upgraded");
    assert_eq!(unnamed.subprotocol(), None);
    unnamed.send(json!({ "type": "ping" })).await;
    assert_eq!(unnamed.expect_message().await, json!({ "type": "pong" }));

    let Err(Refused { status, body }) =
        WsClient::try_connect(&app, "/graphql", &["mqtt", "wamp"], &[]).await
    else {
        panic!("an offer of unknown subprotocols only was taken");
    };
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(body["error"]["code"], "unknown_subprotocol");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("graphql-transport-ws") && message.contains("mqtt"),
        "{message}"
    );
}

async fn both_paths_take_upgrades_and_graphiql_still_loads(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/graphql", "/graphql/ws"] {
        let client = WsClient::try_connect(&app, path, &[TRANSPORT], &[])
            .await
            .unwrap_or_else(|refused| panic!("{path}: {refused:?}"));
        let mut client = client.acknowledged(None).await;
        client
            .subscribe("q", "{ totals { contacts } }", json!({}))
            .await;
        assert_eq!(client.expect_message().await["type"], "next", "{path}");
    }

    let plain = app
        .client
        .get(app.url("/graphql/ws"))
        .send()
        .await
        .expect("answer");
    assert_eq!(plain.status(), 400);
    let body: serde_json::Value = plain.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "not_a_websocket_upgrade");

    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("HTML").contains("id=\"graphiql\""));
}
