//! Hostile GraphQL against the real binary: each request is refused before it runs, with an
//! error that says why, the process's memory stays flat, and it goes on serving.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TestDb};

/// How long a refusal may take before the test calls it a hang (not a performance bound).
const PROMPTLY: Duration = Duration::from_secs(5);

/// Rounds of every hostile request; memory is compared after the first and after the last.
const ROUNDS: usize = 10;

/// A query `depth` levels of `contacts → messages → contact → …` deep.
fn nested(depth: usize) -> String {
    let mut query = String::from("id");
    for level in 0..depth {
        query = if level % 2 == 0 {
            format!("messages(first: 1) {{ nodes {{ {query} }} }}")
        } else {
            format!("contact {{ {query} }}")
        };
    }
    format!("{{ contacts(first: 1) {{ nodes {{ {query} }} }} }}")
}

fn aliases(count: usize) -> String {
    let fields: Vec<String> = (0..count).map(|n| format!("a{n}: __typename")).collect();
    format!("{{ {} }}", fields.join(" "))
}

/// Each hostile request: its body, the status it must get, and what its error must say.
fn hostile() -> Vec<(&'static str, Value, u16, &'static str)> {
    vec![
        (
            "50-deep nesting",
            json!({ "query": nested(50) }),
            400,
            "--graphql-max-depth",
        ),
        (
            "10,000 aliases",
            json!({ "query": aliases(10_000) }),
            400,
            "--graphql-max-aliases",
        ),
        (
            "a batch of 1,000 operations",
            Value::Array(vec![json!({ "query": "{ __typename }" }); 1_000]),
            400,
            "batched requests are not supported",
        ),
        (
            "2 MB of variables",
            json!({ "query": "{ __typename }", "variables": { "v": "x".repeat(2 << 20) } }),
            413,
            "over",
        ),
        (
            "a 10 MB query",
            json!({ "query": format!("{{ __typename }} #{}", "x".repeat(10 << 20)) }),
            413,
            "over",
        ),
        (
            "first: 1000000",
            json!({ "query": "{ messages(first: 1000000) { nodes { id } } }" }),
            400,
            "--graphql-max-complexity",
        ),
    ]
}

#[tokio::test]
async fn hostile_queries_are_refused_promptly_and_memory_stays_flat() {
    let db = TestDb::create(Backend::Sqlite).await;
    // The query size limit is raised so that each request meets the limit it is about, not
    // that one.
    let service =
        ServiceProcess::start_with(&db.url, &["--graphql-max-query-bytes", "1000000"]).await;
    let http = reqwest::Client::new();
    let url = service.url("/graphql");
    let mut after_first = 0;
    for round in 0..ROUNDS {
        for (name, body, status, says) in hostile() {
            let sent = http.post(&url).json(&body).send();
            let response = tokio::time::timeout(PROMPTLY, sent)
                .await
                .unwrap_or_else(|_| panic!("{name}: no answer within {PROMPTLY:?}"))
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(response.status().as_u16(), status, "{name}");
            let answer: Value = response.json().await.expect("a JSON answer");
            let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{name}: {answer}");
            assert!(
                answer["data"].is_null(),
                "{name}: a refused request returns no data: {answer}"
            );
        }
        if round == 0 {
            after_first = service.rss_bytes();
        }
    }
    let after_last = service.rss_bytes();
    assert!(
        after_last < after_first + (32 << 20),
        "memory grew from {after_first} to {after_last} bytes over {ROUNDS} rounds"
    );
    let fine: Value = http
        .post(&url)
        .json(&json!({ "query": "{ totals { contacts } }" }))
        .send()
        .await
        .expect("it still answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(fine["data"]["totals"]["contacts"], 0, "{fine}");
    service.stop().await;
}
