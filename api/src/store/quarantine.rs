//! The quarantine: deliveries that were authenticated but could not be read or validated, kept
//! whole until a later version reads them ([`replay`]).

mod replay;

use chrono::{DateTime, Utc};
use entity::quarantine;
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::{Store, StoreError, version};
use crate::domain::kind::WebhookKind;
use crate::domain::payload::nul;

pub use replay::{ReplayReport, StillRefused};

/// The `error_code` of a delivery kept because the store refused its content (`refusal.rs`),
/// at ingest or on replay; its sender was answered `invalid_payload`. Every other `error_code`
/// is the code the delivery was answered with.
pub const STORE_REFUSED: &str = "store_refused";

/// A rejected delivery, kept whole.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub kind: WebhookKind,
    pub received_at: DateTime<Utc>,
    pub content_type: Option<String>,
    pub raw_body: Vec<u8>,
    pub error_code: &'static str,
    pub error_message: String,
}

impl Store {
    /// Keeps a rejected delivery; returns its quarantine id. Written on the writer's
    /// connections, so that a delivery is kept even while readers hold every one of theirs.
    pub async fn quarantine(&self, entry: Quarantined) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let txn = self.writer.begin().await?;
        version::bump(&txn).await?;
        quarantine::Entity::insert(quarantine::ActiveModel {
            id: Set(id),
            kind: Set(entry.kind.as_str().to_owned()),
            received_at: Set(entry.received_at),
            content_type: Set(entry.content_type),
            raw_body: Set(entry.raw_body),
            error_code: Set(entry.error_code.to_owned()),
            // An error may quote the body, and PostgreSQL's text cannot hold U+0000.
            error_message: Set(nul::replace_in(entry.error_message)),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(id)
    }
}
