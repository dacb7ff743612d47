//! Checks: for each workload, every requirement's path (graph) plus the permissions and
//! registry facts it depends on, combined into one verdict per requirement and per workload.

mod audit;
mod catalog;
mod ec2_hosts;
mod execution_role;
mod kube_keyring;
mod kube_pod_spec;
mod kubernetes;
mod launch;
mod options;
mod origins;
mod platform;
mod prepare;
mod pull_credentials;
mod registry;
mod request_context;
mod scope;
mod secret_keys;
mod suppress;
mod workload_remedies;

pub use audit::{
    audit_workload, audit_workloads, audit_workloads_with_graph, workload_name, PathCache,
    RequirementResult, Severity, WorkloadFinding, WorkloadResult, WorkloadStatus,
};
pub use catalog::Catalog;
pub(crate) use execution_role::MANAGED_GRANTS;
pub use kubernetes::{audit_kube_cluster, audit_kube_units};
pub use options::{AuditOptions, RegistryRoute};
pub use scope::{fleet_status, Coverage, Origin, ScopeAudit};
pub use suppress::{apply_suppressions, RuleOutcome, RuleState, Suppression};
