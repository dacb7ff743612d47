//! A fleet run: every account (the caller's own, or roles assumed from its credentials) ×
//! every region asked for, each collected as its own scope. Scopes run a few at a time, each
//! with its own bound on calls in flight; a scope that fails (a role that cannot be assumed,
//! a region that is not enabled) is reported with its error and does not stop the others.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

use super::calls::{required, Call, CollectError, Session};
use super::organization::{organization_accounts, OrganizationPlan};
use super::{caller_account, collect, Aws, Clusters, Collected, HistoryScope, Progress, Scope};

/// An account reached by assuming `role_arn` from the caller's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub role_arn: String,
    pub external_id: Option<String>,
}

impl Account {
    /// The account id in the role's ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub fn id(&self) -> Option<&str> {
        self.role_arn.split(':').nth(4).filter(|a| !a.is_empty())
    }
}

/// Which regions each account is read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The credential chain's region (or `--region`'s one value).
    Default,
    Listed(Vec<String>),
    /// Every region enabled for the account (ec2:DescribeRegions).
    AllEnabled,
}

/// What a fleet run reads.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    /// Empty: the caller's own account.
    pub accounts: Vec<Account>,
    pub regions: Regions,
    pub clusters: Clusters,
    pub services: Vec<String>,
    /// Account-and-region scopes collected at once.
    pub parallel_scopes: usize,
    /// A task not deployed yet, audited instead of the clusters' services.
    pub pre_deploy: Option<std::sync::Arc<dyn super::Undeployed>>,
    /// `--organization`: the organization's accounts, listed first, join `accounts`.
    pub organization: Option<OrganizationPlan>,
}

impl FleetPlan {
    /// The clusters asked for by name (none for `--all-clusters`).
    pub fn clusters_named(&self) -> Vec<String> {
        match &self.clusters {
            Clusters::All => Vec::new(),
            Clusters::Named(names) => names.clone(),
        }
    }

    /// One account and at most one region: errors end the run as for a single audit.
    pub fn is_single_scope(&self) -> bool {
        self.organization.is_none()
            && self.accounts.len() <= 1
            && match &self.regions {
                Regions::Default => true,
                Regions::Listed(regions) => regions.len() <= 1,
                Regions::AllEnabled => false,
            }
    }
}

/// One account and region of a fleet run.
#[derive(Debug)]
pub struct ScopeRun {
    /// `None` for the caller's own account when it could not be read.
    pub account_id: Option<String>,
    /// `*` when the account's regions could not be listed.
    pub region: String,
    pub role_arn: Option<String>,
    pub outcome: Result<Collected, CollectError>,
    /// Calls made, by `service:Operation`.
    pub calls: BTreeMap<String, usize>,
    pub elapsed: Duration,
}

/// Every scope of the run, in plan order (accounts, then regions); an account whose regions
/// could not be listed is one failed scope with region `*`. The calls made for an account
/// rather than a region (listing its regions) are counted in its first scope.
pub async fn collect_fleet(base: &Aws, plan: &FleetPlan, progress: &Progress) -> Vec<ScopeRun> {
    let mut runs = Vec::new();
    let mut listing_calls = BTreeMap::new();
    let listed = match &plan.organization {
        None => Vec::new(),
        Some(organization) => match organization_scopes(base, organization).await {
            Ok((accounts, unreadable, calls)) => {
                runs.extend(unreadable);
                listing_calls = calls;
                accounts
            }
            // Without the list there is nothing to audit: the run is one unreadable scope.
            Err(run) => return vec![run],
        },
    };
    let accounts: Vec<Option<&Account>> = if plan.accounts.is_empty() && plan.organization.is_none()
    {
        vec![None]
    } else {
        plan.accounts.iter().chain(&listed).map(Some).collect()
    };
    // Each account's credentials and regions first (one DescribeRegions per account at most).
    let single = plan.is_single_scope();
    let mut runs: Vec<(usize, ScopeRun)> = runs.into_iter().enumerate().collect();
    let mut scopes = Vec::new();
    for account in accounts {
        let aws = match account {
            Some(account) => {
                base.assume(&account.role_arn, account.external_id.as_deref())
                    .await
            }
            None => base.clone(),
        }
        .with_own_log();
        let started = Instant::now();
        // The account of a role is in its ARN; the caller's own is asked once (a region
        // without clusters, or one that fails, is still reported under its account).
        let account_id = match account {
            Some(account) => account.id().map(str::to_string),
            None if !single => caller_account(&aws, &Session::new(1)).await.ok(),
            None => None,
        };
        match regions_of(&aws, &plan.regions).await {
            Ok(regions) => {
                for (i, region) in regions.into_iter().enumerate() {
                    let account_calls = if i == 0 {
                        aws.guard.log.calls()
                    } else {
                        BTreeMap::new()
                    };
                    scopes.push((
                        runs.len() + scopes.len(),
                        account,
                        account_id.clone(),
                        aws.in_region(account_id.as_deref().unwrap_or("caller"), &region),
                        region,
                        account_calls,
                    ));
                }
            }
            Err(error) => runs.push((
                runs.len() + scopes.len(),
                ScopeRun {
                    account_id,
                    region: "*".to_string(),
                    role_arn: account.map(|a| a.role_arn.clone()),
                    outcome: Err(error),
                    calls: aws.guard.log.calls(),
                    elapsed: started.elapsed(),
                },
            )),
        }
    }
    progress.set_length(scopes.len() as u64);
    let collected: Vec<(usize, ScopeRun)> = stream::iter(scopes)
        .map(|(order, account, account_id, aws, region, account_calls)| {
            let scope = Scope {
                clusters: plan.clusters.clone(),
                services: plan.services.clone(),
                history: HistoryScope::None,
                missing_is_error: single,
                account: account_id,
                pre_deploy: plan.pre_deploy.clone(),
            };
            async move {
                progress.stage(format!(
                    "{}{region}",
                    scope
                        .account
                        .as_deref()
                        .map_or(String::new(), |a| format!("{a} "))
                ));
                let started = Instant::now();
                let outcome = collect(&aws, &scope, &Progress::hidden()).await;
                let run = ScopeRun {
                    account_id: match &outcome {
                        Ok(collected) => Some(collected.snapshot.account_id.clone()),
                        Err(_) => scope.account.clone(),
                    },
                    region,
                    role_arn: account.map(|a| a.role_arn.clone()),
                    outcome,
                    calls: merged(aws.guard.log.calls(), account_calls),
                    elapsed: started.elapsed(),
                };
                (order, run)
            }
        })
        .buffered(plan.parallel_scopes.max(1))
        .collect()
        .await;
    progress.finish();
    // Plan order, whichever finished first.
    runs.extend(collected);
    runs.sort_by_key(|(order, _)| *order);
    let mut runs: Vec<ScopeRun> = runs.into_iter().map(|(_, run)| run).collect();
    if let Some(first) = runs.first_mut() {
        first.calls = merged(std::mem::take(&mut first.calls), listing_calls);
    }
    runs
}

/// The organization's selected accounts: the active ones to read (through the plan's role),
/// and a failed scope for each one that cannot be read (suspended, closing), never a silent
/// skip, and the listing's calls (counted in the run's first scope). `Err`: the accounts could
/// not be listed, as one failed scope.
async fn organization_scopes(
    base: &Aws,
    organization: &OrganizationPlan,
) -> Result<(Vec<Account>, Vec<ScopeRun>, BTreeMap<String, usize>), ScopeRun> {
    let started = Instant::now();
    let own = base.with_own_log();
    let session = Session::new(1);
    let listed = organization_accounts(&own, &session, organization).await;
    let failed = |error: CollectError| ScopeRun {
        account_id: None,
        region: "*".to_string(),
        role_arn: None,
        outcome: Err(error),
        calls: own.guard.log.calls(),
        elapsed: started.elapsed(),
    };
    let listing = listed.map_err(failed)?;
    let mut unreadable: Vec<ScopeRun> = listing
        .not_selected
        .iter()
        .map(|(id, why)| ScopeRun {
            account_id: Some(id.clone()),
            region: "*".to_string(),
            role_arn: None,
            outcome: Err(CollectError::Config(format!(
                "account {id}, asked for with --accounts, {why}: nothing of it is audited"
            ))),
            calls: BTreeMap::new(),
            elapsed: Duration::ZERO,
        })
        .collect();
    let listed = listing.selected;
    if listed.is_empty() && unreadable.is_empty() {
        return Err(failed(CollectError::Config(
            "--organization: no account of the organization matches --accounts, --exclude-accounts and --organizational-units".into(),
        )));
    }
    let mut accounts = Vec::new();
    for account in listed {
        let role_arn = account.role_arn(&organization.role_name);
        if account.is_active() {
            accounts.push(Account {
                role_arn,
                external_id: organization.external_id.clone(),
            });
            continue;
        }
        unreadable.push(ScopeRun {
            account_id: Some(account.id.clone()),
            region: "*".to_string(),
            role_arn: Some(role_arn),
            outcome: Err(CollectError::Config(format!(
                "account {} is {} in the organization (organizations:ListAccounts): a suspended or closing account cannot be signed in to, so nothing of it is audited",
                account.id, account.state
            ))),
            calls: BTreeMap::new(),
            elapsed: Duration::ZERO,
        });
    }
    Ok((accounts, unreadable, own.guard.log.calls()))
}

fn merged(
    mut calls: BTreeMap<String, usize>,
    more: BTreeMap<String, usize>,
) -> BTreeMap<String, usize> {
    for (operation, count) in more {
        *calls.entry(operation).or_default() += count;
    }
    calls
}

/// The regions to read for one account.
async fn regions_of(aws: &Aws, regions: &Regions) -> Result<Vec<String>, CollectError> {
    match regions {
        Regions::Listed(regions) if !regions.is_empty() => Ok(regions.clone()),
        Regions::Default | Regions::Listed(_) => aws.region().map(|r| vec![r]).ok_or_else(|| {
            CollectError::Config(
                "no AWS region: pass --region, set AWS_REGION, or give the profile a region".into(),
            )
        }),
        Regions::AllEnabled => enabled_regions(aws).await,
    }
}

/// Whether `name` has the shape of an AWS region name (`eu-west-1`, `us-gov-east-1`,
/// `ap-southeast-5`): lower-case words joined by dashes, ending in a number.
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    name.len() <= 32
        && parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The regions enabled for the account (opted in, or needing no opt-in).
async fn enabled_regions(aws: &Aws) -> Result<Vec<String>, CollectError> {
    // DescribeRegions answers from any region; without one configured, ask us-east-1.
    let region = aws.region().unwrap_or_else(|| "us-east-1".to_string());
    let call = Call {
        service: "ec2",
        operation: "DescribeRegions",
        action: "ec2:DescribeRegions",
        collection: "regions",
    };
    let request = aws
        .ec2_in(&region)
        .describe_regions()
        .all_regions(false)
        .send();
    let listed = required(
        &Session::new(1),
        call,
        "the enabled regions (--all-regions)",
        request,
    )
    .await?;
    let mut regions: Vec<String> = Vec::new();
    for region in listed.regions() {
        // A region name names the scope and its `collect --out-dir` file: `eu-west-1`,
        // `us-gov-west-1`, never anything else.
        match region.region_name() {
            Some(name) if is_region_name(name) => regions.push(name.to_string()),
            other => {
                return Err(CollectError::Api {
                    service: "ec2".into(),
                    operation: "DescribeRegions".into(),
                    code: super::calls::SUSPICIOUS_REPLY.into(),
                    message: format!(
                        "the reply lists a region named {:?}",
                        other
                            .unwrap_or_default()
                            .chars()
                            .take(64)
                            .collect::<String>()
                    ),
                    request_id: None,
                })
            }
        }
    }
    // Every account has regions enabled (those needing no opt-in): an empty list would make
    // the account vanish from the run.
    if regions.is_empty() {
        return Err(CollectError::Api {
            service: "ec2".into(),
            operation: "DescribeRegions".into(),
            code: super::calls::SUSPICIOUS_REPLY.into(),
            message: "the reply lists no enabled region".into(),
            request_id: None,
        });
    }
    regions.sort();
    Ok(regions)
}

#[cfg(test)]
mod region_tests {
    #[test]
    fn region_names_have_their_shape() {
        for good in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-5",
            "il-central-1",
        ] {
            assert!(super::is_region_name(good), "{good}");
        }
        for bad in [
            "",
            "eu-west",
            "../../x-1",
            "EU-west-1",
            "eu-west-1\u{1b}",
            "eu--1",
            "eu-west-1a",
        ] {
            assert!(!super::is_region_name(bad), "{bad}");
        }
    }
}
