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
        self.log_head(log_head::Column::Version)
            .await?
            .ok_or_else(|| {
                StoreError::Unavailable(DbErr::RecordNotFound(
                    "the log_head row; run the migrations".into(),
                ))
            })
    }

    /// The last position handed out: every event up to it has committed.
    pub async fn head(&self) -> Result<i64, StoreError> {
        Ok(self
            .log_head(log_head::Column::Position)
            .await?
            .unwrap_or(0))
    }

    /// One column of the log head row.
    async fn log_head(&self, column: log_head::Column) -> Result<Option<i64>, StoreError> {
        Ok(log_head::Entity::find()
            .select_only()
            .column(column)
            .filter(log_head::Column::Id.eq(1))
            .into_tuple()
            .one(&self.db)
            .await?)
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
