//! ECR: each repository the images name (any region), with the image the task definition
//! references and the repository policy. Another account's repository is read when its owner
//! allows it; when not, it is left out (the analysis reports it as not collected) without
//! making this account's repositories unknown.

use std::collections::BTreeSet;

use aws_sdk_ecr::types::ImageIdentifier;
use futures::future::try_join_all;

use super::calls::{attempt, attempt_found, Call, CollectError, Session};
use super::config::Aws;
use super::manifests;
use crate::model::{EcrImage, Image, ImageReference, PullThroughCacheRule, Repository};

fn call(operation: &'static str, action: &'static str) -> Call {
    Call {
        service: "ecr",
        operation,
        action,
        collection: "ecr_repositories",
    }
}

pub async fn repositories(
    aws: &Aws,
    session: &Session,
    account: &str,
    images: &[EcrImage],
) -> Result<Option<Vec<Repository>>, CollectError> {
    let wanted: BTreeSet<(&str, &str, &str)> = images
        .iter()
        .map(|i| (i.account.as_str(), i.region.as_str(), i.repository.as_str()))
        .collect();
    let found = try_join_all(wanted.iter().map(|(registry, region, name)| {
        // Each reference once, however many task definitions name it.
        let mut references: Vec<&ImageReference> = Vec::new();
        for image in images
            .iter()
            .filter(|i| i.account == *registry && i.region == *region && i.repository == *name)
        {
            if !references.contains(&&image.reference) {
                references.push(&image.reference);
            }
        }
        repository(aws, session, registry, region, name, references)
    }))
    .await?;
    let mut repositories = Vec::new();
    for ((registry, ..), found) in wanted.iter().zip(found) {
        match found {
            Some(found) => repositories.extend(found),
            // Denied on another account's repository: leave it out (it reads as "outside the
            // collected account"). Denied on our own: an absent repository would read as
            // "does not exist", so none of them can be trusted.
            None if *registry != account => {}
            None => return Ok(None),
        }
    }
    Ok(Some(repositories))
}

/// `Some(None)`: the repository does not exist. `None`: a call was denied.
async fn repository(
    aws: &Aws,
    session: &Session,
    account: &str,
    region: &str,
    name: &str,
    references: Vec<&ImageReference>,
) -> Result<Option<Option<Repository>>, CollectError> {
    let client = aws.ecr(region);
    let described = attempt_found(
        session,
        call("DescribeRepositories", "ecr:DescribeRepositories"),
        "RepositoryNotFoundException",
        client
            .describe_repositories()
            .registry_id(account)
            .repository_names(name)
            .send(),
    )
    .await?;
    let Some(described) = described else {
        return Ok(None);
    };
    let Some(described) = described else {
        return Ok(Some(None));
    };
    let Some(found) = described.repositories().first() else {
        return Ok(Some(None));
    };

    let ids: Vec<ImageIdentifier> = references
        .iter()
        .map(|r| match r {
            ImageReference::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
            ImageReference::Digest(digest) => {
                ImageIdentifier::builder().image_digest(digest).build()
            }
        })
        .collect();
    let images = async {
        let mut found = Vec::new();
        // One call per reference: DescribeImages fails the whole call when one id is missing.
        for id in ids {
            let request = client
                .describe_images()
                .registry_id(account)
                .repository_name(name)
                .image_ids(id)
                .send();
            let call = call("DescribeImages", "ecr:DescribeImages");
            match attempt_found(session, call, "ImageNotFoundException", request).await? {
                Some(Some(output)) => found.extend(output.image_details().iter().map(|d| Image {
                    digest: d.image_digest().unwrap_or_default().to_string(),
                    tags: d.image_tags().to_vec(),
                    platforms: None,
                })),
                Some(None) => {}
                None => return Ok::<_, CollectError>(None),
            }
        }
        // Two references (a tag and `latest`, or a tag and its digest) may name one image:
        // it is one image, listed and read once.
        let mut unique: Vec<Image> = Vec::new();
        for image in found {
            match unique.iter_mut().find(|i| i.digest == image.digest) {
                Some(same) => {
                    for tag in image.tags {
                        if !same.tags.contains(&tag) {
                            same.tags.push(tag);
                        }
                    }
                }
                None => unique.push(image),
            }
        }
        let mut found = unique;
        // The platforms each image offers, from its manifest (one read per image).
        for image in &mut found {
            if image.digest.is_empty() {
                continue;
            }
            image.platforms =
                manifests::ecr_platforms(&client, &aws.http, session, account, name, &image.digest)
                    .await?;
        }
        Ok(Some(found))
    };
    let policy = async {
        let request = client
            .get_repository_policy()
            .registry_id(account)
            .repository_name(name)
            .send();
        let call = call("GetRepositoryPolicy", "ecr:GetRepositoryPolicy");
        let found = attempt_found(session, call, "RepositoryPolicyNotFoundException", request);
        Ok::<_, CollectError>(found.await?.map(|output| {
            output.and_then(|o| {
                o.policy_text().map(|t| {
                    serde_json::from_str(t)
                        .unwrap_or_else(|_| serde_json::Value::String(t.to_string()))
                })
            })
        }))
    };
    let (images, policy) = tokio::try_join!(images, policy)?;
    let (Some(images), Some(policy)) = (images, policy) else {
        return Ok(None);
    };
    Ok(Some(Some(Repository {
        name: name.to_string(),
        registry_id: account.to_string(),
        region: region.to_string(),
        arn: found.repository_arn().map(str::to_string),
        policy,
        images: Some(images),
    })))
}

/// The pull-through cache rules of each region where an image of this account names a
/// repository `PREFIX/…` that does not exist, or a tag or digest its repository lacks: a rule
/// may create and import it on first pull. `None` when none is missing (nothing to read) or a
/// call was denied.
pub async fn pull_through_rules(
    aws: &Aws,
    session: &Session,
    account: &str,
    images: &[EcrImage],
    repositories: Option<&[Repository]>,
) -> Result<Option<Vec<PullThroughCacheRule>>, CollectError> {
    let Some(repositories) = repositories else {
        return Ok(None);
    };
    let missing = |image: &&EcrImage| {
        let found = repositories.iter().find(|r| image.is_in(r));
        !found.is_some_and(|r| r.images.iter().flatten().any(|i| image.reference.names(i)))
    };
    let regions: BTreeSet<&str> = images
        .iter()
        .filter(|i| i.account == account && i.repository.contains('/'))
        .filter(missing)
        .map(|i| i.region.as_str())
        .collect();
    if regions.is_empty() {
        return Ok(None);
    }
    let found =
        try_join_all(regions.iter().map(|region| async move {
            rules_in(&aws.ecr(region), session, account, region).await
        }))
        .await?;
    Ok(found
        .into_iter()
        .collect::<Option<Vec<Vec<PullThroughCacheRule>>>>()
        .map(|rules| rules.into_iter().flatten().collect()))
}

/// The rules of this account's registry in `region`; `None` when denied.
pub(super) async fn rules_in(
    client: &aws_sdk_ecr::Client,
    session: &Session,
    account: &str,
    region: &str,
) -> Result<Option<Vec<PullThroughCacheRule>>, CollectError> {
    let request = client
        .describe_pull_through_cache_rules()
        .registry_id(account)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let call = Call {
        service: "ecr",
        operation: "DescribePullThroughCacheRules",
        action: "ecr:DescribePullThroughCacheRules",
        collection: "ecr_pull_through_cache_rules",
    };
    Ok(attempt(session, call, request).await?.map(|rules| {
        rules
            .iter()
            .map(|rule| PullThroughCacheRule {
                registry_id: rule.registry_id().unwrap_or(account).to_string(),
                region: region.to_string(),
                ecr_repository_prefix: rule.ecr_repository_prefix().unwrap_or_default().to_string(),
                upstream_registry_url: rule.upstream_registry_url().map(str::to_string),
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::operation::describe_pull_through_cache_rules::DescribePullThroughCacheRulesOutput;
    use aws_sdk_ecr::types::PullThroughCacheRule as SdkRule;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    /// The emulator does not serve pull-through cache rules: the call is tested on the SDK.
    #[tokio::test]
    async fn rules_are_read_with_their_region() {
        let rules =
            mock!(aws_sdk_ecr::Client::describe_pull_through_cache_rules).then_output(|| {
                DescribePullThroughCacheRulesOutput::builder()
                    .pull_through_cache_rules(
                        SdkRule::builder()
                            .ecr_repository_prefix("docker-hub")
                            .upstream_registry_url("registry-1.docker.io")
                            .registry_id("123456789012")
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&rules]);
        let session = Session::default();
        let found = rules_in(&client, &session, "123456789012", "eu-west-1")
            .await
            .unwrap()
            .expect("read");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].region, "eu-west-1");
        assert!(found[0].serves("docker-hub/library/nginx"));
        assert!(!found[0].serves("docker-hub"));
        assert!(!found[0].serves("docker-hubble/x"));
        let root = PullThroughCacheRule {
            ecr_repository_prefix: "ROOT".into(),
            ..found[0].clone()
        };
        assert!(root.serves("web"));
        assert_eq!(rules.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_denied_read_is_a_coverage_gap() {
        let denied = mock!(aws_sdk_ecr::Client::describe_pull_through_cache_rules)
            .then_http_response(super::manifests::tests::denied);
        let client = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&denied]);
        let session = Session::default();
        let found = rules_in(&client, &session, "123456789012", "us-east-1")
            .await
            .unwrap();
        assert!(found.is_none());
        let gaps = session.take();
        assert_eq!(gaps[0].action, "ecr:DescribePullThroughCacheRules");
        assert_eq!(gaps[0].collection, "ecr_pull_through_cache_rules");
    }
}
