//! Catch-up: one subscriber replays the whole log from position 0, against one client reading
//! the same events with paginated GraphQL queries over HTTP, pages of 500, one after another.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;
use tokio::sync::watch;

use crate::client::{Received, Subscriber};

/// The subscription replayed.
const SUBSCRIPTION: &str = r#"subscription { events(afterPosition: "0") { position kind } }"#;
/// The page the HTTP baseline asks for, 500 being the most a page may hold.
const PAGE_QUERY: &str = "query Page($cursor: String) { events(first: 500, after: $cursor) \
     { pageInfo { endCursor hasNextPage } nodes { position kind } } }";

/// A rate of reading `events` events.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub events: i64,
    pub elapsed: Duration,
}

impl Rate {
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} events/s ({} events in {:.2?})",
            self.per_second(),
            self.events,
            self.elapsed
        )
    }
}

/// The longest a full read of `count` events may take: generous, yet bounded.
fn deadline(count: i64) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(u64::try_from(count).unwrap_or(0))
}

/// Reads events 1 to `count` page by page from `base`/graphql, checking every position.
pub async fn paginate(base: &str, count: i64) -> anyhow::Result<Rate> {
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let url = format!("{base}/graphql");
    let started = Instant::now();
    let limit = started + deadline(count);
    let mut cursor: Option<String> = None;
    let mut next = 1_i64;
    loop {
        ensure!(
            Instant::now() < limit,
            "paging through {count} events took over {:?}",
            deadline(count)
        );
        let body = serde_json::json!({ "query": PAGE_QUERY, "variables": { "cursor": cursor } });
        let response = client
            .post(&url)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        let answer: Value = response.json().await.context("reading a page")?;
        if !status.is_success() || answer.get("errors").is_some() {
            bail!("a page failed ({status}): {answer}");
        }
        let events = &answer["data"]["events"];
        for node in events["nodes"].as_array().context("a page without nodes")? {
            let position = node["position"]
                .as_str()
                .and_then(|p| p.parse::<i64>().ok())
                .with_context(|| format!("a node without a position: {node}"))?;
            ensure!(
                position == next,
                "the pages gave position {position} where {next} was due"
            );
            next += 1;
        }
        if events["pageInfo"]["hasNextPage"] != Value::Bool(true) {
            break;
        }
        cursor = Some(
            events["pageInfo"]["endCursor"]
                .as_str()
                .context("a page with a next page but no endCursor")?
                .to_owned(),
        );
    }
    let elapsed = started.elapsed();
    ensure!(
        next - 1 == count,
        "the pages held {} events, not {count}",
        next - 1
    );
    Ok(Rate {
        events: count,
        elapsed,
    })
}

/// Subscribes from position 0 and times until event `count` arrives; checks 1..=count in order.
pub async fn replay(ws: &str, count: i64) -> anyhow::Result<Rate> {
    let (stop, stopped) = watch::channel(false);
    let subscriber = Subscriber::open(ws, SUBSCRIPTION, stopped).await?;
    let limit = Instant::now() + deadline(count);
    let mut reported = Instant::now();
    let outcome = loop {
        let last = subscriber
            .progress
            .last
            .load(std::sync::atomic::Ordering::Acquire);
        if last >= count {
            break Ok(());
        }
        if subscriber
            .progress
            .ended
            .load(std::sync::atomic::Ordering::Acquire)
        {
            break Err(anyhow::anyhow!("the subscriber stopped at position {last}"));
        }
        if Instant::now() > limit {
            break Err(anyhow::anyhow!(
                "the replay reached position {last} of {count} in {:?}",
                deadline(count)
            ));
        }
        if reported.elapsed() >= Duration::from_secs(1) {
            println!("    replayed up to position {last}");
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let subscribed_at = subscriber.subscribed_at;
    let _ = stop.send(true);
    let received = subscriber.finish().await;
    outcome?;
    let received = received?;
    check_sequence(&received, count)?;
    let last = received.last().context("nothing received")?;
    Ok(Rate {
        events: count,
        elapsed: last.at.duration_since(subscribed_at),
    })
}

/// Positions 1 to `count`, each once, in order, and nothing after.
fn check_sequence(received: &[Received], count: i64) -> anyhow::Result<()> {
    for (index, event) in received.iter().enumerate() {
        let due = index as i64 + 1;
        ensure!(
            event.position == due,
            "the replay gave position {} where {due} was due",
            event.position
        );
    }
    ensure!(
        received.len() as i64 == count,
        "the replay gave {} events, not {count}",
        received.len()
    );
    Ok(())
}
