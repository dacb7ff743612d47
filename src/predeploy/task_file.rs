//! A task definition as the AWS CLI writes it: the input of `aws ecs register-task-definition
//! --cli-input-json` (camelCase), or the output of `aws ecs describe-task-definition`
//! (`{"taskDefinition": {...}}`). Only what the pull path depends on is read; other fields
//! (cpu, memory, volumes…) are ignored.
//!
//! Each object of the ECS API must be a JSON object here: serde's derived structs also take a
//! JSON array, field by field in order, so `"logConfiguration": ["awslogs"]` would read as the
//! `awslogs` driver; [`Object`] refuses it, naming the field.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::model::{
    ContainerDefinition, LogConfiguration, RepositoryCredentials, RuntimePlatform, Secret,
    TaskDefinition,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TaskFile {
    #[serde(default)]
    pub task_definition_arn: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub network_mode: Option<String>,
    #[serde(default)]
    pub requires_compatibilities: Vec<String>,
    #[serde(default)]
    pub execution_role_arn: Option<String>,
    #[serde(default)]
    pub task_role_arn: Option<String>,
    #[serde(default)]
    pub container_definitions: Vec<Object<ContainerFile>>,
    #[serde(default)]
    pub runtime_platform: Option<Object<RuntimePlatformFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuntimePlatformFile {
    #[serde(default)]
    pub cpu_architecture: Option<String>,
    #[serde(default)]
    pub operating_system_family: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContainerFile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub repository_credentials: Option<Object<CredentialsFile>>,
    #[serde(default)]
    pub secrets: Vec<Object<SecretFile>>,
    #[serde(default)]
    pub log_configuration: Option<Object<LogFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialsFile {
    pub credentials_parameter: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecretFile {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LogFile {
    pub log_driver: String,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// A `T` read only from a JSON object (a derived struct alone also takes an array).
#[derive(Debug)]
pub(super) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// Parses the JSON text of a task definition file: `describe-task-definition` wraps the
/// definition in `taskDefinition`, `register-task-definition` input does not. An error names
/// the field (`containerDefinitions[0].image: invalid type…`).
pub(super) fn parse_task_file(text: &str) -> Result<TaskFile, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err("a task definition is a JSON object".into());
    };
    let (definition, prefix) = match object.remove("taskDefinition") {
        Some(inner) => (inner, "taskDefinition."),
        None => (serde_json::Value::Object(object), ""),
    };
    parse_task_value(definition, prefix)
}

/// Reads a task definition's JSON `definition`, whose fields errors name after `prefix`.
pub(super) fn parse_task_value(
    definition: serde_json::Value,
    prefix: &str,
) -> Result<TaskFile, String> {
    if !definition.is_object() {
        return Err(format!(
            "not a task definition: `{}` must be an object",
            prefix.trim_end_matches('.')
        ));
    }
    serde_path_to_error::deserialize(definition).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            String::new()
        } else {
            format!("{prefix}{path}: ")
        };
        format!("not a task definition: {path}{}", e.into_inner())
    })
}

impl TaskFile {
    /// The model's task definition under `arn`; every container needs a name and an image.
    pub(super) fn into_model(self, arn: String) -> Result<TaskDefinition, String> {
        if self.container_definitions.is_empty() {
            return Err("the task definition has no containerDefinitions".into());
        }
        let mut containers = Vec::new();
        for (i, Object(c)) in self.container_definitions.into_iter().enumerate() {
            let name = c
                .name
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| format!("containerDefinitions[{i}] has no name"))?;
            let image = c
                .image
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| format!("container `{name}` has no image"))?;
            containers.push(ContainerDefinition {
                name,
                image,
                repository_credentials: c.repository_credentials.map(|Object(r)| {
                    RepositoryCredentials {
                        credentials_parameter: r.credentials_parameter,
                    }
                }),
                secrets: c
                    .secrets
                    .into_iter()
                    .map(|Object(s)| Secret {
                        name: s.name,
                        value_from: s.value_from,
                    })
                    .collect(),
                log_configuration: c.log_configuration.map(|Object(l)| LogConfiguration {
                    log_driver: l.log_driver,
                    options: l.options,
                }),
            });
        }
        Ok(TaskDefinition {
            arn,
            family: self.family,
            network_mode: self.network_mode,
            requires_compatibilities: self.requires_compatibilities,
            execution_role_arn: self.execution_role_arn,
            task_role_arn: self.task_role_arn,
            container_definitions: containers,
            runtime_platform: self.runtime_platform.map(|Object(p)| RuntimePlatform {
                cpu_architecture: p.cpu_architecture,
                operating_system_family: p.operating_system_family,
            }),
            execution_role_principal: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_register_input_and_describe_output() {
        let plain = r#"{"family":"web","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
            "executionRoleArn":"arn:aws:iam::123456789012:role/x","cpu":"256",
            "containerDefinitions":[{"name":"app","image":"nginx:1.27","essential":true,
              "secrets":[{"name":"A","valueFrom":"/p"}],
              "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/web"}}}]}"#;
        let file = parse_task_file(plain).expect("parses");
        let model = file.into_model("arn".into()).expect("valid");
        assert_eq!(model.family.as_deref(), Some("web"));
        assert_eq!(model.container_definitions[0].secrets[0].value_from, "/p");
        let described = format!(r#"{{"taskDefinition": {plain}, "tags": []}}"#);
        let file = parse_task_file(&described).expect("parses");
        assert_eq!(file.container_definitions.len(), 1);
    }

    #[test]
    fn refuses_what_is_not_a_task_definition() {
        assert!(parse_task_file("[1]").is_err());
        let bad = parse_task_file(
            r#"{"taskDefinition":{"containerDefinitions":[{"name":"a","image":5}]}}"#,
        )
        .unwrap_err();
        assert!(
            bad.contains("taskDefinition.containerDefinitions[0].image"),
            "{bad}"
        );
        let bad = parse_task_file(
            r#"{"containerDefinitions":[{"name":"a","image":"x","secrets":[{"name":"S"}]}]}"#,
        )
        .unwrap_err();
        assert!(bad.contains("containerDefinitions[0].secrets[0]"), "{bad}");
        assert!(parse_task_file("{").is_err());
        // An array where ECS takes an object is refused by field, never read field by field.
        for (text, field) in [
            (
                r#"{"containerDefinitions":[{"name":"a","image":"x","logConfiguration":["awslogs"]}]}"#,
                "containerDefinitions[0].logConfiguration",
            ),
            (
                r#"{"containerDefinitions":[["a","nginx"]]}"#,
                "containerDefinitions[0]",
            ),
            (
                r#"{"containerDefinitions":[{"name":"a","image":"x","secrets":[["S","/p"]]}]}"#,
                "containerDefinitions[0].secrets[0]",
            ),
            (
                r#"{"containerDefinitions":[{"name":"a","image":"x","repositoryCredentials":["arn"]}]}"#,
                "containerDefinitions[0].repositoryCredentials",
            ),
            (
                r#"{"runtimePlatform":["ARM64","LINUX"],"containerDefinitions":[]}"#,
                "runtimePlatform",
            ),
        ] {
            let bad = parse_task_file(text).unwrap_err();
            assert!(
                bad.contains(&format!(
                    "{field}: invalid type: sequence, expected an object"
                )),
                "{text}: {bad}"
            );
        }
        let bad = parse_task_file(r#"{"taskDefinition":["web"]}"#).unwrap_err();
        assert!(bad.contains("`taskDefinition` must be an object"), "{bad}");
        let empty = parse_task_file(r#"{"family":"web"}"#).expect("parses");
        assert!(empty.into_model("a".into()).is_err());
        let no_image = parse_task_file(r#"{"containerDefinitions":[{"name":"a"}]}"#).unwrap();
        assert!(no_image
            .into_model("a".into())
            .unwrap_err()
            .contains("no image"));
    }
}
