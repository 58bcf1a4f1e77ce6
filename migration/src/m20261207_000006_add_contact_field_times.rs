//! Each contact field's own time: the payload's `updated_at` of the event that set it, so that
//! every field follows the latest event that mentions it, whatever the order of arrival.
//!
//! Rows projected before this migration get the contact's `updated_at` for every field, which
//! is what the earlier whole-row rule kept; `mobiniti-events rebuild` recomputes them exactly.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FIELD_TIMES: [Contacts; 8] = [
    Contacts::FirstNameSetAt,
    Contacts::LastNameSetAt,
    Contacts::EmailSetAt,
    Contacts::PhoneSetAt,
    Contacts::CreatedAtSetAt,
    Contacts::SubscriptionSetAt,
    Contacts::BouncesSetAt,
    Contacts::CarrierStatusSetAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for column in FIELD_TIMES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Contacts::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let mut backfill = Query::update();
        backfill.table(Contacts::Table);
        for column in FIELD_TIMES {
            backfill.value(column, Expr::col(Contacts::UpdatedAt));
        }
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in FIELD_TIMES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Contacts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Contacts {
    Table,
    UpdatedAt,
    FirstNameSetAt,
    LastNameSetAt,
    EmailSetAt,
    PhoneSetAt,
    CreatedAtSetAt,
    SubscriptionSetAt,
    BouncesSetAt,
    CarrierStatusSetAt,
}
