//! The dashboard's own queries on the vendor's examples, and what nesting costs in statements.

use serde_json::json;

use crate::support::{Backend, KINDS, TestApp, spawn_app, vendor_example};

on_every_store!(
    vendor_examples_answer_the_dashboard_queries,
    nesting_costs_a_bounded_number_of_statements,
    a_contact_page_reads_each_level_once,
    a_page_reads_the_objects_its_rows_name_in_its_own_statement,
);

async fn vendor_examples_answer_the_dashboard_queries(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut receipts = Vec::new();
    for kind in KINDS {
        receipts.push(app.deliver(kind, vendor_example(kind)).await);
    }
    let data = app
        .query(
            "query($id: ID!) {
                totals { contacts subscribed unsubscribed bounced }
                contacts(first: 50, orderBy: PHONE_ASC) { totalCount nodes { phone subscribed bounces carrierStatus } }
                inbox: messages(first: 50, filter: {direction: INBOUND}) { nodes { body shortCode contact { phone } } }
                deliveryStatuses(first: 50, filter: {code: \"100\"}) { nodes { recipient message { body from } } }
                event(id: $id) { position kind contact { id } }
            }",
            json!({"id": receipts[0].event_id}),
        )
        .await;
    assert_eq!(
        data["totals"],
        json!({"contacts": 1, "subscribed": 0, "unsubscribed": 1, "bounced": 1})
    );
    assert_eq!(
        data["contacts"],
        json!({"totalCount": 1, "nodes": [{"phone": "+19999999999", "subscribed": false, "bounces": 2, "carrierStatus": "deactivated"}]})
    );
    assert_eq!(
        data["inbox"]["nodes"],
        json!([{"body": "This is an example message", "shortCode": "64600", "contact": {"phone": "+19999999999"}}])
    );
    assert_eq!(
        data["deliveryStatuses"]["nodes"],
        json!([{"recipient": "+19999999999", "message": {"body": "This is an example message", "from": "+15555555555"}}])
    );
    assert_eq!(
        data["event"],
        json!({"position": "1", "kind": "INBOUND_MESSAGE", "contact": {"id": "f82e541a-a4b1-11e8-a85f-127fd0971098"}})
    );
}

async fn nesting_costs_a_bounded_number_of_statements(backend: Backend) {
    let app = spawn_app(backend).await;
    const NESTED: &str = "query($first: Int) {
        contacts(first: $first, orderBy: PHONE_ASC) {
            nodes { id phone messages(first: 5) { nodes { body deliveryStatuses { code message { id } } contact { id } } } events(first: 2) { nodes { kind contact { id } } } }
        }
    }";
    let mut cost = Vec::new();
    for size in [5, 20] {
        seed_contacts_with_messages(&app, size).await;
        let before = app.statements().await;
        let data = app.query(NESTED, json!({"first": size})).await;
        cost.push(app.statements().await - before);
        let contacts = data["contacts"]["nodes"].as_array().expect("nodes");
        assert_eq!(contacts.len(), size);
        assert_eq!(
            contacts[0]["messages"]["nodes"]
                .as_array()
                .expect("messages")
                .len(),
            2
        );
    }
    assert_eq!(
        cost[0], cost[1],
        "the statements do not grow with the page: {cost:?}"
    );
    // The answer cache's version read, then at most eight reads for the data.
    assert!(cost[1] <= 9, "a bounded handful of statements: {cost:?}");
}

async fn a_contact_page_reads_each_level_once(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_contacts_with_messages(&app, 3).await;
    const PAGE: &str = "query($phone: String!) {
        contact(phone: $phone) { id messages(first: 10) { nodes { body deliveryStatuses { code recipient } } } }
    }";
    let before = app.statements().await;
    // Any format: the phone is normalized before the contact and its messages are read.
    let data = app.query(PAGE, json!({"phone": "(303) 003-0001"})).await;
    let cost = app.statements().await - before;
    assert_eq!(data["contact"]["id"], "c-3-1");
    let messages = data["contact"]["messages"]["nodes"]
        .as_array()
        .expect("messages");
    assert_eq!(messages.len(), 2, "{messages:?}");
    let statuses: Vec<&serde_json::Value> = messages
        .iter()
        .flat_map(|m| m["deliveryStatuses"].as_array().expect("statuses"))
        .collect();
    assert_eq!(
        statuses,
        [&json!({"code": "100", "recipient": "+13030030001"})]
    );
    // The answer cache's version read, the contact and its messages side by side, then the
    // statuses of those messages.
    assert!(cost <= 4, "one read per level: {cost}");

    let data = app.query(PAGE, json!({"phone": "+13039999999"})).await;
    assert_eq!(data["contact"], serde_json::Value::Null);
}

async fn a_page_reads_the_objects_its_rows_name_in_its_own_statement(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_contacts_with_messages(&app, 4).await;
    const INBOUND: &str = "query($after: String) {
        messages(first: 3, filter: {direction: INBOUND}, after: $after) {
            nodes { body contact { id phone } } pageInfo { endCursor hasNextPage }
        }
    }";
    let before = app.statements().await;
    let first = app.query(INBOUND, json!({})).await;
    // The answer cache's version read, then the page with its contacts.
    let cost = app.statements().await - before;
    assert!(
        cost <= 2,
        "one statement for the page and its contacts: {cost}"
    );
    let cursor = first["messages"]["pageInfo"]["endCursor"].clone();
    assert_eq!(first["messages"]["pageInfo"]["hasNextPage"], true);
    let second = app.query(INBOUND, json!({"after": cursor})).await;
    let contacts: Vec<&serde_json::Value> = [&first, &second]
        .into_iter()
        .flat_map(|page| page["messages"]["nodes"].as_array().expect("nodes"))
        .map(|node| &node["contact"])
        .collect();
    let mut ids: Vec<&str> = contacts
        .iter()
        .map(|c| {
            c["id"]
                .as_str()
                .expect("every inbound message has its contact")
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["c-4-0", "c-4-1", "c-4-2", "c-4-3"],
        "no row twice, none lost"
    );
    for contact in contacts {
        let id = contact["id"].as_str().unwrap_or_default();
        let i = id.trim_start_matches("c-4-");
        assert_eq!(contact["phone"], format!("+13030040{i:0>3}"), "{contact}");
    }

    const REPORTED: &str = "{
        deliveryStatuses(first: 10, filter: {code: \"100\"}) { nodes { recipient message { id body } } }
    }";
    let before = app.statements().await;
    let data = app.query(REPORTED, json!({})).await;
    let cost = app.statements().await - before;
    assert!(
        cost <= 2,
        "one statement for the page and its messages: {cost}"
    );
    let nodes = data["deliveryStatuses"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 4);
    for node in nodes {
        let recipient = node["recipient"].as_str().expect("a recipient");
        let i = &recipient[recipient.len() - 1..];
        assert_eq!(
            node["message"],
            json!({"id": format!("out-4-{i}"), "body": "offer"})
        );
    }
}

/// Contacts c-{n}-{i} for i < n, each with an inbound reply and an outbound message reported
/// delivered.
async fn seed_contacts_with_messages(app: &TestApp, n: usize) {
    for i in 0..n {
        let phone = format!("+1303{n:03}{i:04}");
        let inbound = json!({
            "id": format!("c-{n}-{i}"),
            "phone_number": phone,
            "message": "hi",
            "updated_at": "2024-03-01T00:00:00Z",
            "received_at": "2024-03-01T00:00:00Z"
        });
        app.deliver("inbound-message", inbound.to_string()).await;
        let report = json!({
            "statuses": [{"code": "100", "status": "ok", "recipients": [phone], "success": true}],
            "messages": [{"id": format!("out-{n}-{i}"), "message": "offer", "phone_number": phone}]
        });
        app.deliver("delivery-report", report.to_string()).await;
    }
}
