//! One row per attack, and the Markdown table they make.

use crate::Args;
use crate::good::Served;

/// What one attack cost.
#[derive(Debug)]
pub struct Row {
    pub attack: String,
    /// How the service answered the attackers.
    pub outcome: String,
    /// Attackers the memory is divided among: connections held, or requests in flight at once.
    pub attackers: usize,
    pub idle: u64,
    /// Once the attack was held (connections), or its peak (floods).
    pub during: u64,
    /// 1 s after the attackers went away.
    pub after: u64,
    /// File descriptors the service held during the attack.
    pub fds: usize,
    pub good: Served,
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / f64::from(1 << 20))
}

pub fn print_table(args: &Args, rows: &[Row]) {
    println!();
    println!(
        "Hostile clients, SQLite, release binary on 127.0.0.1; {} connections, {} subscribed, \
         {} B of variables per operation, {} s floods by {} clients",
        args.connections, args.subscribed, args.variables_bytes, args.seconds, args.flooders
    );
    println!();
    println!(
        "| attack | how the service answered | RSS idle (MiB) | during | after | per attacker \
         (KiB) | fds during | well-behaved client: answered, worst |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let grown = row.during.saturating_sub(row.idle);
        let per = grown as f64 / 1024.0 / row.attackers.max(1) as f64;
        let good = &row.good;
        let failures = match good.failures {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        println!(
            "| {} | {} | {} | {} | {} | {per:.1} | {} | {}, {} ms{failures} |",
            row.attack,
            row.outcome,
            mib(row.idle),
            mib(row.during),
            mib(row.after),
            row.fds,
            good.answered,
            good.worst.as_millis(),
        );
    }
}
