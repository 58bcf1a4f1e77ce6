//! `cargo bench --bench ingest -- [--store sqlite|postgres|both] [--connections 1,32,256]
//! [--seconds 5] [--log-events 1000000] [--only ingest,startup]`: webhook ingest against the
//! real binary, beside a baseline measured in the same run.
//!
//! 1. Ingest: realistic mixed Mobiniti traffic ([`traffic`]) over 1, 32 and 256 keep-alive
//!    connections for a few seconds each ([`load`]), to the service on a fresh store and to the
//!    baseline, a process that parses and validates the same requests but stores nothing
//!    ([`baseline`]): webhooks per second, p50 and p99, and the ratio of the two.
//! 2. Start-up: on a store of 1,000,000 events (seeded in SQL), the time from starting the
//!    binary to `/readyz` answering 200, its idle RSS, and `mobiniti-events rebuild`'s rate.
//!
//! Per store: SQLite in a temporary folder, PostgreSQL in a database created on the server of
//! `BENCH_DATABASE_URL` or else `TEST_DATABASE_URL` and dropped at the end. The service is the
//! binary `cargo bench` built, started as a child on 127.0.0.1:0 and stopped with SIGTERM.

#[path = "common/allocator.rs"]
mod allocator;
#[path = "ingest/baseline.rs"]
mod baseline;
#[path = "ingest/load.rs"]
mod load;
#[path = "common/postgres.rs"]
mod postgres;
#[path = "subscriptions/seed.rs"]
mod seed;
#[allow(
    dead_code,
    reason = "shared with the subscriptions benchmark, which uses all of it"
)]
#[path = "subscriptions/service.rs"]
mod service;
#[path = "ingest/startup.rs"]
mod startup;
#[path = "ingest/stores.rs"]
mod stores;
#[path = "ingest/traffic.rs"]
mod traffic;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::bail;
use clap::Parser;

use load::Outcome;
use service::Service;
use startup::Startup;
use stores::Fresh;

/// Measures mobiniti-events' webhook ingest against a no-store baseline, and its start-up.
#[derive(Debug, Parser)]
struct Args {
    /// The stores to measure; PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// Concurrent connections, one measurement each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 32, 256])]
    connections: Vec<usize>,
    /// Seconds of load per measurement.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Events in the log for the start-up measurement.
    #[arg(long, default_value_t = 1_000_000)]
    log_events: i64,
    /// Events in the log `rebuild` projects again (a log of its own, so the run stays short).
    #[arg(long, default_value_t = 100_000)]
    rebuild_events: i64,
    /// The measurements to run, comma-separated; both by default.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Measure::Ingest, Measure::Startup])]
    only: Vec<Measure>,
    /// Runs the baseline server (the benchmark starts it so).
    #[arg(long, hide = true)]
    baseline_server: bool,
    #[arg(long, hide = true, default_value = TOKEN)]
    token: String,
    /// Passed by `cargo bench` to every benchmark; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StoreChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Measure {
    Ingest,
    Startup,
}

const TOKEN: &str = "bench-token-0123456789abcdef";
/// Requests of one measurement are numbered from a multiple of this, so no two measurements
/// send the same request (a repeat would be a redelivery).
const RANGE: u64 = 100_000_000;

/// One ingest measurement: the service and the baseline at the same level.
struct IngestRow {
    store: &'static str,
    service: Outcome,
    baseline: Outcome,
}

struct StartupRow {
    store: &'static str,
    events: i64,
    startup: anyhow::Result<Startup>,
    rebuild_events: i64,
    rebuild: anyhow::Result<f64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let result = if args.baseline_server {
        baseline::serve(&args.token).await
    } else {
        run(&args).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let postgres = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    let mut stores: Vec<&'static str> = Vec::new();
    if matches!(args.store, StoreChoice::Sqlite | StoreChoice::Both) {
        stores.push("SQLite");
    }
    if matches!(args.store, StoreChoice::Postgres | StoreChoice::Both) {
        match postgres {
            Some(_) => stores.push("PostgreSQL"),
            None if args.store == StoreChoice::Both => {
                println!("PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
            }
            None => bail!("--store postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL"),
        }
    }
    let fresh = async |store: &str| match (store, &postgres) {
        ("PostgreSQL", Some(admin)) => Fresh::postgres(admin).await,
        _ => Fresh::sqlite(),
    };
    let (mut ingest, mut starts) = (Vec::new(), Vec::new());
    for store in stores {
        if args.only.contains(&Measure::Ingest) {
            println!("== {store}: ingest");
            let db = fresh(store).await?;
            let measured = measure_ingest(store, &db.url, args).await;
            db.remove().await;
            ingest.extend(measured?);
        }
        if args.only.contains(&Measure::Startup) {
            println!("== {store}: start-up on {} events", args.log_events);
            let db = fresh(store).await?;
            let startup = measure_startup(&db, args.log_events).await;
            db.remove().await;
            println!("== {store}: rebuild of {} events", args.rebuild_events);
            let db = fresh(store).await?;
            let rebuild = measure_rebuild(&db, args.rebuild_events).await;
            db.remove().await;
            starts.push(StartupRow {
                store,
                events: args.log_events,
                startup: startup?,
                rebuild_events: args.rebuild_events,
                rebuild: rebuild?,
            });
        }
    }
    print_ingest(args, &ingest);
    print_startup(&starts);
    let failed = starts
        .iter()
        .filter(|row| row.startup.is_err() || row.rebuild.is_err())
        .count();
    if failed > 0 {
        bail!("{failed} start-up measurements failed; see the table");
    }
    Ok(())
}

async fn measure_ingest(
    store: &'static str,
    url: &str,
    args: &Args,
) -> anyhow::Result<Vec<IngestRow>> {
    service::migrate(url).await?;
    let service = Service::start(url, TOKEN, &[]).await?;
    let baseline = match baseline::Process::start(TOKEN).await {
        Ok(baseline) => baseline,
        Err(err) => {
            service.stop().await;
            return Err(err);
        }
    };
    let duration = Duration::from_secs(args.seconds);
    let mut rows = Vec::new();
    let mut failure = None;
    for (level, &connections) in args.connections.iter().enumerate() {
        let start = (level as u64 + 1) * RANGE;
        let measured = async {
            let next = Arc::new(AtomicU64::new(start));
            let base = load::drive(&baseline.base, TOKEN, connections, duration, &next).await?;
            println!("  baseline, {connections} connections: {}", summary(&base));
            let next = Arc::new(AtomicU64::new(start));
            let served = load::drive(&service.base, TOKEN, connections, duration, &next).await?;
            println!(
                "  service,  {connections} connections: {}",
                summary(&served)
            );
            anyhow::Ok((base, served))
        }
        .await;
        match measured {
            Ok((baseline, service)) => rows.push(IngestRow {
                store,
                service,
                baseline,
            }),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    baseline.stop().await;
    service.stop().await;
    match failure {
        Some(err) => Err(err),
        None => Ok(rows),
    }
}

/// Seeds `events`, then starts the service on them. The outer error is a failed set-up.
async fn measure_startup(db: &Fresh, events: i64) -> anyhow::Result<anyhow::Result<Startup>> {
    service::migrate(&db.url).await?;
    println!("  seeding {events} events");
    seed::seed(&db.url, db.dialect, events).await?;
    let startup = startup::measure(&db.url, TOKEN).await;
    if let Ok(startup) = &startup {
        println!(
            "  ready in {:.1?}, idle RSS {:.1} MiB",
            startup.ready,
            mib(startup.idle_rss)
        );
    }
    Ok(startup)
}

/// Seeds `events`, then times `rebuild` on them. The outer error is a failed set-up.
async fn measure_rebuild(db: &Fresh, events: i64) -> anyhow::Result<anyhow::Result<f64>> {
    service::migrate(&db.url).await?;
    println!("  seeding {events} events");
    seed::seed(&db.url, db.dialect, events).await?;
    let rebuild = startup::rebuild(&db.url, events).await;
    if let Ok(rate) = &rebuild {
        println!("  rebuild: {rate:.0} events/s");
    }
    Ok(rebuild)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn summary(outcome: &Outcome) -> String {
    let mut text = format!(
        "{:.0} webhooks/s, p50 {:.2} ms, p99 {:.2} ms ({} answered 200",
        outcome.per_second(),
        ms(outcome.percentile(0.5)),
        ms(outcome.percentile(0.99)),
        outcome.ok
    );
    if outcome.failed > 0 {
        let first = outcome.first_failure.as_deref().unwrap_or("");
        text.push_str(&format!(", {} failed; first: {first}", outcome.failed));
    }
    text.push(')');
    text
}

/// The target at 32 connections: a ratio to the baseline, and p99.
fn target(store: &str) -> (f64, Option<Duration>) {
    match store {
        "SQLite" => (0.35, Some(Duration::from_millis(20))),
        _ => (0.25, None),
    }
}

fn print_ingest(args: &Args, rows: &[IngestRow]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "\nIngest: {} s per measurement; load average at the end: {}\n",
        args.seconds,
        load_average()
    );
    println!(
        "| store | connections | service: webhooks/s | p50 | p99 | baseline (no store): webhooks/s \
         | p50 | p99 | ratio | target | met? |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let (service, baseline) = (&row.service, &row.baseline);
        let ratio = service.per_second() / baseline.per_second();
        let (target, met) = if service.connections == 32 {
            let (min, p99) = target(row.store);
            let met = ratio >= min
                && p99.is_none_or(|p99| service.percentile(0.99) <= p99)
                && service.failed == 0;
            let p99 = p99.map_or(String::new(), |p99| {
                format!(", p99 ≤ {} ms", p99.as_millis())
            });
            let met = if met { "yes" } else { "**no**" };
            (format!("≥ {min}×{p99}"), met)
        } else {
            ("".to_owned(), "")
        };
        let failed = if service.failed > 0 {
            format!(" ({} failed)", service.failed)
        } else {
            String::new()
        };
        println!(
            "| {} | {} | {:.0}{failed} | {:.2} ms | {:.2} ms | {:.0} | {:.2} ms | {:.2} ms | {ratio:.2}× | {target} | {met} |",
            row.store,
            service.connections,
            service.per_second(),
            ms(service.percentile(0.5)),
            ms(service.percentile(0.99)),
            baseline.per_second(),
            ms(baseline.percentile(0.5)),
            ms(baseline.percentile(0.99)),
        );
    }
}

fn print_startup(rows: &[StartupRow]) {
    if rows.is_empty() {
        return;
    }
    println!("\nStart-up, idle memory and rebuild\n");
    println!(
        "| store | log | start → ready (≤ 200 ms) | idle RSS (≤ 30 MiB) | rebuild (≥ 100,000 events/s) |"
    );
    println!("|---|---|---|---|---|");
    for row in rows {
        let (ready, rss) = match &row.startup {
            Ok(startup) => (
                format!("{:.0} ms", ms(startup.ready)),
                format!("{:.1} MiB", mib(startup.idle_rss)),
            ),
            Err(err) => (format!("failed: {err:#}"), String::new()),
        };
        let rebuild = match &row.rebuild {
            Ok(rate) => format!("{rate:.0} events/s ({} events)", row.rebuild_events),
            Err(err) => format!("failed: {err:#}"),
        };
        println!(
            "| {} | {} events | {ready} | {rss} | {rebuild} |",
            row.store, row.events
        );
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}
