//! The quarantine of deliveries that failed validation, and the service's own settings.

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
                    .table(Quarantine::Table)
                    .col(uuid(Quarantine::Id).primary_key())
                    .col(string(Quarantine::Kind))
                    .col(timestamp_with_time_zone(Quarantine::ReceivedAt))
                    .col(string_null(Quarantine::ContentType))
                    .col(blob(Quarantine::RawBody))
                    .col(string(Quarantine::ErrorCode))
                    .col(text(Quarantine::ErrorMessage))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_quarantine_received_at",
            Quarantine::Table,
            [Quarantine::ReceivedAt],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string(Settings::Key).primary_key())
                    .col(text(Settings::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Settings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Quarantine::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    Id,
    Kind,
    ReceivedAt,
    ContentType,
    RawBody,
    ErrorCode,
    ErrorMessage,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}
