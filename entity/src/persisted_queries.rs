//! GraphQL documents registered by Apollo's automatic persisted queries, by SHA-256.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_queries")]
pub struct Model {
    /// The document's SHA-256, 64 lower-case hex digits.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub query: String,
    /// Unix milliseconds.
    pub registered_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
