//! `pullpath mcp`: a Model Context Protocol server over stdio (the official Rust SDK, `rmcp`),
//! so an assistant can call pullpath: `audit`, `pre_deploy`, `diagnose`, `explain` and
//! `what_if`. Each tool returns a short text summary and pullpath's own JSON report (the
//! same v1 contract as `--format json`).
//!
//! Each call runs this same `pullpath` binary as a child process with the tool's arguments and
//! `--format json`: the child inherits the environment (the same credential chain, profile and
//! endpoint as a command line run), it is read-only like every pullpath command, and nothing it
//! prints can reach the protocol stream on stdout. An argument is passed as one argv entry,
//! never through a shell. A run that ends in a usage or runtime error (exit 1 or 2) is a tool
//! error carrying pullpath's message; a failing or unknown audit (exit 3 or 4) is a result.

use std::path::PathBuf;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Content, Implementation, ServerCapabilities, ServerInfo};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData as McpError, ServerHandler};
use serde::Deserialize;
use serde_json::Value;

use super::{ExitCode, Failure};
use crate::report::terminal_text;

/// The longest a tool call may run.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Where to read: snapshots, or the live account through the credential chain.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Source {
    /// Snapshot files (`pullpath collect` output) to audit offline; none: read AWS live.
    #[serde(default)]
    pub snapshots: Vec<String>,
    /// AWS regions to read live (default: the credential chain's region).
    #[serde(default)]
    pub regions: Vec<String>,
    /// The AWS profile to read live with (default: the credential chain).
    pub profile: Option<String>,
}

/// A Kubernetes cluster whose pods to audit (the AWS side: `snapshots`, or live).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct KubeParams {
    /// The kubeconfig context to read the cluster through, live.
    pub kube_context: Option<String>,
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    pub kubeconfig: Option<String>,
    /// `kubectl get … -A -o json` output or manifests to read the cluster from instead.
    #[serde(default)]
    pub kube_objects: Vec<String>,
    /// Namespaces to audit (default: all).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// The EKS cluster it is (node groups, Fargate profiles).
    pub eks_cluster: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AuditParams {
    #[serde(flatten)]
    pub source: Source,
    #[serde(flatten)]
    pub kubernetes: KubeParams,
    /// ECS clusters to audit (names or ARNs).
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Every cluster of each account and region.
    #[serde(default)]
    pub all_clusters: bool,
    /// Services of the one cluster named (names or ARNs).
    #[serde(default)]
    pub services: Vec<String>,
    /// Private registries' networks, `HOST=CIDR`.
    #[serde(default)]
    pub registry_routes: Vec<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PreDeployParams {
    #[serde(flatten)]
    pub source: Source,
    #[serde(flatten)]
    pub kubernetes: KubeParams,
    /// Kubernetes manifests to apply (their workloads are checked against the cluster).
    #[serde(default)]
    pub manifests: Vec<String>,
    /// A task definition file (what `aws ecs register-task-definition --cli-input-json` takes).
    pub task_definition: Option<String>,
    /// A Prefect `prefect.yaml` (with `deployment`).
    pub prefect_yaml: Option<String>,
    /// The deployment of `prefect_yaml` to check.
    pub deployment: Option<String>,
    /// `KEY=VALUE` template variables of the Prefect file.
    #[serde(default)]
    pub vars: Vec<String>,
    /// Subnets the tasks will run in.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Security groups of the tasks.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`.
    pub assign_public_ip: Option<String>,
    /// `FARGATE`, `EC2` or `EXTERNAL`.
    pub launch_type: Option<String>,
    /// The Fargate platform version (`1.4.0`).
    pub platform_version: Option<String>,
    /// The cluster the task will run in.
    pub cluster: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DiagnoseParams {
    /// The cluster of the service or task.
    pub cluster: String,
    /// The service whose tasks stopped.
    pub service: Option<String>,
    /// One stopped task (id or ARN).
    pub task: Option<String>,
    /// A snapshot collected with `--stopped-tasks` (default: read AWS live).
    pub snapshot: Option<String>,
    /// The region (live).
    pub region: Option<String>,
    /// The AWS profile (live).
    pub profile: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ExplainParams {
    /// An ECS stop reason, container reason, service event, or kubelet/containerd message.
    pub message: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct WhatIfParams {
    #[serde(flatten)]
    pub source: Source,
    /// Changes, as `pullpath what-if --change` takes them: `delete nat-…`, `delete vpce-…`,
    /// `delete route rtb-… CIDR`, `revoke-egress sg-… PEER`, `revoke-ingress sg-… PEER`,
    /// `detach-policy ROLE POLICY_ARN`.
    pub changes: Vec<String>,
    /// Clusters to judge (live).
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Every cluster (live).
    #[serde(default)]
    pub all_clusters: bool,
}

/// The server: the tools below (`#[tool_handler]` routes to them through
/// `Self::tool_router()`).
#[derive(Clone)]
pub struct PullpathServer {
    /// The pullpath binary each call runs.
    program: PathBuf,
}

#[tool_router]
impl PullpathServer {
    fn new(program: PathBuf) -> Self {
        PullpathServer { program }
    }

    #[tool(
        description = "Audit why ECS services (or Kubernetes pods: kube_context or kube_objects) cannot pull their images: every call a task makes (ECR API, registry, S3 layers, logs, secrets) along its network path, IAM and registry, and for pods their pull secrets, service account and node role. Live (credential chain, kubeconfig) or from snapshot files. Returns a summary and the JSON v1 report (root causes first, with verified fix plans)."
    )]
    async fn audit(
        &self,
        Parameters(params): Parameters<AuditParams>,
    ) -> Result<CallToolResult, McpError> {
        let mut args = vec!["audit".to_string()];
        push_source(&mut args, &params.source);
        push_kube(&mut args, &params.kubernetes);
        push_all(&mut args, "--cluster", &params.clusters);
        push_flag(&mut args, "--all-clusters", params.all_clusters);
        push_all(&mut args, "--service", &params.services);
        push_all(&mut args, "--registry-route", &params.registry_routes);
        self.run(args, &[0, 3, 4], audit_summary).await
    }

    #[tool(
        description = "The pre-deploy gate: will a task definition (or a Prefect deployment of prefect.yaml, or the workloads of Kubernetes manifests against a cluster) be able to pull its images where it is going to run (subnets, security groups, public IP; pull secrets, service account, nodes)? Checked against the live account or a snapshot before anything is deployed."
    )]
    async fn pre_deploy(
        &self,
        Parameters(params): Parameters<PreDeployParams>,
    ) -> Result<CallToolResult, McpError> {
        let mut args = vec!["audit".to_string()];
        push_source(&mut args, &params.source);
        push_kube(&mut args, &params.kubernetes);
        push_all(&mut args, "--manifest", &params.manifests);
        push_one(&mut args, "--task-definition", &params.task_definition);
        push_one(&mut args, "--prefect-yaml", &params.prefect_yaml);
        push_one(&mut args, "--deployment", &params.deployment);
        push_all(&mut args, "--var", &params.vars);
        push_list(&mut args, "--subnets", &params.subnets);
        push_list(&mut args, "--security-groups", &params.security_groups);
        push_one(&mut args, "--assign-public-ip", &params.assign_public_ip);
        push_one(&mut args, "--launch-type", &params.launch_type);
        push_one(&mut args, "--platform-version", &params.platform_version);
        push_one(&mut args, "--cluster", &params.cluster);
        self.run(args, &[0, 3, 4], audit_summary).await
    }

    #[tool(
        description = "Why did a service's tasks stop (CannotPullContainerError…)? Classifies what ECS said about recently stopped tasks, audits the placement they really ran with, and ranks the causes."
    )]
    async fn diagnose(
        &self,
        Parameters(params): Parameters<DiagnoseParams>,
    ) -> Result<CallToolResult, McpError> {
        let mut args = vec![
            "diagnose".to_string(),
            format!("--cluster={}", params.cluster),
        ];
        push_one(&mut args, "--service", &params.service);
        push_one(&mut args, "--task", &params.task);
        push_one(&mut args, "--snapshot", &params.snapshot);
        push_one(&mut args, "--region", &params.region);
        push_one(&mut args, "--profile", &params.profile);
        self.run(args, &[0, 3, 4], diagnose_summary).await
    }

    #[tool(
        description = "Classify one ECS or Kubernetes image-pull error message offline (CannotPullContainerError, ErrImagePull, i/o timeout, AccessDenied…): its category, what it means, what to check next and the pullpath codes that can cause it."
    )]
    async fn explain(
        &self,
        Parameters(params): Parameters<ExplainParams>,
    ) -> Result<CallToolResult, McpError> {
        // After `--`, the message is the message even when it starts with `-`.
        let args = vec!["explain".to_string(), "--".to_string(), params.message];
        self.run(args, &[0, 4], explain_summary).await
    }

    #[tool(
        description = "Which workloads would change verdict after deleting a NAT gateway, a VPC endpoint, a route or a security-group rule, or detaching a policy. Applied to a copy of the snapshot (or of what is read live); nothing is changed in AWS."
    )]
    async fn what_if(
        &self,
        Parameters(params): Parameters<WhatIfParams>,
    ) -> Result<CallToolResult, McpError> {
        let mut args = vec!["what-if".to_string()];
        push_source(&mut args, &params.source);
        push_all(&mut args, "--change", &params.changes);
        push_all(&mut args, "--cluster", &params.clusters);
        push_flag(&mut args, "--all-clusters", params.all_clusters);
        self.run(args, &[0, 3, 4], what_if_summary).await
    }
}

#[tool_handler]
impl ServerHandler for PullpathServer {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pullpath", super::args::VERSION))
            .with_instructions(
                "pullpath tells why a container cannot pull its image (ECS tasks, Kubernetes pods) from the account's configuration, read-only, and proves before a deploy that it will be able to. Start with `audit` (or `diagnose` for a service whose tasks stopped, `explain` for an error message).",
            )
    }
}

impl PullpathServer {
    /// Runs `pullpath ARGS --format json`; `results`: the exit codes that are answers (the
    /// others are errors, reported with pullpath's message).
    async fn run(
        &self,
        mut args: Vec<String>,
        results: &[i32],
        summary: fn(&Value, i32) -> String,
    ) -> Result<CallToolResult, McpError> {
        // Right after the command, before any `--`.
        args.insert(1, "--format=json".to_string());
        let child = tokio::process::Command::new(&self.program)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        // A live audit of a large organization takes minutes; one that hangs must not hold
        // the assistant forever (the child is killed when the wait is dropped).
        let output = tokio::time::timeout(CALL_TIMEOUT, child)
            .await
            .map_err(|_| {
                McpError::internal_error(
                    format!(
                        "pullpath did not finish within {} minutes",
                        CALL_TIMEOUT.as_secs() / 60
                    ),
                    None,
                )
            })?
            .map_err(|e| McpError::internal_error(format!("cannot run pullpath: {e}"), None))?;
        let code = output.status.code().unwrap_or(1);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !results.contains(&code) {
            return Ok(CallToolResult::error(vec![Content::text(format!(
                "pullpath exited {code}: {}",
                terminal_text::message(stderr.trim())
            ))]));
        }
        let report: Value = serde_json::from_str(&stdout).map_err(|e| {
            McpError::internal_error(format!("pullpath's report is not JSON: {e}"), None)
        })?;
        let mut text = summary(&report, code);
        if !stderr.trim().is_empty() {
            text.push_str("\nNotes: ");
            text.push_str(stderr.trim());
        }
        // Names and messages come from the account: control characters are shown escaped
        // (line by line: the summary's own line breaks stay).
        let text = text
            .split('\n')
            .map(|line| terminal_text::message(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        Ok(CallToolResult::success(vec![
            Content::text(text),
            Content::text(stdout),
        ]))
    }
}

fn push_source(args: &mut Vec<String>, source: &Source) {
    push_all(args, "--snapshot", &source.snapshots);
    push_list(args, "--region", &source.regions);
    push_one(args, "--profile", &source.profile);
}

fn push_kube(args: &mut Vec<String>, kube: &KubeParams) {
    push_one(args, "--kube-context", &kube.kube_context);
    push_one(args, "--kubeconfig", &kube.kubeconfig);
    push_all(args, "--kube-objects", &kube.kube_objects);
    push_all(args, "--namespace", &kube.namespaces);
    push_one(args, "--eks-cluster", &kube.eks_cluster);
}

// Values travel as `--flag=value`: one argv entry that clap reads as that flag's value even
// when it starts with `-`, so a value can neither be taken for another flag nor be refused.

fn push_all(args: &mut Vec<String>, flag: &str, values: &[String]) {
    for value in values {
        args.push(format!("{flag}={value}"));
    }
}

fn push_list(args: &mut Vec<String>, flag: &str, values: &[String]) {
    if !values.is_empty() {
        args.push(format!("{flag}={}", values.join(",")));
    }
}

fn push_one(args: &mut Vec<String>, flag: &str, value: &Option<String>) {
    if let Some(value) = value {
        args.push(format!("{flag}={value}"));
    }
}

fn push_flag(args: &mut Vec<String>, flag: &str, on: bool) {
    if on {
        args.push(flag.to_string());
    }
}

fn count(report: &Value, status: &str) -> u64 {
    report["summary"]["by_status"][status]
        .as_u64()
        .unwrap_or_default()
}

/// The verdict the exit code gives: what a CI gate would do with this run.
fn verdict(code: i32) -> &'static str {
    match code {
        0 => "PASS",
        3 => "FAIL",
        _ => "UNKNOWN (something could not be decided or read)",
    }
}

/// "FAIL. 2 workloads: 1 pass, 1 fail, 0 unknown. Root causes: [A] NO_ROUTE rtb-…: …"
fn audit_summary(report: &Value, code: i32) -> String {
    let mut text = format!(
        "{}. {} workload(s): {} pass, {} fail, {} unknown.",
        verdict(code),
        report["summary"]["workloads"].as_u64().unwrap_or_default(),
        count(report, "pass"),
        count(report, "fail"),
        count(report, "unknown"),
    );
    let causes = report["root_causes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !causes.is_empty() {
        text.push_str(" Root causes:");
        for cause in causes.iter().take(10) {
            text.push_str(&format!(
                "\n[{}] {} {}: {} Fix: {}",
                cause["id"].as_str().unwrap_or_default(),
                cause["code"].as_str().unwrap_or_default(),
                cause["resource_id"].as_str().unwrap_or_default(),
                cause["message"].as_str().unwrap_or_default(),
                cause["fix"].as_str().unwrap_or_default(),
            ));
        }
        if causes.len() > 10 {
            text.push_str(&format!("\n… and {} more in the report", causes.len() - 10));
        }
    }
    text
}

fn diagnose_summary(report: &Value, code: i32) -> String {
    let diagnosis = report["workloads"][0]["diagnosis"]["summary"]
        .as_str()
        .unwrap_or_default();
    format!("{} {diagnosis}", audit_summary(report, code))
}

fn explain_summary(report: &Value, _code: i32) -> String {
    format!(
        "Category: {}. {} Next: {}",
        report["category"].as_str().unwrap_or("unknown"),
        report["meaning"].as_str().unwrap_or_default(),
        report["next_check"].as_str().unwrap_or_default(),
    )
}

fn what_if_summary(report: &Value, code: i32) -> String {
    let mut text = format!(
        "{}. {} workload(s) judged: {} would stop passing, {} would start passing.",
        match code {
            0 => "Nothing that passes would stop passing",
            3 => "Something that passes would fail",
            _ => "Something that passes would become unknown",
        },
        report["workloads"].as_u64().unwrap_or_default(),
        report["would_break"].as_u64().unwrap_or_default(),
        report["would_fix"].as_u64().unwrap_or_default(),
    );
    for change in report["verdict_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .take(10)
    {
        text.push_str(&format!(
            "\n{}: {} → {}",
            change["workload"].as_str().unwrap_or_default(),
            change["before"].as_str().unwrap_or_default(),
            change["after"].as_str().unwrap_or_default(),
        ));
    }
    text
}

/// Serves MCP on stdin/stdout until the client closes the stream.
pub fn run() -> Result<ExitCode, Failure> {
    let program = std::env::current_exe()
        .map_err(|e| Failure::runtime(format!("cannot find the pullpath binary: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        use rmcp::ServiceExt;
        let service = PullpathServer::new(program)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| Failure::runtime(format!("cannot start the MCP server: {e}")))?;
        service
            .waiting()
            .await
            .map_err(|e| Failure::runtime(format!("the MCP server stopped: {e}")))?;
        Ok(ExitCode::Pass)
    })
}
