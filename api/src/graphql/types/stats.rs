//! `stats`: counts per hour or day for charts, in the client's time zone.

use async_graphql::{Enum, SimpleObject};

use crate::graphql::scalars::DateTime;
use crate::store::{Bucket, StatsRow};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBucket {
    Hour,
    Day,
}

impl From<StatsBucket> for Bucket {
    fn from(bucket: StatsBucket) -> Self {
        match bucket {
            StatsBucket::Hour => Self::Hour,
            StatsBucket::Day => Self::Day,
        }
    }
}

/// The counts of one bucket, from `start` (included) to `end` (excluded).
#[derive(SimpleObject, Debug)]
pub struct Stats {
    pub start: DateTime,
    pub end: DateTime,
    /// Texts received from contacts.
    pub inbound: i32,
    /// Outbound messages first reported in the bucket.
    pub outbound: i32,
    /// Delivery statuses reported successful.
    pub delivered: i32,
    /// Delivery statuses reported unsuccessful (bounces included).
    pub failed: i32,
    /// Delivery statuses flagged as bounces.
    pub bounced: i32,
    pub unsubscribed: i32,
    pub contact_status_changes: i32,
    pub rejections: i32,
    /// `delivered / (delivered + failed)`; none when nothing was reported.
    pub delivery_rate: Option<f64>,
}

fn int(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl From<StatsRow> for Stats {
    fn from(row: StatsRow) -> Self {
        let reported = row.delivered + row.failed;
        Self {
            start: DateTime(row.start),
            end: DateTime(row.end),
            inbound: int(row.inbound),
            outbound: int(row.outbound),
            delivered: int(row.delivered),
            failed: int(row.failed),
            bounced: int(row.bounced),
            unsubscribed: int(row.unsubscribed),
            contact_status_changes: int(row.contact_status_changes),
            rejections: int(row.rejections),
            delivery_rate: (reported > 0).then(|| row.delivered as f64 / reported as f64),
        }
    }
}
