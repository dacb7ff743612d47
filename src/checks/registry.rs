//! Registry-side facts: the ECR repository and image exist, another account's repository
//! admits the role, and a private non-ECR registry has credentials.

use super::catalog::Catalog;
use super::execution_role::{permission_blockers, RoleState};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{PullThroughCacheRule, Repository};
use crate::policy::{evaluate, Caller, Context, Decision, Request};
use crate::workload::{Carrier, EcrImage, ImageReference, OtherImage, Permission, Target};

/// The request contexts a permission is decided in (see `request_context`).
pub type ContextsOf<'c> = dyn Fn(&Permission) -> Vec<Context> + 'c;

const PULL_ACTIONS: [&str; 2] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

/// Manifest checks (`ecr-dkr`): the repository and image exist (or a pull-through cache rule
/// creates and imports them, with the role's permission), and the repository policy lets the
/// role call `ecr:BatchGetImage`.
pub fn ecr_image_blockers(
    catalog: &Catalog<'_>,
    image: &EcrImage,
    caller: &Caller,
    role: &RoleState<'_>,
    contexts_of: &ContextsOf<'_>,
) -> Vec<Blocker> {
    let snapshot = catalog.snapshot;
    let arn = image.repository_arn();
    let Some(found) = catalog.repository(&image.account, &image.region, &image.repository) else {
        return vec![not_collected(
            catalog,
            &arn,
            "ECR repositories were not collected",
        )];
    };
    let Some(repository) = found else {
        // Only the snapshot's own account and region were listed: elsewhere, absence proves nothing.
        if image.account == snapshot.account_id {
            if let Some(rule) = pull_through(catalog, image) {
                return match rule {
                    Ok(rule) => first_pull_blockers(role, image, rule, true, contexts_of),
                    Err(unknown) => vec![unknown],
                };
            }
        }
        if image.account != snapshot.account_id {
            // Another account's repository: its owner's policy decides, there.
            let principal = caller.arn.as_deref().unwrap_or("the pulling role");
            return vec![Blocker::new(
                Code::NotCollected,
                &arn,
                format!(
                    "repository {arn} belongs to account {}, whose repository policy did not let the collector read it (or it does not exist), so whether it exists, has `{}` and admits {principal} is unknown",
                    image.account, image.image
                ),
                format!(
                    "In account {acct}, check that repository {repo} exists and that its policy allows ecr:BatchGetImage and ecr:GetDownloadUrlForLayer to {principal} (aws ecr get-repository-policy --registry-id {acct} --repository-name {repo} --region {region}); to let pullpath check it, that policy may also allow ecr:DescribeRepositories, ecr:DescribeImages and ecr:GetRepositoryPolicy to the identity pullpath runs as.",
                    acct = image.account,
                    repo = image.repository,
                    region = image.region
                ),
            )];
        }
        if image.region != snapshot.region {
            return vec![not_collected(
                catalog,
                &arn,
                &format!(
                    "repository {arn} is outside the collected account/region ({}/{})",
                    snapshot.account_id, snapshot.region
                ),
            )];
        }
        return vec![Blocker::new(
            Code::RepositoryNotFound,
            &arn,
            format!("repository `{}` does not exist in registry {} ({}), so `{}` cannot be pulled", image.repository, image.account, image.region, image.image),
            format!(
                "Create the repository and push the image (aws ecr create-repository --repository-name {} --region {}), or fix the image name in the task definition.",
                image.repository, image.region
            ),
        )];
    };
    let mut blockers = Vec::new();
    if let Some(blocker) = image_blocker(catalog, repository, image, &arn) {
        // A pull-through cache imports an image it does not have yet from upstream.
        match (blocker.code, pull_through(catalog, image)) {
            (Code::ImageNotFound, Some(Ok(rule))) => {
                blockers.extend(first_pull_blockers(role, image, rule, false, contexts_of))
            }
            (Code::ImageNotFound, Some(Err(unknown))) => blockers.push(unknown),
            _ => blockers.push(blocker),
        }
    }
    blockers.extend(repository_policy_blockers(
        catalog,
        repository,
        image,
        caller,
        &Permission::new("ecr:BatchGetImage", &arn),
        contexts_of,
    ));
    blockers
}

/// Layer checks (`s3-layers`): the repository policy lets the role call
/// `ecr:GetDownloadUrlForLayer`. Existence is reported once, on the manifest.
pub fn ecr_layer_blockers(
    catalog: &Catalog<'_>,
    image: &EcrImage,
    caller: &Caller,
    contexts_of: &ContextsOf<'_>,
) -> Vec<Blocker> {
    // The layer URL is asked of the registry host: its path decides the conditions.
    let permission = Permission::new("ecr:GetDownloadUrlForLayer", image.repository_arn())
        .carried_by(Carrier::Call {
            target: Target::EcrDkr,
            host: image.host.clone(),
        });
    catalog
        .repository(&image.account, &image.region, &image.repository)
        .flatten()
        .map(|repository| {
            repository_policy_blockers(catalog, repository, image, caller, &permission, contexts_of)
        })
        .unwrap_or_default()
}

/// The pull-through cache rule serving the image's repository: `None` when no rule does (or
/// the repository, without a `PREFIX/`, cannot be one's); `Err` when the rules were not read.
fn pull_through<'a>(
    catalog: &Catalog<'a>,
    image: &EcrImage,
) -> Option<Result<&'a PullThroughCacheRule, Blocker>> {
    // Only a `ROOT` rule serves a repository without a prefix; the collector reads the rules
    // for `PREFIX/…` repositories (so a `ROOT` rule counts when they were read anyway).
    if !image.repository.contains('/') {
        return catalog
            .pull_through_rule(&image.account, &image.region, &image.repository)
            .flatten()
            .map(Ok);
    }
    match catalog.pull_through_rule(&image.account, &image.region, &image.repository) {
        Some(rule) => rule.map(Ok),
        None => Some(Err(Blocker::new(
            Code::NotCollected,
            image.repository_arn(),
            format!(
                "`{}` is not in ECR yet, and the registry's pull-through cache rules were not read, so whether a rule would import it on first pull is unknown{}",
                image.image,
                catalog.snapshot.why_not_collected("ecr_pull_through_cache_rules")
            ),
            "Collect the pull-through cache rules (ecr:DescribePullThroughCacheRules).",
        ))),
    }
}

/// The first pull through a pull-through cache rule: ECR creates the repository (when it
/// does not exist) and imports the image from upstream, both with the pulling role.
fn first_pull_blockers(
    role: &RoleState<'_>,
    image: &EcrImage,
    rule: &PullThroughCacheRule,
    create: bool,
    contexts_of: &ContextsOf<'_>,
) -> Vec<Blocker> {
    let arn = image.repository_arn();
    let mut needed = vec![Permission::new("ecr:BatchImportUpstreamImage", &arn)];
    if create {
        needed.push(Permission::new("ecr:CreateRepository", &arn));
    }
    let upstream = rule
        .upstream_registry_url
        .as_deref()
        .unwrap_or("its upstream registry");
    permission_blockers(role, &needed, contexts_of)
        .into_iter()
        .map(|mut blocker| {
            if blocker.code == Code::PermissionMissing {
                let role = blocker.resource_id.rsplit('/').next().unwrap_or_default();
                blocker.fix = format!(
                    "aws iam put-role-policy --role-name {role} --policy-name ecr-pull-through-cache --policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[\"ecr:CreateRepository\",\"ecr:BatchImportUpstreamImage\"],\"Resource\":\"arn:aws:ecr:{}:{}:repository/{}/*\"}}]}}' (AmazonECSTaskExecutionRolePolicy does not cover the first pull through a pull-through cache).",
                    image.region, image.account, rule.ecr_repository_prefix
                );
            }
            if matches!(blocker.code, Code::PermissionMissing | Code::PermissionDenied) {
                blocker.message = format!(
                    "{} — `{}` is served by pull-through cache rule `{}` ({upstream}), whose first pull {}imports the image with the pulling role",
                    blocker.message,
                    image.image,
                    rule.ecr_repository_prefix,
                    if create { "creates the repository and " } else { "" }
                );
            }
            blocker
        })
        .collect()
}

fn not_collected(catalog: &Catalog<'_>, resource: &str, why: &str) -> Blocker {
    Blocker::new(
        Code::NotCollected,
        resource,
        format!(
            "{why}, so the repository and image cannot be checked{}",
            catalog.snapshot.why_not_collected("ecr_repositories")
        ),
        "Collect the repository (ecr:DescribeRepositories, ecr:DescribeImages, ecr:GetRepositoryPolicy).",
    )
}

fn image_blocker(
    catalog: &Catalog<'_>,
    repository: &Repository,
    image: &EcrImage,
    arn: &str,
) -> Option<Blocker> {
    let Some(images) = &repository.images else {
        return Some(not_collected(
            catalog,
            arn,
            &format!("the images of {arn} were not listed"),
        ));
    };
    let present = images.iter().any(|i| image.reference.names(i));
    (!present).then(|| {
        Blocker::new(
            Code::ImageNotFound,
            arn,
            format!("repository `{}` has no image with {} (`{}`: manifest unknown / not found)", repository.name, image.reference, image.image),
            format!(
                "Push the image with that {} to {}, or point the task definition at an existing tag (aws ecr describe-images --repository-name {}).",
                match image.reference { ImageReference::Tag(_) => "tag", ImageReference::Digest(_) => "digest" },
                repository.name,
                repository.name
            ),
        )
    })
}

/// Another account's repository must allow the pull in its policy; any repository's policy
/// may deny it. Decided in each context the pull is made in.
fn repository_policy_blockers(
    catalog: &Catalog<'_>,
    repository: &Repository,
    image: &EcrImage,
    caller: &Caller,
    permission: &Permission,
    contexts_of: &ContextsOf<'_>,
) -> Vec<Blocker> {
    let arn = permission.resource.as_str();
    let action = permission.action.as_str();
    let account = caller.account.as_deref().unwrap_or_default();
    let cross_account = repository.registry_id != account;
    let principal = caller
        .arn
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{account}:root"));
    let fix = format!(
        "aws ecr set-repository-policy --repository-name {} --registry-id {} --policy-text (a statement allowing {} to {principal} or arn:aws:iam::{}:root)",
        repository.name,
        repository.registry_id,
        PULL_ACTIONS.join(", "),
        account
    );
    let Some(policy) = catalog.repository_policy(repository) else {
        return if cross_account {
            vec![Blocker::new(
                Code::RepositoryPolicyDenies,
                arn,
                format!("repository {arn} belongs to account {} and has no repository policy, so account {} cannot pull from it", repository.registry_id, account),
                fix,
            )]
        } else {
            Vec::new()
        };
    };
    let mut contexts = contexts_of(permission);
    if !policy.uses_context() {
        contexts.truncate(1);
    }
    let mut blockers: Vec<Blocker> = Vec::new();
    for context in &contexts {
        let request = Request {
            action,
            resource: arn,
            caller: Some(caller),
            context,
        };
        let decision = evaluate(&[policy.as_ref()], &request);
        let because = decision.because();
        let blocker = match decision {
            Decision::Allowed => None,
            // Same account: the identity policy alone can grant it — unless a Deny of the
            // repository policy may apply.
            Decision::ImplicitlyDenied { undecided, .. } if !cross_account => {
                (!undecided.is_empty()).then(|| {
                    Blocker::new(
                        Code::ConditionUnknown,
                        arn,
                        format!("{} for {action}: {}", policy.name, undecided.join("; ")),
                        "Check that the condition holds for the task's pulls.",
                    )
                })
            }
            Decision::ImplicitlyDenied { .. } => Some(Blocker::new(
                Code::RepositoryPolicyDenies,
                arn,
                format!("the policy of repository {arn} (account {}) does not allow {action} to {principal}{because}", repository.registry_id),
                fix.clone(),
            )),
            Decision::ExplicitlyDenied { sid, .. } => Some(Blocker::new(
                Code::RepositoryPolicyDenies,
                arn,
                format!(
                    "the policy of repository {arn} explicitly denies {action} to {principal}{}{because}",
                    sid.as_ref().map_or(String::new(), |s| format!(" (statement `{s}`)"))
                ),
                format!(
                    "Remove or narrow the Deny statement{} in the policy of {} ({}).",
                    sid.map_or(String::new(), |s| format!(" `{s}`")),
                    repository.name,
                    image.image
                ),
            )),
            Decision::Unreadable { reason } => Some(Blocker::policy_unreadable(
                arn,
                &format!("{} for {action}", policy.name),
                &reason,
            )),
            Decision::Unknown { reason } => Some(Blocker::new(
                Code::ConditionUnknown,
                arn,
                format!("{} for {action}: {reason}", policy.name),
                "Check that the condition holds for the task's pulls.",
            )),
        };
        if let Some(blocker) = blocker.filter(|b| !blockers.contains(b)) {
            blockers.push(blocker);
        }
    }
    blockers
}

/// A private registry needs `repositoryCredentials`; public ones serve public images without.
pub fn registry_auth_blocker(
    image: &OtherImage,
    has_credentials: bool,
    container: &str,
) -> Option<Blocker> {
    (!image.public_registry && !has_credentials).then(|| {
        Blocker::new(
            Code::RegistryAuthMissing,
            &image.host,
            format!("container `{container}` pulls `{}` from private registry {} without repositoryCredentials (expect 401 Unauthorized / no basic auth credentials)", image.image, image.host),
            format!(
                "Store the registry credentials in Secrets Manager ({{\"username\":…,\"password\":…}}) and set repositoryCredentials.credentialsParameter of container `{container}` to the secret's ARN; allow secretsmanager:GetSecretValue on it to the execution role."
            ),
        )
    })
}
