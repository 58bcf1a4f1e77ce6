//! The dashboard queries, as mobiniti-events and as PostGraphile spell them, the variables each
//! request may carry, and the check of a first answer. PostGraphile derives its names from the
//! tables, columns and foreign keys (`allMessages`, `contactByContactId`); it orders by the
//! primary key after the given order, mobiniti-events by `id` in the order's direction, which
//! picks the same rows here since no two seeded rows share a time.

use anyhow::{Context, ensure};
use serde_json::Value;

/// One query as one server spells it: its text, where its list of nodes is, the nested object
/// or list every node must carry, and the node field that names a row (to compare the two
/// servers).
#[derive(Debug)]
pub struct Probe {
    pub query: &'static str,
    /// The path from `data` to the list of nodes.
    nodes: &'static [&'static str],
    nested: Option<&'static str>,
    key: &'static str,
    /// The query that pages through the same list, selecting `pageInfo { endCursor }`, for
    /// requests that each start after another page (`$after`).
    pub cursors: Option<(&'static str, &'static [&'static str])>,
}

/// What the requests of one query vary in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vary {
    /// The page: `$after`, a cursor of the server's own, of one of the first pages (`--vary`).
    Page,
    /// The contact: `$phone`, a different seeded contact on every request (always).
    Phone,
}

#[derive(Debug)]
pub struct Dashboard {
    pub name: &'static str,
    pub ours: Probe,
    pub postgraphile: Probe,
    pub vary: Vary,
    /// The number of nodes a first answer has.
    pub nodes: usize,
}

/// The four queries, (a) to (d), in our schema and in PostGraphile's.
pub static DASHBOARD: [Dashboard; 4] = [
    Dashboard {
        name: "(a) contacts by phone + totalCount",
        ours: Probe {
            query: "query ($after: String) { contacts(first: 50, orderBy: PHONE_ASC, after: $after) { totalCount nodes { id phone } } }",
            nodes: &["contacts", "nodes"],
            nested: None,
            key: "id",
            cursors: Some((
                "query ($after: String) { contacts(first: 50, orderBy: PHONE_ASC, after: $after) { pageInfo { endCursor } } }",
                &["contacts", "pageInfo", "endCursor"],
            )),
        },
        postgraphile: Probe {
            query: "query ($after: Cursor) { allContacts(first: 50, orderBy: PHONE_ASC, after: $after) { totalCount nodes { id phone } } }",
            nodes: &["allContacts", "nodes"],
            nested: None,
            key: "id",
            cursors: Some((
                "query ($after: Cursor) { allContacts(first: 50, orderBy: PHONE_ASC, after: $after) { pageInfo { endCursor } } }",
                &["allContacts", "pageInfo", "endCursor"],
            )),
        },
        vary: Vary::Page,
        nodes: 50,
    },
    Dashboard {
        name: "(b) latest inbound messages + contact",
        ours: Probe {
            query: "query ($after: String) { messages(first: 50, filter: {direction: INBOUND}, after: $after) { nodes { id body occurredAt contact { phone } } } }",
            nodes: &["messages", "nodes"],
            nested: Some("contact"),
            key: "id",
            cursors: Some((
                "query ($after: String) { messages(first: 50, filter: {direction: INBOUND}, after: $after) { pageInfo { endCursor } } }",
                &["messages", "pageInfo", "endCursor"],
            )),
        },
        postgraphile: Probe {
            query: "query ($after: Cursor) { allMessages(first: 50, condition: {direction: \"inbound\"}, orderBy: OCCURRED_AT_DESC, after: $after) { nodes { id body occurredAt contactByContactId { phone } } } }",
            nodes: &["allMessages", "nodes"],
            nested: Some("contactByContactId"),
            key: "id",
            cursors: Some((
                "query ($after: Cursor) { allMessages(first: 50, condition: {direction: \"inbound\"}, orderBy: OCCURRED_AT_DESC, after: $after) { pageInfo { endCursor } } }",
                &["allMessages", "pageInfo", "endCursor"],
            )),
        },
        vary: Vary::Page,
        nodes: 50,
    },
    Dashboard {
        name: "(c) statuses with code 100 + message",
        ours: Probe {
            query: "query ($after: String) { deliveryStatuses(first: 50, filter: {code: \"100\"}, after: $after) { nodes { recipient message { body } } } }",
            nodes: &["deliveryStatuses", "nodes"],
            nested: Some("message"),
            key: "recipient",
            cursors: Some((
                "query ($after: String) { deliveryStatuses(first: 50, filter: {code: \"100\"}, after: $after) { pageInfo { endCursor } } }",
                &["deliveryStatuses", "pageInfo", "endCursor"],
            )),
        },
        postgraphile: Probe {
            query: "query ($after: Cursor) { allDeliveryStatuses(first: 50, condition: {code: \"100\"}, orderBy: REPORTED_AT_DESC, after: $after) { nodes { recipient messageByMessageId { body } } } }",
            nodes: &["allDeliveryStatuses", "nodes"],
            nested: Some("messageByMessageId"),
            key: "recipient",
            cursors: Some((
                "query ($after: Cursor) { allDeliveryStatuses(first: 50, condition: {code: \"100\"}, orderBy: REPORTED_AT_DESC, after: $after) { pageInfo { endCursor } } }",
                &["allDeliveryStatuses", "pageInfo", "endCursor"],
            )),
        },
        vary: Vary::Page,
        nodes: 50,
    },
    // A contact opened from a search: the contact, then its ten latest messages (to and from
    // its phone) with their delivery statuses. PostGraphile has no relation by phone (outbound
    // messages carry no contact id), so it reads the messages as a second root field.
    Dashboard {
        name: "(d) contact page: a random phone + 10 messages + statuses",
        ours: Probe {
            query: "query ($phone: String!) { contact(phone: $phone) { id phone firstName messages(first: 10) { nodes { id body occurredAt deliveryStatuses { code recipient } } } } }",
            nodes: &["contact", "messages", "nodes"],
            nested: Some("deliveryStatuses"),
            key: "id",
            cursors: None,
        },
        postgraphile: Probe {
            query: "query ($phone: String!) { allContacts(condition: {phone: $phone}) { nodes { id phone firstName } } allMessages(condition: {phone: $phone}, first: 10, orderBy: OCCURRED_AT_DESC) { nodes { id body occurredAt deliveryStatusesByMessageId { nodes { code recipient } } } } }",
            nodes: &["allMessages", "nodes"],
            nested: Some("deliveryStatusesByMessageId"),
            key: "id",
            cursors: None,
        },
        vary: Vary::Phone,
        nodes: 10,
    },
];

impl Dashboard {
    /// The letter in its name: `(a) …` is `a`.
    pub fn letter(&self) -> char {
        self.name.chars().nth(1).unwrap_or('?')
    }
}

/// The first answer has the nodes expected, each with its nested object, and the right
/// `totalCount`; returns the rows it names.
pub fn check(
    dashboard: &Dashboard,
    probe: &Probe,
    data: &Value,
    contacts: i64,
) -> anyhow::Result<Vec<String>> {
    let nodes = at(data, probe.nodes)
        .as_array()
        .context("no `nodes` list")?;
    ensure!(
        nodes.len() == dashboard.nodes,
        "{} nodes, not {}",
        nodes.len(),
        dashboard.nodes
    );
    if let Some(total) = at(data, &probe.nodes[..1]).get("totalCount") {
        ensure!(total.as_i64() == Some(contacts), "totalCount {total}");
    }
    if let Some(nested) = probe.nested {
        ensure!(
            nodes
                .iter()
                .all(|node| node[nested].is_object() || node[nested].is_array()),
            "a node has no `{nested}`"
        );
    }
    nodes
        .iter()
        .map(|node| node[probe.key].as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .with_context(|| format!("a node has no `{}`", probe.key))
}

/// The cursor a paging answer ends on.
pub fn end_cursor(probe: &Probe, data: &Value) -> Option<String> {
    let (_, path) = probe.cursors?;
    at(data, path).as_str().map(str::to_owned)
}

fn at<'a>(data: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(data, |value, key| &value[*key])
}

/// The phone of seeded contact `n` (1-based), as `seed` writes it.
pub fn phone_of(n: i64) -> String {
    format!("+1202{}", 2_000_000 + (n * 7919) % 7_000_000)
}
