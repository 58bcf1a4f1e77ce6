//! The service's own logs, captured from the binary at `debug`: in both formats every line a
//! request writes names its request id (the client's when it is safe to log, else a new one,
//! echoed in `x-request-id`), and no token, key or message text is ever written; a refused
//! payload is logged by kind and field, never by the value refused.

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

/// Refused deliveries whose refusals quote the value (a phone number, a wrong-typed field, a
/// time out of range, an id): each line names the kind, the field and why, and no value.
#[tokio::test]
async fn refused_payloads_are_logged_by_field_never_by_value() {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let flags = ["--log-format", "json"];
    let service = ServiceProcess::start_logging(&db.url, &flags, Some(log)).await;
    let http = reqwest::Client::new();
    let contact = |field: &str, value: Value| {
        let mut body = json!({
            "id": "c-1", "phone_number": "+13035550001", "status": "suspended", "bounces": 3,
            "message": "hi", "updated_at": "2024-01-01T00:00:00Z",
        });
        body[field] = value;
        body.to_string()
    };
    let long_id = format!("PII-long-id-{}", "x".repeat(300));
    let report = json!({
        "statuses": [{"code": 1, "recipients": ["PII-recipient-58"], "success": true}],
        "messages": [],
    });
    // (kind, body, the value that must not be logged, the field that must be)
    let cases = [
        (
            "contact-status",
            contact("phone_number", json!("call me PII-4455")),
            "PII-4455",
            "phone_number",
        ),
        (
            "bounce",
            contact("bounces", json!("PII-bounces-61")),
            "PII-bounces-61",
            "bounces",
        ),
        (
            "unsubscribe",
            contact("updated_at", json!("0000-03-04T05:06:07Z")),
            "0000-03-04",
            "updated_at",
        ),
        (
            "unsubscribe",
            contact("updated_at", json!("PII-time")),
            "PII-time",
            "updated_at",
        ),
        (
            "inbound-message",
            contact("id", json!(987_654_321_987_u64)),
            "987654321987",
            "id",
        ),
        (
            "inbound-message",
            contact("id", json!(long_id)),
            "PII-long-id",
            "id",
        ),
        (
            "delivery-report",
            report.to_string(),
            "PII-recipient-58",
            "statuses[0].recipients[0]",
        ),
    ];
    for (kind, body, marker, _) in &cases {
        let url = service.url(&format!("/webhooks/mobiniti/{kind}?token={TOKEN}"));
        let answer = http
            .post(url)
            .body(body.clone())
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 422, "{kind}: {body}");
        let answer: Value = answer.json().await.expect("JSON");
        assert_eq!(answer["error"]["code"], "invalid_payload");
        if *marker == "PII-4455" {
            let message = answer["error"]["message"].as_str().expect("a message");
            assert!(
                message.contains(marker),
                "the sender is told what it sent: {message}"
            );
        }
    }
    let not_json = service.url(&format!("/webhooks/mobiniti/rejection?token={TOKEN}"));
    let answer = http
        .post(not_json)
        .body("{\"code\": PII-bare}")
        .send()
        .await;
    assert_eq!(answer.expect("an answer").status(), 400);
    service.stop().await;

    let logs = std::fs::read_to_string(&log_path).expect("the logs");
    for marker in cases.iter().map(|case| case.2).chain(["PII"]) {
        let line = logs.lines().find(|line| line.contains(marker));
        assert!(line.is_none(), "`{marker}` is in a log line: {line:?}");
    }
    let refusals: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("webhook refused"))
        })
        .collect();
    for (kind, _, _, field) in &cases {
        let logged = refusals.iter().any(|line| {
            line["fields"]["kind"] == *kind
                && line["fields"]["field"] == *field
                && line["fields"]["code"] == "invalid_payload"
                && line["fields"]["reason"].is_string()
        });
        assert!(logged, "no refusal line names {kind} and {field}:\n{logs}");
    }
    let not_json = refusals.iter().any(|line| {
        line["fields"]["kind"] == "rejection" && line["fields"]["code"] == "invalid_json"
    });
    assert!(
        not_json,
        "the body that is not JSON is logged by kind:\n{logs}"
    );
}

/// Wrong tokens by the hundred, from an address the limiter never stops (`--auth-failure-limit
/// 0`): each is answered 401, and the log gets a line or two, not one each.
#[tokio::test]
async fn wrong_tokens_by_the_hundred_write_a_line_or_two() {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let flags = ["--auth-failure-limit", "0"];
    let service = ServiceProcess::start_logging(&db.url, &flags, Some(log)).await;
    let http = reqwest::Client::new();
    let url = service.url("/webhooks/mobiniti/inbound-message?token=wrong-token-0123456789");
    for _ in 0..200 {
        let answer = http.post(&url).body("{}").send().await.expect("an answer");
        assert_eq!(answer.status(), 401);
    }
    service.stop().await;
    let logs = std::fs::read_to_string(&log_path).expect("the log");
    let lines = logs.matches("missing or wrong token").count();
    assert!((1..=2).contains(&lines), "{lines} lines for 200 refusals");
}
