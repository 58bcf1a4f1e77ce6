//! The table printed at the end: one row per store and measurement, Markdown, ready for
//! BENCHMARKS.md. A measurement that failed keeps its row, with the reason, and with its
//! baseline when that was measured.

use crate::Args;
use crate::latency::{Latency, ms};
use crate::memory::mib;
use crate::replay::Rate;

/// The target of each measurement, as BENCHMARKS.md states it.
pub const MEMORY_TARGET_MIB: u64 = 512;
pub const LATENCY_TARGET_MS: f64 = 50.0;
pub const REPLAY_TARGET_PER_SECOND: f64 = 200_000.0;

/// A baseline, then the figure measured beside it; the outer error means the baseline failed.
pub type Measured<B, F> = anyhow::Result<(B, anyhow::Result<F>)>;

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    pub store: &'static str,
    pub measurement: String,
    pub target: String,
    pub baseline: String,
    /// The figure and whether it met the target, or why it was not measured.
    pub figure: Result<(String, bool), String>,
}

impl Row {
    fn new<B, F>(
        store: &'static str,
        measurement: String,
        target: String,
        measured: Measured<B, F>,
        baseline: impl Fn(&B) -> String,
        figure: impl Fn(&B, &F) -> (String, bool),
    ) -> Self {
        let (baseline, figure) = match measured {
            Ok((b, Ok(f))) => (baseline(&b), Ok(figure(&b, &f))),
            Ok((b, Err(err))) => (baseline(&b), Err(format!("{err:#}"))),
            Err(err) => ("–".to_owned(), Err(format!("{err:#}"))),
        };
        Self {
            store,
            measurement,
            target,
            baseline,
            figure,
        }
    }
}

/// The RSS idle (the baseline) and with `count` subscribers, in bytes.
pub fn memory(store: &'static str, count: usize, measured: Measured<u64, u64>) -> Row {
    Row::new(
        store,
        format!("server RSS, {} idle subscribers", grouped(count as f64)),
        format!("≤ {MEMORY_TARGET_MIB} MiB"),
        measured,
        |idle| format!("idle: {}", mib(*idle)),
        |idle, loaded| {
            let each = loaded.saturating_sub(*idle) as f64 / count.max(1) as f64;
            (
                format!("{} ({:.1} KiB per subscriber)", mib(*loaded), each / 1024.0),
                *loaded <= MEMORY_TARGET_MIB * 1024 * 1024,
            )
        },
    )
}

/// The latency with one subscriber (the baseline) and with `count`.
pub fn latency(store: &'static str, count: usize, measured: Measured<Latency, Latency>) -> Row {
    let spell = |l: &Latency| format!("p50 {} / p99 {} / max {}", ms(l.p50), ms(l.p99), ms(l.max));
    Row::new(
        store,
        format!("webhook 200 → event, {} subscribers", grouped(count as f64)),
        format!("p99 ≤ {LATENCY_TARGET_MS} ms"),
        measured,
        |single| format!("1 subscriber: {}", spell(single)),
        |_, many| {
            (
                format!(
                    "{} ({} of {} pairs early)",
                    spell(many),
                    grouped(many.early as f64),
                    grouped(many.pairs() as f64)
                ),
                many.p99.as_secs_f64() * 1000.0 <= LATENCY_TARGET_MS,
            )
        },
    )
}

/// The rate of HTTP pages (the baseline) and of the subscription's replay.
pub fn replay(store: &'static str, measured: Measured<Rate, Rate>) -> Row {
    Row::new(
        store,
        "catch-up replay, 1 subscriber".to_owned(),
        format!("≥ {} events/s", grouped(REPLAY_TARGET_PER_SECOND)),
        measured,
        |pages| {
            format!(
                "HTTP pages of 500: {} events/s ({:.2?})",
                grouped(pages.per_second()),
                pages.elapsed
            )
        },
        |_, replay| {
            (
                format!(
                    "{} events/s ({} in {:.2?})",
                    grouped(replay.per_second()),
                    grouped(replay.events as f64),
                    replay.elapsed
                ),
                replay.per_second() >= REPLAY_TARGET_PER_SECOND,
            )
        },
    )
}

/// The results as a Markdown table, with the run's settings and the load average.
pub fn print_table(args: &Args, flags: &[String], rows: &[Row]) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n{} idle subscribers; latency at {} webhooks/s for {} s; replay of {} events; \
         service flags: {}; load average at the end: {}\n",
        args.subscribers,
        args.rate,
        args.seconds,
        args.replay_events,
        if flags.is_empty() {
            "none".to_owned()
        } else {
            flags.join(" ")
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("| store | measurement | figure | baseline | target | met? |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let (figure, met) = match &row.figure {
            Ok((figure, met)) => (figure.clone(), if *met { "yes" } else { "**no**" }),
            Err(err) => (
                format!("FAILED: {}", err.replace('|', "/").replace('\n', " ")),
                "**failed**",
            ),
        };
        println!(
            "| {} | {} | {figure} | {} | {} | {met} |",
            row.store, row.measurement, row.baseline, row.target
        );
    }
}

/// A count rounded to a whole number, its thousands separated by commas: `200,000`.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
