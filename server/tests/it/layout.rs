//! The layout, drawn from the imports: in `server` and in `app`, no module reaches (through a
//! `use` or a `crate::`/`super::` path) a module that reaches back to it, file by file and folder
//! by folder, so each crate's folders stand in floors. In `server`, `db/` is the ground floor:
//! it names no other folder of the crate.
//!
//! A module naming its own ancestors is not counted: a child sees its parent's items by design
//! (a folder's `mod.rs` is its face). Test modules (`#[cfg(test)] mod tests`) are not counted
//! either: a test drives its floor from above.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every module of the crate whose sources are under `src`, with the text it counts.
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).expect("a readable source folder");
        for entry in entries {
            let path: PathBuf = entry.expect("a readable entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let mut module: Module = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                module.clear();
            }
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            found.insert(module, counted_text(&text));
        }
    }
    found
}

/// The source without comment lines and without its test modules: from a top-level
/// `#[cfg(test)]` `mod …` to its closing brace, which rustfmt puts alone at the start of a line
/// (so code after a test module still counts).
fn counted_text(source: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let test_module = line == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.starts_with("mod ") && next.ends_with('{'));
        if test_module {
            for inside in lines.by_ref() {
                if inside == "}" {
                    break;
                }
            }
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// Every path a `use` tree names, whole: `a::{b, c::{d}}` gives `a::b` and `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let close = tree.rfind('}').unwrap_or(tree.len());
    let (prefix, inner) = (&tree[..open], &tree[open + 1..close]);
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
        .filter(|part| !part.trim().is_empty())
        .flat_map(|part| {
            expand(part)
                .into_iter()
                .map(move |p| format!("{prefix}{p}"))
        })
        .collect()
}

/// The paths a module's text names: its `use` declarations' trees (a line that starts with
/// `use` or `pub … use`, up to its `;`), and `crate::`, `super::` and `self::` paths anywhere else.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut outside_use = String::new();
    let mut declaration: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let body = trimmed
            .strip_prefix("pub ")
            .or_else(|| {
                trimmed
                    .strip_prefix("pub(")
                    .and_then(|r| r.split_once(") ").map(|(_, rest)| rest))
            })
            .unwrap_or(trimmed);
        let started = declaration.is_none() && body.starts_with("use ");
        if started {
            declaration = Some(String::new());
        }
        match declaration.as_mut() {
            Some(tree) => {
                tree.push_str(if started { &body[4..] } else { line });
                if let Some(end) = tree.find(';') {
                    paths.extend(expand(&tree[..end]));
                    declaration = None;
                }
            }
            None => {
                outside_use.push_str(line);
                outside_use.push('\n');
            }
        }
    }
    for root in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = outside_use[from..].find(root) {
            let start = from + at;
            let preceded = outside_use[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            let end = outside_use[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(outside_use.len(), |e| start + e);
            if !preceded {
                paths.push(outside_use[start..end].to_owned());
            }
            from = end.max(start + 1);
        }
    }
    paths
}

/// The module a path names from inside `module`, if it is one of the crate's.
fn target(module: &Module, path: &str, known: &BTreeSet<Module>) -> Option<Module> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let first = *segments.first()?;
    let absolute: Module = match first {
        "crate" => segments[1..].iter().map(|s| (*s).to_owned()).collect(),
        "super" | "self" => {
            let mut base = module.clone();
            let mut rest = segments.as_slice();
            while let Some((head, tail)) = rest.split_first() {
                match *head {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = tail;
            }
            base.extend(rest.iter().map(|s| (*s).to_owned()));
            base
        }
        // `use child::…` in a module that has such a child.
        child => {
            let mut candidate = module.clone();
            candidate.push(child.to_owned());
            if !known.contains(&candidate) {
                return None;
            }
            candidate.extend(segments[1..].iter().map(|s| (*s).to_owned()));
            candidate
        }
    };
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// Who names whom, module by module (naming oneself or an ancestor not counted).
fn imports(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules(src);
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(module, text)| {
            let named = named_paths(text)
                .iter()
                .filter_map(|path| target(module, path, &known))
                .filter(|t| t != module && !module.starts_with(t))
                .collect();
            (module.clone(), named)
        })
        .collect()
}

/// The loops of a graph: each group of nodes that reach one another, when more than one.
fn loops<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    let nodes: BTreeSet<N> = graph
        .keys()
        .chain(graph.values().flatten())
        .cloned()
        .collect();
    let reach = |from: &N| -> BTreeSet<N> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<N, BTreeSet<N>> = nodes.iter().map(|n| (n.clone(), reach(n))).collect();
    let mut groups: Vec<Vec<N>> = Vec::new();
    for node in &nodes {
        if !reached[node].contains(node) || groups.iter().any(|g| g.contains(node)) {
            continue;
        }
        let group = nodes
            .iter()
            .filter(|other| reached[node].contains(*other) && reached[*other].contains(node))
            .cloned()
            .collect();
        groups.push(group);
    }
    groups
}

/// Folder by folder: a top-level module and everything under it.
fn folders(graph: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &Module| m.first().cloned().unwrap_or_else(|| "lib".to_owned());
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The crate's root only declares its modules: it stands above them all, on no floor.
    for (module, named) in graph.iter().filter(|(module, _)| !module.is_empty()) {
        let entry = folders.entry(top(module)).or_default();
        entry.extend(named.iter().map(top).filter(|t| *t != top(module)));
    }
    folders
}

/// The floors, lowest first: each folder on the floor above the highest it names.
fn floors(folders: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let mut floor: BTreeMap<String, usize> = BTreeMap::new();
    let mut changed = true;
    while changed {
        changed = false;
        for (folder, named) in folders {
            let level = named
                .iter()
                .map(|n| floor.get(n).map_or(1, |f| f + 1))
                .max()
                .unwrap_or(0);
            if floor.get(folder) != Some(&level) {
                floor.insert(folder.clone(), level);
                changed = true;
            }
        }
    }
    let mut by_floor: Vec<BTreeSet<String>> = Vec::new();
    for (folder, level) in floor {
        if by_floor.len() <= level {
            by_floor.resize(level + 1, BTreeSet::new());
        }
        by_floor[level].insert(folder);
    }
    by_floor
}

fn source(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

fn assert_no_loops(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let graph = imports(&source(krate));
    assert!(graph.len() > 10, "{krate}: the sources were found");
    let file_loops = loops(&graph);
    assert!(
        file_loops.is_empty(),
        "{krate}: modules that reach back to themselves: {file_loops:?}"
    );
    let folders = folders(&graph);
    let folder_loops = loops(&folders);
    assert!(
        folder_loops.is_empty(),
        "{krate}: folders that reach back to themselves: {folder_loops:?}"
    );
    // Walking them up, lowest floor first, shows the layout (`cargo test layout -- --nocapture`).
    for (level, floor) in floors(&folders).iter().enumerate() {
        println!("{krate} floor {level}: {floor:?}");
    }
    folders
}

#[test]
fn the_servers_folders_stand_in_floors_with_db_at_the_bottom() {
    let folders = assert_no_loops("server");
    assert_eq!(
        folders.get("db"),
        Some(&BTreeSet::new()),
        "db/ names no concept"
    );
    for concept in [
        "accounts",
        "flows",
        "applications",
        "api_keys",
        "links",
        "runs",
        "campaigns",
    ] {
        let named = &folders[concept];
        for above in [
            "backend",
            "http",
            "api_v1",
            "startup",
            "cli",
            "configuration",
        ] {
            assert!(
                !named.contains(above),
                "{concept} names {above}, a floor above it"
            );
        }
    }
    for entry in ["startup", "configuration"] {
        assert!(
            !folders[entry].contains("cli"),
            "{entry} is built from settings, not the CLI"
        );
    }
}

#[test]
fn the_shared_crates_folders_stand_in_floors_with_the_domain_at_the_bottom() {
    let folders = assert_no_loops("app");
    assert_eq!(
        folders.get("domain"),
        Some(&BTreeSet::new()),
        "the domain names no screen, no port and no transport"
    );
}

#[test]
fn the_drawing_sees_every_kind_of_import() {
    let known: BTreeSet<Module> = [
        vec![],
        vec!["a".to_owned()],
        vec!["a".to_owned(), "b".to_owned()],
        vec!["c".to_owned()],
    ]
    .into_iter()
    .collect();
    let a_b = vec!["a".to_owned(), "b".to_owned()];
    let text = "use super::super::c::Thing;\nfn f() { crate::c::g(); }\n";
    let named: Vec<Module> = named_paths(text)
        .iter()
        .filter_map(|p| target(&a_b, p, &known))
        .collect();
    assert_eq!(named, [vec!["c".to_owned()], vec!["c".to_owned()]]);
    assert_eq!(
        expand("crate::{a::{b, c as d}, e}"),
        ["crate::a::b", "crate::a::c", "crate::e"]
    );
    assert_eq!(
        target(&vec!["a".to_owned()], "b::Item", &known),
        Some(a_b),
        "a child named from its parent"
    );
    let mut graph = BTreeMap::new();
    graph.insert(1, BTreeSet::from([2]));
    graph.insert(2, BTreeSet::from([1]));
    graph.insert(3, BTreeSet::from([1]));
    assert_eq!(loops(&graph), vec![vec![1, 2]]);
    let source = "use crate::a::X;\n#[cfg(test)]\nmod tests {\n    use crate::c::Y;\n}\n\nuse crate::b::Z;\n";
    let counted = counted_text(source);
    assert!(
        counted.contains("crate::a") && counted.contains("crate::b"),
        "{counted}"
    );
    assert!(
        !counted.contains("crate::c"),
        "a test module is not counted: {counted}"
    );
}
