//! Delivery statuses: the list, statuses of messages, and the codes seen.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{delivery_statuses, messages};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::{in_range, latest_per, one_of};
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStatusFilter {
    pub code: Option<String>,
    pub success: Option<bool>,
    pub bounce: Option<bool>,
    /// E.164.
    pub recipient: Option<String>,
    pub message_id: Option<String>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
}

/// The orderings of delivery statuses; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatusOrder {
    ReportedAtAsc,
    ReportedAtDesc,
    IdAsc,
    IdDesc,
}

/// A status code seen in delivery reports, for a chart's legend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatusCode {
    pub code: String,
    /// The status text, success and bounce flags of the latest report with this code.
    pub status: String,
    pub success: bool,
    pub bounce: bool,
    /// Message-recipient pairs whose latest status has this code.
    pub count: u64,
}

impl DeliveryStatusFilter {
    fn condition(&self) -> Condition {
        use delivery_statuses::Column as C;
        let condition = Condition::all()
            .add_option(self.code.as_ref().map(|code| C::Code.eq(code.clone())))
            .add_option(self.success.map(|flag| C::Success.eq(flag)))
            .add_option(self.bounce.map(|flag| C::Bounce.eq(flag)))
            .add_option(
                self.recipient
                    .as_ref()
                    .map(|phone| C::Recipient.eq(phone.clone())),
            )
            .add_option(
                self.message_id
                    .as_ref()
                    .map(|id| C::MessageId.eq(id.clone())),
            );
        in_range(
            condition,
            C::ReportedAt,
            self.reported_from,
            self.reported_to,
        )
    }
}

fn ordering(order: DeliveryStatusOrder) -> Ordering<delivery_statuses::Entity> {
    use Direction::{Asc, Desc};
    use delivery_statuses::Column as C;
    let (keys, key_of): (_, fn(&delivery_statuses::Model) -> Vec<KeyValue>) = match order {
        DeliveryStatusOrder::ReportedAtAsc => (vec![(C::ReportedAt, Asc), (C::Id, Asc)], time_key),
        DeliveryStatusOrder::ReportedAtDesc => {
            (vec![(C::ReportedAt, Desc), (C::Id, Desc)], time_key)
        }
        DeliveryStatusOrder::IdAsc => (vec![(C::Id, Asc)], |s| vec![KeyValue::Text(s.id.clone())]),
        DeliveryStatusOrder::IdDesc => {
            (vec![(C::Id, Desc)], |s| vec![KeyValue::Text(s.id.clone())])
        }
    };
    Ordering::new(order, keys, key_of)
}

fn time_key(status: &delivery_statuses::Model) -> Vec<KeyValue> {
    vec![
        KeyValue::Time(status.reported_at),
        KeyValue::Text(status.id.clone()),
    ]
}

impl Store {
    pub async fn delivery_statuses(
        &self,
        filter: &DeliveryStatusFilter,
        order: DeliveryStatusOrder,
        page: &PageRequest,
    ) -> Result<Page<delivery_statuses::Model>, ReadError> {
        let query = delivery_statuses::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    /// [`Store::delivery_statuses`], each with the message its `message_id` names, in one
    /// statement.
    pub async fn delivery_statuses_with_messages(
        &self,
        filter: &DeliveryStatusFilter,
        order: DeliveryStatusOrder,
        page: &PageRequest,
    ) -> Result<Page<(delivery_statuses::Model, Option<messages::Model>)>, ReadError> {
        let query = delivery_statuses::Entity::find().filter(filter.condition());
        let message = delivery_statuses::Entity::belongs_to(messages::Entity)
            .from(delivery_statuses::Column::MessageId)
            .to(messages::Column::Id)
            .into();
        page::fetch_joined::<_, messages::Entity, _>(
            &self.db,
            query,
            message,
            &ordering(order),
            page,
        )
        .await
    }

    pub async fn count_delivery_statuses(
        &self,
        filter: &DeliveryStatusFilter,
    ) -> Result<u64, ReadError> {
        Ok(delivery_statuses::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }

    pub async fn statuses_of_messages(
        &self,
        message_ids: &[String],
    ) -> Result<Vec<delivery_statuses::Model>, ReadError> {
        Ok(delivery_statuses::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                delivery_statuses::Column::MessageId,
                message_ids,
            ))
            .order_by_asc(delivery_statuses::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The first page, newest first, of statuses read by
    /// [`Store::latest_statuses_of_recipients`].
    pub fn latest_statuses_page(
        rows: Vec<delivery_statuses::Model>,
        limit: u64,
    ) -> Page<delivery_statuses::Model> {
        page::first_page_of(rows, &ordering(DeliveryStatusOrder::ReportedAtDesc), limit)
    }

    /// The `limit` latest statuses reported for each recipient phone.
    pub async fn latest_statuses_of_recipients(
        &self,
        phones: &[String],
        limit: u64,
    ) -> Result<Vec<delivery_statuses::Model>, ReadError> {
        Ok(latest_per::<delivery_statuses::Entity>(
            &self.db,
            "recipient",
            "reported_at",
            "id",
            phones,
            limit,
        )
        .await?)
    }

    /// Every code seen, with the text and flags of its latest report and how many rows have it.
    pub async fn delivery_status_codes(&self) -> Result<Vec<DeliveryStatusCode>, ReadError> {
        use sea_orm::QuerySelect;
        use sea_orm::sea_query::{Expr, Func};
        let counts: Vec<(String, i64)> = delivery_statuses::Entity::find()
            .select_only()
            .column(delivery_statuses::Column::Code)
            .column_as(
                Expr::from(Func::count(Expr::col(delivery_statuses::Column::Id))),
                "count",
            )
            .group_by(delivery_statuses::Column::Code)
            .into_tuple()
            .all(&self.db)
            .await?;
        let latest: Vec<(String, String, bool, bool, i64)> = delivery_statuses::Entity::find()
            .select_only()
            .columns([
                delivery_statuses::Column::Code,
                delivery_statuses::Column::Status,
                delivery_statuses::Column::Success,
                delivery_statuses::Column::Bounce,
                delivery_statuses::Column::EventPosition,
            ])
            .filter(
                delivery_statuses::Column::EventPosition.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .expr(Func::max(Expr::col(
                            delivery_statuses::Column::EventPosition,
                        )))
                        .from(delivery_statuses::Entity)
                        .group_by_col(delivery_statuses::Column::Code)
                        .to_owned(),
                ),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut by_code: BTreeMap<String, (String, bool, bool, i64)> = BTreeMap::new();
        for (code, status, success, bounce, position) in latest {
            let newer = by_code.get(&code).is_none_or(|known| known.3 < position);
            if newer {
                by_code.insert(code, (status, success, bounce, position));
            }
        }
        Ok(counts
            .into_iter()
            .map(|(code, count)| {
                let (status, success, bounce, _) = by_code.remove(&code).unwrap_or_default();
                DeliveryStatusCode {
                    code,
                    status,
                    success,
                    bounce,
                    count: count.max(0) as u64,
                }
            })
            .collect())
    }
}
