//! `mobiniti-events simulate`: realistic Mobiniti traffic for a running service, so that a new
//! user sees the dashboard come alive.
//!
//! - [`traffic`]: the campaigns: who joins, what is sent, how contacts and carriers answer.
//! - [`sender`]: posting it at `--rate`, a few at a time, with bounded retries.
//! - [`report`]: the progress on standard error and the summary on standard output.
//!
//! It is a client of the webhooks like Mobiniti is: it reaches the service over HTTP only. The
//! one thing it may read from the store is the webhook token, read-only, when none is given.

mod report;
mod sender;
mod traffic;

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DurationRound, TimeDelta, Utc};
use rand::Rng;
use reqwest::Url;

use crate::config::Config;
use crate::store::{Store, redact_password};
use crate::webhooks::WebhookToken;
use report::{Progress, Summary, Tally};
use sender::Sender;
use traffic::{MAX_CONTACTS, Plan};

/// The flags of `simulate`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct SimulateArgs {
    /// The running service to send to, such as http://127.0.0.1:8080. Default: http:// and the
    /// `--listen` address, where `serve` listens with the same settings.
    #[arg(long, env = "SIMULATE_TARGET", value_parser = parse_target)]
    pub target: Option<Url>,

    /// How many contacts join and receive the campaigns (10 to 2000).
    #[arg(
        long,
        env = "SIMULATE_CONTACTS",
        default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(10..=MAX_CONTACTS as i64)
    )]
    pub contacts: u32,

    /// Webhooks sent per second.
    #[arg(
        long,
        env = "SIMULATE_RATE",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(1..=10_000)
    )]
    pub rate: u32,

    /// Makes the traffic repeatable: the same seed gives the same contacts, texts and order
    /// (times and message ids are always new). Default: a random one, printed at the end.
    #[arg(long, env = "SIMULATE_SEED")]
    pub seed: Option<u64>,

    /// How many campaigns (a text and its reminder) are sent to the contacts.
    #[arg(
        long,
        env = "SIMULATE_CAMPAIGNS",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=20)
    )]
    pub campaigns: u32,
}

/// Sends the simulated traffic to the service and prints what it answered.
pub async fn run(config: &Config, args: &SimulateArgs) -> anyhow::Result<()> {
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| default_target(config.listen));
    let token = webhook_token(config).await?;
    let sender = Sender::new(target.clone(), token)?;
    sender.check_alive().await?;

    let seed = args
        .seed
        .unwrap_or_else(|| rand::rng().random_range(1..100_000));
    let spacing = (Duration::from_secs(1) / args.rate).max(Duration::from_millis(1));
    // Mobiniti's times have milliseconds; the first payload time is exactly one.
    let start = Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or_else(|_| Utc::now());
    let traffic = traffic::generate(&Plan {
        seed,
        contacts: args.contacts as usize,
        campaigns: args.campaigns as usize,
        start,
        spacing,
    });
    eprintln!(
        "Sending {} webhooks to {target} at {}/s (seed {seed})",
        traffic.len(),
        args.rate
    );

    let began = Instant::now();
    let mut tally = Tally::default();
    let mut progress = Progress::new(traffic.len());
    let sent = sender
        .send_all(traffic, args.rate, |delivery| {
            tally.record(delivery);
            progress.update(&tally);
        })
        .await;
    progress.finish();
    sent?;

    let mut out = std::io::stdout().lock();
    Summary {
        target: &target,
        seed,
        contacts: args.contacts,
        campaigns: args.campaigns,
        elapsed: began.elapsed(),
        tally: &tally,
    }
    .write(&mut out)
    .and_then(|()| out.flush())
    .context("printing the summary")?;
    if let Some(refusal) = &tally.first_refusal {
        anyhow::bail!(
            "{} webhooks were refused (kept in the service's quarantine); the first: {refusal}",
            tally.refused
        );
    }
    Ok(())
}

/// The service's base URL, ending in `/` so that paths join under it.
fn parse_target(value: &str) -> Result<Url, String> {
    let mut url = Url::parse(value.trim())
        .map_err(|err| format!("{err}; give the service's URL, such as http://127.0.0.1:8080"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the target must be an http:// or https:// URL".into());
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    url.set_query(None);
    Ok(url)
}

/// `http://` and the listen address; a wildcard address is reached on loopback.
fn default_target(listen: SocketAddr) -> Url {
    let mut address = listen;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let text = format!("http://{address}/");
    Url::parse(&text).unwrap_or_else(|_| unreachable!("{text} is a URL"))
}

/// The token given, else the one `serve` keeps in the store, read without writing anything.
async fn webhook_token(config: &Config) -> anyhow::Result<WebhookToken> {
    if let Some(token) = config.webhook_token.first() {
        return Ok(token.clone());
    }
    let store_url = redact_password(&config.database_url);
    let how = "pass the token in the webhook URLs `serve` printed at start-up (`…?token=TOKEN`; \
               `mobiniti-events urls` prints them again) with --webhook-token or WEBHOOK_TOKEN, \
               or the --database-url of the running service's store";
    let mut options = config.store_options().read_only();
    options.max_connections = 1;
    let stored = async { Store::connect(&options).await?.webhook_token().await }.await;
    match stored {
        Ok(Some(token)) => token
            .parse::<WebhookToken>()
            .map_err(anyhow::Error::msg)
            .context("the webhook token kept in the store is malformed"),
        Ok(None) => anyhow::bail!(
            "no webhook token: none was given, and the store at {store_url} holds none yet \
             (`serve` generates one on its first start); {how}"
        ),
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "no webhook token: none was given, and none could be read from the store at \
             {store_url}; {how}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_base_urls() {
        let url = |value: &str| parse_target(value).map(|url| url.to_string());
        assert_eq!(
            url("http://127.0.0.1:8080"),
            Ok("http://127.0.0.1:8080/".into())
        );
        assert_eq!(
            url("https://hooks.example.com/events?x=1"),
            Ok("https://hooks.example.com/events/".into())
        );
        assert!(url("ftp://example.com").is_err());
        assert!(url("127.0.0.1:8080").is_err());
    }

    #[test]
    fn the_default_target_is_the_listen_address() {
        let listen = |text: &str| default_target(text.parse().expect("an address")).to_string();
        assert_eq!(listen("127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(listen("0.0.0.0:9000"), "http://127.0.0.1:9000/");
        assert_eq!(listen("[::]:9000"), "http://[::1]:9000/");
    }
}
