//! ECR: each repository the images name (any region), with the image the task definition
//! references and the repository policy. Another account's repository is read when its owner
//! allows it; when not, it is left out (the analysis reports it as not collected) without
//! making this account's repositories unknown.

use std::collections::BTreeSet;

use aws_sdk_ecr::types::ImageIdentifier;
use futures::future::try_join_all;

use super::calls::{attempt_found, Call, CollectError, Session};
use super::config::Aws;
use crate::model::{Image, Repository};
use crate::workload::{EcrImage, ImageReference};

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
                })),
                Some(None) => {}
                None => return Ok::<_, CollectError>(None),
            }
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
