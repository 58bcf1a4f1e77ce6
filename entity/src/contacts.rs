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
    /// The latest `updated_at` of any event about this contact.
    pub updated_at: DateTimeUtc,
    /// Position of the latest event (in log order) that changed a field.
    pub source_position: i64,
    /// Position of the latest event about this contact, applied or not.
    pub last_event_position: i64,
    /// Each field's time: the payload's `updated_at` of the event whose value it holds; `None`
    /// until an event sets it.
    pub first_name_set_at: Option<DateTimeUtc>,
    pub last_name_set_at: Option<DateTimeUtc>,
    pub email_set_at: Option<DateTimeUtc>,
    pub phone_set_at: Option<DateTimeUtc>,
    pub created_at_set_at: Option<DateTimeUtc>,
    /// Of `subscribed` and `unsubscribed_at` together.
    pub subscription_set_at: Option<DateTimeUtc>,
    pub bounces_set_at: Option<DateTimeUtc>,
    pub carrier_status_set_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
