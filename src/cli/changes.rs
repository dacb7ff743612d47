//! The changes a what-if asks about, as a person writes them:
//!
//! ```text
//! delete nat-0abc                      delete NAT gateway nat-0abc
//! delete vpce-0abc                     delete VPC endpoint vpce-0abc
//! delete route rtb-0abc 0.0.0.0/0      delete a route (a CIDR or pl-… destination)
//! revoke-egress sg-0abc 0.0.0.0/0      remove sg-0abc's egress rules to a CIDR, sg-… or pl-…
//! revoke-ingress sg-0abc sg-0def       remove its ingress rules from that peer
//! detach-policy ROLE POLICY_ARN        detach a managed policy from a role
//! ```
//!
//! or, in a `--changes` file, as a JSON array of the structured changes the report's fix plans
//! print (any change, additions too), or as lines of the text form (`#` starts a comment).

use crate::fix::{Change, Peer};

/// At most this many changes in one what-if (a file is bounded before it is read).
pub const MAX_CHANGES: usize = 1_000;

/// Parses one change written as text.
pub fn parse_change(text: &str) -> Result<Change, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let shown = crate::report::terminal_text::printable(text.trim(), 120);
    match words.as_slice() {
        ["delete", id] if id.starts_with("nat-") => Ok(Change::DeleteNatGateway {
            nat_gateway_id: checked_id(id)?,
        }),
        ["delete", id] if id.starts_with("vpce-") => Ok(Change::DeleteVpcEndpoint {
            endpoint_id: checked_id(id)?,
        }),
        ["delete", "route", table, destination] if table.starts_with("rtb-") => {
            Ok(Change::DeleteRoute {
                route_table_id: checked_id(table)?,
                destination: destination_of(destination)?,
            })
        }
        [verb @ ("revoke-egress" | "revoke-ingress"), group, peer] if group.starts_with("sg-") => {
            let group_id = checked_id(group)?;
            let peer = peer_of(peer)?;
            Ok(if *verb == "revoke-egress" {
                Change::RevokeEgress { group_id, peer }
            } else {
                Change::RevokeIngress { group_id, peer }
            })
        }
        ["detach-policy", role, arn] if arn.starts_with("arn:") => Ok(Change::DetachRolePolicy {
            role_name: checked_id(role)?,
            policy_arn: checked_id(arn)?,
        }),
        _ => Err(format!(
            "`{shown}` is not a change pullpath knows: use `delete nat-…`, `delete vpce-…`, `delete route rtb-… CIDR`, `revoke-egress sg-… PEER`, `revoke-ingress sg-… PEER` or `detach-policy ROLE ARN`"
        )),
    }
}

/// A `--changes` file: a JSON array of changes, or lines of the text form.
pub fn parse_changes_file(text: &str) -> Result<Vec<Change>, String> {
    let changes: Vec<Change> = if text.trim_start().starts_with('[') {
        // The plan options' changes as the report prints them carry a `description`.
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array of changes: {e}"))?;
        if let Some(items) = value.as_array_mut() {
            for item in items {
                if let Some(fields) = item.as_object_mut() {
                    fields.remove("description");
                }
            }
        }
        serde_json::from_value(value).map_err(|e| format!("not a JSON array of changes: {e}"))?
    } else {
        text.lines()
            .enumerate()
            .map(|(n, line)| (n, line.split('#').next().unwrap_or("").trim()))
            .filter(|(_, line)| !line.is_empty())
            .map(|(n, line)| parse_change(line).map_err(|e| format!("line {}: {e}", n + 1)))
            .collect::<Result<_, _>>()?
    };
    if changes.is_empty() {
        return Err("it holds no change".into());
    }
    if changes.len() > MAX_CHANGES {
        return Err(format!(
            "it holds {} changes; at most {MAX_CHANGES} are taken",
            changes.len()
        ));
    }
    Ok(changes)
}

/// An AWS id or ARN: printable ASCII without spaces, of a sane length.
fn checked_id(id: &str) -> Result<String, String> {
    if id.len() <= 2048 && id.chars().all(|c| c.is_ascii_graphic()) {
        Ok(id.to_string())
    } else {
        Err(format!(
            "`{}` is not an AWS id",
            crate::report::terminal_text::printable(id, 80)
        ))
    }
}

fn destination_of(text: &str) -> Result<String, String> {
    if text.starts_with("pl-") {
        return checked_id(text);
    }
    text.parse::<ipnet::Ipv4Net>()
        .map(|c| c.to_string())
        .map_err(|_| {
            format!(
                "`{}` is not a CIDR or prefix-list id",
                crate::report::terminal_text::printable(text, 80)
            )
        })
}

fn peer_of(text: &str) -> Result<Peer, String> {
    if text.starts_with("sg-") {
        Ok(Peer::Group(checked_id(text)?))
    } else if text.starts_with("pl-") {
        Ok(Peer::PrefixList(checked_id(text)?))
    } else {
        destination_of(text).map(Peer::Cidr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_form_parses() {
        assert_eq!(
            parse_change("delete nat-0abc").unwrap(),
            Change::DeleteNatGateway {
                nat_gateway_id: "nat-0abc".into()
            }
        );
        assert_eq!(
            parse_change(" delete  route rtb-1 0.0.0.0/0 ").unwrap(),
            Change::DeleteRoute {
                route_table_id: "rtb-1".into(),
                destination: "0.0.0.0/0".into()
            }
        );
        assert_eq!(
            parse_change("revoke-ingress sg-1 sg-2").unwrap(),
            Change::RevokeIngress {
                group_id: "sg-1".into(),
                peer: Peer::Group("sg-2".into())
            }
        );
        assert!(parse_change("delete everything").is_err());
        assert!(parse_change("delete route rtb-1 10.0.0.0/33").is_err());
        let escaped = parse_change("delete \u{1b}[31m").unwrap_err();
        assert!(!escaped.contains('\u{1b}'), "{escaped}");
    }

    #[test]
    fn a_file_is_json_or_lines() {
        let lines = parse_changes_file(
            "# comment\ndelete vpce-1\n\ndetach-policy r arn:aws:iam::aws:policy/x # why\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        let json =
            parse_changes_file(r#"[{"action":"delete-nat-gateway","nat_gateway_id":"nat-1"}]"#)
                .unwrap();
        assert_eq!(json.len(), 1);
        assert!(parse_changes_file("").is_err());
        assert!(parse_changes_file(r#"[{"action":"delete-everything"}]"#).is_err());
        assert!(parse_changes_file("delete vpce-1\nfrobnicate\n")
            .unwrap_err()
            .starts_with("line 2"));
    }
}
