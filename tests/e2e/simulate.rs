//! `mobiniti-events simulate` against the real binary serving a fresh SQLite file: what it
//! sends lands in every view of the dashboard, and nothing in quarantine.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::support::TOKEN;
use crate::support::process::{ServiceProcess, binary};

/// `mobiniti-events simulate ARGS` in `dir`, none of its settings taken from the environment.
async fn simulate(dir: &Path, args: &[&str]) -> Output {
    let run = binary()
        .current_dir(dir)
        .arg("simulate")
        .args(args)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("simulate ends within 60 s")
        .expect("run simulate")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("events.db").display())
}

/// A GraphQL query on the open (loopback, no API key) API; fails the test on errors.
async fn query(service: &ServiceProcess, query: &str) -> Value {
    let body: Value = reqwest::Client::new()
        .post(service.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the service answers")
        .json()
        .await
        .expect("a JSON answer");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// The number after `label` in the summary.
fn summary_count(summary: &str, label: &str) -> i64 {
    summary
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("`{label}` in the summary:\n{summary}"))
}

#[tokio::test]
async fn a_simulated_campaign_fills_every_view_and_nothing_is_quarantined() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let service = ServiceProcess::start(&sqlite_url(dir.path())).await;
    let target = service.url("");
    let output = simulate(
        dir.path(),
        &[
            "--target",
            &target,
            "--webhook-token",
            TOKEN,
            "--contacts",
            "20",
            "--rate",
            "400",
            "--seed",
            "7",
        ],
    )
    .await;
    let summary = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        summary.starts_with("Simulated 1 campaign to 20 contacts (--seed 7) in "),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("Dashboard: {target}/")),
        "{summary}"
    );
    assert_eq!(summary_count(&summary, "refused"), 0, "{summary}");
    assert_eq!(summary_count(&summary, "duplicates"), 2, "{summary}");

    let data = query(
        &service,
        "{
          contacts { totalCount }
          unsubscribed: contacts(filter: {subscribed: false}) { totalCount }
          stops: messages(filter: {categories: [STOP]}) { totalCount }
          helps: messages(filter: {categories: [HELP]}) { totalCount }
          replies: messages(filter: {categories: [REPLY]}) { totalCount }
          failures: deliveryStatuses(filter: {success: false, bounce: false}) { totalCount }
          bounces: deliveryStatuses(filter: {bounce: true}) { totalCount }
          delivered: deliveryStatuses(filter: {code: \"100\"}) { totalCount }
          rejections { totalCount }
          quarantine { totalCount }
          events { totalCount }
          INBOUND_MESSAGE: events(filter: {kinds: [INBOUND_MESSAGE]}) { totalCount }
          UNSUBSCRIBE: events(filter: {kinds: [UNSUBSCRIBE]}) { totalCount }
          BOUNCE: events(filter: {kinds: [BOUNCE]}) { totalCount }
          DELIVERY_REPORT: events(filter: {kinds: [DELIVERY_REPORT]}) { totalCount }
          CONTACT_STATUS: events(filter: {kinds: [CONTACT_STATUS]}) { totalCount }
          REJECTION: events(filter: {kinds: [REJECTION]}) { totalCount }
        }",
    )
    .await;
    let count = |name: &str| data[name]["totalCount"].as_i64().unwrap_or(-1);
    for kind in [
        "INBOUND_MESSAGE",
        "UNSUBSCRIBE",
        "BOUNCE",
        "DELIVERY_REPORT",
        "CONTACT_STATUS",
        "REJECTION",
    ] {
        assert!(count(kind) > 0, "no {kind} event: {data}");
    }
    assert_eq!(count("contacts"), 20, "{data}");
    assert_eq!(count("quarantine"), 0, "{data}");
    for view in [
        "unsubscribed",
        "stops",
        "helps",
        "replies",
        "failures",
        "bounces",
        "rejections",
    ] {
        assert!(count(view) > 0, "{view} is empty: {data}");
    }
    assert!(count("delivered") > count("failures") + count("bounces"));
    assert_eq!(
        count("events"),
        summary_count(&summary, "stored"),
        "every webhook the summary counts as stored is an event: {summary}"
    );
    service.stop().await;
}

#[tokio::test]
async fn without_a_token_the_one_serve_keeps_in_the_store_is_used() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database_url = sqlite_url(dir.path());
    let service = ServiceProcess::start_with_stored_token(&database_url).await;
    let output = simulate(
        dir.path(),
        &[
            "--target",
            &service.url(""),
            "--database-url",
            &database_url,
            "--contacts",
            "10",
            "--rate",
            "400",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let data = query(&service, "{ events { totalCount } }").await;
    assert!(data["events"]["totalCount"].as_i64() > Some(10), "{data}");
    service.stop().await;
}

#[tokio::test]
async fn a_wrong_token_a_missing_token_or_no_service_fail_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let service = ServiceProcess::start(&sqlite_url(dir.path())).await;
    let wrong = simulate(
        dir.path(),
        &[
            "--target",
            &service.url(""),
            "--webhook-token",
            "not-the-token-0123456789",
        ],
    )
    .await;
    assert!(!wrong.status.success());
    let stderr = text(&wrong.stderr);
    assert!(
        stderr.contains("refused the webhook token (401"),
        "{stderr}"
    );
    assert!(stderr.contains("--webhook-token"), "{stderr}");
    assert!(
        !stderr.contains("not-the-token-0123456789"),
        "the token is never printed: {stderr}"
    );
    let data = query(&service, "{ events { totalCount } }").await;
    assert_eq!(data["events"]["totalCount"], 0, "{data}");

    // No token given, and no store where the default --database-url points: nothing created.
    let empty = tempfile::tempdir().expect("a temporary folder");
    let missing = simulate(empty.path(), &["--target", &service.url("")]).await;
    assert!(!missing.status.success());
    let stderr = text(&missing.stderr);
    assert!(stderr.contains("no webhook token"), "{stderr}");
    assert!(stderr.contains("--webhook-token"), "{stderr}");
    assert!(
        !empty.path().join("mobiniti-events.db").exists(),
        "the store is only read, never created"
    );
    service.stop().await;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    let nobody = simulate(
        dir.path(),
        &[
            "--target",
            &format!("http://{address}"),
            "--webhook-token",
            TOKEN,
        ],
    )
    .await;
    assert!(!nobody.status.success());
    let stderr = text(&nobody.stderr);
    assert!(
        stderr.contains(&format!("nothing answers at http://{address}/healthz")),
        "{stderr}"
    );
    assert!(
        stderr.contains("`mobiniti-events serve` must be running"),
        "{stderr}"
    );
}
