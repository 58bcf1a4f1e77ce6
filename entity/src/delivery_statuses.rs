//! The latest delivery status of each outbound message for each recipient.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_statuses")]
pub struct Model {
    /// `{message_id}:{recipient}`, or `{event_id}:{recipient}` for a recipient that no message of
    /// its report was sent to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub message_id: Option<String>,
    /// E.164.
    pub recipient: String,
    pub code: String,
    pub status: String,
    pub success: bool,
    pub bounce: bool,
    /// When the report carrying this status was received.
    pub reported_at: DateTimeUtc,
    pub event_position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
