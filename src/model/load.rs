//! Reading a snapshot file: parse, check the version, then check internal references, so that
//! every later stage can rely on what a workload points at being present (or explicitly
//! not collected).

use std::path::{Path, PathBuf};

use super::validate::check_consistency;
use super::{Snapshot, SNAPSHOT_VERSION};

/// Why a snapshot file cannot be used. Every variant names the file; all are "bad input".
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read snapshot: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: snapshot file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a valid snapshot: {detail}")]
    Malformed { path: PathBuf, detail: String },
    #[error(
        "{path}: unsupported snapshot_version {found} (this pullpath reads version {expected})"
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        expected: u32,
    },
    /// Duplicate ids, a reference into a collected list that does not resolve, or an
    /// unreadable policy document.
    #[error("{path}: {detail}")]
    Inconsistent { path: PathBuf, detail: String },
}

pub fn load_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    parse_snapshot(path, &text)
}

fn parse_snapshot(path: &Path, text: &str) -> Result<Snapshot, SnapshotError> {
    let path_buf = || path.to_path_buf();
    // Editors on some systems save a byte-order mark; JSON has no place for it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(SnapshotError::Empty { path: path_buf() });
    }
    if !text.trim_start().starts_with('{') {
        let detail = match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => describe_json_error(&e),
            Ok(_) => {
                "a snapshot must be a JSON object (`{\"snapshot_version\": 1, ...}`)".to_string()
            }
        };
        return Err(SnapshotError::Malformed {
            path: path_buf(),
            detail,
        });
    }
    // Read the version alone first (the rest skipped, not built), so a future version with
    // another layout says "unsupported version", not "missing field".
    let probe: VersionProbe = serde_json::from_str(text).map_err(|e| SnapshotError::Malformed {
        path: path_buf(),
        detail: describe_json_error(&e),
    })?;
    let version = probe
        .snapshot_version
        .ok_or_else(|| SnapshotError::Malformed {
            path: path_buf(),
            detail: "missing field `snapshot_version` (is this a pullpath snapshot?)".into(),
        })?;
    let found = version.as_u64().ok_or_else(|| SnapshotError::Malformed {
        path: path_buf(),
        detail: format!("`snapshot_version` must be a positive integer, found {version}"),
    })?;
    if found != u64::from(SNAPSHOT_VERSION) {
        return Err(SnapshotError::UnsupportedVersion {
            path: path_buf(),
            found,
            expected: SNAPSHOT_VERSION,
        });
    }
    let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| SnapshotError::Malformed {
        path: path_buf(),
        detail: name_section(text, e),
    })?;
    check_consistency(&snapshot).map_err(|detail| SnapshotError::Inconsistent {
        path: path_buf(),
        detail,
    })?;
    Ok(snapshot)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!(
            "the JSON ends early (truncated file?) at line {} column {}",
            e.line(),
            e.column()
        )
    } else {
        format!("invalid JSON: {e}")
    }
}

#[derive(serde::Deserialize)]
struct VersionProbe {
    #[serde(default)]
    snapshot_version: Option<serde_json::Value>,
}

/// A shape error, prefixed with the top-level section it is in: the error path re-reads the
/// document and tries each section alone (only on failure, so the happy path parses once).
fn name_section(text: &str, error: serde_json::Error) -> String {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return error.to_string();
    };
    // The header first: without it every section would seem to be at fault.
    for header in ["account_id", "region"] {
        match object.get(header) {
            None => return format!("missing field `{header}`"),
            Some(value) if !value.is_string() => {
                return format!("`{header}` must be a string, found {value}")
            }
            Some(_) => {}
        }
    }
    let section = object.keys().find(|key| {
        let mut probe = serde_json::Map::new();
        for k in ["snapshot_version", "account_id", "region"] {
            if let Some(v) = object.get(k) {
                probe.insert(k.to_string(), v.clone());
            }
        }
        probe.insert((*key).clone(), object[key.as_str()].clone());
        serde_json::from_value::<Snapshot>(serde_json::Value::Object(probe)).is_err()
    });
    match section {
        Some(key) => format!("in `{key}`: {error}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        parse_snapshot(Path::new("snap.json"), text)
    }

    #[test]
    fn minimal_snapshot_parses_with_everything_uncollected() {
        let s = parse(r#"{"snapshot_version":1,"account_id":"1","region":"us-east-1"}"#).unwrap();
        assert!(s.vpcs.is_none() && s.clusters.is_none());
    }

    #[test]
    fn empty_list_is_collected_and_empty() {
        let s = parse(r#"{"snapshot_version":1,"account_id":"1","region":"r","vpcs":[]}"#).unwrap();
        assert_eq!(s.vpcs.map(|v| v.len()), Some(0));
    }

    #[test]
    fn wrong_type_names_the_section() {
        let err = parse(r#"{"snapshot_version":1,"account_id":"1","region":"r","subnets":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("in `subnets`"), "{err}");
        assert!(err.starts_with("snap.json: "), "{err}");
    }

    #[test]
    fn version_is_checked_before_shape() {
        let err = parse(r#"{"snapshot_version":2}"#).unwrap_err();
        assert!(matches!(
            err,
            SnapshotError::UnsupportedVersion { found: 2, .. }
        ));
    }
}
