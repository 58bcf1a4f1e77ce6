//! Settings and start-up mistakes, each answered with what to do.

use super::*;

/// Checked after parsing: clap's `num_args` counts only the values written apart on the command
/// line, not those of one comma-separated value nor of `WEBHOOK_TOKEN`.
#[tokio::test]
async fn more_than_two_webhook_tokens_are_refused_with_why() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let two = "new-token-0123456789,old-token-0123456789";
    let three = format!("{two},older-token-0123456789");
    let by_flag = command(dir.path())
        .args(["migrate", "--webhook-token", &three])
        .output()
        .await
        .expect("run");
    let by_env = command(dir.path())
        .arg("migrate")
        .env("WEBHOOK_TOKEN", &three)
        .output()
        .await
        .expect("run");
    for output in [by_flag, by_env] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "three tokens are refused: {stderr}"
        );
        assert!(stderr.contains("has 3 tokens"), "{stderr}");
        assert!(
            stderr.contains("two while Mobiniti's URLs are being changed"),
            "{stderr}"
        );
    }
    let rotating = command(dir.path())
        .arg("migrate")
        .env("WEBHOOK_TOKEN", two)
        .output()
        .await
        .expect("run");
    assert!(
        rotating.status.success(),
        "{}",
        String::from_utf8_lossy(&rotating.stderr)
    );
}

/// The mistakes a first start makes, each answered with what to do rather than only what the
/// library underneath said.
#[tokio::test]
async fn start_up_mistakes_are_answered_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let missing = format!("sqlite://{}", dir.path().join("x.db").display());
    let cases = [
        (
            vec!["--database-url", missing.as_str()],
            vec![],
            format!("does not exist; to create it, add `mode=rwc` to the URL: {missing}?mode=rwc"),
        ),
        (
            vec![],
            vec![("STORE_TIMEOUT", "5")],
            "write a unit: 5s, 500ms, 2m".to_owned(),
        ),
        (
            vec!["--shutdown-timeout", "30"],
            vec![],
            "write a unit: 5s, 500ms, 2m".to_owned(),
        ),
    ];
    for (args, env, expected) in cases {
        let output = command(dir.path())
            .arg("migrate")
            .args(&args)
            .envs(env.iter().copied())
            .output()
            .await
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} {env:?} is refused");
        assert!(stderr.contains(&expected), "{args:?} {env:?}: {stderr}");
        assert!(!stderr.contains("5sec"), "{stderr}");
    }
    assert!(
        !dir.path().join("x.db").exists(),
        "a mistyped path is not created"
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "TEST_DATABASE_URL is not set: PostgreSQL run skipped"
)]
async fn a_missing_postgres_database_is_answered_with_how_to_create_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let name = format!("mobiniti_missing_{}", uuid::Uuid::new_v4().simple());
    let mut url = url::Url::parse(&std::env::var("TEST_DATABASE_URL").expect("set"))
        .expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    let output = command(dir.path())
        .args(["migrate", "--database-url", url.as_str()])
        .output()
        .await
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "database \"{name}\" does not exist: create it with `createdb {name}`"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(" at line "), "{stderr}");
}

/// Trusted documents the service cannot load are a start-up error, not an API that refuses
/// everything (or nothing).
#[tokio::test]
async fn persisted_documents_that_cannot_be_loaded_stop_the_start() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let not_json = dir.path().join("persisted-documents.json");
    std::fs::write(&not_json, "[\"a list\"]").expect("written");
    let not_json = not_json.display().to_string();
    let missing = dir.path().join("none.json").display().to_string();
    let cases = [
        (
            vec!["--only-persisted-documents"],
            "needs the documents to allow: give --persisted-documents FILE",
        ),
        (
            vec!["--persisted-documents", missing.as_str()],
            "reading --persisted-documents",
        ),
        (
            vec!["--persisted-documents", not_json.as_str()],
            "expected a JSON object of hash → document",
        ),
    ];
    for (args, expected) in cases {
        let output = command(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .output()
            .await
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} is refused");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
