//! `cargo bench --bench hostile -- [--connections 1000] [--subscribed 10] [--seconds 5]`: what
//! hostile clients cost the real binary in memory (RSS), each beside the idle RSS of the same
//! process measured in the same run, and how long a well-behaved client waited meanwhile.
//!
//! Each attack gets a fresh service (the release binary `cargo bench` built, on a temporary
//! SQLite file, 127.0.0.1:0), so that one attack's leftovers are not the next one's baseline:
//!
//! 1. `--connections` TCP connections that never send a byte;
//! 2. as many WebSocket connections that never send `connection_init`, with the default
//!    `--ws-max-pending-per-address` and with it raised (and `--ws-init-timeout` with it), to
//!    see the cap's refusals and then the per-connection cost it bounds;
//! 3. `--subscribed` acknowledged WebSocket connections, each starting as many large
//!    subscriptions (a 30 kB query, `--variables-bytes` of variables) as it is allowed, then
//!    never reading while webhooks arrive;
//! 4. clients sending 1 MB alias queries in a loop for `--seconds`, with the default limits and
//!    with `--graphql-max-query-bytes 2000000`;
//! 5. clients opening WebSocket connections with a wrong key in `connection_init` in a loop for
//!    `--seconds`, with the default `--auth-failure-limit` and with none.
//!
//! RSS is `VmRSS` of `/proc/PID/status`: idle (after one warm-up request of each kind), during
//! the attack (once held, or the peak of samples every 50 ms for a flood), and 1 s after the
//! attackers went away. The table printed at the end is Markdown, ready for BENCHMARKS.md.

#[path = "common/allocator.rs"]
mod allocator;
#[path = "hostile/attack.rs"]
mod attack;
#[path = "hostile/connections.rs"]
mod connections;
#[path = "hostile/floods.rs"]
mod floods;
#[path = "hostile/good.rs"]
mod good;
#[path = "hostile/report.rs"]
mod report;
#[allow(
    dead_code,
    reason = "shared with the subscriptions benchmark, which uses all of it"
)]
#[path = "subscriptions/service.rs"]
mod service;

use std::process::ExitCode;

use clap::Parser;

/// Measures the memory hostile clients cost mobiniti-events.
#[derive(Debug, Parser)]
pub struct Args {
    /// Connections held open by each of the first two attacks.
    #[arg(long, default_value_t = 1_000)]
    connections: usize,
    /// Acknowledged WebSocket connections that subscribe with large operations, then never read.
    #[arg(long, default_value_t = 10)]
    subscribed: usize,
    /// The variables of each of their operations, in bytes (a message may have 1 MiB).
    #[arg(long, default_value_t = 512 * 1024)]
    variables_bytes: usize,
    /// Seconds each flood lasts.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Clients flooding at once.
    #[arg(long, default_value_t = 8)]
    flooders: usize,
    /// Accepted so that `cargo bench -p mobiniti-events -- --store both` runs every benchmark:
    /// this one runs on SQLite only (the attacks cost the same store nothing).
    #[arg(long, hide = true)]
    store: Option<String>,
    /// Passed by `cargo bench` to every benchmark; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    rows.push(connections::idle_tcp(args.connections).await?);
    rows.push(connections::pending_ws(args.connections, false).await?);
    rows.push(connections::pending_ws(args.connections, true).await?);
    rows.push(connections::subscribed(args.subscribed, args.variables_bytes).await?);
    for raised in [false, true] {
        rows.push(floods::aliases(args.flooders, args.seconds, raised).await?);
    }
    for limited in [true, false] {
        rows.push(floods::bad_keys(args.flooders, args.seconds, limited).await?);
    }
    report::print_table(args, &rows);
    Ok(())
}
