//! On a store of N events: the time from starting the binary to `/readyz` answering 200, the
//! resident memory once it idles, and `mobiniti-events rebuild`'s rate.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use tokio::process::Command;

use crate::service::Service;

/// The binary `cargo bench` built beside this benchmark.
const BINARY: &str = env!("CARGO_BIN_EXE_mobiniti-events");

#[derive(Debug, Clone, Copy)]
pub struct Startup {
    pub ready: Duration,
    pub idle_rss: u64,
}

/// Starts the service on `url`, times it to ready, lets it idle, reads its RSS, stops it.
pub async fn measure(url: &str, token: &str) -> anyhow::Result<Startup> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let service = Service::start(url, token, &[]).await?;
    let ready_url = format!("{}/readyz", service.base);
    let ready = loop {
        let answer = client.get(&ready_url).send().await;
        if answer.is_ok_and(|response| response.status().is_success()) {
            break started.elapsed();
        }
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "not ready within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = service.rss();
    service.stop().await;
    Ok(Startup {
        ready,
        idle_rss: idle_rss?,
    })
}

/// Runs `mobiniti-events rebuild` on `url` and returns events per second.
pub async fn rebuild(url: &str, events: i64) -> anyhow::Result<f64> {
    let started = Instant::now();
    let run = Command::new(BINARY)
        .args(["rebuild", "--database-url", url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .status();
    let status = tokio::time::timeout(Duration::from_secs(1800), run)
        .await
        .context("rebuild did not finish within 30 minutes")?
        .context("running mobiniti-events rebuild")?;
    ensure!(status.success(), "mobiniti-events rebuild failed: {status}");
    Ok(events as f64 / started.elapsed().as_secs_f64())
}
