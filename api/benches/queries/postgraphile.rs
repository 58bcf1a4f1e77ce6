//! The baseline: PostGraphile 4.14, installed from `tests/bench/package-lock.json` and run with
//! node on the benchmark's PostgreSQL database, on a free port of 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tokio::process::{Child, Command};

/// A running PostGraphile; [`Postgraphile::stop`] kills exactly the process it started.
#[derive(Debug)]
pub struct Postgraphile {
    child: Child,
    pid: u32,
    pub url: String,
}

/// The npm project that pins PostGraphile.
fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bench")
}

/// Installs the locked PostGraphile with `npm ci`, unless 4.14 is installed already.
pub async fn install() -> anyhow::Result<()> {
    let installed = project().join("node_modules/postgraphile/package.json");
    let version = std::fs::read_to_string(&installed)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
    if version.as_deref().is_some_and(|v| v.starts_with("4.14.")) {
        return Ok(());
    }
    println!("installing PostGraphile (npm ci in tests/bench)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(project())
        .status()
        .await
        .context("running npm ci in tests/bench (are node and npm installed?)")?;
    ensure!(status.success(), "npm ci in tests/bench failed: {status}");
    Ok(())
}

impl Postgraphile {
    /// Starts PostGraphile on `database_url` and waits until it answers GraphQL.
    pub async fn start(database_url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free port")?
            .port();
        let cli = project().join("node_modules/.bin/postgraphile");
        let child = Command::new("node")
            .arg(&cli)
            .args(["--connection", database_url])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--disable-default-mutations", "--disable-query-log"])
            .arg("--disable-graphiql")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {}", cli.display()))?;
        let pid = child.id().context("PostGraphile exited at once")?;
        println!("PostGraphile started, pid {pid}, port {port}");
        let mut server = Self {
            child,
            pid,
            url: format!("http://127.0.0.1:{port}/graphql"),
        };
        if let Err(err) = server.wait_until_ready().await {
            server.stop().await;
            return Err(err);
        }
        Ok(server)
    }

    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait().context("polling PostGraphile")? {
                bail!("PostGraphile exited during start-up: {status}");
            }
            let ready = client
                .post(&self.url)
                .json(&serde_json::json!({ "query": "{ __typename }" }))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("PostGraphile did not answer within 60 s")
    }

    /// Kills the process this started (by its handle, so by its pid) and reaps it.
    pub async fn stop(mut self) {
        match self.child.kill().await {
            Ok(()) => println!("PostGraphile (pid {}) stopped", self.pid),
            Err(err) => eprintln!("could not stop PostGraphile (pid {}): {err}", self.pid),
        }
    }
}
