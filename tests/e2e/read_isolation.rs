//! Webhooks are stored while slow GraphQL reads hold every connection of the read pool: on
//! PostgreSQL, appends and the quarantine write on connections of their own, and a read that
//! runs past `--read-statement-timeout` is cancelled and answered `READ_TIMEOUT`. (SQLite has no
//! statement timeout to test, and its appends always had a connection of their own.)

mod postgres {
    use std::time::{Duration, Instant};

    use entity::{events, quarantine};
    use sea_orm::{
        ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, Statement,
        TransactionTrait,
    };
    use serde_json::{Value, json};
    use tokio::task::JoinHandle;

    use crate::support::{Backend, TOKEN, TestApp, spawn_app_with};

    /// `--store-max-connections`: the read pool.
    const POOL: &str = "4";
    /// More reads than the pool has connections, so some wait for one.
    const READS: usize = 6;
    const SEEDED: u64 = 3;
    const WEBHOOKS: usize = 5;
    /// "Well within" `--store-timeout` (5 s): a webhook that waited for a connection behind the
    /// blocked reads would take at least one `--read-statement-timeout` (2 s).
    const PROMPT: Duration = Duration::from_secs(1);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "TEST_DATABASE_URL is not set: PostgreSQL run skipped"
    )]
    async fn webhooks_are_stored_promptly_while_blocked_reads_hold_every_read_connection() {
        let app = spawn_app_with(
            Backend::Postgres,
            &[
                "--store-max-connections",
                POOL,
                "--read-statement-timeout",
                "2s",
                "--store-timeout",
                "5s",
            ],
        )
        .await;
        for n in 0..SEEDED {
            let rejection = json!({"code": "30007", "message": "filtered", "description": format!("carrier {n}")});
            app.deliver("rejection", rejection.to_string()).await;
        }
        let db = app.store().await;
        let lock = db.begin().await.expect("begin");
        lock.execute_unprepared("LOCK TABLE rejections IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock the rejections");

        // Distinct queries, so that the answer cache cannot run them as one.
        let reads: Vec<_> = (1..=READS)
            .map(|first| read_rejections(&app, first))
            .collect();
        wait_until_the_read_pool_is_exhausted(&app, &db).await;

        let webhooks: Vec<_> = (0..WEBHOOKS)
            .map(|n| {
                let message = json!({
                    "id": format!("c-{n}"),
                    "phone_number": format!("+1303555000{n}"),
                    "message": format!("reply {n}"),
                    "received_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z",
                });
                timed_post(&app, message)
            })
            .collect();
        for webhook in webhooks {
            let (status, took) = webhook.await.expect("the webhook task");
            assert_eq!(status, 200);
            assert!(
                took < PROMPT,
                "a webhook took {took:?} while reads held the pool"
            );
        }
        let (status, took) = timed_post(&app, json!({"id": "c-invalid"}))
            .await
            .expect("the webhook task");
        assert_eq!(status, 422);
        assert!(
            took < PROMPT,
            "a refused webhook took {took:?} to be quarantined"
        );
        assert_eq!(
            read_pool(&app, "in_use").await,
            read_pool(&app, "max").await,
            "the reads still hold the pool"
        );

        for read in reads {
            let body = read.await.expect("the read task");
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "READ_TIMEOUT", "{body}");
            let message = error["message"].as_str().expect("a message");
            assert!(message.contains("--read-statement-timeout"), "{message}");
            assert!(message.contains("`first`"), "{message}");
        }

        lock.rollback().await.expect("release the lock");
        let data = app.query("{ rejections { totalCount } }", json!({})).await;
        assert_eq!(data["rejections"]["totalCount"], SEEDED);
        let stored = events::Entity::find().count(&db).await.expect("count");
        assert_eq!(stored, SEEDED + WEBHOOKS as u64);
        let quarantined = quarantine::Entity::find().count(&db).await.expect("count");
        assert_eq!(quarantined, 1);
    }

    /// A `rejections` query of `first` rows, answered whenever the store lets it be.
    fn read_rejections(app: &TestApp, first: usize) -> JoinHandle<Value> {
        let request = app.client.post(app.url("/graphql")).json(&json!({
            "query": "query($first: Int) { rejections(first: $first) { nodes { code } } }",
            "variables": {"first": first},
        }));
        tokio::spawn(async move {
            let response = request.send().await.expect("the service answers");
            assert_eq!(response.status(), 200);
            response.json().await.expect("a JSON answer")
        })
    }

    /// Posts an inbound message; its status and how long the answer took.
    fn timed_post(app: &TestApp, body: Value) -> JoinHandle<(u16, Duration)> {
        let request = app
            .client
            .post(app.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}")))
            .body(body.to_string());
        tokio::spawn(async move {
            let started = Instant::now();
            let response = request.send().await.expect("the service answers");
            (response.status().as_u16(), started.elapsed())
        })
    }

    /// Until every connection of the read pool is taken and reads wait on the lock.
    async fn wait_until_the_read_pool_is_exhausted(app: &TestApp, db: &DatabaseConnection) {
        let waiting = Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) FROM pg_locks WHERE relation = 'rejections'::regclass AND NOT granted",
        );
        for _ in 0..100 {
            let blocked: i64 = db
                .query_one_raw(waiting.clone())
                .await
                .expect("read pg_locks")
                .expect("a row")
                .try_get_by_index(0)
                .expect("a count");
            if blocked > 0 && read_pool(app, "in_use").await == read_pool(app, "max").await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the reads never took every connection of the read pool");
    }

    async fn read_pool(app: &TestApp, state: &str) -> u64 {
        app.metric(&format!(r#"mobiniti_store_connections{{state="{state}"}}"#))
            .await
    }
}
