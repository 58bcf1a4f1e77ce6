//! What a subscriber receives: live from now, or every matching event after a position from the
//! store and then live, exactly once and in strictly increasing position order, also while
//! events keep arriving during the switch-over. (A subscriber that falls behind the live channel
//! is tested in `api/src/stream/follow.rs`, where the test can stop reading at will.)

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::ws::{TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, TestApp, spawn_app, vendor_example};

on_every_store!(
    live_subscribers_see_only_what_comes_after,
    catch_up_hands_over_to_live_without_gap_or_duplicate,
    filters_apply_to_subscriptions,
    typed_subscriptions_emit_objects_per_event,
);

const EVENTS: &str =
    "subscription($after: Position) { events(afterPosition: $after) { position kind } }";

fn inbound(n: usize) -> String {
    json!({
        "id": format!("c-{}", n % 7),
        "phone_number": format!("+1303555{:04}", n % 7),
        "message": format!("reply {n}"),
        "received_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    })
    .to_string()
}

fn positions(data: &[Value], field: &str) -> Vec<i64> {
    data.iter()
        .map(|d| {
            d[field]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a position in {d}"))
        })
        .collect()
}

/// Fails on any further result within `wait`; the server's keep-alive pings may come.
async fn no_more_results(client: &mut WsClient, wait: Duration) {
    while let Some(message) = client.next_message(wait).await {
        assert_ne!(message["type"], "next", "{message}");
    }
}

async fn subscriber(app: &TestApp, after: Option<i64>) -> WsClient {
    let mut client = WsClient::connect(app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    let position = after.map(|p| json!(p.to_string()));
    client
        .subscribe("s", EVENTS, json!({ "after": position }))
        .await;
    if after.is_none() {
        // A stream from now starts at the head it finds when it first runs, just after the
        // server read the subscription; a ping round trip proves that it did.
        client.send(json!({"type": "ping"})).await;
        let pong = client.expect_message().await;
        assert_eq!(pong["type"], "pong", "{pong}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client
}

async fn live_subscribers_see_only_what_comes_after(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..3 {
        app.deliver("inbound-message", inbound(n)).await;
    }
    // "Now" is the last event the service has handed to live subscribers, a few milliseconds
    // behind the commit; the tailer's periodic re-check bounds that.
    tokio::time::sleep(api::stream::RECHECK + Duration::from_millis(100)).await;
    let mut live = subscriber(&app, None).await;
    let mut receipts = Vec::new();
    for n in 3..6 {
        receipts.push(app.deliver("inbound-message", inbound(n)).await.position);
    }
    let seen = positions(&live.collect_next("s", 3, WAIT).await, "events");
    assert_eq!(seen, receipts);
    assert_eq!(seen, vec![4, 5, 6]);
    // A redelivery is not a new event.
    app.deliver("inbound-message", inbound(5)).await;
    no_more_results(&mut live, Duration::from_millis(700)).await;
}

async fn catch_up_hands_over_to_live_without_gap_or_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    const BEFORE: usize = 1_200;
    const DURING: usize = 300;
    // More than two pages of the store's catch-up reads, before anyone subscribes.
    let report = String::from_utf8(vendor_example("delivery-report")).expect("UTF-8");
    app.deliver("delivery-report", report).await;
    for n in 1..BEFORE {
        app.deliver("inbound-message", inbound(n)).await;
    }
    // Writers keep going while subscribers join at 0, in the middle and at the head.
    let writer = {
        let client = app.client.clone();
        let url = app.url("/webhooks/mobiniti/inbound-message?token=");
        tokio::spawn(async move {
            for n in BEFORE..BEFORE + DURING {
                let response = client
                    .post(format!("{url}{}", crate::support::TOKEN))
                    .body(inbound(n))
                    .send()
                    .await
                    .expect("the service answers");
                assert_eq!(response.status(), 200);
            }
        })
    };
    let mut from_zero = subscriber(&app, Some(0)).await;
    let mut from_middle = subscriber(&app, Some(600)).await;
    let mut from_head = subscriber(&app, Some(BEFORE as i64)).await;
    writer.await.expect("the writer finished");
    let total = (BEFORE + DURING) as i64;
    let wait = Duration::from_secs(30);
    for (client, after) in [
        (&mut from_zero, 0),
        (&mut from_middle, 600),
        (&mut from_head, BEFORE as i64),
    ] {
        let count = (total - after) as usize;
        let seen = positions(&client.collect_next("s", count, wait).await, "events");
        let expected: Vec<i64> = (after + 1..=total).collect();
        assert_eq!(seen, expected, "after {after}");
        no_more_results(client, Duration::from_millis(300)).await;
    }
}

async fn filters_apply_to_subscriptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client
        .subscribe(
            "bounces",
            "subscription { events(afterPosition: \"0\", filter: {kinds: [BOUNCE, UNSUBSCRIBE]}) { position kind } }",
            json!({}),
        )
        .await;
    client
        .subscribe(
            "phone",
            "subscription { events(afterPosition: \"0\", filter: {phone: \"(303) 555-0002\"}) { position } }",
            json!({}),
        )
        .await;
    for kind in [
        "inbound-message",
        "bounce",
        "delivery-report",
        "unsubscribe",
    ] {
        app.deliver(kind, vendor_example(kind)).await;
    }
    for n in 0..4 {
        app.deliver("inbound-message", inbound(n)).await;
    }
    let kinds: Vec<Value> = client
        .collect_next("bounces", 2, WAIT)
        .await
        .iter()
        .map(|d| d["events"]["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("BOUNCE"), json!("UNSUBSCRIBE")]);
    // inbound(2) is the one from +13035550002, the seventh event.
    let phone = client.collect_next("phone", 1, WAIT).await;
    assert_eq!(positions(&phone, "events"), vec![7]);
    no_more_results(&mut client, Duration::from_millis(500)).await;
}

async fn typed_subscriptions_emit_objects_per_event(backend: Backend) {
    let app = spawn_app(backend).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client
        .subscribe(
            "m",
            "subscription { messages(afterPosition: \"0\") { position kind nodes { direction body contact { phone } } } }",
            json!({}),
        )
        .await;
    client
        .subscribe(
            "d",
            "subscription { deliveryStatuses(afterPosition: \"0\", filter: {success: true}) { position nodes { recipient code } } }",
            json!({}),
        )
        .await;
    client
        .subscribe(
            "c",
            "subscription { contacts(filter: {subscribed: false}) { position kind nodes { phone subscribed } } }",
            json!({}),
        )
        .await;
    client.send(json!({"type": "ping"})).await;
    let first = client.collect_next("m", 1, WAIT).await;
    assert_eq!(
        first[0]["messages"],
        json!({"position": "1", "kind": "INBOUND_MESSAGE", "nodes": [{"direction": "INBOUND", "body": "This is an example message", "contact": {"phone": "+19999999999"}}]})
    );
    // The pong (kept aside by `collect_next`) came after the three subscriptions started.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.deliver("delivery-report", vendor_example("delivery-report"))
        .await;
    app.deliver("unsubscribe", vendor_example("unsubscribe"))
        .await;
    let outbound = client.collect_next("m", 1, WAIT).await;
    assert_eq!(outbound[0]["messages"]["position"], "2");
    assert_eq!(outbound[0]["messages"]["kind"], "DELIVERY_REPORT");
    assert_eq!(outbound[0]["messages"]["nodes"][0]["direction"], "OUTBOUND");
    let statuses = client.collect_next("d", 1, WAIT).await;
    assert_eq!(statuses[0]["deliveryStatuses"]["position"], "2");
    let nodes = statuses[0]["deliveryStatuses"]["nodes"]
        .as_array()
        .expect("nodes");
    assert!(
        !nodes.is_empty() && nodes.iter().all(|n| n["code"] == "100"),
        "{nodes:?}"
    );
    let unsubscribed = client.collect_next("c", 1, WAIT).await;
    assert_eq!(
        unsubscribed[0]["contacts"],
        json!({"position": "3", "kind": "UNSUBSCRIBE", "nodes": [{"phone": "+19999999999", "subscribed": false}]})
    );
}
