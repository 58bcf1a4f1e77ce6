//! The harness: `spawn_app` starts the service on a fresh database and returns a typed client.

mod database;
pub mod hostile;
pub mod process;
mod proxy;
mod snapshot;
pub mod sse;
pub mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sea_orm::{Database, DatabaseConnection};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use database::{Backend, TestDb, with_address};
pub use proxy::Proxy;
pub use snapshot::Projections;

/// The webhook token every test app is started with.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Generates one test per store for each named `async fn name(backend: Backend)` of the
/// calling module: `sqlite::name` always, `postgres::name` when `TEST_DATABASE_URL` is set.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL is not set: PostgreSQL run skipped")]
                async fn $name() {
                    super::$name(crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A running service and a client for it.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// The binary, when the app runs as a process of its own ([`spawn_binary_with`]).
    process: Option<process::ServiceProcess>,
}

/// Starts the service on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the service on a fresh database with extra command-line flags.
pub async fn spawn_app_with(backend: Backend, flags: &[&str]) -> TestApp {
    let db = TestDb::create(backend).await;
    spawn_on(db, flags).await
}

/// Starts the built binary (`mobiniti-events serve`) on a fresh database with extra flags: for
/// what the README promises of the binary, start-up and all, rather than of the library.
pub async fn spawn_binary_with(backend: Backend, flags: &[&str]) -> TestApp {
    spawn_binary_with_env(backend, flags, &[]).await
}

/// [`spawn_binary_with`], with environment variables set for the binary.
pub async fn spawn_binary_with_env(
    backend: Backend,
    flags: &[&str],
    env: &[(&str, &str)],
) -> TestApp {
    let db = TestDb::create(backend).await;
    let process = process::ServiceProcess::start_with_env(&db.url, flags, env).await;
    let app = TestApp {
        address: process.address,
        client: reqwest::Client::new(),
        db,
        shutdown: None,
        server: None,
        process: Some(process),
    };
    app.wait_until_healthy().await;
    app
}

/// Starts the service on an existing test database, reaching it at `url`.
pub async fn spawn_on_url(db: TestDb, url: &str, flags: &[&str]) -> TestApp {
    start(db, url.to_owned(), flags).await
}

async fn spawn_on(db: TestDb, flags: &[&str]) -> TestApp {
    let url = db.url.clone();
    start(db, url, flags).await
}

async fn start(db: TestDb, url: String, flags: &[&str]) -> TestApp {
    let mut args = vec![
        "mobiniti-events",
        "--database-url",
        &url,
        "--webhook-token",
        TOKEN,
        "--listen",
        "127.0.0.1:0",
    ];
    if !flags.contains(&"--store-timeout") {
        args.extend_from_slice(&["--store-timeout", "2s"]);
    }
    args.extend_from_slice(flags);
    let cli = api::cli::Cli::try_parse_from(args).expect("test flags parse");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = listener.local_addr().expect("local address");
    let (shutdown, signal) = oneshot::channel::<()>();
    let server = tokio::spawn(api::run(cli.config, listener, async move {
        let _ = signal.await;
    }));
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        shutdown: Some(shutdown),
        server: Some(server),
        process: None,
    };
    app.wait_until_healthy().await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Posts `body` to a kind's webhook with the token in the query string.
    pub async fn post(&self, kind: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/webhooks/mobiniti/{kind}?token={TOKEN}")))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the service answers")
    }

    /// Posts `body` and returns the receipt, failing the test on anything but 200.
    pub async fn deliver(&self, kind: &str, body: impl Into<reqwest::Body>) -> Receipt {
        let response = self.post(kind, body).await;
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_eq!(status, 200, "{kind}: {text}");
        serde_json::from_str(&text).expect("a receipt")
    }

    /// Runs a GraphQL query over HTTP (POST, JSON) and returns the whole response body, failing
    /// the test on anything but a 200.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let response = self.graphql_request(None, query, variables).await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("a JSON answer");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Runs a GraphQL query and returns its `data`, failing the test on any error.
    pub async fn query(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// A GraphQL POST with an optional API key, answered as it comes.
    pub async fn graphql_request(
        &self,
        key: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("the service answers")
    }

    /// SQL statements the service has sent, from `/metrics`.
    pub async fn statements(&self) -> u64 {
        self.metric("mobiniti_store_statements_total").await
    }

    /// The value of one series of `/metrics`, named with its labels as the scrape writes them.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        series(&text, name).unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
    }

    /// As [`Self::metric`], for a series that is written only once it counted something.
    pub async fn metric_or_zero(&self, name: &str) -> u64 {
        series(&self.metrics().await, name).unwrap_or(0)
    }

    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics");
        assert_eq!(response.status(), 200);
        response.text().await.expect("text")
    }

    /// A connection of the test's own to the store, to check what was written.
    pub async fn store(&self) -> DatabaseConnection {
        Database::connect(self.db.url.as_str())
            .await
            .expect("connect to the test store")
    }

    /// Stops the service gracefully and waits for it.
    pub async fn stop(mut self) -> TestDb {
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let result = tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .expect("the service stops within 10 s");
            result
                .expect("the server task")
                .expect("the service ends without error");
        }
        self.db
    }

    async fn wait_until_healthy(&self) {
        for _ in 0..200 {
            if let Some(server) = &self.server
                && server.is_finished()
            {
                panic!("the service stopped during start-up");
            }
            let healthy = self
                .client
                .get(self.url("/healthz"))
                .timeout(Duration::from_millis(500))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not become healthy within 10 s");
    }
}

/// A series' value in a scrape; counters and gauges are whole numbers here.
pub fn series(scrape: &str, name: &str) -> Option<u64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
}

/// The answer to an accepted delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Receipt {
    pub event_id: String,
    pub position: i64,
    pub duplicate: bool,
}

/// The bytes of one of Mobiniti's own examples, kept in `tests/fixtures/vendor/`.
pub fn vendor_example(kind: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/vendor")
        .join(format!("{kind}.json"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// The six webhook kinds.
pub const KINDS: [&str; 6] = [
    "inbound-message",
    "unsubscribe",
    "bounce",
    "delivery-report",
    "contact-status",
    "rejection",
];

/// The Rust files under `dir`, in order: what the source-reading tests read.
pub fn rust_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}
