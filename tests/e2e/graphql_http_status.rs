//! GraphQL over HTTP's status codes, by the media type the client accepts.

use crate::support::{Backend, spawn_app};

#[tokio::test]
async fn graphql_over_http_status_codes_follow_the_media_type() {
    let app = spawn_app(Backend::Sqlite).await;
    let url = app.url("/graphql");
    let post =
        |accept: Option<&'static str>, content_type: Option<&'static str>, body: &'static str| {
            let mut request = app.client.post(&url).body(body);
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            request.send()
        };
    let parse_error = r#"{"query": "{ totals {"}"#;
    let graphql_json = post(
        Some("application/graphql-response+json"),
        Some("application/json"),
        parse_error,
    )
    .await
    .expect("answer");
    assert_eq!(graphql_json.status(), 400);
    assert!(
        graphql_json.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("application/graphql-response+json")
    );
    let body: serde_json::Value = graphql_json.json().await.expect("JSON");
    assert!(body.get("data").is_none());
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );

    let legacy = post(
        Some("application/json"),
        Some("application/json"),
        parse_error,
    )
    .await
    .expect("answer");
    assert_eq!(
        legacy.status(),
        200,
        "application/json clients get 200 with errors"
    );
    assert!(
        legacy.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("application/json")
    );

    let invalid = post(None, Some("application/json"), r#"{"query": "{ nope }"}"#)
        .await
        .expect("answer");
    assert_eq!(
        invalid.status(),
        400,
        "a validation error, by default media type"
    );

    let not_json = post(None, Some("application/json"), "{")
        .await
        .expect("answer");
    assert_eq!(not_json.status(), 400);
    let no_type = post(None, None, r#"{"query": "{ totals { contacts } }"}"#)
        .await
        .expect("answer");
    assert_eq!(no_type.status(), 415);
    let form = post(None, Some("application/x-www-form-urlencoded"), "query=x")
        .await
        .expect("answer");
    assert_eq!(form.status(), 415);
    let unacceptable = post(
        Some("text/csv"),
        Some("application/json"),
        r#"{"query": "{ totals { contacts } }"}"#,
    )
    .await
    .expect("answer");
    assert_eq!(unacceptable.status(), 406);
    let batch = post(
        None,
        Some("application/json"),
        r#"[{"query": "{ totals { contacts } }"}]"#,
    )
    .await
    .expect("answer");
    assert_eq!(batch.status(), 400);

    let get = app
        .client
        .get(&url)
        .query(&[("query", "{ totals { contacts } }")])
        .send()
        .await
        .expect("answer");
    assert_eq!(get.status(), 200);
    let body: serde_json::Value = get.json().await.expect("JSON");
    assert_eq!(body["data"]["totals"]["contacts"], 0);

    let mutation = app
        .client
        .get(&url)
        .query(&[("query", "mutation { nothing }")])
        .send()
        .await
        .expect("answer");
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
}
