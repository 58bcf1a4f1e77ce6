//! `stats`: buckets in the client's time zone, exact at their edges and across DST.

use serde_json::json;

use crate::support::{Backend, TestApp, spawn_app};

on_every_store!(
    daily_buckets_follow_local_midnight_across_dst,
    hourly_buckets_count_every_kind,
);

async fn inbound_at(app: &TestApp, received_at: &str) {
    let body = json!({
        "id": "c1",
        "phone_number": "+12025550100",
        "message": format!("sent {received_at}"),
        "updated_at": "2024-03-01T00:00:00Z",
        "received_at": received_at
    });
    app.deliver("inbound-message", body.to_string()).await;
}

const STATS: &str = "query($from: DateTime!, $to: DateTime!, $bucket: StatsBucket!, $tz: String) {
    stats(from: $from, to: $to, bucket: $bucket, timezone: $tz) {
        start end inbound outbound delivered failed bounced unsubscribed contactStatusChanges rejections deliveryRate
    }
}";

async fn daily_buckets_follow_local_midnight_across_dst(backend: Backend) {
    let app = spawn_app(backend).await;
    // New York springs forward on 2024-03-10: that local day has 23 hours.
    for at in [
        "2024-03-10T04:59:59Z", // 23:59:59 on the 9th, EST
        "2024-03-10T05:00:00Z", // midnight starting the 10th: its bucket, not the 9th's
        "2024-03-11T03:59:59Z", // 23:59:59 on the 10th, EDT
        "2024-03-11T04:00:00Z", // midnight starting the 11th
    ] {
        inbound_at(&app, at).await;
    }
    let data = app
        .query(
            STATS,
            json!({"from": "2024-03-09T05:00:00Z", "to": "2024-03-12T04:00:00Z", "bucket": "DAY", "tz": "America/New_York"}),
        )
        .await;
    let buckets = data["stats"].as_array().expect("buckets");
    let summary: Vec<(String, String, i64)> = buckets
        .iter()
        .map(|b| {
            let time = |v: &serde_json::Value| {
                v.as_str()
                    .expect("time")
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .expect("RFC 3339")
                    .to_rfc3339()
            };
            (
                time(&b["start"]),
                time(&b["end"]),
                b["inbound"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "2024-03-09T05:00:00+00:00".into(),
                "2024-03-10T05:00:00+00:00".into(),
                1
            ),
            (
                "2024-03-10T05:00:00+00:00".into(),
                "2024-03-11T04:00:00+00:00".into(),
                2
            ),
            (
                "2024-03-11T04:00:00+00:00".into(),
                "2024-03-12T04:00:00+00:00".into(),
                1
            ),
        ]
    );

    let bad = app
        .graphql(STATS, json!({"from": "2024-03-09T00:00:00Z", "to": "2024-03-10T00:00:00Z", "bucket": "DAY", "tz": "Mars/Olympus"}))
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn hourly_buckets_count_every_kind(backend: Backend) {
    let app = spawn_app(backend).await;
    inbound_at(&app, "2024-05-01T10:15:00Z").await;
    let report = json!({
        "statuses": [
            {"code": "100", "status": "ok", "recipients": ["12025550001", "12025550002", "12025550003"], "success": true},
            {"code": "200", "status": "failed", "recipients": ["12025550004"], "success": false},
            {"code": "300", "status": "bounced", "recipients": ["12025550005"], "success": false, "bounce": true}
        ],
        "messages": (1..=5).map(|i| json!({"id": format!("m{i}"), "message": "x", "phone_number": format!("202555000{i}")})).collect::<Vec<_>>()
    });
    app.deliver("delivery-report", report.to_string()).await;
    app.deliver(
        "rejection",
        r#"{"code": "1", "message": "m", "description": "d"}"#,
    )
    .await;
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::hours(1)).to_rfc3339();
    let to = (now + chrono::Duration::hours(1)).to_rfc3339();
    let data = app
        .query(
            STATS,
            json!({"from": from, "to": to, "bucket": "HOUR", "tz": "UTC"}),
        )
        .await;
    let buckets = data["stats"].as_array().expect("buckets");
    let sum = |field: &str| {
        buckets
            .iter()
            .map(|b| b[field].as_i64().expect("count"))
            .sum::<i64>()
    };
    assert_eq!(sum("outbound"), 5, "reported now");
    assert_eq!(sum("delivered"), 3);
    assert_eq!(sum("failed"), 2, "bounces are failures too");
    assert_eq!(sum("bounced"), 1);
    assert_eq!(sum("rejections"), 1);
    assert_eq!(sum("inbound"), 0, "the inbound text was received in 2024");
    let rated = buckets
        .iter()
        .find(|b| b["delivered"] == 3)
        .expect("the bucket of the report");
    assert_eq!(rated["deliveryRate"], 0.6);
}
