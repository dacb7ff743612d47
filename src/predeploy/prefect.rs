//! Prefect ECS work-pool deployments: a deployment of a `prefect.yaml` becomes the task
//! definition and placement the Prefect ECS worker would run, from its `work_pool.job_variables`
//! (`cluster`, `launch_type`, `image`, `execution_role_arn`, `task_definition`,
//! `network_configuration`, `configure_cloudwatch_logs`, `cloudwatch_logs_options`,
//! `container_name`, `family`). `{{ KEY }}` templates are filled from `--var KEY=VALUE`; one
//! left unfilled is bad input, never a guess.
//!
//! What the work pool's base job template sets on the Prefect server is not in the file: give
//! it with flags (`--cluster`, `--subnets`…), which also override the file.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{task_file, Placement, PreDeploy};
use crate::model::{AssignPublicIp, LaunchType};

/// The container the worker puts the flow's image in, unless `container_name` says otherwise.
const DEFAULT_CONTAINER: &str = "prefect";
/// The family the worker registers, unless `family` says otherwise.
const DEFAULT_FAMILY: &str = "prefect";

/// Why a Prefect deployment cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PrefectError(pub String);

/// The deployment `name` of the prefect.yaml at `path`, with `vars` filling its templates and
/// the flags' `placement` overriding its job variables.
pub fn prefect_deployment(
    path: &Path,
    name: &str,
    vars: &[(String, String)],
    placement: Placement,
) -> Result<PreDeploy, PrefectError> {
    let shown = path.display().to_string();
    let fail = |message: String| PrefectError(format!("{shown}: {message}"));
    let text = std::fs::read_to_string(path)
        .map_err(|e| PrefectError(format!("cannot read {shown}: {e}")))?;
    let mut document: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| fail(format!("not YAML: {e}")))?;
    // `<<: *anchor` merges, as Prefect's own loader applies them.
    document
        .apply_merge()
        .map_err(|e| fail(format!("a `<<` merge key cannot be applied: {e}")))?;
    let document: Value = serde_json::to_value(&document)
        .map_err(|e| fail(format!("cannot be read as data: {e}")))?;
    let deployments = document
        .get("deployments")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("has no `deployments` list".into()))?;
    let names: Vec<&str> = deployments
        .iter()
        .filter_map(|d| d.get("name").and_then(Value::as_str))
        .collect();
    let deployment = deployments
        .iter()
        .find(|d| d.get("name").and_then(Value::as_str) == Some(name))
        .ok_or_else(|| {
            fail(format!(
                "has no deployment `{name}` (deployments: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })?;
    let variables = deployment
        .pointer("/work_pool/job_variables")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut variables = match variables {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(fail(format!(
                "deployment `{name}`: work_pool.job_variables is not a mapping"
            )))
        }
    };
    fill_templates(&mut variables, vars, name).map_err(fail)?;
    let source = format!("Prefect deployment `{name}` of {shown}");
    let (definition, from_file) = job_to_task(&variables, name).map_err(fail)?;
    let definition = task_file::parse_task_file(&definition.to_string())
        .and_then(|file| file.into_model(String::new()))
        .map_err(|e| fail(format!("deployment `{name}`: task definition: {e}")))?;
    let placement = Placement {
        cluster: placement.cluster.or(from_file.cluster),
        subnets: or_else(placement.subnets, from_file.subnets),
        security_groups: or_else(placement.security_groups, from_file.security_groups),
        assign_public_ip: placement.assign_public_ip.or(from_file.assign_public_ip),
        launch_type: placement.launch_type.or(from_file.launch_type),
        platform_version: placement.platform_version,
    };
    let mut pre = PreDeploy::new(source, definition, placement).map_err(PrefectError)?;
    pre.name = name.to_string();
    Ok(pre)
}

fn or_else(flags: Vec<String>, file: Vec<String>) -> Vec<String> {
    if flags.is_empty() {
        file
    } else {
        flags
    }
}

/// Replaces each `{{ KEY }}` in every string with its `--var`; lists the keys left unfilled.
fn fill_templates(
    variables: &mut Map<String, Value>,
    vars: &[(String, String)],
    deployment: &str,
) -> Result<(), String> {
    let pattern = regex::Regex::new(r"\{\{\s*([^{}]*?)\s*\}\}").expect("valid pattern");
    let mut unfilled: Vec<String> = Vec::new();
    let mut fill = |text: &str| -> String {
        pattern
            .replace_all(text, |captures: &regex::Captures<'_>| {
                let key = &captures[1];
                match vars.iter().find(|(k, _)| k == key) {
                    Some((_, value)) => value.clone(),
                    None => {
                        if !unfilled.iter().any(|u| u == key) {
                            unfilled.push(key.to_string());
                        }
                        captures[0].to_string()
                    }
                }
            })
            .into_owned()
    };
    for value in variables.values_mut() {
        walk_strings(value, &mut fill);
    }
    if unfilled.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "deployment `{deployment}` uses templates with no value: {} (pass {})",
            unfilled
                .iter()
                .map(|k| format!("{{{{ {k} }}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            unfilled
                .iter()
                .map(|k| format!("--var '{k}=VALUE'"))
                .collect::<Vec<_>>()
                .join(" ")
        ))
    }
}

fn walk_strings(value: &mut Value, fill: &mut impl FnMut(&str) -> String) {
    match value {
        Value::String(text) => *text = fill(text),
        Value::Array(items) => items.iter_mut().for_each(|v| walk_strings(v, fill)),
        Value::Object(map) => map.values_mut().for_each(|v| walk_strings(v, fill)),
        _ => {}
    }
}

/// What the job variables say about placement.
#[derive(Default)]
struct FilePlacement {
    cluster: Option<String>,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    assign_public_ip: Option<AssignPublicIp>,
    launch_type: Option<LaunchType>,
}

/// The task definition the worker would register (camelCase, as the ECS API takes it) and the
/// placement, from the job variables.
fn job_to_task(
    variables: &Map<String, Value>,
    deployment: &str,
) -> Result<(Value, FilePlacement), String> {
    let text = |key: &str| -> Result<Option<String>, String> {
        match variables.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "deployment `{deployment}`: job variable `{key}` should be text, not {other}"
            )),
        }
    };
    let launch_type = match text("launch_type")?.as_deref() {
        None | Some("FARGATE") | Some("FARGATE_SPOT") => LaunchType::Fargate,
        Some("EC2") => LaunchType::Ec2,
        Some("EXTERNAL") => LaunchType::External,
        Some(other) => return Err(format!("deployment `{deployment}`: launch_type `{other}` is not FARGATE, FARGATE_SPOT, EC2 or EXTERNAL")),
    };
    let mut task = match variables.get("task_definition") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(format!(
                "deployment `{deployment}`: task_definition is not a mapping"
            ))
        }
    };
    let container_name = text("container_name")?.unwrap_or_else(|| DEFAULT_CONTAINER.to_string());
    if let Some(family) = text("family")? {
        task.insert("family".into(), Value::String(family));
    }
    task.entry("family")
        .or_insert_with(|| Value::String(DEFAULT_FAMILY.into()));
    if let Some(role) = text("execution_role_arn")? {
        task.insert("executionRoleArn".into(), Value::String(role));
    }
    if let Some(role) = text("task_role_arn")? {
        task.insert("taskRoleArn".into(), Value::String(role));
    }
    let compatibility = match launch_type {
        LaunchType::Fargate => "FARGATE",
        LaunchType::Ec2 => "EC2",
        LaunchType::External => "EXTERNAL",
    };
    task.entry("requiresCompatibilities")
        .or_insert_with(|| json!([compatibility]));
    if launch_type == LaunchType::Fargate {
        task.entry("networkMode").or_insert_with(|| json!("awsvpc"));
    }
    // The flow's image goes into the worker's container, which is added when missing.
    let containers = task
        .entry("containerDefinitions")
        .or_insert_with(|| json!([]));
    let Value::Array(containers) = containers else {
        return Err(format!(
            "deployment `{deployment}`: containerDefinitions is not a list"
        ));
    };
    let position = containers
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some(container_name.as_str()));
    let index = match position {
        Some(i) => i,
        None => {
            containers.push(json!({ "name": container_name }));
            containers.len() - 1
        }
    };
    let container = containers[index].as_object_mut().ok_or_else(|| {
        format!("deployment `{deployment}`: a container definition is not a mapping")
    })?;
    if let Some(image) = text("image")? {
        container.insert("image".into(), Value::String(image));
    }
    if variables.get("configure_cloudwatch_logs") == Some(&Value::Bool(true)) {
        let mut options = json!({
            "awslogs-create-group": "true",
            "awslogs-group": "prefect",
            "awslogs-stream-prefix": "prefect",
        });
        if let (Some(Value::Object(extra)), Value::Object(options)) =
            (variables.get("cloudwatch_logs_options"), &mut options)
        {
            for (key, value) in extra {
                options.insert(key.clone(), value.clone());
            }
        }
        container.insert(
            "logConfiguration".into(),
            json!({ "logDriver": "awslogs", "options": options }),
        );
    }
    let mut placement = FilePlacement {
        cluster: text("cluster")?,
        launch_type: Some(launch_type),
        ..FilePlacement::default()
    };
    if let Some(network) = variables
        .get("network_configuration")
        .filter(|v| !v.is_null())
    {
        // The worker takes the awsvpcConfiguration itself; the ECS API form nests it.
        let vpc = network.get("awsvpcConfiguration").unwrap_or(network);
        let list = |key: &str| -> Vec<String> {
            vpc.get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        placement.subnets = list("subnets");
        placement.security_groups = list("securityGroups");
        placement.assign_public_ip = match vpc.get("assignPublicIp").and_then(Value::as_str) {
            Some("ENABLED") => Some(AssignPublicIp::Enabled),
            Some("DISABLED") => Some(AssignPublicIp::Disabled),
            Some(other) => {
                return Err(format!(
                "deployment `{deployment}`: assignPublicIp `{other}` is not ENABLED or DISABLED"
            ))
            }
            None => None,
        };
    }
    Ok((Value::Object(task), placement))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile_path::Temp {
        tempfile_path::Temp::new(text)
    }

    /// A file in the system's temporary directory, removed on drop.
    mod tempfile_path {
        pub struct Temp(pub std::path::PathBuf);
        impl Temp {
            pub fn new(text: &str) -> Temp {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "pullpath-prefect-{}-{}.yaml",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&path, text).expect("write");
                Temp(path)
            }
        }
        impl Drop for Temp {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    const YAML: &str = r#"
definitions:
  pools:
    ecs: &ecs
      name: ecs-pool
      job_variables: &vars
        cluster: prod
        execution_role_arn: arn:aws:iam::123456789012:role/prefect-execution
deployments:
  - name: etl
    work_pool:
      <<: *ecs
      job_variables:
        <<: *vars
        image: "{{ build-image.image }}"
        configure_cloudwatch_logs: true
        cloudwatch_logs_options:
          awslogs-group: /prefect/etl
        network_configuration:
          subnets: [subnet-0a1b2c3d4e5f6002a]
          securityGroups: [sg-0a1b2c3d4e5f60002]
          assignPublicIp: DISABLED
"#;

    #[test]
    fn a_deployment_becomes_the_workers_task() {
        let file = write(YAML);
        let vars = [(
            "build-image.image".to_string(),
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/etl:1".to_string(),
        )];
        let pre = prefect_deployment(&file.0, "etl", &vars, Placement::default()).expect("reads");
        assert_eq!(pre.cluster.as_deref(), Some("prod"));
        assert_eq!(pre.launch_type, LaunchType::Fargate);
        let network = pre.network.clone().expect("awsvpc");
        assert_eq!(network.subnets, ["subnet-0a1b2c3d4e5f6002a"]);
        let definition = pre.task_definition("123456789012", "us-east-1");
        assert_eq!(
            definition.execution_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/prefect-execution")
        );
        let container = &definition.container_definitions[0];
        assert_eq!(
            (container.name.as_str(), container.image.as_str()),
            ("prefect", vars[0].1.as_str())
        );
        let logs = container.log_configuration.as_ref().expect("awslogs");
        assert_eq!(logs.options["awslogs-group"], "/prefect/etl");
    }

    #[test]
    fn unfilled_templates_and_unknown_deployments_are_refused() {
        let file = write(YAML);
        let error = prefect_deployment(&file.0, "etl", &[], Placement::default()).unwrap_err();
        assert!(error.0.contains("{{ build-image.image }}"), "{error}");
        assert!(
            error.0.contains("--var 'build-image.image=VALUE'"),
            "{error}"
        );
        let error = prefect_deployment(&file.0, "nope", &[], Placement::default()).unwrap_err();
        assert!(error.0.contains("deployments: etl"), "{error}");
    }

    #[test]
    fn flags_override_the_file() {
        let file = write(YAML);
        let vars = [("build-image.image".to_string(), "nginx:1.27".to_string())];
        let placement = Placement {
            subnets: vec!["subnet-0a1b2c3d4e5f6001a".into()],
            assign_public_ip: Some(AssignPublicIp::Enabled),
            ..Placement::default()
        };
        let pre = prefect_deployment(&file.0, "etl", &vars, placement).expect("reads");
        let network = pre.network.expect("awsvpc");
        assert_eq!(network.subnets, ["subnet-0a1b2c3d4e5f6001a"]);
        assert_eq!(network.assign_public_ip, AssignPublicIp::Enabled);
        assert_eq!(network.security_groups, ["sg-0a1b2c3d4e5f60002"]);
    }
}
