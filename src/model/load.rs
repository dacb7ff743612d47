//! Reading a snapshot file: parse, check the version, then check internal references, so that
//! every later stage can rely on what a workload points at being present (or explicitly
//! not collected).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    #[error("{path}: {detail}")]
    DanglingReference { path: PathBuf, detail: String },
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
    if text.trim().is_empty() {
        return Err(SnapshotError::Empty { path: path_buf() });
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
        detail: format!("`snapshot_version` must be a number, found {version}"),
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
    check_references(&snapshot).map_err(|detail| SnapshotError::DanglingReference {
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

/// References from workloads to network resources must resolve when those resources were
/// collected. A missing target in a collected list means the snapshot is inconsistent.
fn check_references(snapshot: &Snapshot) -> Result<(), String> {
    fn ids(items: Option<Vec<&str>>) -> Option<HashSet<&str>> {
        items.map(|v| v.into_iter().collect())
    }
    let subnets = ids(snapshot
        .subnets
        .as_ref()
        .map(|v| v.iter().map(|s| s.id.as_str()).collect()));
    let groups = ids(snapshot
        .security_groups
        .as_ref()
        .map(|v| v.iter().map(|g| g.id.as_str()).collect()));
    let task_definitions = ids(snapshot
        .task_definitions
        .as_ref()
        .map(|v| v.iter().map(|t| t.arn.as_str()).collect()));

    for cluster in snapshot.clusters.iter().flatten() {
        for service in cluster.services.iter().flatten() {
            let who = format!("service `{}` of cluster `{}`", service.name, cluster.name);
            if let Some(known) = &task_definitions {
                if !known.contains(service.task_definition.as_str()) {
                    return Err(format!(
                        "{who} uses task definition `{}`, which is not in `task_definitions`",
                        service.task_definition
                    ));
                }
            }
            let Some(placement) = &service.network_configuration else {
                continue;
            };
            if placement.subnets.is_empty() {
                return Err(format!(
                    "{who} has an awsvpc network configuration without subnets"
                ));
            }
            for subnet_id in &placement.subnets {
                if let Some(known) = &subnets {
                    if !known.contains(subnet_id.as_str()) {
                        return Err(format!(
                            "{who} refers to subnet `{subnet_id}`, which is not in `subnets`"
                        ));
                    }
                }
                if let Some(detail) = missing_route_table(snapshot, subnet_id) {
                    return Err(format!("{who}: {detail}"));
                }
            }
            for group_id in &placement.security_groups {
                if let Some(known) = &groups {
                    if !known.contains(group_id.as_str()) {
                        return Err(format!(
                            "{who} refers to security group `{group_id}`, which is not in `security_groups`"
                        ));
                    }
                }
            }
        }
    }
    for endpoint in snapshot.vpc_endpoints.iter().flatten() {
        if let Some(tables) = &snapshot.route_tables {
            for table_id in &endpoint.route_table_ids {
                if !tables.iter().any(|t| &t.id == table_id) {
                    return Err(format!(
                        "VPC endpoint `{}` refers to route table `{table_id}`, which is not in `route_tables`",
                        endpoint.id
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A subnet always has a route table in AWS (its explicit one, else the VPC's main table).
fn missing_route_table(snapshot: &Snapshot, subnet_id: &str) -> Option<String> {
    let tables = snapshot.route_tables.as_ref()?;
    let subnet = snapshot
        .subnets
        .as_ref()?
        .iter()
        .find(|s| s.id == subnet_id)?;
    let explicit = tables
        .iter()
        .any(|t| t.subnet_ids.iter().any(|s| s == subnet_id));
    let main = tables.iter().any(|t| t.main && t.vpc_id == subnet.vpc_id);
    (!explicit && !main).then(|| {
        format!(
            "subnet `{subnet_id}` has no associated route table and VPC `{}` has no main route table in `route_tables`",
            subnet.vpc_id
        )
    })
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
