//! The settings that decide what is derived from the log: `--default-region` (how a phone
//! number without a country code is read) and `--keywords` (which inbound texts are
//! `KEYWORD`s). They travel with the store, because projections are right only when every event
//! in them was derived with the same ones: a `rebuild` started without `DEFAULT_REGION=GB` must
//! not turn the `+44…` contacts `serve` derived into `+1…` ones.
//!
//! - The first process that derives from the log (`serve`, `rebuild`, `replay-quarantine`,
//!   `settings set`) keeps the values it was given, and the defaults for those it was not.
//!   Insert-if-absent then read back, as for the webhook token, so replicas started together
//!   agree.
//! - Later ones use the stored values. One given a value that differs refuses to start, naming
//!   both and the command that changes them on purpose: deriving new events one way onto
//!   projections derived the other would mix them silently.
//! - `settings set` keeps new values and rebuilds the projections with them. The new values
//!   and a mark that a rebuild is owed are written in one transaction, and only a rebuild with
//!   those values removes the mark; until then `serve` and `replay-quarantine` refuse to start.
//!   A change that stops half-way (Ctrl-C during the rebuild) is so finished by `rebuild`,
//!   never left with tables and settings that disagree.
//!
//! `migrate` derives nothing, so it neither keeps nor checks them.

use std::collections::BTreeSet;
use std::fmt;

use phonenumber::country::Id;
use serde::Deserialize;

use crate::domain::category::Keywords;
use crate::domain::payload::Normalizer;
use crate::domain::phone::PhoneNormalizer;
use crate::store::{Store, StoreError};

/// The region of a store that was given none.
pub const DEFAULT_REGION: Id = Id::US;

/// What the projections of one store are derived with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
// A field this version does not know was kept by a newer one, which derives with it.
#[serde(deny_unknown_fields)]
pub struct Derivation {
    pub default_region: Id,
    /// Folded as [`Keywords`] compares them (upper case, no white space), sorted, no repeats.
    pub keywords: Vec<String>,
}

/// The derivation settings given on the command line or in the environment (`--default-region`,
/// `--keywords`); `None` for those not given, which the store's then decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    pub default_region: Option<phonenumber::country::Id>,
    pub keywords: Option<Vec<String>>,
}

impl Derivation {
    pub fn new(default_region: Id, keywords: &[String]) -> Self {
        Self {
            default_region,
            keywords: fold_keywords(keywords),
        }
    }

    /// The values given, the defaults for those not given: what the first process
    /// on a store keeps.
    pub fn given_or_default(given: &Given) -> Self {
        Self::new(
            given.default_region.unwrap_or(DEFAULT_REGION),
            given.keywords.as_deref().unwrap_or_default(),
        )
    }

    pub fn normalizer(&self) -> Normalizer {
        Normalizer {
            phones: PhoneNormalizer::new(self.default_region),
            keywords: Keywords::new(&self.keywords),
        }
    }

    /// As kept in the store: JSON, built by hand as nothing in it can fail to encode.
    fn encode(&self) -> String {
        let keywords = self
            .keywords
            .iter()
            .cloned()
            .map(serde_json::Value::String)
            .collect();
        serde_json::Value::Object(serde_json::Map::from_iter([
            (
                "default_region".to_owned(),
                serde_json::Value::String(self.default_region.as_ref().to_owned()),
            ),
            ("keywords".to_owned(), serde_json::Value::Array(keywords)),
        ]))
        .to_string()
    }

    fn decode(stored: &str) -> Result<Self, DerivationError> {
        serde_json::from_str(stored).map_err(|source| DerivationError::Unreadable {
            stored: stored.to_owned(),
            source,
        })
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "default region {}, keywords {}",
            self.default_region.as_ref(),
            keyword_list(&self.keywords)
        )
    }
}

/// The keywords as `--keywords` takes them, or `none`.
fn keyword_list(keywords: &[String]) -> String {
    if keywords.is_empty() {
        "none".to_owned()
    } else {
        keywords.join(",")
    }
}

fn fold_keywords(keywords: &[String]) -> Vec<String> {
    keywords
        .iter()
        .map(|keyword| {
            keyword
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_uppercase)
                .collect::<String>()
        })
        .filter(|keyword| !keyword.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A value given that differs from the store's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The flag, with its environment variable.
    pub setting: &'static str,
    pub given: String,
    pub stored: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DerivationError {
    /// Values given differ from the store's; `change` is the command that makes them the
    /// store's.
    #[error(
        "{}; this store's projections are derived with the stored values. Leave out {} to use \
         the store's, or change the store's on purpose, which rebuilds the projections with the \
         new values: {change}",
        describe(differences),
        differences.iter().map(|d| d.setting).collect::<Vec<_>>().join(" and ")
    )]
    Disagrees {
        differences: Vec<Difference>,
        change: String,
    },
    #[error(
        "the store's derivation settings were changed to {settings} by `mobiniti-events \
         settings set`, which did not finish rebuilding the projections with them: run \
         `mobiniti-events rebuild` to finish it"
    )]
    RebuildPending { settings: Derivation },
    #[error(
        "the derivation settings kept in the store ({stored}) cannot be read by this version \
         ({source}); if a newer version kept them, run that one, or replace them with \
         `mobiniti-events settings set --default-region REGION --keywords LIST`"
    )]
    Unreadable {
        stored: String,
        source: serde_json::Error,
    },
    #[error(
        "say what to change: `mobiniti-events settings set --default-region GB`, \
         `--keywords JOIN,START`, or both (`--keywords ''` for none)"
    )]
    NothingToChange,
    #[error("reading or keeping the derivation settings in the store")]
    Store(#[from] StoreError),
}

fn describe(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(|d| {
            format!(
                "{} is {}, but the store's is {}",
                d.setting, d.given, d.stored
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The settings a process derives with, as the store keeps them.
#[derive(Debug, Clone)]
pub struct InForce {
    pub derivation: Derivation,
    /// As stored, to clear the rebuild owed for exactly these.
    stored: String,
    rebuild_pending: bool,
}

/// The store's derivation settings (keeping those given, or the defaults, if it has none
/// yet), refused when a value given differs from them.
pub async fn in_force(given: &Given, store: &Store) -> Result<InForce, DerivationError> {
    let candidate = Derivation::given_or_default(given);
    let (stored, created) = store.derivation_or_insert(&candidate.encode()).await?;
    let derivation = Derivation::decode(&stored)?;
    let differences = differences(given, &derivation);
    if !differences.is_empty() {
        return Err(DerivationError::Disagrees {
            change: change_command(given),
            differences,
        });
    }
    let rebuild_pending = store.derivation_rebuild_pending().await?.is_some();
    if created {
        tracing::info!(settings = %derivation, "derivation settings kept in the store, for every later process");
    } else {
        tracing::info!(settings = %derivation, "deriving with the settings kept in the store");
    }
    Ok(InForce {
        derivation,
        stored,
        rebuild_pending,
    })
}

impl InForce {
    /// The settings, for a process that adds to the projections (`serve`,
    /// `replay-quarantine`): none while a rebuild with them is owed, as the projections may
    /// still be derived with others.
    pub fn for_new_events(self) -> Result<Derivation, DerivationError> {
        if self.rebuild_pending {
            return Err(DerivationError::RebuildPending {
                settings: self.derivation,
            });
        }
        Ok(self.derivation)
    }

    /// Settles a rebuild owed for these settings, once one with them has committed.
    pub async fn rebuilt(&self, store: &Store) -> Result<(), StoreError> {
        store.derivation_rebuilt(&self.stored).await
    }
}

/// The values given that differ from `stored`.
fn differences(given: &Given, stored: &Derivation) -> Vec<Difference> {
    let mut differences = Vec::new();
    if let Some(region) = given.default_region
        && region != stored.default_region
    {
        differences.push(Difference {
            setting: "--default-region (DEFAULT_REGION)",
            given: region.as_ref().to_owned(),
            stored: stored.default_region.as_ref().to_owned(),
        });
    }
    if let Some(keywords) = &given.keywords {
        let given = fold_keywords(keywords);
        if given != stored.keywords {
            differences.push(Difference {
                setting: "--keywords (KEYWORDS)",
                given: keyword_list(&given),
                stored: keyword_list(&stored.keywords),
            });
        }
    }
    differences
}

/// `settings set` with the values given.
fn change_command(given: &Given) -> String {
    let mut command = "mobiniti-events settings set".to_owned();
    if let Some(region) = given.default_region {
        command.push_str(" --default-region ");
        command.push_str(region.as_ref());
    }
    if let Some(keywords) = &given.keywords {
        let keywords = fold_keywords(keywords);
        command.push_str(" --keywords ");
        if keywords.is_empty() {
            command.push_str("''");
        } else {
            command.push_str(&keywords.join(","));
        }
    }
    command
}

/// A change of the store's settings, kept and owed a rebuild.
#[derive(Debug, Clone)]
pub struct Change {
    /// The settings before, if any were kept.
    pub previous: Option<Derivation>,
    pub next: InForce,
}

/// The settings given become the store's (the stored ones, else the defaults, for
/// those not given), marked as owed a rebuild. `None` when they already are and none is owed.
pub async fn change(given: &Given, store: &Store) -> Result<Option<Change>, DerivationError> {
    if given.default_region.is_none() && given.keywords.is_none() {
        return Err(DerivationError::NothingToChange);
    }
    let previous = match store.derivation().await? {
        None => None,
        Some(stored) => match Derivation::decode(&stored) {
            Ok(previous) => Some(previous),
            // Both given: nothing of the unreadable value is needed.
            Err(_) if given.default_region.is_some() && given.keywords.is_some() => None,
            Err(err) => return Err(err),
        },
    };
    let next = Derivation {
        default_region: given
            .default_region
            .or(previous.as_ref().map(|previous| previous.default_region))
            .unwrap_or(DEFAULT_REGION),
        keywords: match (&given.keywords, &previous) {
            (Some(given), _) => fold_keywords(given),
            (None, Some(previous)) => previous.keywords.clone(),
            (None, None) => Vec::new(),
        },
    };
    let pending = store.derivation_rebuild_pending().await?.is_some();
    if previous.as_ref() == Some(&next) && !pending {
        return Ok(None);
    }
    let stored = next.encode();
    store.replace_derivation(&stored).await?;
    Ok(Some(Change {
        previous,
        next: InForce {
            derivation: next,
            stored,
            rebuild_pending: true,
        },
    }))
}

/// The settings the store keeps, if any, and whether a rebuild with them is owed; never
/// writes.
pub async fn kept(store: &Store) -> Result<Option<(Derivation, bool)>, DerivationError> {
    let Some(stored) = store.derivation().await? else {
        return Ok(None);
    };
    let derivation = Derivation::decode(&stored)?;
    let pending = store.derivation_rebuild_pending().await?.is_some();
    Ok(Some((derivation, pending)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_read_back_as_written() {
        let derivation = Derivation::new(Id::GB, &["join".to_owned(), " Start ".to_owned()]);
        assert_eq!(derivation.keywords, ["JOIN", "START"]);
        assert_eq!(
            Derivation::decode(&derivation.encode()).expect("decodes"),
            derivation
        );
        assert_eq!(
            derivation.to_string(),
            "default region GB, keywords JOIN,START"
        );
    }

    #[test]
    fn settings_kept_by_a_newer_version_are_not_read_as_if_complete() {
        let newer = r#"{"default_region":"GB","keywords":[],"short_codes":["64600"]}"#;
        assert!(matches!(
            Derivation::decode(newer),
            Err(DerivationError::Unreadable { .. })
        ));
    }
}
