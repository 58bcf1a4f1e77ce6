//! `mobiniti-events replay-quarantine`: deliveries an older version refused become events with
//! their original receive time and leave the quarantine; the rest stay, with this version's
//! error.

use chrono::{DateTime, Utc};
use entity::{events, messages, quarantine};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::support::{Backend, spawn_app, vendor_example};

on_every_store!(replayed_deliveries_become_events_and_the_rest_stay,);

async fn replayed_deliveries_become_events_and_the_rest_stay(backend: Backend) {
    let app = spawn_app(backend).await;
    // Refused by this version too.
    assert_eq!(app.post("bounce", "not json").await.status(), 400);
    let incomplete =
        r#"{"id": "c-1", "phone_number": "+13035550001", "updated_at": "2024-01-01T00:00:00Z"}"#;
    assert_eq!(app.post("inbound-message", incomplete).await.status(), 422);
    let stored = app.deliver("rejection", vendor_example("rejection")).await;

    // As an older version would have left them: one this version reads, and one that is the
    // same delivery as an event already in the log.
    let original_time: DateTime<Utc> = "2020-01-02T03:04:05Z".parse().expect("a time");
    let readable = Uuid::now_v7();
    let known = Uuid::now_v7();
    let db = app.store().await;
    for (id, kind, body) in [
        (
            readable,
            "inbound-message",
            vendor_example("inbound-message"),
        ),
        (known, "rejection", vendor_example("rejection")),
    ] {
        quarantine::Entity::insert(quarantine::ActiveModel {
            id: Set(id),
            kind: Set(kind.to_owned()),
            received_at: Set(original_time),
            content_type: Set(Some("application/json".to_owned())),
            raw_body: Set(body),
            error_code: Set("invalid_payload".to_owned()),
            error_message: Set("refused by an older version".to_owned()),
        })
        .exec_without_returning(&db)
        .await
        .expect("quarantine a delivery");
    }

    let stopped = app.stop().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mobiniti-events"))
        .args(["replay-quarantine", "--database-url", &stopped.url])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("run mobiniti-events replay-quarantine");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 stored as events, 1 already in the log, 2 still refused"),
        "{stdout}"
    );

    let left = quarantine::Entity::find()
        .order_by_asc(quarantine::Column::Id)
        .all(&db)
        .await
        .expect("read the quarantine");
    let codes: Vec<_> = left.iter().map(|row| row.error_code.as_str()).collect();
    assert_eq!(codes, ["invalid_json", "invalid_payload"]);
    assert!(
        left[1].error_message.contains("message"),
        "{}",
        left[1].error_message
    );

    let event = events::Entity::find()
        .filter(events::Column::Id.eq(readable))
        .one(&db)
        .await
        .expect("read the log")
        .expect("the replayed delivery is an event, under its quarantine id");
    assert_eq!(event.received_at, original_time);
    assert_eq!(
        event.position, 2,
        "appended after the event already in the log"
    );
    let inbound = messages::Entity::find()
        .filter(messages::Column::EventPosition.eq(event.position))
        .one(&db)
        .await
        .expect("read the messages")
        .expect("the projections have it");
    assert_eq!(inbound.body, "This is an example message");

    let rejection = events::Entity::find_by_id(stored.position)
        .one(&db)
        .await
        .expect("read the log")
        .expect("the rejection");
    assert_eq!(
        rejection.deliveries, 2,
        "the replayed copy counts as a redelivery"
    );
}
