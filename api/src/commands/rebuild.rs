//! `mobiniti-events rebuild`: recompute the projections from the log, with a progress bar,
//! with the derivation settings the store keeps.

use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::derivation::{self, Derivation};
use crate::store::Store;

pub async fn rebuild(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let settings = derivation::in_force(&config.derivation_given(), &store).await?;
    rebuild_with(&store, &settings.derivation).await?;
    // Finishes a `settings set` that stopped before its rebuild committed.
    settings
        .rebuilt(&store)
        .await
        .context("the projections were rebuilt, but the store still says they are owed a rebuild; run `mobiniti-events rebuild` again")?;
    Ok(())
}

/// Rebuilds every projection with `derivation`, and says how long it took.
pub(crate) async fn rebuild_with(store: &Store, derivation: &Derivation) -> anyhow::Result<()> {
    let normalizer = derivation.normalizer();
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
        "rebuilt the projections from {} events in {seconds:.2}s, with {derivation}",
        report.events
    );
    Ok(())
}
