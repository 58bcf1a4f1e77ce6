//! A store written by an earlier version, upgraded by starting the binary on it: what it kept
//! reads as before.

use chrono::{TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TestDb};

on_every_store!(an_event_stored_with_its_parsed_payload_reads_the_same_once_that_is_dropped,);

/// The migrations before `m20261207_000008_drop_stored_payload`.
const BEFORE_THE_DROP: u32 = 7;

/// An inbound message as Mobiniti writes it, trailing comma included, its keys out of order.
const BODY: &str = r#"{"zeta": 1, "id": "c-old", "phone_number": "+13035550001", "message": "from before", "alpha": 2, "received_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",}"#;

async fn an_event_stored_with_its_parsed_payload_reads_the_same_once_that_is_dropped(
    backend: Backend,
) {
    let db = TestDb::create(backend).await;
    let store = Database::connect(&db.url).await.expect("connect");
    Migrator::up(&store, Some(BEFORE_THE_DROP))
        .await
        .expect("the migrations of the earlier version");
    let at = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let id = Uuid::now_v7();
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("events"))
        .columns(
            [
                "position",
                "id",
                "kind",
                "dedupe_key",
                "received_at",
                "occurred_at",
                "contact_id",
                "phone",
                "raw_body",
                "payload",
                "deliveries",
                "last_seen_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            1i64.into(),
            id.into(),
            "inbound-message".into(),
            "inbound-message:from-before".into(),
            at.into(),
            at.into(),
            "c-old".into(),
            "+13035550001".into(),
            BODY.as_bytes().to_vec().into(),
            // What the earlier version kept; the upgraded one must not answer it.
            json!({ "stale": true }).into(),
            1i32.into(),
            at.into(),
        ]);
    store
        .execute(&insert)
        .await
        .expect("an event as the earlier version stored it");
    store
        .execute_unprepared("UPDATE log_head SET position = 1 WHERE id = 1")
        .await
        .expect("the head");

    let service = ServiceProcess::start(&db.url).await;
    let text = reqwest::Client::new()
        .post(service.url("/graphql"))
        .json(&json!({ "query": "{ events(first: 5) { nodes { id position payload } } }" }))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a text");
    // The keys in the order they were delivered: read from the raw body.
    assert!(text.contains(r#"{"zeta":1,"id":"c-old""#), "{text}");
    let answer: Value = serde_json::from_str(&text).expect("JSON");
    let nodes = &answer["data"]["events"]["nodes"];
    assert_eq!(nodes[0]["id"], id.to_string(), "{answer}");
    assert_eq!(nodes[0]["position"], "1", "{answer}");
    let payload = &nodes[0]["payload"];
    assert_eq!(payload["message"], "from before", "{answer}");
    assert_eq!(payload["zeta"], 1, "{answer}");
    assert!(payload.get("stale").is_none(), "{answer}");
    service.stop().await;

    let backend = store.get_database_backend();
    let gone = store
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT payload FROM events",
        ))
        .await;
    assert!(gone.is_err(), "the payload column is dropped: {gone:?}");
}
