//! The real service binary as a child process: started on 127.0.0.1:0, its address read from the
//! line it prints, its memory read from `/proc`, and stopped with SIGTERM to its own pid.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The binary `cargo bench` built beside this benchmark.
const BINARY: &str = env!("CARGO_BIN_EXE_mobiniti-events");
/// How long start-up, migrations included, may take.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long SIGTERM has to end the process before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const LISTENING: &str = "mobiniti-events is listening on http://";

/// A running service; [`Service::stop`] ends exactly the process it started.
#[derive(Debug)]
pub struct Service {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `ws://127.0.0.1:PORT/graphql`.
    pub ws: String,
}

/// Applies the migrations to the store at `database_url` with `mobiniti-events migrate`.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let run = Command::new(BINARY)
        .args(["migrate", "--database-url", database_url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .status();
    let status = tokio::time::timeout(START_TIMEOUT, run)
        .await
        .context("mobiniti-events migrate did not finish within 60 s")?
        .with_context(|| format!("running {BINARY} migrate"))?;
    ensure!(status.success(), "mobiniti-events migrate failed: {status}");
    Ok(())
}

/// Whether the binary knows `flag`, from its `--help`: the benchmark passes newer flags only to
/// a binary that has them.
pub async fn knows_flag(flag: &str) -> anyhow::Result<bool> {
    let help = Command::new(BINARY)
        .arg("--help")
        .kill_on_drop(true)
        .output();
    let help = tokio::time::timeout(Duration::from_secs(10), help)
        .await
        .context("mobiniti-events --help did not finish within 10 s")?
        .with_context(|| format!("running {BINARY} --help"))?;
    Ok(String::from_utf8_lossy(&help.stdout).contains(flag))
}

impl Service {
    /// Starts the service on the store at `database_url` with `flags` added, and waits for the
    /// line that names its address. Its log (warnings and up) goes to this process's stderr.
    pub async fn start(database_url: &str, token: &str, flags: &[String]) -> anyhow::Result<Self> {
        let mut child = Command::new(BINARY)
            .args(["--database-url", database_url, "--webhook-token", token])
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {BINARY}"))?;
        let pid = child.id().context("mobiniti-events exited at once")?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.context("reading its stdout")? {
                if let Some(address) = line.strip_prefix(LISTENING) {
                    return Ok(address.trim().to_owned());
                }
            }
            bail!("mobiniti-events exited before it listened (its log is above)")
        })
        .await
        .context("mobiniti-events did not listen within 60 s")??;
        // The rest of stdout (the webhook URLs) is read and dropped, so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        println!("  mobiniti-events started, pid {pid}, http://{address}");
        Ok(Self {
            child,
            pid,
            base: format!("http://{address}"),
            ws: format!("ws://{address}/graphql"),
        })
    }

    /// The resident set size of the process now, in bytes (`VmRSS` of `/proc/PID/status`).
    pub fn rss(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .with_context(|| format!("no VmRSS line in {path}"))?;
        Ok(kib * 1024)
    }

    /// SQL statements the service has sent to its store (from `/metrics`): what a measurement
    /// cost the store, to tell fan-out from memory apart from reads per subscriber.
    pub async fn statements(&self) -> anyhow::Result<u64> {
        const METRIC: &str = "mobiniti_store_statements_total ";
        let url = format!("{}/metrics", self.base);
        let text = reqwest::Client::new()
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("GET {url}"))?
            .text()
            .await
            .with_context(|| format!("reading {url}"))?;
        text.lines()
            .find_map(|line| line.strip_prefix(METRIC))
            .and_then(|value| value.trim().parse().ok())
            .with_context(|| format!("no {METRIC}in {url}"))
    }

    /// Fails if the process has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait().context("polling mobiniti-events")? {
            Some(status) => bail!("mobiniti-events (pid {}) exited: {status}", self.pid),
            None => Ok(()),
        }
    }

    /// Sends SIGTERM to this process's pid, waits for it to exit, and kills it (SIGKILL, by its
    /// handle) if it is still running after 10 s.
    pub async fn stop(mut self) {
        let pid = self.pid.to_string();
        match Command::new("kill").args(["-TERM", &pid]).status().await {
            Ok(status) if status.success() => {}
            Ok(status) => eprintln!("kill -TERM {pid} failed: {status}"),
            Err(err) => eprintln!("could not run kill -TERM {pid}: {err}"),
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => println!("  mobiniti-events (pid {pid}) stopped: {status}"),
            Ok(Err(err)) => eprintln!("waiting for mobiniti-events (pid {pid}): {err}"),
            Err(_) => {
                eprintln!("mobiniti-events (pid {pid}) did not stop within 10 s; killing it");
                if let Err(err) = self.child.kill().await {
                    eprintln!("could not kill mobiniti-events (pid {pid}): {err}");
                }
            }
        }
    }
}
