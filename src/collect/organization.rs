//! The account's AWS Organization (`organizations:DescribeOrganization`, which any member
//! account may call: "This operation can be called from any account in the organization",
//! Organizations API Reference), for the `aws:PrincipalOrgID` and `aws:ResourceOrgID` keys of
//! data-perimeter policies. Read once per account.
//!
//! And for `--organization`, the organization's accounts (`ListAccounts`, and for OU filters
//! `ListAccountsForParent` and `ListChildren`), read once per run from the caller's account.

use super::calls::{attempt_found, required, Call, CollectError, Session};
use super::config::Aws;
use crate::model::Organization;

const DESCRIBE: Call = Call {
    service: "organizations",
    operation: "DescribeOrganization",
    action: "organizations:DescribeOrganization",
    collection: "organization",
};

/// The organization of `account`: `Some(id: None)` when the account is in none
/// (`AWSOrganizationsNotInUseException`); `None` when it could not be read (a denied call is a
/// coverage gap; organization keys are then unknown).
pub async fn organization(
    aws: &Aws,
    session: &Session,
    account: &str,
) -> Result<Option<Organization>, CollectError> {
    aws.iam
        .organizations
        .get_or_read(account.to_string(), session, |own| async move {
            let request = aws.organizations().describe_organization().send();
            let found =
                attempt_found(&own, DESCRIBE, "AWSOrganizationsNotInUseException", request).await;
            Ok(match found {
                Ok(Some(Some(output))) => match output.organization().and_then(|o| o.id()) {
                    Some(id) if !id.is_empty() => Some(Organization {
                        id: Some(id.to_string()),
                    }),
                    // An organization without its id: a damaged reply, not "no organization"
                    // (which is AWSOrganizationsNotInUseException).
                    _ => {
                        super::calls::distrust(&own, DESCRIBE, "the reply has no Organization.Id");
                        None
                    }
                },
                Ok(Some(None)) => Some(Organization { id: None }),
                // Denied (a gap), or failed: the keys it decides are unknown, nothing else is.
                Ok(None) | Err(CollectError::Api { .. }) => None,
                Err(other) => return Err(other),
            })
        })
        .await
}

/// `--organization`: which of the organization's accounts to audit, and through which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationPlan {
    /// The role assumed in every account (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
    pub role_name: String,
    pub external_id: Option<String>,
    /// Only these accounts (empty: all).
    pub accounts: Vec<String>,
    pub exclude_accounts: Vec<String>,
    /// Only accounts under these organizational units, at any depth (empty: all).
    pub units: Vec<String>,
}

/// One account of the organization, as `ListAccounts` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationAccount {
    pub id: String,
    /// The partition of the account's ARN (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE` (the `State` field's words, else `Status`'s).
    pub state: String,
}

impl OrganizationAccount {
    /// Only an active account can be read; a suspended or closing one cannot be signed in to
    /// ("You can't access a suspended account", Organizations User Guide, "Closing a member
    /// account").
    pub fn is_active(&self) -> bool {
        self.state == "ACTIVE"
    }

    pub fn role_arn(&self, role_name: &str) -> String {
        format!("arn:{}:iam::{}:role/{role_name}", self.partition, self.id)
    }
}

const LIST_ACCOUNTS: Call = Call {
    service: "organizations",
    operation: "ListAccounts",
    action: "organizations:ListAccounts",
    collection: "organization accounts",
};

const LIST_ACCOUNTS_FOR_PARENT: Call = Call {
    service: "organizations",
    operation: "ListAccountsForParent",
    action: "organizations:ListAccountsForParent",
    collection: "organization accounts",
};

const LIST_CHILDREN: Call = Call {
    service: "organizations",
    operation: "ListChildren",
    action: "organizations:ListChildren",
    collection: "organizational units",
};

/// Organizational units nested deeper than this are not followed (Organizations allows five
/// levels below the root: "Quotas for AWS Organizations"); a cycle cannot make it loop.
const MAX_UNIT_DEPTH: usize = 8;

/// The organization's accounts the plan selects, in `ListAccounts` order, read with the
/// caller's own credentials (the management account or a delegated administrator:
/// `ListAccounts` "can be called only from the organization's management account or by a
/// member account that is a delegated administrator"). Every call is required: without the
/// list there is nothing to audit.
pub async fn organization_accounts(
    aws: &Aws,
    session: &Session,
    plan: &OrganizationPlan,
) -> Result<OrganizationListing, CollectError> {
    let client = aws.organizations();
    let pages = client.list_accounts().into_paginator().send();
    let pages: Vec<_> = required(
        session,
        LIST_ACCOUNTS,
        "the organization's accounts",
        pages.try_collect(),
    )
    .await?;
    let accounts: Vec<&aws_sdk_organizations::types::Account> =
        pages.iter().flat_map(|p| p.accounts()).collect();
    let under_units = match plan.units.is_empty() {
        true => None,
        false => Some(accounts_under(&client, session, &plan.units).await?),
    };
    let mut listed = Vec::new();
    for account in &accounts {
        let Some(id) = account.id().filter(|id| !id.is_empty()) else {
            // An account without its id cannot be audited or named: a damaged reply, never
            // a silently shorter organization.
            super::calls::distrust(session, LIST_ACCOUNTS, "an account in the reply has no Id");
            continue;
        };
        let partition = account
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_string();
        // `State` replaces the deprecated `Status` (Organizations API Reference, Account).
        let state = match (account.state(), account.status()) {
            (Some(state), _) => state.as_str().to_string(),
            (None, Some(status)) => status.as_str().to_string(),
            (None, None) => "UNKNOWN".to_string(),
        };
        listed.push(OrganizationAccount {
            id: id.to_string(),
            partition,
            state,
        });
    }
    let mut listing = OrganizationListing::default();
    // An account asked for by id that the organization does not list is said, not dropped.
    for id in &plan.accounts {
        if !listed.iter().any(|a| &a.id == id) {
            listing.not_selected.push((
                id.clone(),
                "is not an account of the organization (organizations:ListAccounts does not list it)".into(),
            ));
        }
    }
    for account in listed {
        if !plan.accounts.is_empty() && !plan.accounts.contains(&account.id) {
            continue;
        }
        if plan.exclude_accounts.contains(&account.id) {
            continue;
        }
        if under_units
            .as_ref()
            .is_some_and(|ids| !ids.contains(&account.id))
        {
            // Asked for by id, but outside the units asked for: said, not dropped.
            if plan.accounts.contains(&account.id) {
                listing.not_selected.push((
                    account.id.clone(),
                    "is outside the organizational units of --organizational-units".into(),
                ));
            }
            continue;
        }
        listing.selected.push(account);
    }
    Ok(listing)
}

/// The accounts `--organization` selects, and those asked for by id that it cannot (with why).
#[derive(Debug, Default)]
pub struct OrganizationListing {
    pub selected: Vec<OrganizationAccount>,
    pub not_selected: Vec<(String, String)>,
}

/// The ids of the accounts under `units`, at any depth (`ListAccountsForParent` for each unit,
/// `ListChildren` for the units inside it).
async fn accounts_under(
    client: &aws_sdk_organizations::Client,
    session: &Session,
    units: &[String],
) -> Result<std::collections::BTreeSet<String>, CollectError> {
    use aws_sdk_organizations::types::ChildType;
    let mut found = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut level: Vec<String> = units.to_vec();
    for _ in 0..MAX_UNIT_DEPTH {
        let mut next = Vec::new();
        for unit in level.into_iter().filter(|u| seen.insert(u.clone())) {
            let pages = client
                .list_accounts_for_parent()
                .parent_id(&unit)
                .into_paginator()
                .send();
            let pages: Vec<_> = required(
                session,
                LIST_ACCOUNTS_FOR_PARENT,
                "the accounts of an organizational unit",
                pages.try_collect(),
            )
            .await?;
            found.extend(
                pages
                    .iter()
                    .flat_map(|p| p.accounts())
                    .filter_map(|a| a.id().map(str::to_string)),
            );
            let pages = client
                .list_children()
                .parent_id(&unit)
                .child_type(ChildType::OrganizationalUnit)
                .into_paginator()
                .send();
            let pages: Vec<_> = required(
                session,
                LIST_CHILDREN,
                "the organizational units inside a unit",
                pages.try_collect(),
            )
            .await?;
            next.extend(
                pages
                    .iter()
                    .flat_map(|p| p.children())
                    .filter_map(|c| c.id().map(str::to_string)),
            );
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(found)
}
