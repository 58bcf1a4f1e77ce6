//! Wrong credentials: they write nothing, they are counted, an address that keeps failing has
//! its failing attempts answered 429 for a while on the routes that check credentials (and only
//! those: README, "Access") while its right ones are served, and no token, key or message body
//! ever reaches the logs.

mod innocent;

use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::process::ServiceProcess;
use crate::support::sse;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TOKEN, TestApp, TestDb, spawn_app_with};

const KEY: &str = "read-key-0123456789abcdef";

async fn webhook(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/webhooks/mobiniti/rejection?token={token}")))
        .body(r#"{"code": "1", "message": "m", "description": "d"}"#);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", format!("198.51.100.7, {address}"));
    }
    request.send().await.expect("an answer")
}

async fn graphql(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": "{ totals { contacts } }" }))
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn wrong_credentials_write_nothing_are_counted_then_limited() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            "--api-key",
            KEY,
            "--auth-failure-limit",
            "6",
            "--auth-failure-window",
            "2s",
        ],
    )
    .await;
    for _ in 0..4 {
        assert_eq!(webhook(&app, "wrong-token", None).await.status(), 401);
    }
    for _ in 0..2 {
        assert_eq!(graphql(&app, "wrong-key").await.status(), 401);
    }
    assert_eq!(
        app.metric(r#"mobiniti_auth_failures_total{surface="webhook"}"#)
            .await,
        4
    );
    assert_eq!(
        app.metric(r#"mobiniti_auth_failures_total{surface="graphql"}"#)
            .await,
        2
    );

    // Over the limit: wrong credentials are refused before they are checked against the store.
    let limited = webhook(&app, "wrong-token", None).await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "too_many_failed_authentications");
    let limited = graphql(&app, "wrong-key").await;
    assert_eq!(limited.status(), 429);
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "TOO_MANY_FAILED_AUTHENTICATIONS"
    );
    assert_eq!(app.metric("mobiniti_auth_limited_total").await, 2);
    let health = app.client.get(app.url("/healthz")).send().await;
    assert_eq!(health.expect("an answer").status(), 200);

    let db = app.store().await;
    assert_eq!(
        entity::events::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        0,
        "nothing was written"
    );

    // The right credentials were never refused.
    assert_eq!(webhook(&app, TOKEN, None).await.status(), 200);
    assert_eq!(graphql(&app, KEY).await.status(), 200);

    // The window ends: a wrong token is checked, and answered 401, again.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(webhook(&app, "wrong-token", None).await.status(), 401);
    assert_eq!(graphql(&app, "wrong-key").await.status(), 401);
}

/// Past the limit, every route that checks a token or a key answers 429 to a wrong or missing
/// one, and serves the right one; the routes that need none still answer to everyone: health
/// checks, metrics, and the public pages, files and documents.
#[tokio::test]
async fn past_the_limit_only_the_routes_that_check_credentials_are_refused() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &["--api-key", KEY, "--auth-failure-limit", "2"],
    )
    .await;
    for _ in 0..2 {
        assert_eq!(webhook(&app, "wrong-token", None).await.status(), 401);
    }
    let get = |path: &str, accept: &'static str| {
        app.client
            .get(app.url(path))
            .header("accept", accept)
            .send()
    };

    assert_eq!(webhook(&app, "wrong", None).await.status(), 429, "webhooks");
    assert_eq!(graphql(&app, "wrong").await.status(), 429, "POST /graphql");
    let query = get(
        "/graphql?query=%7B%20totals%20%7B%20contacts%20%7D%20%7D",
        "*/*",
    );
    let answer = query.await.expect("an answer");
    assert_eq!(answer.status(), 429, "GET /graphql");
    let page = get("/graphql", "text/html").await.expect("an answer");
    assert_eq!(page.status(), 429, "GraphiQL's page is the /graphql route");
    let stream = sse::post(
        &app,
        Some("wrong-key-0123456789"),
        "subscription { events { position } }",
        json!({}),
    );
    assert_eq!(stream.await.status(), 429, "/graphql/stream");
    let stream = sse::post(
        &app,
        Some(KEY),
        "subscription { events { position } }",
        json!({}),
    );
    assert_eq!(stream.await.status(), 200, "/graphql/stream, the right key");
    let bearer = format!("Bearer {KEY}");
    for path in ["/graphql", "/graphql/ws"] {
        let upgrade = WsClient::try_connect(&app, path, &[TRANSPORT], &[]).await;
        assert_eq!(
            upgrade.err().map(|refused| refused.status),
            Some(429),
            "{path}"
        );
        let headers = [("authorization", bearer.as_str())];
        let upgrade = WsClient::try_connect(&app, path, &[TRANSPORT], &headers).await;
        assert!(upgrade.is_ok(), "{path}, the right key in the upgrade");
    }
    assert_eq!(webhook(&app, TOKEN, None).await.status(), 200, "webhooks");
    assert_eq!(graphql(&app, KEY).await.status(), 200, "POST /graphql");

    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
        "/dashboard/dashboard.js",
        "/openapi.json",
        "/graphql/assets/graphiql.min.js",
    ] {
        let answer = get(path, "*/*").await.expect("an answer");
        assert_eq!(answer.status(), 200, "{path} is not limited");
    }
}

/// A key refused in `connection_init` (4403, after the upgrade's 101) counts as a 401 would:
/// past the limit, the address's next upgrade without a key is answered 429 (its key could only
/// be checked after the connection is taken).
#[tokio::test]
async fn a_key_refused_over_websocket_counts_against_the_address() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &["--api-key", KEY, "--auth-failure-limit", "2"],
    )
    .await;
    for failures in 1..=2 {
        let mut client = WsClient::connect(&app, TRANSPORT, None).await;
        let refused = client
            .init(Some(
                json!({ "Authorization": "Bearer wrong-key-over-websocket" }),
            ))
            .await;
        assert_eq!(refused.map_err(|(code, _)| code), Err(4403));
        let counted = app
            .metric(r#"mobiniti_auth_failures_total{surface="graphql"}"#)
            .await;
        assert_eq!(counted, failures);
    }
    let limited = WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[]).await;
    assert_eq!(limited.err().map(|refused| refused.status), Some(429));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &["--auth-failure-limit", "3", "--trust-forwarded-for"],
    )
    .await;
    for _ in 0..3 {
        let response = webhook(&app, "wrong-token", Some("203.0.113.1")).await;
        assert_eq!(response.status(), 401);
    }
    let limited = webhook(&app, "wrong-token", Some("203.0.113.1")).await;
    assert_eq!(limited.status(), 429);
    let right = webhook(&app, TOKEN, Some("203.0.113.1")).await;
    assert_eq!(right.status(), 200, "the right token from the same client");
    let other = webhook(&app, "wrong-token", Some("203.0.113.2")).await;
    assert_eq!(other.status(), 401, "another client behind the same proxy");
}

/// A whole run at `debug`: webhooks with the token in the query and in the header, wrong
/// tokens, GraphQL with right and wrong keys, a subscription with the key in
/// `connection_init`. None of the secrets, nor a message's text, is in any log line.
#[tokio::test]
async fn no_token_key_or_message_body_is_ever_logged() {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let service = ServiceProcess::start_logging(&db.url, &["--api-key", KEY], Some(log)).await;
    let http = reqwest::Client::new();
    let body_text = "private-message-text-7f3a";
    let inbound = json!({
        "id": "c-1", "phone_number": "+13035550001", "message": body_text,
        "updated_at": "2024-01-01T00:00:00Z",
    })
    .to_string();
    let webhook_url =
        |token: &str| service.url(&format!("/webhooks/mobiniti/inbound-message?token={token}"));

    let mut subscriber = WsClient::connect_to(service.address, TRANSPORT)
        .await
        .acknowledged(Some(json!({ "Authorization": format!("Bearer {KEY}") })))
        .await;
    subscriber
        .subscribe("s", "subscription { events { position } }", json!({}))
        .await;

    let status = |response: reqwest::Response| response.status().as_u16();
    let sent = http.post(webhook_url(TOKEN)).body(inbound.clone()).send();
    assert_eq!(status(sent.await.expect("an answer")), 200);
    let sent = http
        .post(service.url("/webhooks/mobiniti/inbound-message"))
        .bearer_auth(TOKEN)
        .body(inbound.replace("c-1", "c-2"))
        .send();
    assert_eq!(status(sent.await.expect("an answer")), 200);
    let sent = http
        .post(webhook_url("wrong-token-5e1d"))
        .body(inbound.clone())
        .send();
    assert_eq!(status(sent.await.expect("an answer")), 401);
    for key in [KEY, "wrong-key-9c2b"] {
        let sent = http
            .post(service.url("/graphql"))
            .bearer_auth(key)
            .json(&json!({ "query": "{ messages { nodes { body } } }" }))
            .send();
        sent.await.expect("an answer");
    }
    subscriber
        .collect_next("s", 1, Duration::from_secs(10))
        .await;
    drop(subscriber);
    service.stop().await;

    let logs = std::fs::read_to_string(&log_path).expect("the logs");
    assert!(
        logs.contains("webhook stored"),
        "the logs were captured:\n{logs}"
    );
    for secret in [TOKEN, "wrong-token-5e1d", KEY, "wrong-key-9c2b", body_text] {
        let line = logs.lines().find(|line| line.contains(secret));
        assert!(line.is_none(), "`{secret}` is in a log line: {line:?}");
    }
}
