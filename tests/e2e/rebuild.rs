//! `mobiniti-events rebuild` gives back exactly the projections built as events arrived.

use entity::contacts;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, IntoActiveModel, Statement,
};
use serde_json::json;

use futures_util::future::join_all;

use crate::support::{Backend, Projections, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    rebuild_equals_the_incremental_projections,
    projections_written_in_concurrent_batches_equal_a_rebuild,
);

/// A small deterministic generator, so the out-of-order stream is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// A mixed stream: every kind, contacts updated out of order, reports that overlap, redeliveries.
fn mixed_stream() -> Vec<(&'static str, String)> {
    let mut stream = Vec::new();
    for kind in crate::support::KINDS {
        stream.push((
            kind,
            String::from_utf8(vendor_example(kind)).expect("UTF-8"),
        ));
    }
    for c in 0..8 {
        let phone = format!("202555{c:04}");
        for day in 1..=4 {
            let updated_at = format!("2024-02-0{day}T12:00:00Z");
            let contact = json!({
                "id": format!("c{c}"),
                "first_name": format!("Name {c}.{day}"),
                "last_name": null,
                "email": if day % 2 == 0 { json!(format!("c{c}@example.com")) } else { json!(null) },
                "phone_number": if day % 2 == 0 { format!("1{phone}") } else { phone.clone() },
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": updated_at,
            });
            let mut status = contact.clone();
            status["status"] =
                json!(["suspended", "deactivated", "resumed", "transferred"][day - 1]);
            stream.push(("contact-status", status.to_string()));
            let mut inbound = contact.clone();
            inbound["message"] = json!(format!("reply {day} from c{c} ✓"));
            inbound["short_code"] = json!("64600");
            inbound["unsubscribed_at"] = json!(null);
            inbound["received_at"] = json!(updated_at);
            stream.push(("inbound-message", inbound.to_string()));
            if day == 3 {
                let mut bounce = contact.clone();
                bounce["bounces"] = json!(c + 1);
                stream.push(("bounce", bounce.to_string()));
                let mut unsubscribe = contact.clone();
                unsubscribe["unsubscribed_at"] = json!(updated_at);
                stream.push(("unsubscribe", unsubscribe.to_string()));
            }
        }
    }
    for round in 0..3 {
        let code = ["101", "100", "200"][round];
        stream.push((
            "delivery-report",
            json!({
                "total_messages": 8,
                "statuses": [
                    {"code": code, "status": format!("status {code}"), "count": 4, "recipients": (0..4).map(|c| format!("1202555{c:04}")).collect::<Vec<_>>(), "success": code == "100", "bounce": false},
                    {"code": "300", "status": "bounced", "count": 5, "recipients": (4..9).map(|c| format!("1202555{c:04}")).collect::<Vec<_>>(), "success": false, "bounce": true}
                ],
                "messages": (0..8).map(|c| json!({"id": format!("out-{c}"), "from": "+15555555555", "message": format!("offer {round}"), "phone_number": format!("202555{c:04}"), "metadata": []})).collect::<Vec<_>>()
            })
            .to_string(),
        ));
    }
    stream.push((
        "rejection",
        json!({"code": "30007", "message": "filtered", "description": "carrier"}).to_string(),
    ));
    let mut random = Lcg(7);
    for i in (1..stream.len()).rev() {
        stream.swap(i, random.next(i + 1));
    }
    let redeliveries: Vec<_> = (0..10)
        .map(|_| stream[random.next(stream.len())].clone())
        .collect();
    stream.extend(redeliveries);
    stream
}

/// Every index of the store, with its definition.
async fn indexes(db: &DatabaseConnection) -> Vec<(String, String)> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name"
        }
        _ => {
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
              ORDER BY indexname"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("list the indexes");
    assert!(rows.len() > 10, "{} indexes", rows.len());
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("a name"),
                row.try_get_by_index(1).expect("a definition"),
            )
        })
        .collect()
}

pub(crate) async fn run_rebuild(database_url: &str) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mobiniti-events"))
        .args(["rebuild", "--database-url", database_url])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("run mobiniti-events rebuild");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "rebuild failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("rebuilt the projections from"), "{stdout}");
}

async fn rebuild_equals_the_incremental_projections(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = mixed_stream();
    for (kind, body) in &stream {
        app.deliver(kind, body.clone()).await;
    }
    let db = app.store().await;
    let incremental = Projections::read(&db).await;
    assert!(incremental.contacts.len() >= 9);
    assert!(incremental.messages.len() >= 40);
    assert!(incremental.delivery_statuses.len() >= 9);
    assert_eq!(incremental.rejections.len(), 2);

    let indexes_before = indexes(&db).await;

    // Damage a projection, so the rebuild has something to put right.
    let mut damaged = incremental.contacts[0].clone().into_active_model();
    damaged.carrier_status = Set(Some("damaged".into()));
    damaged.update(&db).await.expect("damage a contact");

    // Stopped first, as an operator would: a running service would only wait for the rebuild.
    let stopped = app.stop().await;
    run_rebuild(&stopped.url).await;
    let rebuilt = Projections::read(&db).await;
    assert_eq!(rebuilt.contacts, incremental.contacts);
    assert_eq!(rebuilt.messages, incremental.messages);
    assert_eq!(rebuilt.delivery_statuses, incremental.delivery_statuses);
    assert_eq!(rebuilt.rejections, incremental.rejections);
    assert_eq!(rebuilt.totals, incremental.totals);
    assert_eq!(
        indexes(&db).await,
        indexes_before,
        "the rebuild leaves every index as the migrations made it"
    );
    assert_eq!(incremental.totals.len(), 3, "{:?}", incremental.totals);
    assert!(
        contacts::Entity::find()
            .all(&db)
            .await
            .expect("read")
            .iter()
            .all(|c| c.carrier_status.as_deref() != Some("damaged"))
    );
}

/// Each commit batch is folded in memory and written once per row; delivered one by one (above)
/// or many to a transaction (here), the projections must be the ones a replay of the log gives.
async fn projections_written_in_concurrent_batches_equal_a_rebuild(backend: Backend) {
    let app = spawn_app_with(backend, &["--commit-batch-wait", "50ms"]).await;
    let stream = mixed_stream();
    for wave in stream.chunks(16) {
        join_all(
            wave.iter()
                .map(|(kind, body)| app.deliver(kind, body.clone())),
        )
        .await;
    }
    let db = app.store().await;
    let batched = Projections::read(&db).await;
    assert!(batched.contacts.len() >= 9);

    let stopped = app.stop().await;
    run_rebuild(&stopped.url).await;
    let rebuilt = Projections::read(&db).await;
    assert_eq!(rebuilt, batched);
}
