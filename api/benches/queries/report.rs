//! The benchmark's table, in Markdown, ready for BENCHMARKS.md: one line per store, query and
//! concurrency, ours beside PostGraphile's when it was measured.

use crate::load::{Measurement, ms};

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    pub store: &'static str,
    pub query: &'static str,
    pub clients: usize,
    pub ours: Measurement,
    pub theirs: Option<Measurement>,
}

pub fn print(rows: &[Row]) {
    println!(
        "| store | query | clients | ours req/s | p50 | p99 | max | PostGraphile req/s | p50 | p99 | max | ratio |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for row in rows {
        let ours = &row.ours;
        let theirs = row.theirs.as_ref().map_or_else(
            || "– | – | – | – | –".to_owned(),
            |t| {
                format!(
                    "{:.0} | {} | {} | {} | {:.1}×",
                    t.per_second(),
                    ms(t.p50),
                    ms(t.p99),
                    ms(t.max),
                    ours.per_second() / t.per_second()
                )
            },
        );
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {theirs} |",
            row.store,
            row.query,
            row.clients,
            ours.per_second(),
            ms(ours.p50),
            ms(ours.p99),
            ms(ours.max)
        );
    }
}
