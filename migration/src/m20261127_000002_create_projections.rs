//! The projections derived from the event log: contacts, messages, delivery statuses, rejections.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::create_index as index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(string(Contacts::Id).primary_key())
                    .col(string_null(Contacts::FirstName))
                    .col(string_null(Contacts::LastName))
                    .col(string_null(Contacts::Email))
                    .col(string(Contacts::Phone))
                    .col(boolean(Contacts::Subscribed))
                    .col(timestamp_with_time_zone_null(Contacts::UnsubscribedAt))
                    .col(integer(Contacts::Bounces))
                    .col(string_null(Contacts::CarrierStatus))
                    .col(timestamp_with_time_zone_null(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .col(big_integer(Contacts::SourcePosition))
                    .col(big_integer(Contacts::LastEventPosition))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_contacts_phone",
            Contacts::Table,
            [Contacts::Phone, Contacts::Id],
        )
        .await?;
        index(
            manager,
            "idx_contacts_updated_at",
            Contacts::Table,
            [Contacts::UpdatedAt, Contacts::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(string(Messages::Id).primary_key())
                    .col(string(Messages::Direction))
                    .col(text(Messages::Body))
                    .col(string(Messages::Phone))
                    .col(string_null(Messages::ShortCode))
                    .col(string_null(Messages::Sender))
                    .col(string_null(Messages::ContactId))
                    .col(string_null(Messages::Category))
                    .col(json_binary_null(Messages::Metadata))
                    .col(timestamp_with_time_zone(Messages::OccurredAt))
                    .col(big_integer(Messages::EventPosition))
                    // The contact is projected before its inbound text, in the same transaction.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_contact")
                            .from(Messages::Table, Messages::ContactId)
                            .to(Contacts::Table, Contacts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_messages_phone",
            Messages::Table,
            [Messages::Phone, Messages::OccurredAt, Messages::Id],
        )
        .await?;
        index(
            manager,
            "idx_messages_occurred_at",
            Messages::Table,
            [Messages::OccurredAt, Messages::Id],
        )
        .await?;
        index(
            manager,
            "idx_messages_direction",
            Messages::Table,
            [Messages::Direction, Messages::OccurredAt, Messages::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeliveryStatuses::Table)
                    .col(string(DeliveryStatuses::Id).primary_key())
                    .col(string_null(DeliveryStatuses::MessageId))
                    .col(string(DeliveryStatuses::Recipient))
                    .col(string(DeliveryStatuses::Code))
                    .col(text(DeliveryStatuses::Status))
                    .col(boolean(DeliveryStatuses::Success))
                    .col(boolean(DeliveryStatuses::Bounce))
                    .col(timestamp_with_time_zone(DeliveryStatuses::ReportedAt))
                    .col(big_integer(DeliveryStatuses::EventPosition))
                    // A report's messages are projected before its statuses.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_statuses_message")
                            .from(DeliveryStatuses::Table, DeliveryStatuses::MessageId)
                            .to(Messages::Table, Messages::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_delivery_statuses_message_id",
            DeliveryStatuses::Table,
            [DeliveryStatuses::MessageId],
        )
        .await?;
        index(
            manager,
            "idx_delivery_statuses_recipient",
            DeliveryStatuses::Table,
            [
                DeliveryStatuses::Recipient,
                DeliveryStatuses::ReportedAt,
                DeliveryStatuses::Id,
            ],
        )
        .await?;
        index(
            manager,
            "idx_delivery_statuses_code",
            DeliveryStatuses::Table,
            [
                DeliveryStatuses::Code,
                DeliveryStatuses::ReportedAt,
                DeliveryStatuses::Id,
            ],
        )
        .await?;
        index(
            manager,
            "idx_delivery_statuses_reported_at",
            DeliveryStatuses::Table,
            [DeliveryStatuses::ReportedAt, DeliveryStatuses::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rejections::Table)
                    .col(uuid(Rejections::Id).primary_key())
                    .col(text(Rejections::Code))
                    .col(text(Rejections::Message))
                    .col(text(Rejections::Description))
                    .col(timestamp_with_time_zone(Rejections::ReceivedAt))
                    .col(big_integer(Rejections::EventPosition))
                    .to_owned(),
            )
            .await?;

        // Counts the projections keep as they change, so a dashboard's totals cost one row read.
        manager
            .create_table(
                Table::create()
                    .table(Totals::Table)
                    .col(string(Totals::Name).primary_key())
                    .col(big_integer(Totals::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Totals::Table.into_iden(),
            Rejections::Table.into_iden(),
            DeliveryStatuses::Table.into_iden(),
            Messages::Table.into_iden(),
            Contacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    FirstName,
    LastName,
    Email,
    Phone,
    Subscribed,
    UnsubscribedAt,
    Bounces,
    CarrierStatus,
    CreatedAt,
    UpdatedAt,
    SourcePosition,
    LastEventPosition,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Direction,
    Body,
    Phone,
    ShortCode,
    Sender,
    ContactId,
    Category,
    Metadata,
    OccurredAt,
    EventPosition,
}

#[derive(DeriveIden)]
enum DeliveryStatuses {
    Table,
    Id,
    MessageId,
    Recipient,
    Code,
    Status,
    Success,
    Bounce,
    ReportedAt,
    EventPosition,
}

#[derive(DeriveIden)]
enum Rejections {
    Table,
    Id,
    Code,
    Message,
    Description,
    ReceivedAt,
    EventPosition,
}

#[derive(DeriveIden)]
enum Totals {
    Table,
    Name,
    Value,
}
