//! Redeliveries: stored once, answered with the original, counted.

use std::collections::BTreeSet;
use std::sync::Arc;

use entity::events;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::support::{Backend, spawn_app, vendor_example};

on_every_store!(
    a_redelivery_is_stored_once_and_counted,
    concurrent_identical_deliveries_are_stored_once,
    concurrent_distinct_deliveries_get_gap_free_positions,
    an_inbound_redelivery_with_a_moved_contact_is_still_a_duplicate,
);

async fn a_redelivery_is_stored_once_and_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    for kind in crate::support::KINDS {
        let first = app.deliver(kind, vendor_example(kind)).await;
        let again = app.deliver(kind, vendor_example(kind)).await;
        assert!(!first.duplicate);
        assert!(
            again.duplicate,
            "{kind}: the second delivery is a duplicate"
        );
        assert_eq!(again.event_id, first.event_id);
        assert_eq!(again.position, first.position);
    }
    let db = app.store().await;
    let log = events::Entity::find().all(&db).await.expect("read");
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|event| event.deliveries == 2));
}

async fn concurrent_identical_deliveries_are_stored_once(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let app = Arc::clone(&app);
        tasks.spawn(async move {
            app.deliver("inbound-message", vendor_example("inbound-message"))
                .await
        });
    }
    let receipts = tasks.join_all().await;
    let originals = receipts.iter().filter(|r| !r.duplicate).count();
    assert_eq!(originals, 1, "exactly one delivery is the original");
    let ids: BTreeSet<_> = receipts.iter().map(|r| r.event_id.clone()).collect();
    assert_eq!(ids.len(), 1, "every answer names the same event");

    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 1);
    let event = events::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(event.deliveries, 16);
}

async fn concurrent_distinct_deliveries_get_gap_free_positions(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let app = Arc::clone(&app);
        tasks.spawn(async move {
            let body = json!({
                "id": format!("contact-{i}"),
                "phone_number": format!("+1202555{i:04}"),
                "message": format!("reply {i}"),
                "updated_at": "2024-05-01T10:00:00Z",
                "received_at": "2024-05-01T10:00:00Z"
            });
            app.deliver("inbound-message", body.to_string()).await
        });
    }
    let positions: BTreeSet<i64> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.position)
        .collect();
    assert_eq!(
        positions,
        (1..=40).collect(),
        "positions 1..=40, none missing, none twice"
    );
}

async fn an_inbound_redelivery_with_a_moved_contact_is_still_a_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = json!({
        "id": "c1",
        "first_name": null,
        "phone_number": "+19999999999",
        "message": "YES",
        "updated_at": "2024-05-01T10:00:00Z",
        "received_at": "2024-05-01T10:00:00Z"
    });
    let first = app.deliver("inbound-message", body.to_string()).await;
    body["first_name"] = json!("Ada");
    body["updated_at"] = json!("2024-05-01T10:05:00Z");
    let again = app.deliver("inbound-message", body.to_string()).await;
    assert!(
        again.duplicate,
        "same contact, same received_at, same text: one message"
    );
    assert_eq!(again.event_id, first.event_id);

    body["received_at"] = json!("2024-05-01T10:06:00Z");
    let later = app.deliver("inbound-message", body.to_string()).await;
    assert!(
        !later.duplicate,
        "the same text received later is a new message"
    );
}
