//! The rejections projection: one row per rejection event.

use chrono::{DateTime, Utc};
use entity::rejections;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::webhooks::payload::Rejection;

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    position: i64,
    event_id: Uuid,
    received_at: DateTime<Utc>,
    rejection: &Rejection,
) -> Result<(), DbErr> {
    rejections::Entity::insert(rejections::ActiveModel {
        id: Set(event_id),
        code: Set(rejection.code.clone()),
        message: Set(rejection.message.clone()),
        description: Set(rejection.description.clone()),
        received_at: Set(received_at),
        event_position: Set(position),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
