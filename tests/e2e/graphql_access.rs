//! Who may ask what, how much one request may ask, and GraphQL over HTTP's status codes.

use serde_json::json;

use crate::support::sse;
use crate::support::ws::{TRANSPORT, WsClient};
use crate::support::{Backend, TOKEN, spawn_app, spawn_app_with};

const READER: &str = "reader-key-0123456789";
const ADMIN: &str = "admin-key-0123456789";

on_every_store!(
    api_keys_carry_read_and_admin_scopes,
    total_count_is_read_only_when_selected,
);

async fn api_keys_carry_read_and_admin_scopes(backend: Backend) {
    let keys = format!("read:{READER},admin:{ADMIN}");
    let app = spawn_app_with(backend, &["--api-key", &keys]).await;
    let query = "{ totals { contacts } }";

    let anonymous = app.graphql_request(None, query, json!({})).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = anonymous.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    let wrong = app
        .graphql_request(Some("not-a-key-0123456789"), query, json!({}))
        .await;
    assert_eq!(wrong.status(), 401);

    let read = app.graphql_request(Some(READER), query, json!({})).await;
    assert_eq!(read.status(), 200);

    let forbidden = app
        .graphql_request(Some(READER), "{ quarantine { totalCount } }", json!({}))
        .await;
    let body: serde_json::Value = forbidden.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(body["errors"][0]["path"], json!(["quarantine"]));

    app.post("bounce", "not json").await;
    let admin = app
        .graphql_request(
            Some(ADMIN),
            "{ quarantine { totalCount nodes { kind errorCode body } } }",
            json!({}),
        )
        .await;
    let body: serde_json::Value = admin.json().await.expect("JSON");
    assert_eq!(
        body["data"]["quarantine"],
        json!({"totalCount": 1, "nodes": [{"kind": "BOUNCE", "errorCode": "invalid_json", "body": "not json"}]})
    );
}

/// With API keys, each route of README's "Access" table: the API asks for a key over HTTP,
/// WebSocket and Server-Sent Events; the webhooks for their token, not a key; the pages, files,
/// documents, health checks and metrics for nothing.
#[tokio::test]
async fn with_api_keys_only_the_api_asks_for_a_key() {
    let app = spawn_app_with(Backend::Sqlite, &["--api-key", READER]).await;
    let get = |path: &str, accept: &'static str| {
        app.client
            .get(app.url(path))
            .header("accept", accept)
            .send()
    };

    let query = "{ totals { contacts } }";
    let post = app.graphql_request(None, query, json!({})).await;
    assert_eq!(post.status(), 401, "POST /graphql");
    let query_string = get(
        "/graphql?query=%7B%20totals%20%7B%20contacts%20%7D%20%7D",
        "*/*",
    );
    assert_eq!(
        query_string.await.expect("an answer").status(),
        401,
        "GET /graphql"
    );
    let subscription = "subscription { events { position } }";
    let stream = sse::post(&app, None, subscription, json!({})).await;
    assert_eq!(stream.status(), 401, "/graphql/stream");
    let mut socket = WsClient::connect(&app, TRANSPORT, None).await;
    let refused = socket.init(None).await.map_err(|(code, _)| code);
    assert_eq!(refused, Err(4403), "WebSocket");
    let keyed = app.graphql_request(Some(READER), query, json!({})).await;
    assert_eq!(keyed.status(), 200);

    let webhook = |bearer: &str| {
        app.client
            .post(app.url("/webhooks/mobiniti/rejection"))
            .bearer_auth(bearer)
            .body(r#"{"code": "1"}"#)
            .send()
    };
    let with_a_key = webhook(READER).await.expect("an answer");
    assert_eq!(
        with_a_key.status(),
        401,
        "a webhook needs its token, not a key"
    );
    assert_eq!(webhook(TOKEN).await.expect("an answer").status(), 200);

    for (path, accept) in [
        ("/", "text/html"),
        ("/dashboard/dashboard.js", "*/*"),
        ("/graphql", "text/html"),
        ("/graphql/assets/graphiql.min.js", "*/*"),
        ("/openapi.json", "*/*"),
        ("/healthz", "*/*"),
        ("/readyz", "*/*"),
        ("/metrics", "*/*"),
    ] {
        let answer = get(path, accept).await.expect("an answer");
        assert_eq!(answer.status(), 200, "{path} needs no key");
    }
}

async fn total_count_is_read_only_when_selected(backend: Backend) {
    let app = spawn_app(backend).await;
    let filtered = "{ contacts(filter: {subscribed: true}) { nodes { id } } }";
    let counted = "{ contacts(filter: {subscribed: true}) { totalCount nodes { id } } }";
    let before = app.statements().await;
    app.query(filtered, json!({})).await;
    let without = app.statements().await - before;
    let before = app.statements().await;
    app.query(counted, json!({})).await;
    let with = app.statements().await - before;
    assert_eq!(
        with,
        without + 1,
        "one COUNT, only when totalCount is asked for"
    );
}

#[tokio::test]
async fn the_limits_refuse_deep_wide_and_large_queries_with_a_reason() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            "--graphql-max-depth",
            "6",
            "--graphql-max-aliases",
            "3",
            "--graphql-max-query-bytes",
            "2000",
        ],
    )
    .await;
    let deep = "{ contacts(first: 1) { nodes { messages(first: 1) { nodes { contact { messages(first: 1) { nodes { id } } } } } } } }";
    let response = app.graphql_request(None, deep, json!({})).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("too deep"),
        "{body}"
    );
    assert!(body.get("data").is_none(), "a refused request runs nothing");

    let wide = "{ contacts(first: 500) { nodes { messages(first: 500) { nodes { id body } } } } }";
    let response = app.graphql_request(None, wide, json!({})).await;
    assert_eq!(
        response.status(),
        400,
        "500 × 500 rows is refused before it runs"
    );
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("too complex"),
        "{body}"
    );

    let aliases = "{ a: totals { contacts } b: totals { contacts } c: totals { contacts } d: totals { contacts } }";
    let response = app.graphql_request(None, aliases, json!({})).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES");

    let large = format!("{{ totals {{ contacts }} }} # {}", "x".repeat(3000));
    let response = app.graphql_request(None, &large, json!({})).await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE");

    let fine = app.query("{ a: totals { contacts } }", json!({})).await;
    assert_eq!(fine["a"]["contacts"], 0);
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = spawn_app_with(Backend::Sqlite, &["--disable-introspection"]).await;
    let body = app
        .graphql(
            "{ __schema { queryType { name } } __type(name: \"Contact\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"__schema": null, "__type": null}),
        "nothing of the schema shows"
    );
    let on = spawn_app(Backend::Sqlite).await;
    let data = on
        .query("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn an_open_api_is_refused_on_a_public_address() {
    let config =
        <api::cli::Cli as clap::Parser>::parse_from(["mobiniti-events", "--listen", "0.0.0.0:0"]);
    let address: std::net::SocketAddr = "0.0.0.0:8080".parse().expect("address");
    let refusal = config
        .config
        .check_exposure(address)
        .expect_err("refused without keys");
    assert!(refusal.contains("API_KEYS"), "{refusal}");
    assert!(
        config
            .config
            .check_exposure("127.0.0.1:8080".parse().expect("address"))
            .is_ok()
    );
    let keyed = <api::cli::Cli as clap::Parser>::parse_from([
        "mobiniti-events",
        "--api-key",
        "read:reader-key-0123456789",
    ]);
    assert!(keyed.config.check_exposure(address).is_ok());
    let insecure =
        <api::cli::Cli as clap::Parser>::parse_from(["mobiniti-events", "--insecure-open-api"]);
    assert!(insecure.config.check_exposure(address).is_ok());
}

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("api/schema.graphql exists");
    let current = api::graphql::sdl();
    assert!(
        committed == current,
        "api/schema.graphql is stale: run `cargo run -- schema > api/schema.graphql`"
    );
}

#[tokio::test]
async fn a_browser_gets_graphiql_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let html = page.text().await.expect("HTML");
    assert!(html.contains("id=\"graphiql\""));
    assert!(
        !html.contains("https://") && !html.contains("//unpkg") && !html.contains("cdn"),
        "no outside request: {html}"
    );
    for (asset, kind) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
    ] {
        assert!(
            html.contains(&format!("/graphql/assets/{asset}")),
            "{asset} is linked"
        );
        let response = app
            .client
            .get(app.url(&format!("/graphql/assets/{asset}")))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with(kind)
        );
        assert!(response.bytes().await.expect("body").len() > 1000);
    }
    let missing = app
        .client
        .get(app.url("/graphql/assets/nope.js"))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);
}
