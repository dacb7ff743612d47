//! Prefect ECS work-pool deployments: a deployment of a `prefect.yaml` becomes the task
//! definition and placement the Prefect ECS worker would run, from its `work_pool.job_variables`
//! (`cluster`, `launch_type`, `image`, `execution_role_arn`, `task_definition`,
//! `network_configuration`, `configure_cloudwatch_logs`, `cloudwatch_logs_options`,
//! `container_name`, `family`). `{{ KEY }}` templates are filled from `--var KEY=VALUE`, and
//! `{{ $NAME }}` from the environment variable `NAME` as `prefect deploy` fills it (a
//! `--var '$NAME=VALUE'` overrides it); one left unfilled is bad input, never a guess.
//!
//! What the work pool's base job template sets on the Prefect server is not in the file: give
//! it with flags (`--cluster`, `--subnets`…), which also override the file.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use super::prefect_job::{self, job_to_task};
use super::{escaped, task_file, unprintable, Placement, PreDeploy};
use crate::yaml::{read_yaml, to_json};

/// Why a Prefect deployment cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PrefectError(pub String);

/// The process environment as `{{ $NAME }}` reads it: the value of `NAME`, if set.
type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The deployment `name` of the prefect.yaml at `path`, with `vars` and the process environment
/// filling its templates and the flags' `placement` overriding its job variables.
pub fn prefect_deployment(
    path: &Path,
    name: &str,
    vars: &[(String, String)],
    placement: Placement,
) -> Result<PreDeploy, PrefectError> {
    deployment_in(
        path,
        name,
        vars,
        &|key: &str| std::env::var_os(key),
        placement,
    )
    .map(|mut pre| {
        pre.warnings = pre.warnings.iter().map(|w| escaped(w)).collect();
        pre
    })
    .map_err(|e| PrefectError(escaped(&e.0)))
}

/// [`prefect_deployment`] with `env` as the environment `{{ $NAME }}` reads.
fn deployment_in(
    path: &Path,
    name: &str,
    vars: &[(String, String)],
    env: Env<'_>,
    placement: Placement,
) -> Result<PreDeploy, PrefectError> {
    let shown = path.display().to_string();
    let fail = |message: String| PrefectError(format!("{shown}: {message}"));
    let JobVariables {
        variables,
        at,
        warnings: template_warnings,
    } = job_variables(path, name, vars, env)?;
    let source = format!("Prefect deployment `{name}` of {shown}");
    let job = job_to_task(&variables, name, &at).map_err(fail)?;
    let (definition, from_file) = (job.task, job.placement);
    let needs_network = from_file.launch_type != Some(crate::model::LaunchType::Ec2) || job.awsvpc;
    if needs_network && placement.subnets.is_empty() && from_file.subnets.is_empty() {
        return Err(fail(format!(
            "deployment `{name}` sets no network_configuration: the worker then runs the task in every subnet of `vpc_id` (or of the default VPC) with assignPublicIp ENABLED and the VPC's default security group; pass those with --subnets and --assign-public-ip ENABLED to audit it"
        )));
    }
    let definition = task_file::parse_task_value(definition, &format!("{at}.task_definition."))
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
    pre.warnings.extend(template_warnings);
    Ok(pre)
}

/// A deployment's `work_pool.job_variables`, templates filled, and where they are.
struct JobVariables {
    variables: Map<String, Value>,
    /// `deployments[N].work_pool.job_variables`.
    at: String,
    /// The templates' warnings.
    warnings: Vec<String>,
}

/// The job variables of deployment `name` of the prefect.yaml at `path`, `{{ KEY }}` filled
/// from `vars` and `{{ $NAME }}` from `env`.
fn job_variables(
    path: &Path,
    name: &str,
    vars: &[(String, String)],
    env: Env<'_>,
) -> Result<JobVariables, PrefectError> {
    let shown = path.display().to_string();
    let fail = |message: String| PrefectError(format!("{shown}: {message}"));
    let document = read_yaml(path, &shown).map_err(PrefectError)?;
    /// A name that is not text matches no `--deployment`, as in `prefect deploy --name`.
    fn name_of(deployment: &serde_yaml_ng::Value) -> Option<&str> {
        deployment
            .get("name")
            .and_then(serde_yaml_ng::Value::as_str)
    }
    let Some(serde_yaml_ng::Value::Sequence(deployments)) = document.get("deployments") else {
        return Err(fail("has no `deployments` list".into()));
    };
    let names: Vec<&str> = deployments.iter().filter_map(name_of).collect();
    let (index, deployment) = deployments
        .iter()
        .enumerate()
        .find(|(_, d)| name_of(d) == Some(name))
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
    let mut at = format!("deployments[{index}]");
    let deployment =
        to_json(deployment, &mut at).map_err(|e| fail(format!("deployment `{name}`: {e}")))?;
    let not_a_mapping = |field: &str, value: &Value| {
        fail(format!(
            "deployment `{name}`: `{at}.{field}` must be a mapping, not {}",
            prefect_job::shown(value)
        ))
    };
    let mut variables = match deployment.get("work_pool") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(pool)) => match pool.get("job_variables") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => return Err(not_a_mapping("work_pool.job_variables", other)),
        },
        Some(other) => return Err(not_a_mapping("work_pool", other)),
    };
    let at = format!("{at}.work_pool.job_variables");
    let warnings = fill_templates(&mut variables, vars, env, name).map_err(fail)?;
    Ok(JobVariables {
        variables,
        at,
        warnings,
    })
}

/// Deployment `name` of the prefect.yaml at `path` as the Job the Prefect **Kubernetes**
/// worker would create (`prefect_kube`), templates filled from `vars` and the environment;
/// also returns the warnings.
pub fn prefect_kubernetes_job(
    path: &Path,
    name: &str,
    vars: &[(String, String)],
) -> Result<(crate::model::KubeWorkload, Vec<String>), PrefectError> {
    let shown = path.display().to_string();
    let env = |key: &str| std::env::var_os(key);
    let JobVariables {
        variables,
        at,
        warnings,
    } = job_variables(path, name, vars, &env).map_err(|e| PrefectError(escaped(&e.0)))?;
    let (job, mut more) = super::prefect_kube::kubernetes_job(&variables, name, &at)
        .map_err(|e| PrefectError(escaped(&format!("{shown}: deployment `{name}`: {e}"))))?;
    more.extend(warnings);
    Ok((job, more.iter().map(|w| escaped(w)).collect()))
}

fn or_else<T>(flags: Vec<T>, file: Vec<T>) -> Vec<T> {
    if flags.is_empty() {
        file
    } else {
        flags
    }
}

/// A template: `{{`, optional whitespace, a key, optional whitespace, `}}`.
const TEMPLATE: &str = r"\{\{\s*([^{}]*?)\s*\}\}";
/// A placeholder name as Prefect captures it, `[\w\.\-\[\]$]+` in `PLACEHOLDER_CAPTURE_REGEX`
/// (PrefectHQ/prefect @ ce79dd3, src/prefect/utilities/templating/__init__.py l.33); `\w` is
/// Unicode there (Python `str` patterns) as here.
const PREFECT_NAME: &str = r"^[\w.\-\[\]$]+$";
/// `ENV_VAR_PLACEHOLDER_PREFIX` (same file, l.36): a name starting with it is an environment
/// variable.
const ENV_PREFIX: char = '$';
/// The longest value taken from the environment: far above an image reference (255
/// characters) or an ARN (2,048), and short enough that no value can flood a report.
const MAX_ENV_VALUE_BYTES: usize = 4096;
/// How many places of one environment variable an error lists.
const MAX_PLACES: usize = 3;

/// Replaces each `{{ KEY }}` in every string with its `--var`, and each `{{ $NAME }}` with
/// the environment variable `NAME` unless a `--var '$NAME=VALUE'` gives it. An error lists the
/// templates left unfilled; otherwise returns the warnings (a `--var` no template used, one
/// that overrides a different value of the environment).
fn fill_templates(
    variables: &mut Map<String, Value>,
    vars: &[(String, String)],
    env: Env<'_>,
    deployment: &str,
) -> Result<Vec<String>, String> {
    let mut filler = Filler {
        template: regex::Regex::new(TEMPLATE).expect("valid pattern"),
        prefect_name: regex::Regex::new(PREFECT_NAME).expect("valid pattern"),
        vars,
        env,
        looked_up: HashMap::new(),
        used: Vec::new(),
        overridden: Vec::new(),
        unfilled: Vec::new(),
        env_problems: Vec::new(),
    };
    let mut path = String::from("job_variables");
    for (key, value) in variables.iter_mut() {
        walk_strings(value, &mut path, key, &mut filler);
    }
    let mut problems = Vec::new();
    if !filler.unfilled.is_empty() {
        problems.push(format!(
            "uses templates with no value: {} (pass {})",
            filler
                .unfilled
                .iter()
                .map(|k| format!("{{{{ {k} }}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            filler
                .unfilled
                .iter()
                .map(|k| format!("--var '{k}=VALUE'"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    for (name, places) in &filler.env_problems {
        let issue = match &filler.looked_up[name] {
            Err(issue) => issue,
            Ok(_) => unreachable!("a problem is recorded only for a value that cannot be used"),
        };
        problems.push(issue.message(name, &places_text(places)));
    }
    if let Some((first, rest)) = problems.split_first() {
        let separator = if filler.unfilled.is_empty() {
            ": "
        } else {
            " "
        };
        let mut message = format!("deployment `{deployment}`{separator}{first}");
        for problem in rest {
            message.push_str("; ");
            message.push_str(problem);
        }
        return Err(message);
    }
    let mut warnings: Vec<String> = vars
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !filler.used.contains(k))
        .map(|key| {
            format!("--var {key}: deployment `{deployment}` has no `{{{{ {key} }}}}` template")
        })
        .collect();
    for (name, value) in &filler.overridden {
        let differs = match (filler.env)(name) {
            Some(set) => set.to_str() != Some(value.as_str()),
            None => false,
        };
        if differs {
            warnings.push(format!(
                "--var '${name}=…' overrides the environment variable {name}, which is set to another value: `prefect deploy` in this environment would use that one"
            ));
        }
    }
    Ok(warnings)
}

/// The state of one [`fill_templates`] walk.
struct Filler<'a> {
    template: regex::Regex,
    prefect_name: regex::Regex,
    vars: &'a [(String, String)],
    env: Env<'a>,
    /// Each environment variable read, read once.
    looked_up: HashMap<String, Result<String, EnvIssue>>,
    /// The `--var` keys used.
    used: Vec<String>,
    /// The environment variables a `--var` gave, with its value.
    overridden: Vec<(String, String)>,
    /// The keys of `{{ KEY }}` templates without a `--var`.
    unfilled: Vec<String>,
    /// The environment variables that cannot fill their `{{ $NAME }}`, with where they are
    /// used (`{{ $NAME }}` as written, the field).
    env_problems: Vec<(String, Vec<(String, String)>)>,
}

impl Filler<'_> {
    fn fill(&mut self, text: &str, field: &str) -> String {
        let template = self.template.clone();
        template
            .replace_all(text, |captures: &regex::Captures<'_>| {
                self.placeholder(&captures[1], field)
                    .unwrap_or_else(|| captures[0].to_string())
            })
            .into_owned()
    }

    /// The value of the template `{{ key }}` in `field`; `None` leaves it as written (and
    /// records why).
    fn placeholder(&mut self, key: &str, field: &str) -> Option<String> {
        // Prefect's `apply_values` (templating/__init__.py l.203-221): an ENV_VAR placeholder
        // reads `os.environ.get(name.lstrip("$"))`, every leading `$` stripped, and its value
        // replaces the placeholder inside longer strings too.
        let env_name = (key.starts_with(ENV_PREFIX) && self.prefect_name.is_match(key))
            .then(|| key.trim_start_matches(ENV_PREFIX).to_string());
        let given = self.vars.iter().find(|(k, _)| k == key).or_else(|| {
            let name = env_name.as_deref()?;
            self.vars.iter().find(|(k, _)| {
                k.starts_with(ENV_PREFIX) && k.trim_start_matches(ENV_PREFIX) == name
            })
        });
        if let Some((k, value)) = given {
            self.used.push(k.clone());
            if let Some(name) = env_name {
                if !self.overridden.iter().any(|(n, _)| *n == name) {
                    self.overridden.push((name, value.clone()));
                }
            }
            return Some(value.clone());
        }
        let Some(name) = env_name else {
            if !self.unfilled.iter().any(|u| u == key) {
                self.unfilled.push(key.to_string());
            }
            return None;
        };
        let env = self.env;
        let value = self
            .looked_up
            .entry(name.clone())
            .or_insert_with(|| env_value(env, &name));
        match value {
            Ok(value) => Some(value.clone()),
            Err(_) => {
                let place = (format!("{{{{ {key} }}}}"), field.to_string());
                match self.env_problems.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, places)) if places.contains(&place) => {}
                    Some((_, places)) => places.push(place),
                    None => self.env_problems.push((name, vec![place])),
                }
                None
            }
        }
    }
}

/// Why an environment variable cannot fill its `{{ $NAME }}`.
#[derive(Debug)]
enum EnvIssue {
    Unset,
    NotUtf8,
    /// A control character (an escape sequence, a line break…) or a bidirectional override,
    /// which would rewrite the report on a terminal.
    Unprintable(char),
    TooLong(usize),
}

impl EnvIssue {
    /// The error for the variable `name` used at `places`. The value itself is never shown.
    fn message(&self, name: &str, places: &str) -> String {
        let pass = format!("--var '${name}=VALUE'");
        match self {
            // `prefect deploy` (cli/deploy/_core.py l.101-105, then l.329-334) first leaves an
            // unset variable's placeholder as is, then replaces it with "" and a warning
            // ("Value for placeholder … not found in provided values"): the deployment it
            // registers is not the one the file describes, so it is not audited.
            EnvIssue::Unset if name.is_empty() => format!(
                "{places} names no environment variable, so `prefect deploy` would replace it with an empty string"
            ),
            EnvIssue::Unset => format!(
                "the environment variable {name} is unset, so `prefect deploy` would replace {places} with an empty string (set {name}, or pass {pass})"
            ),
            EnvIssue::NotUtf8 => format!(
                "the environment variable {name} (for {places}) is not UTF-8 text (pass the value with {pass})"
            ),
            EnvIssue::Unprintable(c) => format!(
                "the environment variable {name} (for {places}) holds the control character U+{:04X}, which pullpath neither audits nor prints (pass the value with {pass} if it is meant)",
                u32::from(*c)
            ),
            EnvIssue::TooLong(bytes) => format!(
                "the environment variable {name} (for {places}) is {bytes} bytes long, more than the {MAX_ENV_VALUE_BYTES} pullpath takes from the environment (pass the value with {pass} if it is meant)"
            ),
        }
    }
}

/// The value of the environment variable `name`, if it can fill a template. Set but empty is
/// the empty string, as in Prefect.
fn env_value(env: Env<'_>, name: &str) -> Result<String, EnvIssue> {
    if name.is_empty() {
        return Err(EnvIssue::Unset); // `{{ $ }}`: no variable has an empty name
    }
    let value = env(name).ok_or(EnvIssue::Unset)?;
    let value = value.into_string().map_err(|_| EnvIssue::NotUtf8)?;
    if value.len() > MAX_ENV_VALUE_BYTES {
        return Err(EnvIssue::TooLong(value.len()));
    }
    if let Some(c) = value.chars().find(|&c| unprintable(c)) {
        return Err(EnvIssue::Unprintable(c));
    }
    Ok(value)
}

/// "`{{ $X }}` in `job_variables.image`, …", at most [`MAX_PLACES`] of them.
fn places_text(places: &[(String, String)]) -> String {
    let mut text = places
        .iter()
        .take(MAX_PLACES)
        .map(|(placeholder, field)| format!("`{placeholder}` in `{field}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if places.len() > MAX_PLACES {
        let _ = write!(text, " and {} more", places.len() - MAX_PLACES);
    }
    text
}

/// Fills every string under `value`, the entry `key` of the mapping at `path` (which errors
/// name, so a key's control characters are not kept).
fn walk_strings(value: &mut Value, path: &mut String, key: &str, filler: &mut Filler<'_>) {
    let parent = path.len();
    path.push('.');
    path.extend(
        key.chars()
            .map(|c| if unprintable(c) { '\u{FFFD}' } else { c }),
    );
    walk_value(value, path, filler);
    path.truncate(parent);
}

fn walk_value(value: &mut Value, path: &mut String, filler: &mut Filler<'_>) {
    match value {
        Value::String(text) => *text = filler.fill(text, path),
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let parent = path.len();
                let _ = write!(path, "[{index}]");
                walk_value(item, path, filler);
                path.truncate(parent);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                walk_strings(item, path, key, filler);
            }
        }
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
            "        image: nginx\n        cluster: prod\n        task_definition:\n          networkMode: awsvpc\n        capacity_provider_strategy:\n          - capacityProvider: asg-blue\n            weight: 1\n            base: 0\n{NETWORK}"
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

    /// Each field read must have the shape the worker and RunTask take: anything else is
    /// refused naming the field, never skipped (a skipped `securityGroups` audited the VPC's
    /// default group: a pass for a deployment whose RunTask fails).
    #[test]
    fn every_field_read_has_the_workers_shape_or_is_refused_by_path() {
        const AT: &str = "`deployments[0].work_pool.job_variables.";
        let vpc = "        image: nginx\n        vpc_id: vpc-1\n        network_configuration:\n";
        let subnets = "          subnets: [subnet-0a1b2c3d4e5f6002a]\n";
        let logs = "        image: nginx\n        execution_role_arn: arn:aws:iam::123456789012:role/x\n        configure_cloudwatch_logs: true\n";
        let cases: Vec<(String, String)> = vec![
            (
                format!("{vpc}{subnets}          securityGroups: sg-0a1b2c3d4e5f60002\n"),
                format!("{AT}network_configuration.securityGroups` must be a list of security group ids, not \"sg-0a1b2c3d4e5f60002\""),
            ),
            (
                format!("{vpc}{subnets}          securityGroups: [sg-0a1b2c3d4e5f60002, 7]\n"),
                format!("{AT}network_configuration.securityGroups[1]` must be a security group id, not 7"),
            ),
            (
                format!("{vpc}          subnets: subnet-0a1b2c3d4e5f6002a\n"),
                format!("{AT}network_configuration.subnets` must be a list of subnet ids"),
            ),
            (
                format!("{vpc}          securityGroups: [sg-0a1b2c3d4e5f60002]\n"),
                format!("{AT}network_configuration.subnets` is missing"),
            ),
            (
                format!("{vpc}{subnets}          securityGroup: [sg-0a1b2c3d4e5f60002]\n"),
                format!("{AT}network_configuration` has `securityGroup`"),
            ),
            (
                format!("{vpc}{subnets}          assignPublicIp: true\n"),
                format!("{AT}network_configuration.assignPublicIp` must be ENABLED or DISABLED, not true"),
            ),
            (
                "        image: nginx\n        vpc_id: vpc-1\n        network_configuration: [subnet-0a1b2c3d4e5f6002a]\n".to_string(),
                format!("{AT}network_configuration` must be a mapping, not a list"),
            ),
            (
                format!("        image: nginx\n        capacity_provider_strategy:\n          - capacityProvider: FARGATE\n            weight: 1.5\n            base: 0\n{NETWORK}"),
                format!("{AT}capacity_provider_strategy[0].weight` must be an integer from 0 to 1000, not the number 1.5"),
            ),
            (
                format!("        image: nginx\n        capacity_provider_strategy: FARGATE\n{NETWORK}"),
                format!("{AT}capacity_provider_strategy` must be a list, not \"FARGATE\""),
            ),
            (
                format!("        image: nginx\n        capacity_provider_strategy:\n          - capacityProvider: FARGATE\n            weight: 1\n{NETWORK}"),
                format!("{AT}capacity_provider_strategy[0].base` is missing"),
            ),
            (
                format!("        image: nginx\n        launch_type: fargate\n{NETWORK}"),
                format!("{AT}launch_type` must be FARGATE, FARGATE_SPOT, EC2 or EXTERNAL, not \"fargate\""),
            ),
            (
                format!("        image: 1.5\n{NETWORK}"),
                format!("{AT}image` must be text, not the number 1.5"),
            ),
            (
                format!("        image: .nan\n{NETWORK}"),
                format!("{AT}image` is .nan, which is not a number"),
            ),
            (
                format!("        image: nginx\n        family: .inf\n{NETWORK}"),
                format!("{AT}family` is .inf"),
            ),
            (
                format!("{logs}        configure_cloudwatch_logs: 2\n{NETWORK}").replace("        configure_cloudwatch_logs: true\n", ""),
                format!("{AT}configure_cloudwatch_logs` must be true or false, not 2"),
            ),
            (
                format!("{logs}        cloudwatch_logs_options: [awslogs-group]\n{NETWORK}"),
                format!("{AT}cloudwatch_logs_options` must be a mapping, not a list"),
            ),
            (
                format!("{logs}        cloudwatch_logs_options:\n          awslogs-create-group: false\n{NETWORK}"),
                format!("{AT}cloudwatch_logs_options.awslogs-create-group` must be text, not false"),
            ),
            (
                format!("        image: nginx\n        task_definition: [awsvpc]\n{NETWORK}"),
                format!("{AT}task_definition` must be a mapping, not a list"),
            ),
            (
                format!("        image: nginx\n        task_definition:\n          containerDefinitions: [app]\n{NETWORK}"),
                format!("{AT}task_definition.containerDefinitions[0]` must be a mapping, not \"app\""),
            ),
            (
                format!("        image: nginx\n        task_definition:\n          containerDefinitions:\n            - name: prefect\n              logConfiguration: [awslogs]\n{NETWORK}"),
                "deployments[0].work_pool.job_variables.task_definition.containerDefinitions[0].logConfiguration: invalid type: sequence, expected an object".to_string(),
            ),
            (
                "        image: nginx\n        task_run_request:\n          networkConfiguration:\n            awsvpcConfiguration:\n              subnets: subnet-0a1b2c3d4e5f6002a\n".to_string(),
                format!("{AT}task_run_request.networkConfiguration.awsvpcConfiguration.subnets` must be a list of subnet ids"),
            ),
            (
                format!("        image: nginx\n        task_run_request:\n          launchType: [FARGATE]\n{NETWORK}"),
                format!("{AT}task_run_request.launchType` must be text, not a list"),
            ),
            (
                format!("        image: nginx\n        task_run_request: FARGATE\n{NETWORK}"),
                format!("{AT}task_run_request` must be a mapping"),
            ),
            (
                format!("        image: nginx\n        cluster: !Ref prod\n{NETWORK}"),
                format!("{AT}cluster` has the YAML tag !Ref"),
            ),
        ];
        for (variables, needle) in cases {
            let error = one(&variables).map(|_| ()).unwrap_err().0;
            assert!(error.contains(&needle), "{variables}\n{needle}\n{error}");
            assert!(error.contains(": deployment `d`: "), "{error}");
        }
        // The deployment's own structure too.
        let file = write("deployments:\n  - name: d\n    work_pool: [ecs-pool]\n");
        let error = prefect_deployment(file.path(), "d", &[], Placement::default())
            .unwrap_err()
            .0;
        assert!(
            error.contains("`deployments[0].work_pool` must be a mapping, not a list"),
            "{error}"
        );
        // A key that would write to the terminal is named without its control characters.
        let error = one(
            "        image: nginx\n        vpc_id: vpc-1\n        network_configuration:\n          subnets: [subnet-0a1b2c3d4e5f6002a]\n          \"a\\e[2Jb\": 1\n",
        )
        .map(|_| ())
        .unwrap_err()
        .0;
        assert!(error.contains("has `a\u{FFFD}[2Jb`"), "{error}");
        assert!(!error.chars().any(unprintable), "{error:?}");
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

    /// An environment holding `pairs`, as a test's own (the process environment is shared).
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |key: &str| map.get(key).cloned()
    }

    /// The deployment `d` whose `image` is `image`, filled from `vars` and `env`.
    fn with_image(
        image: &str,
        vars: &[(&str, &str)],
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<PreDeploy, PrefectError> {
        let file = write(&format!(
            "deployments:\n  - name: d\n    work_pool:\n      name: p\n      job_variables:\n        image: '{image}'\n{NETWORK}"
        ));
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        deployment_in(file.path(), "d", &vars, env, Placement::default())
    }

    fn image_of(pre: &PreDeploy) -> String {
        pre.task_definition("123456789012", "us-east-1")
            .container_definitions[0]
            .image
            .clone()
    }

    const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    #[test]
    fn env_placeholders_are_filled_from_the_environment_as_prefect_does() {
        let env = env_of(&[
            ("CI_REGISTRY_IMAGE", REGISTRY),
            ("CI_COMMIT_SHA", "4f2a9c1"),
        ]);
        let expected = format!("{REGISTRY}/web:4f2a9c1");
        // Whitespace inside the braces is optional on both sides; every leading `$` goes.
        for image in [
            "{{ $CI_REGISTRY_IMAGE }}/web:{{ $CI_COMMIT_SHA }}",
            "{{$CI_REGISTRY_IMAGE}}/web:{{$CI_COMMIT_SHA}}",
            "{{  $CI_REGISTRY_IMAGE  }}/web:{{\t$CI_COMMIT_SHA }}",
            "{{ $$CI_REGISTRY_IMAGE }}/web:{{ $CI_COMMIT_SHA}}",
        ] {
            let pre = with_image(image, &[], &env).unwrap_or_else(|e| panic!("{image}: {e}"));
            assert_eq!(image_of(&pre), expected, "{image}");
            assert!(pre.warnings.is_empty(), "{image}: {:?}", pre.warnings);
        }
        // The whole string, too.
        let env = env_of(&[("IMAGE", "nginx:1.27")]);
        assert_eq!(
            image_of(&with_image("{{ $IMAGE }}", &[], &env).unwrap()),
            "nginx:1.27"
        );
    }

    #[test]
    fn a_var_overrides_the_environment() {
        let env = env_of(&[
            ("CI_REGISTRY_IMAGE", REGISTRY),
            ("CI_COMMIT_SHA", "4f2a9c1"),
        ]);
        let image = "{{ $CI_REGISTRY_IMAGE }}/web:{{ $CI_COMMIT_SHA }}";
        let pre = with_image(image, &[("$CI_COMMIT_SHA", "1.4.2")], &env).unwrap();
        assert_eq!(image_of(&pre), format!("{REGISTRY}/web:1.4.2"));
        // The deploy in this environment would use the other value: said on stderr.
        assert_eq!(pre.warnings.len(), 1, "{:?}", pre.warnings);
        assert!(
            pre.warnings[0].contains("overrides the environment variable CI_COMMIT_SHA"),
            "{:?}",
            pre.warnings
        );
        // `$NAME` names the variable however many `$` the placeholder has.
        let pre = with_image(
            "{{ $$CI_REGISTRY_IMAGE }}/web:1",
            &[("$CI_REGISTRY_IMAGE", "r")],
            &env,
        )
        .unwrap();
        assert_eq!(image_of(&pre), "r/web:1");
        // An unset variable given with --var needs no environment; the same value warns of nothing.
        let pre = with_image(
            "{{ $UNSET }}/web:{{ $CI_COMMIT_SHA }}",
            &[("$UNSET", REGISTRY), ("$CI_COMMIT_SHA", "4f2a9c1")],
            &env,
        )
        .unwrap();
        assert_eq!(image_of(&pre), format!("{REGISTRY}/web:4f2a9c1"));
        assert!(pre.warnings.is_empty(), "{:?}", pre.warnings);
    }

    #[test]
    fn an_unset_variable_is_bad_input_not_an_empty_string() {
        let env = env_of(&[("CI_REGISTRY_IMAGE", REGISTRY)]);
        let error = with_image("{{ $CI_REGISTRY_IMAGE }}/web:{{$CI_COMMIT_SHA}}", &[], &env)
            .unwrap_err()
            .0;
        for needle in [
            "deployment `d`: the environment variable CI_COMMIT_SHA is unset",
            "`{{ $CI_COMMIT_SHA }}` in `job_variables.image`",
            "with an empty string",
            "--var '$CI_COMMIT_SHA=VALUE'",
        ] {
            assert!(error.contains(needle), "{needle}: {error}");
        }
        assert!(!error.contains("CI_REGISTRY_IMAGE"), "{error}");
        // Set but empty is the empty string, as in Prefect.
        let env = env_of(&[("CI_REGISTRY_IMAGE", REGISTRY), ("SUFFIX", "")]);
        let pre = with_image("{{ $CI_REGISTRY_IMAGE }}/web:1{{ $SUFFIX }}", &[], &env).unwrap();
        assert_eq!(image_of(&pre), format!("{REGISTRY}/web:1"));
        // Plain templates and unset variables are listed together, each once; `{{ $ }}` names
        // no variable.
        let error = with_image(
            "{{ build.image }}{{ $A }}{{ $$A }}{{ $ }}",
            &[],
            &env_of(&[]),
        )
        .unwrap_err()
        .0;
        assert!(
            error.contains(": deployment `d` uses templates with no value: {{ build.image }} (pass --var 'build.image=VALUE'); the environment variable A is unset"),
            "{error}"
        );
        assert!(
            error.contains(
                "`{{ $A }}` in `job_variables.image`, `{{ $$A }}` in `job_variables.image`"
            ),
            "{error}"
        );
        assert!(
            error.ends_with("; `{{ $ }}` in `job_variables.image` names no environment variable, so `prefect deploy` would replace it with an empty string"),
            "{error}"
        );
    }

    #[test]
    fn env_values_that_would_break_the_output_are_refused_unshown() {
        let long = "a".repeat(MAX_ENV_VALUE_BYTES + 1);
        for (value, needle) in [
            ("web\u{1b}[2J:1", "U+001B"),
            ("web:1\nPASS", "U+000A"),
            ("web:\u{9b}31m1", "U+009B"),
            ("web:\u{202e}1", "U+202E"),
            (long.as_str(), "4097 bytes long"),
        ] {
            let env = env_of(&[("X", value)]);
            let error = with_image("{{ $X }}", &[], &env).unwrap_err().0;
            assert!(error.contains(needle), "{needle}: {error}");
            assert!(
                !error.chars().any(unprintable) && error.len() < 1000,
                "the value is never shown: {error:?}"
            );
            // Given on purpose with --var, it is taken as the user wrote it.
            let pre = with_image("{{ $X }}", &[("$X", "nginx:1.27")], &env).unwrap();
            assert_eq!(image_of(&pre), "nginx:1.27");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let env = |_: &str| Some(OsString::from_vec(vec![0x77, 0xff]));
            let error = with_image("{{ $X }}", &[], &env).unwrap_err().0;
            assert!(error.contains("is not UTF-8"), "{error}");
        }
    }

    #[test]
    fn only_prefect_placeholders_read_the_environment() {
        // `{{ $A B }}` is no Prefect placeholder: a template without a value, as before.
        let env = env_of(&[("A", "x"), ("CI_COMMIT_SHA", "4f2a9c1")]);
        let error = with_image("{{ $A B }}", &[], &env).unwrap_err().0;
        assert!(error.contains("--var '$A B=VALUE'"), "{error}");
        // A plain `{{ KEY }}` is filled by --var only (`prefect deploy`'s first pass would
        // also look for an environment variable KEY: docs/pre-deploy.md says so).
        let error = with_image("web:{{ CI_COMMIT_SHA }}", &[], &env)
            .unwrap_err()
            .0;
        assert!(error.contains("--var 'CI_COMMIT_SHA=VALUE'"), "{error}");
        // Nested fields are named by their path; a variable is looked up once.
        let file = write(&format!(
            "deployments:\n  - name: d\n    work_pool:\n      name: p\n      job_variables:\n        image: nginx\n        task_definition:\n          containerDefinitions:\n            - name: app\n              environment:\n                - name: SHA\n                  value: '{{{{ $MISSING }}}}'\n{NETWORK}"
        ));
        let calls = std::cell::Cell::new(0);
        let counting = |key: &str| {
            calls.set(calls.get() + 1);
            env_of(&[])(key)
        };
        let error = deployment_in(file.path(), "d", &[], &counting, Placement::default())
            .unwrap_err()
            .0;
        assert!(
            error.contains(
                "`job_variables.task_definition.containerDefinitions[0].environment[0].value`"
            ),
            "{error}"
        );
        assert_eq!(calls.get(), 1);
    }
}
