//! The append-only event log and the head row that orders appends.

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
                    .table(Events::Table)
                    .col(big_integer(Events::Position).primary_key())
                    .col(uuid_uniq(Events::Id))
                    .col(string(Events::Kind))
                    .col(string_uniq(Events::DedupeKey))
                    .col(timestamp_with_time_zone(Events::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Events::OccurredAt))
                    .col(string_null(Events::ContactId))
                    .col(string_null(Events::Phone))
                    .col(blob(Events::RawBody))
                    .col(json_binary(Events::Payload))
                    .col(integer(Events::Deliveries))
                    .col(timestamp_with_time_zone(Events::LastSeenAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_events_contact_id", Events::ContactId),
            ("idx_events_phone", Events::Phone),
            ("idx_events_received_at", Events::ReceivedAt),
            ("idx_events_kind", Events::Kind),
        ] {
            create_index(manager, name, Events::Table, [column, Events::Position]).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LogHead::Table)
                    .col(integer(LogHead::Id).primary_key())
                    .col(big_integer(LogHead::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(LogHead::Table)
                    .columns([LogHead::Id, LogHead::Position])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LogHead::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Position,
    Id,
    Kind,
    DedupeKey,
    ReceivedAt,
    OccurredAt,
    ContactId,
    Phone,
    RawBody,
    Payload,
    Deliveries,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum LogHead {
    Table,
    Id,
    Position,
}
