//! Authenticated deliveries that could not be read or validated, kept whole for inspection and
//! replay.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantine")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub received_at: DateTimeUtc,
    pub content_type: Option<String>,
    pub raw_body: Vec<u8>,
    /// The error code the sender was answered with (`invalid_json`, `invalid_payload`).
    pub error_code: String,
    pub error_message: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
