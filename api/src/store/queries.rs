//! The read side: filtered, ordered, paginated lists over the projections and the log, and the
//! batched look-ups that nested GraphQL fields use. Each module owns one list.

mod changes;
mod contacts;
mod delivery_statuses;
mod events;
mod lookups;
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

use lookups::{latest_per, one_of};

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
    // Qualified by its table, as the page queries may join another with the same column names.
    Expr::expr(Func::lower(Expr::col((column.entity_name(), column))))
        .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
