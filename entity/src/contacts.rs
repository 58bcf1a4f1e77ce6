//! Contacts as Mobiniti last described them, keyed by Mobiniti's contact id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub phone: String,
    pub subscribed: bool,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub bounces: i32,
    /// The last carrier status (`suspended`, `deactivated`, `resumed`, `transferred`, or a new one).
    pub carrier_status: Option<String>,
    pub created_at: Option<DateTimeUtc>,
    /// The payload's `updated_at` of the event whose fields are applied.
    pub updated_at: DateTimeUtc,
    /// Position of the event whose fields are applied: the tie-breaker on equal `updated_at`.
    pub source_position: i64,
    /// Position of the latest event about this contact, applied or not.
    pub last_event_position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
