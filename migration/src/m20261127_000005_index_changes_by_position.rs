//! Indexes on the position of the event that last changed each projected row: the typed
//! subscriptions read "what changed between two positions" once per stretch of the log.

use sea_orm_migration::prelude::*;

use crate::support::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &str); 3] = [
    ("idx_messages_event_position", "messages", "event_position"),
    (
        "idx_delivery_statuses_event_position",
        "delivery_statuses",
        "event_position",
    ),
    (
        "idx_contacts_last_event_position",
        "contacts",
        "last_event_position",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            create_index(manager, name, Alias::new(table), [Alias::new(column)]).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
