//! Documents registered by Apollo's automatic persisted queries, by their SHA-256: every replica
//! finds a document another one was sent. `registered_at` (Unix milliseconds) orders them for
//! the bound the service keeps.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedQueries::Table)
                    .col(string(PersistedQueries::Hash).primary_key())
                    .col(text(PersistedQueries::Query))
                    .col(big_integer(PersistedQueries::RegisteredAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "persisted_queries_by_age",
            PersistedQueries::Table,
            [PersistedQueries::RegisteredAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedQueries::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersistedQueries {
    Table,
    Hash,
    Query,
    RegisteredAt,
}
