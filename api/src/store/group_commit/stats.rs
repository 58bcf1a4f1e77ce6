//! What the group commit has done so far, counted where it happens and read by `/metrics` at
//! scrape time: the store knows nothing of how (or whether) the counts are published.

use std::sync::atomic::{AtomicU64, Ordering};

/// The upper bounds of the batch-size buckets: 1 to 4,096 deliveries in one transaction,
/// doubling; a larger batch counts in a last, unbounded bucket.
pub const BATCH_SIZE_BOUNDS: [u64; 13] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// The counts, updated by the committing task; shared with every handle of the queue.
#[derive(Debug, Default)]
pub(super) struct CommitStats {
    appended: AtomicU64,
    deliveries: AtomicU64,
    /// Transactions by size, one per bound of [`BATCH_SIZE_BOUNDS`] and a last one above them.
    batches: [AtomicU64; BATCH_SIZE_BOUNDS.len() + 1],
}

impl CommitStats {
    /// One transaction, holding `size` deliveries of which `written` were new events.
    pub(super) fn commit(&self, size: usize, written: usize) {
        let size = u64::try_from(size).unwrap_or(u64::MAX);
        let bucket = BATCH_SIZE_BOUNDS
            .iter()
            .position(|bound| size <= *bound)
            .unwrap_or(BATCH_SIZE_BOUNDS.len());
        self.batches[bucket].fetch_add(1, Ordering::Relaxed);
        self.deliveries.fetch_add(size, Ordering::Relaxed);
        self.appended.fetch_add(
            u64::try_from(written).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(super) fn counts(&self) -> CommitCounts {
        CommitCounts {
            appended: self.appended.load(Ordering::Relaxed),
            deliveries: self.deliveries.load(Ordering::Relaxed),
            batches: self
                .batches
                .each_ref()
                .map(|batches| batches.load(Ordering::Relaxed)),
        }
    }
}

/// The group commit's counts at one moment, since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitCounts {
    /// Events written to the log (redeliveries not included).
    pub appended: u64,
    /// Deliveries in all the transactions, new or not.
    pub deliveries: u64,
    /// Transactions by size: `batches[i]` held at most `BATCH_SIZE_BOUNDS[i]` deliveries (and
    /// more than the bound before it); the last, more than every bound.
    pub batches: [u64; BATCH_SIZE_BOUNDS.len() + 1],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_transaction_counts_in_the_smallest_bucket_that_holds_it() {
        let stats = CommitStats::default();
        stats.commit(1, 1);
        stats.commit(3, 2);
        stats.commit(4, 0);
        stats.commit(5000, 5000);
        let counts = stats.counts();
        assert_eq!(counts.appended, 5003);
        assert_eq!(counts.deliveries, 5008);
        assert_eq!(&counts.batches[..4], &[1, 0, 2, 0]);
        assert_eq!(counts.batches[BATCH_SIZE_BOUNDS.len()], 1);
        assert_eq!(counts.batches.iter().sum::<u64>(), 4);
    }
}
