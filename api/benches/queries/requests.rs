//! What each request of a run carries: the variables of the answer both servers are compared
//! on, then a body per request number ([`Bodies`]).

use std::sync::Arc;

use anyhow::Context;
use serde_json::{Value, json};

use crate::dashboard::{self, Dashboard, Probe, Vary};
use crate::load::{self, Bodies};
use crate::seed::Size;

/// Pages of (a), (b) and (c) that `--vary` spreads the requests over.
const PAGES: usize = 200;

/// The variables of the answer checked and compared between the servers.
pub fn first_variables(dashboard: &Dashboard, size: Size) -> Value {
    match dashboard.vary {
        Vary::Page => json!({}),
        Vary::Phone => json!({ "phone": dashboard::phone_of(size.contacts / 2) }),
    }
}

/// What the requests of a run carry: for the contact page, contact `n × 7919 mod contacts` on
/// request `n` (no contact twice in `contacts` requests); with `--vary`, the first [`PAGES`]
/// pages in turn; else the first page every time.
pub async fn bodies(
    client: &reqwest::Client,
    url: &str,
    dashboard: &Dashboard,
    probe: &'static Probe,
    vary: bool,
    size: Size,
) -> anyhow::Result<Bodies> {
    match (dashboard.vary, probe.cursors) {
        (Vary::Phone, _) => {
            let contacts = size.contacts as u64;
            Ok(Arc::new(move |n| {
                let contact = (n.wrapping_mul(7919) % contacts) as i64 + 1;
                let variables = json!({ "phone": dashboard::phone_of(contact) });
                load::request_with(probe.query, &variables)
            }))
        }
        (Vary::Page, Some((paging, _))) if vary => {
            let mut bodies = vec![load::request_with(probe.query, &json!({}))];
            let mut after = Value::Null;
            while bodies.len() < PAGES {
                let page = load::answer(
                    client,
                    url,
                    &load::request_with(paging, &json!({ "after": after })),
                )
                .await?;
                let cursor = dashboard::end_cursor(probe, &page)
                    .with_context(|| format!("no endCursor in {page}"))?;
                bodies.push(load::request_with(probe.query, &json!({ "after": cursor })));
                after = Value::String(cursor);
            }
            Ok(load::in_turn(bodies))
        }
        (Vary::Page, _) => Ok(load::same(load::request_with(probe.query, &json!({})))),
    }
}
