//! The settings that decide what is derived from the log (`--default-region`, `--keywords`)
//! travel with the store: a process started without them derives as the first one did, one
//! started with other values refuses, and `settings set` changes them with the projections.

use std::process::Output;
use std::time::Duration;

use entity::{messages, settings};
use sea_orm::{ActiveValue::Set, Database, EntityTrait};

use crate::support::process::{ServiceProcess, binary};
use crate::support::{Backend, TOKEN, TestDb, vendor_example};

on_every_store!(
    rebuild_without_the_flags_derives_as_serve_did_with_them,
    a_value_that_differs_from_the_store_is_refused_naming_both_and_the_way_to_change_it,
    settings_set_changes_them_and_the_projections_follow,
    a_change_stopped_before_its_rebuild_is_finished_by_rebuild,
);

/// As derived for a "join" texted from `020 7946 0018` with `DEFAULT_REGION=GB KEYWORDS=JOIN`.
const AS_SERVED: [&str; 2] = ["keyword", "+442079460018"];

/// As derived for the same text with `--default-region US --keywords START`.
const IN_US: [&str; 2] = ["reply", "+102079460018"];

/// A store on which a service started with `DEFAULT_REGION=GB KEYWORDS=JOIN` received a "join"
/// from a London number written without its country code.
async fn store_served_in_gb(backend: Backend) -> TestDb {
    let db = TestDb::create(backend).await;
    let service =
        ServiceProcess::start_with(&db.url, &["--default-region", "GB", "--keywords", "JOIN"])
            .await;
    let mut text: serde_json::Value =
        serde_json::from_slice(&vendor_example("inbound-message")).expect("the example");
    text["message"] = "join".into();
    text["phone_number"] = "020 7946 0018".into();
    let response = reqwest::Client::new()
        .post(service.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}")))
        .json(&text)
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status(), 200);
    service.stop().await;
    assert_eq!(derived(&db.url).await, AS_SERVED);
    db
}

/// The inbound message's category and phone, as the projections hold them.
async fn derived(url: &str) -> [String; 2] {
    let db = Database::connect(url).await.expect("open the store");
    let message = messages::Entity::find()
        .one(&db)
        .await
        .expect("read the messages")
        .expect("the message");
    db.close().await.expect("close the store");
    [message.category.expect("a category"), message.phone]
}

/// Runs the binary on the store with `args` and the environment variables `env`, none of the
/// derivation settings taken from the test's own environment. A command that should have
/// refused to start but serves instead fails the test after 30 s.
async fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = binary();
    command
        .args(args)
        .args(["--database-url", url])
        .env_remove("KEYWORDS")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .unwrap_or_else(|_| panic!("{args:?} {env:?} still running after 30 s"))
        .expect("run mobiniti-events")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of a command that must have failed.
fn refused(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "not refused: {stderr}");
    stderr
}

/// `serve` on a port of its own, with `flags`.
fn serve<'a>(flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--webhook-token", TOKEN];
    args.extend_from_slice(flags);
    args
}

async fn rebuild_without_the_flags_derives_as_serve_did_with_them(backend: Backend) {
    let db = store_served_in_gb(backend).await;
    let stdout = succeeded(&run(&db.url, &["rebuild"], &[]).await);
    assert_eq!(derived(&db.url).await, AS_SERVED);
    assert!(
        stdout.contains("with default region GB, keywords JOIN"),
        "{stdout}"
    );
}

async fn a_value_that_differs_from_the_store_is_refused_naming_both_and_the_way_to_change_it(
    backend: Backend,
) {
    let db = store_served_in_gb(backend).await;
    let by_flag = refused(&run(&db.url, &serve(&["--default-region", "US"]), &[]).await);
    let by_env = refused(&run(&db.url, &["rebuild"], &[("DEFAULT_REGION", "US")]).await);
    for stderr in [by_flag, by_env] {
        assert!(
            stderr.contains("--default-region (DEFAULT_REGION) is US, but the store's is GB"),
            "{stderr}"
        );
        assert!(
            stderr.contains("mobiniti-events settings set --default-region US"),
            "{stderr}"
        );
    }
    let keywords = refused(
        &run(
            &db.url,
            &["replay-quarantine", "--keywords", "join,start"],
            &[],
        )
        .await,
    );
    assert!(
        keywords.contains("--keywords (KEYWORDS) is JOIN,START, but the store's is JOIN"),
        "{keywords}"
    );
    // The same values, however written, are no difference.
    succeeded(
        &run(
            &db.url,
            &["rebuild", "--default-region", "gb", "--keywords", " join"],
            &[],
        )
        .await,
    );
    assert_eq!(derived(&db.url).await, AS_SERVED);
}

async fn settings_set_changes_them_and_the_projections_follow(backend: Backend) {
    let db = store_served_in_gb(backend).await;
    let stdout = succeeded(
        &run(
            &db.url,
            &[
                "settings",
                "set",
                "--default-region",
                "US",
                "--keywords",
                "START",
            ],
            &[],
        )
        .await,
    );
    assert!(
        stdout
            .contains("from default region GB, keywords JOIN to default region US, keywords START"),
        "{stdout}"
    );
    assert_eq!(derived(&db.url).await, IN_US);

    let shown = succeeded(&run(&db.url, &["settings"], &[]).await);
    assert!(
        shown.contains("default region US, keywords START"),
        "{shown}"
    );
    succeeded(&run(&db.url, &["rebuild"], &[]).await);
    assert_eq!(derived(&db.url).await, IN_US);
    let stderr = refused(&run(&db.url, &serve(&["--default-region", "GB"]), &[]).await);
    assert!(stderr.contains("is GB, but the store's is US"), "{stderr}");
    ServiceProcess::start_with(&db.url, &["--default-region", "US"])
        .await
        .stop()
        .await;
}

async fn a_change_stopped_before_its_rebuild_is_finished_by_rebuild(backend: Backend) {
    let db = store_served_in_gb(backend).await;
    // What `settings set --default-region US --keywords START` keeps before it rebuilds: a
    // Ctrl-C during its rebuild leaves exactly this.
    let store = Database::connect(db.url.as_str())
        .await
        .expect("open the store");
    let changed = r#"{"default_region":"US","keywords":["START"]}"#;
    settings::Entity::delete_by_id("derivation")
        .exec(&store)
        .await
        .expect("forget the settings");
    settings::Entity::insert_many(["derivation", "derivation_rebuild_pending"].map(|key| {
        settings::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(changed.to_owned()),
        }
    }))
    .exec_without_returning(&store)
    .await
    .expect("keep the new settings");
    store.close().await.expect("close the store");

    for args in [serve(&[]), vec!["replay-quarantine"]] {
        let stderr = refused(&run(&db.url, &args, &[]).await);
        assert!(stderr.contains("run `mobiniti-events rebuild`"), "{stderr}");
    }
    assert_eq!(derived(&db.url).await, AS_SERVED);
    succeeded(&run(&db.url, &["rebuild"], &[]).await);
    assert_eq!(derived(&db.url).await, IN_US);
    ServiceProcess::start(&db.url).await.stop().await;
}
