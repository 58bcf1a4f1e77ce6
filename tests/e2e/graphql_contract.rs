//! What the README promises GraphQL clients, checked through the router on every transport:
//! values that do not fit their type are request errors, a field error nulls up to the nearest
//! nullable parent, `afterPosition` reads the same on the `events` query and subscription, and
//! an event's `payload` keeps the order of the keys it was received with.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::sse::{Received, SseStream, complete};
use crate::support::ws::{TRANSPORT, WAIT, WsClient};
use crate::support::{Backend, TestApp, spawn_app, spawn_app_with, vendor_example};

on_every_store!(
    values_that_do_not_fit_their_type_are_request_errors_on_every_transport,
    a_field_error_nulls_the_nearest_nullable_parent,
    after_position_reads_alike_on_the_events_query_and_subscription,
    order_by_takes_one_ordering_as_a_value_or_a_list_of_one,
    a_stats_range_over_the_bucket_cap_says_what_to_change,
    event_payloads_keep_the_order_of_their_keys,
);

const READER: &str = "contract-reader-key-0123456789";

const BY_POSITION: &str =
    "query($a: Position) { events(filter: {afterPosition: $a}) { totalCount } }";
const BY_TIME: &str = r#"{ events(filter: {receivedFrom: "yesterday"}) { totalCount } }"#;
const REQUIRED: &str =
    "query($a: Position!) { events(filter: {afterPosition: $a}) { totalCount } }";

/// The code of a request error: a body with `errors` and no `data` at all.
fn request_error_code(body: &Value) -> String {
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    let code = body["errors"][0]["extensions"]["code"].as_str();
    code.unwrap_or_else(|| panic!("an error without a code: {body}"))
        .to_owned()
}

async fn post_as(app: &TestApp, accept: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn values_that_do_not_fit_their_type_are_request_errors_on_every_transport(backend: Backend) {
    let app = spawn_app(backend).await;
    let graphql_response = "application/graphql-response+json";
    let cases = [
        (BY_POSITION, json!({"a": "abc"})),
        (BY_POSITION, json!({"a": -1})),
        (BY_TIME, json!({})),
        (REQUIRED, json!({})),
    ];
    for (query, variables) in &cases {
        let (status, body) = post_as(&app, graphql_response, query, variables.clone()).await;
        assert_eq!(status, 400, "{query} {variables}: {body}");
        assert_eq!(request_error_code(&body), "BAD_USER_INPUT", "{query}");
        // Older clients get 200, and still no `data`.
        let (status, body) = post_as(&app, "application/json", query, variables.clone()).await;
        assert_eq!(status, 200, "{query} {variables}: {body}");
        assert_eq!(request_error_code(&body), "BAD_USER_INPUT", "{query}");
    }
    let (_, body) = post_as(&app, graphql_response, BY_TIME, json!({})).await;
    let message = body["errors"][0]["message"].as_str().expect("a message");
    assert!(message.contains("receivedFrom"), "{message}");
    assert!(message.contains("RFC 3339"), "{message}");

    let get = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", BY_POSITION), ("variables", r#"{"a": "abc"}"#)])
        .send()
        .await
        .expect("an answer");
    assert_eq!(get.status(), 400);
    let body: Value = get.json().await.expect("JSON");
    assert_eq!(request_error_code(&body), "BAD_USER_INPUT");

    let subscription = "subscription($a: Position) { events(afterPosition: $a) { position } }";
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client
        .subscribe("bad", subscription, json!({"a": "abc"}))
        .await;
    let message = client.expect_message().await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(
        message["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{message}"
    );

    let mut stream = SseStream::post(&app, None, subscription, json!({"a": "abc"})).await;
    let Received::Event { event, data } = stream.expect_event(WAIT).await else {
        panic!("an event");
    };
    assert_eq!(event, "next");
    let result: Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(request_error_code(&result), "BAD_USER_INPUT");
    assert_eq!(stream.expect_event(WAIT).await, complete());
}

async fn a_field_error_nulls_the_nearest_nullable_parent(backend: Backend) {
    let keys = format!("read:{READER}");
    let app = &spawn_app_with(backend, &["--api-key", &keys]).await;
    app.deliver("inbound-message", vendor_example("inbound-message"))
        .await;
    let ask = |query: &'static str| async move {
        let response = app.graphql_request(Some(READER), query, json!({})).await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.expect("JSON")
    };

    // `quarantine` is nullable: refused, it is null beside the fields that ran.
    let body = ask("{ totals { contacts } quarantine(first: 1) { totalCount } }").await;
    assert_eq!(
        body["data"],
        json!({"totals": {"contacts": 1}, "quarantine": null}),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(body["errors"][0]["path"], json!(["quarantine"]));

    // A nullable field that fails is null, in its place.
    let body = ask(r#"{ totals { contacts } event(id: "nope") { id } }"#).await;
    assert_eq!(
        body["data"],
        json!({"totals": {"contacts": 1}, "event": null})
    );
    assert_eq!(body["errors"][0]["path"], json!(["event"]));

    // A non-null field that fails nulls its parent, here the nullable `contact`...
    let body = ask(
        r#"{ contact(id: "f82e541a-a4b1-11e8-a85f-127fd0971098") { id messages(first: -1) { totalCount } } }"#,
    )
    .await;
    assert_eq!(body["data"], json!({"contact": null}), "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["contact", "messages"]));
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");

    // ...and, through non-null lists and connections, `data` itself.
    let body =
        ask("{ totals { contacts } contacts(first: 1) { nodes { id messages(first: -1) { totalCount } } } }")
            .await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["contacts", "nodes", 0, "messages"])
    );
}

async fn collect_positions(client: &mut WsClient, id: &str, n: usize) -> Vec<String> {
    let results = client.collect_next(id, n, WAIT).await;
    results
        .iter()
        .map(|result| {
            result["events"]["position"]
                .as_str()
                .expect("a position")
                .to_owned()
        })
        .collect()
}

async fn after_position_reads_alike_on_the_events_query_and_subscription(backend: Backend) {
    let app = spawn_app(backend).await;
    for kind in ["inbound-message", "bounce", "unsubscribe"] {
        app.deliver(kind, vendor_example(kind)).await;
    }
    let positions = |data: &Value| -> Vec<String> {
        let nodes = data["events"]["nodes"].as_array().expect("nodes").iter();
        nodes
            .map(|n| n["position"].as_str().expect("a position").to_owned())
            .collect()
    };
    let data = app
        .query(
            r#"{ events(afterPosition: "1") { nodes { position } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(positions(&data), ["2", "3"]);
    // Both forms at once must both hold.
    let both =
        r#"{ events(afterPosition: "1", filter: {afterPosition: "2"}) { nodes { position } } }"#;
    assert_eq!(positions(&app.query(both, json!({})).await), ["3"]);

    // On the subscription, the filter's `afterPosition` replays as the argument does, also for
    // two identical subscriptions, which therefore do not share one execution from now.
    let by_filter = r#"subscription { events(filter: {afterPosition: "1"}) { position } }"#;
    let by_variable = "subscription($f: EventFilter) { events(filter: $f) { position } }";
    let mut client = WsClient::connect(&app, TRANSPORT, None)
        .await
        .acknowledged(None)
        .await;
    client.subscribe("a", by_filter, json!({})).await;
    client.subscribe("b", by_filter, json!({})).await;
    client
        .subscribe("c", by_variable, json!({"f": {"afterPosition": "1"}}))
        .await;
    for id in ["a", "b", "c"] {
        assert_eq!(
            collect_positions(&mut client, id, 2).await,
            ["2", "3"],
            "{id}"
        );
    }
    assert_eq!(app.metric("mobiniti_subscription_groups").await, 0);
    let live = app
        .deliver("contact-status", vendor_example("contact-status"))
        .await;
    for id in ["a", "b", "c"] {
        let expected = [live.position.to_string()];
        assert_eq!(
            collect_positions(&mut client, id, 1).await,
            expected,
            "{id}"
        );
    }
}

async fn order_by_takes_one_ordering_as_a_value_or_a_list_of_one(backend: Backend) {
    let app = spawn_app(backend).await;
    for kind in ["inbound-message", "bounce"] {
        app.deliver(kind, vendor_example(kind)).await;
    }
    for order in ["POSITION_DESC", "[POSITION_DESC]"] {
        let query = format!("{{ events(orderBy: {order}) {{ nodes {{ position }} }} }}");
        let data = app.query(&query, json!({})).await;
        assert_eq!(
            data["events"]["nodes"],
            json!([{"position": "2"}, {"position": "1"}])
        );
    }
    let two = "{ events(orderBy: [POSITION_DESC, POSITION_ASC]) { totalCount } }";
    let body = app.graphql(two, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let message = body["errors"][0]["message"].as_str().expect("a message");
    assert!(message.contains("one ordering"), "{message}");

    // The schema says so, on every ordering's type.
    let introspection = "{ __schema { types { name description } } }";
    let data = app.query(introspection, json!({})).await;
    let orderings: Vec<&Value> = data["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter(|ty| {
            ty["name"]
                .as_str()
                .is_some_and(|name| name.ends_with("OrderBy"))
        })
        .collect();
    assert_eq!(orderings.len(), 6);
    for ty in orderings {
        let description = ty["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("`orderBy` takes one"),
            "{}: {description:?}",
            ty["name"]
        );
    }
}

async fn a_stats_range_over_the_bucket_cap_says_what_to_change(backend: Backend) {
    let app = &spawn_app(backend).await;
    let ask = |from: &str, to: &str, bucket: &str| {
        let query =
            format!(r#"{{ stats(from: "{from}", to: "{to}", bucket: {bucket}) {{ start }} }}"#);
        async move {
            let body = app.graphql(&query, json!({})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{body}"
            );
            body["errors"][0]["message"]
                .as_str()
                .expect("a message")
                .to_owned()
        }
    };
    let days = ask("2000-01-01T00:00:00Z", "2010-01-01T00:00:00Z", "DAY").await;
    assert!(!days.contains("DAY buckets"), "{days}");
    assert!(
        days.contains("2000") && days.contains("shorter range"),
        "{days}"
    );
    let hours = ask("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "HOUR").await;
    assert!(hours.contains("DAY buckets"), "{hours}");
}

/// `text` as JSON written back with its keys in the order they came: two payloads are the
/// same only if their keys are in the same order.
fn in_order(text: &str) -> String {
    let value: async_graphql::Value = serde_json::from_str(text).expect("JSON");
    serde_json::to_string(&value).expect("JSON")
}

async fn event_payloads_keep_the_order_of_their_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    // Not sorted, nested, with U+0000 in a key and a value and a trailing comma.
    let body = r#"{"updated_at": "2024-01-01T00:00:00Z", "phone_number": "+13035550100",
        "message": "hi", "id": "c-order", "received_at": "2024-01-01T00:00:00Z",
        "zeta": {"b": 1, "a": [{"y": 2, "x": 1}]}, "alpha\u0000": "n\u0000l",}"#;
    let receipt = app.deliver("inbound-message", body).await;
    let expected = "{\"updated_at\":\"2024-01-01T00:00:00Z\",\"phone_number\":\"+13035550100\",\
        \"message\":\"hi\",\"id\":\"c-order\",\"received_at\":\"2024-01-01T00:00:00Z\",\
        \"zeta\":{\"b\":1,\"a\":[{\"y\":2,\"x\":1}]},\"alpha\u{FFFD}\":\"n\u{FFFD}l\"}";
    let report = app
        .deliver("delivery-report", vendor_example("delivery-report"))
        .await;

    let query = "query($id: ID!) { events { nodes { payload } } event(id: $id) { payload }
        contact(id: \"c-order\") { events { nodes { payload } } } }";
    let response = app
        .graphql_request(None, query, json!({"id": receipt.event_id}))
        .await;
    let text = response.text().await.expect("a body");
    let plain: Value = serde_json::from_str(&text).expect("JSON");
    assert!(plain.get("errors").is_none(), "{text}");
    let answer: async_graphql::Value = serde_json::from_str(&text).expect("JSON");
    let data = match answer {
        async_graphql::Value::Object(mut map) => map.swap_remove("data").expect("data"),
        other => panic!("{other}"),
    };
    let payload = |value: &async_graphql::Value, path: &[&str]| -> String {
        let mut value = value;
        for key in path {
            value = match value {
                async_graphql::Value::Object(map) => &map[*key],
                async_graphql::Value::List(items) => &items[key.parse::<usize>().expect("index")],
                other => panic!("{other}"),
            };
        }
        serde_json::to_string(value).expect("JSON")
    };
    assert_eq!(
        payload(&data, &["events", "nodes", "0", "payload"]),
        expected
    );
    assert_eq!(payload(&data, &["event", "payload"]), expected);
    assert_eq!(
        payload(&data, &["contact", "events", "nodes", "0", "payload"]),
        expected
    );
    let vendor = String::from_utf8(vendor_example("delivery-report")).expect("UTF-8");
    assert_eq!(
        payload(&data, &["events", "nodes", "1", "payload"]),
        in_order(&vendor)
    );

    // The same from a subscription's replay.
    let subscription = r#"subscription { events(afterPosition: "0") { payload } }"#;
    let mut stream = SseStream::post(&app, None, subscription, json!({})).await;
    let mut streamed = Vec::new();
    while streamed.len() < 2 {
        match stream.next(Duration::from_secs(5)).await {
            Some(Received::Event { event, data }) if event == "next" => {
                let result: async_graphql::Value = serde_json::from_str(&data).expect("JSON");
                streamed.push(payload(&result, &["data", "events", "payload"]));
            }
            Some(Received::Comment) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(streamed, [expected.to_owned(), in_order(&vendor)]);
    assert_eq!(report.position, 2);
}
