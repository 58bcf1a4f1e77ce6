//! `mobiniti-events settings`: show the derivation settings the store keeps; `settings set`:
//! change them on purpose, rebuilding the projections with them in the same run.

use anyhow::Context;

use crate::config::Config;
use crate::derivation::{self, DEFAULT_REGION};

/// Prints the settings the store keeps, and whether a rebuild with them is owed.
pub async fn show_settings(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    match derivation::kept(&store).await? {
        Some((settings, pending)) => {
            println!("derives with {settings}");
            if pending {
                println!(
                    "the projections are owed a rebuild with them: run `mobiniti-events rebuild`"
                );
            }
        }
        None => println!(
            "none kept yet: the first `serve`, `rebuild` or `replay-quarantine` keeps those it \
             is given (default: default region {}, no keywords)",
            DEFAULT_REGION.as_ref()
        ),
    }
    Ok(())
}

/// Keeps `--default-region` and `--keywords`, those given, as the store's, then rebuilds the
/// projections with them.
pub async fn change_settings(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let Some(change) = derivation::change(&config.derivation_given(), &store).await? else {
        let settings = derivation::kept(&store)
            .await?
            .map(|(settings, _)| settings);
        if let Some(settings) = settings {
            println!("the store already derives with {settings}; nothing to change");
        }
        return Ok(());
    };
    match &change.previous {
        Some(previous) => println!(
            "changed the store's settings from {previous} to {}",
            change.next.derivation
        ),
        None => println!("kept {} as the store's settings", change.next.derivation),
    }
    super::rebuild::rebuild_with(&store, &change.next.derivation)
        .await
        .context(
            "the new settings are kept, but the projections were not rebuilt with them; \
             `serve` refuses to start until `mobiniti-events rebuild` does",
        )?;
    change.next.rebuilt(&store).await.context(
        "the projections were rebuilt, but the store still says they are owed a rebuild; \
         run `mobiniti-events rebuild`",
    )?;
    println!(
        "a service left running on this store still derives with the settings it started with: \
         restart it, then run `mobiniti-events rebuild` if it received webhooks meanwhile"
    );
    Ok(())
}
