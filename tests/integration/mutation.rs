//! Mutation fuzzing of the shipped inputs: every scenario, fleet and diagnose snapshot, the
//! pre-deploy task definition and Prefect files, the fleet's suppressions file, an accounts
//! file and some `explain` messages, each mutated at fixed seeds (bytes flipped, cut short,
//! lines deleted or repeated, values deleted, repeated or of another type, huge strings, deep
//! nesting, control characters and unusual Unicode in strings) and given to the real binary.
//!
//! Every case must end within [`CASE_LIMIT`], without a panic, with a documented exit code
//! (0, 2, 3 or 4; 1 is a runtime failure, which an offline run has no reason for), with exit
//! 2 when the input no longer parses in its own syntax, and with no raw control character
//! on stdout or stderr other than `\n`: no C0 control, DEL, C1 control or bidirectional
//! override, in any format (JSON writes them as `\uXXXX` escapes).
//!
//! A failure prints the case number, its seed, the mutations, the mutated file (kept under
//! the target directory) and the command. `PULLPATH_MUTATION_CASES=12,40` runs only those
//! cases; `PULLPATH_MUTATION_SEED=N` draws other cases (for exploring; CI keeps the default).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::pullpath;

/// The seeds of the cases derive from this one (see [`case_seed`]).
const BASE_SEED: u64 = 0x5EED_0013_2026;

/// Case `number`'s seed: distinct for every base seed and case.
fn case_seed(number: usize) -> u64 {
    base_seed()
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(number as u64)
}

fn base_seed() -> u64 {
    std::env::var("PULLPATH_MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(BASE_SEED)
}
/// A case running longer than this is killed and reported as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(30);
/// Cases run at once (each is a short process; the machine has two cores).
const WORKERS: usize = 4;

const APP_SUBNETS: &str = "subnet-0a1b2c3d4e5f6002a,subnet-0a1b2c3d4e5f6002b";
const TASK_SG: &str = "sg-0a1b2c3d4e5f60002";
const SNAPSHOT: &str = "fixtures/scenarios/healthy-nat.json";
const FLEET: [&str; 4] = [
    "fixtures/fleet/123456789012-us-east-1.json",
    "fixtures/fleet/123456789012-eu-west-1.json",
    "fixtures/fleet/210987654321-us-east-1.json",
    "fixtures/fleet/210987654321-eu-west-1.json",
];

/// No accounts file is shipped: this one has what the format allows (comments, blank lines,
/// an external id per line).
const ACCOUNTS: &str = "# Accounts audited nightly\n\
arn:aws:iam::123456789012:role/pullpath-audit\n\
\n\
arn:aws:iam::210987654321:role/pullpath-audit  ext-7f3a  # payments\n\
arn:aws:iam::345678901234:role/platform/pullpath-audit\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
    Toml,
    Text,
}

/// One input and how the binary reads it. In `args`, `{input}` is the mutated file and
/// `{format}` the output format the case draws (table or json).
struct Subject {
    name: String,
    text: String,
    syntax: Syntax,
    extension: &'static str,
    args: Vec<String>,
    /// The input goes to standard input (`explain`).
    stdin: bool,
    /// A live run against a closed endpoint (the accounts file): exit 1 is expected once
    /// the file is read.
    live: bool,
    cases: usize,
}

impl Subject {
    fn new(name: String, path: &Path, syntax: Syntax, args: &[&str], cases: usize) -> Subject {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Subject::inline(name, text, syntax, args, cases)
    }

    fn inline(name: String, text: String, syntax: Syntax, args: &[&str], cases: usize) -> Subject {
        Subject {
            name,
            text,
            syntax,
            extension: match syntax {
                Syntax::Json => "json",
                Syntax::Yaml => "yaml",
                Syntax::Toml => "toml",
                Syntax::Text => "txt",
            },
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: false,
            live: false,
            cases,
        }
    }
}

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Every input, with how many cases each gets (a few hundred in all).
fn subjects() -> Vec<Subject> {
    let audit = ["audit", "--snapshot", "{input}", "--format", "{format}"];
    let mut subjects = Vec::new();
    for path in files("fixtures/scenarios", "json") {
        subjects.push(Subject::new(
            format!("scenario {}", stem(&path)),
            &path,
            Syntax::Json,
            &audit,
            3,
        ));
    }
    for path in FLEET {
        let path = Path::new(path);
        subjects.push(Subject::new(
            format!("fleet {}", stem(path)),
            path,
            Syntax::Json,
            &audit,
            3,
        ));
    }
    let diagnose = [
        "diagnose",
        "--snapshot",
        "{input}",
        "--cluster",
        "prod",
        "--service",
        "web",
        "--format",
        "{format}",
    ];
    for path in files("fixtures/diagnose", "json") {
        subjects.push(Subject::new(
            format!("diagnose {}", stem(&path)),
            &path,
            Syntax::Json,
            &diagnose,
            3,
        ));
    }
    subjects.push(Subject::new(
        "task definition".into(),
        Path::new("fixtures/predeploy/web-task-definition.json"),
        Syntax::Json,
        &[
            "audit",
            "--snapshot",
            SNAPSHOT,
            "--task-definition",
            "{input}",
            "--subnets",
            APP_SUBNETS,
            "--security-groups",
            TASK_SG,
            "--format",
            "{format}",
        ],
        50,
    ));
    subjects.push(Subject::new(
        "prefect.yaml".into(),
        Path::new("fixtures/predeploy/prefect.yaml"),
        Syntax::Yaml,
        &[
            "audit",
            "--snapshot",
            SNAPSHOT,
            "--prefect-yaml",
            "{input}",
            "--deployment",
            "nightly-etl",
            "--var",
            "build-image.image=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
            "--format",
            "{format}",
        ],
        50,
    ));
    subjects.push(Subject::new(
        "prefect-ci-env.yaml".into(),
        Path::new("fixtures/predeploy/prefect-ci-env.yaml"),
        Syntax::Yaml,
        &[
            "audit",
            "--snapshot",
            SNAPSHOT,
            "--prefect-yaml",
            "{input}",
            "--deployment",
            "web",
            "--var",
            "$CI_REGISTRY_IMAGE=123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "--var",
            "$CI_COMMIT_SHA=1.4.2",
            "--format",
            "{format}",
        ],
        20,
    ));
    let mut suppressions = vec!["audit", "--suppressions", "{input}", "--format", "{format}"];
    for snapshot in FLEET {
        suppressions.extend(["--snapshot", snapshot]);
    }
    subjects.push(Subject::new(
        "suppressions.toml".into(),
        Path::new("fixtures/fleet/suppressions.toml"),
        Syntax::Toml,
        &suppressions,
        50,
    ));
    let mut accounts = Subject::inline(
        "accounts file".into(),
        ACCOUNTS.into(),
        Syntax::Text,
        &[
            "audit",
            "--all-clusters",
            "--accounts-file",
            "{input}",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--max-attempts",
            "1",
            "--call-timeout",
            "5",
            "--format",
            "{format}",
        ],
        30,
    );
    accounts.live = true;
    subjects.push(accounts);
    for path in files("fixtures/messages", "json").into_iter().step_by(2) {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let message = fixture["message"].as_str().expect("a message").to_string();
        let mut explain = Subject::inline(
            format!("explain {}", stem(&path)),
            message,
            Syntax::Text,
            &["explain", "--format", "{format}"],
            1,
        );
        explain.stdin = true;
        subjects.push(explain);
    }
    subjects
}

/// Strings that must never reach a terminal raw.
const CONTROL_PAYLOADS: &[&str] = &[
    "\u{1b}[31mRED\u{1b}[0m",
    "\u{1b}]0;owned\u{7}",
    "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\",
    "\u{1b}[2J\u{1b}[H",
    "ok\r\nprod/web  PASS",
    "\rPASS",
    "\u{0}nul",
    "back\u{8}\u{8}\u{8}\u{8}",
    "del\u{7f}",
    "\u{9b}31mC1",
    "tab\tbed",
    "\u{202e}gpj.exe",
    "\u{2066}isolate\u{2069}",
];

/// Unusual but valid Unicode.
const UNICODE_PAYLOADS: &[&str] = &[
    "名前-サービス",
    "e\u{301}\u{301}\u{301}",
    "🚀🔥👩‍👩‍👧‍👦",
    "zero\u{200b}width\u{feff}",
    "\u{fffd}\u{fffd}",
    "ＦＵＬＬＷＩＤＴＨ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
];

/// One step of a JSON path.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn describe(path: &[Step]) -> String {
    let mut out = String::from("$");
    for step in path {
        match step {
            Step::Key(key) => {
                let _ = write!(out, ".{key}");
            }
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Every path of the tree, and whether it holds a string.
fn all_paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, bool)>) {
    out.push((prefix.clone(), value.is_string()));
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()).expect("a path of the tree"),
        Step::Index(i) => node.get_mut(*i).expect("a path of the tree"),
    })
}

fn parse(syntax: Syntax, bytes: &[u8]) -> Option<Value> {
    match syntax {
        Syntax::Json => serde_json::from_slice(bytes).ok(),
        Syntax::Yaml => serde_yaml_ng::from_slice(bytes).ok(),
        Syntax::Toml => {
            let table: toml::Table = toml::from_str(std::str::from_utf8(bytes).ok()?).ok()?;
            Some(json_of_toml(&toml::Value::Table(table)))
        }
        Syntax::Text => None,
    }
}

fn serialize(syntax: Syntax, value: &Value) -> Option<Vec<u8>> {
    match syntax {
        Syntax::Json => serde_json::to_vec_pretty(value).ok(),
        Syntax::Yaml => serde_yaml_ng::to_string(value).ok().map(String::into_bytes),
        Syntax::Toml => match toml_of_json(value)? {
            toml::Value::Table(table) => toml::to_string(&table).ok().map(String::into_bytes),
            _ => None,
        },
        Syntax::Text => None,
    }
}

/// Marks a TOML date in the JSON form, so that it goes back as a date, not a string.
const TOML_DATE: &str = "\u{0}toml-date:";

fn json_of_toml(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::json!(i),
        toml::Value::Float(f) => serde_json::json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(format!("{TOML_DATE}{d}")),
        toml::Value::Array(items) => Value::Array(items.iter().map(json_of_toml).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), json_of_toml(v)))
                .collect(),
        ),
    }
}

/// The TOML form of a mutated document; `None` when TOML cannot say it (a null).
fn toml_of_json(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => match s.strip_prefix(TOML_DATE) {
            Some(date) => toml::Value::Datetime(date.parse().ok()?),
            None => toml::Value::String(s.clone()),
        },
        Value::Array(items) => {
            toml::Value::Array(items.iter().map(toml_of_json).collect::<Option<_>>()?)
        }
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .map(|(k, v)| Some((k.clone(), toml_of_json(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// Whether `bytes` no longer parse in their syntax (then the only right exit is 2).
fn unparsable(syntax: Syntax, bytes: &[u8]) -> bool {
    match syntax {
        Syntax::Json => serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err(),
        Syntax::Yaml => serde_yaml_ng::from_slice::<serde_yaml_ng::Value>(bytes).is_err(),
        Syntax::Toml => std::str::from_utf8(bytes)
            .map_or(true, |text| toml::from_str::<toml::Table>(text).is_err()),
        Syntax::Text => false,
    }
}

fn huge_string(rng: &mut fastrand::Rng) -> String {
    let length = rng.usize(20_000..120_000);
    let unit = match rng.u8(..4) {
        0 => "a",
        1 => "subnet-0a1b2c3d4e5f6002a,",
        2 => "界",
        _ => "word ",
    };
    unit.repeat(length / unit.len().max(1))
}

/// `inner` nested deep in arrays or objects. JSON goes deepest: it is written compact (an
/// indented document grows with the square of its depth).
fn deep(rng: &mut fastrand::Rng, syntax: Syntax, inner: Value) -> (Value, String) {
    let depths: &[usize] = if syntax == Syntax::Json {
        &[64, 200, 1_000, 5_000]
    } else {
        &[64, 200, 1_000]
    };
    let depth = depths[rng.usize(..depths.len())];
    let arrays = rng.bool();
    let mut value = inner;
    for _ in 0..depth {
        value = if arrays {
            Value::Array(vec![value])
        } else {
            // Not `json!`, which would copy `value` through serde at each level.
            let mut object = serde_json::Map::new();
            object.insert("a".into(), value);
            Value::Object(object)
        };
    }
    let kind = if arrays { "arrays" } else { "objects" };
    (value, format!("nested {depth} {kind} deep"))
}

fn other_type(rng: &mut fastrand::Rng, original: &Value) -> Value {
    let choices = [
        Value::String("x".into()),
        Value::String(String::new()),
        serde_json::json!(7),
        serde_json::json!(-1),
        serde_json::json!(1e308),
        serde_json::json!(u64::MAX),
        serde_json::json!(0.5),
        Value::Array(vec![]),
        Value::Array(vec![original.clone()]),
        serde_json::json!({}),
        serde_json::json!({ "x": original.clone() }),
        Value::Null,
        Value::Bool(true),
    ];
    loop {
        let candidate = choices[rng.usize(..choices.len())].clone();
        if std::mem::discriminant(&candidate) != std::mem::discriminant(original) {
            return candidate;
        }
    }
}

/// Keys whose strings reach the report as they are (names, reasons, messages), rather than
/// ids that must resolve: string mutations favour them, so that more cases get that far.
const FREE_TEXT: &[&str] = &[
    "name",
    "description",
    "stopped_reason",
    "reason",
    "message",
    "family",
    "started_by",
    "awslogs-group",
    "awslogs-stream-prefix",
    "image",
    "team",
    "Sid",
];

/// One mutation of the parsed document at a random path; `None` when it does not apply.
fn mutate_value(rng: &mut fastrand::Rng, syntax: Syntax, value: &mut Value) -> Option<String> {
    let mut paths = Vec::new();
    all_paths(value, &mut Vec::new(), &mut paths);
    let strings: Vec<&Vec<Step>> = paths
        .iter()
        .filter(|(_, string)| *string)
        .map(|(path, _)| path)
        .collect();
    let path = paths[rng.usize(..paths.len())].0.clone();
    let free_text: Vec<&Vec<Step>> = strings
        .iter()
        .copied()
        .filter(|p| matches!(p.last(), Some(Step::Key(k)) if FREE_TEXT.contains(&k.as_str())))
        .collect();
    let string_path = if !free_text.is_empty() && rng.bool() {
        free_text[rng.usize(..free_text.len())].clone()
    } else if !strings.is_empty() {
        strings[rng.usize(..strings.len())].clone()
    } else {
        path.clone()
    };
    let kind = rng.u8(..10);
    match kind {
        0 | 1 => {
            // Delete the value (from its object or array).
            let (last, parent) = path.split_last()?;
            match (at(value, parent), last) {
                (Value::Object(map), Step::Key(key)) => {
                    map.shift_remove(key);
                }
                (Value::Array(items), Step::Index(i)) => {
                    items.remove(*i);
                }
                _ => return None,
            }
            Some(format!("deleted {}", describe(&path)))
        }
        2 => {
            // Repeat the value: twice in its array, or under a second key.
            let (last, parent) = path.split_last()?;
            let copy = at(value, &path).clone();
            match (at(value, parent), last) {
                (Value::Object(map), Step::Key(key)) => {
                    map.insert(format!("{key}_copy"), copy);
                }
                (Value::Array(items), Step::Index(i)) => items.insert(*i, copy),
                _ => return None,
            }
            Some(format!("repeated {}", describe(&path)))
        }
        3 | 4 => {
            let node = at(value, &path);
            *node = other_type(rng, node);
            Some(format!("{} became {}", describe(&path), brief(node)))
        }
        5 => {
            let node = at(value, &string_path);
            *node = Value::String(huge_string(rng));
            Some(format!(
                "{} became a {}-byte string",
                describe(&string_path),
                brief_len(node)
            ))
        }
        6 => {
            let node = at(value, &path);
            let (nested, what) = deep(rng, syntax, node.take());
            *node = nested;
            Some(format!("{} {what}", describe(&path)))
        }
        7 | 8 => {
            // Into up to four strings: the first that an error message or a cell quotes is
            // what shows whether output is sanitised.
            let payload = CONTROL_PAYLOADS[rng.usize(..CONTROL_PAYLOADS.len())];
            let mut targets = vec![string_path];
            for _ in 0..rng.usize(..4) {
                if !strings.is_empty() {
                    targets.push(strings[rng.usize(..strings.len())].clone());
                }
            }
            let mut named = Vec::new();
            for target in targets {
                let node = at(value, &target);
                let Some(text) = node.as_str().map(str::to_string) else {
                    continue;
                };
                let cut = char_boundary(&text, rng.usize(..=text.len()));
                *node = Value::String(format!("{}{payload}{}", &text[..cut], &text[cut..]));
                named.push(describe(&target));
            }
            Some(format!("{} got {payload:?}", named.join(", ")))
        }
        _ => {
            let payload = UNICODE_PAYLOADS[rng.usize(..UNICODE_PAYLOADS.len())];
            let node = at(value, &string_path);
            let text = node.as_str().unwrap_or("").to_string();
            *node = Value::String(if rng.bool() {
                payload.to_string()
            } else {
                format!("{text}{payload}")
            });
            Some(format!("{} got {payload:?}", describe(&string_path)))
        }
    }
}

fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}…", &text[..char_boundary(&text, 40)])
    } else {
        text
    }
}

fn brief_len(value: &Value) -> usize {
    value.as_str().map_or(0, str::len)
}

fn char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// One mutation of the raw bytes.
fn mutate_bytes(rng: &mut fastrand::Rng, bytes: &mut Vec<u8>) -> String {
    if bytes.is_empty() {
        bytes.extend_from_slice(b"\x1b[31m");
        return "empty input got an escape".into();
    }
    match rng.u8(..8) {
        0 => {
            let flips = rng.usize(1..=8);
            for _ in 0..flips {
                let at = rng.usize(..bytes.len());
                bytes[at] ^= 1 << rng.u8(..8);
            }
            format!("flipped {flips} bit(s)")
        }
        1 => {
            let at = rng.usize(..bytes.len());
            bytes.truncate(at);
            format!("cut at byte {at}")
        }
        2 | 3 => {
            let mut lines = lines(bytes);
            let at = rng.usize(..lines.len());
            let what = if rng.bool() || lines.len() < 2 {
                let copy = lines[at].clone();
                lines.insert(at, copy);
                "repeated"
            } else {
                lines.remove(at);
                "deleted"
            };
            *bytes = lines.concat();
            format!("{what} line {}", at + 1)
        }
        4 | 5 => {
            let payload = CONTROL_PAYLOADS[rng.usize(..CONTROL_PAYLOADS.len())];
            let at = rng.usize(..=bytes.len());
            bytes.splice(at..at, payload.bytes());
            format!("inserted {payload:?} raw at byte {at}")
        }
        6 => {
            let payload = UNICODE_PAYLOADS[rng.usize(..UNICODE_PAYLOADS.len())];
            let at = rng.usize(..=bytes.len());
            bytes.splice(at..at, payload.bytes());
            format!("inserted {payload:?} raw at byte {at}")
        }
        _ => {
            let at = rng.usize(..=bytes.len());
            bytes.splice(at..at, [0xff, 0xfe, 0xc3]);
            format!("inserted invalid UTF-8 at byte {at}")
        }
    }
}

/// The mutated input of case `seed`, and what was done to it.
fn mutate(subject: &Subject, rng: &mut fastrand::Rng) -> (Vec<u8>, Vec<String>) {
    let mut bytes = subject.text.clone().into_bytes();
    let mut done = Vec::new();
    let count = if rng.u8(..4) == 0 { 2 } else { 1 };
    for _ in 0..count {
        // After deep nesting, walking the tree again costs seconds: bytes only.
        let deep = done.iter().any(|d: &String| d.contains(" deep"));
        let structured = subject.syntax != Syntax::Text && !deep && rng.u8(..10) < 6;
        let mut applied = false;
        if structured {
            if let Some(mut value) = parse(subject.syntax, &bytes) {
                if let Some(what) = mutate_value(rng, subject.syntax, &mut value) {
                    let serialized = if subject.syntax == Syntax::Json && what.contains(" deep") {
                        serde_json::to_vec(&value).ok()
                    } else {
                        serialize(subject.syntax, &value)
                    };
                    if let Some(new) = serialized {
                        bytes = new;
                        done.push(what);
                        applied = true;
                    }
                }
            }
        }
        if !applied {
            done.push(mutate_bytes(rng, &mut bytes));
        }
    }
    (bytes, done)
}

/// The first raw control character of `bytes`, if any: C0 but `\n`, DEL, C1 and
/// bidirectional controls.
fn raw_control(bytes: &[u8]) -> Option<String> {
    if let Some(at) = bytes.iter().position(|&b| b < 0x20 && b != b'\n') {
        let from = at.saturating_sub(30);
        let context =
            String::from_utf8_lossy(&bytes[from..(at + 30).min(bytes.len())]).into_owned();
        return Some(format!("byte {:#04x} at {at}: …{context:?}…", bytes[at]));
    }
    let text = String::from_utf8_lossy(bytes);
    text.char_indices()
        .find(|(_, c)| {
            matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|(at, c)| format!("{c:?} at {at}"))
}

/// What was wrong with one case, if anything.
fn check(
    subject: &Subject,
    format: &str,
    bytes: &[u8],
    output: &std::process::Output,
    seconds: f64,
) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(code) = output.status.code() else {
        return vec![format!("hang: killed after {seconds:.0} s")];
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if code == 101 || stderr.contains("panicked at") {
        let line = stderr
            .lines()
            .find(|l| l.contains("panicked at"))
            .unwrap_or("");
        problems.push(format!("panic (exit {code}): {line}"));
    }
    let allowed: &[i32] = if subject.live {
        &[0, 1, 2, 3, 4]
    } else {
        &[0, 2, 3, 4]
    };
    if !allowed.contains(&code) {
        problems.push(format!(
            "exit {code}: {}",
            stderr.lines().next().unwrap_or("")
        ));
    }
    if code != 2 && unparsable(subject.syntax, bytes) {
        problems.push(format!(
            "exit {code} for input that does not parse (expected 2)"
        ));
    }
    if let Some(leak) = raw_control(&output.stdout) {
        problems.push(format!("stdout ({format}) carries a raw control: {leak}"));
    }
    if let Some(leak) = raw_control(&output.stderr) {
        problems.push(format!("stderr carries a raw control: {leak}"));
    }
    problems
}

struct Case<'a> {
    number: usize,
    seed: u64,
    subject: &'a Subject,
}

fn run_case(case: &Case<'_>, dir: &Path) -> (Option<i32>, f64, Option<String>) {
    let mut rng = fastrand::Rng::with_seed(case.seed);
    let (bytes, mutations) = mutate(case.subject, &mut rng);
    let format = if rng.bool() { "table" } else { "json" };
    let slug: String = case
        .subject
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let input = dir.join(format!(
        "case-{:04}-{slug}.{}",
        case.number, case.subject.extension
    ));
    std::fs::write(&input, &bytes).expect("mutated input written");
    let args: Vec<String> = case
        .subject
        .args
        .iter()
        .map(|a| {
            a.replace("{input}", input.to_str().unwrap())
                .replace("{format}", format)
        })
        .collect();
    let mut command = pullpath();
    command.args(&args).timeout(CASE_LIMIT);
    if case.subject.stdin {
        command.write_stdin(bytes.clone());
    }
    if case.subject.live {
        command
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }
    let started = Instant::now();
    let output = command.output().expect("pullpath runs");
    let seconds = started.elapsed().as_secs_f64();
    let problems = check(case.subject, format, &bytes, &output, seconds);
    let failure = (!problems.is_empty()).then(|| {
        let stdin = if case.subject.stdin { " < INPUT" } else { "" };
        format!(
            "case {} (seed {:#x}) {}: {}\n    mutations: {}\n    input: {}\n    command: pullpath {}{stdin} ({seconds:.1} s)",
            case.number,
            case.seed,
            case.subject.name,
            problems.join("; "),
            mutations.join("; "),
            input.display(),
            args.join(" "),
        )
    });
    (output.status.code(), seconds, failure)
}

/// The cases to run: all, or those `PULLPATH_MUTATION_CASES` lists.
fn selected(number: usize) -> bool {
    match std::env::var("PULLPATH_MUTATION_CASES") {
        Ok(list) => list.split(',').any(|n| n.trim().parse() == Ok(number)),
        Err(_) => true,
    }
}

#[test]
fn mutated_inputs_never_panic_hang_or_leak_control_characters() {
    let subjects = subjects();
    let cases: Vec<Case<'_>> = subjects
        .iter()
        .flat_map(|subject| std::iter::repeat_n(subject, subject.cases))
        .enumerate()
        .map(|(number, subject)| Case {
            number,
            seed: case_seed(number),
            subject,
        })
        .filter(|case| selected(case.number))
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation");
    std::fs::create_dir_all(&dir).unwrap();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            // Deep nesting is built, serialized and dropped recursively: a roomy stack.
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(scope, || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let result = run_case(case, &dir);
                    results.lock().unwrap().push((case.number, result));
                })
                .unwrap();
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(number, _)| *number);
    let mut codes = std::collections::BTreeMap::new();
    let mut slowest = (0.0, 0);
    let mut failures = Vec::new();
    for (number, (code, seconds, failure)) in results {
        *codes.entry(code).or_insert(0) += 1;
        if seconds > slowest.0 {
            slowest = (seconds, number);
        }
        failures.extend(failure);
    }
    eprintln!(
        "mutation: {} cases in {:.0} s; exit codes {codes:?}; slowest case {} ({:.1} s); {} failed",
        cases.len(),
        started.elapsed().as_secs_f64(),
        slowest.1,
        slowest.0,
        failures.len()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
