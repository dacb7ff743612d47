//! Where a container's `valueFrom`s point (its secrets, and its registry credentials): a
//! Secrets Manager secret or an SSM parameter, in which region, under which ARN. Collection
//! reads those secrets and parameters; the requirements make them calls the task must make.

use std::collections::BTreeSet;

use super::{ContainerDefinition, TaskDefinition};

/// The service a `valueFrom` is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStore {
    SecretsManager,
    Ssm,
}

/// What a `valueFrom` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSource {
    pub store: ValueStore,
    /// The region of the service called (the ARN's, else the task's).
    pub region: String,
    /// The resource IAM checks the read against: a secret without its JSON key, stage or
    /// version, or the parameter's ARN.
    pub arn: String,
}

/// A `valueFrom` / `credentialsParameter`: a Secrets Manager ARN, an SSM parameter ARN, or an
/// SSM parameter name in the task's region.
pub fn value_source(value_from: &str, account: &str, region: &str) -> ValueSource {
    if value_from.starts_with("arn:") {
        let arn_parts: Vec<&str> = value_from.splitn(7, ':').collect();
        let service = arn_parts.get(2).copied().unwrap_or_default();
        let arn_region = arn_parts.get(3).copied().unwrap_or(region).to_string();
        match service {
            "secretsmanager" => ValueSource {
                store: ValueStore::SecretsManager,
                region: arn_region,
                arn: secret_arn_without_key(value_from),
            },
            _ => ValueSource {
                store: ValueStore::Ssm,
                region: arn_region,
                arn: value_from.to_string(),
            },
        }
    } else {
        let name = value_from.trim_start_matches('/');
        ValueSource {
            store: ValueStore::Ssm,
            region: region.to_string(),
            arn: format!("arn:aws:ssm:{region}:{account}:parameter/{name}"),
        }
    }
}

impl ContainerDefinition {
    /// The `valueFrom`s the container's start reads, in the order it reads them: its registry
    /// credentials (always a Secrets Manager secret: its ARN, or its name in the task's
    /// region), then its secrets.
    pub fn values_read(&self, account: &str, region: &str) -> Vec<String> {
        let credentials = self.repository_credentials.as_ref().map(|credentials| {
            let parameter = &credentials.credentials_parameter;
            if parameter.starts_with("arn:") {
                parameter.clone()
            } else {
                format!("arn:aws:secretsmanager:{region}:{account}:secret:{parameter}")
            }
        });
        credentials
            .into_iter()
            .chain(self.secrets.iter().map(|s| s.value_from.clone()))
            .collect()
    }
}

/// The Secrets Manager secrets (ARNs, full or partial, without JSON key or version) the task
/// definitions read, as their requirements name them.
pub fn secrets_read(
    task_definitions: &[TaskDefinition],
    account: &str,
    region: &str,
) -> BTreeSet<String> {
    read_from(
        task_definitions,
        account,
        region,
        ValueStore::SecretsManager,
    )
}

/// The Systems Manager parameters (ARNs) the task definitions read.
pub fn parameters_read(
    task_definitions: &[TaskDefinition],
    account: &str,
    region: &str,
) -> BTreeSet<String> {
    read_from(task_definitions, account, region, ValueStore::Ssm)
}

fn read_from(
    task_definitions: &[TaskDefinition],
    account: &str,
    region: &str,
    store: ValueStore,
) -> BTreeSet<String> {
    task_definitions
        .iter()
        .flat_map(|t| &t.container_definitions)
        .flat_map(|c| c.values_read(account, region))
        .map(|value_from| value_source(&value_from, account, region))
        .filter(|source| source.store == store)
        .map(|source| source.arn)
        .collect()
}

/// `arn:aws:secretsmanager:R:A:secret:NAME:json-key:stage:version` names a key inside the
/// secret; the IAM resource is the secret itself.
fn secret_arn_without_key(value_from: &str) -> String {
    value_from
        .splitn(8, ':')
        .take(7)
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_a_task_definition_reads() {
        let task: TaskDefinition = serde_json::from_value(serde_json::json!({
            "arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
            "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "container_definitions": [{
                "name": "app",
                "image": "harbor.acme.internal/web:1",
                "repository_credentials": {"credentials_parameter": "harbor-pull"},
                "secrets": [
                    {"name": "A", "value_from": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password::"},
                    {"name": "B", "value_from": "/prod/web/token"}
                ]
            }]
        }))
        .unwrap();
        let task = [task];
        assert_eq!(
            secrets_read(&task, "123456789012", "us-east-1"),
            [
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:harbor-pull",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
            ]
            .map(String::from)
            .into()
        );
        assert_eq!(
            parameters_read(&task, "123456789012", "us-east-1"),
            ["arn:aws:ssm:us-east-1:123456789012:parameter/prod/web/token"]
                .map(String::from)
                .into()
        );
    }
}
