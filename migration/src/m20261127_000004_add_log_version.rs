//! A version on the log head that every write visible through the API moves: an append (also
//! one that only counts a redelivery), a quarantined delivery, a rebuild. Answers computed at
//! one version stay exact until the next, which is what the GraphQL answer cache keys on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LogHead::Table)
                    .add_column(big_integer(LogHead::Version).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LogHead::Table)
                    .drop_column(LogHead::Version)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LogHead {
    Table,
    Version,
}
