//! `kill -9` under load, again and again: every delivery answered 200 is in the log exactly
//! once, positions have no hole, and the projections equal a rebuild of the log.
//!
//! Writers post mixed traffic to a service process; it is killed (SIGKILL) at a pseudo-random
//! moment and started again on the same store, `CRASH_CYCLES` times (3 by default, so the run in
//! `.ci/run` stays short; the README's figures come from `CRASH_CYCLES=20`). A request that got
//! no answer is sent again after the next start, as Mobiniti retries, until it is answered 200.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;
use tokio::sync::Mutex;

use crate::rebuild::run_rebuild;
use crate::support::process::ServiceProcess;
use crate::support::{Backend, Projections, Receipt, TOKEN, TestDb};

on_every_store!(acknowledged_deliveries_survive_kill_9,);

const WRITERS: usize = 8;

/// Delivery `n` of the stream: every kind, each `n` a distinct delivery.
fn request(n: u64) -> (&'static str, String) {
    let contact = n % 25;
    let phone = format!("+1720555{contact:04}");
    let at = format!(
        "2024-03-{:02}T{:02}:{:02}:{:02}Z",
        1 + n / 86_400 % 28,
        n / 3_600 % 24,
        n / 60 % 60,
        n % 60
    );
    let mut fields = json!({
        "id": format!("crash-{contact}"),
        "first_name": format!("Name {n}"),
        "phone_number": phone,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": at,
    });
    let kind = match n % 10 {
        0 => {
            let body = json!({
                "statuses": [{"code": "100", "status": "Delivered", "success": true,
                    "bounce": false, "recipients": [phone]}],
                "messages": [{"id": format!("m-{n}"), "from": "64600",
                    "message": format!("campaign {n}"), "phone_number": phone}],
            });
            return ("delivery-report", body.to_string());
        }
        1 => {
            let body = json!({"code": format!("{n}"), "message": "rejected", "description": ""});
            return ("rejection", body.to_string());
        }
        2 => {
            fields["status"] = json!(["suspended", "resumed"][(n / 10 % 2) as usize]);
            "contact-status"
        }
        3 => {
            fields["unsubscribed_at"] = json!(at);
            "unsubscribe"
        }
        4 => {
            fields["bounces"] = json!(n % 5 + 1);
            "bounce"
        }
        _ => {
            fields["message"] = json!(format!("crash test {n}"));
            fields["received_at"] = json!(at);
            "inbound-message"
        }
    };
    (kind, fields.to_string())
}

/// What the writers learnt: each delivery's answers, and those never answered 200.
#[derive(Default)]
struct Ledger {
    answered: HashMap<u64, Vec<Receipt>>,
    unanswered: Vec<u64>,
    /// Deliveries that went unanswered at least once.
    retried: HashSet<u64>,
}

/// Posts `n` to the service at `base`; `Some` on 200. Anything else (a reset connection, a 503)
/// is left for a retry.
async fn post(http: &reqwest::Client, base: &str, n: u64) -> Option<Receipt> {
    let (kind, body) = request(n);
    let url = format!("{base}/webhooks/mobiniti/{kind}?token={TOKEN}");
    let response = http.post(url).body(body).send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

async fn acknowledged_deliveries_survive_kill_9(backend: Backend) {
    let cycles: u64 = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3);
    let db = TestDb::create(backend).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let next = Arc::new(AtomicU64::new(0));
    for cycle in 0..cycles {
        let service = ServiceProcess::start(&db.url).await;
        let base = service.url("");
        // What the last crash left unanswered goes first, as Mobiniti's retries would.
        let retries = std::mem::take(&mut ledger.lock().await.unanswered);
        for n in retries {
            record(&ledger, n, post(&http, &base, n).await).await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (http, base) = (http.clone(), base.clone());
                let (ledger, next, stop) = (ledger.clone(), next.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        record(&ledger, n, post(&http, &base, n).await).await;
                    }
                })
            })
            .collect();
        // A different moment in each cycle, the same on every run; requests are in flight.
        let uptime = 150 + (cycle * 7_919) % 450;
        tokio::time::sleep(Duration::from_millis(uptime)).await;
        service.kill().await;
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.await.expect("a writer");
        }
    }
    // Mobiniti retries until it gets a 200: so does this, on a last, orderly run.
    let service = ServiceProcess::start(&db.url).await;
    let base = service.url("");
    loop {
        let retries = std::mem::take(&mut ledger.lock().await.unanswered);
        if retries.is_empty() {
            break;
        }
        for n in retries {
            record(&ledger, n, post(&http, &base, n).await).await;
        }
    }
    service.stop().await;
    let ledger = ledger.lock().await;
    check(&db, &ledger, cycles).await;
}

async fn record(ledger: &Mutex<Ledger>, n: u64, receipt: Option<Receipt>) {
    let mut ledger = ledger.lock().await;
    match receipt {
        Some(receipt) => ledger.answered.entry(n).or_default().push(receipt),
        None => {
            ledger.unanswered.push(n);
            ledger.retried.insert(n);
        }
    }
}

async fn check(db: &TestDb, ledger: &Ledger, cycles: u64) {
    let answered = &ledger.answered;
    let store = Database::connect(db.url.as_str())
        .await
        .expect("connect to the store");
    let events = number(&store, "SELECT count(*) FROM events").await;
    let last = number(&store, "SELECT coalesce(max(position), 0) FROM events").await;
    let head = number(&store, "SELECT position FROM log_head WHERE id = 1").await;
    assert_eq!(events, last, "positions 1..={last} with no hole");
    assert_eq!(head, last, "the head is the last position");

    // Each delivery is one event: every answer for it names the same one, and no two deliveries
    // share an event.
    let mut owners: HashMap<String, u64> = HashMap::new();
    for (n, receipts) in answered {
        let first = &receipts[0];
        for receipt in receipts {
            assert_eq!(receipt.event_id, first.event_id, "delivery {n}");
            assert_eq!(receipt.position, first.position, "delivery {n}");
        }
        if let Some(other) = owners.insert(first.event_id.clone(), *n) {
            panic!(
                "deliveries {other} and {n} were both answered with event {}",
                first.event_id
            );
        }
    }
    assert_eq!(
        answered.len() as i64,
        events,
        "every delivery answered 200 is in the log, and nothing else is"
    );
    // Stored before the kill, answered only on a retry: the case a crash makes.
    let stored_unanswered = ledger
        .retried
        .iter()
        .filter(|n| answered[*n][0].duplicate)
        .count();
    eprintln!(
        "crash test: {cycles} kill -9 cycles, {} deliveries acknowledged, {} retried after a \
         crash ({stored_unanswered} of them stored before it and answered as duplicates of \
         their event), {events} events, lost: 0, duplicated: 0",
        answered.len(),
        ledger.retried.len()
    );

    let incremental = Projections::read(&store).await;
    run_rebuild(&db.url).await;
    let rebuilt = Projections::read(&store).await;
    assert_eq!(
        rebuilt, incremental,
        "the projections equal a rebuild of the log"
    );
}

async fn number(store: &DatabaseConnection, sql: &str) -> i64 {
    let row = store
        .query_one_raw(Statement::from_string(store.get_database_backend(), sql))
        .await
        .expect("query the log")
        .expect("a row");
    row.try_get_by_index(0).expect("a number")
}
