//! Inbound-message webhooks, posted one at a time or at a steady rate, each remembered with the
//! position the service gave it and the instant its 200 answer arrived.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde::Deserialize;

/// A webhook the service acknowledged.
#[derive(Debug, Clone, Copy)]
pub struct Acked {
    pub position: i64,
    pub at: Instant,
}

#[derive(Debug, Deserialize)]
struct Answer {
    position: i64,
    duplicate: bool,
}

/// Posts inbound messages to one service; `n` numbers them so each is a new event.
#[derive(Debug, Clone)]
pub struct Poster {
    client: reqwest::Client,
    url: String,
}

impl Poster {
    pub fn new(base: &str, token: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the webhook client")?;
        Ok(Self {
            client,
            url: format!("{base}/webhooks/mobiniti/inbound-message?token={token}"),
        })
    }

    /// Posts message `n` and returns its position and when the 200 arrived.
    pub async fn post(&self, n: u64) -> anyhow::Result<Acked> {
        let body = serde_json::json!({
            "id": format!("c-{n}"),
            "phone_number": format!("+1202555{:04}", n % 10_000),
            "message": format!("hi {n}"),
            "received_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        });
        let sent = Instant::now();
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .with_context(|| format!("posting webhook {n}"))?;
        // The answer's headers are in: this is when the service acknowledged the webhook.
        let at = Instant::now();
        let status = response.status();
        let text = response.text().await.context("reading a webhook answer")?;
        ensure!(
            status.is_success(),
            "webhook {n} answered {status} after {:.1?}: {text}",
            at - sent
        );
        let answer: Answer = serde_json::from_str(&text)
            .with_context(|| format!("an unexpected webhook answer: {text}"))?;
        ensure!(!answer.duplicate, "webhook {n} was taken for a duplicate");
        Ok(Acked {
            position: answer.position,
            at,
        })
    }

    /// Posts `count` messages numbered from `first`, `rate` a second, each on its own task so a
    /// slow answer does not hold back the next one; returns them in position order.
    pub async fn post_at_rate(
        &self,
        first: u64,
        count: u64,
        rate: f64,
    ) -> anyhow::Result<Vec<Acked>> {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut posts = Vec::with_capacity(count as usize);
        for n in first..first + count {
            tick.tick().await;
            let poster = self.clone();
            posts.push(tokio::spawn(async move { poster.post(n).await }));
        }
        let mut acked = Vec::with_capacity(posts.len());
        for post in posts {
            acked.push(post.await.context("a webhook task panicked")??);
        }
        acked.sort_by_key(|a| a.position);
        Ok(acked)
    }
}
