//! Closed-loop load: `concurrency` clients each send one GraphQL request, wait for its answer,
//! and send the next, for a fixed time; every answer's latency is recorded. The requests are
//! numbered across the clients, and [`Bodies`] gives each number its body: the same one, or
//! other variables each time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use axum::body::Bytes;
use serde_json::Value;

/// What one query did under load.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    pub requests: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Measurement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} req/s, p50 {}, p99 {}, max {} ({} requests)",
            self.per_second(),
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.requests
        )
    }
}

/// A duration in milliseconds, to two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// A client that keeps one connection per concurrent worker open.
pub fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")
}

/// The JSON body of a GraphQL request for `query` with `variables`.
pub fn request_with(query: &str, variables: &Value) -> Bytes {
    Bytes::from(serde_json::json!({ "query": query, "variables": variables }).to_string())
}

/// The body of request number `n` of a run.
pub type Bodies = Arc<dyn Fn(u64) -> Bytes + Send + Sync>;

/// Every request the same.
pub fn same(body: Bytes) -> Bodies {
    Arc::new(move |_| body.clone())
}

/// The requests in turn, from the first again after the last.
pub fn in_turn(bodies: Vec<Bytes>) -> Bodies {
    Arc::new(move |n| bodies[(n % bodies.len() as u64) as usize].clone())
}

/// Sends `body` once and returns the answer's `data`, failing on a non-200 or any error.
pub async fn answer(client: &reqwest::Client, url: &str, body: &Bytes) -> anyhow::Result<Value> {
    let response = post(client, url, body).await?;
    let answer: Value = serde_json::from_slice(&response).context("the answer is not JSON")?;
    if answer.get("errors").is_some() {
        bail!("the query failed: {answer}");
    }
    Ok(answer["data"].clone())
}

/// Runs `concurrency` workers sending `bodies` to `url` until `duration` has passed.
pub async fn measure(
    client: &reqwest::Client,
    url: &str,
    bodies: &Bodies,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    let started = Instant::now();
    let deadline = started + duration;
    let sent = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            let (bodies, sent) = (bodies.clone(), sent.clone());
            tokio::spawn(async move { worker(&client, &url, &bodies, &sent, deadline).await })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.context("a load worker panicked")??);
    }
    let elapsed = started.elapsed();
    ensure!(
        !latencies.is_empty(),
        "no request completed in {duration:?}"
    );
    latencies.sort_unstable();
    Ok(Measurement {
        requests: latencies.len() as u64,
        elapsed,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies[latencies.len() - 1],
    })
}

/// One client's loop: the latency of each request it completed.
async fn worker(
    client: &reqwest::Client,
    url: &str,
    bodies: &Bodies,
    sent: &AtomicU64,
    deadline: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(16 * 1024);
    while Instant::now() < deadline {
        let body = bodies(sent.fetch_add(1, Ordering::Relaxed));
        let started = Instant::now();
        let answer = post(client, url, &body).await?;
        latencies.push(started.elapsed());
        // A cheap check that every answer, not only the first, is a success.
        if answer.windows(10).any(|window| window == b"\"errors\":[") {
            bail!(
                "a query failed under load: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    Ok(latencies)
}

async fn post(client: &reqwest::Client, url: &str, body: &Bytes) -> anyhow::Result<Bytes> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    ensure!(
        status.is_success(),
        "{url} answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(bytes)
}

/// The nearest-rank percentile `p` (0 to 1) of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
