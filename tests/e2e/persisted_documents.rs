//! Persisted documents through the binary: Apollo's automatic persisted queries (registered
//! once, then sent by hash, over POST, GET, Server-Sent Events and WebSocket, and found by a
//! second process on the same store), and a manifest of trusted documents that `read` keys are
//! held to.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::process::ServiceProcess;
use crate::support::sse::{Received, SseStream};
use crate::support::ws::first_result_text;
use crate::support::{Backend, TestApp, spawn_binary_with, vendor_example};

on_every_store!(
    a_query_registered_once_goes_by_its_hash_on_every_transport_and_replica,
    read_keys_run_only_the_manifests_documents,
);

const TOTALS: &str = "query Totals { totals { contacts } }";
const READ: &str = "reader-key-0123456789";
const ADMIN: &str = "admin-key-0123456789";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` to `/graphql` at `base` with `key`; the status and the JSON answer.
async fn post(base: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.expect("an answer");
    let status = answer.status();
    (status, answer.json().await.expect("JSON"))
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The first `next` or `error` message of an operation over graphql-transport-ws.
async fn over_websocket(app: &TestApp, key: Option<&str>, payload: Value) -> Value {
    let text = first_result_text(app, key, payload).await;
    serde_json::from_str(&text).expect("JSON")
}

async fn a_query_registered_once_goes_by_its_hash_on_every_transport_and_replica(backend: Backend) {
    let app = spawn_binary_with(backend, &[]).await;
    app.deliver("contact-status", vendor_example("contact-status"))
        .await;
    let base = format!("http://{}", app.address);
    let hash = sha256(TOTALS);

    // Apollo's first try: the hash alone, unknown yet.
    let (status, answer) = post(&base, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND", "{answer}");
    assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(answer.get("data").is_none(), "{answer}");

    // A text that is not the hash's is refused, and registers nothing.
    let (status, answer) = post(
        &base,
        None,
        json!({ "query": "{ totals { subscribed } }", "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(code(&answer), "BAD_REQUEST");
    let (_, answer) = post(&base, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND", "{answer}");

    // The retry with the text registers it.
    let (status, answer) = post(
        &base,
        None,
        json!({ "query": TOTALS, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["data"]["totals"]["contacts"], 1, "{answer}");

    // From then on the hash alone, by POST and by GET (as Apollo's useGETForHashedQueries).
    let (_, answer) = post(&base, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(answer["data"]["totals"]["contacts"], 1, "{answer}");
    let get = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("operationName", "Totals"),
            ("extensions", &persisted(&hash).to_string()),
        ])
        .send()
        .await
        .expect("an answer");
    assert_eq!(get.status(), StatusCode::OK);
    assert!(get.headers().get("etag").is_some());
    let answer: Value = get.json().await.expect("JSON");
    assert_eq!(answer["data"]["totals"]["contacts"], 1, "{answer}");

    // Over Server-Sent Events and WebSocket (an empty `query` beside the hash).
    let stream = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&json!({ "extensions": persisted(&hash) }))
        .send()
        .await
        .expect("an answer");
    let mut stream = SseStream::from_response(stream);
    match stream.expect_event(std::time::Duration::from_secs(5)).await {
        Received::Event { data, .. } => assert!(data.contains("\"contacts\":1"), "{data}"),
        other => panic!("expected a result, got {other:?}"),
    }
    let message = over_websocket(
        &app,
        None,
        json!({ "query": "", "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        message["payload"]["data"]["totals"]["contacts"], 1,
        "{message}"
    );

    // Another process on the same store knows it too.
    let replica = ServiceProcess::start(&app.db.url).await;
    let replica_base = format!("http://{}", replica.address);
    let (_, answer) = post(
        &replica_base,
        None,
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(answer["data"]["totals"]["contacts"], 1, "{answer}");
    replica.stop().await;
    app.stop().await;
}

async fn read_keys_run_only_the_manifests_documents(backend: Backend) {
    let dir = tempfile::tempdir().expect("a folder");
    let relay = "query Subscribed { totals { subscribed } }";
    let manifest = json!({ sha256(TOTALS): TOTALS, "relay-0f3c": relay });
    let path = dir.path().join("persisted-documents.json");
    std::fs::write(&path, manifest.to_string()).expect("written");
    let keys = format!("read:{READ},admin:{ADMIN}");
    let path = path.display().to_string();
    let flags = [
        "--persisted-documents",
        path.as_str(),
        "--only-persisted-documents",
        "--api-key",
        keys.as_str(),
    ];
    let app = spawn_binary_with(backend, &flags).await;
    let base = format!("http://{}", app.address);

    // The manifest's documents, by hash, by Relay's id, or as their own text.
    let (_, answer) = post(
        &base,
        Some(READ),
        json!({ "extensions": persisted(&sha256(TOTALS)) }),
    )
    .await;
    assert_eq!(answer["data"]["totals"]["contacts"], 0, "{answer}");
    let (_, answer) = post(&base, Some(READ), json!({ "documentId": "relay-0f3c" })).await;
    assert_eq!(answer["data"]["totals"]["subscribed"], 0, "{answer}");
    let (_, answer) = post(&base, Some(READ), json!({ "query": TOTALS })).await;
    assert_eq!(answer["data"]["totals"]["contacts"], 0, "{answer}");

    // Anything else is refused to a read key: free text, a registration, an unknown hash.
    let other = "{ totals { bounced } }";
    let (status, answer) = post(&base, Some(READ), json!({ "query": other })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(code(&answer), "PERSISTED_DOCUMENT_REQUIRED", "{answer}");
    let registration = json!({ "query": other, "extensions": persisted(&sha256(other)) });
    let (status, answer) = post(&base, Some(READ), registration.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(code(&answer), "PERSISTED_DOCUMENT_REQUIRED", "{answer}");
    let unknown = json!({ "extensions": persisted(&sha256(other)) });
    let (_, answer) = post(&base, Some(READ), unknown).await;
    assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND", "{answer}");
    let sse = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .bearer_auth(READ)
        .json(&json!({ "query": other }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(sse.status(), StatusCode::BAD_REQUEST);
    let message = over_websocket(&app, Some(READ), json!({ "query": other })).await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(
        message["payload"][0]["extensions"]["code"], "PERSISTED_DOCUMENT_REQUIRED",
        "{message}"
    );

    // An admin key may still send any document.
    let (_, answer) = post(&base, Some(ADMIN), json!({ "query": other })).await;
    assert_eq!(answer["data"]["totals"]["bounced"], 0, "{answer}");
    app.stop().await;
}
