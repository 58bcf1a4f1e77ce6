//! A megabyte of aliases (`{ a0: __typename a1: __typename … }`), sent in a loop by several
//! clients: with the default limits the query size limit refuses it (413 QUERY_TOO_LARGE); with
//! a query limit raised above it, the alias limit does (400 TOO_MANY_ALIASES). Either way it is
//! refused before it runs, the process's memory stays within a bound, and a client asking
//! something small is answered meanwhile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{ATTACK, SERVED_WITHIN};
use crate::support::hostile::{GoodClient, mib};
use crate::support::process::ServiceProcess;
use crate::support::{Backend, TestDb};

on_every_store!(
    a_megabyte_of_aliases_is_refused_as_too_large_while_others_are_served,
    with_the_query_limit_raised_a_megabyte_of_aliases_is_refused_for_its_aliases,
);

/// Clients sending the megabyte in a loop, each waiting for its answer before the next.
const ATTACKERS: usize = 4;
/// The query's size: under the 1 MiB a GraphQL POST body may have, so the body is read.
const QUERY_BYTES: usize = 1_000_000;
/// What the flood may add to the process's memory: each request in flight holds its megabyte
/// (and, past the size limit, its parsed document: about 20 MiB) only until it is refused.
/// Measured: about 20 MiB refused as too large, about 90 MiB refused for its aliases.
const MEMORY_BOUND: u64 = 160 << 20;
/// With the query limit raised, the alias limit is checked on the parsed document: each
/// megabyte is parsed first, on one of the runtime's two workers, for about 2 s in the debug
/// build the tests run (BENCHMARKS.md has the release figures), and a small query can wait
/// behind it. The bound is then the parse's, with room for a busy machine.
const SERVED_BEHIND_A_PARSE: Duration = Duration::from_secs(6);
/// How many answers the well-behaved client must get while the flood runs. Beside a mere size
/// check, its 50 ms pace fits many rounds in the attack; behind parses of up to 3 s each only a
/// few fit on a busy machine, so there the test asks that it kept being served, not how often.
const ROUNDS_BESIDE_A_SIZE_CHECK: usize = 10;
const ROUNDS_BEHIND_A_PARSE: usize = 2;

async fn a_megabyte_of_aliases_is_refused_as_too_large_while_others_are_served(backend: Backend) {
    let served = (ROUNDS_BESIDE_A_SIZE_CHECK, SERVED_WITHIN);
    flood(backend, &[], (413, "QUERY_TOO_LARGE"), served).await;
}

async fn with_the_query_limit_raised_a_megabyte_of_aliases_is_refused_for_its_aliases(
    backend: Backend,
) {
    let flags = ["--graphql-max-query-bytes", "2000000"];
    let refusal = (400, "TOO_MANY_ALIASES");
    let served = (ROUNDS_BEHIND_A_PARSE, SERVED_BEHIND_A_PARSE);
    flood(backend, &flags, refusal, served).await;
}

/// Runs the flood with `flags`, each megabyte answered with `refusal` (its status and code) and
/// the well-behaved client served at least `expected.0` times, each within `expected.1`.
async fn flood(
    backend: Backend,
    flags: &[&str],
    refusal: (u16, &str),
    expected: (usize, Duration),
) {
    let (status, code) = refusal;
    let (rounds, bound) = expected;
    let db = TestDb::create(backend).await;
    let service = ServiceProcess::start_with(&db.url, flags).await;
    let body = Arc::new(json!({ "query": aliases(QUERY_BYTES) }).to_string());
    assert!(body.len() < 1 << 20, "{} bytes", body.len());
    let before = service.rss_bytes();
    let good = GoodClient::queries(service.address, None);

    let started = Instant::now();
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let (http, url, body) = (
                reqwest::Client::new(),
                service.url("/graphql"),
                body.clone(),
            );
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while started.elapsed() < ATTACK {
                    let sent = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.as_str().to_owned())
                        .send();
                    let response = sent.await.expect("an answer to the megabyte");
                    let status = response.status().as_u16();
                    let answer: Value = response.json().await.expect("a JSON answer");
                    answers.push((status, answer));
                }
                answers
            })
        })
        .collect();
    let mut peak = before;
    while attackers.iter().any(|attacker| !attacker.is_finished()) {
        peak = peak.max(service.rss_bytes());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut refused = 0;
    for attacker in attackers {
        for (got, answer) in attacker.await.expect("an attacker") {
            assert_eq!(got, status, "{answer:.300}");
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], code,
                "{answer:.300}"
            );
            assert!(answer["data"].is_null(), "{answer:.300}");
            refused += 1;
        }
    }
    let served = good.finish().await;

    eprintln!(
        "{backend:?}, {code}: {refused} megabytes refused in {ATTACK:?}; RSS {:.1} MiB before, \
         {:.1} MiB at most; {served:?}",
        mib(before),
        mib(peak),
    );
    assert!(refused >= ATTACKERS, "each attacker was answered");
    served.assert_within("the well-behaved client", rounds, bound);
    assert!(
        peak < before + MEMORY_BOUND,
        "RSS grew by {:.1} MiB",
        mib(peak.saturating_sub(before))
    );
    service.stop().await;
}

/// `{ a0: __typename a1: __typename … }`, `bytes` long or a few bytes less.
fn aliases(bytes: usize) -> String {
    let mut query = String::from("{");
    for n in 0.. {
        let field = format!(" a{n}: __typename");
        if query.len() + field.len() + 2 > bytes {
            break;
        }
        query.push_str(&field);
    }
    query.push_str(" }");
    query
}
