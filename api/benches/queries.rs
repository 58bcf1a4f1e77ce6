//! `cargo bench --bench queries -- [--store sqlite|postgres|both] [--seconds N]
//! [--concurrency 32,1] [--vary] [--queries a,b,c,d] [--no-postgraphile] [--no-answer-cache]
//! [--writes-per-second N] [--reuse]`: four dashboard queries under load on a store of 100,000
//! contacts and 1,000,000 messages, on SQLite and on PostgreSQL, and on the same PostgreSQL data
//! PostGraphile 4.14 as the baseline. BENCHMARKS.md holds a run and reads it.
//!
//! Per store: a fresh database (a temporary SQLite file, or a PostgreSQL database created on the
//! server of `BENCH_DATABASE_URL` or else `TEST_DATABASE_URL`, dropped at the end), the real
//! migrations, the data set of [`seed`], then the service started in-process on 127.0.0.1:0 as
//! the end-to-end tests start it, and each query checked once, warmed up for a second and
//! measured by [`load`]. On PostgreSQL, [`postgraphile`] is then measured the same way. The
//! table printed at the end is Markdown, ready for BENCHMARKS.md, which also lists the options.

// The modules live in `queries/`: a file directly in `benches/` would be a benchmark of its own.
#[path = "common/allocator.rs"]
mod allocator;
#[path = "queries/dashboard.rs"]
mod dashboard;
#[path = "queries/load.rs"]
mod load;
#[path = "queries/postgraphile.rs"]
mod postgraphile;
#[path = "common/postgres.rs"]
mod postgres;
#[path = "queries/report.rs"]
mod report;
#[path = "queries/requests.rs"]
mod requests;
#[path = "queries/reuse.rs"]
mod reuse;
#[path = "queries/seed.rs"]
mod seed;
#[path = "queries/writer.rs"]
mod writer;

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use dashboard::{DASHBOARD, Dashboard, Probe};
use load::Measurement;
use postgraphile::Postgraphile;
use report::Row;
use seed::{Dialect, Size};
use writer::Writer;

/// Measures three dashboard queries of mobiniti-events under load, against PostGraphile.
#[derive(Debug, Parser)]
struct Args {
    /// The stores to measure; PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// Seconds of load per query, after a one-second warm-up.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients, each sending its next request when its last one is answered; a
    /// list measures each query at each level in turn.
    #[arg(long, value_delimiter = ',', default_values_t = [32, 1])]
    concurrency: Vec<usize>,
    /// Every request of (a), (b) and (c) starts after another of their first 200 pages
    /// (`$after`, a cursor of the server's own); without it they all read the first page. The
    /// contact page (d) asks for a different contact on every request either way.
    #[arg(long)]
    vary: bool,
    /// The queries to measure, by letter: `a,b,c,d` (all, the default) or a part of them.
    #[arg(long, value_delimiter = ',', default_values_t = ['a', 'b', 'c', 'd'])]
    queries: Vec<char>,
    /// Measure mobiniti-events only.
    #[arg(long)]
    no_postgraphile: bool,
    /// Contacts in the data set.
    #[arg(long, default_value_t = 100_000)]
    contacts: i64,
    /// Messages in the data set (half inbound, half outbound with one delivery status each).
    #[arg(long, default_value_t = 1_000_000)]
    messages: i64,
    /// Run mobiniti-events without its answer cache (`--graphql-cache-mib 0`).
    #[arg(long)]
    no_answer_cache: bool,
    /// Inbound webhooks posted per second to mobiniti-events while its queries run; each one
    /// invalidates the kept answers.
    #[arg(long, default_value_t = 0.0)]
    writes_per_second: f64,
    /// Keep the seeded databases, to look at query plans, rather than delete them.
    #[arg(long)]
    keep: bool,
    /// Keep the seeded data between runs, named by its size, and use it again rather than
    /// seed: a SQLite file in the temporary folder, a PostgreSQL database on the admin server.
    #[arg(long)]
    reuse: bool,
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

const WARM_UP: Duration = Duration::from_secs(1);
const TOKEN: &str = "bench-token-0123456789abcdef";

/// A query measured on one server at each concurrency, with the rows its first answer named.
#[derive(Debug)]
struct Outcome {
    measurements: Vec<Measurement>,
    keys: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let size = Size {
        contacts: args.contacts,
        messages: args.messages,
    };
    let postgres = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    let mut rows = Vec::new();
    if matches!(args.store, StoreChoice::Sqlite | StoreChoice::Both) {
        rows.extend(bench_sqlite(&args, size).await?);
    }
    if matches!(args.store, StoreChoice::Postgres | StoreChoice::Both) {
        match &postgres {
            Some(admin) => rows.extend(bench_postgres(&args, size, admin).await?),
            None if args.store == StoreChoice::Both => {
                println!("PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
            }
            None => bail!("--store postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL"),
        }
    }
    print_table(&args, size, &rows);
    Ok(())
}

async fn bench_sqlite(args: &Args, size: Size) -> anyhow::Result<Vec<Row>> {
    if args.reuse {
        let url = format!("sqlite://{}?mode=rwc", reuse::sqlite_path(size).display());
        println!("== SQLite at {url} (kept for --reuse)");
        prepare(&url, Dialect::Sqlite, args, size).await?;
        return Ok(rows(
            args,
            "SQLite",
            bench_ours(&url, args, size).await?,
            None,
        ));
    }
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    println!("== SQLite at {url}");
    prepare(&url, Dialect::Sqlite, args, size).await?;
    let ours = bench_ours(&url, args, size).await;
    if args.keep {
        println!("kept {}", dir.keep().join("bench.db").display());
    }
    Ok(rows(args, "SQLite", ours?, None))
}

/// Creates a database on the server of `admin`, measures on it, and drops it, also on error.
async fn bench_postgres(args: &Args, size: Size, admin: &str) -> anyhow::Result<Vec<Row>> {
    if args.reuse {
        let (name, url) = reuse::postgres_database(admin, size).await?;
        println!("== PostgreSQL database {name} ({url}, kept for --reuse)");
        return bench_postgres_on(url.as_str(), args, size).await;
    }
    let (name, url) = postgres::new_database(admin)?;
    println!("== PostgreSQL database {name} ({url})");
    postgres::create(admin, &name).await?;
    let result = bench_postgres_on(url.as_str(), args, size).await;
    if args.keep {
        println!("kept database {url}");
        return result;
    }
    postgres::drop(admin, &name).await;
    result
}

async fn bench_postgres_on(url: &str, args: &Args, size: Size) -> anyhow::Result<Vec<Row>> {
    prepare(url, Dialect::Postgres, args, size).await?;
    let ours = bench_ours(url, args, size).await?;
    if args.no_postgraphile {
        return Ok(rows(args, "PostgreSQL", ours, None));
    }
    postgraphile::install().await?;
    let server = Postgraphile::start(url).await?;
    let theirs = measure_all(&server.url, |d| &d.postgraphile, args, size, "PostGraphile").await;
    server.stop().await;
    let theirs = theirs?;
    for ((dashboard, ours), theirs) in selected(args).zip(&ours).zip(&theirs) {
        ensure!(
            ours.keys == theirs.keys,
            "{}: PostGraphile answered other rows than mobiniti-events:\n{:?}\n{:?}",
            dashboard.name,
            ours.keys,
            theirs.keys
        );
    }
    Ok(rows(args, "PostgreSQL", ours, Some(theirs)))
}

/// Applies the migrations as the service does, then seeds.
async fn prepare(url: &str, dialect: Dialect, args: &Args, size: Size) -> anyhow::Result<()> {
    let config = service_config(url, args)?;
    let store = api::open_store(&config)
        .await
        .context("migrating the store")?;
    drop(store);
    if args.reuse && reuse::seeded(url, size).await? {
        println!("reusing the seeded data");
        return Ok(());
    }
    println!(
        "seeding {} contacts, {} messages",
        size.contacts, size.messages
    );
    seed::seed(url, dialect, size).await
}

/// The service's configuration, from the flags its binary would get; anything not given here
/// comes from the environment (`STORE_MAX_CONNECTIONS`, say) or the defaults, as in production.
fn service_config(url: &str, args: &Args) -> anyhow::Result<api::config::Config> {
    let mut flags = vec![
        "--database-url",
        url,
        "--webhook-token",
        TOKEN,
        "--listen",
        "127.0.0.1:0",
    ];
    if args.no_answer_cache {
        flags.extend(["--graphql-cache-mib", "0"]);
    }
    let cli = api::cli::Cli::try_parse_from(std::iter::once("mobiniti-events").chain(flags))
        .context("the service's flags")?;
    Ok(cli.config)
}

/// Starts the service in-process on 127.0.0.1:0, measures the queries, and stops it.
async fn bench_ours(url: &str, args: &Args, size: Size) -> anyhow::Result<Vec<Outcome>> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding a port")?;
    let address = listener.local_addr().context("reading the port")?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let server = tokio::spawn(api::run(service_config(url, args)?, listener, async move {
        let _ = signal.await;
    }));
    let result = async {
        wait_until_healthy(&format!("http://{address}/healthz"), &server).await?;
        let graphql = format!("http://{address}/graphql");
        if args.writes_per_second <= 0.0 {
            return measure_all(&graphql, |d| &d.ours, args, size, "mobiniti-events").await;
        }
        let base = format!("http://{address}");
        let writer = Writer::start(&base, TOKEN, args.writes_per_second, size.contacts)?;
        let outcomes = measure_all(&graphql, |d| &d.ours, args, size, "mobiniti-events").await;
        let (stored, failed) = writer.stop().await;
        println!("  {stored} webhooks stored during the queries, {failed} failed");
        ensure!(failed == 0, "{failed} webhooks failed during the queries");
        outcomes
    }
    .await;
    let _ = shutdown.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(err))) => eprintln!("the service stopped with an error: {err:#}"),
        Ok(Err(err)) => eprintln!("the service panicked: {err}"),
        Err(_) => eprintln!("the service did not stop within 10 s"),
    }
    result
}

async fn wait_until_healthy(
    url: &str,
    server: &tokio::task::JoinHandle<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        ensure!(!server.is_finished(), "the service stopped during start-up");
        let healthy = client
            .get(url)
            .timeout(Duration::from_millis(500))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success());
        if healthy {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the service did not become healthy within 10 s")
}

/// Checks each query's first answer, then, at each concurrency, warms it up and measures it.
async fn measure_all(
    url: &str,
    probe_of: fn(&Dashboard) -> &Probe,
    args: &Args,
    size: Size,
    server: &str,
) -> anyhow::Result<Vec<Outcome>> {
    let most = args.concurrency.iter().copied().max().unwrap_or(1);
    let client = load::client(most)?;
    let load_time = Duration::from_secs(args.seconds);
    let mut outcomes = Vec::new();
    for dashboard in selected(args) {
        let probe = probe_of(dashboard);
        let first = load::request_with(probe.query, &requests::first_variables(dashboard, size));
        let data = load::answer(&client, url, &first).await?;
        let keys = dashboard::check(dashboard, probe, &data, size.contacts)
            .with_context(|| format!("{} on {server}: unexpected answer {data}", dashboard.name))?;
        let bodies = requests::bodies(&client, url, dashboard, probe, args.vary, size)
            .await
            .with_context(|| format!("{} on {server}: paging", dashboard.name))?;
        let mut measurements = Vec::new();
        for &clients in &args.concurrency {
            load::measure(&client, url, &bodies, clients, WARM_UP).await?;
            let measurement = load::measure(&client, url, &bodies, clients, load_time)
                .await
                .with_context(|| format!("{} on {server}", dashboard.name))?;
            println!(
                "  {server} {}, {clients} clients: {measurement}",
                dashboard.name
            );
            measurements.push(measurement);
        }
        outcomes.push(Outcome { measurements, keys });
    }
    Ok(outcomes)
}

/// The queries `--queries` names, in their order.
fn selected(args: &Args) -> impl Iterator<Item = &'static Dashboard> + '_ {
    DASHBOARD
        .iter()
        .filter(|dashboard| args.queries.contains(&dashboard.letter()))
}

fn rows(
    args: &Args,
    store: &'static str,
    ours: Vec<Outcome>,
    theirs: Option<Vec<Outcome>>,
) -> Vec<Row> {
    let mut theirs = theirs.map(Vec::into_iter);
    let mut rows = Vec::new();
    for (dashboard, ours) in selected(args).zip(ours) {
        let theirs = theirs.as_mut().and_then(Iterator::next);
        for (at, &clients) in args.concurrency.iter().enumerate() {
            rows.push(Row {
                store,
                query: dashboard.name,
                clients,
                ours: ours.measurements[at],
                theirs: theirs.as_ref().map(|outcome| outcome.measurements[at]),
            });
        }
    }
    rows
}

/// The results: what was measured, then the table.
fn print_table(args: &Args, size: Size, rows: &[Row]) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n{} contacts, {} messages; {} s per query and concurrency after a 1 s warm-up; \
         requests {}; answer cache {}; {} webhooks/s during our queries; load average at the \
         end: {}\n",
        size.contacts,
        size.messages,
        args.seconds,
        if args.vary {
            "varied (pages in turn, a new contact each)"
        } else {
            "the same (a new contact each for (d))"
        },
        if args.no_answer_cache { "off" } else { "on" },
        args.writes_per_second,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    report::print(rows);
}
