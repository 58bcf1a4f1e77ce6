//! Webhooks that arrive together share one transaction, and each is still answered for itself:
//! its own position, its own duplicate flag, its own refusal.

use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::support::{Backend, TestApp, spawn_app_with};

on_every_store!(
    concurrent_deliveries_share_transactions,
    a_duplicate_or_a_refusal_in_a_batch_leaves_the_others_alone,
    one_delivery_per_transaction_when_batches_hold_one,
);

fn inbound(n: usize) -> String {
    json!({
        "id": format!("c-{n}"),
        "phone_number": format!("+1303555{n:04}"),
        "message": format!("reply {n}"),
        "received_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    })
    .to_string()
}

/// Transactions that appended, as the store counts them (each moves `log_head.version`).
async fn transactions(app: &TestApp) -> i64 {
    let db = app.store().await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM log_head WHERE id = 1",
        ))
        .await
        .expect("read the log head")
        .expect("the log head row");
    row.try_get_by_index(0).expect("a version")
}

async fn post_all(app: &TestApp, bodies: Vec<String>) -> Vec<(u16, serde_json::Value)> {
    join_all(bodies.into_iter().map(|body| async move {
        let response = app.post("inbound-message", body).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }))
    .await
}

async fn concurrent_deliveries_share_transactions(backend: Backend) {
    // A wait long enough for every concurrent request to join the first batch.
    let app = spawn_app_with(backend, &["--commit-batch-wait", "500ms"]).await;
    let answers = post_all(&app, (0..20).map(inbound).collect()).await;
    let mut positions: Vec<i64> = answers
        .iter()
        .map(|(status, receipt)| {
            assert_eq!(*status, 200, "{receipt}");
            receipt["position"].as_i64().expect("a position")
        })
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=20).collect::<Vec<_>>());
    let used = transactions(&app).await;
    assert!(used < 20, "20 deliveries in {used} transactions");
}

async fn a_duplicate_or_a_refusal_in_a_batch_leaves_the_others_alone(backend: Backend) {
    let app = spawn_app_with(backend, &["--commit-batch-wait", "500ms"]).await;
    let mut bodies: Vec<String> = (0..5).map(inbound).collect();
    bodies.extend(std::iter::repeat_n(inbound(99), 4));
    bodies.push(json!({"phone_number": 12}).to_string());
    let answers = post_all(&app, bodies).await;
    let stored: Vec<_> = answers[..5].iter().collect();
    assert!(
        stored
            .iter()
            .all(|(status, r)| *status == 200 && r["duplicate"] == false)
    );
    let repeated = &answers[5..9];
    assert!(repeated.iter().all(|(status, _)| *status == 200));
    let originals = repeated
        .iter()
        .filter(|(_, r)| r["duplicate"] == false)
        .count();
    assert_eq!(
        originals, 1,
        "one of the identical deliveries is the original: {repeated:?}"
    );
    let position = &repeated[0].1["position"];
    assert!(repeated.iter().all(|(_, r)| &r["position"] == position));
    assert_eq!(answers[9].0, 422, "{}", answers[9].1);
    let data = app.query("{ events { totalCount } }", json!({})).await;
    assert_eq!(data["events"]["totalCount"], 6);
}

async fn one_delivery_per_transaction_when_batches_hold_one(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &["--commit-batch-max", "1", "--commit-batch-wait", "500ms"],
    )
    .await;
    let answers = post_all(&app, (0..8).map(inbound).collect()).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert_eq!(transactions(&app).await, 8);
}
