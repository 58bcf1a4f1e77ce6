//! Latency from a webhook's 200 to the event at each live subscriber: `subscribers` connections
//! subscribe from now, warm-up webhooks are posted until every one of them is live, then
//! webhooks are posted at a steady rate and every (subscriber, event) pair is timed.
//!
//! The service answers a webhook after its commit and then wakes the tailer, so an event can
//! reach a subscriber a little before its answer reaches the poster: such a pair counts as 0 and
//! is counted.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use tokio::sync::watch;

use crate::client::{self, Received};
use crate::service::Service;
use crate::webhooks::{Acked, Poster};

const SUBSCRIPTION: &str = "subscription { events { position kind } }";
/// Connections opened at once.
const CONCURRENCY: usize = 200;
/// Warm-up webhooks posted, at most, before every subscriber must be live.
const WARM_UP_TRIES: u32 = 50;

/// The latencies of one run.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub subscribers: usize,
    pub events: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Pairs whose event arrived before the webhook's answer.
    pub early: usize,
}

impl Latency {
    pub fn pairs(&self) -> usize {
        self.subscribers * self.events
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {}, p99 {}, max {} ({} subscribers × {} events; {} of {} before the ack)",
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.subscribers,
            self.events,
            self.early,
            self.pairs()
        )
    }
}

/// A duration in milliseconds, to two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// Runs one measurement; `next` numbers the webhooks, and is moved past those posted.
pub async fn measure(
    service: &Service,
    poster: &Poster,
    subscribers: usize,
    rate: f64,
    seconds: u64,
    next: &mut u64,
) -> anyhow::Result<Latency> {
    ensure!(
        rate > 0.0 && seconds > 0,
        "--rate and --seconds must be positive"
    );
    let count = (rate * seconds as f64).round().max(1.0) as u64;
    let (stop, stopped) = watch::channel(false);
    let opened = client::open_many(
        &service.ws,
        SUBSCRIPTION,
        subscribers,
        CONCURRENCY,
        &stopped,
    )
    .await;
    let subscribers = match opened {
        Ok(subscribers) => subscribers,
        Err(err) => {
            let _ = stop.send(true);
            return Err(err);
        }
    };
    let outcome = async {
        let warm = warm_up(&subscribers, poster, next).await?;
        println!("    posting {count} webhooks at {rate}/s");
        let statements = service.statements().await?;
        let acked = poster.post_at_rate(*next, count, rate).await?;
        *next += count;
        let last = acked.last().map_or(warm, |a| a.position);
        if !client::wait_for(&subscribers, last, Duration::from_secs(30)).await? {
            bail!("not every subscriber received position {last} within 30 s");
        }
        let statements = service.statements().await?.saturating_sub(statements);
        println!(
            "    {statements} store statements meanwhile ({:.1} per webhook)",
            statements as f64 / count as f64
        );
        Ok((warm, acked))
    }
    .await;
    let received = client::finish_all(&stop, subscribers).await;
    let ((warm, acked), received) = client::joined(outcome, received)?;
    latencies(warm, &acked, &received)
}

/// Posts warm-up webhooks until one reaches every subscriber (so every subscription is live);
/// returns its position, the last before the measured ones.
async fn warm_up(
    subscribers: &[client::Subscriber],
    poster: &Poster,
    next: &mut u64,
) -> anyhow::Result<i64> {
    for _ in 0..WARM_UP_TRIES {
        let acked = poster.post(*next).await?;
        *next += 1;
        if client::wait_for(subscribers, acked.position, Duration::from_millis(200)).await? {
            return Ok(acked.position);
        }
    }
    bail!("after {WARM_UP_TRIES} warm-up webhooks, some subscriptions were still not live")
}

/// Checks that every subscriber received every event after `warm` exactly once, in order, and
/// times each (subscriber, event) pair against its acknowledgement.
fn latencies(warm: i64, acked: &[Acked], received: &[Vec<Received>]) -> anyhow::Result<Latency> {
    for (index, a) in acked.iter().enumerate() {
        ensure!(
            a.position == warm + 1 + index as i64,
            "the webhooks got positions {:?}…, not {}.. with no gap: another writer?",
            acked.iter().take(5).map(|a| a.position).collect::<Vec<_>>(),
            warm + 1
        );
    }
    let mut all = Vec::with_capacity(acked.len() * received.len());
    let mut early = 0;
    for (n, events) in received.iter().enumerate() {
        check_order(n, events)?;
        let start = events
            .iter()
            .position(|e| e.position == warm + 1)
            .with_context(|| format!("subscriber {n} never received position {}", warm + 1))?;
        let measured = &events[start..];
        ensure!(
            measured.len() == acked.len(),
            "subscriber {n} received {} events after the warm-up, not {}",
            measured.len(),
            acked.len()
        );
        for (event, ack) in measured.iter().zip(acked) {
            match event.at.checked_duration_since(ack.at) {
                Some(latency) => all.push(latency),
                None => {
                    early += 1;
                    all.push(Duration::ZERO);
                }
            }
        }
    }
    all.sort_unstable();
    let max = *all.last().context("no (subscriber, event) pair")?;
    Ok(Latency {
        subscribers: received.len(),
        events: acked.len(),
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        max,
        early,
    })
}

/// Every position once, in increasing order, with no gap.
fn check_order(n: usize, events: &[Received]) -> anyhow::Result<()> {
    for pair in events.windows(2) {
        let (before, after) = (pair[0].position, pair[1].position);
        ensure!(
            after == before + 1,
            "subscriber {n} received position {after} right after {before}"
        );
    }
    Ok(())
}

/// The nearest-rank percentile `p` (0 to 1) of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
