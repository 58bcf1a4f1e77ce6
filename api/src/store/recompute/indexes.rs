//! On SQLite, a rebuild drops the projections' secondary indexes and creates them again once
//! the rows are in: building an index from every row at once is one sort, where keeping it up to
//! date is a B-tree descent, and often a page split, for every row.
//!
//! The definitions are read from the store itself, so they are always the migrations' own. It
//! all happens in the rebuild's transaction: a failed rebuild rolls the indexes back with the
//! rows, and readers (WAL) keep seeing the old projections, indexes included, until the commit.
//! PostgreSQL keeps its indexes: dropping one there locks its table against every reader until
//! the rebuild commits.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

/// The tables a rebuild rewrites.
const PROJECTIONS: &str = "'contacts', 'messages', 'delivery_statuses', 'rejections', 'totals'";

/// Secondary indexes dropped for a rebuild: the `CREATE INDEX` statement of each.
#[derive(Debug, Default)]
pub(super) struct Dropped(Vec<String>);

/// Drops the projections' secondary indexes, on SQLite; returns what [`Dropped::recreate`]
/// needs.
pub(super) async fn drop_secondary(txn: &DatabaseTransaction) -> Result<Dropped, DbErr> {
    if txn.get_database_backend() != DbBackend::Sqlite {
        return Ok(Dropped::default());
    }
    // Indexes behind a primary key or a UNIQUE constraint have no `sql`: they stay.
    let rows = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ({PROJECTIONS})"
            ),
        ))
        .await?;
    let mut dropped = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let sql: String = row.try_get_by_index(1)?;
        txn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
            .await?;
        dropped.push(sql);
    }
    Ok(Dropped(dropped))
}

impl Dropped {
    /// Creates every dropped index again, from the rows now in its table.
    pub(super) async fn recreate(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        for sql in self.0 {
            txn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
