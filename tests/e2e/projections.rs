//! Contacts follow the payload's `updated_at`, not arrival order.

use entity::{contacts, events};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::{Backend, spawn_app};

on_every_store!(
    an_older_contact_status_arriving_late_does_not_overwrite_a_newer_one,
    on_equal_updated_at_the_same_value_wins_in_either_order,
    a_late_bounce_and_status_still_set_what_a_newer_text_does_not_mention,
    the_three_spellings_of_a_phone_are_one_contact,
    unsubscribe_and_bounce_change_the_contact,
);

fn contact_status(status: &str, updated_at: &str) -> Value {
    json!({
        "id": "c1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone_number": "+19999999999",
        "status": status,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": updated_at
    })
}

async fn contact(app: &crate::support::TestApp, id: &str) -> contacts::Model {
    contacts::Entity::find_by_id(id.to_owned())
        .one(&app.store().await)
        .await
        .expect("read contacts")
        .expect("the contact exists")
}

async fn an_older_contact_status_arriving_late_does_not_overwrite_a_newer_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.deliver(
        "contact-status",
        contact_status("deactivated", "2024-03-02T00:00:00Z").to_string(),
    )
    .await;
    let late = app
        .deliver(
            "contact-status",
            contact_status("suspended", "2024-03-01T00:00:00Z").to_string(),
        )
        .await;
    assert!(!late.duplicate, "the older update is still an event");
    let c1 = contact(&app, "c1").await;
    assert_eq!(c1.carrier_status.as_deref(), Some("deactivated"));
    assert_eq!(
        c1.updated_at,
        "2024-03-02T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("time")
    );
    assert_eq!(c1.last_event_position, late.position);
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 2);

    app.deliver(
        "contact-status",
        contact_status("resumed", "2024-03-03T00:00:00Z").to_string(),
    )
    .await;
    assert_eq!(
        contact(&app, "c1").await.carrier_status.as_deref(),
        Some("resumed")
    );
}

async fn on_equal_updated_at_the_same_value_wins_in_either_order(backend: Backend) {
    for order in [["suspended", "transferred"], ["transferred", "suspended"]] {
        let app = spawn_app(backend).await;
        for status in order {
            app.deliver(
                "contact-status",
                contact_status(status, "2024-03-01T00:00:00Z").to_string(),
            )
            .await;
        }
        assert_eq!(
            contact(&app, "c1").await.carrier_status.as_deref(),
            Some("transferred"),
            "arrival order {order:?}: the greater value wins a tie"
        );
    }
}

async fn a_late_bounce_and_status_still_set_what_a_newer_text_does_not_mention(backend: Backend) {
    let app = spawn_app(backend).await;
    let text = json!({
        "id": "c3", "first_name": "Grace", "last_name": null, "email": null,
        "phone_number": "+12025550111", "message": "hi", "short_code": "64600",
        "unsubscribed_at": null, "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-05-02T00:00:00Z", "received_at": "2024-05-02T00:00:00Z"
    });
    app.deliver("inbound-message", text.to_string()).await;
    let mut bounce = text.clone();
    bounce["bounces"] = json!(2);
    bounce["updated_at"] = json!("2024-05-01T00:00:00Z");
    bounce["first_name"] = json!("Old name");
    app.deliver("bounce", bounce.to_string()).await;
    let mut status = text.clone();
    status["status"] = json!("suspended");
    status["updated_at"] = json!("2024-05-01T12:00:00Z");
    app.deliver("contact-status", status.to_string()).await;

    let c3 = contact(&app, "c3").await;
    assert_eq!(c3.bounces, 2, "the text does not mention bounces");
    assert_eq!(c3.carrier_status.as_deref(), Some("suspended"));
    assert_eq!(
        c3.first_name.as_deref(),
        Some("Grace"),
        "the newer text's name stands"
    );
    assert_eq!(
        c3.updated_at,
        "2024-05-02T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("time")
    );
    let totals = app
        .query("{ totals { contacts bounced } }", json!({}))
        .await;
    assert_eq!(totals["totals"], json!({"contacts": 1, "bounced": 1}));
}

async fn the_three_spellings_of_a_phone_are_one_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    for (i, phone) in ["+19999999999", "19999999999", "9999999999"]
        .into_iter()
        .enumerate()
    {
        let mut body = contact_status("resumed", &format!("2024-03-0{}T00:00:00Z", i + 1));
        body["phone_number"] = json!(phone);
        app.deliver("contact-status", body.to_string()).await;
        assert_eq!(
            contact(&app, "c1").await.phone.as_str(),
            "+19999999999",
            "{phone}"
        );
    }
}

async fn unsubscribe_and_bounce_change_the_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = json!({
        "id": "c2",
        "first_name": null,
        "last_name": null,
        "email": null,
        "phone_number": "+12025550100",
        "unsubscribed_at": null,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "received_at": "2024-01-01T00:00:00Z",
        "message": "hello",
        "short_code": "64600"
    });
    app.deliver("inbound-message", base.to_string()).await;
    let c2 = contact(&app, "c2").await;
    assert!(c2.subscribed);
    assert_eq!(c2.bounces, 0);

    let mut bounce = base.clone();
    bounce["bounces"] = json!(3);
    bounce["updated_at"] = json!("2024-01-02T00:00:00Z");
    app.deliver("bounce", bounce.to_string()).await;
    assert_eq!(contact(&app, "c2").await.bounces, 3);

    let mut unsubscribe = base.clone();
    unsubscribe["unsubscribed_at"] = json!("2024-01-03T00:00:00Z");
    unsubscribe["updated_at"] = json!("2024-01-03T00:00:00Z");
    app.deliver("unsubscribe", unsubscribe.to_string()).await;
    let c2 = contact(&app, "c2").await;
    assert!(!c2.subscribed);
    assert_eq!(
        c2.bounces, 3,
        "an update that does not mention bounces keeps them"
    );
    assert_eq!(
        c2.unsubscribed_at,
        Some("2024-01-03T00:00:00Z".parse().expect("time"))
    );
}
