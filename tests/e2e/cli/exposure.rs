//! `serve` and the exposure rule: an open API only on loopback, unless told otherwise.

use super::*;

/// The README's rule: without `API_KEYS`, `serve` listens on loopback only, unless told
/// `--insecure-open-api`. Refused before the store is opened, so nothing is created either.
#[tokio::test]
async fn an_open_api_on_a_public_address_is_refused_with_what_to_set() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let by_flag = command(dir.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output();
    let by_env = command(dir.path())
        .arg("serve")
        .env("LISTEN_ADDR", "[::]:0")
        .output();
    for (address, run) in [("0.0.0.0:0", by_flag), ("[::]:0", by_env)] {
        let output = tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .unwrap_or_else(|_| {
                panic!("serve on {address} without API keys is refused, not served")
            })
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{address}: {stderr}");
        for hint in [
            address,
            "API_KEYS=read:",
            "--listen 127.0.0.1:",
            "--insecure-open-api",
            "every contact and message",
        ] {
            assert!(stderr.contains(hint), "{address}: `{hint}` in {stderr}");
        }
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("listening"),
            "{address}"
        );
    }
    assert!(
        !dir.path().join("mobiniti-events.db").exists(),
        "refused before the store is opened"
    );
}

/// What `serve` answers on 127.0.0.1 when listening on every IPv4 address.
fn on_loopback(started: &Started) -> String {
    let port = started
        .address
        .rsplit(':')
        .next()
        .expect("the address has a port");
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn api_keys_or_insecure_open_api_let_serve_listen_on_a_public_address() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let client = reqwest::Client::new();
    let query = json!({ "query": "{ contacts { totalCount } }" });
    let key = "read:reader-key-0123456789";

    let mut keyed = start_serving_with(
        dir.path(),
        &["--listen", "0.0.0.0:0", "--api-key", key],
        Stdio::null(),
    )
    .await;
    assert!(keyed.address.starts_with("0.0.0.0:"), "{}", keyed.address);
    let graphql = format!("{}/graphql", on_loopback(&keyed));
    let without = client
        .post(&graphql)
        .json(&query)
        .send()
        .await
        .expect("answer");
    assert_eq!(without.status(), 401, "a key is asked for");
    let with = client
        .post(&graphql)
        .bearer_auth("reader-key-0123456789")
        .json(&query)
        .send()
        .await
        .expect("answer");
    assert_eq!(with.status(), 200);
    assert!(terminate(&mut keyed.child).await.success());

    let log_path = dir.path().join("insecure.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let mut open = start_serving_with(
        dir.path(),
        &["--listen", "0.0.0.0:0", "--insecure-open-api"],
        Stdio::from(log),
    )
    .await;
    let answer = client
        .post(format!("{}/graphql", on_loopback(&open)))
        .json(&query)
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200, "open, as asked");
    assert!(terminate(&mut open.child).await.success());
    let logged = std::fs::read_to_string(&log_path).expect("the log");
    let warning = logged
        .lines()
        .find(|line| line.contains("WARN") && line.contains("--insecure-open-api"))
        .unwrap_or_else(|| panic!("a warning names --insecure-open-api:\n{logged}"));
    assert!(warning.contains("without API keys"), "{warning}");
}
