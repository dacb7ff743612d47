//! Raw command-line arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// `pullpath --version`: the release and the version of the JSON report it writes (the
/// `schema_version` of `audit --format json`; a test keeps the two in step).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (report schema version 1)");

/// Tells why an ECS task or a Kubernetes pod cannot pull its container image — and proves,
/// before a deploy, that it will be able to.
#[derive(Debug, Parser)]
#[command(name = "pullpath", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit the image-pull path of ECS services (live: one or many accounts, regions and
    /// clusters) or of Kubernetes workloads (--kube-context, --kube-objects), live or from
    /// snapshots; before a deploy, a task definition, a Prefect deployment or a manifest.
    ///
    /// Exit codes: 0 every workload passes; 1 runtime error; 2 usage error or bad input;
    /// 3 at least one workload fails; 4 none fails but some are unknown (or an account or
    /// region could not be read). `--fail-on` chooses which of 3 and 4 count.
    Audit(Box<AuditArgs>),
    /// Read what an audit needs from AWS (read-only) and save it as a snapshot.
    Collect(CollectArgs),
    /// Classify an ECS stop reason, container reason or service event, or a kubelet or
    /// containerd message (offline).
    ///
    /// Exit codes: 0 the message is recognised; 4 it is not (category `unknown`); 2 no message.
    Explain(ExplainArgs),
    /// Explain why a service's tasks stopped (or why a Kubernetes pod cannot pull, --pod):
    /// classify what ECS or Kubernetes said, audit the placement they really ran with, and
    /// rank the causes.
    ///
    /// Exit codes as for `audit`: 0 the workload passes; 3 it fails; 4 unknown, or it passes
    /// but ECS reported a failure the audit does not account for; 1 runtime error; 2 bad
    /// input (unknown cluster, service or task).
    Diagnose(DiagnoseArgs),
    /// Print the JSON Schema of the report (docs/report.schema.json) or of one NDJSON line.
    Schema(SchemaArgs),
    /// Which workloads would change verdict after a change: delete a NAT gateway, a VPC
    /// endpoint, a route or a security-group rule, or detach a policy (`--change`, repeatable,
    /// or `--changes FILE`). Each change is applied to a copy of the snapshot (or of what
    /// was just collected live) and the copy audited as `audit` would.
    ///
    /// Exit codes: 0 nothing that passes would stop passing; 3 something that passes would
    /// fail; 4 something that passes would be unknown (with `--fail-on unknown`); 1 runtime
    /// error; 2 bad input (a change that applies to nothing, a malformed changes file).
    #[command(name = "what-if")]
    WhatIf(Box<WhatIfArgs>),
    /// Serve the Model Context Protocol over stdio, so an assistant can call pullpath's
    /// audit, pre-deploy gate, diagnose, explain and what-if (read-only, the same credential
    /// chain). Register it with a client as the command `pullpath mcp`.
    Mcp,
    /// Print a shell completion script, generated from these definitions.
    ///
    /// bash: `source <(pullpath completions bash)`; zsh: `pullpath completions zsh >
    /// "${fpath[1]}/_pullpath"`; fish: `pullpath completions fish >
    /// ~/.config/fish/completions/pullpath.fish`.
    Completions(CompletionsArgs),
    /// Print pullpath's man page (roff), or write one page per command to a directory.
    ///
    /// `pullpath man | man -l -`; `pullpath man --dir /usr/local/share/man/man1`.
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write pullpath.1 and a page per command (pullpath-audit.1, …) into this directory
    /// instead of printing pullpath.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct WhatIfArgs {
    /// A change: `delete nat-…`, `delete vpce-…`, `delete route rtb-… CIDR`,
    /// `revoke-egress sg-… PEER`, `revoke-ingress sg-… PEER` (PEER: a CIDR, sg-… or pl-…),
    /// `detach-policy ROLE POLICY_ARN`. Repeat for several, applied in order.
    #[arg(long = "change", value_name = "CHANGE")]
    pub change: Vec<String>,
    /// A file of changes: one per line in the `--change` form (`#` comments), or a JSON array
    /// of the structured changes the report's fix plans print.
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which document: the `--format json` report, or one `--format ndjson` line.
    #[arg(value_enum, default_value_t = SchemaKind::Report)]
    pub kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Report,
    Ndjson,
    /// The `what-if --format json` report.
    WhatIf,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The message (several words are joined with spaces). Without it, or with `-`, the
    /// message is read from standard input.
    #[arg(value_name = "MESSAGE")]
    pub message: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["service", "task", "pod"])))]
pub struct DiagnoseArgs {
    /// The ECS cluster (name or ARN) of --service or --task.
    #[arg(long, value_name = "CLUSTER", required_unless_present = "pod")]
    pub cluster: Option<String>,
    /// The service whose recently stopped tasks to diagnose (name or ARN).
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// One task to diagnose (id or ARN).
    #[arg(long, value_name = "TASK", conflicts_with = "service")]
    pub task: Option<String>,
    /// A Kubernetes pod to diagnose (`NAMESPACE/NAME`, or NAME with one --namespace): what its
    /// containers' statuses and events say, tied to an audit of its node (or Fargate
    /// profile) and pull secrets. The cluster comes from --kube-context or --kube-objects, or
    /// the --snapshot's own `kube_clusters`.
    #[arg(long, value_name = "POD", conflicts_with_all = ["service", "task", "cluster"])]
    pub pod: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Diagnose from a saved snapshot (written by `pullpath collect --stopped-tasks`) instead
    /// of the live account.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["region", "AwsArgs"])]
    pub snapshot: Option<PathBuf>,
    /// AWS region (default: the chain's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[command(flatten)]
    pub routes: RouteArgs,
    #[command(flatten)]
    pub inspect: InspectArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Audit saved snapshots (JSON; see docs/snapshot.md) instead of the live account; repeat
    /// for several accounts or regions (one report).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["FleetArgs", "AwsArgs"])]
    pub snapshot: Vec<PathBuf>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub pre_deploy: PreDeployArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub routes: RouteArgs,
    #[command(flatten)]
    pub inspect: InspectArgs,
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    #[command(flatten)]
    pub output: AuditOutputArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Where to write the snapshot (one account and region).
    #[arg(long, value_name = "FILE", required_unless_present = "out_dir")]
    pub out: Option<PathBuf>,
    /// Write one snapshot per account and region into DIR, as ACCOUNT-REGION.json.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub out_dir: Option<PathBuf>,
    /// Also read the services' recently stopped tasks, deployments and events, for
    /// `pullpath diagnose --snapshot` (one cluster, account and region).
    #[arg(long)]
    pub stopped_tasks: bool,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub inspect: InspectArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// A Kubernetes cluster whose pods to audit (see the README's "Kubernetes"): read live with
/// the kubeconfig kubectl uses, or from files; the AWS side (nodes' instances, their network
/// and roles) comes from `--snapshot`.
#[derive(Debug, clap::Args)]
pub struct KubeArgs {
    /// Read the cluster from these files instead: `kubectl get pods,deployments,…,
    /// serviceaccounts,secrets,nodes -A -o json` output, or YAML manifests (repeatable). A
    /// kind no file holds is unknown, not empty.
    #[arg(long = "kube-objects", value_name = "FILE", conflicts_with_all = ["kube_context", "kubeconfig"])]
    pub kube_objects: Vec<PathBuf>,
    /// Read the cluster live through this kubeconfig context (default: the current one).
    #[arg(long = "kube-context", value_name = "CONTEXT")]
    pub kube_context: Option<String>,
    /// The kubeconfig to read (default: $KUBECONFIG, then ~/.kube/config, as kubectl).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Only workloads of this namespace (repeatable).
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Vec<String>,
    /// Every namespace (the default when no --namespace is given).
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,
    /// The EKS cluster the Kubernetes cluster is (its node groups and Fargate profiles in
    /// --snapshot's `eks_clusters`).
    #[arg(long, value_name = "NAME")]
    pub eks_cluster: Option<String>,
}

impl KubeArgs {
    /// Whether a Kubernetes cluster is to be read.
    pub fn requested(&self) -> bool {
        !self.kube_objects.is_empty() || self.kube_context.is_some() || self.kubeconfig.is_some()
    }
}

/// Which clusters and services to audit.
#[derive(Debug, clap::Args)]
pub struct SelectArgs {
    /// A cluster (name or ARN; repeatable). Live, one of --cluster and --all-clusters is
    /// required; from snapshots, the default is every cluster.
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: Vec<String>,
    /// Every cluster of each account and region.
    #[arg(long, conflicts_with = "cluster")]
    pub all_clusters: bool,
    /// Only these services of the one --cluster (name or ARN; repeatable). Default: every
    /// service.
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
}

/// A task not deployed yet: a task definition file or a Prefect deployment, and where it will
/// run (`audit` only; see the README's "Before a deploy").
#[derive(Debug, clap::Args)]
pub struct PreDeployArgs {
    /// Audit this task definition before it is deployed: JSON as `aws ecs
    /// register-task-definition --cli-input-json` takes it, or as `aws ecs
    /// describe-task-definition` prints it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prefect_yaml", "service", "all_clusters"])]
    pub task_definition: Option<PathBuf>,
    /// Audit a Prefect ECS work-pool deployment of this prefect.yaml before `prefect deploy`
    /// (with --deployment).
    #[arg(long, value_name = "FILE", requires = "deployment", conflicts_with_all = ["service", "all_clusters"])]
    pub prefect_yaml: Option<PathBuf>,
    /// Audit the workloads of this Kubernetes manifest before `kubectl apply -f` (YAML
    /// documents or JSON; repeatable, applied in order) against the cluster: --kube-context,
    /// --kube-objects, or a --snapshot holding one. Only the manifests' workloads are judged,
    /// with their service accounts and secrets in place of the cluster's of the same name.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["task_definition", "prefect_yaml", "service", "all_clusters"])]
    pub manifest: Vec<PathBuf>,
    /// The deployment of --prefect-yaml to audit (its `name`).
    #[arg(long, value_name = "NAME", requires = "prefect_yaml")]
    pub deployment: Option<String>,
    /// A value for a `{{ KEY }}` template of the Prefect deployment (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE", requires = "prefect_yaml")]
    pub vars: Vec<String>,
    /// The subnets the tasks will run in (awsvpc), comma-separated.
    #[arg(long, value_name = "SUBNET,...", value_delimiter = ',')]
    pub subnets: Vec<String>,
    /// The tasks' security groups (awsvpc), comma-separated; none: the VPC's default group.
    #[arg(long, value_name = "SG,...", value_delimiter = ',')]
    pub security_groups: Vec<String>,
    /// Whether the tasks' interface gets a public IP (Fargate).
    #[arg(long, value_enum, value_name = "ENABLED|DISABLED")]
    pub assign_public_ip: Option<AssignPublicIpArg>,
    /// The launch type (default: from the task definition's requiresCompatibilities, FARGATE
    /// first).
    #[arg(long, value_enum)]
    pub launch_type: Option<LaunchTypeArg>,
    /// The Fargate platform version (default LATEST).
    #[arg(long, value_name = "VERSION")]
    pub platform_version: Option<String>,
}

impl PreDeployArgs {
    /// Whether any pre-deploy flag was given.
    pub fn requested(&self) -> bool {
        self.task_definition.is_some() || self.prefect_yaml.is_some()
    }

    /// Placement flags given without a task definition or deployment to place.
    pub fn stray_placement(&self) -> Option<&'static str> {
        if self.requested() {
            return None;
        }
        [
            (!self.subnets.is_empty(), "--subnets"),
            (!self.security_groups.is_empty(), "--security-groups"),
            (self.assign_public_ip.is_some(), "--assign-public-ip"),
            (self.launch_type.is_some(), "--launch-type"),
            (self.platform_version.is_some(), "--platform-version"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum AssignPublicIpArg {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum LaunchTypeArg {
    Fargate,
    Ec2,
    External,
}

/// Reads outside the AWS APIs.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Read the manifests of images outside ECR anonymously from their registries (Docker
    /// Hub, ghcr.io…, over the internet) to check the platforms they offer; without it those
    /// platforms are unknown.
    #[arg(long)]
    pub inspect_registries: bool,
}

/// Networks the configuration does not show (analysis input: `audit`, `diagnose`).
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// A private registry's host reaches over a private network: HOST (as the image names
    /// it) resolves into CIDR, which is then routed and filtered like any destination instead
    /// of the internet (repeatable; see docs/codes.md, PATH_LEAVES_VPC).
    #[arg(long = "registry-route", value_name = "HOST=CIDR")]
    pub registry_route: Vec<String>,
}

/// Which accounts and regions to read.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Regions to read, comma-separated (default: the credential chain's region).
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub region: Vec<String>,
    /// Every region enabled for each account (ec2:DescribeRegions).
    #[arg(long, conflicts_with = "region")]
    pub all_regions: bool,
    /// Read the account of this IAM role, assumed from your credentials (repeatable).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Vec<String>,
    /// Roles to assume, one per line: `ROLE_ARN [EXTERNAL_ID]` (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub accounts_file: Option<PathBuf>,
    /// The external id the roles require (a line of --accounts-file may give its own).
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// Account-and-region scopes read at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel_scopes: u16,
    /// Audit the accounts of your AWS Organization (organizations:ListAccounts, run from the
    /// management account or a delegated administrator), each through --role-name. A
    /// suspended or closing account, or one whose role cannot be assumed, is reported as an
    /// unreadable scope.
    #[arg(long, requires = "role_name", conflicts_with_all = ["role_arn", "accounts_file"])]
    pub organization: bool,
    /// The role to assume in every account of --organization (the same name in each).
    #[arg(long, value_name = "NAME", requires = "organization")]
    pub role_name: Option<String>,
    /// With --organization: only these accounts (12-digit ids, comma-separated).
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        requires = "organization"
    )]
    pub accounts: Vec<String>,
    /// With --organization: leave these accounts out.
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        requires = "organization"
    )]
    pub exclude_accounts: Vec<String>,
    /// With --organization: only accounts under these organizational units (ou-…), at any
    /// depth.
    #[arg(
        long = "organizational-units",
        value_name = "OU,...",
        value_delimiter = ',',
        requires = "organization"
    )]
    pub organizational_units: Vec<String>,
}

/// What makes the run fail, and which findings are accepted.
#[derive(Debug, clap::Args)]
pub struct ComplianceArgs {
    /// What makes the exit code non-zero: a failing workload (`fail`: exit 3), also an
    /// unknown one (`unknown`: exit 3 or 4), or nothing (`never`: exit 0 unless pullpath
    /// itself fails).
    #[arg(long, value_enum, default_value_t = FailOn::Unknown)]
    pub fail_on: FailOn,
    /// Accepted findings (TOML; see docs/suppressions.md): shown as suppressed, not counted.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Fail,
    Unknown,
    Never,
}

/// Where the audit report goes, and in which format.
#[derive(Debug, clap::Args)]
pub struct AuditOutputArgs {
    /// Output format: a table, the JSON report, NDJSON (one workload per line, then each
    /// account and region, then the summary), or a picture of each workload's pull paths
    /// with the blocking hops marked: Graphviz DOT or a Mermaid flowchart (docs/pictures.md).
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Ndjson,
    Dot,
    Mermaid,
    /// JUnit XML for CI test report widgets: a workload is a test case, a root cause its
    /// failure (docs/formats.md).
    Junit,
    /// SARIF 2.1.0 for code-scanning dashboards: a root cause is a result, on the pre-deploy
    /// gate's task definition or prefect.yaml (docs/formats.md).
    Sarif,
    /// OCSF 1.5 Detection Findings (a JSON array) for security data lakes (docs/formats.md).
    Ocsf,
    /// One self-contained HTML page: summary, root causes, failing workloads, the path
    /// pictures inline (docs/formats.md).
    Html,
}

/// Where the report goes, and in which format (`audit`, `diagnose`).
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How to reach AWS. Credentials and region come from the standard chain (environment, shared
/// config and credentials files, SSO, assume-role profiles, container and instance metadata).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// Named profile from the shared config files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator, a VPC endpoint). `AWS_ENDPOINT_URL`
    /// is honoured too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Retry mode: adaptive (retries, and slows the client down under throttling) or
    /// standard (retries only).
    #[arg(long, value_enum, default_value_t = RetryModeArg::Adaptive)]
    pub retry_mode: RetryModeArg,
    /// Attempts per call, including the first.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_attempts: u32,
    /// Seconds one call (all its attempts) may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub call_timeout: u64,
    /// AWS calls in flight at once per account and region.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
