//! The three dashboard queries, as mobiniti-events and as PostGraphile spell them, and the check
//! of a first answer. PostGraphile derives its names from the tables, columns and foreign keys
//! (`allMessages`, `contactByContactId`); it orders by the primary key after the given order,
//! mobiniti-events by `id` in the order's direction, which picks the same rows here since no
//! two seeded rows share a time.

use anyhow::{Context, ensure};
use serde_json::Value;

/// One query as one server spells it: its text, the connection it reads, the nested object
/// every node must carry, and the node field that names a row (to compare the two servers).
#[derive(Debug)]
pub struct Probe {
    pub query: &'static str,
    root: &'static str,
    nested: Option<&'static str>,
    key: &'static str,
}

#[derive(Debug)]
pub struct Dashboard {
    pub name: &'static str,
    pub ours: Probe,
    pub postgraphile: Probe,
}

/// The three queries, (a) to (c), in our schema and in PostGraphile's.
pub const DASHBOARD: [Dashboard; 3] = [
    Dashboard {
        name: "(a) contacts by phone + totalCount",
        ours: Probe {
            query: "{ contacts(first: 50, orderBy: PHONE_ASC) { totalCount nodes { id phone } } }",
            root: "contacts",
            nested: None,
            key: "id",
        },
        postgraphile: Probe {
            query: "{ allContacts(first: 50, orderBy: PHONE_ASC) { totalCount nodes { id phone } } }",
            root: "allContacts",
            nested: None,
            key: "id",
        },
    },
    Dashboard {
        name: "(b) latest inbound messages + contact",
        ours: Probe {
            query: "{ messages(first: 50, filter: {direction: INBOUND}) { nodes { id body occurredAt contact { phone } } } }",
            root: "messages",
            nested: Some("contact"),
            key: "id",
        },
        postgraphile: Probe {
            query: "{ allMessages(first: 50, condition: {direction: \"inbound\"}, orderBy: OCCURRED_AT_DESC) { nodes { id body occurredAt contactByContactId { phone } } } }",
            root: "allMessages",
            nested: Some("contactByContactId"),
            key: "id",
        },
    },
    Dashboard {
        name: "(c) statuses with code 100 + message",
        ours: Probe {
            query: "{ deliveryStatuses(first: 50, filter: {code: \"100\"}) { nodes { recipient message { body } } } }",
            root: "deliveryStatuses",
            nested: Some("message"),
            key: "recipient",
        },
        postgraphile: Probe {
            query: "{ allDeliveryStatuses(first: 50, condition: {code: \"100\"}, orderBy: REPORTED_AT_DESC) { nodes { recipient messageByMessageId { body } } } }",
            root: "allDeliveryStatuses",
            nested: Some("messageByMessageId"),
            key: "recipient",
        },
    },
];

/// The first answer has 50 nodes, each with its nested object, and the right `totalCount`;
/// returns the rows it names.
pub fn check(probe: &Probe, data: &Value, contacts: i64) -> anyhow::Result<Vec<String>> {
    let connection = &data[probe.root];
    let nodes = connection["nodes"].as_array().context("no `nodes` list")?;
    ensure!(nodes.len() == 50, "{} nodes, not 50", nodes.len());
    if let Some(total) = connection.get("totalCount") {
        ensure!(total.as_i64() == Some(contacts), "totalCount {total}");
    }
    if let Some(nested) = probe.nested {
        ensure!(
            nodes.iter().all(|node| node[nested].is_object()),
            "a node has no `{nested}`"
        );
    }
    nodes
        .iter()
        .map(|node| node[probe.key].as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .with_context(|| format!("a node has no `{}`", probe.key))
}
