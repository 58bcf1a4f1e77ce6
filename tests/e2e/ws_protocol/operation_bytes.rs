//! What one connection's running operations may hold: 1 MiB of query text and variables
//! together, whatever `--ws-max-subscriptions` allows.

use serde_json::{Value, json};

use super::EVENTS;
use crate::support::ws::{LEGACY, TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, TestApp, spawn_binary_with, vendor_example};

on_every_store!(an_operation_past_the_connections_budget_is_refused_and_the_others_go_on);

/// Padding for an operation's variables: two such operations fit in the budget, three do not.
const PAD_BYTES: usize = 400 * 1024;

/// The budget, as the refusal states it.
const BUDGET: &str = "1048576 bytes";

/// Time for the service to start a subscription "from now" before an event is delivered.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

async fn an_operation_past_the_connections_budget_is_refused_and_the_others_go_on(
    backend: Backend,
) {
    let app = spawn_binary_with(backend, &[]).await;
    // A different event each time: the same one again would be a duplicate, and not delivered.
    for (protocol, kind) in [(TRANSPORT, "inbound-message"), (LEGACY, "unsubscribe")] {
        refused_past_the_budget(&app, protocol, kind).await;
    }
}

async fn refused_past_the_budget(app: &TestApp, protocol: &str, kind: &str) {
    let mut client = WsClient::connect(app, protocol, None)
        .await
        .acknowledged(None)
        .await;
    // Unused variables are no error, and are held with the operation all the same.
    let pad = "x".repeat(PAD_BYTES);
    let from_now = json!({ "pad": pad });
    for id in ["1", "2", "3"] {
        client.subscribe(id, EVENTS, from_now.clone()).await;
    }
    let refused = message_for(&mut client, "3").await;
    assert_eq!(refused["type"], "error", "{protocol}: {refused}");
    let error = &refused["payload"][0];
    assert_eq!(
        error["extensions"]["code"], "OPERATIONS_TOO_LARGE",
        "{protocol}"
    );
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.contains(BUDGET) && message.contains("complete some operations"),
        "{protocol}: {message}"
    );

    // The two that fit go on.
    tokio::time::sleep(SETTLE).await;
    let receipt = app.deliver(kind, vendor_example(kind)).await;
    let position = receipt.position.to_string();
    for id in ["1", "2"] {
        let results = client.collect_next(id, 1, WAIT).await;
        assert_eq!(
            results[0]["events"]["position"],
            position.as_str(),
            "{protocol} {id}"
        );
    }

    // Completing one makes room for another as large.
    client.complete("1").await;
    let after = (receipt.position - 1).to_string();
    client
        .subscribe("3", EVENTS, json!({ "after": after, "pad": pad }))
        .await;
    let results = client.collect_next("3", 1, WAIT).await;
    assert_eq!(
        results[0]["events"]["position"],
        position.as_str(),
        "{protocol}"
    );
}

/// The next message about an operation, past keep-alives; fails the test if it is not `id`'s.
async fn message_for(client: &mut WsClient, id: &str) -> Value {
    loop {
        let message = client.expect_message().await;
        if message.get("id").is_some() {
            assert_eq!(message["id"], id, "{message}");
            return message;
        }
    }
}
