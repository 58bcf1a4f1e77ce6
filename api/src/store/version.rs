//! The store's version: a counter on the log head that every write visible through the API
//! moves in its own transaction. Two reads at the same version see the same projections, so an
//! answer can be reused until the version moves.

use entity::log_head;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement,
};

use super::{Store, StoreError};

impl Store {
    /// The current version; it only grows.
    pub async fn version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> = log_head::Entity::find()
            .select_only()
            .column(log_head::Column::Version)
            .filter(log_head::Column::Id.eq(1))
            .into_tuple()
            .one(&self.db)
            .await?;
        version.ok_or_else(|| {
            StoreError::Unavailable(DbErr::RecordNotFound(
                "the log_head row; run the migrations".into(),
            ))
        })
    }
}

/// Moves the version for a write that takes no position (the append path moves it as it takes
/// the append lock).
pub(super) async fn bump(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_string(
        backend,
        "UPDATE log_head SET version = version + 1 WHERE id = 1",
    ))
    .await?;
    Ok(())
}

impl Store {
    /// The last position handed out: every event up to it has committed.
    pub async fn head(&self) -> Result<i64, StoreError> {
        let head: Option<i64> = log_head::Entity::find()
            .select_only()
            .column(log_head::Column::Position)
            .filter(log_head::Column::Id.eq(1))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(head.unwrap_or(0))
    }
}
