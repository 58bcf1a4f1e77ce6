//! The limit never refuses a valid credential: Mobiniti sends from shared addresses, so another
//! account's webhooks pointed here with a wrong token must not stop ours. From one address
//! (every test's is 127.0.0.1), the failing sender is answered 429 past the limit while the right
//! token or key, interleaved with it, is served as usual.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::{KEY, graphql};
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TOKEN, TestApp, spawn_binary_with};

on_every_store!(
    a_wrong_token_is_refused_past_the_limit_while_the_right_one_is_stored,
    a_wrong_api_key_is_refused_past_the_limit_while_the_right_one_is_answered,
);

async fn inbound(app: &TestApp, token: &str, id: usize) -> reqwest::Response {
    let body = json!({
        "id": format!("c-{id}"), "phone_number": format!("+1303555{id:04}"),
        "message": "hello", "updated_at": "2024-01-01T00:00:00Z",
    });
    app.client
        .post(app.url(&format!("/webhooks/mobiniti/inbound-message?token={token}")))
        .body(body.to_string())
        .send()
        .await
        .expect("an answer")
}

async fn a_wrong_token_is_refused_past_the_limit_while_the_right_one_is_stored(backend: Backend) {
    let app = spawn_binary_with(backend, &["--auth-failure-limit", "3"]).await;
    for round in 0..8 {
        let wrong = inbound(&app, "another-accounts-token", 1_000 + round).await;
        let expected = if round < 3 { 401 } else { 429 };
        assert_eq!(wrong.status(), expected, "wrong token, round {round}");
        let right = inbound(&app, TOKEN, round).await;
        assert_eq!(right.status(), 200, "right token, round {round}");
    }
    assert_eq!(
        app.metric(r#"mobiniti_auth_failures_total{surface="webhook"}"#)
            .await,
        3
    );
    assert_eq!(app.metric("mobiniti_auth_limited_total").await, 5);
    let db = app.store().await;
    let stored = entity::events::Entity::find().count(&db).await;
    assert_eq!(stored.expect("count"), 8, "every right delivery is stored");
}

async fn a_wrong_api_key_is_refused_past_the_limit_while_the_right_one_is_answered(
    backend: Backend,
) {
    let app = spawn_binary_with(backend, &["--api-key", KEY, "--auth-failure-limit", "2"]).await;
    for round in 0..5 {
        let expected = if round < 2 { 401 } else { 429 };
        let wrong = graphql(&app, "wrong-key-0123456789").await;
        assert_eq!(wrong.status(), expected, "wrong key, round {round}");
        let right = graphql(&app, KEY).await;
        assert_eq!(right.status(), 200, "right key, round {round}");
        let body: serde_json::Value = right.json().await.expect("JSON");
        assert!(body["errors"].is_null(), "round {round}: {body}");
        assert!(body["data"]["totals"].is_object(), "round {round}: {body}");
    }
    let missing = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ totals { contacts } }" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(missing.status(), 429, "no key at all fails too");

    // The upgrade is where the key can be checked before the connection is taken.
    let bearer = format!("Bearer {KEY}");
    let headers = [("authorization", bearer.as_str())];
    let upgrade = WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &headers).await;
    assert!(upgrade.is_ok(), "an upgrade carrying the right key");
    let upgrade = WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[]).await;
    let refused = upgrade.err().map(|refused| refused.status);
    assert_eq!(refused, Some(429), "an upgrade carrying no key");
}
