//! The group commit's counts, which the store keeps ([`crate::store::CommitCounts`]), published
//! as a counter of new events and a histogram of transaction sizes.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::registry::Registry;

use crate::store::{BATCH_SIZE_BOUNDS, CommitCounts};

/// Adds the counts, as they are now, to a scrape.
pub(super) fn register(registry: &mut Registry, counts: CommitCounts) {
    registry.register(
        "mobiniti_events_appended",
        "Events written to the log by this process (redeliveries not included)",
        ConstCounter::new(counts.appended),
    );
    registry.register(
        "mobiniti_commit_batch_size",
        "Deliveries per group-commit transaction",
        BatchSizes(counts),
    );
}

/// The transactions by size, encoded as a histogram with the store's bounds as buckets.
#[derive(Debug)]
struct BatchSizes(CommitCounts);

impl EncodeMetric for BatchSizes {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = BATCH_SIZE_BOUNDS
            .iter()
            .map(|bound| *bound as f64)
            .chain(std::iter::once(f64::INFINITY));
        let buckets: Vec<(f64, u64)> = bounds.zip(self.0.batches).collect();
        let count = self.0.batches.iter().sum();
        encoder.encode_histogram::<NoLabelSet>(self.0.deliveries as f64, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}
