//! The Prefect ECS worker's job variables (prefect-aws `ECSVariables`) turned into the task
//! definition it would register and the placement it would run it with. The worker's own
//! validation errors are bad input here too; variables that change what runs but cannot be
//! audited before the deploy are refused, never skipped.

use serde_json::{json, Map, Value};

use super::Placement;
use crate::model::{AssignPublicIp, CapacityProviderItem, LaunchType};

/// The container the worker puts the flow's image in, unless `container_name` says otherwise.
const DEFAULT_CONTAINER: &str = "prefect";
/// The family the worker registers, unless `family` says otherwise.
const DEFAULT_FAMILY: &str = "prefect";

/// The worker's variables that do not change the pull (or are read here).
const KNOWN: &[&str] = &[
    "aws_credentials",
    "auto_deregister_task_definition",
    "capacity_provider_strategy",
    "cloudwatch_logs_options",
    "cloudwatch_logs_prefix",
    "cluster",
    "command",
    "configure_cloudwatch_logs",
    "container_name",
    "cpu",
    "env",
    "execution_role_arn",
    "family",
    "image",
    "labels",
    "launch_type",
    "match_latest_revision_in_family",
    "memory",
    "name",
    "network_configuration",
    "prefect_api_auth_string_secret_arn",
    "prefect_api_key_secret_arn",
    "stream_output",
    "task_definition",
    "task_definition_arn",
    "task_role_arn",
    "task_run_request",
    "task_start_timeout_seconds",
    "task_watch_poll_interval",
    "vpc_id",
];

/// What the worker would run.
pub(super) struct Job {
    /// The task definition, camelCase as the ECS API takes it.
    pub task: Value,
    pub placement: Placement,
    /// Whether the task definition asks for awsvpc (which needs subnets on EC2 too).
    pub awsvpc: bool,
    pub warnings: Vec<String>,
}

pub(super) fn job_to_task(variables: &Map<String, Value>, deployment: &str) -> Result<Job, String> {
    let fail = |message: String| format!("deployment `{deployment}`: {message}");
    let text = |key: &str| -> Result<Option<String>, String> {
        match variables.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(fail(format!(
                "job variable `{key}` should be text, not {other}"
            ))),
        }
    };
    let flag = |key: &str| -> Result<bool, String> {
        // The worker's pydantic model takes `true`, `"true"`, `"yes"`, `1`…
        match variables.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" | "t" | "y" => Ok(true),
                "false" | "no" | "off" | "0" | "f" | "n" | "" => Ok(false),
                _ => Err(fail(format!(
                    "job variable `{key}` should be true or false, not `{s}`"
                ))),
            },
            Some(Value::Number(n)) => Ok(n.as_i64() == Some(1)),
            Some(other) => Err(fail(format!(
                "job variable `{key}` should be true or false, not {other}"
            ))),
        }
    };
    if let Some(arn) = text("task_definition_arn")? {
        return Err(fail(format!(
            "the worker runs the registered task definition {arn} (task_definition_arn), whose content is not in the file: audit that JSON instead (aws ecs describe-task-definition --task-definition {arn} > taskdef.json, then --task-definition taskdef.json)"
        )));
    }
    let mut warnings: Vec<String> = variables
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .map(|k| format!("deployment `{deployment}`: job variable `{k}` is not one the Prefect ECS worker reads; it is ignored"))
        .collect();
    let request = match variables.get("task_run_request") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(fail("task_run_request is not a mapping".into())),
    };
    let strategy = strategy_of(variables.get("capacity_provider_strategy"))
        .map_err(&fail)?
        .or(strategy_of(request.get("capacityProviderStrategy")).map_err(&fail)?)
        .unwrap_or_default();
    let launch_name = text("launch_type")?.or_else(|| {
        request
            .get("launchType")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    // The worker drops the launch type when a strategy is given.
    let launch_type = if !strategy.is_empty() {
        None
    } else {
        match launch_name.as_deref() {
            None | Some("FARGATE") => Some(LaunchType::Fargate),
            Some("FARGATE_SPOT") => {
                // The worker turns FARGATE_SPOT into a capacity provider strategy.
                None
            }
            Some("EC2") => Some(LaunchType::Ec2),
            Some("EXTERNAL") => Some(LaunchType::External),
            Some(other) => {
                return Err(fail(format!(
                    "launch_type `{other}` is not FARGATE, FARGATE_SPOT, EC2 or EXTERNAL"
                )))
            }
        }
    };
    let strategy = if launch_name.as_deref() == Some("FARGATE_SPOT") && strategy.is_empty() {
        vec![CapacityProviderItem {
            capacity_provider: "FARGATE_SPOT".into(),
            weight: 1,
            base: 0,
        }]
    } else {
        strategy
    };
    let fargate = launch_type == Some(LaunchType::Fargate)
        || strategy
            .iter()
            .any(|p| p.capacity_provider.starts_with("FARGATE"));

    let mut task = match variables.get("task_definition") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(fail("task_definition is not a mapping".into())),
    };
    if let Some(family) = text("family")? {
        task.insert("family".into(), Value::String(family));
    }
    task.entry("family")
        .or_insert_with(|| Value::String(DEFAULT_FAMILY.into()));
    let execution_role = text("execution_role_arn")?;
    if let Some(role) = &execution_role {
        task.insert("executionRoleArn".into(), Value::String(role.clone()));
    }
    if let Some(role) = text("task_role_arn")? {
        task.insert("taskRoleArn".into(), Value::String(role));
    }
    let compatibility = if fargate {
        "FARGATE"
    } else if launch_type == Some(LaunchType::External) {
        "EXTERNAL"
    } else {
        "EC2"
    };
    task.entry("requiresCompatibilities")
        .or_insert_with(|| json!([compatibility]));
    if fargate {
        task.entry("networkMode").or_insert_with(|| json!("awsvpc"));
    }
    let awsvpc = task.get("networkMode").and_then(Value::as_str) == Some("awsvpc");

    let configure_logs = flag("configure_cloudwatch_logs")?;
    let logs_options = variables
        .get("cloudwatch_logs_options")
        .filter(|v| !v.is_null());
    if logs_options.is_some_and(|o| o.as_object().is_some_and(|m| !m.is_empty())) && !configure_logs
    {
        return Err(fail("`configure_cloudwatch_log` must be enabled to use `cloudwatch_logs_options` (the worker refuses it)".into()));
    }
    if configure_logs && execution_role.is_none() && !task.contains_key("executionRoleArn") {
        return Err(fail("an `execution_role_arn` must be provided to use `configure_cloudwatch_logs` (the worker refuses it)".into()));
    }

    // The flow's image goes into the worker's container: `container_name`, else `prefect`,
    // else the first container; `prefect` is added when there is none.
    let named = text("container_name")?;
    let containers = task
        .entry("containerDefinitions")
        .or_insert_with(|| json!([]));
    let Value::Array(containers) = containers else {
        return Err(fail("containerDefinitions is not a list".into()));
    };
    let wanted = named
        .clone()
        .unwrap_or_else(|| DEFAULT_CONTAINER.to_string());
    let position = containers
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some(wanted.as_str()))
        .or_else(|| (named.is_none() && !containers.is_empty()).then_some(0));
    let index = match position {
        Some(i) => i,
        None => {
            containers.push(json!({ "name": wanted }));
            containers.len() - 1
        }
    };
    let container = containers[index]
        .as_object_mut()
        .ok_or_else(|| fail("a container definition is not a mapping".into()))?;
    if let Some(image) = text("image")? {
        container.insert("image".into(), Value::String(image));
    }
    // The worker passes the Prefect API key or auth string as secrets.
    for (variable, name) in [
        ("prefect_api_key_secret_arn", "PREFECT_API_KEY"),
        (
            "prefect_api_auth_string_secret_arn",
            "PREFECT_API_AUTH_STRING",
        ),
    ] {
        if let Some(arn) = text(variable)? {
            let secrets = container.entry("secrets").or_insert_with(|| json!([]));
            if let Value::Array(secrets) = secrets {
                secrets.push(json!({ "name": name, "valueFrom": arn }));
            }
        }
    }
    if configure_logs {
        let mut options = json!({
            "awslogs-create-group": "true",
            "awslogs-group": "prefect",
            "awslogs-stream-prefix": text("cloudwatch_logs_prefix")?.unwrap_or_else(|| "prefect".into()),
        });
        if let (Some(Value::Object(extra)), Value::Object(options)) = (logs_options, &mut options) {
            for (key, value) in extra {
                options.insert(key.clone(), value.clone());
            }
        }
        container.insert(
            "logConfiguration".into(),
            json!({ "logDriver": "awslogs", "options": options }),
        );
    }

    let mut placement = Placement {
        cluster: text("cluster")?.or_else(|| {
            request
                .get("cluster")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        }),
        launch_type,
        capacity_provider_strategy: strategy,
        ..Placement::default()
    };
    let network = variables
        .get("network_configuration")
        .filter(|v| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()));
    let vpc = match network {
        Some(network) => {
            if network.get("awsvpcConfiguration").is_some() {
                return Err(fail("network_configuration takes the awsvpcConfiguration's fields (subnets, securityGroups, assignPublicIp) directly: the worker wraps it in awsvpcConfiguration itself, so a nested one fails RunTask".into()));
            }
            if text("vpc_id")?.is_none() {
                return Err(fail("You must provide a `vpc_id` to enable custom `network_configuration` (the worker refuses it)".into()));
            }
            Some(network.clone())
        }
        // A task_run_request may carry the ECS API's own form.
        None => request
            .get("networkConfiguration")
            .and_then(|n| n.get("awsvpcConfiguration"))
            .filter(|v| v.is_object())
            .cloned(),
    };
    if let Some(vpc) = vpc {
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
                return Err(fail(format!(
                    "assignPublicIp `{other}` is not ENABLED or DISABLED"
                )))
            }
            None => None,
        };
    }
    warnings.sort();
    Ok(Job {
        task: Value::Object(task),
        placement,
        awsvpc,
        warnings,
    })
}

/// A `capacity_provider_strategy` (`[{capacityProvider, weight, base}]`); `None` when absent.
fn strategy_of(value: Option<&Value>) -> Result<Option<Vec<CapacityProviderItem>>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err("capacity_provider_strategy is not a list".into());
    };
    if items.is_empty() {
        return Ok(None);
    }
    items
        .iter()
        .map(|item| {
            let provider = item
                .get("capacityProvider")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    "a capacity provider strategy item has no capacityProvider".to_string()
                })?;
            let number = |key: &str| item.get(key).and_then(Value::as_i64).unwrap_or(0) as i32;
            Ok(CapacityProviderItem {
                capacity_provider: provider.to_string(),
                weight: number("weight"),
                base: number("base"),
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}
