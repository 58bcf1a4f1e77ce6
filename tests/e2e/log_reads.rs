//! The log read forward, as subscriptions read it: with or without payloads, and (on SQLite)
//! whichever way a page is fetched, the same events.

use std::time::Duration;

use api::store::{EventColumns, Store, StoreOptions};

use crate::support::{Backend, KINDS, spawn_app, vendor_example};

on_every_store!(a_page_without_payloads_holds_the_same_events,);

async fn a_page_without_payloads_holds_the_same_events(backend: Backend) {
    let app = spawn_app(backend).await;
    for kind in KINDS {
        app.deliver(kind, vendor_example(kind)).await;
    }
    for n in 0..4 {
        let body = serde_json::json!({
            "id": format!("c-{n}"),
            "phone_number": format!("303555{n:04}"),
            "message": format!("reply {n} ✓ \"quoted\""),
            "updated_at": "2024-01-01T00:00:00Z",
        });
        app.deliver("inbound-message", body.to_string()).await;
    }
    let stopped = app.stop().await;
    let store = Store::connect(&StoreOptions {
        url: stopped.url.clone(),
        timeout: Duration::from_secs(5),
        max_connections: 2,
        read_statement_timeout: Duration::ZERO,
    })
    .await
    .expect("open the store");
    for (after, limit) in [(0, 100), (0, 3), (3, 4), (9, 5), (10, 5)] {
        let with = store
            .events_after(after, limit, EventColumns::WithPayload)
            .await
            .expect("read with payloads");
        let without = store
            .events_after(after, limit, EventColumns::WithoutPayload)
            .await
            .expect("read without payloads");
        let expected: Vec<_> = with
            .into_iter()
            // A stream answers the payload from the raw body, and reads neither without it.
            .map(|event| entity::events::Model {
                raw_body: Vec::new(),
                ..event
            })
            .collect();
        assert_eq!(without, expected, "after {after}, {limit} at most");
    }
    let all = store
        .events_after(0, 100, EventColumns::WithoutPayload)
        .await
        .expect("read");
    assert_eq!(
        all.iter().map(|event| event.position).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert!(all.iter().any(|event| event.occurred_at.is_none()));
    assert!(all.iter().any(|event| event.contact_id.is_some()));
}
