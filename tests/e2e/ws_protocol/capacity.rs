//! How many connections the service takes, and what shutting down does to open connections. A
//! client that stops reading is [`super::stalled`]'s.

use std::time::Duration;

use serde_json::json;

use super::EVENTS;
use crate::support::ws::{Refused, TRANSPORT, WsClient};
use crate::support::{Backend, spawn_app, spawn_app_with};

on_every_store!(
    connections_past_the_limit_are_refused_with_503,
    shutting_down_closes_open_connections,
);

async fn connections_past_the_limit_are_refused_with_503(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-max-connections", "1"]).await;
    let first = WsClient::connect(&app, TRANSPORT, None).await;

    let Err(Refused { status, body }) =
        WsClient::try_connect(&app, "/graphql/ws", &[TRANSPORT], &[]).await
    else {
        panic!("a connection past the limit was taken");
    };
    assert_eq!(status, 503);
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(body["error"]["code"], "too_many_connections");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("--ws-max-connections")),
        "{body}"
    );

    // A closed connection frees its slot.
    drop(first);
    for _ in 0..50 {
        if WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[])
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the slot of a closed connection was not freed");
}

async fn shutting_down_closes_open_connections(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client.subscribe("1", EVENTS, json!({})).await;
    let stopping = tokio::spawn(app.stop());
    assert_eq!(
        client.expect_close().await,
        (1001, "the server is shutting down".to_owned())
    );
    stopping.await.expect("the service stops");
}
