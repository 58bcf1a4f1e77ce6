//! GraphQL documents registered by their SHA-256 (Apollo's automatic persisted queries), kept
//! in the store so that a hash registered through one replica is found by every other. The
//! store holds the most recent [`MAX_REGISTERED`] at most: a client registering a new document
//! on every request pushes out the oldest, it cannot grow the table.

use entity::persisted_queries;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Store, StoreError};

/// The most documents kept. With `--graphql-max-query-bytes` at its 32 KiB default, 64 MiB at
/// the very worst; dashboards send a few dozen.
pub const MAX_REGISTERED: u64 = 2_000;

impl Store {
    /// The document registered under `hash`, if any.
    pub async fn persisted_query(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(persisted_queries::Entity::find_by_id(hash.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.query))
    }

    /// Registers `query` under `hash` (its SHA-256, checked by the caller) unless it is there
    /// already, then trims the table to [`MAX_REGISTERED`], oldest first.
    pub async fn register_persisted_query(
        &self,
        hash: &str,
        query: &str,
    ) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        persisted_queries::Entity::insert(persisted_queries::ActiveModel {
            hash: Set(hash.to_owned()),
            query: Set(query.to_owned()),
            registered_at: Set(now),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&self.writer)
        .await?;
        let kept = persisted_queries::Entity::find()
            .count(&self.writer)
            .await?;
        if kept > MAX_REGISTERED {
            let oldest: Vec<String> = persisted_queries::Entity::find()
                .select_only()
                .column(persisted_queries::Column::Hash)
                .order_by_asc(persisted_queries::Column::RegisteredAt)
                .limit(kept - MAX_REGISTERED)
                .into_tuple()
                .all(&self.writer)
                .await?;
            persisted_queries::Entity::delete_many()
                .filter(persisted_queries::Column::Hash.is_in(oldest))
                .exec(&self.writer)
                .await?;
        }
        Ok(())
    }
}
