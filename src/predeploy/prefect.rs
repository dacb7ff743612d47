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

use super::prefect_job::job_to_task;
use super::{task_file, Placement, PreDeploy};

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
    let unused_vars = fill_templates(&mut variables, vars, name).map_err(fail)?;
    let source = format!("Prefect deployment `{name}` of {shown}");
    let job = job_to_task(&variables, name).map_err(fail)?;
    let (definition, from_file) = (job.task, job.placement);
    let needs_network = from_file.launch_type != Some(crate::model::LaunchType::Ec2) || job.awsvpc;
    if needs_network && placement.subnets.is_empty() && from_file.subnets.is_empty() {
        return Err(fail(format!(
            "deployment `{name}` sets no network_configuration: the worker then runs the task in every subnet of `vpc_id` (or of the default VPC) with assignPublicIp ENABLED and the VPC's default security group; pass those with --subnets and --assign-public-ip ENABLED to audit it"
        )));
    }
    let definition = task_file::parse_task_file(&definition.to_string())
        .and_then(|file| file.into_model(String::new()))
        .map_err(|e| fail(format!("deployment `{name}`: task definition: {e}")))?;
    let placement = Placement {
        cluster: placement.cluster.or(from_file.cluster),
        subnets: or_else(placement.subnets, from_file.subnets),
        security_groups: or_else(placement.security_groups, from_file.security_groups),
        assign_public_ip: placement.assign_public_ip.or(from_file.assign_public_ip),
        launch_type: placement.launch_type.or(from_file.launch_type),
        capacity_provider_strategy: or_else(
            placement.capacity_provider_strategy,
            from_file.capacity_provider_strategy,
        ),
        platform_version: placement.platform_version,
    };
    let mut pre = PreDeploy::new(source, definition, placement).map_err(PrefectError)?;
    pre.name = name.to_string();
    pre.warnings = job.warnings;
    pre.warnings.extend(
        unused_vars.into_iter().map(|key| {
            format!("--var {key}: deployment `{name}` has no `{{{{ {key} }}}}` template")
        }),
    );
    Ok(pre)
}

fn or_else<T>(flags: Vec<T>, file: Vec<T>) -> Vec<T> {
    if flags.is_empty() {
        file
    } else {
        flags
    }
}

/// Replaces each `{{ KEY }}` in every string with its `--var`; an error lists the keys left
/// unfilled; otherwise returns the `--var` keys no template used.
fn fill_templates(
    variables: &mut Map<String, Value>,
    vars: &[(String, String)],
    deployment: &str,
) -> Result<Vec<String>, String> {
    let pattern = regex::Regex::new(r"\{\{\s*([^{}]*?)\s*\}\}").expect("valid pattern");
    let mut unfilled: Vec<String> = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut fill = |text: &str| -> String {
        pattern
            .replace_all(text, |captures: &regex::Captures<'_>| {
                let key = &captures[1];
                match vars.iter().find(|(k, _)| k == key) {
                    Some((k, value)) => {
                        used.push(k.clone());
                        value.clone()
                    }
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
        Ok(vars
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !used.contains(k))
            .collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignPublicIp, LaunchType};

    /// A prefect.yaml in the temporary directory, removed on drop.
    fn write(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    const YAML: &str = r#"
definitions:
  pools:
    ecs: &ecs
      name: ecs-pool
      job_variables: &vars
        cluster: prod
        vpc_id: vpc-0a1b2c3d4e5f60001
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
        let pre =
            prefect_deployment(file.path(), "etl", &vars, Placement::default()).expect("reads");
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
        let error = prefect_deployment(file.path(), "etl", &[], Placement::default()).unwrap_err();
        assert!(error.0.contains("{{ build-image.image }}"), "{error}");
        assert!(
            error.0.contains("--var 'build-image.image=VALUE'"),
            "{error}"
        );
        let error = prefect_deployment(file.path(), "nope", &[], Placement::default()).unwrap_err();
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
        let pre = prefect_deployment(file.path(), "etl", &vars, placement).expect("reads");
        let network = pre.network.expect("awsvpc");
        assert_eq!(network.subnets, ["subnet-0a1b2c3d4e5f6001a"]);
        assert_eq!(network.assign_public_ip, AssignPublicIp::Enabled);
        assert_eq!(network.security_groups, ["sg-0a1b2c3d4e5f60002"]);
    }

    /// One deployment whose job variables are `variables` (YAML, indented for the mapping).
    fn one(variables: &str) -> Result<PreDeploy, PrefectError> {
        let file = write(&format!(
            "deployments:\n  - name: d\n    work_pool:\n      name: p\n      job_variables:\n{variables}"
        ));
        prefect_deployment(file.path(), "d", &[], Placement::default())
    }

    const NETWORK: &str = "        vpc_id: vpc-1\n        network_configuration:\n          subnets: [subnet-0a1b2c3d4e5f6002a]\n";

    #[test]
    fn the_workers_own_refusals_are_bad_input() {
        let nested = "        vpc_id: vpc-1\n        network_configuration:\n          awsvpcConfiguration:\n            subnets: [subnet-0a1b2c3d4e5f6002a]\n";
        assert!(one(nested)
            .unwrap_err()
            .0
            .contains("wraps it in awsvpcConfiguration"));
        let no_vpc =
            "        network_configuration:\n          subnets: [subnet-0a1b2c3d4e5f6002a]\n";
        assert!(one(no_vpc).unwrap_err().0.contains("vpc_id"));
        let registered = format!("        task_definition_arn: arn:aws:ecs:us-east-1:123456789012:task-definition/x:1\n{NETWORK}");
        assert!(one(&registered)
            .unwrap_err()
            .0
            .contains("describe-task-definition"));
        let logs =
            format!("        image: nginx\n        configure_cloudwatch_logs: \"true\"\n{NETWORK}");
        assert!(one(&logs).unwrap_err().0.contains("execution_role_arn"));
        let no_network = "        image: nginx\n";
        assert!(one(no_network).unwrap_err().0.contains("default VPC"));
    }

    #[test]
    fn worker_behaviours_that_change_the_pull_are_modelled() {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-key-AbCdEf";
        let pre = one(&format!(
            "        image: nginx\n        execution_role_arn: arn:aws:iam::123456789012:role/x\n        prefect_api_key_secret_arn: {secret}\n        configure_cloudwatch_logs: \"yes\"\n        mystery: 1\n{NETWORK}"
        ))
        .expect("reads");
        let definition = pre.task_definition("123456789012", "us-east-1");
        let container = &definition.container_definitions[0];
        assert_eq!(container.secrets[0].name, "PREFECT_API_KEY");
        assert_eq!(container.secrets[0].value_from, secret);
        assert!(
            container.log_configuration.is_some(),
            "\"yes\" is true to the worker"
        );
        assert_eq!(pre.warnings.len(), 1);
        assert!(pre.warnings[0].contains("`mystery`"));

        let asg = format!(
            "        image: nginx\n        cluster: prod\n        task_definition:\n          networkMode: awsvpc\n        capacity_provider_strategy:\n          - capacityProvider: asg-blue\n            weight: 1\n{NETWORK}"
        );
        let pre = one(&asg).expect("reads");
        assert_eq!(pre.launch_type, LaunchType::Ec2);
        assert_eq!(
            pre.capacity_provider_strategy[0].capacity_provider,
            "asg-blue"
        );
        let service = pre.service("123456789012", "us-east-1", "prod", &[]);
        assert_eq!(
            service.launch_type, None,
            "a strategy replaces the launch type"
        );

        let spot = format!("        image: nginx\n        launch_type: FARGATE_SPOT\n{NETWORK}");
        let pre = one(&spot).expect("reads");
        assert_eq!(
            pre.capacity_provider_strategy[0].capacity_provider,
            "FARGATE_SPOT"
        );
        assert_eq!(pre.launch_type, LaunchType::Fargate);
    }

    #[test]
    fn the_image_goes_into_prefect_else_the_first_container() {
        let first = format!(
            "        image: nginx:1.27\n        task_definition:\n          containerDefinitions:\n            - name: app\n{NETWORK}"
        );
        let pre = one(&first).expect("reads");
        let definition = pre.task_definition("123456789012", "us-east-1");
        assert_eq!(definition.container_definitions.len(), 1);
        assert_eq!(definition.container_definitions[0].image, "nginx:1.27");
    }
}
