//! Turns the PostgreSQL half of the end-to-end suite on when `TEST_DATABASE_URL` is set; without
//! it those tests are listed as ignored, with the reason.

fn main() {
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
