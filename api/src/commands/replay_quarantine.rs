//! `mobiniti-events replay-quarantine`: read the quarantined deliveries again, with this
//! version's parser and the derivation settings the store keeps, with a progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::derivation;
use crate::domain::event::{self, NotReadable};
use crate::error::ErrorCode;
use crate::store::StillRefused;
use crate::webhooks::WebhookError;

pub async fn replay_quarantine(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let normalizer = derivation::in_force(&config.derivation_given(), &store)
        .await?
        .for_new_events()?
        .normalizer();
    // indicatif draws only on a terminal, so piped output stays clean.
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} replaying [{bar:40}] {pos}/{len} deliveries")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let read =
        |row: entity::quarantine::Model| match event::reread(&row.kind, &row.raw_body, &normalizer)
        {
            Ok(read) => Ok(read.into_event(row.id, row.received_at, row.raw_body)),
            Err(err @ NotReadable::UnknownKind(_)) => Err(StillRefused {
                error_code: ErrorCode::UnknownWebhook.snake(),
                error_message: err.to_string(),
            }),
            Err(NotReadable::Payload { kind, reason }) => {
                // Kept with the code and message the webhook would answer today.
                let refusal = WebhookError::unreadable(kind, reason);
                Err(StillRefused {
                    error_code: refusal.code().snake(),
                    error_message: refusal.to_string(),
                })
            }
        };
    let report = store
        .replay_quarantine(read, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "replayed the quarantine: {} stored as events, {} already in the log, {} still refused \
         (kept, with this version's error)",
        report.stored, report.duplicates, report.refused
    );
    Ok(())
}
