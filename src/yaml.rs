//! Reading a YAML input with bounded cost, then as plain data with strict shapes.
//!
//! YAML aliases copy an anchored node wherever they appear, so a small file can stand for a
//! huge document: a 56 KB prefect.yaml whose 12,000 aliases each copy one 10,000-item anchored
//! list is 120 million nodes, and building it took serde_yaml_ng 75 s and 5 GB. Two limits
//! are checked before serde_yaml_ng builds anything (docs/performance.md, "Bounded input
//! cost"):
//!
//! - the file is at most [`MAX_YAML_BYTES`];
//! - a pass over its parser events counts the nodes the document expands to (an alias counts
//!   as the whole node it copies) and stops at [`MAX_YAML_NODES`].
//!
//! Then the document is turned into JSON data, where what JSON cannot hold (`.nan`, `.inf`,
//! a tag such as `!Ref`, a key that is not text) is refused, naming where it is.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use saphyr_parser::{Event, Parser};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The largest YAML file read: a prefect.yaml is a few kilobytes, a large one with many
/// deployments tens of kilobytes; a megabyte parses in milliseconds.
pub(crate) const MAX_YAML_BYTES: u64 = 1024 * 1024;

/// The most nodes (scalars, lists, mappings; an alias counts the nodes it copies) a YAML
/// document may expand to. A deployment's job variables are a few dozen nodes and the largest
/// prefect.yaml files seen have hundreds of deployments of at most a few hundred nodes each;
/// 100,000 nodes build in milliseconds and a few megabytes.
pub(crate) const MAX_YAML_NODES: u64 = 100_000;

/// Reads the YAML file at `path` (`shown` in messages) as a [`serde_yaml_ng::Value`], with `<<`
/// merge keys applied, within the limits above.
pub(crate) fn read_yaml(path: &Path, shown: &str) -> Result<serde_yaml_ng::Value, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(format!(
            "{shown}: larger than the {} KiB pullpath reads from a YAML file",
            MAX_YAML_BYTES / 1024
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| format!("{shown}: not UTF-8 text: {e}"))?;
    parse_yaml(&text).map_err(|e| format!("{shown}: {e}"))
}

/// [`read_yaml`] of a text already read.
pub(crate) fn parse_yaml(text: &str) -> Result<serde_yaml_ng::Value, String> {
    check_expansion(text)?;
    let mut document: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    // `<<: *anchor` merges, as Prefect's own loader applies them. It moves nodes the count
    // above already includes, so it cannot grow the document past the limit.
    document
        .apply_merge()
        .map_err(|e| format!("a `<<` merge key cannot be applied: {e}"))?;
    Ok(document)
}

/// Refuses a document that expands to more than [`MAX_YAML_NODES`] nodes, before any is built:
/// each node counts one, an alias counts the size of the node it names (its anchor's, aliases
/// inside it included), and the count stops as soon as it passes the limit.
fn check_expansion(text: &str) -> Result<(), String> {
    // The expanded size of each anchored node, by the parser's anchor id (0: no anchor).
    let mut anchored: HashMap<usize, u64> = HashMap::new();
    // The open lists and mappings: (anchor id, expanded size so far, itself included).
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut total: u64 = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| format!("not YAML: {e}"))?;
        match event {
            Event::Scalar(_, _, anchor, _) => {
                if anchor != 0 {
                    anchored.insert(anchor, 1);
                }
                add_to_parent(&mut open, 1);
                total += 1;
            }
            Event::Alias(anchor) => {
                // An alias to a node still open (`&a [*a]`) counts one: serde_yaml_ng's depth
                // limit refuses it.
                let size = anchored.get(&anchor).copied().unwrap_or(1);
                add_to_parent(&mut open, size);
                total += size;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                total += 1;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // Its nodes are in `total` already, one by one: its size goes to its anchor
                // and its parent only.
                if let Some((anchor, size)) = open.pop() {
                    if anchor != 0 {
                        anchored.insert(anchor, size);
                    }
                    add_to_parent(&mut open, size);
                }
            }
            _ => {}
        }
        if total > MAX_YAML_NODES {
            return Err(format!(
                "its aliases expand the document to more than {MAX_YAML_NODES} nodes (line {}): pullpath refuses a YAML input that large (docs/performance.md, \"Bounded input cost\")",
                span.start.line()
            ));
        }
    }
    Ok(())
}

fn add_to_parent(open: &mut [(usize, u64)], size: u64) {
    if let Some((_, parent)) = open.last_mut() {
        *parent += size;
    }
}

/// The YAML `value`, found at `path`, as JSON data. What JSON cannot hold is refused, naming
/// the path: a `.nan` or `.inf`, a tagged value (`!Ref x`; Prefect's loader, `yaml.safe_load`,
/// refuses tags it does not know), a mapping key that is not text.
pub(crate) fn to_json(value: &serde_yaml_ng::Value, path: &mut String) -> Result<Value, String> {
    use serde_yaml_ng::Value as Yaml;
    Ok(match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| {
                    format!("`{path}` is {n}, which is not a number Prefect can send (JSON has no NaN or infinity)")
                })?
            }
        }
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => {
            let mut list = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let parent = path.len();
                let _ = write!(path, "[{index}]");
                list.push(to_json(item, path)?);
                path.truncate(parent);
            }
            Value::Array(list)
        }
        Yaml::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (key, item) in mapping {
                let Yaml::String(key) = key else {
                    return Err(format!(
                        "`{path}` has a key that is not text ({}): the fields Prefect reads are named by text",
                        describe(key)
                    ));
                };
                let parent = path.len();
                path.push('.');
                path.push_str(&printable(key));
                map.insert(key.clone(), to_json(item, path)?);
                path.truncate(parent);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => {
            return Err(format!(
            "`{path}` has the YAML tag {}, which Prefect's loader (yaml.safe_load) does not read",
            tagged.tag
        ))
        }
    })
}

/// A short description of a YAML value for messages (never a whole subtree).
fn describe(value: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value as Yaml;
    match value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => format!("{s:?}"),
        Yaml::Sequence(_) => "a list".into(),
        Yaml::Mapping(_) => "a mapping".into(),
        Yaml::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Every document of a multi-document YAML text (Kubernetes manifests), within the same
/// limits as [`parse_yaml`] (the node count covers all documents together), as JSON data.
pub(crate) fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    if text.len() as u64 > MAX_YAML_BYTES * 16 {
        return Err(format!(
            "larger than the {} KiB pullpath reads from a YAML file",
            MAX_YAML_BYTES * 16 / 1024
        ));
    }
    check_expansion(text)?;
    let mut out = Vec::new();
    for (i, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let mut value = serde_yaml_ng::Value::deserialize(document)
            .map_err(|e| format!("document {}: not YAML: {e}", i + 1))?;
        value.apply_merge().map_err(|e| {
            format!(
                "document {}: a `<<` merge key cannot be applied: {e}",
                i + 1
            )
        })?;
        out.push(
            to_json(&value, &mut String::new()).map_err(|e| format!("document {}: {e}", i + 1))?,
        );
    }
    Ok(out)
}

/// A character that changes how a terminal shows what follows it: C0 and C1 controls (ESC,
/// CSI, line breaks, DEL) and the bidirectional formatting characters.
pub(crate) fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with each [`unprintable`] character replaced by U+FFFD, for a key or field name of
/// an input file that a message quotes.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if unprintable(c) { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list anchored once with `items` entries, copied by `aliases` aliases.
    fn alias_bomb(items: usize, aliases: usize) -> String {
        format!(
            "definitions:\n  a: &a [{}]\n  b: [{}]\ndeployments: []\n",
            vec!["x"; items].join(","),
            vec!["*a"; aliases].join(",")
        )
    }

    #[test]
    fn alias_expansion_is_bounded_before_anything_is_built() {
        // 56 KB standing for 120 million nodes: refused at once (it took 75 s and 5 GB).
        let bomb = alias_bomb(10_000, 12_000);
        assert!(bomb.len() < 60_000);
        let started = std::time::Instant::now();
        let error = parse_yaml(&bomb).unwrap_err();
        assert!(error.contains("more than 100000 nodes"), "{error}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        // Nested: each level copies the one before ten times (10^6 nodes from 9 lines).
        let mut nested = String::from("l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n");
        for level in 1..9 {
            let previous = level - 1;
            let _ = writeln!(
                nested,
                "l{level}: &l{level} [{}]",
                vec![format!("*l{previous}"); 10].join(",")
            );
        }
        assert!(parse_yaml(&nested).unwrap_err().contains("nodes"));
        // Aliases within the limit are read as before.
        let fine = alias_bomb(100, 100);
        let value = parse_yaml(&fine).expect("10,000 nodes are fine");
        assert_eq!(value["definitions"]["b"][99][99], "x");
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused_unparsed() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let line = "# a comment line of a prefect.yaml padded to be long enough\n";
        let text = line.repeat((MAX_YAML_BYTES as usize / line.len()) + 1);
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let error = read_yaml(file.path(), "big.yaml").unwrap_err();
        assert!(error.contains("larger than the 1024 KiB"), "{error}");
    }

    #[test]
    fn what_json_cannot_hold_is_refused_by_path() {
        for (text, needle) in [
            ("a:\n  b: [1, .nan]\n", "`x.a.b[1]` is .nan"),
            ("a: .inf\n", "`x.a` is .inf"),
            ("a: -.inf\n", "`x.a` is -.inf"),
            ("a: !Ref vpc\n", "`x.a` has the YAML tag !Ref"),
            ("a:\n  1: x\n", "`x.a` has a key that is not text (1)"),
        ] {
            let value = parse_yaml(text).unwrap();
            let error = to_json(&value, &mut "x".to_string()).unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
        let value = parse_yaml("a: [1, -2, 2.5, x, true, null, 18446744073709551615]").unwrap();
        let json = to_json(&value, &mut String::new()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"a": [1, -2, 2.5, "x", true, null, 18446744073709551615u64]})
        );
    }
}
