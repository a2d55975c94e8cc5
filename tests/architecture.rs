//! The layout's rules, checked from the source: no import circles between files of `src/`,
//! imports that only run down the layers (pages → adapters and the HTTP edge → services → db, auth,
//! email → leaves), with the few arrows up that are allowed named below, and no file longer than
//! 300 lines before its tests. A plain reading of `use` lines and `crate::`/`super::` paths, so it
//! costs no build of its own.
//!
//! Run it alone with `cargo test --features ssr --test architecture`.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The layers, top first: a file belongs to the first entry whose prefix its path starts with
/// (a folder ends in `/`). An arrow may go to its own layer or any below, never above. A new file
/// that matches no entry fails the test: say where it belongs.
const LAYERS: &[(&str, &[&str])] = &[
    ("pages", &["src/lib.rs", "src/app.rs", "src/ui/"]),
    (
        "adapters and the HTTP edge",
        &[
            "src/api/",
            "src/server/mod.rs",
            "src/server/startup.rs",
            "src/server/telemetry.rs",
            "src/server/rest/",
            "src/server/cli/",
            "src/server/http/",
        ],
    ),
    ("services", &["src/server/services/", "src/server/state.rs"]),
    (
        "db, auth, email",
        &["src/server/db/", "src/server/auth/", "src/server/email/", "src/server/limits.rs", "src/server/identity.rs"],
    ),
    (
        "leaves",
        &[
            "src/domain/",
            "src/i18n/",
            "src/error.rs",
            "src/server/clock.rs",
            "src/server/config.rs",
            "src/server/config/",
            "src/server/memory.rs",
            "src/server/metrics.rs",
            "src/server/network.rs",
        ],
    ),
];

/// Arrows up that are allowed, each with its reason. At most three.
const ALLOWED_UP: &[(&str, &str, &str)] = &[(
    "src/server/startup.rs",
    "src/app.rs",
    "the usual Leptos wiring: the server renders the app's shell and routes its pages",
)];

struct Source {
    /// `src/server/auth/tokens.rs`
    file: String,
    /// `["server", "auth", "tokens"]`
    module: Vec<String>,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    files
        .into_iter()
        .filter(|path| !path.ends_with("src/main.rs"))
        .map(|path| {
            let file = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let inner = file.strip_prefix("src/").unwrap().strip_suffix(".rs").unwrap();
            let mut module: Vec<String> = inner.split('/').map(str::to_owned).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            Source {
                file,
                module,
                text: without_tests(&strip_comments_and_strings(&fs::read_to_string(&path).unwrap())),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments and string and char literals blanked, so `crate::` in prose or in a
/// string is no import.
fn strip_comments_and_strings(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            i = end;
        } else if let Some(raw) = raw_string_len(rest) {
            out.push_str("\"\"");
            i += raw;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if bytes[i] == b'\'' && char_literal_len(rest).is_some() {
            out.push_str("' '");
            i += char_literal_len(rest).unwrap();
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`) at the start of `s`.
fn raw_string_len(s: &str) -> Option<usize> {
    let after_r = s.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    body.find(&close).map(|end| 1 + hashes + 1 + end + close.len())
}

/// The length of a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) at the start of `s`; `None` for a
/// lifetime.
fn char_literal_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if first == '\\' {
        let end = s[2..].find('\'')?;
        return Some(2 + end + 1);
    }
    let (at, next) = chars.next()?;
    (next == '\'').then_some(at + 1)
}

/// The source without its `#[cfg(test)]` modules: a test may reach anywhere.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find(['{', ';']) else { break };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path a `use` tree names, flattened: `a::{b, c::d}` is `a::b`, `a::c::d`.
fn flatten(tree: &str) -> Vec<Vec<String>> {
    fn parse(tokens: &[String], at: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        while *at < tokens.len() {
            match tokens[*at].as_str() {
                "{" => {
                    *at += 1;
                    loop {
                        parse(tokens, at, &path, out);
                        match tokens.get(*at).map(String::as_str) {
                            Some(",") => *at += 1,
                            Some("}") => {
                                *at += 1;
                                break;
                            }
                            _ => break,
                        }
                        if tokens.get(*at).map(String::as_str) == Some("}") {
                            *at += 1;
                            break;
                        }
                    }
                    return;
                }
                "," | "}" => break,
                "::" => *at += 1,
                "as" => *at += 2,
                "self" if !path.is_empty() => *at += 1,
                word => {
                    path.push(word.to_owned());
                    *at += 1;
                }
            }
        }
        if path.len() > prefix.len() || !path.is_empty() {
            out.push(path);
        }
    }
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = tree.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' || c == '*' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        match c {
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                tokens.push("::".into());
            }
            '{' | '}' | ',' => tokens.push(c.to_string()),
            _ => {}
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    let mut out = Vec::new();
    let mut at = 0;
    parse(&tokens, &mut at, &[], &mut out);
    out
}

/// The `use` declarations of a file (their trees), and the rest of its text.
fn use_trees(text: &str) -> (Vec<String>, String) {
    let mut trees = Vec::new();
    let mut rest = String::new();
    let mut remaining = text;
    loop {
        let found = find_use(remaining);
        let Some((start, tree_start)) = found else {
            rest.push_str(remaining);
            break;
        };
        let end = remaining[tree_start..].find(';').map_or(remaining.len(), |n| tree_start + n);
        rest.push_str(&remaining[..start]);
        trees.push(remaining[tree_start..end].to_owned());
        remaining = &remaining[(end + 1).min(remaining.len())..];
    }
    (trees, rest)
}

/// Where the next `use` declaration starts, and where its tree starts.
fn find_use(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(at) = text[from..].find("use ") {
        let at = from + at;
        let before = text[..at].chars().last();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some((at, at + 4));
        }
        from = at + 4;
    }
    None
}

/// The paths written inline (`crate::server::metrics::password_hash(…)`, `super::Pool`).
fn inline_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for anchor in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(anchor) {
            let at = from + at;
            from = at + anchor.len();
            let before = text[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String =
                text[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
        }
    }
    out
}

struct Graph {
    files: BTreeMap<Vec<String>, String>,
    arrows: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

impl Graph {
    fn read() -> Self {
        let sources = sources();
        let files: BTreeMap<Vec<String>, String> = sources.iter().map(|s| (s.module.clone(), s.file.clone())).collect();
        let mut arrows: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for source in &sources {
            let (trees, rest) = use_trees(&source.text);
            let mut paths: Vec<Vec<String>> = trees.iter().flat_map(|t| flatten(t)).collect();
            paths.extend(inline_paths(&rest));
            for path in paths {
                let Some((target, name)) = resolve(&files, &source.module, source.file.ends_with("mod.rs"), &path)
                else {
                    continue;
                };
                if target != source.file {
                    arrows.entry(source.file.clone()).or_default().entry(target).or_default().insert(name);
                }
            }
        }
        Self { files, arrows }
    }
}

/// The file a path names (the deepest module of it that is a file of ours), and the name taken.
fn resolve(
    files: &BTreeMap<Vec<String>, String>,
    module: &[String],
    is_folder_module: bool,
    path: &[String],
) -> Option<(String, String)> {
    let mut segments = path.iter().map(String::as_str).peekable();
    let mut base: Vec<String> = match *segments.peek()? {
        "crate" => {
            segments.next();
            Vec::new()
        }
        "super" | "self" => {
            // A file `a/b.rs` is module a::b; `super` is a. A folder module `a/mod.rs` is a.
            let mut base = module.to_vec();
            let _ = is_folder_module;
            while let Some(&step) = segments.peek() {
                match step {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                segments.next();
            }
            base
        }
        first => {
            // A child module named without `self::` (`use templates::X` in email/mod.rs).
            let mut child = module.to_vec();
            child.push(first.to_owned());
            if !files.contains_key(&child) {
                return None;
            }
            module.to_vec()
        }
    };
    let rest: Vec<&str> = segments.collect();
    let mut found = files.get(&base).cloned();
    let mut taken = rest.first().map_or_else(String::new, |s| (*s).to_owned());
    for (i, step) in rest.iter().enumerate() {
        base.push((*step).to_owned());
        match files.get(&base) {
            Some(file) => {
                found = Some(file.clone());
                taken = rest.get(i + 1).map_or_else(|| (*step).to_owned(), |s| (*s).to_owned());
            }
            None => break,
        }
    }
    found.map(|file| (file, taken))
}

fn layer_of(file: &str) -> usize {
    LAYERS
        .iter()
        .position(|(_, prefixes)| prefixes.iter().any(|p| file.starts_with(p)))
        .unwrap_or_else(|| panic!("{file} is in no layer: add it to LAYERS"))
}

/// Strongly connected components of more than one file (Tarjan's algorithm).
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.graph.arrows.get(v) {
            for w in targets.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for file in graph.files.values() {
        if !state.index.contains_key(file.as_str()) {
            visit(&mut state, file.as_str());
        }
    }
    state.found
}

fn describe(graph: &Graph, from: &str, to: &str) -> String {
    let names: Vec<&str> = graph.arrows[from][to].iter().map(String::as_str).collect();
    format!("{from} -> {to}: {}", names.join(", "))
}

#[test]
fn no_file_of_src_is_in_an_import_circle() {
    let graph = Graph::read();
    let found = circles(&graph);
    let mut report = Vec::new();
    for members in &found {
        let set: BTreeSet<&str> = members.iter().map(String::as_str).collect();
        let mut ties = Vec::new();
        for from in members {
            for to in graph.arrows.get(from).into_iter().flat_map(|t| t.keys()) {
                if set.contains(to.as_str()) {
                    ties.push(describe(&graph, from, to));
                }
            }
        }
        report.push(format!("{} files: {}\n    {}", members.len(), members.join(", "), ties.join("\n    ")));
    }
    assert!(report.is_empty(), "import circles in src/:\n{}", report.join("\n"));
}

#[test]
fn imports_run_down_the_layers() {
    let graph = Graph::read();
    assert!(ALLOWED_UP.len() <= 3, "at most three arrows up");
    let mut up = Vec::new();
    for (from, targets) in &graph.arrows {
        for to in targets.keys() {
            if layer_of(to) < layer_of(from) && !ALLOWED_UP.iter().any(|(f, t, _)| f == from && t == to) {
                up.push(format!(
                    "{} (layer \"{}\" imports from \"{}\")",
                    describe(&graph, from, to),
                    LAYERS[layer_of(from)].0,
                    LAYERS[layer_of(to)].0
                ));
            }
        }
    }
    assert!(up.is_empty(), "imports against the layer order:\n{}", up.join("\n"));
}

/// The most lines a file of `src/` has before its tests: past it, a file mixes concerns.
const MOST_LINES: usize = 300;

#[test]
fn no_file_of_src_is_over_300_lines_before_its_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = fs::read_to_string(path).unwrap();
            let lines = text.lines().take_while(|line| !line.starts_with("#[cfg(test)]")).count();
            (lines > MOST_LINES).then(|| format!("{} ({lines} lines)", path.strip_prefix(root).unwrap().display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "over {MOST_LINES} lines before their tests:\n{}", long.join("\n"));
}

#[test]
fn the_reader_finds_the_arrows_it_should() {
    let (trees, rest) = use_trees("use crate::{a::{b, c::d as e}, f}; fn x() { super::g::h(); }");
    assert_eq!(trees.len(), 1);
    let paths: Vec<String> = flatten(&trees[0]).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["crate::a::b", "crate::a::c::d", "crate::f"]);
    assert_eq!(inline_paths(&rest), vec![vec!["super".to_owned(), "g".into(), "h".into()]]);
    let text = strip_comments_and_strings("let s = \"crate::x\"; // crate::y\n/* crate::z */ let c = '\"';");
    assert!(!text.contains("crate::"), "{text}");
    assert!(!without_tests("a\n#[cfg(test)]\nmod tests { use crate::x; { } }\nb").contains("crate::x"));
}
