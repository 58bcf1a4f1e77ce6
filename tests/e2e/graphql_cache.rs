//! Answers to repeated queries are reused only until a write the API can see: a new event, a
//! redelivery, a quarantined delivery, a rebuild from another process.

use serde_json::json;

use crate::support::{Backend, spawn_app, spawn_app_with, vendor_example};

const ADMIN: &str = "admin-key-0123456789";
const READER: &str = "reader-key-0123456789";

on_every_store!(
    a_repeated_query_costs_one_statement,
    every_visible_write_renews_the_answer,
    a_rebuild_in_another_process_renews_the_answer,
);

const INBOX: &str = "{ messages(filter: {direction: INBOUND}) { totalCount nodes { body category contact { phone } } } }";

async fn a_repeated_query_costs_one_statement(backend: Backend) {
    let app = spawn_app(backend).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let before = app.statements().await;
    let first = app.query(INBOX, json!({})).await;
    let computed = app.statements().await - before;
    let before = app.statements().await;
    let again = app.query(INBOX, json!({})).await;
    let reused = app.statements().await - before;
    assert_eq!(first, again);
    assert!(
        computed >= 3,
        "the first answer reads the store: {computed}"
    );
    assert_eq!(reused, 1, "the repeat reads only the store's version");

    // Other variables are another question.
    let query =
        "query($text: String) { messages(filter: {textContains: $text}) { nodes { body } } }";
    let hit = app.query(query, json!({"text": "example"})).await;
    let miss = app.query(query, json!({"text": "nothing like it"})).await;
    assert_eq!(hit["messages"]["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(miss["messages"]["nodes"], json!([]));

    // Switched off, every request computes its answer.
    let app = spawn_app_with(backend, &["--graphql-cache-mib", "0"]).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    app.query(INBOX, json!({})).await;
    let before = app.statements().await;
    app.query(INBOX, json!({})).await;
    // The page, its contacts joined, and its count; no version read.
    assert_eq!(app.statements().await - before, 2);
}

async fn every_visible_write_renews_the_answer(backend: Backend) {
    let keys = format!("admin:{ADMIN},read:{READER}");
    let app = spawn_app_with(backend, &["--api-key", &keys]).await;
    let ask = |query: &'static str, key: &'static str| {
        let app = &app;
        async move {
            let response = app.graphql_request(Some(key), query, json!({})).await;
            let body: serde_json::Value = response.json().await.expect("JSON");
            body
        }
    };

    let inbox = "{ messages { totalCount } }";
    assert_eq!(
        ask(inbox, READER).await["data"]["messages"]["totalCount"],
        0
    );
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    assert_eq!(
        ask(inbox, READER).await["data"]["messages"]["totalCount"],
        1
    );

    // A redelivery hands out no position but changes what `events` shows.
    let deliveries = "{ events { nodes { deliveries } } }";
    assert_eq!(
        ask(deliveries, READER).await["data"]["events"]["nodes"][0]["deliveries"],
        1
    );
    let receipt = app
        .deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    assert!(receipt.duplicate);
    assert_eq!(
        ask(deliveries, READER).await["data"]["events"]["nodes"][0]["deliveries"],
        2
    );

    // A quarantined delivery changes what admins see, and reaches no event.
    let quarantine = "{ quarantine { totalCount } }";
    assert_eq!(
        ask(quarantine, ADMIN).await["data"]["quarantine"]["totalCount"],
        0
    );
    assert_eq!(app.post("bounce", "not json").await.status(), 400);
    assert_eq!(
        ask(quarantine, ADMIN).await["data"]["quarantine"]["totalCount"],
        1
    );

    // An admin's kept answer is not a reader's.
    let refused = ask(quarantine, READER).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}

async fn a_rebuild_in_another_process_renews_the_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut join = serde_json::from_slice::<serde_json::Value>(&vendor_example("inbound-message"))
        .expect("the vendor example is JSON");
    join["message"] = json!("Join");
    app.deliver("inbound-message", join.to_string()).await;
    let category = "{ messages { nodes { category } } }";
    assert_eq!(
        app.query(category, json!({})).await["messages"]["nodes"][0]["category"],
        "REPLY"
    );

    // The running service keeps its connections; the store learns a keyword, and the
    // projections are rebuilt with it, in another process.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mobiniti-events"))
        .args([
            "settings",
            "set",
            "--keywords",
            "JOIN",
            "--database-url",
            &app.db.url,
        ])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("run mobiniti-events settings set");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        app.query(category, json!({})).await["messages"]["nodes"][0]["category"],
        "KEYWORD"
    );
}
