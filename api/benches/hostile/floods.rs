//! Attacks that flood: 1 MB alias queries, and WebSocket connections with a wrong key in
//! `connection_init`, each sent again as soon as the last is answered, by several clients.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::attack::{KEY, Target, message, upgrade};
use crate::good::{Good, Peak};
use crate::report::Row;

/// The alias query's size: under the 1 MiB a GraphQL POST body may have.
const QUERY_BYTES: usize = 1_000_000;

/// `flooders` clients sending a 1 MB alias query in a loop; `raised`: with the query size limit
/// above it, so the alias limit refuses it.
pub async fn aliases(flooders: usize, seconds: u64, raised: bool) -> anyhow::Result<Row> {
    let flags: &[&str] = if raised {
        &["--graphql-max-query-bytes", "2000000"]
    } else {
        &[]
    };
    let body = Arc::new(json!({ "query": alias_query(QUERY_BYTES) }).to_string());
    let attack = format!(
        "{flooders} clients sending 1 MB alias queries for {seconds} s ({})",
        if raised {
            "`--graphql-max-query-bytes 2000000`"
        } else {
            "default limits"
        }
    );
    flood(flags, attack, flooders, seconds, move |address| {
        let (http, body) = (reqwest::Client::new(), body.clone());
        async move {
            let response = http
                .post(format!("http://{address}/graphql"))
                .header("content-type", "application/json")
                .body(body.as_str().to_owned())
                .send()
                .await
                .context("sending the megabyte")?;
            let status = response.status().as_u16();
            let answer: Value = response.json().await.context("its answer")?;
            let code = answer["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("");
            Ok(format!("{status} {code}"))
        }
    })
    .await
}

/// `flooders` clients upgrading without a key and sending a wrong one in `connection_init`, in
/// a loop; `limited`: with the default `--auth-failure-limit`, else with none.
pub async fn bad_keys(flooders: usize, seconds: u64, limited: bool) -> anyhow::Result<Row> {
    let limit = if limited { "20" } else { "0" };
    let flags = ["--api-key", KEY, "--auth-failure-limit", limit];
    let attack = format!(
        "{flooders} clients sending a wrong key in `connection_init` for {seconds} s \
         (`--auth-failure-limit {limit}`)"
    );
    flood(&flags, attack, flooders, seconds, |address| async move {
        match upgrade(address, &[], false).await? {
            Err(status) => Ok(format!("upgrade refused {status}")),
            Ok(mut socket) => {
                let wrong = json!({ "Authorization": "Bearer wrong-key-0123456789abcdef" });
                let init = message("connection_init", None, wrong);
                socket.send(Message::text(init)).await?;
                let end = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
                Ok(match end {
                    Ok(Some(Ok(Message::Close(Some(frame))))) => format!("closed {}", frame.code),
                    other => format!("{other:?}"),
                })
            }
        }
    })
    .await
}

/// Runs `attempt` in a loop in each of `flooders` tasks for `seconds` against a service started
/// with `flags`; the outcome counts each answer.
async fn flood<F, Fut>(
    flags: &[&str],
    attack: String,
    flooders: usize,
    seconds: u64,
    attempt: F,
) -> anyhow::Result<Row>
where
    F: Fn(SocketAddr) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<String>> + Send,
{
    let mut target = Target::start(flags).await?;
    let idle = target.rss()?;
    let good = Good::start(target.address, target.key);
    let peak = Peak::start(target.pid());
    let started = Instant::now();
    let length = Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..flooders)
        .map(|_| {
            let (attempt, address) = (attempt.clone(), target.address);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while started.elapsed() < length {
                    answers.push(attempt(address).await?);
                }
                anyhow::Ok(answers)
            })
        })
        .collect();
    tokio::time::sleep(length / 2).await;
    let fds = target.fds()?;
    let mut answers = BTreeMap::<String, usize>::new();
    for task in tasks {
        for answer in task.await.context("a flooding client")?? {
            *answers.entry(answer).or_default() += 1;
        }
    }
    let during = peak.finish().await;
    let good = good.finish().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = target.rss()?;
    target.ensure_running()?;
    target.stop().await;
    let outcome = answers
        .iter()
        .map(|(answer, count)| format!("{count}× {answer}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!("  {attack}: {outcome}");
    Ok(Row {
        attack,
        outcome,
        attackers: flooders,
        idle,
        during,
        after,
        fds,
        good,
    })
}

/// `{ a0: __typename a1: __typename … }`, `bytes` long or a few bytes less.
fn alias_query(bytes: usize) -> String {
    let mut query = String::from("{");
    for n in 0.. {
        let field = format!(" a{n}: __typename");
        if query.len() + field.len() + 2 > bytes {
            break;
        }
        query.push_str(&field);
    }
    query.push_str(" }");
    query
}
