//! The Prefect ECS worker's job variables (prefect-aws `ECSVariables`) turned into the task
//! definition it would register and the placement it would run it with. The worker's own
//! validation errors are bad input here too; variables that change what runs but cannot be
//! audited before the deploy are refused, never skipped.

use serde_json::{json, Map, Value};

use super::{printable, Placement};
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

/// The job variables of one deployment, found at `at` (`deployments[0].work_pool.job_variables`)
/// in the file. Each one read must have the shape the worker takes: its type in prefect-aws's
/// `ECSVariables` (PrefectHQ/prefect @ ce79dd3,
/// src/integrations/prefect-aws/prefect_aws/workers/ecs_worker.py l.477-680), and where a value
/// goes on into a RunTask request, the shape of the ECS API (botocore refuses any other before
/// calling ECS). Anything else is bad input naming the field, never skipped: a skipped
/// `securityGroups` would audit the VPC's default group instead.
struct Variables<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
    deployment: &'a str,
}

impl Variables<'_> {
    fn fail(&self, message: impl std::fmt::Display) -> String {
        format!("deployment `{}`: {message}", self.deployment)
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    /// An `Optional[str]` variable; empty counts as unset, as in the worker (`if x:`).
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        optional_text(self.map.get(key), &self.path(key)).map_err(|e| self.fail(e))
    }

    /// An `Optional[bool]` variable, as pydantic reads one in lax mode: `true`/`false`, the
    /// integers 0 and 1, and the strings `true`, `yes`, `on`, `1`, `t`, `y` and their opposites
    /// in any case; pydantic refuses any other value.
    fn flag(&self, key: &str) -> Result<bool, String> {
        let refuse = |shown: String| {
            Err(self.fail(format!(
                "`{}` must be true or false, not {shown}",
                self.path(key)
            )))
        };
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" | "t" | "y" => Ok(true),
                "false" | "no" | "off" | "0" | "f" | "n" => Ok(false),
                _ => refuse(shown(&Value::String(s.clone()))),
            },
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
            Some(other) => refuse(shown(other)),
        }
    }

    /// A `Dict[str, Any]` variable; `None` when unset or empty.
    fn mapping(&self, key: &str) -> Result<Option<&Map<String, Value>>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) if map.is_empty() => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.fail(format!(
                "`{}` must be a mapping, not {}",
                self.path(key),
                shown(other)
            ))),
        }
    }
}

/// The value at `path` as optional text: absent, `null` and `""` are unset.
fn optional_text(value: Option<&Value>, path: &str) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("`{path}` must be text, not {}", shown(other))),
    }
}

/// A value as an error shows it: text quoted and escaped (no control character reaches the
/// terminal), at most 60 characters of it; a list or mapping by its kind only.
pub(super) fn shown(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 60 => {
            format!("{:?}…", s.chars().take(60).collect::<String>())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
        Value::Number(n) if n.is_f64() => format!("the number {n}"),
        other => other.to_string(),
    }
}

/// The ECS worker's job for the deployment `deployment`, whose job variables are `variables`,
/// found at `at` in the file.
pub(super) fn job_to_task(
    variables: &Map<String, Value>,
    deployment: &str,
    at: &str,
) -> Result<Job, String> {
    let vars = Variables {
        map: variables,
        at,
        deployment,
    };
    refuse_registered_definition(&vars)?;
    let mut warnings = unknown_variables(variables, deployment);
    let empty = Map::new();
    let request = RunTaskRequest {
        map: vars.mapping("task_run_request")?.unwrap_or(&empty),
        path: vars.path("task_run_request"),
    };
    let (launch_type, strategy) = launch(&vars, &request)?;
    let fargate = launch_type == Some(LaunchType::Fargate)
        || strategy
            .iter()
            .any(|p| p.capacity_provider.starts_with("FARGATE"));
    let mut task = task_definition(&vars, launch_type, fargate)?;
    let awsvpc = task.get("networkMode").and_then(Value::as_str) == Some("awsvpc");
    let logs = cloudwatch_logs(&vars, &task)?;
    fill_flow_container(&vars, &mut task, &logs)?;
    let placement = placement(&vars, &request, launch_type, strategy)?;
    warnings.sort();
    Ok(Job {
        task: Value::Object(task),
        placement,
        awsvpc,
        warnings,
    })
}

/// The job's `task_run_request` (RunTask's own parameters, camelCase), and where it is.
struct RunTaskRequest<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl RunTaskRequest<'_> {
    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }
}

/// A registered task definition cannot be audited from the file.
fn refuse_registered_definition(vars: &Variables) -> Result<(), String> {
    if let Some(arn) = vars.text("task_definition_arn")? {
        return Err(vars.fail(format!(
            "the worker runs the registered task definition {arn} (task_definition_arn), whose content is not in the file: audit that JSON instead (aws ecs describe-task-definition --task-definition {arn} > taskdef.json, then --task-definition taskdef.json)"
        )));
    }
    Ok(())
}

/// A warning for each variable the worker does not read.
fn unknown_variables(variables: &Map<String, Value>, deployment: &str) -> Vec<String> {
    variables
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .map(|k| format!("deployment `{deployment}`: job variable `{}` is not one the Prefect ECS worker reads; it is ignored", printable(k)))
        .collect()
}

/// The launch type and capacity provider strategy the worker runs the task with.
fn launch(
    vars: &Variables,
    request: &RunTaskRequest,
) -> Result<(Option<LaunchType>, Vec<CapacityProviderItem>), String> {
    let strategy = capacity_provider_strategy(vars, request)?;
    let (launch_name, launch_path) = launch_type_name(vars, request)?;
    // The worker drops the launch type when a strategy is given.
    let launch_type = if !strategy.is_empty() {
        None
    } else {
        launch_type_of(launch_name.as_deref(), &launch_path).map_err(|e| vars.fail(e))?
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
    Ok((launch_type, strategy))
}

/// The strategy given, as the worker's variable or else in the RunTask request; empty when
/// neither gives one.
fn capacity_provider_strategy(
    vars: &Variables,
    request: &RunTaskRequest,
) -> Result<Vec<CapacityProviderItem>, String> {
    let fail = |message: String| vars.fail(message);
    // `List[CapacityProvider]`, whose three fields are required (ecs_worker.py l.269-276).
    Ok(match strategy_of(
        vars.map.get("capacity_provider_strategy"),
        &vars.path("capacity_provider_strategy"),
        true,
    )
    .map_err(fail)?
    {
        Some(strategy) => Some(strategy),
        // RunTask's own `capacityProviderStrategy`: `weight` and `base` optional.
        None => strategy_of(
            request.map.get("capacityProviderStrategy"),
            &request.path("capacityProviderStrategy"),
            false,
        )
        .map_err(fail)?,
    }
    .unwrap_or_default())
}

/// The launch type named, as the worker's variable or else in the RunTask request, with
/// where it was found.
fn launch_type_name(
    vars: &Variables,
    request: &RunTaskRequest,
) -> Result<(Option<String>, String), String> {
    Ok(match vars.text("launch_type")? {
        Some(name) => (Some(name), vars.path("launch_type")),
        None => {
            let path = request.path("launchType");
            (
                optional_text(request.map.get("launchType"), &path).map_err(|e| vars.fail(e))?,
                path,
            )
        }
    })
}

/// The launch type `name` (at `path`) stands for; `None` for FARGATE_SPOT, which the worker
/// turns into a capacity provider strategy.
fn launch_type_of(name: Option<&str>, path: &str) -> Result<Option<LaunchType>, String> {
    match name {
        None | Some("FARGATE") => Ok(Some(LaunchType::Fargate)),
        Some("FARGATE_SPOT") => Ok(None),
        Some("EC2") => Ok(Some(LaunchType::Ec2)),
        Some("EXTERNAL") => Ok(Some(LaunchType::External)),
        Some(other) => Err(format!(
            "`{path}` must be FARGATE, FARGATE_SPOT, EC2 or EXTERNAL, not {}",
            shown(&Value::String(other.to_string()))
        )),
    }
}

/// The `task_definition` variable with what the worker sets in it: the family, the roles,
/// the compatibility of the launch and, on Fargate, awsvpc.
fn task_definition(
    vars: &Variables,
    launch_type: Option<LaunchType>,
    fargate: bool,
) -> Result<Map<String, Value>, String> {
    let mut task = vars
        .mapping("task_definition")?
        .cloned()
        .unwrap_or_default();
    if let Some(family) = vars.text("family")? {
        task.insert("family".into(), Value::String(family));
    }
    task.entry("family")
        .or_insert_with(|| Value::String(DEFAULT_FAMILY.into()));
    if let Some(role) = vars.text("execution_role_arn")? {
        task.insert("executionRoleArn".into(), Value::String(role));
    }
    if let Some(role) = vars.text("task_role_arn")? {
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
    Ok(task)
}

/// Whether the worker configures CloudWatch Logs for the flow's container, and with which
/// extra options.
struct Logs<'a> {
    configure: bool,
    options: Option<&'a Map<String, Value>>,
}

/// The CloudWatch Logs variables, refused where the worker refuses them.
fn cloudwatch_logs<'v>(vars: &'v Variables, task: &Map<String, Value>) -> Result<Logs<'v>, String> {
    let configure = vars.flag("configure_cloudwatch_logs")?;
    // `Dict[str, str]` (ecs_worker.py l.632), and ECS's `options` are text too.
    let options = vars.mapping("cloudwatch_logs_options")?;
    for (key, value) in options.into_iter().flatten() {
        if !value.is_string() {
            return Err(vars.fail(format!(
                "`{}.{}` must be text, not {}",
                vars.path("cloudwatch_logs_options"),
                printable(key),
                shown(value)
            )));
        }
    }
    if options.is_some() && !configure {
        return Err(vars.fail("`configure_cloudwatch_log` must be enabled to use `cloudwatch_logs_options` (the worker refuses it)"));
    }
    // The role comes from `execution_role_arn` or from the task definition itself.
    if configure && !task.contains_key("executionRoleArn") {
        return Err(vars.fail("an `execution_role_arn` must be provided to use `configure_cloudwatch_logs` (the worker refuses it)"));
    }
    Ok(Logs { configure, options })
}

/// Puts what the worker adds into the flow's container: the image, the Prefect API
/// secrets and the log configuration.
fn fill_flow_container(
    vars: &Variables,
    task: &mut Map<String, Value>,
    logs: &Logs,
) -> Result<(), String> {
    let (container, path) = flow_container(vars, task)?;
    if let Some(image) = vars.text("image")? {
        container.insert("image".into(), Value::String(image));
    }
    add_api_secrets(vars, container, &path)?;
    if logs.configure {
        let options = awslogs_options(vars, logs.options)?;
        container.insert(
            "logConfiguration".into(),
            json!({ "logDriver": "awslogs", "options": options }),
        );
    }
    Ok(())
}

/// The container the flow's image goes into, and where it is for messages.
fn flow_container<'t>(
    vars: &Variables,
    task: &'t mut Map<String, Value>,
) -> Result<(&'t mut Map<String, Value>, String), String> {
    // The flow's image goes into the worker's container: `container_name`, else `prefect`,
    // else the first container; `prefect` is added when there is none.
    let named = vars.text("container_name")?;
    let containers_path = format!("{}.containerDefinitions", vars.path("task_definition"));
    let containers = task
        .entry("containerDefinitions")
        .or_insert_with(|| json!([]));
    let Value::Array(containers) = containers else {
        return Err(vars.fail(format!(
            "`{containers_path}` must be a list, not {}",
            shown(containers)
        )));
    };
    if let Some(index) = containers.iter().position(|c| !c.is_object()) {
        return Err(vars.fail(format!(
            "`{containers_path}[{index}]` must be a mapping, not {}",
            shown(&containers[index])
        )));
    }
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
        .expect("every container was checked to be a mapping");
    Ok((container, format!("{containers_path}[{index}]")))
}

/// The worker passes the Prefect API key or auth string as secrets of `container` (at
/// `path`).
fn add_api_secrets(
    vars: &Variables,
    container: &mut Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    for (variable, name) in [
        ("prefect_api_key_secret_arn", "PREFECT_API_KEY"),
        (
            "prefect_api_auth_string_secret_arn",
            "PREFECT_API_AUTH_STRING",
        ),
    ] {
        if let Some(arn) = vars.text(variable)? {
            let secrets = container.entry("secrets").or_insert_with(|| json!([]));
            let Value::Array(secrets) = secrets else {
                return Err(vars.fail(format!(
                    "`{path}.secrets` must be a list, not {}",
                    shown(secrets)
                )));
            };
            secrets.push(json!({ "name": name, "valueFrom": arn }));
        }
    }
    Ok(())
}

/// The worker's `awslogs` options, with the `extra` ones given.
fn awslogs_options(vars: &Variables, extra: Option<&Map<String, Value>>) -> Result<Value, String> {
    let mut options = json!({
        "awslogs-create-group": "true",
        "awslogs-group": "prefect",
        "awslogs-stream-prefix": vars.text("cloudwatch_logs_prefix")?.unwrap_or_else(|| "prefect".into()),
    });
    if let (Some(extra), Value::Object(options)) = (extra, &mut options) {
        for (key, value) in extra {
            options.insert(key.clone(), value.clone());
        }
    }
    Ok(options)
}

/// Where the worker runs the task: the cluster, the launch and the network.
fn placement(
    vars: &Variables,
    request: &RunTaskRequest,
    launch_type: Option<LaunchType>,
    strategy: Vec<CapacityProviderItem>,
) -> Result<Placement, String> {
    let cluster = match vars.text("cluster")? {
        Some(cluster) => Some(cluster),
        None => optional_text(request.map.get("cluster"), &request.path("cluster"))
            .map_err(|e| vars.fail(e))?,
    };
    let mut placement = Placement {
        cluster,
        launch_type,
        capacity_provider_strategy: strategy,
        ..Placement::default()
    };
    if let Some((vpc, path)) = network_configuration(vars, request)? {
        let vpc = awsvpc_configuration(vpc, &path).map_err(|e| vars.fail(e))?;
        placement.subnets = vpc.subnets;
        placement.security_groups = vpc.security_groups;
        placement.assign_public_ip = vpc.assign_public_ip;
    }
    Ok(placement)
}

/// A mapping of the file, and where it is.
type Located<'a> = (&'a Map<String, Value>, String);

/// The awsvpcConfiguration's fields given, and where: the worker's `network_configuration`,
/// else the RunTask request's.
fn network_configuration<'r>(
    vars: &'r Variables,
    request: &RunTaskRequest<'r>,
) -> Result<Option<Located<'r>>, String> {
    match vars.mapping("network_configuration")? {
        Some(network) => {
            if network.contains_key("awsvpcConfiguration") {
                return Err(vars.fail("network_configuration takes the awsvpcConfiguration's fields (subnets, securityGroups, assignPublicIp) directly: the worker wraps it in awsvpcConfiguration itself, so a nested one fails RunTask"));
            }
            if vars.text("vpc_id")?.is_none() {
                return Err(vars.fail("You must provide a `vpc_id` to enable custom `network_configuration` (the worker refuses it)"));
            }
            Ok(Some((network, vars.path("network_configuration"))))
        }
        // A task_run_request may carry the ECS API's own form.
        None => request_network_configuration(request).map_err(|e| vars.fail(e)),
    }
}

/// The RunTask request's `networkConfiguration.awsvpcConfiguration`, and where it is.
fn request_network_configuration<'r>(
    request: &RunTaskRequest<'r>,
) -> Result<Option<Located<'r>>, String> {
    match request.map.get("networkConfiguration") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(outer)) => {
            let path = request.path("networkConfiguration");
            if let Some(key) = outer.keys().find(|k| *k != "awsvpcConfiguration") {
                return Err(format!(
                    "`{path}` has `{}`, which RunTask does not take (only awsvpcConfiguration)",
                    printable(key)
                ));
            }
            let path = format!("{path}.awsvpcConfiguration");
            match outer.get("awsvpcConfiguration") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Object(inner)) => Ok(Some((inner, path))),
                Some(other) => Err(format!("`{path}` must be a mapping, not {}", shown(other))),
            }
        }
        Some(other) => Err(format!(
            "`{}` must be a mapping, not {}",
            request.path("networkConfiguration"),
            shown(other)
        )),
    }
}

/// A capacity provider strategy at `path` (`[{capacityProvider, weight, base}]`); `None` when
/// absent or empty. `prefect_form`: the worker's `capacity_provider_strategy` variable, whose
/// `CapacityProvider` model requires all three fields; otherwise RunTask's
/// `capacityProviderStrategy`, where `weight` (0-1000) and `base` (0-100000) are optional
/// (ECS API reference, CapacityProviderStrategyItem). Integers only: botocore refuses `1.0`.
fn strategy_of(
    value: Option<&Value>,
    path: &str,
    prefect_form: bool,
) -> Result<Option<Vec<CapacityProviderItem>>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) if items.is_empty() => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("`{path}` must be a list, not {}", shown(other))),
    };
    let mut strategy = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = format!("{path}[{index}]");
        let Value::Object(item) = item else {
            return Err(format!("`{at}` must be a mapping, not {}", shown(item)));
        };
        if let Some(key) = item
            .keys()
            .find(|k| !["capacityProvider", "weight", "base"].contains(&k.as_str()))
        {
            return Err(format!(
                "`{at}` has `{}`, which a capacity provider strategy item does not have (capacityProvider, weight, base)",
                printable(key)
            ));
        }
        let provider = match item.get("capacityProvider") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            None | Some(Value::Null) => {
                return Err(format!("`{at}.capacityProvider` is missing"));
            }
            Some(other) => {
                return Err(format!(
                    "`{at}.capacityProvider` must be a capacity provider name, not {}",
                    shown(other)
                ))
            }
        };
        let number = |key: &str, max: u64| -> Result<i32, String> {
            match item.get(key) {
                None | Some(Value::Null) if !prefect_form => Ok(0),
                None | Some(Value::Null) => Err(format!(
                    "`{at}.{key}` is missing: the worker's CapacityProvider requires capacityProvider, weight and base"
                )),
                Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= max) => {
                    Ok(n.as_u64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0))
                }
                Some(other) => Err(format!(
                    "`{at}.{key}` must be an integer from 0 to {max}, not {}",
                    shown(other)
                )),
            }
        };
        strategy.push(CapacityProviderItem {
            capacity_provider: provider,
            weight: number("weight", 1000)?,
            base: number("base", 100_000)?,
        });
    }
    Ok(Some(strategy))
}

/// What an awsvpcConfiguration gives: `assign_public_ip` `None` when not given (RunTask's
/// default is DISABLED).
struct Vpc {
    subnets: Vec<String>,
    security_groups: Vec<String>,
    assign_public_ip: Option<AssignPublicIp>,
}

/// An `awsvpcConfiguration` at `path`, as RunTask takes it (ECS API reference,
/// AwsVpcConfiguration): `subnets` (required) and `securityGroups` lists of ids, `assignPublicIp`
/// `ENABLED` or `DISABLED`, nothing else (botocore refuses an unknown key, and a string where a
/// list belongs, before calling ECS).
fn awsvpc_configuration(vpc: &Map<String, Value>, path: &str) -> Result<Vpc, String> {
    if let Some(key) = vpc
        .keys()
        .find(|k| !["subnets", "securityGroups", "assignPublicIp"].contains(&k.as_str()))
    {
        return Err(format!(
            "`{path}` has `{}`, which an awsvpcConfiguration does not have (subnets, securityGroups, assignPublicIp)",
            printable(key)
        ));
    }
    let ids = |key: &str, what: &str| -> Result<Option<Vec<String>>, String> {
        let at = format!("{path}.{key}");
        match vpc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(id) => Ok(id.clone()),
                    other => Err(format!(
                        "`{at}[{index}]` must be a {what} id, not {}",
                        shown(other)
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(format!(
                "`{at}` must be a list of {what} ids, not {}",
                shown(other)
            )),
        }
    };
    let subnets = ids("subnets", "subnet")?
        .ok_or_else(|| format!("`{path}.subnets` is missing: RunTask requires it"))?;
    let security_groups = ids("securityGroups", "security group")?.unwrap_or_default();
    let assign_public_ip = match vpc.get("assignPublicIp") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "ENABLED" => Some(AssignPublicIp::Enabled),
        Some(Value::String(s)) if s == "DISABLED" => Some(AssignPublicIp::Disabled),
        Some(other) => {
            return Err(format!(
                "`{path}.assignPublicIp` must be ENABLED or DISABLED, not {}",
                shown(other)
            ))
        }
    };
    Ok(Vpc {
        subnets,
        security_groups,
        assign_public_ip,
    })
}
