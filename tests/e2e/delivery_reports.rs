//! Delivery reports: statuses matched to messages by the recipient's normalized phone.

use std::collections::BTreeMap;

use entity::{delivery_statuses, messages};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::support::{Backend, spawn_app};

on_every_store!(
    a_report_with_300_recipients_in_3_groups_gives_each_message_its_status,
    a_later_report_updates_the_status_of_a_message,
    an_older_report_arriving_after_a_final_one_changes_nothing,
    two_messages_to_one_phone_in_one_report_get_their_own_statuses,
    a_recipient_without_a_message_has_one_row_that_later_reports_update,
);

async fn statuses(app: &crate::support::TestApp) -> BTreeMap<String, (String, bool)> {
    delivery_statuses::Entity::find()
        .all(&app.store().await)
        .await
        .expect("read")
        .into_iter()
        .map(|row| (row.id, (row.code, row.success)))
        .collect()
}

fn group(code: &str, success: bool, recipients: &[&str]) -> serde_json::Value {
    json!({"code": code, "status": format!("status {code}"), "count": recipients.len(),
           "recipients": recipients, "success": success, "bounce": false})
}

fn outbound(id: &str, phone: &str) -> serde_json::Value {
    json!({"id": id, "from": "+15555555555", "message": "hi", "phone_number": phone, "metadata": []})
}

async fn an_older_report_arriving_after_a_final_one_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = |code: &str, success: bool| {
        json!({"statuses": [group(code, success, &["12025550100"])],
               "messages": [outbound("m-1", "2025550100")]})
        .to_string()
    };
    app.deliver("delivery-report", report("100", true)).await;
    // The "sent" report Mobiniti retried after a 503, landing after the "delivered" one.
    let late = app.deliver("delivery-report", report("101", false)).await;
    assert!(!late.duplicate);
    let rows = statuses(&app).await;
    assert_eq!(
        rows,
        BTreeMap::from([("m-1:+12025550100".to_owned(), ("100".to_owned(), true))])
    );
}

async fn two_messages_to_one_phone_in_one_report_get_their_own_statuses(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = json!({
        "statuses": [group("100", true, &["12025550100"]), group("300", false, &["12025550100"])],
        "messages": [outbound("m-1", "2025550100"), outbound("m-2", "+12025550100")]
    });
    app.deliver("delivery-report", report.to_string()).await;
    assert_eq!(
        statuses(&app).await,
        BTreeMap::from([
            ("m-1:+12025550100".to_owned(), ("100".to_owned(), true)),
            ("m-2:+12025550100".to_owned(), ("300".to_owned(), false)),
        ])
    );
}

async fn a_recipient_without_a_message_has_one_row_that_later_reports_update(backend: Backend) {
    let app = spawn_app(backend).await;
    for (code, success) in [("101", false), ("100", true), ("102", false)] {
        let report = json!({"statuses": [group(code, success, &["12025550199"])], "messages": []});
        app.deliver("delivery-report", report.to_string()).await;
    }
    assert_eq!(
        statuses(&app).await,
        BTreeMap::from([(":+12025550199".to_owned(), ("100".to_owned(), true))])
    );
}

/// The phone of recipient `i`, written the way Mobiniti writes recipients.
fn recipient(i: usize) -> String {
    format!("1202555{i:04}")
}

async fn a_report_with_300_recipients_in_3_groups_gives_each_message_its_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let groups = [
        ("100", true, false),
        ("200", false, false),
        ("300", false, true),
    ];
    let statuses: Vec<_> = groups
        .iter()
        .enumerate()
        .map(|(g, (code, success, bounce))| {
            json!({
                "code": code,
                "status": format!("status {code}"),
                "count": 100,
                "recipients": (g * 100..(g + 1) * 100).map(recipient).collect::<Vec<_>>(),
                "success": success,
                "bounce": bounce
            })
        })
        .collect();
    // Messages name their phone in the other spelling (no leading 1), in another order.
    let report_messages: Vec<_> = (0..300)
        .rev()
        .map(|i| {
            json!({
                "id": format!("m-{i}"),
                "from": "64600",
                "message": format!("campaign text {i}"),
                "phone_number": format!("202555{i:04}"),
                "metadata": {"campaign": "spring"}
            })
        })
        .collect();
    let body = json!({"total_messages": 300, "statuses": statuses, "messages": report_messages});
    app.deliver("delivery-report", body.to_string()).await;

    let db = app.store().await;
    assert_eq!(
        messages::Entity::find().count(&db).await.expect("count"),
        300
    );
    let rows = delivery_statuses::Entity::find()
        .all(&db)
        .await
        .expect("read");
    assert_eq!(rows.len(), 300);
    let by_message: BTreeMap<_, _> = rows
        .iter()
        .map(|row| (row.message_id.clone().expect("matched to a message"), row))
        .collect();
    for i in 0..300 {
        let row = by_message[&format!("m-{i}")];
        let (code, success, bounce) = groups[i / 100];
        assert_eq!(row.code, code, "m-{i}");
        assert_eq!((row.success, row.bounce), (success, bounce), "m-{i}");
        assert_eq!(row.recipient, format!("+1202555{i:04}"));
    }
    let sample = messages::Entity::find_by_id("m-7".to_owned())
        .one(&db)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        sample.sender.as_deref(),
        Some("64600"),
        "a short code sender stays as given"
    );
    assert_eq!(sample.metadata, Some(json!({"campaign": "spring"})));
}

async fn a_later_report_updates_the_status_of_a_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = |code: &str, success: bool| {
        json!({
            "total_messages": 1,
            "statuses": [{"code": code, "status": code, "count": 1, "recipients": ["12025550100"], "success": success, "bounce": false}],
            "messages": [{"id": "m-1", "from": "+15555555555", "message": "hi", "phone_number": "2025550100", "metadata": []}]
        })
        .to_string()
    };
    app.deliver("delivery-report", report("101", false)).await;
    let later = app.deliver("delivery-report", report("100", true)).await;
    assert!(!later.duplicate);
    let db = app.store().await;
    let rows = delivery_statuses::Entity::find()
        .all(&db)
        .await
        .expect("read");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].code, "100");
    assert!(rows[0].success);
    assert_eq!(rows[0].event_position, later.position);
}
