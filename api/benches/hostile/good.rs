//! The well-behaved client that runs beside each attack, and the RSS sampler of the floods.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// Its pause between requests: a dashboard's pace, not a load.
const PACE: Duration = Duration::from_millis(50);
/// How long one of its requests may take before it counts as unanswered.
const GIVE_UP: Duration = Duration::from_secs(30);

/// What it saw.
#[derive(Debug, Default)]
pub struct Served {
    pub answered: usize,
    pub worst: Duration,
    pub failures: usize,
}

/// The well-behaved client, running until [`Good::finish`].
#[derive(Debug)]
pub struct Good {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Served>,
}

impl Good {
    /// Asks `{ totals { contacts } }` every 50 ms, timing each answer.
    pub fn start(address: SocketAddr, key: Option<&'static str>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut served = Served::default();
            while !stopped.load(Ordering::Relaxed) {
                let started = Instant::now();
                match tokio::time::timeout(GIVE_UP, query(&http, address, key)).await {
                    Ok(Ok(())) => served.answered += 1,
                    Ok(Err(_)) | Err(_) => served.failures += 1,
                }
                served.worst = served.worst.max(started.elapsed());
                tokio::time::sleep(PACE).await;
            }
            served
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> Served {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

/// One query, answered 200 with its data.
pub async fn query(
    http: &reqwest::Client,
    address: SocketAddr,
    key: Option<&str>,
) -> Result<(), String> {
    let mut request = http
        .post(format!("http://{address}/graphql"))
        .json(&json!({ "query": "{ totals { contacts } }" }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    let answered = status == 200 && body["data"]["totals"]["contacts"].is_u64();
    answered.then_some(()).ok_or(format!("{status} {body}"))
}

/// Samples a process's RSS every 50 ms until stopped; the highest seen.
#[derive(Debug)]
pub struct Peak {
    stop: Arc<AtomicBool>,
    task: JoinHandle<u64>,
}

impl Peak {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(rss(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or(0)
    }
}

/// `VmRSS` of `/proc/PID/status`, in bytes.
pub fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}
