//! `cargo bench --bench subscriptions -- [--store sqlite|postgres|both] [--subscribers 10000]
//! [--live-subscribers 1000] [--rate 100] [--seconds 10] [--replay-events 200000]
//! [--only memory,latency,replay] [--keep]`: the GraphQL
//! subscriptions over WebSocket (`graphql-transport-ws`) against the real binary, each figure
//! beside a baseline measured in the same run:
//!
//! 1. the service's RSS with 10,000 idle subscribers, against its RSS idle;
//! 2. the latency from a webhook's 200 to the event at each of 1,000 live subscribers, against
//!    the same with one subscriber;
//! 3. the rate at which one subscriber replays 200,000 events from position 0, against one
//!    client reading them with paginated GraphQL queries over HTTP.
//!
//! Per store: a fresh database (a temporary SQLite file, or a PostgreSQL database created on the
//! server of `BENCH_DATABASE_URL` or else `TEST_DATABASE_URL`, dropped at the end), migrated by
//! `mobiniti-events migrate`, its log seeded in SQL ([`seed`]), then for each measurement the
//! binary `cargo bench` built started as a child process on 127.0.0.1:0 ([`service`]) and
//! stopped with SIGTERM. The table printed at the end is Markdown, ready for BENCHMARKS.md; a
//! measurement that failed is in it with its reason, and the run then exits non-zero.

// The modules live in `subscriptions/`: a file directly in `benches/` would be a benchmark.
#[path = "common/allocator.rs"]
mod allocator;
#[path = "subscriptions/client.rs"]
mod client;
#[path = "subscriptions/latency.rs"]
mod latency;
#[path = "subscriptions/memory.rs"]
mod memory;
#[path = "common/postgres.rs"]
mod postgres;
#[path = "subscriptions/replay.rs"]
mod replay;
#[path = "subscriptions/report.rs"]
mod report;
#[path = "subscriptions/seed.rs"]
mod seed;
#[path = "subscriptions/service.rs"]
mod service;
#[path = "subscriptions/webhooks.rs"]
mod webhooks;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use report::Row;
use seed::Dialect;
use service::Service;
use webhooks::Poster;

/// Measures mobiniti-events' GraphQL subscriptions: memory, live latency, catch-up rate.
#[derive(Debug, Parser)]
struct Args {
    /// The stores to measure; PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// Idle subscribers (one connection each) whose memory is measured.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Live subscribers whose latency is measured.
    #[arg(long, default_value_t = 1_000)]
    live_subscribers: usize,
    /// Webhooks posted per second during the latency measurement.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of webhooks in each latency measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Events in the log that one subscriber replays from position 0.
    #[arg(long, default_value_t = 200_000)]
    replay_events: i64,
    /// The measurements to run, comma-separated; all three by default.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Measure::Memory, Measure::Latency, Measure::Replay])]
    only: Vec<Measure>,
    /// Keep the databases, to look at them, rather than delete them.
    #[arg(long)]
    keep: bool,
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
    Memory,
    Latency,
    Replay,
}

const TOKEN: &str = "bench-token-0123456789abcdef";
/// The most seeding may take.
const SEED_TIMEOUT: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // The cause chain, once, without the backtrace `RUST_BACKTRACE` would add to a returned error.
    match run(&args).await {
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
    let flags = service_flags().await?;
    let mut rows = Vec::new();
    if matches!(args.store, StoreChoice::Sqlite | StoreChoice::Both) {
        rows.extend(bench_sqlite(args, &flags).await?);
    }
    if matches!(args.store, StoreChoice::Postgres | StoreChoice::Both) {
        match &postgres {
            Some(admin) => rows.extend(bench_postgres(args, &flags, admin).await?),
            None if args.store == StoreChoice::Both => {
                println!("PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
            }
            None => bail!("--store postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL"),
        }
    }
    report::print_table(args, &flags, &rows);
    let failed = rows.iter().filter(|row| row.figure.is_err()).count();
    if failed > 0 {
        bail!("{failed} measurements failed; see the table");
    }
    Ok(())
}

/// Flags for every start of the service: room for all the benchmark's connections, where the
/// binary has the flag.
async fn service_flags() -> anyhow::Result<Vec<String>> {
    if service::knows_flag("--ws-max-connections").await? {
        return Ok(vec!["--ws-max-connections".to_owned(), "20000".to_owned()]);
    }
    println!("this mobiniti-events has no --ws-max-connections; started without it");
    Ok(Vec::new())
}

async fn bench_sqlite(args: &Args, flags: &[String]) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    println!("== SQLite at {url}");
    let rows = bench_store("SQLite", &url, Dialect::Sqlite, args, flags).await;
    if args.keep {
        println!("kept {}", dir.keep().join("bench.db").display());
    }
    rows
}

/// Creates a database on the server of `admin`, measures on it, and drops it, also on error.
async fn bench_postgres(args: &Args, flags: &[String], admin: &str) -> anyhow::Result<Vec<Row>> {
    let (name, url) = postgres::new_database(admin)?;
    println!("== PostgreSQL database {name} ({url})");
    postgres::create(admin, &name).await?;
    let rows = bench_store("PostgreSQL", url.as_str(), Dialect::Postgres, args, flags).await;
    if args.keep {
        println!("kept database {url}");
        return rows;
    }
    postgres::drop(admin, &name).await;
    rows
}

/// Migrates the store at `url` (and seeds its log for the replay), then runs the measurements,
/// each on a service of its own so none inherits another's memory or connections.
async fn bench_store(
    store: &'static str,
    url: &str,
    dialect: Dialect,
    args: &Args,
    flags: &[String],
) -> anyhow::Result<Vec<Row>> {
    service::migrate(url).await?;
    // Webhooks are numbered across the run, so each is a new event.
    let mut next = 1_u64;
    // Run first, on the freshly seeded log; listed last, as the measurements are numbered.
    let mut replay_row = None;
    let mut rows = Vec::new();
    if args.only.contains(&Measure::Replay) {
        println!("  seeding {} events", args.replay_events);
        tokio::time::timeout(SEED_TIMEOUT, seed::seed(url, dialect, args.replay_events))
            .await
            .context("seeding took over 10 minutes")??;
        println!("  catch-up replay of {} events", args.replay_events);
        let replay = with_service(url, flags, async |service| {
            let pages = replay::paginate(&service.base, args.replay_events).await?;
            println!("    HTTP pages of 500: {pages}");
            let replay = replay::replay(&service.ws, args.replay_events).await;
            if let Ok(replay) = &replay {
                println!("    subscription: {replay}");
            }
            Ok((pages, replay))
        })
        .await;
        report_error(&replay);
        replay_row = Some(report::replay(store, replay));
    }
    if args.only.contains(&Measure::Memory) {
        println!("  memory with {} idle subscribers", args.subscribers);
        let memory = with_service(url, flags, async |service| {
            let poster = Poster::new(&service.base, TOKEN)?;
            let idle = memory::idle(service).await?;
            let loaded = memory::measure(service, &poster, args.subscribers, &mut next).await;
            Ok((idle, loaded))
        })
        .await;
        report_error(&memory);
        rows.push(report::memory(store, args.subscribers, memory));
    }
    if args.only.contains(&Measure::Latency) {
        println!("  latency, 1 subscriber then {}", args.live_subscribers);
        let latency = with_service(url, flags, async |service| {
            let poster = Poster::new(&service.base, TOKEN)?;
            let (rate, seconds) = (args.rate, args.seconds);
            let single = latency::measure(service, &poster, 1, rate, seconds, &mut next).await?;
            println!("    1 subscriber: {single}");
            let many = latency::measure(
                service,
                &poster,
                args.live_subscribers,
                rate,
                seconds,
                &mut next,
            )
            .await;
            if let Ok(many) = &many {
                println!("    {} subscribers: {many}", args.live_subscribers);
            }
            Ok((single, many))
        })
        .await;
        report_error(&latency);
        rows.push(report::latency(store, args.live_subscribers, latency));
    }
    rows.extend(replay_row);
    Ok(rows)
}

/// Starts the service on `url`, runs `measure` on it, and stops it, whatever `measure` did.
async fn with_service<T>(
    url: &str,
    flags: &[String],
    measure: impl AsyncFnOnce(&mut Service) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut service = Service::start(url, TOKEN, flags).await?;
    let result = measure(&mut service).await;
    service.stop().await;
    result
}

/// Says at once why a measurement or its baseline failed; the table repeats it.
fn report_error<B, F>(measured: &report::Measured<B, F>) {
    let err = match measured {
        Ok((_, Err(err))) | Err(err) => err,
        Ok((_, Ok(_))) => return,
    };
    eprintln!("  FAILED: {err:#}");
}
