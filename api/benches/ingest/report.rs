//! The tables the ingest benchmark prints, with each target beside its figure.

use std::time::Duration;

use crate::load::Outcome;
use crate::traffic::Traffic;
use crate::{IngestRow, StartupRow};

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn summary(outcome: &Outcome) -> String {
    let mut text = format!(
        "{:.0} webhooks/s, {:.0} recipients/s, p50 {:.2} ms, p99 {:.2} ms ({} answered 200",
        outcome.per_second(),
        outcome.recipients_per_second(),
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
fn target(traffic: Traffic, store: &str) -> (f64, Option<Duration>) {
    match (traffic, store) {
        (Traffic::Inbound, "SQLite") => (0.35, Some(Duration::from_millis(20))),
        _ => (0.25, None),
    }
}

pub fn print_ingest(seconds: u64, rows: &[IngestRow]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "\nIngest: {seconds} s per measurement; load average at the end: {}\n",
        load_average()
    );
    println!(
        "Baselines: the no-store handler for distinct inbound messages, the parse-only server for \
         the realistic mix.\n"
    );
    println!(
        "| traffic | store | connections | service: webhooks/s | recipients/s | p50 | p99 \
         | baseline: webhooks/s | p50 | p99 | ratio | target | met? |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let (service, baseline) = (&row.service, &row.baseline);
        let ratio = service.per_second() / baseline.per_second();
        let (target, met) = if service.connections == 32 {
            let (min, p99) = target(row.traffic, row.store);
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
        let recipients = match row.traffic {
            Traffic::Mix => format!("{:.0}", service.recipients_per_second()),
            Traffic::Inbound => String::new(),
        };
        println!(
            "| {} | {} | {} | {:.0}{failed} | {recipients} | {:.2} ms | {:.2} ms | {:.0} | {:.2} ms | {:.2} ms | {ratio:.2}× | {target} | {met} |",
            row.traffic.name(),
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

pub fn print_startup(rows: &[StartupRow]) {
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
