//! Systems Manager: the type and KMS key of each parameter the task definitions reference
//! (`secrets[].valueFrom`), so the analysis can tell whether the execution role also needs
//! `kms:Decrypt` on a customer managed key ("Required only if your secret uses a customer
//! managed key and not the default key", ECS Developer Guide, "Pass Systems Manager
//! parameters"). Only `ssm:DescribeParameters` is called: a parameter's value is never read.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::types::ParameterStringFilter;
use futures::future::try_join_all;

use super::calls::{attempt, distrust, Call, CollectError, Session};
use super::config::Aws;
use crate::model::SsmParameter;

const DESCRIBE: Call = Call {
    service: "ssm",
    operation: "DescribeParameters",
    action: "ssm:DescribeParameters",
    collection: "ssm_parameters",
};

/// A `Name` filter takes at most 50 values (SSM API Reference, ParameterStringFilter).
const NAMES_PER_CALL: usize = 50;

/// Describes the parameters `arns` names (`arn:aws:ssm:R:A:parameter/NAME`), region by
/// region. Another account's parameters cannot be described: they are left out (their keys
/// unknown). `None` when a call was denied.
pub async fn parameters(
    aws: &Aws,
    session: &Session,
    account: &str,
    arns: &BTreeSet<String>,
) -> Result<Option<Vec<SsmParameter>>, CollectError> {
    // By region: the names to ask for. A name without a slash may have been created with or
    // without a leading `/` (the ARN does not tell): ask for both.
    let mut by_region: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for arn in arns {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _, "ssm", region, owner, resource] = parts.as_slice() else {
            continue;
        };
        let Some(name) = resource.strip_prefix("parameter/") else {
            continue;
        };
        if *owner != account {
            continue;
        }
        let names = by_region.entry(region).or_default();
        names.insert(format!("/{name}"));
        if !name.contains('/') {
            names.insert(name.to_string());
        }
    }
    let found = try_join_all(by_region.iter().map(|(region, names)| {
        let client = aws.ssm(region);
        async move {
            let mut out = Vec::new();
            let names: Vec<&String> = names.iter().collect();
            for chunk in names.chunks(NAMES_PER_CALL) {
                let filter = ParameterStringFilter::builder()
                    .key("Name")
                    .option("Equals")
                    .set_values(Some(chunk.iter().map(|n| n.to_string()).collect()))
                    .build()
                    .map_err(|e| CollectError::Config(e.to_string()))?;
                let request = client
                    .describe_parameters()
                    .parameter_filters(filter)
                    // The largest page AWS serves (pages are best-effort, so more may follow).
                    .max_results(50)
                    .into_paginator()
                    .send()
                    .try_collect();
                // Denied (a coverage gap) or failed after retries: the parameters' keys are
                // unknown, nothing else is.
                let pages = match attempt(session, DESCRIBE, request).await {
                    Ok(Some(pages)) => pages,
                    Ok(None) | Err(CollectError::Api { .. }) => return Ok(None),
                    Err(other) => return Err(other),
                };
                // Every parameter has its name and type; without the type, whether it is a
                // SecureString (and needs kms:Decrypt) is not known.
                if let Some(p) = pages
                    .iter()
                    .flat_map(|page| page.parameters())
                    .find(|p| p.name().is_none_or(str::is_empty) || p.r#type().is_none())
                {
                    distrust(
                        session,
                        DESCRIBE,
                        format!(
                            "a parameter of the reply ({}) has no Name or Type",
                            p.name().unwrap_or("?")
                        ),
                    );
                    return Ok(None);
                }
                out.extend(pages.iter().flat_map(|page| page.parameters()).map(|p| {
                    let name = p.name().unwrap_or_default().to_string();
                    SsmParameter {
                        arn: p.arn().map(str::to_string).unwrap_or_else(|| {
                            format!(
                                "arn:aws:ssm:{region}:{account}:parameter/{}",
                                name.trim_start_matches('/')
                            )
                        }),
                        parameter_type: p
                            .r#type()
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        key_id: p.key_id().map(str::to_string),
                        name,
                    }
                }));
            }
            Ok(Some(out))
        }
    }))
    .await?;
    Ok(found
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .map(|lists| lists.into_iter().flatten().collect()))
}
