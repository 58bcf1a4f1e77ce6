//! The webhook routes through HTTP: the vendor's examples, tokens, kinds, content types.

use entity::{contacts, delivery_statuses, events, messages, quarantine, rejections};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::json;

use crate::support::{Backend, KINDS, TOKEN, spawn_app, vendor_example};

on_every_store!(
    every_vendor_example_is_accepted_verbatim,
    any_content_type_or_none_is_accepted,
    a_missing_or_wrong_token_is_refused_and_nothing_is_stored,
    the_token_is_accepted_as_a_bearer_header,
    an_unknown_kind_is_not_found,
    unknown_fields_and_statuses_are_kept,
    non_latin_and_emoji_text_is_kept_byte_exact,
    health_and_readiness_answer,
);

async fn every_vendor_example_is_accepted_verbatim(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut positions = Vec::new();
    for kind in KINDS {
        let receipt = app.deliver(kind, vendor_example(kind)).await;
        assert!(!receipt.duplicate, "{kind}");
        positions.push(receipt.position);
    }
    assert_eq!(
        positions,
        [1, 2, 3, 4, 5, 6],
        "positions start at 1 and grow by one"
    );

    let db = app.store().await;
    let log = events::Entity::find()
        .order_by_asc(events::Column::Position)
        .all(&db)
        .await
        .expect("read the log");
    for (event, kind) in log.iter().zip(KINDS) {
        assert_eq!(event.kind, kind);
        assert_eq!(
            event.raw_body,
            vendor_example(kind),
            "{kind} is kept byte for byte"
        );
        assert_eq!(event.deliveries, 1);
    }
    assert_eq!(log[0].phone.as_deref(), Some("+19999999999"));
    assert_eq!(
        log[0].contact_id.as_deref(),
        Some("f82e541a-a4b1-11e8-a85f-127fd0971098")
    );

    let contact = contacts::Entity::find_by_id("f82e541a-a4b1-11e8-a85f-127fd0971098".to_owned())
        .one(&db)
        .await
        .expect("read contacts")
        .expect("the contact exists");
    assert_eq!(contact.phone, "+19999999999");
    assert_eq!(contact.bounces, 2);
    assert_eq!(contact.carrier_status.as_deref(), Some("deactivated"));
    assert!(
        !contact.subscribed,
        "the unsubscribe example unsubscribed the contact"
    );

    let all_messages = messages::Entity::find()
        .order_by_asc(messages::Column::EventPosition)
        .all(&db)
        .await
        .expect("read messages");
    assert_eq!(all_messages.len(), 2);
    assert_eq!(all_messages[0].direction, "inbound");
    assert_eq!(all_messages[0].short_code.as_deref(), Some("64600"));
    assert_eq!(all_messages[1].direction, "outbound");
    assert_eq!(all_messages[1].id, "a8a2b40a-86ae-4a91-a61d-7b7ccfc4b148");
    assert_eq!(all_messages[1].sender.as_deref(), Some("+15555555555"));
    assert_eq!(all_messages[1].phone, "+19999999999");

    let statuses = delivery_statuses::Entity::find()
        .all(&db)
        .await
        .expect("read statuses");
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        statuses[0].message_id.as_deref(),
        Some("a8a2b40a-86ae-4a91-a61d-7b7ccfc4b148")
    );
    assert_eq!(statuses[0].recipient, "+19999999999");
    assert_eq!(statuses[0].code, "100");
    assert!(statuses[0].success && !statuses[0].bounce);

    assert_eq!(
        rejections::Entity::find().count(&db).await.expect("count"),
        1
    );
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        0
    );
}

async fn any_content_type_or_none_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = app.url(&format!("/webhooks/mobiniti/bounce?token={TOKEN}"));
    let plain = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(vendor_example("bounce"))
        .send()
        .await
        .expect("answer");
    assert_eq!(plain.status(), 200);
    let none = app
        .client
        .post(app.url(&format!("/webhooks/mobiniti/contact-status?token={TOKEN}")))
        .body(vendor_example("contact-status"))
        .send()
        .await
        .expect("answer");
    assert_eq!(none.status(), 200, "{:?}", none.text().await);
}

async fn a_missing_or_wrong_token_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = vendor_example("inbound-message");
    let attempts = [
        app.url("/webhooks/mobiniti/inbound-message"),
        app.url("/webhooks/mobiniti/inbound-message?token=wrong-token-0123456789"),
        app.url(&format!(
            "/webhooks/mobiniti/inbound-message?token={TOKEN}x"
        )),
    ];
    for url in attempts {
        let response = app
            .client
            .post(&url)
            .body(body.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 401, "{url}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let error: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(error["error"]["code"], "unauthorized");
    }
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 0);
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        0
    );
}

async fn the_token_is_accepted_as_a_bearer_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/webhooks/mobiniti/rejection"))
        .bearer_auth(TOKEN)
        .body(vendor_example("rejection"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let wrong = app
        .client
        .post(app.url("/webhooks/mobiniti/rejection"))
        .bearer_auth("not-the-token-0123456789")
        .body(vendor_example("rejection"))
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 401);
}

async fn an_unknown_kind_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post("inbound_message", vendor_example("inbound-message"))
        .await;
    assert_eq!(response.status(), 404);
    let error: serde_json::Value = response.json().await.expect("JSON error");
    assert_eq!(error["error"]["code"], "unknown_webhook");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("inbound-message")
    );
}

async fn unknown_fields_and_statuses_are_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "id": "c-ported",
        "first_name": "Zoë",
        "last_name": null,
        "email": null,
        "phone_number": "9999999999",
        "status": "ported",
        "carrier": {"name": "Example Mobile"},
        "created_at": "2016-07-01T15:11:09.553Z",
        "updated_at": "2016-07-01T15:11:09.553Z"
    });
    app.deliver("contact-status", body.to_string()).await;
    let answer = app
        .graphql("{ events(first: 1) { nodes { payload } } }", json!({}))
        .await;
    assert_eq!(
        answer["data"]["events"]["nodes"][0]["payload"]["carrier"]["name"], "Example Mobile",
        "unknown fields are kept: {answer}"
    );
    let db = app.store().await;
    let contact = contacts::Entity::find_by_id("c-ported".to_owned())
        .one(&db)
        .await
        .expect("read")
        .expect("projected");
    assert_eq!(contact.carrier_status.as_deref(), Some("ported"));
    assert_eq!(contact.phone, "+19999999999");
    assert_eq!(contact.first_name.as_deref(), Some("Zoë"));
}

async fn non_latin_and_emoji_text_is_kept_byte_exact(backend: Backend) {
    let app = spawn_app(backend).await;
    let text = "Привет! 你好 مرحبا 👋🏽 — ok? 🇺🇸\u{200d}";
    let body = json!({
        "id": "c-unicode",
        "phone_number": "+19999999999",
        "short_code": "64600",
        "message": text,
        "unsubscribed_at": null,
        "created_at": "2016-07-01T15:11:09.553Z",
        "updated_at": "2016-07-01T15:11:09.553Z",
        "received_at": "2016-07-01T15:11:09.553Z"
    })
    .to_string();
    app.deliver("inbound-message", body.clone()).await;
    let db = app.store().await;
    let message = messages::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(message.body, text);
    let event = events::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(event.raw_body, body.as_bytes());
    let answer = app
        .graphql("{ events(first: 1) { nodes { payload } } }", json!({}))
        .await;
    assert_eq!(
        answer["data"]["events"]["nodes"][0]["payload"]["message"], text,
        "{answer}"
    );
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.expect("answer");
        assert_eq!(response.status(), 200, "{path}");
    }
}

/// The OpenAPI document names the route, the six kinds, and every status the route answers: 200,
/// the guard's 429, and each refusal's.
#[tokio::test]
async fn the_openapi_document_describes_the_webhook_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with("3.")),
        "{document}"
    );
    let operation = &document["paths"]["/webhooks/mobiniti/{kind}"]["post"];
    let mut statuses: Vec<&str> = operation["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect();
    statuses.sort_unstable();
    let refusals = api::webhooks::WebhookError::ALL.map(|(status, _)| status.as_u16());
    let mut expected: Vec<String> = [200, 429]
        .into_iter()
        .chain(refusals)
        .map(|status| status.to_string())
        .collect();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(statuses, expected);
    let mut kinds: Vec<&str> = document["components"]["schemas"]["WebhookKind"]["enum"]
        .as_array()
        .expect("the kinds")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let mut expected = KINDS.to_vec();
    kinds.sort_unstable();
    expected.sort_unstable();
    assert_eq!(kinds, expected);
}
