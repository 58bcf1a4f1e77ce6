//! The README is the contract: its tables of statuses and codes list what the service answers,
//! no more and no less. The webhook route's and `/readyz`'s come from the code's own lists
//! (`WebhookError::ALL`, `auth_guard`, `health::CODES`). GraphQL's `extensions.code`s are written
//! across the GraphQL modules, so they are collected from the source, in the three forms it
//! gives them: `const CODE: &str = "CODE";`, `"code": "CODE"` in a JSON literal, and
//! `coded("CODE", …)`.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;

use api::webhooks::WebhookError;

use crate::support::rust_files;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The text under `heading` (a whole line, such as `## Webhooks`), up to the next heading of
/// the same level or above outside a code block.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let level = heading.len() - heading.trim_start_matches('#').len();
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no `{heading}`"));
    let rest = &readme[start + heading.len() + 2..];
    let (mut offset, mut fenced) = (0, false);
    for line in rest.split_inclusive('\n') {
        fenced ^= line.starts_with("```");
        let hashes = line.len() - line.trim_start_matches('#').len();
        if !fenced && (1..=level).contains(&hashes) && line[hashes..].starts_with(' ') {
            return &rest[..offset];
        }
        offset += line.len();
    }
    rest
}

/// The rows of the first table in `text` whose header starts with `first_column`, as cells.
fn table(text: &str, first_column: &str) -> Vec<Vec<String>> {
    let cells = |line: &str| -> Vec<String> {
        let line = line.trim().trim_start_matches('|').trim_end_matches('|');
        line.split('|').map(|cell| cell.trim().to_owned()).collect()
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let header = lines
        .iter()
        .position(|line| {
            line.starts_with('|') && cells(line).first().is_some_and(|cell| cell == first_column)
        })
        .unwrap_or_else(|| panic!("no table headed `{first_column}` in:\n{text}"));
    lines[header + 2..]
        .iter()
        .take_while(|line| line.starts_with('|'))
        .map(|line| cells(line))
        .collect()
}

/// What a cell shows between its first pair of backticks.
fn quoted(cell: &str) -> Option<String> {
    let (_, rest) = cell.split_once('`')?;
    let (inner, _) = rest.split_once('`')?;
    Some(inner.to_owned())
}

/// Fails naming what each side lacks.
fn same<T: Ord + Debug + Clone>(what: &str, readme: &BTreeSet<T>, code: &BTreeSet<T>) {
    let missing: Vec<_> = code.difference(readme).cloned().collect();
    let extra: Vec<_> = readme.difference(code).cloned().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: README.md lacks {missing:?}; the code never gives {extra:?}"
    );
}

#[test]
fn the_webhook_table_lists_every_status_and_code_the_route_answers() {
    let readme = readme();
    let rows = table(section(&readme, "## Webhooks"), "status");
    let listed: BTreeSet<(u16, String)> = rows
        .iter()
        .filter_map(|row| {
            let status = row[0].parse().expect("a status");
            row.get(1)
                .and_then(|cell| quoted(cell))
                .map(|code| (status, code))
        })
        .collect();
    let answered: BTreeSet<(u16, String)> = WebhookError::ALL
        .iter()
        .map(|(status, code)| (status.as_u16(), (*code).to_owned()))
        .chain([(429, api::auth_guard::WEBHOOK_CODE.to_owned())])
        .collect();
    same("the webhook route", &listed, &answered);
    assert!(
        rows.iter().any(|row| row[0] == "200"),
        "the table lists the answer 200"
    );
}

#[test]
fn the_readyz_table_lists_every_code() {
    let readme = readme();
    let rows = table(section(&readme, "## Health and metrics"), "status");
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|row| (row[0].clone(), quoted(&row[1]).expect("a code")))
        .collect();
    let answered: BTreeSet<(String, String)> = api::health::CODES
        .iter()
        .map(|code| ("503".to_owned(), (*code).to_owned()))
        .collect();
    same("/readyz", &listed, &answered);
}

#[test]
fn the_graphql_table_lists_every_extensions_code() {
    let readme = readme();
    let rows = table(
        section(&readme, "### Limits and errors"),
        "`extensions.code`",
    );
    let listed: BTreeSet<String> = rows
        .iter()
        .map(|row| quoted(&row[0]).expect("a code"))
        .collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut given = BTreeSet::from([api::auth_guard::GRAPHQL_CODE.to_owned()]);
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        given.extend(graphql_codes(&text));
    }
    same("GraphQL's extensions.code", &listed, &given);
}

#[test]
fn the_scanner_finds_the_three_forms_and_nothing_else() {
    let source = r#"
        pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
        const TOO_MANY_CONNECTIONS: &str = "TOO_MANY_CONNECTIONS";
        json!({ "extensions": { "code": "INLINE_CODE" } });
        Err(coded("CODED", "message"))
        const JAVASCRIPT: &str = "text/javascript";
        const METHOD: &str = "POST";
        ("PHONE_ASC", vec![]);
        json!({"code": "100", "message": "x"});
    "#;
    let found: Vec<String> = graphql_codes(source).into_iter().collect();
    assert_eq!(
        found,
        [
            "BAD_USER_INPUT",
            "CODED",
            "INLINE_CODE",
            "TOO_MANY_CONNECTIONS"
        ]
    );
}

/// The GraphQL error codes a source file gives, in the forms the module doc names.
fn graphql_codes(source: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for line in source.lines() {
        if let Some(code) = constant(line) {
            codes.insert(code);
        }
        for marker in [r#""code": ""#, r#"coded(""#] {
            for (at, _) in line.match_indices(marker) {
                let literal = &line[at + marker.len()..];
                if let Some((code, _)) = literal.split_once('"')
                    && is_code(code)
                {
                    codes.insert(code.to_owned());
                }
            }
        }
    }
    codes
}

/// `CODE` from `const CODE: &str = "CODE";`, with or without `pub`.
fn constant(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = line.strip_prefix("pub ").unwrap_or(line);
    let (name, value) = rest.strip_prefix("const ")?.split_once(": &str = \"")?;
    let value = value.strip_suffix("\";")?;
    (name == value && is_code(value)).then(|| value.to_owned())
}

/// `SCREAMING_SNAKE_CASE`, as GraphQL codes are written.
fn is_code(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
