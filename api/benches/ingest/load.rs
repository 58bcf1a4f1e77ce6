//! Drives one server with webhooks over `connections` keep-alive connections for a while: each
//! connection posts the next request of the shared stream as soon as the last one is answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::traffic::{self, Traffic};

/// What one run at one level did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub connections: usize,
    /// Requests answered 200.
    pub ok: u64,
    /// Of those, the recipients of delivery reports new to the log (see `traffic::Request`).
    pub recipients: u64,
    /// Requests answered otherwise, or not at all.
    pub failed: u64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    pub elapsed: Duration,
    /// Latencies of the 200s, sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn recipients_per_second(&self) -> f64 {
        self.recipients as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[rank]
    }
}

/// The requests of one run.
#[derive(Debug, Clone)]
pub struct Load {
    pub traffic: Traffic,
    pub connections: usize,
    pub duration: Duration,
}

/// Posts `load` to `base`, numbering requests from the shared `next`.
pub async fn drive(
    base: &str,
    token: &str,
    load: &Load,
    next: &Arc<AtomicU64>,
) -> anyhow::Result<Outcome> {
    let Load {
        traffic,
        connections,
        duration,
    } = *load;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        // A client each, with one connection: `connections` is what the server sees.
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .http1_only()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building an HTTP client")?;
        let (base, token, next) = (base.to_owned(), token.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            connection(client, base, token, traffic, deadline, next).await
        }));
    }
    let mut outcome = Outcome {
        connections,
        ok: 0,
        recipients: 0,
        failed: 0,
        first_failure: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let one = task.await.context("a load connection panicked")?;
        outcome.ok += one.ok;
        outcome.recipients += one.recipients;
        outcome.failed += one.failed;
        outcome.first_failure = outcome.first_failure.or(one.first_failure);
        outcome.latencies.extend(one.latencies);
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort_unstable();
    Ok(outcome)
}

async fn connection(
    client: reqwest::Client,
    base: String,
    token: String,
    traffic: Traffic,
    deadline: Instant,
    next: Arc<AtomicU64>,
) -> Outcome {
    let mut outcome = Outcome {
        connections: 1,
        ok: 0,
        recipients: 0,
        failed: 0,
        first_failure: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    while Instant::now() < deadline {
        let request = traffic::request(traffic, next.fetch_add(1, Ordering::Relaxed));
        let url = format!("{base}/webhooks/mobiniti/{}?token={token}", request.kind);
        let sent = Instant::now();
        let answer = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body)
            .send()
            .await;
        let failure = match answer {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(_) => None,
                Err(err) => Some(format!("reading an answer: {err}")),
            },
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                Some(format!("{} answered {status}: {text}", request.kind))
            }
            Err(err) => Some(format!("posting {}: {err}", request.kind)),
        };
        match failure {
            None => {
                outcome.ok += 1;
                outcome.recipients += request.recipients;
                outcome.latencies.push(sent.elapsed());
            }
            Some(failure) => {
                outcome.failed += 1;
                outcome.first_failure.get_or_insert(failure);
            }
        }
    }
    outcome
}
