//! Secrets Manager: the KMS key of each secret the task definitions reference
//! (`secrets[].valueFrom`, `repositoryCredentials.credentialsParameter`), so the analysis can
//! tell whether the execution role also needs `kms:Decrypt`. Only `DescribeSecret` is called:
//! the secret's value is never read.

use std::collections::BTreeSet;

use futures::future::try_join_all;

use super::calls::{attempt_found, Call, CollectError, Session};
use super::config::Aws;
use crate::model::SecretMetadata;

const DESCRIBE: Call = Call {
    service: "secretsmanager",
    operation: "DescribeSecret",
    action: "secretsmanager:DescribeSecret",
    collection: "secrets",
};

/// Describes each secret in its own region. A secret that does not exist is left out (the
/// analysis reports it as not found). A denied call on another account's secret leaves that
/// secret out too (its owner's resource policy decides); denied on this account's, none of
/// the list can be trusted to be complete: `None`, not collected.
pub async fn secrets(
    aws: &Aws,
    session: &Session,
    account: &str,
    arns: &BTreeSet<String>,
) -> Result<Option<Vec<SecretMetadata>>, CollectError> {
    read_secrets(session, account, arns, |region| aws.secretsmanager(region)).await
}

/// [`secrets`], with the Secrets Manager client of each region from `client_for`.
async fn read_secrets(
    session: &Session,
    account: &str,
    arns: &BTreeSet<String>,
    client_for: impl Fn(&str) -> aws_sdk_secretsmanager::Client,
) -> Result<Option<Vec<SecretMetadata>>, CollectError> {
    let found = try_join_all(arns.iter().map(|arn| {
        let region = arn.split(':').nth(3).unwrap_or_default();
        describe(client_for(region), session, arn)
    }))
    .await?;
    let mut secrets: Vec<SecretMetadata> = Vec::new();
    for (arn, found) in arns.iter().zip(found) {
        match found {
            Some(Some(secret)) => {
                // A full and a partial ARN of one secret are described once each: keep one.
                if !secrets.iter().any(|s| s.arn == secret.arn) {
                    secrets.push(secret);
                }
            }
            Some(None) => {}
            None if arn.split(':').nth(4) != Some(account) => {}
            None => return Ok(None),
        }
    }
    Ok(Some(secrets))
}

/// `Some(None)`: the secret does not exist. `None`: the call was denied.
async fn describe(
    client: aws_sdk_secretsmanager::Client,
    session: &Session,
    arn: &str,
) -> Result<Option<Option<SecretMetadata>>, CollectError> {
    let described = attempt_found(
        session,
        DESCRIBE,
        "ResourceNotFoundException",
        client.describe_secret().secret_id(arn).send(),
    )
    .await?;
    Ok(described.map(|found| {
        found.map(|output| SecretMetadata {
            arn: output.arn().unwrap_or(arn).to_string(),
            name: output
                .name()
                .map(str::to_string)
                .unwrap_or_else(|| name_of(arn)),
            kms_key_id: output
                .kms_key_id()
                .filter(|id| !id.is_empty())
                .map(str::to_string),
        })
    }))
}

/// The name in a secret ARN (`…:secret:NAME`, the random suffix, if any, kept).
fn name_of(arn: &str) -> String {
    arn.splitn(7, ':').nth(6).unwrap_or(arn).to_string()
}

#[cfg(test)]
mod tests {
    use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    const OWN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
    const GONE: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/old-GhIjKl";
    const OTHER: &str = "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/pull-MnOpQr";

    fn error(code: &str) -> String {
        format!(r#"{{"__type":"{code}","message":"not for you"}}"#)
    }

    fn arns(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[tokio::test]
    async fn keys_are_read_and_a_missing_secret_is_left_out() {
        let found = mock!(aws_sdk_secretsmanager::Client::describe_secret)
            .match_requests(|r| r.secret_id() == Some(OWN))
            .then_output(|| {
                DescribeSecretOutput::builder()
                    .arn(OWN)
                    .name("prod/db")
                    .kms_key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
                    .build()
            });
        let gone = mock!(aws_sdk_secretsmanager::Client::describe_secret)
            .match_requests(|r| r.secret_id() == Some(GONE))
            .then_http_response(|| {
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                    aws_smithy_types::body::SdkBody::from(error("ResourceNotFoundException")),
                )
            });
        let client = mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&found, &gone]);
        let session = Session::default();
        let secrets = read_secrets(&session, "123456789012", &arns(&[OWN, GONE]), |_| {
            client.clone()
        })
        .await
        .unwrap()
        .expect("collected");
        assert_eq!(
            secrets,
            [SecretMetadata {
                arn: OWN.into(),
                name: "prod/db".into(),
                kms_key_id: Some("1234abcd-12ab-34cd-56ef-1234567890ab".into()),
            }]
        );
        assert!(session.take().is_empty());
    }

    /// Denied on another account's secret: that one is left out. Denied on this account's:
    /// the list is not collected (an absent secret would read as "not found").
    #[tokio::test]
    async fn a_denied_describe_is_a_coverage_gap() {
        let denied = || {
            mock!(aws_sdk_secretsmanager::Client::describe_secret).then_http_response(|| {
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                    aws_smithy_types::body::SdkBody::from(error("AccessDeniedException")),
                )
            })
        };
        let rule = denied();
        let client = mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&rule]);
        let session = Session::default();
        let other = read_secrets(&session, "123456789012", &arns(&[OTHER]), |_| {
            client.clone()
        })
        .await
        .unwrap();
        assert_eq!(other, Some(Vec::new()));

        let rule = denied();
        let client = mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&rule]);
        let session = Session::default();
        let own = read_secrets(&session, "123456789012", &arns(&[OWN]), |_| client.clone())
            .await
            .unwrap();
        assert_eq!(own, None);
        let gaps = session.take();
        assert_eq!(
            (gaps[0].action.as_str(), gaps[0].collection.as_str()),
            ("secretsmanager:DescribeSecret", "secrets")
        );
    }
}
