//! The `mobiniti-events` binary: first start, shutdown, other commands.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::process::binary;
use crate::support::vendor_example;

mod exposure;
mod mistakes;

/// The binary in `dir`, with none of the service's settings taken from the test's environment.
fn command(dir: &Path) -> Command {
    let mut command = binary();
    command.current_dir(dir).kill_on_drop(true);
    command
}

/// What `serve` printed before it started answering.
struct Started {
    child: Child,
    address: String,
    urls: Vec<String>,
    generated: bool,
}

async fn start_serving(dir: &Path) -> Started {
    start_serving_with(dir, &["--listen", "127.0.0.1:0"], Stdio::null()).await
}

/// Starts `serve` with `args`, its logs sent to `stderr`.
async fn start_serving_with(dir: &Path, args: &[&str], stderr: Stdio) -> Started {
    let mut child = command(dir)
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start mobiniti-events");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut address = String::new();
    let mut urls = Vec::new();
    let mut generated = false;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(rest) = line.strip_prefix("mobiniti-events is listening on http://") {
                address = rest.trim().to_owned();
            }
            if let Some(url) = line
                .split_whitespace()
                .find(|word| word.starts_with("http") && word.contains("token="))
            {
                urls.push(url.to_owned());
            }
            if line.contains("generated") {
                generated = true;
            }
            if urls.len() == 6 && !address.is_empty() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the URLs are printed within 30 s");
    Started {
        child,
        address,
        urls,
        generated,
    }
}

async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().expect("a running child").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(killed.success());
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s of SIGTERM")
        .expect("wait for the child")
}

#[tokio::test]
async fn first_start_creates_the_store_generates_a_token_and_prints_the_six_urls() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut first = start_serving(dir.path()).await;
    assert!(
        first.generated,
        "the first start says the token was generated"
    );
    assert!(
        dir.path().join("mobiniti-events.db").exists(),
        "the SQLite file is created in the working directory"
    );
    assert_eq!(first.urls.len(), 6);
    for kind in crate::support::KINDS {
        assert!(
            first
                .urls
                .iter()
                .any(|url| url.contains(&format!("/webhooks/mobiniti/{kind}?token="))),
            "{kind}"
        );
    }
    let token = first.urls[0]
        .split("token=")
        .nth(1)
        .expect("a token")
        .to_owned();
    assert!(token.len() >= 32, "at least 128 bits as hex");

    let client = reqwest::Client::new();
    for url in &first.urls {
        let kind = url
            .split("/webhooks/mobiniti/")
            .nth(1)
            .and_then(|rest| rest.split('?').next())
            .expect("kind");
        let response = client
            .post(url)
            .body(vendor_example(kind))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 200, "{url}");
    }
    assert!(
        terminate(&mut first.child).await.success(),
        "SIGTERM exits 0"
    );

    let mut second = start_serving(dir.path()).await;
    assert!(!second.generated, "the token is kept, not generated again");
    assert!(
        second.urls[0].ends_with(&token),
        "the same token after a restart"
    );
    let again = client
        .post(format!(
            "http://{}/webhooks/mobiniti/bounce?token={token}",
            second.address
        ))
        .body(vendor_example("bounce"))
        .send()
        .await
        .expect("answer");
    let receipt: serde_json::Value = again.json().await.expect("receipt");
    assert_eq!(receipt["duplicate"], true, "events survived the restart");
    assert!(terminate(&mut second.child).await.success());
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut started = start_serving(dir.path()).await;
    let url = started
        .urls
        .iter()
        .find(|url| url.contains("/rejection?"))
        .expect("the rejection URL");
    let path = url.split_once(&started.address).expect("path").1.to_owned();
    let body = vendor_example("rejection");
    let (head, tail) = body.split_at(body.len() / 2);

    let mut stream = tokio::net::TcpStream::connect(&started.address)
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the head");
    stream.write_all(head).await.expect("send half the body");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = started.child.id().expect("running").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
        .write_all(tail)
        .await
        .expect("send the rest of the body");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("read the answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"duplicate\":false"), "{answer}");

    let status = tokio::time::timeout(Duration::from_secs(10), started.child.wait())
        .await
        .expect("exits after the request")
        .expect("wait");
    assert!(status.success(), "exit 0 after SIGTERM");
}

#[tokio::test]
async fn migrate_applies_the_schema_and_exits() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = command(dir.path())
        .arg("migrate")
        .output()
        .await
        .expect("run migrate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied"));
    let url = format!(
        "sqlite://{}",
        dir.path().join("mobiniti-events.db").display()
    );
    let db = sea_orm::Database::connect(url.as_str())
        .await
        .expect("open the store");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::events::Entity::find()
            .count(&db)
            .await
            .expect("the events table exists"),
        0
    );
}

#[tokio::test]
async fn bad_settings_are_refused_with_what_to_change() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cases = [
        (vec!["--default-region", "USA"], "region code"),
        (vec!["--webhook-token", "short"], "at least 16 characters"),
        (vec!["--store-timeout", "soon"], "store-timeout"),
        (
            vec!["--database-url", "sqlite:///nonexistent-dir/x/y.db"],
            "cannot open the store",
        ),
        (vec!["--public-url", "hooks.example.com"], "https://"),
        (
            vec!["--public-url", "https://hooks.example.com/?x=1"],
            "query string",
        ),
        (vec!["--log-format", "xml"], "json"),
    ];
    for (args, expected) in cases {
        let output = command(dir.path())
            .args(["migrate"])
            .args(&args)
            .output()
            .await
            .expect("run");
        assert!(!output.status.success(), "{args:?} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// `urls --public-url` prints the six URLs for the public address with the token `serve`
/// then uses: generated by whichever runs first, and kept.
#[tokio::test]
async fn urls_prints_the_webhook_urls_for_the_public_address() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = command(dir.path())
        .args([
            "urls",
            "--public-url",
            "https://hooks.example.com/mobiniti/",
        ])
        .output()
        .await
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let urls: Vec<&str> = stdout
        .split_whitespace()
        .filter(|word| word.contains("token="))
        .collect();
    assert_eq!(urls.len(), 6, "{stdout}");
    for page in ["Settings → Message Settings", "Settings → Notifications"] {
        assert!(stdout.contains(page), "{stdout}");
    }
    for kind in crate::support::KINDS {
        let prefix = format!("https://hooks.example.com/mobiniti/webhooks/mobiniti/{kind}?token=");
        assert!(
            urls.iter().any(|url| url.starts_with(&prefix)),
            "{kind}: {stdout}"
        );
    }
    let token = urls[0].split("token=").nth(1).expect("a token");

    let mut serving = start_serving(dir.path()).await;
    assert!(!serving.generated, "serve finds the token `urls` kept");
    assert!(
        serving
            .urls
            .iter()
            .all(|url| url.ends_with(&format!("token={token}"))),
        "{:?}",
        serving.urls
    );
    assert!(terminate(&mut serving.child).await.success());
}
