//! The read side: filtered, ordered, paginated lists over the projections and the log, and the
//! batched look-ups that nested GraphQL fields use. Each module owns one list.

mod changes;
mod contacts;
mod delivery_statuses;
mod events;
mod messages;
mod quarantine;
mod rejections;
mod stats;

pub use changes::EventColumns;
pub use contacts::{ContactFilter, ContactOrder, Totals};
pub use delivery_statuses::{DeliveryStatusCode, DeliveryStatusFilter, DeliveryStatusOrder};
pub use events::{EventFilter, EventOrder};
pub use messages::{MessageFilter, MessageOrder};
pub use quarantine::{QuarantineFilter, QuarantineOrder};
pub use rejections::{RejectionFilter, RejectionOrder};
pub use stats::{Bucket, MAX_BUCKETS, StatsRow};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

/// Adds `column >= from` and `column < to` for the bounds given.
fn in_range<C: ColumnTrait>(
    condition: Condition,
    column: C,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Condition {
    condition
        .add_option(from.map(|from| column.gte(from)))
        .add_option(to.map(|to| column.lt(to)))
}

/// `column` contains `needle`, ignoring case, with `%` and `_` in the needle taken literally.
fn contains<C: ColumnTrait>(column: C, needle: &str) -> SimpleExpr {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// Up to `limit` rows of `E` for each of `values` of the column `partition`, newest first by
/// (`time`, `id`), in one statement however many values there are.
async fn latest_per<E: sea_orm::EntityTrait>(
    db: &sea_orm::DatabaseConnection,
    partition: &str,
    time: &str,
    id: &str,
    values: &[String],
    limit: u64,
) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    use sea_orm::{DbBackend, Statement};
    if values.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let placeholders: Vec<String> = (1..=values.len())
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect();
    let table = E::default().table_name().to_owned();
    let sql = format!(
        "SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{partition} ORDER BY t.{time} DESC, t.{id} DESC) AS row_rank \
         FROM {table} t WHERE t.{partition} IN ({})) ranked WHERE row_rank <= {limit}",
        placeholders.join(", ")
    );
    let values = values.iter().cloned().map(sea_orm::Value::from);
    E::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await
}
