//! `cargo bench --bench ingest -- [--store sqlite|postgres|both] [--traffic inbound,mix]
//! [--connections 1,32,256] [--seconds 5] [--log-events 1000000] [--only ingest,startup]`:
//! webhook ingest against the real binary, beside a baseline measured in the same run.
//!
//! 1. Ingest: distinct inbound messages and realistic mixed Mobiniti traffic ([`traffic`]) over
//!    1, 32 and 256 keep-alive connections for a few seconds each ([`load`]), to the service on
//!    a fresh store and to a baseline that stores nothing ([`baseline`]): for inbound messages
//!    an axum handler that only reads the body, for the mix one that parses and validates it as
//!    the service does. Webhooks per second, recipients written per second, p50 and p99, and the
//!    ratio of the two.
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
#[path = "ingest/report.rs"]
mod report;
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

use load::{Load, Outcome};
use service::Service;
use startup::Startup;
use stores::Fresh;
use traffic::Traffic;

/// Measures mobiniti-events' webhook ingest against a no-store baseline, and its start-up.
#[derive(Debug, Parser)]
struct Args {
    /// The stores to measure; PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// The streams to send, one measurement each: distinct inbound messages, the realistic mix.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Traffic::Inbound, Traffic::Mix])]
    traffic: Vec<Traffic>,
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
    traffic: Traffic,
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
    report::print_ingest(args.seconds, &ingest);
    report::print_startup(&starts);
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
    let levels = args
        .traffic
        .iter()
        .flat_map(|&traffic| args.connections.iter().map(move |&c| (traffic, c)));
    let mut rows = Vec::new();
    let mut failure = None;
    for (level, (traffic, connections)) in levels.enumerate() {
        let start = (level as u64 + 1) * RANGE;
        let load = Load {
            traffic,
            connections,
            duration,
        };
        let against = match traffic {
            Traffic::Inbound => format!("{}{}", baseline.base, baseline::NO_STORE),
            Traffic::Mix => baseline.base.clone(),
        };
        let measured = async {
            let next = Arc::new(AtomicU64::new(start));
            let base = load::drive(&against, TOKEN, &load, &next).await?;
            let name = traffic.name();
            println!(
                "  {name}, baseline, {connections} connections: {}",
                report::summary(&base)
            );
            let next = Arc::new(AtomicU64::new(start));
            let served = load::drive(&service.base, TOKEN, &load, &next).await?;
            println!(
                "  {name}, service,  {connections} connections: {}",
                report::summary(&served)
            );
            anyhow::Ok((base, served))
        }
        .await;
        match measured {
            Ok((baseline, service)) => rows.push(IngestRow {
                store,
                traffic,
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
            report::mib(startup.idle_rss)
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
