//! The baselines, two routes of one server that store nothing:
//!
//! - **parse-only**, `/webhooks/mobiniti/{kind}`: what the service does with a webhook up to
//!   storing it (read the body, check the token, parse the lenient JSON, validate the kind's
//!   payload, normalize the phones, derive the dedupe key), answered as the service answers;
//! - **no-store handler**, `/nothing/webhooks/mobiniti/{kind}`: an axum handler that reads the
//!   body, checks the token and answers a receipt, the ceiling of any webhook receiver here.
//!
//! It runs in a process of its own, this benchmark's binary started with `--baseline-server`, so
//! it competes for the two cores exactly as the service does.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use api::cli::Cli;
use api::domain::dedupe;
use api::domain::kind::WebhookKind;
use api::domain::payload::{self, Normalizer};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const LISTENING: &str = "baseline listening on http://";

#[derive(Clone)]
struct Baseline {
    normalizer: Arc<Normalizer>,
    token: Arc<str>,
    positions: Arc<AtomicI64>,
}

impl Baseline {
    /// A 200 with the next position, as the service answers a delivery new to the log.
    fn receipt(&self) -> (StatusCode, Json<Value>) {
        let position = self.positions.fetch_add(1, Ordering::Relaxed) + 1;
        let receipt = json!({
            "event_id": uuid::Uuid::now_v7(),
            "position": position,
            "duplicate": false,
        });
        (StatusCode::OK, Json(receipt))
    }
}

#[derive(Deserialize)]
struct Token {
    token: Option<String>,
}

/// The path under which the no-store handler answers the service's webhook routes.
pub const NO_STORE: &str = "/nothing";

/// Serves the baseline on 127.0.0.1:0 until killed; prints its address first.
pub async fn serve(token: &str) -> anyhow::Result<()> {
    // The service's defaults, as `serve` would read them.
    let cli = Cli::try_parse_from(["mobiniti-events", "--webhook-token", token])
        .context("reading the service's default settings")?;
    let state = Baseline {
        normalizer: Arc::new(cli.config.normalizer()),
        token: token.into(),
        positions: Arc::new(AtomicI64::new(0)),
    };
    let app = axum::Router::new()
        .route("/webhooks/mobiniti/{kind}", post(receive))
        .route(
            &format!("{NO_STORE}/webhooks/mobiniti/{{kind}}"),
            post(store_nothing),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the baseline's port")?;
    println!("{LISTENING}{}", listener.local_addr()?);
    axum::serve(listener, app)
        .await
        .context("serving the baseline")
}

async fn receive(
    State(state): State<Baseline>,
    Path(kind): Path<String>,
    Query(query): Query<Token>,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let Some(kind) = WebhookKind::from_name(&kind) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown kind" })),
        );
    };
    if query.token.as_deref() != Some(&*state.token) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "token" })));
    }
    let parsed = payload::read_json(&body).and_then(|json| {
        let data = payload::parse(kind, &json, &state.normalizer)?;
        Ok((json, data))
    });
    let (json, data) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let error = json!({ "error": err.to_string() });
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(error));
        }
    };
    let dedupe_key = dedupe::key(kind, &json, data.natural_key().as_deref());
    std::hint::black_box((dedupe_key, body.to_vec(), json, data));
    state.receipt()
}

async fn store_nothing(
    State(state): State<Baseline>,
    Query(query): Query<Token>,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    if query.token.as_deref() != Some(&*state.token) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "token" })));
    }
    std::hint::black_box(body);
    state.receipt()
}

/// The baseline server, running as a child process.
#[derive(Debug)]
pub struct Process {
    child: Child,
    pub base: String,
}

impl Process {
    pub async fn start(token: &str) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding this benchmark's binary")?;
        let mut child = Command::new(exe)
            .args(["--baseline-server", "--token", token])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the baseline server")?;
        let stdout = child.stdout.take().context("the baseline's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(address) = line.strip_prefix(LISTENING) {
                    return Ok(address.trim().to_owned());
                }
            }
            bail!("the baseline server exited before it listened")
        })
        .await
        .context("the baseline server did not listen within 30 s")??;
        println!(
            "  baseline server started, pid {:?}, http://{address}",
            child.id()
        );
        Ok(Self {
            child,
            base: format!("http://{address}"),
        })
    }

    /// Kills the baseline process this benchmark started (by its handle, so its own pid).
    pub async fn stop(mut self) {
        if let Err(err) = self.child.kill().await {
            eprintln!("could not stop the baseline server: {err}");
        }
    }
}
