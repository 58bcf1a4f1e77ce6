//! The service's modules depend on each other one way, and this test keeps them so.
//!
//! # The layers, from the bottom
//!
//! 0. **domain**: Mobiniti's model (the six kinds, their payloads, phone numbers, dedupe keys,
//!    categories, the step from a raw body to an event). It knows nothing of HTTP, SQL or
//!    GraphQL, and imports nothing else of the crate.
//! 1. **store**: the event log, its projections, the quarantine: SQL over the domain's types.
//! 2. **stream**: the log followed live, over the store.
//! 3. **edges**: what clients talk to (the webhooks, GraphQL, the dashboard, health and metrics)
//!    and what stands in front of them (credentials, origins, body limits, error answers).
//! 4. **app**: the configuration, the state the edges share, the server and its wiring.
//! 5. **commands**: the command line, and `rebuild`, `replay-quarantine`, `settings`, `urls`,
//!    `simulate`, each a client of the layers below.
//!
//! A module may import from its own layer or the layers below, never from above; and no two
//! top-level modules of a layer may import each other, directly or around a cycle: then neither
//! can be read, changed or tested without the other. (Between layers, a cycle needs an import
//! from above, which the first rule already refuses.)
//!
//! The test reads every `crate::…` path of `api/src` (in `use` lines and in code, comments
//! left out) and fails on each import against that order or on a cycle, naming the file and
//! line. An edge shares state with another through the app's `AppState` by `FromRef` (its own
//! `RouteState`), never by importing it; a lower layer that must call up is handed a trait
//! object (`auth_guard::Credentials`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::rust_files;

/// Each top-level module of `api/src` and its layer; `lib` is the crate root's own items
/// (`crate::AppState`, `crate::app`).
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("store", 1),
    ("stream", 2),
    ("webhooks", 3),
    ("graphql", 3),
    ("dashboard", 3),
    ("health", 3),
    ("metrics", 3),
    ("auth_guard", 3),
    ("origins", 3),
    ("transfer", 3),
    ("body", 3),
    ("error", 3),
    ("derivation", 3),
    ("logging", 3),
    ("lib", 4),
    ("config", 4),
    ("serve", 4),
    ("state", 4),
    ("setup", 4),
    ("commands", 5),
    ("cli", 5),
];

/// One `crate::module` path, where it was written.
#[derive(Debug, Clone)]
struct Import {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let imports = imports_under(&src);
    let mut unknown_modules = BTreeSet::new();
    for import in &imports {
        for module in [&import.from, &import.to] {
            if !layer.contains_key(module.as_str()) {
                unknown_modules.insert(module.clone());
            }
        }
    }
    assert!(
        unknown_modules.is_empty(),
        "modules with no layer in LAYERS: {unknown_modules:?}; give each its place"
    );

    let broken = violations(&imports, &layer);
    assert!(
        broken.is_empty(),
        "imports against the layer order:\n{}",
        broken.join("\n")
    );
}

/// Each import that runs against the layer order or closes a cycle within a layer, as
/// `file:line: from -> to: why`.
fn violations(imports: &[Import], layer: &BTreeMap<&str, u8>) -> Vec<String> {
    let graph: BTreeMap<&str, BTreeSet<&str>> =
        imports.iter().fold(BTreeMap::new(), |mut graph, import| {
            graph
                .entry(import.from.as_str())
                .or_default()
                .insert(import.to.as_str());
            graph
        });
    let mut broken = Vec::new();
    for import in imports {
        let edge = (import.from.as_str(), import.to.as_str());
        let upward = layer[edge.0] < layer[edge.1];
        // Across layers a cycle needs an upward edge, which is reported as such.
        let cycle = layer[edge.0] == layer[edge.1] && reaches(&graph, edge.1, edge.0);
        if !upward && !cycle {
            continue;
        }
        let why = if upward {
            format!(
                "layer {} imports from layer {} above it",
                layer[edge.0], layer[edge.1]
            )
        } else {
            format!("closes a cycle: {} reaches {} back", edge.1, edge.0)
        };
        broken.push(format!(
            "{}:{}: {} -> {}: {why}",
            import.file.display(),
            import.line,
            edge.0,
            edge.1
        ));
    }
    broken
}

/// The imports that made the cycles before the modules were layered (`store` ↔ `webhooks`,
/// `metrics` ↔ `webhooks` and `graphql`, `config` ↔ the `simulate` command, the edges reaching
/// `AppState` in the crate root): each, added to today's imports, is refused.
#[test]
fn every_import_of_the_old_cycles_is_refused() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let today = imports_under(&src);
    let old = [
        ("store", "webhooks"),
        ("store", "metrics"),
        ("metrics", "webhooks"),
        ("graphql", "metrics"),
        ("config", "commands"),
        ("derivation", "config"),
        ("origins", "config"),
        ("webhooks", "lib"),
        ("graphql", "lib"),
        ("auth_guard", "lib"),
    ];
    for (from, to) in old {
        let mut imports = today.clone();
        imports.push(Import {
            from: from.to_owned(),
            to: to.to_owned(),
            file: PathBuf::from("injected.rs"),
            line: 1,
        });
        let broken = violations(&imports, &layer);
        assert!(
            broken
                .iter()
                .any(|line| line.starts_with(&format!("injected.rs:1: {from} -> {to}"))),
            "{from} -> {to} is not refused: {broken:?}"
        );
    }
}

#[test]
fn the_reader_finds_paths_in_use_lines_groups_and_code_but_not_comments() {
    let source = "use crate::store::Store;\n\
                  use crate::{error, graphql::{ApiKey, Limits}};\n\
                  // crate::metrics is named in a comment only\n\
                  /// see [`crate::health`]\n\
                  let state = crate::AppState::new();\n\
                  use super::crate_like;\n";
    let found: Vec<(String, usize)> = crate_paths(source);
    let expected = [("store", 1), ("error", 2), ("graphql", 2), ("AppState", 5)];
    assert_eq!(found, expected.map(|(name, line)| (name.to_owned(), line)));
}

/// Whether `to` can be reached from `from` along the graph's edges.
fn reaches(graph: &BTreeMap<&str, BTreeSet<&str>>, from: &str, to: &str) -> bool {
    let mut stack = vec![from];
    let mut visited = BTreeSet::new();
    while let Some(module) = stack.pop() {
        if module == to {
            return true;
        }
        if visited.insert(module) {
            stack.extend(graph.get(module).into_iter().flatten().copied());
        }
    }
    false
}

/// Every import between two top-level modules in the files under `src`; a path to an item of
/// the crate root (`crate::AppState`, `crate::open_store`) imports from `lib`.
fn imports_under(src: &Path) -> Vec<Import> {
    let modules: BTreeSet<String> = std::fs::read_dir(src)
        .expect("api/src")
        .map(|entry| entry.expect("a directory entry").path())
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    let mut imports = Vec::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|part| part.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs");
        // The binary is a crate of its own: its `crate::` is not the library's.
        if top == "main" {
            continue;
        }
        let from = if top == "lib" { "lib" } else { top };
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (name, line) in crate_paths(&text) {
            let to = if modules.contains(&name) {
                name
            } else {
                "lib".to_owned()
            };
            if to != from {
                imports.push(Import {
                    from: from.to_owned(),
                    to,
                    file: relative.to_owned(),
                    line,
                });
            }
        }
    }
    imports
}

/// The first segments of a file's `crate::` paths, with their line numbers.
fn crate_paths(source: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut group: Option<usize> = None;
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(inner) = after.strip_prefix('{') {
                group = Some(0);
                found.extend(group_members(inner).into_iter().map(|name| (name, number)));
                if inner.contains('}') {
                    group = None;
                }
                continue;
            }
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((name, number));
            }
        }
        if group.is_some() && !code.contains("crate::{") {
            found.extend(group_members(code).into_iter().map(|name| (name, number)));
            if code.contains("};") {
                group = None;
            }
        }
    }
    found.dedup();
    found
}

/// The first-level names of a `use crate::{…}` group's text (nested groups left out).
fn group_members(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.extend(first_name(&current));
                current.clear();
            }
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    names.extend(first_name(&current));
    names
}

fn first_name(segment: &str) -> Option<String> {
    let name: String = segment
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}
