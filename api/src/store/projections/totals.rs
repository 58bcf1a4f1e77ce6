//! Counts kept by the projections as they change: a dashboard's totals are one row read, not a
//! scan of the contacts table.
//!
//! A transaction gathers its changes in [`Counts`] and writes each total once, at its end:
//! updating the same row once per event would, on PostgreSQL, leave a chain of row versions in
//! one transaction that every later update walks, making a rebuild quadratic.

use entity::totals;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

pub const CONTACTS: &str = "contacts";
pub const SUBSCRIBED: &str = "contacts_subscribed";
pub const BOUNCED: &str = "contacts_bounced";

/// Changes to the totals, gathered over a transaction.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub contacts: i64,
    pub subscribed: i64,
    pub bounced: i64,
}

impl Counts {
    pub fn add(&mut self, other: Self) {
        self.contacts += other.contacts;
        self.subscribed += other.subscribed;
        self.bounced += other.bounced;
    }

    pub fn subtract(&mut self, other: Self) {
        self.contacts -= other.contacts;
        self.subscribed -= other.subscribed;
        self.bounced -= other.bounced;
    }

    /// Adds each count to the stored totals.
    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        add(db, CONTACTS, self.contacts).await?;
        add(db, SUBSCRIBED, self.subscribed).await?;
        add(db, BOUNCED, self.bounced).await
    }
}

/// Adds `delta` to the count `name`; a count not yet stored starts at 0.
async fn add<C: ConnectionTrait>(db: &C, name: &str, delta: i64) -> Result<(), DbErr> {
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
