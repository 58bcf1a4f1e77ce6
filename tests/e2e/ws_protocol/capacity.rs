//! How many connections the service takes, what it does with a client that stops reading, and
//! what shutting down does to open connections.

use std::time::Duration;

use serde_json::json;

use super::EVENTS;
use crate::support::ws::{Refused, TRANSPORT, WsClient};
use crate::support::{Backend, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    connections_past_the_limit_are_refused_with_503,
    a_client_that_stops_reading_is_closed_with_1008,
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

async fn a_client_that_stops_reading_is_closed_with_1008(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-send-timeout", "300ms"]).await;
    let mut example: serde_json::Value =
        serde_json::from_slice(&vendor_example("inbound-message")).expect("JSON");
    example["message"] = json!("x".repeat(100_000));
    for i in 0..30 {
        example["id"] = json!(format!("slow-{i}"));
        app.deliver("inbound-message", example.to_string()).await;
    }
    let mut client = WsClient::connect_small_buffer(&app)
        .await
        .acknowledged(None)
        .await;
    // Eight replays of 3 MB each: far more than the socket buffers hold.
    let query = "subscription { events(afterPosition: \"0\") { position payload } }";
    for id in 0..8 {
        client.subscribe(&id.to_string(), query, json!({})).await;
    }
    // Not reading for longer than the send timeout once the socket buffers are full, then
    // reading again, within the second the service gives its close frame to get through.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut results = 0;
    // Generous: with the whole suite running on two cores, draining megabytes through a 4 KiB
    // window can stall for seconds.
    let close = loop {
        match client.next_message_or_close(Duration::from_secs(30)).await {
            Ok(_) => results += 1,
            Err(close) => break close,
        }
    };
    assert!(results < 8 * 30, "every result was sent");
    let reason = "not reading: no progress for 300ms; resume with afterPosition";
    // If the buffers filled early, the service may have given up on its close frame before
    // this client read again, and only dropped the connection.
    assert!(
        close == (1008, reason.to_owned()) || close.0 == 1006,
        "{close:?}"
    );
}
