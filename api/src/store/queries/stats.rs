//! Counts per time bucket for dashboards, in the client's time zone.
//!
//! Buckets are laid out in local time (an hour, or a day from local midnight to local midnight,
//! so 23 or 25 hours across a DST change) and turned into UTC instants. Every such instant falls
//! on a quarter of an hour in UTC (offsets are whole quarters), so the store counts rows per UTC
//! quarter-hour and each quarter is added to the bucket holding it: exact at every edge.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sea_orm::{DbBackend, FromQueryResult, Statement};

use crate::store::{ReadError, Store};

/// The most buckets one request may ask for.
pub const MAX_BUCKETS: usize = 2_000;
const SLOT_SECONDS: i64 = 900;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
}

/// The counts of one bucket, `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsRow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub inbound: u64,
    pub outbound: u64,
    pub delivered: u64,
    pub failed: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub contact_status_changes: u64,
    pub rejections: u64,
}

#[derive(Debug, FromQueryResult)]
struct SlotCount {
    label: String,
    slot: i64,
    count: i64,
}

/// The bucket edges covering `[from, to)`: the first is the start of the bucket holding `from`.
fn edges(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Bucket,
    zone: Tz,
) -> Result<Vec<DateTime<Utc>>, ReadError> {
    if to <= from {
        return Err(ReadError::Invalid("`to` must be after `from`".into()));
    }
    let local = from.with_timezone(&zone);
    let mut edge = match bucket {
        Bucket::Hour => {
            let start = local
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0));
            start.map_or(from, |start| start.with_timezone(&Utc))
        }
        Bucket::Day => local_midnight(zone, local.date_naive()),
    };
    let mut edges = vec![edge];
    while edge < to {
        edge = match bucket {
            Bucket::Hour => edge + Duration::hours(1),
            Bucket::Day => {
                let next_day = edge.with_timezone(&zone).date_naive() + Duration::days(1);
                local_midnight(zone, next_day)
            }
        };
        edges.push(edge);
        if edges.len() > MAX_BUCKETS + 1 {
            return Err(ReadError::Invalid(too_many_buckets(from, to, bucket)));
        }
    }
    Ok(edges)
}

/// Why `[from, to)` is refused: what it asked for, and what would be answered instead.
fn too_many_buckets(from: DateTime<Utc>, to: DateTime<Utc>, bucket: Bucket) -> String {
    let range = format!("from {} to {}", from.to_rfc3339(), to.to_rfc3339());
    match bucket {
        Bucket::Hour => format!(
            "{range} is more than {MAX_BUCKETS} hours, the most buckets one request gets; ask for \
             a shorter range or for DAY buckets"
        ),
        Bucket::Day => format!(
            "{range} is more than {MAX_BUCKETS} days, the most buckets one request gets; ask for \
             a shorter range"
        ),
    }
}

/// The first instant of a local day (midnight, or the first valid time where midnight is
/// skipped by a DST change).
fn local_midnight(zone: Tz, date: chrono::NaiveDate) -> DateTime<Utc> {
    let mut time = date.and_time(NaiveTime::MIN);
    for _ in 0..8 {
        if let Some(instant) = zone.from_local_datetime(&time).earliest() {
            return instant.with_timezone(&Utc);
        }
        time += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// `column` as a UTC quarter-hour number, in the backend's SQL.
fn slot(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {SLOT_SECONDS}) AS BIGINT)")
        }
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {SLOT_SECONDS})"),
    }
}

impl Store {
    /// Counts per bucket from `from` to `to` in `zone`.
    pub async fn stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
        zone: Tz,
    ) -> Result<Vec<StatsRow>, ReadError> {
        let edges = edges(from, to, bucket, zone)?;
        let (first, last) = (edges[0], edges[edges.len() - 1]);
        let backend = self.db.get_database_backend();
        let queries = [
            format!(
                "SELECT direction AS label, {} AS slot, COUNT(*) AS count FROM messages \
                 WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY 1, 2",
                slot(backend, "occurred_at")
            ),
            format!(
                "SELECT CASE WHEN bounce THEN 'bounced' WHEN success THEN 'delivered' ELSE 'failed' END AS label, \
                 {} AS slot, COUNT(*) AS count FROM delivery_statuses \
                 WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1, 2",
                slot(backend, "reported_at")
            ),
            format!(
                "SELECT kind AS label, {} AS slot, COUNT(*) AS count FROM events \
                 WHERE received_at >= $1 AND received_at < $2 AND kind IN ('unsubscribe', 'contact-status', 'rejection') \
                 GROUP BY 1, 2",
                slot(backend, "received_at")
            ),
        ];
        let mut rows: Vec<StatsRow> = edges
            .windows(2)
            .map(|pair| StatsRow {
                start: pair[0],
                end: pair[1],
                ..StatsRow::default()
            })
            .collect();
        let slot_starts: Vec<i64> = edges
            .iter()
            .map(|edge| edge.timestamp() / SLOT_SECONDS)
            .collect();
        let mut totals: HashMap<(String, usize), u64> = HashMap::new();
        for sql in queries {
            let sql = match backend {
                DbBackend::Postgres => sql,
                _ => sql.replace("$1", "?").replace("$2", "?"),
            };
            let statement =
                Statement::from_sql_and_values(backend, sql, [first.into(), last.into()]);
            for count in SlotCount::find_by_statement(statement)
                .all(&self.db)
                .await?
            {
                // The bucket whose first slot is the last one not after this slot.
                let index = slot_starts.partition_point(|start| *start <= count.slot);
                if index == 0 || index > rows.len() {
                    continue;
                }
                *totals.entry((count.label, index - 1)).or_default() += count.count.max(0) as u64;
            }
        }
        for ((label, index), count) in totals {
            let row = &mut rows[index];
            match label.as_str() {
                "inbound" => row.inbound += count,
                "outbound" => row.outbound += count,
                "delivered" => row.delivered += count,
                "failed" => row.failed += count,
                "bounced" => {
                    row.bounced += count;
                    row.failed += count;
                }
                "unsubscribe" => row.unsubscribed += count,
                "contact-status" => row.contact_status_changes += count,
                "rejection" => row.rejections += count,
                _ => {}
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    #[test]
    fn days_follow_local_midnight_across_dst() {
        let zone: Tz = "America/New_York".parse().expect("zone");
        let days = edges(
            at("2024-03-09T12:00:00Z"),
            at("2024-03-11T12:00:00Z"),
            Bucket::Day,
            zone,
        )
        .expect("edges");
        assert_eq!(
            days,
            [
                at("2024-03-09T05:00:00Z"),
                at("2024-03-10T05:00:00Z"),
                at("2024-03-11T04:00:00Z"),
                at("2024-03-12T04:00:00Z")
            ]
        );
    }

    #[test]
    fn hours_in_a_half_hour_zone_start_on_the_half_hour() {
        let zone: Tz = "Asia/Kolkata".parse().expect("zone");
        let hours = edges(
            at("2024-01-01T00:10:00Z"),
            at("2024-01-01T01:00:00Z"),
            Bucket::Hour,
            zone,
        )
        .expect("edges");
        assert_eq!(
            hours,
            [
                at("2023-12-31T23:30:00Z"),
                at("2024-01-01T00:30:00Z"),
                at("2024-01-01T01:30:00Z")
            ]
        );
    }

    #[test]
    fn too_many_buckets_are_refused_with_what_to_change() {
        let refusal = |from, to, bucket| match edges(at(from), at(to), bucket, chrono_tz::UTC) {
            Err(ReadError::Invalid(message)) => message,
            other => panic!("{other:?}"),
        };
        let hours = refusal("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", Bucket::Hour);
        assert!(hours.contains("or for DAY buckets"), "{hours}");
        let days = refusal("2000-01-01T00:00:00Z", "2010-01-01T00:00:00Z", Bucket::Day);
        assert!(!days.contains("DAY buckets"), "{days}");
        assert!(days.contains("shorter range"), "{days}");
    }
}
