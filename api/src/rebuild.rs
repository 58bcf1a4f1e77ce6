//! `mobiniti-events rebuild`: recompute the projections from the log, with a progress bar.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

pub async fn rebuild(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let normalizer = config.normalizer();
    // indicatif draws only on a terminal, so piped output stays clean.
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "{spinner} rebuilding [{bar:40}] {pos}/{len} events ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let report = store
        .rebuild(&normalizer, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "rebuilt the projections from {} events in {seconds:.2}s",
        report.events
    );
    Ok(())
}
