//! Webhooks posted at a steady rate while the queries run, as a campaign's replies would arrive.
//! Each write moves the store's version, so the service cannot reuse an answer across it.
//!
//! The replies come from seeded contacts and are dated 2020, before every seeded message: they
//! change no row of the three queries' first pages and no contact count, so the answers stay
//! comparable with PostGraphile's, measured afterwards on the same data.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;

/// Webhooks the writer has posted and not yet seen answered, at most.
const IN_FLIGHT: usize = 64;

/// A running writer; [`Writer::stop`] ends it and says how many webhooks it stored.
#[derive(Debug)]
pub struct Writer {
    task: JoinHandle<()>,
    in_flight: Arc<tokio::sync::Semaphore>,
    stored: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl Writer {
    /// Posts `per_second` inbound messages a second to the service at `base` (`http://host:port`).
    pub fn start(base: &str, token: &str, per_second: f64, contacts: i64) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the writer's HTTP client")?;
        let url = format!("{base}/webhooks/mobiniti/inbound-message?token={token}");
        let stored = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let (ok, err) = (stored.clone(), failed.clone());
        let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let permits = in_flight.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Posted side by side, as Mobiniti's deliveries arrive: one at a time, the rate
            // would be whatever a loaded service's answer time allows.
            for n in 0_i64.. {
                tick.tick().await;
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let i = 1 + n % contacts;
                let body = serde_json::json!({
                    "id": format!("c0000000-0000-4000-8000-{}", 100_000_000_000 + i),
                    "phone_number": format!("+1202{}", 2_000_000 + (i * 7919) % 7_000_000),
                    "message": format!("reply {n} during the benchmark"),
                    "short_code": "64600",
                    "updated_at": "2020-01-01T00:00:00Z",
                    "received_at": format!("2020-01-01T00:00:00.{:03}Z", n % 1000),
                });
                let post = client.post(&url).body(body.to_string());
                let (ok, err) = (ok.clone(), err.clone());
                tokio::spawn(async move {
                    let counter = match post.send().await {
                        Ok(response) if response.status().is_success() => ok,
                        _ => err,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    drop(permit);
                });
            }
        });
        Ok(Self {
            task,
            in_flight,
            stored,
            failed,
        })
    }

    /// Stops posting and waits for the posts in flight, so that a late failure is counted;
    /// returns the webhooks stored and those that failed.
    pub async fn stop(self) -> (u64, u64) {
        self.task.abort();
        let _ = self.task.await;
        // Every permit back means every post answered (the client times out after 10 s).
        let _ = self.in_flight.acquire_many(IN_FLIGHT as u32).await;
        (
            self.stored.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}
