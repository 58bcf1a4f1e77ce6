//! A client that stops reading, in both protocols: after `--ws-send-timeout` the service sends
//! it no more results and queues close 1008 behind the frames already written. A client that
//! reads again within another `--ws-send-timeout` gets those frames, then the close; one that
//! does not sees the connection end without a close frame, and its slot is given back.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::ws::{LEGACY, TRANSPORT, WsClient};
use crate::support::{Backend, TestApp, spawn_app_with, vendor_example};

on_every_store!(
    a_client_that_reads_again_gets_what_was_queued_then_close_1008,
    a_client_that_never_reads_again_sees_the_connection_end,
);

/// A catch-up of about 6 MB, more than the socket buffers hold (4 MB at most here).
const EVENTS: usize = 2_000;
const MESSAGE_BYTES: usize = 3_000;
const CATCH_UP: &str = "subscription { events(afterPosition: \"0\") { position payload } }";
/// How long a client waits for each frame once it reads again: draining megabytes through a
/// 4 KiB window can stall for seconds when the machine is busy.
const EACH: Duration = Duration::from_secs(30);

async fn a_client_that_reads_again_gets_what_was_queued_then_close_1008(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-send-timeout", "3s"]).await;
    seed(&app).await;
    let mut clients = Vec::new();
    for protocol in [TRANSPORT, LEGACY] {
        clients.push(stalled(&app, protocol).await);
    }
    subscribers_become(&app, 2).await;
    // Both writes have now waited `--ws-send-timeout`, and both operations are stopped.
    subscribers_become(&app, 0).await;
    // Reading again a while later, as a client paused by a long collection would: within the
    // `--ws-send-timeout` the service waits for it, longer than the second other closes get.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let reads = clients
        .iter_mut()
        .map(|client| client.read_to_the_end(EACH));
    let ends: Vec<_> = [TRANSPORT, LEGACY]
        .into_iter()
        .zip(join_all(reads).await)
        .map(|(protocol, (messages, close))| {
            let received = positions(&messages, protocol);
            eprintln!("{protocol}: {received} results, then {close:?}");
            (protocol, close)
        })
        .collect();
    let reason = "not reading: no progress for 3s; resume with afterPosition";
    let expected = [TRANSPORT, LEGACY].map(|protocol| (protocol, (1008, reason.to_owned())));
    assert_eq!(ends, expected);
}

async fn a_client_that_never_reads_again_sees_the_connection_end(backend: Backend) {
    let flags = ["--ws-send-timeout", "1s", "--ws-max-connections", "2"];
    let app = spawn_app_with(backend, &flags).await;
    seed(&app).await;
    let mut clients = Vec::new();
    for protocol in [TRANSPORT, LEGACY] {
        clients.push(stalled(&app, protocol).await);
    }
    subscribers_become(&app, 2).await;
    subscribers_become(&app, 0).await;
    // Their slots are given back once the service stops waiting for the close frames to go out.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut taken = Vec::new();
    while taken.len() < 2 {
        match WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[]).await {
            Ok(client) => taken.push(client),
            Err(refused) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the stalled connections still hold their slots: {refused:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    // Reading now gets what the service had written before the timeout, then the end.
    for (protocol, client) in [TRANSPORT, LEGACY].into_iter().zip(&mut clients) {
        let (messages, (code, _)) = client.read_to_the_end(EACH).await;
        let received = positions(&messages, protocol);
        assert_eq!(code, 1006, "{protocol}: the end, after {received} results");
    }
}

/// `EVENTS` inbound messages of about `MESSAGE_BYTES` each.
async fn seed(app: &TestApp) {
    let mut example: Value =
        serde_json::from_slice(&vendor_example("inbound-message")).expect("JSON");
    example["message"] = json!("x".repeat(MESSAGE_BYTES));
    futures_util::stream::iter(0..EVENTS)
        .for_each_concurrent(8, |i| {
            let mut body = example.clone();
            body["id"] = json!(format!("stalled-{i}"));
            async move {
                app.deliver("inbound-message", body.to_string()).await;
            }
        })
        .await;
}

/// A client over a small receive buffer that starts the catch-up and does not read.
async fn stalled(app: &TestApp, protocol: &str) -> WsClient {
    let mut client = WsClient::connect_small_buffer_with(app, protocol)
        .await
        .acknowledged(None)
        .await;
    client.subscribe("1", CATCH_UP, json!({})).await;
    client
}

/// Waits until `n` WebSocket subscriptions run.
async fn subscribers_become(app: &TestApp, n: u64) {
    let series = "mobiniti_subscribers{transport=\"websocket\"}";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.metric_or_zero(series).await != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} did not become {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many results came, checking that they are the log from its start, in order, and that
/// the service did stop before the end of the catch-up.
fn positions(messages: &[Value], protocol: &str) -> usize {
    let positions: Vec<usize> = messages
        .iter()
        .filter(|message| message["id"] == "1")
        .map(|message| {
            message["payload"]["data"]["events"]["position"]
                .as_str()
                .and_then(|position| position.parse().ok())
                .unwrap_or_else(|| panic!("{protocol}: a result, got {message}"))
        })
        .collect();
    let received = positions.len();
    assert_eq!(
        positions,
        (1..=received).collect::<Vec<_>>(),
        "{protocol}: the results"
    );
    assert!(
        (1..EVENTS).contains(&received),
        "{protocol}: {received} of {EVENTS} results: the client did not stall the service"
    );
    received
}
