//! Sending the traffic: paced at `--rate`, a few webhooks in flight, retries like a webhook
//! sender's, and the failures that end a run.
//!
//! The pace is a tokio interval; a small pool of requests in flight keeps one slow answer from
//! holding up the rest. Mobiniti documents no retry policy, so this retries as webhook senders
//! commonly do: connection errors, timeouts, 503 and 429 again after an exponential backoff (or
//! the `Retry-After` the service asks for, capped), a bounded number of times. A 401 ends the run
//! at once: every other webhook would be refused too.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::traffic::Webhook;
use crate::domain::kind::WebhookKind;
use crate::webhooks::WebhookToken;

/// Requests in flight at once.
const CONCURRENCY: usize = 8;
/// Tries per webhook, the first included.
const MAX_ATTEMPTS: u32 = 5;
/// The first wait before a retry; doubled after each.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait before a retry, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one request may take before it counts as failed (and is retried).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(
        "the service at {target} refused the webhook token (401 unauthorized): it is not a token \
         that service uses. Pass the one in the webhook URLs `serve` printed at start-up \
         (`…?token=TOKEN`; `mobiniti-events urls` prints them again) with --webhook-token or \
         WEBHOOK_TOKEN, or leave the token out and pass the --database-url of the service's store"
    )]
    Unauthorized { target: Url },
    #[error(
        "nothing answers at {url} ({cause}): `mobiniti-events serve` must be running there (in \
         another terminal: `cargo run --release`), or point --target at the running service"
    )]
    Unreachable { url: String, cause: String },
    #[error(
        "the service kept answering {url} with {status} after {MAX_ATTEMPTS} attempts: its store \
         is not keeping up or is down; see the service's log"
    )]
    Unavailable { url: String, status: StatusCode },
    #[error(
        "the service kept answering {url} with 429 after {MAX_ATTEMPTS} attempts: it is \
         refusing this address after too many failed authentications (--auth-failure-limit); \
         check the token and try again once its --auth-failure-window has passed"
    )]
    Throttled { url: String },
    #[error("{url} answered {status}: is --target a mobiniti-events service?")]
    NotTheService { url: String, status: StatusCode },
}

/// How the service answered one webhook, in the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Stored,
    Duplicate,
    /// Answered 4xx (other than 401 and 429): the body is wrong, or the kind unknown.
    Refused {
        status: StatusCode,
        detail: String,
    },
}

/// One webhook sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub kind: WebhookKind,
    pub redelivery: bool,
    pub answer: Answer,
    /// Attempts after the first.
    pub retries: u32,
}

/// Posts webhooks to one service.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    /// The service's base URL, ending in `/`.
    target: Url,
    token: WebhookToken,
}

impl Sender {
    pub fn new(target: Url, token: WebhookToken) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!(
                "mobiniti-events-simulate/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            target,
            token,
        })
    }

    /// Checks that a mobiniti-events service answers at the target, before any traffic.
    pub async fn check_alive(&self) -> Result<(), SendError> {
        let url = self.url("healthz");
        let answer =
            self.client
                .get(url.clone())
                .send()
                .await
                .map_err(|err| SendError::Unreachable {
                    url: url.to_string(),
                    cause: cause(err),
                })?;
        if !answer.status().is_success() {
            return Err(SendError::NotTheService {
                url: url.to_string(),
                status: answer.status(),
            });
        }
        Ok(())
    }

    /// Sends `traffic` in order, `rate` a second, calling `done` as each is answered.
    pub async fn send_all(
        &self,
        traffic: Vec<Webhook>,
        rate: u32,
        mut done: impl FnMut(&Delivery),
    ) -> anyhow::Result<()> {
        let mut pace = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
        // After a stall, go on at the pace rather than send the missed webhooks in a burst.
        pace.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        let mut in_flight = JoinSet::new();
        for webhook in traffic {
            pace.tick().await;
            while let Some(finished) = in_flight.try_join_next() {
                done(&finished.context("a send task failed")??);
            }
            let permit = Arc::clone(&permits)
                .acquire_owned()
                .await
                .context("the send pool closed")?;
            let sender = self.clone();
            in_flight.spawn(async move {
                let delivery = sender.deliver(webhook).await;
                drop(permit);
                delivery
            });
        }
        while let Some(finished) = in_flight.join_next().await {
            done(&finished.context("a send task failed")??);
        }
        Ok(())
    }

    /// Sends one webhook until it is answered for good, or the run must stop.
    async fn deliver(self, webhook: Webhook) -> Result<Delivery, SendError> {
        let url = self.url(&format!("webhooks/mobiniti/{}", webhook.kind));
        let mut authorized = url.clone();
        authorized
            .query_pairs_mut()
            .append_pair("token", self.token.expose());
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let sent = self
                .client
                .post(authorized.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(webhook.body.clone())
                .send()
                .await;
            let wait = match sent {
                Ok(answer) => match answer.status() {
                    StatusCode::OK => {
                        let receipt: serde_json::Value = answer.json().await.unwrap_or_default();
                        let answer = if receipt["duplicate"] == true {
                            Answer::Duplicate
                        } else {
                            Answer::Stored
                        };
                        return Ok(Delivery {
                            kind: webhook.kind,
                            redelivery: webhook.redelivery,
                            answer,
                            retries: attempt - 1,
                        });
                    }
                    StatusCode::UNAUTHORIZED => {
                        return Err(SendError::Unauthorized {
                            target: self.target.clone(),
                        });
                    }
                    status @ (StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS) => {
                        if attempt >= MAX_ATTEMPTS {
                            let url = url.to_string();
                            return Err(if status == StatusCode::TOO_MANY_REQUESTS {
                                SendError::Throttled { url }
                            } else {
                                SendError::Unavailable { url, status }
                            });
                        }
                        retry_after(&answer).unwrap_or(backoff)
                    }
                    status => {
                        let detail = error_detail(&answer.text().await.unwrap_or_default());
                        return Ok(Delivery {
                            kind: webhook.kind,
                            redelivery: webhook.redelivery,
                            answer: Answer::Refused { status, detail },
                            retries: attempt - 1,
                        });
                    }
                },
                Err(err) => {
                    if attempt >= MAX_ATTEMPTS {
                        return Err(SendError::Unreachable {
                            url: url.to_string(),
                            cause: cause(err),
                        });
                    }
                    backoff
                }
            };
            tokio::time::sleep(wait.min(MAX_BACKOFF)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.target.clone();
        url.set_path(&format!("{}{path}", self.target.path()));
        url
    }
}

/// An error's cause chain, without the URL (which carries the token).
fn cause(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// `code: message` of the service's error body, or the body as it is.
fn error_detail(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match (
        json["error"]["code"].as_str(),
        json["error"]["message"].as_str(),
    ) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => body.trim().to_owned(),
    }
}

fn retry_after(answer: &reqwest::Response) -> Option<Duration> {
    answer
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}
