//! Counts kept by the projections as they change: a dashboard's totals are one row read, not a
//! scan of the contacts table.

use entity::totals;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

pub const CONTACTS: &str = "contacts";
pub const SUBSCRIBED: &str = "contacts_subscribed";
pub const BOUNCED: &str = "contacts_bounced";

/// Adds `delta` to the count `name`; a count not yet stored starts at 0.
pub async fn add<C: ConnectionTrait>(db: &C, name: &str, delta: i64) -> Result<(), DbErr> {
    if delta == 0 {
        return Ok(());
    }
    totals::Entity::insert(totals::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(delta),
    })
    .on_conflict(
        OnConflict::column(totals::Column::Name)
            .value(
                totals::Column::Value,
                Expr::col((totals::Entity, totals::Column::Value)).add(delta),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
