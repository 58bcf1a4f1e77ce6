//! The dashboard at `/`: served from the binary with a policy that allows only this origin, each
//! file it loads answered, whether or not the service has API keys (the page asks for the key;
//! the data behind it is what the key guards). What the page shows is checked in a browser by
//! `tests/browser/dashboard.mjs`.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

use crate::support::{Backend, TestApp, spawn_app_with};

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .send()
        .await
        .expect("the service answers")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response.headers()[name]
        .to_str()
        .expect("a text header")
        .to_owned()
}

#[tokio::test]
async fn the_dashboard_page_is_served_with_a_policy_that_allows_only_this_origin() {
    let app = spawn_app_with(Backend::Sqlite, &["--api-key", "read:dashboard-key-0123"]).await;

    let page = get(&app, "/").await;
    assert_eq!(page.status(), 200);
    assert!(header(&page, CONTENT_TYPE).starts_with("text/html"));
    let policy = header(&page, CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    let host = app.address;
    assert!(
        policy.ends_with(&format!("connect-src 'self' ws://{host} wss://{host}")),
        "{policy}"
    );
    let html = page.text().await.expect("HTML");
    assert!(html.contains(r#"<script type="module" src="/dashboard/dashboard.js">"#));
    assert!(!html.contains("https://"), "no outside request: {html}");
}

#[tokio::test]
async fn every_file_the_dashboard_loads_is_served_and_unknown_ones_are_not() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await;

    let linked = [
        ("dashboard.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
        ("dashboard.js", "text/javascript"),
    ];
    let mut modules = vec!["dashboard.js".to_owned()];
    for (file, kind) in linked {
        let response = get(&app, &format!("/dashboard/{file}")).await;
        assert_eq!(response.status(), 200, "{file}");
        assert!(header(&response, CONTENT_TYPE).starts_with(kind), "{file}");
    }
    // The modules the entry point imports, and theirs, found in their own text.
    let mut seen = std::collections::BTreeSet::new();
    while let Some(module) = modules.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        let response = get(&app, &format!("/dashboard/{module}")).await;
        assert_eq!(response.status(), 200, "{module}");
        assert!(header(&response, CONTENT_TYPE).starts_with("text/javascript"));
        let text = response.text().await.expect("JavaScript");
        assert!(!text.contains("innerHTML"), "{module} parses markup");
        for import in text.split("from './").skip(1) {
            let name = import.split('\'').next().expect("a module name");
            modules.push(name.to_owned());
        }
    }
    assert!(seen.len() > 3, "the modules were found: {seen:?}");

    let missing = get(&app, "/dashboard/nope.js").await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_unchanged_dashboard_file_is_answered_not_modified() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await;

    let first = get(&app, "/dashboard/dashboard.js").await;
    let tag = header(&first, ETAG);
    let again = app
        .client
        .get(app.url("/dashboard/dashboard.js"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .expect("the service answers");
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
}
