//! IAM: roles and the policy documents attached to them, kept as raw JSON for local evaluation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub arn: String,
    pub name: String,
    pub assume_role_policy: serde_json::Value,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policy_arns: Vec<String>,
    /// The role's unique id (`AROA…`), the start of a session's `aws:userid`. `None`: not
    /// collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    /// The role's tags (its sessions' `aws:PrincipalTag/…`). `None`: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// The AWS Organization the account belongs to, read with `organizations:DescribeOrganization`
/// (`aws:PrincipalOrgID`, `aws:ResourceOrgID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `None`: the account belongs to no organization.
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: serde_json::Value,
}

/// A managed policy's default version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub arn: String,
    #[serde(default)]
    pub name: Option<String>,
    pub document: serde_json::Value,
}
