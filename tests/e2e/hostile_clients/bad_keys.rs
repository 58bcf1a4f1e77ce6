//! A flood of WebSocket connections whose `connection_init` carries a wrong key: each is closed
//! 4403 and counted as a failed authentication; past `--auth-failure-limit` the address's
//! upgrades without a key are answered 429 before a connection is taken. A client from the same
//! address with the right key (in the upgrade's `Authorization`) connects, subscribes and gets
//! an event posted meanwhile, and the right key over HTTP is answered.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{ATTACK, SERVED_WITHIN};
use crate::support::hostile::{GoodClient, inbound, mib, upgrade, warm_up};
use crate::support::process::ServiceProcess;
use crate::support::{Backend, TestDb, series};

on_every_store!(a_flood_of_wrong_keys_in_connection_init_is_limited_while_the_right_key_is_served);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const KEY: &str = "read-key-0123456789abcdef";
const LIMIT: usize = 5;
/// Connections flooding at once, each opening the next as soon as the last is answered.
const ATTACKERS: usize = 8;
/// What the flood may add to the process's memory: it holds nothing once refused.
const MEMORY_BOUND: u64 = 64 << 20;

/// How one flooding attempt was answered.
#[derive(Debug, PartialEq)]
enum Answer {
    /// Upgraded, then closed with this code after `connection_init`.
    Closed(u16),
    /// The upgrade was refused with this status.
    Refused(u16),
}

async fn a_flood_of_wrong_keys_in_connection_init_is_limited_while_the_right_key_is_served(
    backend: Backend,
) {
    let db = TestDb::create(backend).await;
    let limit = LIMIT.to_string();
    let flags = ["--api-key", KEY, "--auth-failure-limit", &limit];
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let log_file = log.reopen().expect("the log file");
    let service = ServiceProcess::start_logging(&db.url, &flags, Some(log_file)).await;
    let address = service.address;
    let warmed_up = warm_up(address).await;
    let before = service.rss_bytes();
    let bearer = format!("Bearer {KEY}");
    let mut subscriber = upgrade(address, &[("authorization", &bearer)])
        .await
        .expect("the right key's upgrade");
    init(&mut subscriber, json!({}))
        .await
        .expect("acknowledged");
    let query = format!("subscription {{ events(afterPosition: \"{warmed_up}\") {{ position }} }}");
    let subscribe = json!({ "query": query });
    let message = json!({ "id": "s", "type": "subscribe", "payload": subscribe });
    subscriber
        .send(Message::text(message.to_string()))
        .await
        .expect("subscribe");
    let good = GoodClient::queries(address, Some(KEY));
    let http = reqwest::Client::new();

    let started = Instant::now();
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| tokio::spawn(flood_from(address, started)))
        .collect();
    // Mid-flood, an event: its webhook is answered, and the subscriber with the right key gets
    // it, each within the bound.
    tokio::time::sleep(ATTACK / 2).await;
    let posted = Instant::now();
    let delivered = inbound(&http, address, 1)
        .await
        .expect("the webhook is stored");
    let answered = posted.elapsed();
    let event = next(&mut subscriber, SERVED_WITHIN)
        .await
        .expect("the event, not a close");
    let lateness = posted.elapsed() - answered;
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(
        event["payload"]["data"]["events"]["position"],
        delivered.to_string()
    );
    let mut answers = Vec::new();
    for attacker in attackers {
        answers.extend(attacker.await.expect("an attacker"));
    }
    let during = service.rss_bytes();
    let served = good.finish().await;

    let closed = answers
        .iter()
        .filter(|a| **a == Answer::Closed(4403))
        .count();
    let limited = answers
        .iter()
        .filter(|a| **a == Answer::Refused(429))
        .count();
    eprintln!(
        "{backend:?}: {closed} closed 4403, {limited} refused 429 of {} in {ATTACK:?}; the \
         webhook was answered in {answered:?}, the event came {lateness:?} later; RSS {:.1} \
         then {:.1} MiB; {served:?}",
        answers.len(),
        mib(before),
        mib(during),
    );
    assert!(answered <= SERVED_WITHIN, "the webhook took {answered:?}");
    assert_eq!(
        closed + limited,
        answers.len(),
        "only 4403 or 429: {answers:?}"
    );
    // Attempts already upgraded when the limit was reached still end with 4403: one per
    // attacker at most.
    assert!(
        (LIMIT..=LIMIT + ATTACKERS).contains(&closed),
        "{closed} closed 4403"
    );
    assert!(limited > 10 * ATTACKERS, "{limited} refused 429");
    let metrics = reqwest::get(service.url("/metrics"))
        .await
        .expect("metrics");
    let scrape = metrics.text().await.expect("a scrape");
    let failures = series(
        &scrape,
        r#"mobiniti_auth_failures_total{surface="graphql"}"#,
    );
    assert_eq!(failures, Some(closed as u64), "each 4403 is counted");
    served.assert_within("the client with the right key", 10, SERVED_WITHIN);
    assert!(
        during < before + MEMORY_BOUND,
        "RSS grew by {:.1} MiB",
        mib(during.saturating_sub(before))
    );

    // Thousands of refusals, a handful of lines: a flood must not fill the disk.
    let logged = std::fs::read_to_string(log.path()).expect("the log");
    let lines = logged.matches("answered 429").count();
    assert!(
        (1..=2).contains(&lines),
        "{lines} lines for {limited} refusals in {ATTACK:?}"
    );

    // After the flood: the right key's upgrade is still taken, one without a key still refused.
    let again = upgrade(address, &[("authorization", &bearer)]).await;
    assert!(again.is_ok(), "the right key's upgrade after the flood");
    assert_eq!(upgrade(address, &[]).await.err(), Some(429));
    drop((subscriber, again));
    service.stop().await;
}

/// Upgrades without a key and sends a wrong one in `connection_init`, again and again until
/// [`ATTACK`] has passed since `started`.
async fn flood_from(address: SocketAddr, started: Instant) -> Vec<Answer> {
    let mut answers = Vec::new();
    while started.elapsed() < ATTACK {
        let answer = match upgrade(address, &[]).await {
            Err(status) => Answer::Refused(status),
            Ok(mut socket) => {
                let wrong = json!({ "Authorization": "Bearer wrong-key-0123456789abcdef" });
                match init(&mut socket, wrong).await {
                    Err(code) => Answer::Closed(code),
                    Ok(ack) => panic!("a wrong key was acknowledged: {ack}"),
                }
            }
        };
        answers.push(answer);
    }
    answers
}

/// Sends `connection_init` with `payload`: the ack, or the close code.
async fn init(socket: &mut Socket, payload: Value) -> Result<Value, u16> {
    let message = json!({ "type": "connection_init", "payload": payload });
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send connection_init");
    next(socket, Duration::from_secs(5)).await
}

/// The next message, or the close code (1006 for an end without one); fails the test if
/// neither comes within `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Result<Value, u16> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next())
            .await
            .unwrap_or_else(|_| panic!("nothing within {wait:?}"));
        match frame {
            Some(Ok(Message::Text(text))) => {
                return Ok(serde_json::from_str(text.as_str()).expect("JSON"));
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map_or(1005, |f| f.code.into())),
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return Err(1006),
        }
    }
}
