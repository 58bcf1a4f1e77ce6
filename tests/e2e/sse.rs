//! GraphQL over Server-Sent Events at `/graphql/stream`: the same delivery guarantee, keys and
//! limits as over WebSocket, in the graphql-sse protocol's distinct connections mode.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::sse::{Received, SseStream, complete, post};
use crate::support::ws::{TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, KINDS, TestApp, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    catch_up_replays_the_log_then_goes_live_each_event_once,
    a_query_gets_one_next_then_complete,
    api_keys_and_scopes_are_those_of_graphql_over_http,
    requests_that_cannot_run_are_answered_with_json_errors,
    the_get_form_takes_the_request_in_the_query_string,
    keep_alive_comments_come_while_nothing_happens,
    shutdown_ends_the_stream_without_complete,
    streams_count_against_the_connection_limit,
);

const EVENTS: &str =
    "subscription($after: Position) { events(afterPosition: $after) { position kind } }";

const READER: &str = "sse-reader-key-0123456789";
const ADMIN: &str = "sse-admin-key-0123456789";

fn inbound(n: usize) -> String {
    json!({
        "id": "c-sse",
        "phone_number": "+13035550100",
        "message": format!("over SSE {n}"),
        "received_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    })
    .to_string()
}

fn positions(results: &[Value]) -> Vec<i64> {
    results
        .iter()
        .map(|data| {
            data["events"]["position"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a position in {data}"))
        })
        .collect()
}

/// Fails on any event within `wait`; keep-alive comments may come.
async fn nothing_more(stream: &mut SseStream, wait: Duration) {
    while let Some(received) = stream.next(wait).await {
        assert_eq!(received, Received::Comment);
    }
}

/// The JSON errors of a refused request, after checking its status and media type.
async fn refused(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "{response:?}");
    let content_type = response.headers()["content-type"].to_str().ok();
    assert_eq!(content_type, Some("application/json; charset=utf-8"));
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    body
}

async fn deliver_vendor_examples(app: &TestApp) {
    for kind in KINDS {
        app.deliver(kind, vendor_example(kind)).await;
    }
}

async fn catch_up_replays_the_log_then_goes_live_each_event_once(backend: Backend) {
    let app = spawn_app(backend).await;
    deliver_vendor_examples(&app).await;
    let mut stream = SseStream::post(&app, None, EVENTS, json!({ "after": "0" })).await;
    let replayed = stream.collect_next(KINDS.len(), WAIT).await;
    assert_eq!(positions(&replayed), vec![1, 2, 3, 4, 5, 6]);
    let kinds: Vec<&str> = replayed
        .iter()
        .map(|data| data["events"]["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "INBOUND_MESSAGE",
            "UNSUBSCRIBE",
            "BOUNCE",
            "DELIVERY_REPORT",
            "CONTACT_STATUS",
            "REJECTION"
        ]
    );
    let live = app.deliver("inbound-message", inbound(1)).await;
    assert_eq!(live.position, 7);
    assert_eq!(positions(&stream.collect_next(1, WAIT).await), vec![7]);
    // A redelivery is no new event.
    app.deliver("inbound-message", inbound(1)).await;
    nothing_more(&mut stream, Duration::from_millis(700)).await;
}

async fn a_query_gets_one_next_then_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    deliver_vendor_examples(&app).await;
    let query = "{ events(first: 2) { totalCount nodes { position } } }";
    let mut stream = SseStream::post(&app, None, query, json!({})).await;
    let [answer] = <[Value; 1]>::try_from(stream.collect_next(1, WAIT).await).expect("one");
    assert_eq!(answer["events"]["totalCount"], 6, "{answer}");
    assert_eq!(stream.expect_event(WAIT).await, complete());
    assert_eq!(stream.expect_event(WAIT).await, Received::End);
}

async fn api_keys_and_scopes_are_those_of_graphql_over_http(backend: Backend) {
    let keys = format!("read:{READER},admin:{ADMIN}");
    let app = spawn_app_with(backend, &["--api-key", &keys]).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let typed = "subscription { messages(afterPosition: \"0\") { position kind nodes { body } } }";

    let anonymous = post(&app, None, typed, json!({})).await;
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body = refused(anonymous, 401).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let wrong = post(&app, Some("not-a-key-0123456789"), typed, json!({})).await;
    refused(wrong, 401).await;

    // A read key follows the typed subscriptions.
    let mut stream = SseStream::post(&app, Some(READER), typed, json!({})).await;
    let [message] = <[Value; 1]>::try_from(stream.collect_next(1, WAIT).await).expect("one");
    assert_eq!(message["messages"]["kind"], "INBOUND_MESSAGE");
    assert_eq!(
        message["messages"]["nodes"][0]["body"],
        "This is an example message"
    );

    // The quarantine needs an admin key: a field error, as over HTTP.
    let quarantine = "{ quarantine { totalCount } }";
    let mut reader = SseStream::post(&app, Some(READER), quarantine, json!({})).await;
    let Received::Event { event, data } = reader.expect_event(WAIT).await else {
        panic!("an event");
    };
    assert_eq!(event, "next");
    let result: Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(
        result["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{result}"
    );
    assert_eq!(reader.expect_event(WAIT).await, complete());
    let mut admin = SseStream::post(&app, Some(ADMIN), quarantine, json!({})).await;
    let [answer] = <[Value; 1]>::try_from(admin.collect_next(1, WAIT).await).expect("one");
    assert_eq!(answer["quarantine"]["totalCount"], 0, "{answer}");
}

async fn requests_that_cannot_run_are_answered_with_json_errors(backend: Backend) {
    let flags = [
        "--graphql-max-aliases",
        "2",
        "--graphql-max-query-bytes",
        "200",
    ];
    let app = spawn_app_with(backend, &flags).await;
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();

    let unparsable = post(&app, None, "subscription { events { position }", json!({})).await;
    assert_eq!(
        code(&refused(unparsable, 400).await),
        "GRAPHQL_PARSE_FAILED"
    );
    let aliases = "{ a: totals { contacts } b: totals { contacts } c: totals { contacts } }";
    let aliased = post(&app, None, aliases, json!({})).await;
    assert_eq!(code(&refused(aliased, 400).await), "TOO_MANY_ALIASES");
    let long = format!("{{ totals {{ contacts }} }} # {}", "x".repeat(200));
    let oversized = post(&app, None, &long, json!({})).await;
    assert_eq!(code(&refused(oversized, 413).await), "QUERY_TOO_LARGE");

    let stream_url = app.url("/graphql/stream");
    let not_json = app
        .client
        .post(&stream_url)
        .header("accept", "text/event-stream")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("an answer");
    assert_eq!(code(&refused(not_json, 400).await), "BAD_REQUEST");
    let no_query = app
        .client
        .post(&stream_url)
        .header("accept", "text/event-stream")
        .json(&json!({ "variables": {} }))
        .send()
        .await
        .expect("an answer");
    refused(no_query, 400).await;
    let wants_json = app
        .client
        .post(&stream_url)
        .header("accept", "application/json")
        .json(&json!({ "query": "{ totals { contacts } }" }))
        .send()
        .await
        .expect("an answer");
    refused(wants_json, 406).await;

    // Validation runs with the stream open: the protocol has its errors in a `next`.
    let mut invalid = SseStream::post(&app, None, "subscription { nope }", json!({})).await;
    let Received::Event { event, data } = invalid.expect_event(WAIT).await else {
        panic!("an event");
    };
    assert_eq!(event, "next");
    let result: Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(code(&result), "GRAPHQL_VALIDATION_FAILED", "{result}");
    assert!(result.get("data").is_none(), "{result}");
    assert_eq!(invalid.expect_event(WAIT).await, complete());
    assert_eq!(invalid.expect_event(WAIT).await, Received::End);
}

async fn the_get_form_takes_the_request_in_the_query_string(backend: Backend) {
    let app = spawn_app(backend).await;
    app.deliver("bounce", vendor_example("bounce")).await;
    let get = |params: Vec<(&'static str, String)>| {
        app.client
            .get(app.url("/graphql/stream"))
            .header("accept", "text/event-stream")
            .query(&params)
            .send()
    };
    let response = get(vec![
        ("query", EVENTS.to_owned()),
        ("variables", json!({ "after": "0" }).to_string()),
        ("extensions", "{}".to_owned()),
    ])
    .await
    .expect("an answer");
    let mut stream = SseStream::from_response(response);
    assert_eq!(positions(&stream.collect_next(1, WAIT).await), vec![1]);

    let response = get(vec![("query", "{ events { totalCount } }".to_owned())])
        .await
        .expect("an answer");
    let mut query = SseStream::from_response(response);
    let [answer] = <[Value; 1]>::try_from(query.collect_next(1, WAIT).await).expect("one");
    assert_eq!(answer["events"]["totalCount"], 1);
    assert_eq!(query.expect_event(WAIT).await, complete());

    let bad_variables = get(vec![
        ("query", EVENTS.to_owned()),
        ("variables", "[1]".to_owned()),
    ])
    .await
    .expect("an answer");
    refused(bad_variables, 400).await;
}

async fn keep_alive_comments_come_while_nothing_happens(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-keep-alive", "200ms"]).await;
    let mut stream = SseStream::post(&app, None, EVENTS, json!({})).await;
    let mut comments = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(1_100);
    while let Some(received) = stream.next(until - tokio::time::Instant::now()).await {
        assert_eq!(received, Received::Comment);
        comments += 1;
    }
    // One when the stream opens, then one every 200 ms.
    assert!((4..=7).contains(&comments), "{comments} comments in 1.1 s");
}

async fn shutdown_ends_the_stream_without_complete(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut stream = SseStream::post(&app, None, EVENTS, json!({})).await;
    assert_eq!(stream.next(WAIT).await, Some(Received::Comment));
    // Graceful shutdown waits for responses in flight: it ends only if the stream does.
    app.stop().await;
    // No `complete`: for the client it is a lost connection, to resume from its position.
    assert_eq!(stream.expect_event(WAIT).await, Received::End);
}

async fn streams_count_against_the_connection_limit(backend: Backend) {
    let app = spawn_app_with(backend, &["--ws-max-connections", "1"]).await;
    let mut first = SseStream::post(&app, None, EVENTS, json!({})).await;
    assert_eq!(first.next(WAIT).await, Some(Received::Comment));

    let second = post(&app, None, EVENTS, json!({})).await;
    let body = refused(second, 503).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "TOO_MANY_CONNECTIONS"
    );
    let socket = WsClient::try_connect(&app, "/graphql", &[TRANSPORT], &[]).await;
    assert_eq!(socket.err().map(|refused| refused.status), Some(503));

    // A client that hangs up gives its slot back.
    drop(first);
    for _ in 0..50 {
        let response = post(&app, None, EVENTS, json!({})).await;
        if response.status() == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the slot of a closed stream was not freed within 2.5 s");
}
