//! With API keys, a GraphQL request without a valid key costs what a refused webhook does: it is
//! answered 401 from its headers, before its body is read, and counted as a failed
//! authentication. The client here announces a megabyte, sends a few bytes and stalls: a server
//! that read the body first would wait for the rest (up to `--request-body-timeout`) and only
//! then refuse.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, spawn_binary_with};

on_every_store!(a_request_with_a_wrong_key_is_refused_before_its_body_is_read);

const KEY: &str = "read-key-0123456789abcdef";

/// Much less than `--request-body-timeout` (30 s), and than any body read could take.
const PROMPTLY: Duration = Duration::from_secs(1);

/// The announced body: the largest a GraphQL POST may have.
const ANNOUNCED_BYTES: usize = 1024 * 1024;

async fn a_request_with_a_wrong_key_is_refused_before_its_body_is_read(backend: Backend) {
    let app = spawn_binary_with(backend, &["--api-key", KEY, "--auth-failure-limit", "0"]).await;
    let wrong = "Authorization: Bearer wrong-key-0123456789abcdef\r\n";
    for path in ["/graphql", "/graphql/stream"] {
        for authorization in [wrong, ""] {
            let (head, body) = stalled_post(&app, path, authorization).await;
            assert!(head.starts_with("HTTP/1.1 401"), "{path}: {head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("www-authenticate: bearer"),
                "{path}: {head}"
            );
            assert!(body.contains("UNAUTHENTICATED"), "{path}: {body}");
        }
    }
    let response = app
        .client
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .bearer_auth("wrong-key-0123456789abcdef")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 401);

    let failures = r#"mobiniti_auth_failures_total{surface="graphql"}"#;
    assert_eq!(app.metric(failures).await, 5);
}

/// Posts headers announcing [`ANNOUNCED_BYTES`] and the first bytes of a body, then sends
/// nothing more while it waits for the answer; returns the answer's head and body as read
/// within [`PROMPTLY`].
async fn stalled_post(app: &TestApp, path: &str, authorization: &str) -> (String, String) {
    let mut stream = TcpStream::connect(app.address).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         {authorization}Content-Length: {ANNOUNCED_BYTES}\r\n\r\n{{\"query\": \"",
        app.address
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the head");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PROMPTLY, async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.expect("read the answer");
            answer.extend_from_slice(&chunk[..n]);
            if n == 0 || complete(&answer) {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        read.is_ok(),
        "{path}: no whole answer within {PROMPTLY:?} while the body stalls: {text:?}"
    );
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_owned(), body.to_owned())
}

/// Whether `answer` holds a head and all of the body its `Content-Length` announces.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}
