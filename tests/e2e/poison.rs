//! Poison input: one delivery never fails the deliveries batched with it, and what a store
//! could refuse is decided the same way on SQLite and PostgreSQL.

use clap::Parser;
use entity::{contacts, events, messages, quarantine};
use futures_util::future::join_all;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, spawn_app_with};

on_every_store!(
    nul_in_strings_and_keys_is_stored_as_u_fffd_and_the_raw_body_kept_verbatim,
    a_delivery_the_store_refuses_is_quarantined_and_its_batchmates_are_stored,
    ids_too_long_to_index_and_times_out_of_range_are_refused_alike,
);

/// Deliveries posted together wait for each other, so they share one transaction.
const BATCHING: [&str; 2] = ["--commit-batch-wait", "300ms"];

fn text(contact: &str, message: &str) -> Value {
    json!({
        "id": contact, "first_name": "Ada", "last_name": null, "email": null,
        "phone_number": "+12025550100", "short_code": "64600", "message": message,
        "unsubscribed_at": null, "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z", "received_at": "2024-01-01T00:00:00Z"
    })
}

/// Posts every body at once as an inbound message; the answers' statuses and bodies, in order.
async fn post_together(app: &TestApp, bodies: Vec<Vec<u8>>) -> Vec<(u16, Value)> {
    join_all(bodies.into_iter().map(|body| async move {
        let response = app.post("inbound-message", body).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }))
    .await
}

fn good_texts(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| text(&format!("good-{i}"), "fine").to_string().into_bytes())
        .collect()
}

async fn nul_in_strings_and_keys_is_stored_as_u_fffd_and_the_raw_body_kept_verbatim(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &BATCHING).await;
    // Escaped U+0000 in a value, in a key and in the contact's name, as valid JSON.
    let poison = br#"{"id": "c-nul", "first_name": "A\u0000da", "last_name": null, "email": null,
        "phone_number": "+12025550100", "message": "hello\u0000world", "x\u0000y": {"k": "\u0000"},
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        "received_at": "2024-01-01T00:00:00Z"}"#
        .to_vec();
    let mut bodies = vec![poison.clone()];
    bodies.extend(good_texts(4));
    let answers = post_together(&app, bodies).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let position = answers[0].1["position"].as_i64().expect("a position");

    let db = app.store().await;
    let event = events::Entity::find_by_id(position)
        .one(&db)
        .await
        .expect("read")
        .expect("the event is stored");
    assert_eq!(event.raw_body, poison, "the raw body is kept byte for byte");
    let answer = app
        .graphql(
            "query($id: ID!) { event(id: $id) { payload } }",
            json!({ "id": event.id }),
        )
        .await;
    let payload = &answer["data"]["event"]["payload"];
    assert_eq!(payload["message"], "hello\u{FFFD}world", "{answer}");
    assert_eq!(payload["x\u{FFFD}y"], json!({"k": "\u{FFFD}"}), "{answer}");
    let contact = contacts::Entity::find_by_id("c-nul".to_owned())
        .one(&db)
        .await
        .expect("read")
        .expect("the contact is projected");
    assert_eq!(contact.first_name.as_deref(), Some("A\u{FFFD}da"));
    let bodies: Vec<String> = messages::Entity::find()
        .all(&db)
        .await
        .expect("read")
        .into_iter()
        .map(|message| message.body)
        .collect();
    assert!(
        bodies.contains(&"hello\u{FFFD}world".to_owned()),
        "{bodies:?}"
    );
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 5);
}

/// Makes the store itself refuse any inbound text that says "poison", as a constraint the
/// service knows nothing of: the stand-in for whatever a store may refuse that the service
/// does not foresee.
async fn refuse_poison(app: &TestApp, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages \
             WHEN NEW.body LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poison is refused'); END"
        }
        Backend::Postgres => {
            "ALTER TABLE messages ADD CONSTRAINT refuse_poison CHECK (body NOT LIKE '%poison%')"
        }
    };
    app.store()
        .await
        .execute_unprepared(sql)
        .await
        .expect("add the refusal");
}

async fn a_delivery_the_store_refuses_is_quarantined_and_its_batchmates_are_stored(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &BATCHING).await;
    refuse_poison(&app, backend).await;
    let poison = text("c-poison", "poison pill").to_string().into_bytes();
    let mut bodies = vec![poison.clone()];
    bodies.extend(good_texts(4));
    let answers = post_together(&app, bodies).await;
    assert_eq!(answers[0].0, 422, "{}", answers[0].1);
    assert_eq!(answers[0].1["error"]["code"], "invalid_payload");
    for (status, body) in &answers[1..] {
        assert_eq!(*status, 200, "a batchmate of the refused delivery: {body}");
    }
    // Sent again, as Mobiniti would: the same answer, never a 503.
    let again = app.post("inbound-message", poison.clone()).await;
    assert_eq!(again.status(), 422);

    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 4);
    let kept = quarantine::Entity::find().all(&db).await.expect("read");
    assert_eq!(kept.len(), 2, "each refused arrival is kept");
    for row in &kept {
        assert_eq!(row.raw_body, poison);
        assert_eq!(row.error_code, "store_refused");
        assert!(
            row.error_message.contains("refuse_poison") || row.error_message.contains("poison"),
            "the store's reason is kept: {}",
            row.error_message
        );
    }
    // `replay-quarantine` goes past what the store still refuses, and takes it once it can.
    let late = text("c-late", "from the quarantine")
        .to_string()
        .into_bytes();
    quarantine::Entity::insert(quarantine::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        kind: Set("inbound-message".to_owned()),
        received_at: Set(chrono::Utc::now()),
        content_type: Set(None),
        raw_body: Set(late),
        error_code: Set("invalid_payload".to_owned()),
        error_message: Set("refused by an older version".to_owned()),
    })
    .exec_without_returning(&db)
    .await
    .expect("quarantine a delivery");
    let cli = api::cli::Cli::try_parse_from(["mobiniti-events", "--database-url", &app.db.url])
        .expect("flags parse");
    api::commands::replay_quarantine(&cli.config)
        .await
        .expect("replay");
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 5);
    let kept = quarantine::Entity::find().all(&db).await.expect("read");
    assert_eq!(kept.len(), 2, "the refused deliveries stay");
    assert!(kept.iter().all(|row| row.error_code == "store_refused"));
    let unrefuse = match backend {
        Backend::Sqlite => "DROP TRIGGER refuse_poison",
        Backend::Postgres => "ALTER TABLE messages DROP CONSTRAINT refuse_poison",
    };
    db.execute_unprepared(unrefuse)
        .await
        .expect("drop the refusal");
    api::commands::replay_quarantine(&cli.config)
        .await
        .expect("replay");
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 6);
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        0
    );

    let refused = app
        .metric(r#"mobiniti_webhooks_total{kind="inbound-message",outcome="refused_by_store"}"#)
        .await;
    assert_eq!(refused, 2);
    assert_eq!(
        app.metric_or_zero(
            r#"mobiniti_webhooks_total{kind="inbound-message",outcome="unavailable"}"#
        )
        .await,
        0,
        "a refusal is not an outage"
    );
}

async fn ids_too_long_to_index_and_times_out_of_range_are_refused_alike(backend: Backend) {
    let app = spawn_app_with(backend, &BATCHING).await;
    let long_id = text(&"c".repeat(3_000), "hi").to_string().into_bytes();
    let mut year_zero = text("c-year-zero", "hi");
    year_zero["updated_at"] = json!("0000-01-01T00:00:00Z");
    let mut bodies = vec![long_id, year_zero.to_string().into_bytes()];
    bodies.extend(good_texts(3));
    let answers = post_together(&app, bodies).await;
    for (status, body) in &answers[..2] {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(body["error"]["code"], "invalid_payload");
    }
    let message = answers[0].1["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("255"), "{message}");
    for (status, body) in &answers[2..] {
        assert_eq!(*status, 200, "{body}");
    }
    let db = app.store().await;
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        2
    );
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 3);
}
