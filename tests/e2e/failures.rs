//! Bodies that cannot become events, and a store that does not answer.

use entity::{events, quarantine};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{
    Backend, Proxy, TOKEN, TestDb, spawn_app, spawn_app_with, spawn_on_url, vendor_example,
};

on_every_store!(
    a_body_that_is_not_json_is_quarantined_and_answered_400,
    a_payload_of_the_wrong_shape_is_quarantined_and_answered_422,
    text_or_too_few_digits_for_a_phone_number_is_quarantined_and_answered_422,
    an_oversize_body_is_refused_whole,
    an_oversize_body_without_a_length_is_refused_whole,
    a_store_that_does_not_answer_gives_503_then_recovers,
);

async fn a_body_that_is_not_json_is_quarantined_and_answered_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = b"id=1&phone_number=%2B19999999999".to_vec();
    let response = app.post("unsubscribe", body.clone()).await;
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.expect("JSON error");
    assert_eq!(error["error"]["code"], "invalid_json");

    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 0);
    let kept = quarantine::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("quarantined");
    assert_eq!(kept.kind, "unsubscribe");
    assert_eq!(kept.raw_body, body);
    assert_eq!(kept.error_code, "invalid_json");
    assert_eq!(kept.content_type.as_deref(), Some("application/json"));
}

async fn a_payload_of_the_wrong_shape_is_quarantined_and_answered_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (
            "bounce",
            r#"{"id": "c1", "phone_number": "+19999999999", "updated_at": "2024-01-01T00:00:00Z"}"#,
            "bounces",
        ),
        (
            "contact-status",
            r#"{"id": "c1", "phone_number": "+19999999999", "status": "suspended", "updated_at": "yesterday"}"#,
            "updated_at",
        ),
        (
            "delivery-report",
            r#"{"statuses": "all good", "messages": []}"#,
            "statuses",
        ),
        (
            "inbound-message",
            r#"{"id": "c1", "phone_number": "not a phone", "message": "hi", "updated_at": "2024-01-01T00:00:00Z"}"#,
            "phone_number",
        ),
        ("rejection", r#"["code", "message"]"#, "JSON object"),
    ];
    for (kind, body, named) in cases {
        let response = app.post(kind, body).await;
        assert_eq!(response.status(), 422, "{kind}");
        let error: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(error["error"]["code"], "invalid_payload");
        let message = error["error"]["message"].as_str().expect("a message");
        assert!(
            message.contains(named),
            "{kind}: `{message}` names `{named}`"
        );
    }
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 0);
    let kept = quarantine::Entity::find().all(&db).await.expect("read");
    assert_eq!(
        kept.len(),
        cases.len(),
        "every refused delivery is visible in quarantine"
    );
    for (entry, (kind, body, _)) in kept.iter().zip(cases) {
        assert_eq!(entry.kind, kind);
        assert_eq!(entry.raw_body, body.as_bytes());
        assert_eq!(entry.error_code, "invalid_payload");
    }
}

/// The parser alone reads the digits out of any text (`call me PII-4455` was `+14455`): text
/// with letters, or fewer digits than a number of its country has, is refused. A short code is a
/// sender's, not a contact's.
async fn text_or_too_few_digits_for_a_phone_number_is_quarantined_and_answered_422(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let contact = |phone: &str| {
        serde_json::json!({
            "id": "c1", "phone_number": phone, "status": "suspended",
            "updated_at": "2024-01-01T00:00:00Z",
        })
        .to_string()
    };
    let cases = [
        (contact("call me PII-4455"), "letters"),
        (contact("1-800-FLOWERS"), "vanity"),
        (contact("44-55"), "4 digits after +1"),
        (contact("555-0100"), "7 digits after +1"),
        (contact("64600"), "5 digits after +1"),
    ];
    for (body, named) in &cases {
        let response = app.post("contact-status", body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(error["error"]["code"], "invalid_payload");
        let message = error["error"]["message"].as_str().expect("a message");
        assert!(
            message.contains("phone_number: ") && message.contains(named),
            "`{message}` names the field and `{named}`"
        );
    }
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 0);
    let kept = quarantine::Entity::find().all(&db).await.expect("read");
    assert_eq!(kept.len(), cases.len(), "every one is kept in quarantine");
    for (entry, (body, _)) in kept.iter().zip(&cases) {
        assert_eq!(entry.raw_body, body.as_bytes());
        assert_eq!(entry.error_code, "invalid_payload");
    }
    app.deliver("contact-status", contact("(303) 555-0100"))
        .await;
}

async fn an_oversize_body_is_refused_whole(backend: Backend) {
    let app = spawn_app_with(backend, &["--webhook-body-limit", "1024"]).await;
    let mut body = String::from(r#"{"code": "1", "message": ""#);
    body.push_str(&"x".repeat(2000));
    body.push_str(r#"", "description": ""}"#);
    let response = app.post("rejection", body).await;
    assert_eq!(response.status(), 413);
    let error: serde_json::Value = response.json().await.expect("JSON error");
    assert_eq!(error["error"]["code"], "payload_too_large");
    let fits = app.post("rejection", vendor_example("rejection")).await;
    assert_eq!(
        fits.status(),
        200,
        "a body under the cap still goes through"
    );

    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 1);
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        0
    );
}

async fn an_oversize_body_without_a_length_is_refused_whole(backend: Backend) {
    let app = spawn_app_with(backend, &["--webhook-body-limit", "1024"]).await;
    // Chunked, so the cap is enforced while reading rather than from Content-Length.
    let mut stream = tokio::net::TcpStream::connect(app.address)
        .await
        .expect("connect");
    let chunk = "x".repeat(800);
    let request = format!(
        "POST /webhooks/mobiniti/rejection?token={TOKEN} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 0);
    assert_eq!(
        quarantine::Entity::find().count(&db).await.expect("count"),
        0
    );
}

async fn a_store_that_does_not_answer_gives_503_then_recovers(backend: Backend) {
    match backend {
        Backend::Sqlite => sqlite_locked_by_another_writer().await,
        Backend::Postgres => postgres_cut_off().await,
    }
}

/// SQLite's way of not answering: another process holds the write lock past the timeout.
async fn sqlite_locked_by_another_writer() {
    let app = spawn_app_with(Backend::Sqlite, &["--store-timeout", "300ms"]).await;
    let other = app.store().await;
    let lock = other.begin().await.expect("begin");
    lock.execute_unprepared("INSERT INTO settings (key, value) VALUES ('lock', 'held')")
        .await
        .expect("take the write lock");

    let response = app.post("bounce", vendor_example("bounce")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let error: serde_json::Value = response.json().await.expect("JSON error");
    assert_eq!(error["error"]["code"], "store_unavailable");

    lock.rollback().await.expect("release the lock");
    let retried = app.deliver("bounce", vendor_example("bounce")).await;
    assert!(
        !retried.duplicate,
        "the refused delivery had not been stored"
    );
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 1);
}

/// PostgreSQL's way of not answering: the network to it is cut.
async fn postgres_cut_off() {
    let db = TestDb::create(Backend::Postgres).await;
    let (proxy, through_proxy) = Proxy::in_front_of(&db.url).await;
    let app = spawn_on_url(db, &through_proxy, &["--store-timeout", "1s"]).await;
    app.deliver("bounce", vendor_example("bounce")).await;

    proxy.cut();
    let response = app
        .post("contact-status", vendor_example("contact-status"))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(ready.status(), 503, "not ready while the store is cut off");
    let body = app
        .graphql("{ contacts { nodes { id } } }", serde_json::json!({}))
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "STORE_UNAVAILABLE", "{body}");
    let message = error["message"].as_str().expect("a message");
    for internal in ["SELECT", "sqlx", "connection", "contacts"] {
        assert!(
            !message.contains(internal),
            "the error leaks `{internal}`: {message}"
        );
    }

    proxy.restore();
    let mut recovered = None;
    for _ in 0..20 {
        let response = app
            .post("contact-status", vendor_example("contact-status"))
            .await;
        if response.status() == 200 {
            recovered = Some(response);
            break;
        }
        assert_eq!(response.status(), 503, "only 503 while recovering");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        recovered.is_some(),
        "the service recovers without a restart"
    );
    let db = app.store().await;
    assert_eq!(events::Entity::find().count(&db).await.expect("count"), 2);
}
