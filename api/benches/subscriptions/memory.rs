//! The service's memory with many idle subscribers: its RSS before any connection, then with
//! `count` connections each holding one live `events` subscription. One webhook afterwards
//! checks that every subscription is live, and times its fan-out.

use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::sync::watch;

use crate::client;
use crate::service::Service;
use crate::webhooks::Poster;

const SUBSCRIPTION: &str = "subscription { events { position kind } }";
/// Connections opened at once.
const CONCURRENCY: usize = 200;
/// How long the service settles before each reading of its RSS.
const SETTLE: Duration = Duration::from_secs(2);

/// Bytes in MiB, to one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The RSS of a service that has had no connection yet, once it settled.
pub async fn idle(service: &Service) -> anyhow::Result<u64> {
    tokio::time::sleep(SETTLE).await;
    let idle = service.rss()?;
    println!("    idle: {}", mib(idle));
    Ok(idle)
}

/// The RSS with `count` subscribers connected; `next` numbers the webhook posted.
pub async fn measure(
    service: &mut Service,
    poster: &Poster,
    count: usize,
    next: &mut u64,
) -> anyhow::Result<u64> {
    let (stop, stopped) = watch::channel(false);
    let opened = client::open_many(&service.ws, SUBSCRIPTION, count, CONCURRENCY, &stopped).await;
    let subscribers = match opened {
        Ok(subscribers) => subscribers,
        Err(err) => {
            let _ = stop.send(true);
            return Err(err);
        }
    };
    let outcome = async {
        tokio::time::sleep(SETTLE).await;
        service.ensure_running()?;
        let loaded = service.rss()?;
        println!("    with {count} subscribers: {}", mib(loaded));
        // Not part of the figure: proof that the subscriptions are live.
        let acked = poster.post(*next).await?;
        *next += 1;
        let posted = Instant::now();
        if !client::wait_for(&subscribers, acked.position, Duration::from_secs(60)).await? {
            bail!("one webhook did not reach all {count} subscribers within 60 s");
        }
        println!(
            "    one webhook reached all {count} subscribers in {:.1?}",
            posted.elapsed()
        );
        Ok(loaded)
    }
    .await;
    let received = client::finish_all(&stop, subscribers).await;
    let (loaded, _) = client::joined(outcome, received)?;
    Ok(loaded)
}
