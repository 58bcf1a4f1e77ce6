//! Values generated once and kept in the store, so every replica and restart agrees on them.

use entity::settings;
use sea_orm::{ActiveValue::Set, EntityTrait};

use super::{Store, StoreError};

const WEBHOOK_TOKEN: &str = "webhook_token";

impl Store {
    /// The stored webhook token, or `candidate` stored as it if there is none yet. Returns the
    /// token in force and whether `candidate` became it.
    pub async fn webhook_token_or_insert(
        &self,
        candidate: &str,
    ) -> Result<(String, bool), StoreError> {
        // Insert-if-absent then read back, so replicas starting together settle on one token.
        settings::Entity::insert(settings::ActiveModel {
            key: Set(WEBHOOK_TOKEN.to_owned()),
            value: Set(candidate.to_owned()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&self.db)
        .await?;
        let stored = settings::Entity::find_by_id(WEBHOOK_TOKEN.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.value)
            .ok_or_else(|| {
                StoreError::Unavailable(sea_orm::DbErr::RecordNotFound(WEBHOOK_TOKEN.into()))
            })?;
        let created = stored == candidate;
        Ok((stored, created))
    }

    /// The stored webhook token, if `serve` generated one; never writes. For clients of a
    /// running service on the same store, such as `simulate`.
    pub async fn webhook_token(&self) -> Result<Option<String>, StoreError> {
        Ok(settings::Entity::find_by_id(WEBHOOK_TOKEN.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.value))
    }
}
