//! Each delivery is kept once, as its raw body. The parsed `payload` column held the same bytes a
//! second time, and nothing has read it since the API began answering `Event.payload` from the
//! raw body (which alone keeps the order of the keys). Dropping it halves what an append writes
//! for most webhooks.
//!
//! On SQLite the drop rewrites the events table once, at this migration; on PostgreSQL it only
//! marks the column dropped. Down adds the column back holding JSON `null`, which the earlier
//! version never read either.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .drop_column(Events::Payload)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(json_binary(Events::Payload).default(Expr::val("null")))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Payload,
}
