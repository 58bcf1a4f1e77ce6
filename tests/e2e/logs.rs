//! The service's own logs, captured from the binary at `debug`: in both formats every line a
//! request writes names its request id (the client's when it is safe to log, else a new one,
//! echoed in `x-request-id`), and no token, key or message text is ever written.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TOKEN, TestDb};

const KEY: &str = "read-key-logs-0123456789";
const TEXT: &str = "private-log-text-93b1";

/// What one run did, and what it wrote.
struct Run {
    logs: String,
    /// The `x-request-id` of each webhook's answer, in order.
    answered_ids: Vec<String>,
}

/// Three webhooks (a safe request id, none, an unsafe one) and a GraphQL query with the key.
async fn traffic(format: &str) -> Run {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let flags = ["--api-key", KEY, "--log-format", format];
    let service = ServiceProcess::start_logging(&db.url, &flags, Some(log)).await;
    let http = reqwest::Client::new();
    let url = service.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"));

    let mut answered_ids = Vec::new();
    for (n, given) in [Some("trace.abc-123"), None, Some("not safe\tid")]
        .into_iter()
        .enumerate()
    {
        let body = json!({
            "id": format!("c-{n}"), "phone_number": format!("+1303555000{n}"),
            "message": TEXT, "updated_at": "2024-01-01T00:00:00Z",
        });
        let mut request = http.post(&url).body(body.to_string());
        if let Some(id) = given {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.expect("an answer");
        assert_eq!(response.status(), 200);
        let id = response.headers()["x-request-id"]
            .to_str()
            .expect("an ASCII id")
            .to_owned();
        answered_ids.push(id);
    }
    let answer = http
        .post(service.url("/graphql"))
        .bearer_auth(KEY)
        .json(&json!({ "query": "{ messages { nodes { body } } }" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 200);
    service.stop().await;

    let logs = std::fs::read_to_string(&log_path).expect("the logs");
    for secret in [TOKEN, KEY, TEXT] {
        let line = logs.lines().find(|line| line.contains(secret));
        assert!(line.is_none(), "`{secret}` is in a log line: {line:?}");
    }
    Run { logs, answered_ids }
}

fn check_answered_ids(ids: &[String]) {
    assert_eq!(ids[0], "trace.abc-123", "a safe id is kept and echoed");
    assert!(
        uuid::Uuid::parse_str(&ids[1]).is_ok(),
        "a new id: {}",
        ids[1]
    );
    assert!(
        uuid::Uuid::parse_str(&ids[2]).is_ok(),
        "an unsafe id is replaced: {}",
        ids[2]
    );
    assert_ne!(ids[1], ids[2]);
}

#[tokio::test]
async fn json_lines_carry_the_request_id_and_no_secret() {
    let run = traffic("json").await;
    check_answered_ids(&run.answered_ids);
    let lines: Vec<Value> = run
        .logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect();
    assert!(lines.len() > 5, "{}", run.logs);
    for line in &lines {
        for field in ["timestamp", "level", "fields"] {
            assert!(line.get(field).is_some(), "no {field}: {line}");
        }
        if line["span"]["name"] == "request" {
            assert!(line["span"]["request_id"].is_string(), "{line}");
        }
    }
    let stored: HashSet<&str> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "webhook stored")
        .map(|line| line["span"]["request_id"].as_str().expect("a request id"))
        .collect();
    let answered: HashSet<&str> = run.answered_ids.iter().map(String::as_str).collect();
    assert_eq!(stored, answered, "each stored webhook's line names its id");
}

#[tokio::test]
async fn text_lines_carry_the_request_id_and_no_secret() {
    let run = traffic("text").await;
    check_answered_ids(&run.answered_ids);
    assert!(
        !run.logs.contains('\u{1b}'),
        "no colors when not writing to a terminal"
    );
    for id in &run.answered_ids {
        let line = run
            .logs
            .lines()
            .find(|line| line.contains("webhook stored") && line.contains(id.as_str()));
        assert!(line.is_some(), "the stored line names {id}:\n{}", run.logs);
    }
}
