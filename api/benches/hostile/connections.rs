//! Attacks that hold connections open: silent TCP connections, WebSocket connections that never
//! send `connection_init`, and acknowledged ones that subscribe with large operations and then
//! never read.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::attack::{Socket, Target, inbound, message, upgrade};
use crate::good::Good;
use crate::report::Row;

/// How long an attack is held before its memory is read.
const HOLD: Duration = Duration::from_secs(1);
/// Operations each subscribed connection tries to start: `--ws-max-subscriptions`' default.
const OPERATIONS: usize = 100;
/// Webhooks posted while the subscribed connections do not read.
const EVENTS: usize = 200;

/// `n` TCP connections that connect and send nothing.
pub async fn idle_tcp(n: usize) -> anyhow::Result<Row> {
    let target = Target::start(&[]).await?;
    let idle = target.rss()?;
    let good = Good::start(target.address, None);
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(
            TcpStream::connect(target.address)
                .await
                .context("connect")?,
        );
    }
    let attack = format!("{n} TCP connections that send nothing");
    finish(target, good, held, (attack, n), idle, |held| {
        let open = held
            .iter()
            .filter(|connection| still_open(connection))
            .count();
        format!("{open} of {n} still open after {HOLD:?}")
    })
    .await
}

/// `n` WebSocket upgrades that never send `connection_init`; `raised`: with the per-address cap
/// and `--ws-init-timeout` raised, to measure what each costs.
pub async fn pending_ws(n: usize, raised: bool) -> anyhow::Result<Row> {
    let flags: &[&str] = if raised {
        &[
            "--ws-max-pending-per-address",
            "65535",
            "--ws-init-timeout",
            "60s",
        ]
    } else {
        &[]
    };
    let target = Target::start(flags).await?;
    let idle = target.rss()?;
    let good = Good::start(target.address, None);
    let mut held = Vec::new();
    let mut refused = BTreeMap::<u16, usize>::new();
    for _ in 0..n {
        match upgrade(target.address, &[], false).await? {
            Ok(socket) => held.push(socket),
            Err(status) => *refused.entry(status).or_default() += 1,
        }
    }
    let mut outcome = format!("{} taken", held.len());
    for (status, count) in refused {
        outcome.push_str(&format!(", {count} refused {status}"));
    }
    let fds = target.fds()?;
    outcome.push_str(&format!(" ({fds} fds once taken)"));
    let settings = if raised {
        " (`--ws-max-pending-per-address 65535 --ws-init-timeout 60s`)"
    } else {
        " (default flags)"
    };
    let attack = format!("{n} WebSocket upgrades without `connection_init`{settings}");
    let taken = held.len();
    finish(target, good, held, (attack, taken), idle, |_| outcome).await
}

/// `m` acknowledged connections, each starting up to [`OPERATIONS`] subscriptions of a 30 kB
/// query and `variables_bytes` of variables, then not reading while [`EVENTS`] webhooks arrive.
pub async fn subscribed(m: usize, variables_bytes: usize) -> anyhow::Result<Row> {
    let target = Target::start(&[]).await?;
    let idle = target.rss()?;
    let good = Good::start(target.address, None);
    let query = format!(
        "subscription {{ events {{ position payload }} }} #{}",
        "x".repeat(30_000)
    );
    let payload = json!({ "query": query, "variables": { "pad": "x".repeat(variables_bytes) } });
    let mut held = Vec::new();
    let (mut accepted, mut refusals) = (0, BTreeMap::<String, usize>::new());
    for _ in 0..m {
        let Ok(mut socket) = upgrade(target.address, &[], true).await? else {
            *refusals.entry("upgrade refused".to_owned()).or_default() += 1;
            continue;
        };
        socket
            .send(Message::text(message("connection_init", None, json!({}))))
            .await?;
        match next(&mut socket, Duration::from_secs(5)).await {
            Some(Ok(ack)) if ack["type"] == "connection_ack" => {}
            other => bail!("no connection_ack: {other:?}"),
        }
        let mut sent = 0;
        for id in 0..OPERATIONS {
            let subscribe = message("subscribe", Some(&id.to_string()), payload.clone());
            let send = socket.send(Message::text(subscribe));
            match tokio::time::timeout(Duration::from_secs(5), send).await {
                Ok(Ok(())) => sent += 1,
                _ => break,
            }
        }
        // Refusals come at once; results only with the webhooks, which nobody reads.
        let mut refused = 0;
        while let Some(answer) = next(&mut socket, Duration::from_millis(500)).await {
            match answer {
                Ok(message) if message["type"] == "error" => {
                    let code = &message["payload"][0]["extensions"]["code"];
                    *refusals.entry(format!("error {code}")).or_default() += 1;
                    refused += 1;
                }
                Ok(_) => {}
                Err(code) => {
                    *refusals.entry(format!("closed {code}")).or_default() += 1;
                    refused = sent;
                    break;
                }
            }
        }
        accepted += sent - refused;
        held.push(socket);
    }
    let http = reqwest::Client::new();
    for n in 1..=EVENTS {
        inbound(&http, target.address, n).await?;
    }
    let mut outcome = format!("{accepted} of {} operations running", m * OPERATIONS);
    for (refusal, count) in refusals {
        outcome.push_str(&format!(", {count}× {refusal}"));
    }
    let attack = format!(
        "{m} acknowledged WebSocket connections, up to {OPERATIONS} subscriptions each (30 kB \
         query, {} kB variables), not reading {EVENTS} events",
        variables_bytes / 1000
    );
    finish(target, good, held, (attack, m), idle, |_| outcome).await
}

/// Holds the attack for [`HOLD`], reads the figures and the `outcome` of what is held, lets the
/// attackers go and reads RSS again.
async fn finish<T>(
    mut target: Target,
    good: Good,
    held: Vec<T>,
    (attack, attackers): (String, usize),
    idle: u64,
    outcome: impl FnOnce(&[T]) -> String,
) -> anyhow::Result<Row> {
    tokio::time::sleep(HOLD).await;
    let outcome = outcome(&held);
    let during = target.rss()?;
    let fds = target.fds()?;
    let good = good.finish().await;
    drop(held);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = target.rss()?;
    target.ensure_running()?;
    target.stop().await;
    println!("  {attack}: {outcome}");
    Ok(Row {
        attack,
        outcome,
        attackers,
        idle,
        during,
        after,
        fds,
        good,
    })
}

/// The next message within `wait` (`None` if nothing came), or the close code.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Result<Value, u16>> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next()).await.ok()?;
        return Some(match frame {
            Some(Ok(Message::Text(text))) => Ok(serde_json::from_str(text.as_str()).ok()?),
            Some(Ok(Message::Close(frame))) => Err(frame.map_or(1005, |f| f.code.into())),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => Err(1006),
        });
    }
}

/// Whether the service still holds `connection` open (nothing to read, no end seen).
fn still_open(connection: &TcpStream) -> bool {
    let mut buffer = [0; 64];
    matches!(
        connection.try_read(&mut buffer),
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock
    )
}
