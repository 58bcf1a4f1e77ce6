//! The values read at scrape time from where they already live, rather than mirrored into
//! instruments on every change.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::auth_guard::Surface;
use crate::store::PoolUsage;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SurfaceLabels {
    surface: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// A snapshot of the values, taken when a scrape starts.
#[derive(Debug)]
pub(super) struct Current {
    pool: PoolUsage,
    statements: u64,
    groups: usize,
    departures: u64,
    webhook_auth_failures: u64,
    graphql_auth_failures: u64,
    auth_limited: u64,
}

impl Current {
    pub(super) fn of(state: &super::Sources) -> Self {
        let groups = state.live.groups();
        Self {
            pool: state.store.pool_usage(),
            statements: state.store.statements_executed(),
            groups: groups.running(),
            departures: groups.departures(),
            webhook_auth_failures: state.auth_guard.failures(Surface::Webhook),
            graphql_auth_failures: state.auth_guard.failures(Surface::GraphQl),
            auth_limited: state.auth_guard.limited(),
        }
    }
}

impl Collector for Current {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let in_use = self.pool.size.saturating_sub(self.pool.idle);
        gauges(
            &mut encoder,
            "mobiniti_store_connections",
            "Connections of the store's pool: open and in use, open and idle, and the most allowed \
             (--store-max-connections)",
            &[
                (PoolLabels { state: "in_use" }, in_use),
                (PoolLabels { state: "idle" }, self.pool.idle),
                (PoolLabels { state: "max" }, self.pool.max),
            ],
        )?;
        counter(
            &mut encoder,
            "mobiniti_store_statements",
            "SQL statements sent to the store",
            self.statements,
        )?;
        let groups = ConstGauge::new(i64::try_from(self.groups).unwrap_or(i64::MAX));
        groups.encode(encoder.encode_descriptor(
            "mobiniti_subscription_groups",
            "Executions shared by identical live subscriptions",
            None,
            groups.metric_type(),
        )?)?;
        counter(
            &mut encoder,
            "mobiniti_subscription_group_departures",
            "Subscribers that fell behind their shared execution and went on alone",
            self.departures,
        )?;
        let failures = [
            (
                SurfaceLabels { surface: "webhook" },
                self.webhook_auth_failures,
            ),
            (
                SurfaceLabels { surface: "graphql" },
                self.graphql_auth_failures,
            ),
        ];
        let mut family = encoder.encode_descriptor(
            "mobiniti_auth_failures",
            "Requests answered 401: a wrong or missing webhook token or API key",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for (labels, value) in &failures {
            ConstCounter::new(*value).encode(family.encode_family(labels)?)?;
        }
        counter(
            &mut encoder,
            "mobiniti_auth_limited",
            "Requests answered 429 after too many failed authentications from their address",
            self.auth_limited,
        )
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauges(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &[(PoolLabels, u32)],
) -> Result<(), std::fmt::Error> {
    let mut family =
        encoder.encode_descriptor(name, help, None, ConstGauge::new(0i64).metric_type())?;
    for (labels, value) in values {
        ConstGauge::new(i64::from(*value)).encode(family.encode_family(labels)?)?;
    }
    Ok(())
}
