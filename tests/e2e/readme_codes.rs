//! The README is the contract: its tables of statuses and codes list what the service answers,
//! no more and no less. Each table is compared with the code's own list: the webhook route's
//! (`WebhookError::ALL`, `auth_guard`), `/readyz`'s (`health::CODES`) and GraphQL's
//! `extensions.code`s (`graphql::errors::CODES`), all spelled by `api::error::ErrorCode`.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;

use api::webhooks::WebhookError;

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
    let given: BTreeSet<String> = api::graphql::errors::CODES
        .iter()
        .map(|code| code.screaming().to_owned())
        .collect();
    same("GraphQL's extensions.code", &listed, &given);
}

/// A code added to the one list and answered somewhere is documented somewhere: in the
/// spelling its surface uses, snake_case for HTTP bodies, capitals for GraphQL.
#[test]
fn every_code_of_the_one_list_is_in_the_readme() {
    let readme = readme();
    let missing: Vec<&str> = api::error::ErrorCode::ALL
        .iter()
        .filter(|code| {
            !readme.contains(&format!("`{}`", code.snake()))
                && !readme.contains(&format!("`{}`", code.screaming()))
        })
        .map(|code| code.snake())
        .collect();
    assert!(
        missing.is_empty(),
        "codes the README does not name: {missing:?}"
    );
}
