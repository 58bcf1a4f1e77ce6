//! The rejections projection: one row per rejection event.

use chrono::{DateTime, Utc};
use entity::rejections;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::chunks;
use crate::domain::payload::Rejection;

#[derive(Debug, Default)]
pub struct Changes {
    rows: Vec<rejections::ActiveModel>,
}

impl Changes {
    pub fn add(
        &mut self,
        position: i64,
        event_id: Uuid,
        received_at: DateTime<Utc>,
        rejection: &Rejection,
    ) {
        self.rows.push(rejections::ActiveModel {
            id: Set(event_id),
            code: Set(rejection.code.clone()),
            message: Set(rejection.message.clone()),
            description: Set(rejection.description.clone()),
            received_at: Set(received_at),
            event_position: Set(position),
        });
    }

    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        for chunk in chunks(self.rows) {
            rejections::Entity::insert_many(chunk)
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}
