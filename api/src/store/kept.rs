//! Values kept in the store, so every replica and restart agrees on them: the webhook token
//! (generated once), and the settings that decide what is derived from the log (see
//! `crate::derivation`, which owns their format; here they are opaque text).

use entity::settings;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait, TryInsertResult,
};

use super::{Store, StoreError};

const WEBHOOK_TOKEN: &str = "webhook_token";

/// The settings the projections are derived with.
const DERIVATION: &str = "derivation";

/// Present from the moment `settings set` keeps new derivation settings until a rebuild with
/// them has committed: while it is, the projections may still be derived with the old ones. Its
/// value is the settings the rebuild is for, so a rebuild with other ones does not clear it.
const DERIVATION_REBUILD_PENDING: &str = "derivation_rebuild_pending";

impl Store {
    /// The stored webhook token, or `candidate` stored as it if there is none yet. Returns the
    /// token in force and whether `candidate` became it.
    pub async fn webhook_token_or_insert(
        &self,
        candidate: &str,
    ) -> Result<(String, bool), StoreError> {
        self.value_or_insert(WEBHOOK_TOKEN, candidate).await
    }

    /// The stored webhook token, if `serve` generated one; never writes. For clients of a
    /// running service on the same store, such as `simulate`.
    pub async fn webhook_token(&self) -> Result<Option<String>, StoreError> {
        self.value(WEBHOOK_TOKEN).await
    }

    /// The stored derivation settings, or `candidate` stored as them if there are none yet.
    /// Returns the settings in force and whether `candidate` became them.
    pub async fn derivation_or_insert(
        &self,
        candidate: &str,
    ) -> Result<(String, bool), StoreError> {
        self.value_or_insert(DERIVATION, candidate).await
    }

    /// The stored derivation settings, if any process kept them yet; never writes.
    pub async fn derivation(&self) -> Result<Option<String>, StoreError> {
        self.value(DERIVATION).await
    }

    /// The derivation settings a rebuild is owed for, if a change of them has not been
    /// followed by one yet.
    pub async fn derivation_rebuild_pending(&self) -> Result<Option<String>, StoreError> {
        self.value(DERIVATION_REBUILD_PENDING).await
    }

    /// Keeps `settings` as the derivation settings, and owes a rebuild for them, in one
    /// transaction: whatever happens to the rebuild, the store says the projections may lag.
    pub async fn replace_derivation(&self, settings: &str) -> Result<(), StoreError> {
        let txn = self.writer.begin().await?;
        for key in [DERIVATION, DERIVATION_REBUILD_PENDING] {
            settings::Entity::insert(settings::ActiveModel {
                key: Set(key.to_owned()),
                value: Set(settings.to_owned()),
            })
            .on_conflict(
                OnConflict::column(settings::Column::Key)
                    .update_column(settings::Column::Value)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Settles the rebuild owed for `settings`, now that one with them has committed.
    pub async fn derivation_rebuilt(&self, settings: &str) -> Result<(), StoreError> {
        settings::Entity::delete_many()
            .filter(settings::Column::Key.eq(DERIVATION_REBUILD_PENDING))
            .filter(settings::Column::Value.eq(settings))
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    async fn value(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(settings::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.value))
    }

    async fn value_or_insert(
        &self,
        key: &str,
        candidate: &str,
    ) -> Result<(String, bool), StoreError> {
        // Insert-if-absent then read back, so replicas starting together settle on one value.
        let inserted = settings::Entity::insert(settings::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(candidate.to_owned()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&self.db)
        .await?;
        let stored = self.value(key).await?.ok_or_else(|| {
            StoreError::Unavailable(sea_orm::DbErr::RecordNotFound(key.to_owned()))
        })?;
        let created = matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0);
        Ok((stored, created))
    }
}
