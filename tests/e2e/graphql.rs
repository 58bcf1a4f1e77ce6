//! The GraphQL queries a dashboard runs, through HTTP: pagination, filters, nesting.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, spawn_app, vendor_example};

on_every_store!(
    contacts_page_forwards_and_backwards_with_stable_cursors,
    an_empty_result_is_an_empty_connection,
    contacts_filter_by_phone_in_any_format_and_by_their_fields,
    the_inbox_keeps_replies_apart_from_keywords,
    delivery_statuses_and_events_filter_and_nest,
    page_sizes_past_the_cap_are_refused_with_a_reason,
);

/// Seeds `count` contacts, phones +1202555000{i}, with names and statuses that vary.
async fn seed_contacts(app: &TestApp, count: usize) {
    for i in 0..count {
        let body = json!({
            "id": format!("c{i:02}"),
            "first_name": if i % 2 == 0 { "Ada" } else { "Grace" },
            "last_name": format!("Person {i}"),
            "email": format!("person{i}@Example.com"),
            "phone_number": format!("202555{i:04}"),
            "status": if i % 3 == 0 { "suspended" } else { "resumed" },
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": format!("2024-01-{:02}T00:00:00Z", i + 1)
        });
        app.deliver("contact-status", body.to_string()).await;
    }
}

const CONTACT_PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    contacts(first: $first, after: $after, last: $last, before: $before, orderBy: PHONE_ASC) {
        totalCount
        edges { cursor node { id phone } }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}";

fn ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn contacts_page_forwards_and_backwards_with_stable_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_contacts(&app, 7).await;

    let first = app.query(CONTACT_PAGE, json!({"first": 3})).await["contacts"].clone();
    assert_eq!(first["totalCount"], 7);
    assert_eq!(ids(&first), ["c00", "c01", "c02"]);
    assert_eq!(first["edges"][0]["node"]["phone"], "+12025550000");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);

    let second = app
        .query(
            CONTACT_PAGE,
            json!({"first": 3, "after": first["pageInfo"]["endCursor"]}),
        )
        .await["contacts"]
        .clone();
    assert_eq!(ids(&second), ["c03", "c04", "c05"]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    let last_page = app
        .query(
            CONTACT_PAGE,
            json!({"first": 3, "after": second["pageInfo"]["endCursor"]}),
        )
        .await["contacts"]
        .clone();
    assert_eq!(ids(&last_page), ["c06"]);
    assert_eq!(last_page["pageInfo"]["hasNextPage"], false);

    let tail = app.query(CONTACT_PAGE, json!({"last": 2})).await["contacts"].clone();
    assert_eq!(
        ids(&tail),
        ["c05", "c06"],
        "backwards pages keep the forward order"
    );
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let before = app
        .query(
            CONTACT_PAGE,
            json!({"last": 2, "before": tail["pageInfo"]["startCursor"]}),
        )
        .await["contacts"]
        .clone();
    assert_eq!(ids(&before), ["c03", "c04"]);
    assert_eq!(before["pageInfo"]["hasNextPage"], true);

    // A cursor of another ordering is refused rather than silently misread.
    let other = app
        .graphql(
            "query($after: String) { contacts(first: 1, after: $after, orderBy: UPDATED_AT_DESC) { nodes { id } } }",
            json!({"after": first["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{other}"
    );
}

async fn an_empty_result_is_an_empty_connection(backend: Backend) {
    let app = spawn_app(backend).await;
    let data = app
        .query(
            "{ contacts(filter: {phone: \"+12025559999\"}) { totalCount edges { cursor } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["contacts"],
        json!({"totalCount": 0, "edges": [], "nodes": [], "pageInfo": {"hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null}})
    );
}

async fn contacts_filter_by_phone_in_any_format_and_by_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_contacts(&app, 6).await;
    let count = |filter: Value| {
        let app = &app;
        async move {
            app.query(
                "query($filter: ContactFilter) { contacts(filter: $filter) { totalCount nodes { id } } }",
                json!({ "filter": filter }),
            )
            .await["contacts"]
                .clone()
        }
    };
    for phone in [
        "+12025550004",
        "12025550004",
        "2025550004",
        "(202) 555-0004",
    ] {
        assert_eq!(
            ids(&count(json!({"phone": phone})).await),
            ["c04"],
            "{phone}"
        );
    }
    assert_eq!(
        count(json!({"carrierStatus": "suspended"})).await["totalCount"],
        2
    );
    assert_eq!(count(json!({"search": "GRACE"})).await["totalCount"], 3);
    assert_eq!(
        count(json!({"search": "person5@example"})).await["totalCount"],
        1
    );
    assert_eq!(
        count(json!({"updatedFrom": "2024-01-02T00:00:00Z", "updatedTo": "2024-01-04T00:00:00Z"}))
            .await["totalCount"],
        2
    );
    assert_eq!(
        count(json!({"subscribed": true, "search": "ada"})).await["totalCount"],
        3
    );

    let one = app
        .query(
            "{ byPhone: contact(phone: \"202-555-0003\") { id carrierStatus } byId: contact(id: \"c01\") { phone } missing: contact(id: \"nope\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        one["byPhone"],
        json!({"id": "c03", "carrierStatus": "suspended"})
    );
    assert_eq!(one["byId"]["phone"], "+12025550001");
    assert_eq!(one["missing"], Value::Null);
}

async fn the_inbox_keeps_replies_apart_from_keywords(backend: Backend) {
    let app = spawn_app_with_keywords(backend).await;
    for (i, text) in [
        "Yes please",
        "STOP",
        " help ",
        "Pizza",
        "stop all",
        "can you stop by?",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({
            "id": "c1",
            "phone_number": "+12025550100",
            "short_code": "64600",
            "message": text,
            "updated_at": "2024-02-01T00:00:00Z",
            "received_at": format!("2024-02-01T00:00:0{i}Z")
        });
        app.deliver("inbound-message", body.to_string()).await;
    }
    let inbox = app
        .query(
            "{ messages(filter: {direction: INBOUND, categories: [REPLY]}, orderBy: OCCURRED_AT_ASC) { totalCount nodes { body category } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["messages"]["nodes"],
        json!([{"body": "Yes please", "category": "REPLY"}, {"body": "can you stop by?", "category": "REPLY"}])
    );
    let all = app
        .query(
            "{ messages(orderBy: OCCURRED_AT_ASC) { nodes { category } } }",
            json!({}),
        )
        .await;
    let categories: Vec<&str> = all["messages"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["category"].as_str().expect("category"))
        .collect();
    assert_eq!(
        categories,
        ["REPLY", "STOP", "HELP", "KEYWORD", "STOP", "REPLY"]
    );
    let found = app
        .query(
            "{ messages(filter: {textContains: \"PLEASE\"}) { nodes { body } } }",
            json!({}),
        )
        .await;
    assert_eq!(found["messages"]["nodes"], json!([{"body": "Yes please"}]));
}

async fn spawn_app_with_keywords(backend: Backend) -> TestApp {
    crate::support::spawn_app_with(backend, &["--keywords", "pizza,spring sale"]).await
}

async fn delivery_statuses_and_events_filter_and_nest(backend: Backend) {
    let app = spawn_app(backend).await;
    let report = json!({
        "total_messages": 3,
        "statuses": [
            {"code": "100", "status": "delivered", "count": 2, "recipients": ["12025550001", "12025550002"], "success": true, "bounce": false},
            {"code": "300", "status": "bounced", "count": 1, "recipients": ["12025550003"], "success": false, "bounce": true}
        ],
        "messages": (1..=3).map(|i| json!({"id": format!("m{i}"), "from": "64600", "message": format!("offer {i}"), "phone_number": format!("202555000{i}"), "metadata": []})).collect::<Vec<_>>()
    });
    app.deliver("delivery-report", report.to_string()).await;
    app.deliver("rejection", vendor_example("rejection")).await;

    let delivered = app
        .query(
            "{ deliveryStatuses(filter: {code: \"100\"}, orderBy: ID_ASC) { totalCount nodes { recipient success message { id body deliveryStatuses { code } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(delivered["deliveryStatuses"]["totalCount"], 2);
    assert_eq!(
        delivered["deliveryStatuses"]["nodes"][0]["recipient"],
        "+12025550001"
    );
    assert_eq!(
        delivered["deliveryStatuses"]["nodes"][0]["message"]["body"],
        "offer 1"
    );
    let bounced = app
        .query(
            "{ deliveryStatuses(filter: {bounce: true}) { nodes { recipient code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bounced["deliveryStatuses"]["nodes"],
        json!([{"recipient": "+12025550003", "code": "300"}])
    );
    let codes = app
        .query(
            "{ deliveryStatusCodes { code status success bounce count } }",
            json!({}),
        )
        .await;
    assert_eq!(
        codes["deliveryStatusCodes"],
        json!([
            {"code": "100", "status": "delivered", "success": true, "bounce": false, "count": 2},
            {"code": "300", "status": "bounced", "success": false, "bounce": true, "count": 1}
        ])
    );

    let events = app
        .query(
            "{ reports: events(filter: {kinds: [DELIVERY_REPORT]}) { totalCount nodes { position kind payload } } later: events(filter: {afterPosition: \"1\"}) { nodes { kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(events["reports"]["totalCount"], 1);
    assert_eq!(
        events["reports"]["nodes"][0]["position"], "1",
        "positions are strings"
    );
    assert_eq!(
        events["reports"]["nodes"][0]["payload"]["total_messages"],
        3
    );
    assert_eq!(events["later"]["nodes"], json!([{"kind": "REJECTION"}]));
    let rejections = app
        .query(
            "{ rejections { totalCount nodes { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(rejections["rejections"]["totalCount"], 1);
}

async fn page_sizes_past_the_cap_are_refused_with_a_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app
        .graphql("{ contacts(first: 501) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("500"),
        "{body}"
    );
    let both = app
        .graphql(
            "{ messages(first: 1, last: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(both["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let fine = app
        .query("{ messages(first: 500) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(fine["messages"]["nodes"], json!([]));
}
