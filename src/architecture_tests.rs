//! Checks of the source tree's shape that the compiler does not make (STYLE.md,
//! "What that looks like here"; `docs/architecture.md`):
//! - inside `src/services/` the use-case modules form a tree: no import cycle between
//!   modules, and none between the areas (`billing`, `parties`, …) they are grouped in;
//! - `src/domain/` imports no actix, diesel, stripe or lettre;
//! - `src/http/` never touches the database (no diesel, no `crate::db`): handlers call
//!   services;
//! - no source file over 600 lines.
//!
//! The import graph is read from the text of the sources: every `use` tree and every
//! inline path that starts with `crate::services::`, `super::` or `self::` is resolved
//! to the deepest module file it names. Run with `cargo test --lib architecture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a source file below `src/`, e.g. `services::billing::payments`
/// for `src/services/billing/payments.rs` and `services::billing` for its `mod.rs`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir()).expect("file below src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Source text without comments (line comments, doc comments, block comments) and
/// without string literals, so paths in prose or strings are not read as imports.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its full paths.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let leaf = tree.split(" as ").next().unwrap_or("").trim();
        return vec![leaf.chars().filter(|c| !c.is_whitespace()).collect()];
    };
    let prefix: String = tree[..open]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| {
            expand_use_tree(p)
                .into_iter()
                .map(|s| format!("{prefix}{s}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every path written in `code`: expanded `use` trees and inline `a::b::c` paths.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(pos) = rest.find("use ") {
        let before_ok = pos == 0
            || !rest.as_bytes()[pos - 1].is_ascii_alphanumeric()
                && rest.as_bytes()[pos - 1] != b'_';
        let after = &rest[pos + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            paths.extend(expand_use_tree(&after[..end]));
        }
        rest = &after[end.min(after.len())..];
    }
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let word_start =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b':');
        if word_start && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b':') {
                j += 1;
            }
            let token = &code[i..j];
            if token.contains("::") {
                paths.push(token.trim_end_matches(':').to_owned());
            }
            i = j;
        } else {
            i += 1;
        }
    }
    paths
}

/// Resolves `path`, written in module `from`, to an absolute module path (segments
/// below the crate root). Paths into other crates answer `None`.
fn absolute(from: &[String], path: &str) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, rest): (Vec<String>, &[&str]) = match *segs.first()? {
        "crate" => (Vec::new(), &segs[1..]),
        "self" => (from.to_vec(), &segs[1..]),
        "super" => {
            let mut base = from.to_vec();
            let mut k = 0;
            while segs.get(k) == Some(&"super") {
                base.pop();
                k += 1;
            }
            (base, &segs[k..])
        }
        _ => return None,
    };
    base.extend(rest.iter().map(|s| s.to_string()));
    Some(base)
}

/// The import graph between module files under `src/services/`.
fn services_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = rust_files(&src_dir().join("services"));
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let code = code_only(&std::fs::read_to_string(file).expect("read source"));
        let mut deps = BTreeSet::new();
        for path in paths_in(&code) {
            let Some(abs) = absolute(&from, &path) else {
                continue;
            };
            if abs.first().map(String::as_str) != Some("services") {
                continue;
            }
            // The deepest module file the path names.
            let target = (1..=abs.len())
                .rev()
                .map(|n| abs[..n].to_vec())
                .find(|m| modules.contains(m));
            if let Some(target) = target {
                // A child naming its ancestors (for `ServiceError`, `AppContext`) is
                // not an edge of the use-case tree.
                if target != from && !from.starts_with(&target) {
                    deps.insert(target);
                }
            }
        }
        graph.insert(from, deps);
    }
    graph
}

/// The first cycle found in `graph`, as the list of its nodes.
fn find_cycle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        n: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        done: &mut BTreeSet<N>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        if let Some(pos) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(n.clone());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.clone());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

#[test]
fn services_modules_form_a_tree() {
    let graph = services_graph();
    assert!(graph.len() > 5, "the services tree was not read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        panic!("import cycle inside src/services: {}", names.join(" -> "));
    }
}

#[test]
fn services_areas_depend_one_way() {
    let mut areas: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, deps) in services_graph() {
        let Some(area) = from.get(1).cloned() else {
            continue;
        };
        let entry = areas.entry(area.clone()).or_default();
        for d in deps {
            if let Some(other) = d.get(1) {
                if *other != area {
                    entry.insert(other.clone());
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&areas) {
        panic!(
            "areas of src/services depend on each other: {}",
            cycle.join(" -> ")
        );
    }
}

/// Files under `dir` whose code (comments and strings aside) mentions one of `words`.
fn files_mentioning(dir: &str, words: &[&str]) -> Vec<String> {
    rust_files(&src_dir().join(dir))
        .into_iter()
        .filter_map(|f| {
            let code = code_only(&std::fs::read_to_string(&f).expect("read source"));
            let hits: Vec<&&str> = words.iter().filter(|w| code.contains(**w)).collect();
            (!hits.is_empty()).then(|| format!("{} ({hits:?})", f.display()))
        })
        .collect()
}

#[test]
fn domain_has_no_io_crates() {
    let bad = files_mentioning(
        "domain",
        &[
            "actix",
            "diesel",
            "stripe::",
            "async_stripe",
            "lettre",
            "crate::db",
            "crate::services",
        ],
    );
    assert!(bad.is_empty(), "domain files import I/O crates: {bad:#?}");
}

#[test]
fn http_handlers_do_not_touch_the_database() {
    let bad = files_mentioning("http", &["diesel", "crate::db", "write_transaction"]);
    assert!(
        bad.is_empty(),
        "http files reach the database directly: {bad:#?}"
    );
}

#[test]
fn no_source_file_over_600_lines() {
    let root = src_dir().parent().expect("crate root").to_path_buf();
    let mut big = Vec::new();
    for dir in ["src", "tests"] {
        for f in rust_files(&root.join(dir)) {
            let lines = std::fs::read_to_string(&f)
                .expect("read source")
                .lines()
                .count();
            if lines > 600 {
                big.push(format!("{} ({lines} lines)", f.display()));
            }
        }
    }
    assert!(
        big.is_empty(),
        "split these along the domain's seams: {big:#?}"
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    g.insert("a", ["b"].into());
    g.insert("b", ["c"].into());
    g.insert("c", ["a"].into());
    assert_eq!(find_cycle(&g), Some(vec!["a", "b", "c", "a"]));
    g.insert("c", BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
    assert_eq!(
        expand_use_tree("super::{a, b::{c, d}, e as f}"),
        vec!["super::a", "super::b::c", "super::b::d", "super::e"]
    );
}
