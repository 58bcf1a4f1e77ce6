//! The service as a process of its own, started from the built binary, for what an in-process
//! server cannot show: several replicas, and a `kill -9`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::TOKEN;

/// The built binary, with none of its settings taken from the test's environment.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobiniti-events"));
    for name in [
        "DATABASE_URL",
        "LISTEN_ADDR",
        "WEBHOOK_TOKEN",
        "PUBLIC_URL",
        "API_KEYS",
        "INSECURE_OPEN_API",
        "METRICS_LISTEN",
        "CORS_ALLOWED_ORIGINS",
        "WS_MAX_PENDING_PER_ADDRESS",
        "REQUEST_HEADER_TIMEOUT",
        "DEFAULT_REGION",
        "WEBHOOK_BODY_LIMIT",
        "STORE_TIMEOUT",
        "LOG_FORMAT",
        "SIMULATE_TARGET",
        "SIMULATE_CONTACTS",
        "SIMULATE_RATE",
        "SIMULATE_SEED",
        "SIMULATE_CAMPAIGNS",
    ] {
        command.env_remove(name);
    }
    command
}

pub struct ServiceProcess {
    child: Child,
    pub address: SocketAddr,
}

impl ServiceProcess {
    /// Starts `mobiniti-events serve` on `database_url` and waits until it listens.
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// The same, with extra command-line flags.
    pub async fn start_with(database_url: &str, flags: &[&str]) -> Self {
        Self::start_logging(database_url, flags, None).await
    }

    /// The same, its logs (standard error, at `debug`) written to `log` when given.
    pub async fn start_logging(
        database_url: &str,
        flags: &[&str],
        log: Option<std::fs::File>,
    ) -> Self {
        Self::spawn(database_url, Some(TOKEN), flags, &[], log).await
    }

    /// The same, with extra flags and environment variables.
    pub async fn start_with_env(database_url: &str, flags: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(database_url, Some(TOKEN), flags, env, None).await
    }

    /// Starts it without `--webhook-token`: it uses the token kept in the store, generated on
    /// the first start.
    pub async fn start_with_stored_token(database_url: &str) -> Self {
        Self::spawn(database_url, None, &[], &[], None).await
    }

    async fn spawn(
        database_url: &str,
        token: Option<&str>,
        flags: &[&str],
        env: &[(&str, &str)],
        log: Option<std::fs::File>,
    ) -> Self {
        let mut child = binary()
            .args([
                "serve",
                "--database-url",
                database_url,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(
                token
                    .map(|token| ["--webhook-token", token])
                    .into_iter()
                    .flatten(),
            )
            .args(flags)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log.map_or_else(Stdio::null, Stdio::from))
            .env("RUST_LOG", "debug")
            .kill_on_drop(true)
            .spawn()
            .expect("start mobiniti-events");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(rest) = line.strip_prefix("mobiniti-events is listening on http://") {
                    return rest.trim().parse().expect("an address");
                }
            }
            panic!("mobiniti-events ended before listening");
        })
        .await
        .expect("listening within 30 s");
        // The rest of its output is not read; keep the pipe drained so it never blocks.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, address }
    }

    /// Its resident memory, from `/proc`.
    pub fn rss_bytes(&self) -> u64 {
        let pid = self.child.id().expect("a running child");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kib * 1024
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Stops it as an operator would (SIGTERM) and checks it exits cleanly.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("a running child").to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
        assert!(
            killed.is_ok_and(|status| status.success()),
            "kill -TERM {pid}"
        );
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("it stops within 10 s")
            .expect("its exit status");
        assert!(status.success(), "{status}");
    }

    /// Kills it with SIGKILL, as a crash would: nothing runs after.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill -9 the service");
    }
}
