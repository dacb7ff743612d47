//! The architecture is one-way: collect → model → workload → graph → checks → plan → report →
//! cli, with `codes`, `fix`, `blocker` and `policy` as shared vocabulary low in the stack,
//! `predeploy` an input stage beside `collect`, `explain` (message classification) read by
//! `diagnose` and `report`, and `diagnose` a stage of its own above `checks`. Data flows that
//! way; imports point down the table below (collect uses model, nothing in model uses collect).
//!
//! Every `.rs` file under `src/` is read and each `crate::…` path in it (its `use` lines, grouped
//! `use crate::{…}` lines and inline paths, not those in comments or strings; and `super::`
//! chains that climb to the crate root) names the top-level module it depends on. Each
//! top-level module may depend only on the modules [`ALLOWED`] lists for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of `src/lib.rs`, lowest first, and what each may use. A module not in
/// the table fails the test: a new one gets a line (and a reason) here.
#[rustfmt::skip]
const ALLOWED: &[(&str, &[&str])] = &[
    // Stable blocker codes, the report contract: the bottom of the stack.
    ("codes", &[]),
    // Structured fixes (changes and their cost) as plain data; `plan` proves them.
    ("fix", &[]),
    // A finding: a code, what it blocks, and its fixes.
    ("blocker", &["codes", "fix"]),
    // IAM policy documents evaluated locally, on their own terms.
    ("policy", &[]),
    // Reading YAML with bounded cost: shared by the input stages, knows none of them.
    ("yaml", &[]),
    // The snapshot: serde types and facts of them (image names, launch, valueFrom); uses nothing.
    ("model", &[]),
    // Input stage: AWS and kubectl files → snapshot. Knows neither predeploy nor the analysis.
    ("collect", &["model", "yaml"]),
    // Input stage: task definition, Prefect and manifest files → model types.
    ("predeploy", &["model", "yaml"]),
    // What runs where and which calls it must make, from the snapshot alone.
    ("workload", &["model"]),
    // Message classification: categories point at codes; a message is about a workload call.
    ("explain", &["codes", "workload"]),
    // Network paths per call: snapshot + requirements → blockers and their fixes.
    ("graph", &["blocker", "codes", "fix", "model", "policy", "workload"]),
    // Verdicts per workload: paths, IAM and registry facts. Judges configuration, not messages.
    ("checks", &["blocker", "codes", "fix", "graph", "model", "policy", "workload"]),
    // `pullpath diagnose`: the audit's findings ranked against what ECS or Kubernetes said.
    ("diagnose", &["blocker", "checks", "codes", "explain", "model", "workload"]),
    // Fix plans: fixes applied to the snapshot and re-audited (checks) to prove them.
    ("plan", &["blocker", "checks", "codes", "fix", "graph", "model", "policy", "workload"]),
    // Renders every result; reads no input (collect, predeploy, yaml) and knows no CLI.
    ("report", &["blocker", "checks", "codes", "diagnose", "explain", "fix", "graph", "model", "plan", "policy", "workload"]),
    // The composition root: reads the arguments, runs the stages, hands inputs between them.
    ("cli", &["blocker", "checks", "codes", "collect", "diagnose", "explain", "fix", "graph", "model", "plan", "policy", "predeploy", "report", "workload", "yaml"]),
];

/// What the architecture forbids outright (the table above may never allow it): nothing
/// imports a stage above it, and collection imports neither `predeploy` nor `workload`.
#[rustfmt::skip]
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("collect", &["predeploy", "workload", "explain", "graph", "checks", "diagnose", "plan", "report", "cli"]),
    ("model", &["collect", "predeploy", "workload", "explain", "graph", "checks", "diagnose", "plan", "report", "cli"]),
    ("graph", &["checks", "diagnose", "plan", "report", "cli"]),
    ("checks", &["diagnose", "plan", "report", "cli"]),
    ("diagnose", &["plan", "report", "cli"]),
    ("plan", &["diagnose", "report", "cli"]),
    ("report", &["cli"]),
];

fn allowed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ALLOWED
        .iter()
        .map(|(module, uses)| (*module, uses.iter().copied().collect()))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// One dependency found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    /// The top-level module used.
    module: String,
    line: usize,
}

/// `source` with comments, string literals and character literals blanked (newlines kept, so
/// line numbers stay), leaving only code.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, text: &[char]| {
        out.extend(text.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }))
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let at = |k: usize| rest.get(k).copied().unwrap_or('\0');
        if at(0) == '/' && at(1) == '/' {
            let end = rest.iter().position(|&c| c == '\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if at(0) == '/' && at(1) == '*' {
            // Block comments nest.
            let (mut depth, mut k) = (0usize, 0usize);
            while k < rest.len() {
                if at(k) == '/' && at(k + 1) == '*' {
                    depth += 1;
                    k += 2;
                } else if at(k) == '*' && at(k + 1) == '/' {
                    depth -= 1;
                    k += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    k += 1;
                }
            }
            blank(&mut out, &rest[..k.min(rest.len())]);
            i += k;
        } else if (at(0) == 'r' || (at(0) == 'b' && at(1) == 'r'))
            && (i == 0 || !ident(chars[i - 1]))
            && {
                let start = if at(0) == 'b' { 2 } else { 1 };
                let hashes = rest[start..].iter().take_while(|&&c| c == '#').count();
                at(start + hashes) == '"'
            }
        {
            // A raw string: r"…", r#"…"#, br"…".
            let start = if at(0) == 'b' { 2 } else { 1 };
            let hashes = rest[start..].iter().take_while(|&&c| c == '#').count();
            let mut k = start + hashes + 1;
            while k < rest.len() {
                if at(k) == '"' && (1..=hashes).all(|h| at(k + h) == '#') {
                    k += 1 + hashes;
                    break;
                }
                k += 1;
            }
            blank(&mut out, &rest[..k.min(rest.len())]);
            i += k;
        } else if at(0) == '"' {
            let mut k = 1;
            while k < rest.len() && at(k) != '"' {
                k += if at(k) == '\\' { 2 } else { 1 };
            }
            k = (k + 1).min(rest.len());
            blank(&mut out, &rest[..k]);
            i += k;
        } else if at(0) == '\'' && (at(1) == '\\' || at(2) == '\'') {
            // A character literal ('x', '\n', '\u{1b}'); a lifetime has no closing quote.
            let mut k = if at(1) == '\\' { 3 } else { 2 };
            while k < rest.len() && at(k) != '\'' {
                k += 1;
            }
            k = (k + 1).min(rest.len());
            blank(&mut out, &rest[..k]);
            i += k;
        } else {
            out.push(at(0));
            i += 1;
        }
    }
    out
}

/// A token of code: an identifier, `::`, or one other character; with its line.
fn tokens(code: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((chars[start..i].iter().collect(), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(("::".to_string(), line));
            i += 2;
        } else {
            out.push((c.to_string(), line));
            i += 1;
        }
    }
    out
}

/// The names a path names at the crate root, starting at token `i` (just after `crate::` or
/// the `super::` that reaches the root): one identifier, or each item of a `{…}` group.
fn root_names(tokens: &[(String, usize)], i: usize) -> Vec<Use> {
    let is_ident = |t: &str| t.chars().all(|c| c.is_alphanumeric() || c == '_');
    match tokens.get(i) {
        Some((t, line)) if is_ident(t) => vec![Use {
            module: t.clone(),
            line: *line,
        }],
        Some((t, _)) if t == "{" => {
            let mut names = Vec::new();
            let (mut depth, mut item_start) = (0usize, true);
            for (t, line) in &tokens[i..] {
                match t.as_str() {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    "," if depth == 1 => item_start = true,
                    _ if depth == 1 && item_start && is_ident(t) => {
                        if t != "self" {
                            names.push(Use {
                                module: t.clone(),
                                line: *line,
                            });
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
            names
        }
        _ => Vec::new(),
    }
}

/// The top-level modules `source` uses, for a file whose module path is `path` (`["checks",
/// "audit"]` for src/checks/audit.rs): every `crate::` path, and every `super::` chain that
/// climbs to the crate root (inline `mod x { … }` blocks count as one level each).
fn uses(path: &[&str], source: &str) -> Vec<Use> {
    let tokens = tokens(&code_only(source));
    let text = |k: usize| tokens.get(k).map_or("", |(t, _)| t.as_str());
    let mut found = Vec::new();
    let (mut depth, mut inline_mods): (usize, Vec<usize>) = (0, Vec::new());
    let mut mod_opens = false;
    for i in 0..tokens.len() {
        match text(i) {
            "{" => {
                depth += 1;
                if mod_opens {
                    inline_mods.push(depth);
                    mod_opens = false;
                }
            }
            "}" => {
                if inline_mods.last() == Some(&depth) {
                    inline_mods.pop();
                }
                depth = depth.saturating_sub(1);
            }
            "mod" if text(i + 2) == "{" => mod_opens = true,
            _ => {}
        }
        // A path starts here: not `a::crate`, not `$crate` (a macro's own crate).
        let starts = i == 0 || !matches!(text(i - 1), "::" | "$");
        if !starts || text(i + 1) != "::" {
            continue;
        }
        match text(i) {
            "crate" => found.extend(root_names(&tokens, i + 2)),
            "super" => {
                let mut k = i;
                let mut climbs = 0;
                while text(k) == "super" && text(k + 1) == "::" {
                    climbs += 1;
                    k += 2;
                }
                if climbs == path.len() + inline_mods.len() {
                    found.extend(root_names(&tokens, k));
                }
            }
            _ => {}
        }
    }
    found
}

/// `src/checks/audit.rs` → `["checks", "audit"]`; `src/checks/mod.rs` → `["checks"]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    match file.strip_suffix(".rs").expect("a .rs file") {
        "mod" => {}
        stem => parts.push(stem.to_string()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules `src/lib.rs` declares.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("src/lib.rs");
    let tokens = tokens(&code_only(&lib));
    tokens
        .windows(3)
        .filter(|w| w[0].0 == "mod" && w[2].0 == ";")
        .map(|w| w[1].0.clone())
        .collect()
}

#[test]
fn every_module_uses_only_what_its_layer_allows() {
    let allowed = allowed();
    let declared = declared_modules();
    let listed: BTreeSet<String> = allowed.keys().map(|m| m.to_string()).collect();
    let mut violations: Vec<String> = declared
        .symmetric_difference(&listed)
        .map(|m| format!("`{m}` is in src/lib.rs or in ALLOWED, not both: one line per module"))
        .collect();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(src()).expect("under src/");
        let path = module_path(relative);
        // The crate root declares the modules; main.rs is the binary, outside the library.
        let Some(module) = path.first().filter(|_| path != ["lib"] && path != ["main"]) else {
            continue;
        };
        let source = std::fs::read_to_string(file).expect("a readable source file");
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        // A module missing from the table is reported above.
        let Some(may_use) = allowed.get(module.as_str()) else {
            continue;
        };
        checked += 1;
        for used in uses(&path, &source) {
            if used.module != *module && !may_use.contains(used.module.as_str()) {
                violations.push(format!(
                    "src/{}:{}: `{module}` uses `crate::{}`",
                    relative.display(),
                    used.line,
                    used.module
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} files read under src/");
    assert!(
        violations.is_empty(),
        "dependencies the architecture does not allow (tests/integration/architecture.rs, ALLOWED):\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_table_allows_nothing_forbidden() {
    let allowed = allowed();
    for (module, never) in FORBIDDEN {
        let may_use = allowed
            .get(module)
            .expect("every forbidden module is in ALLOWED");
        for other in *never {
            assert!(
                allowed.contains_key(other),
                "`{other}` (forbidden to `{module}`) is not a module"
            );
            assert!(
                !may_use.contains(other),
                "ALLOWED lets `{module}` use `{other}`, which the architecture forbids"
            );
        }
    }
}

#[test]
fn the_table_is_one_way() {
    // Each module may use only modules listed above it in ALLOWED: a layered order, so no
    // cycle can be allowed.
    let mut below: BTreeSet<&str> = BTreeSet::new();
    for (module, uses) in ALLOWED {
        for used in *uses {
            assert!(
                below.contains(used),
                "`{module}` may use `{used}`, which is not listed before it in ALLOWED"
            );
        }
        assert!(below.insert(*module), "`{module}` is listed twice");
    }
}

/// The parser is what makes the test able to fail: it must see each form of dependency, and
/// nothing that is not one.
#[test]
fn the_parser_finds_dependencies_and_ignores_comments_and_strings() {
    let names = |path: &[&str], source: &str| -> Vec<String> {
        uses(path, source).into_iter().map(|u| u.module).collect()
    };
    let source = r##"
        //! Uses `crate::report` in a comment only.
        use crate::model::Snapshot;
        use crate::{checks::audit_workloads, plan, self};
        /* crate::cli in a block /* nested */ comment */
        fn f() -> crate::graph::Hop {
            let _ = "crate::report in a string";
            let _ = r#"crate::cli in a raw string"#;
            let _ = '"'; let _ = crate::workload::Target::Logs;
            let _: &'static str = "";
            $crate::ignored::Macro;
        }
    "##;
    assert_eq!(
        names(&["collect"], source),
        ["model", "checks", "plan", "graph", "workload"]
    );
    let lines: Vec<usize> = uses(&["collect"], source).iter().map(|u| u.line).collect();
    assert_eq!(lines, [3, 4, 4, 6, 9]);

    // `super::` chains that climb to the crate root name a top-level module; shorter ones
    // stay inside the module. An inline `mod` is one level more.
    let climbing = "use super::super::report::Table;\nuse super::sibling;\nmod tests {\n    use super::super::super::cli;\n    use super::*;\n}\n";
    assert_eq!(names(&["checks", "audit"], climbing), ["report", "cli"]);

    // A collect file using workload is reported, with its line.
    let violating = "//! Collection.\nuse crate::model::Snapshot;\nfn f() { crate::workload::ImageRef::parse(\"x\"); }\n";
    let allowed = allowed();
    let may_use = &allowed["collect"];
    let bad: Vec<Use> = uses(&["collect", "ecr"], violating)
        .into_iter()
        .filter(|u| !may_use.contains(u.module.as_str()))
        .collect();
    assert_eq!(
        bad,
        [Use {
            module: "workload".into(),
            line: 3
        }]
    );

    assert_eq!(
        module_path(Path::new("checks/audit.rs")),
        ["checks", "audit"]
    );
    assert_eq!(module_path(Path::new("checks/mod.rs")), ["checks"]);
    assert_eq!(module_path(Path::new("codes.rs")), ["codes"]);
}

/// Codes reported wherever the data they need turns out to be missing or undecidable: their
/// wording names that data, so they are built at the gap (through `not_collected` and the
/// condition evaluator where one applies), not in one family module.
const GAP_CODES: &[&str] = &["NotCollected", "ConditionUnknown"];

/// Where each code is built (`Blocker::new(Code::…`), by file, test modules left out.
fn code_sites() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut sites: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("source reads");
        let code = code_only(&source);
        // Test modules sit at the end of a file; what they build is test data.
        let code = code.split("#[cfg(test)]").next().unwrap_or_default();
        let relative = file
            .strip_prefix(src())
            .expect("under src")
            .display()
            .to_string();
        for (at, call) in code.match_indices("Blocker::new(") {
            let first = code[at + call.len()..]
                .split(',')
                .next()
                .unwrap_or_default();
            if let Some(name) = first.trim().strip_prefix("Code::") {
                sites
                    .entry(name.to_string())
                    .or_default()
                    .insert(relative.clone());
            }
        }
    }
    sites
}

/// One source of truth per code: each code's wording, evidence and fix are built in one file
/// (its family's module: routes in `graph/route_blockers.rs`, pull secrets in
/// `checks/pull_credentials.rs`, …), so two messages for one cause cannot drift apart.
#[test]
fn every_code_is_worded_in_one_file() {
    let sites = code_sites();
    // The scan finds the sites at all (a broken scan would pass vacuously).
    assert!(
        sites.len() > 30,
        "only {} codes found: {sites:?}",
        sites.len()
    );
    assert!(sites.contains_key("NoRoute"), "{sites:?}");
    let spread: Vec<String> = sites
        .iter()
        .filter(|(code, files)| files.len() > 1 && !GAP_CODES.contains(&code.as_str()))
        .map(|(code, files)| format!("{code}: {files:?}"))
        .collect();
    assert!(
        spread.is_empty(),
        "codes built in more than one file (move their constructors into the family module):\n{}",
        spread.join("\n")
    );
}
