//! pullpath: audits why an Amazon ECS task cannot pull its container image.
//!
//! One-way pipeline: `collect` (AWS → snapshot) → `model` (snapshot) → `graph` (paths per call) → `checks` (paths + IAM +
//! registry per workload) → `report`. `workload` derives what each task must reach; `policy`
//! evaluates IAM policy documents locally; `codes`/`blocker`/`fix` are the shared vocabulary.
//! `predeploy` (files → model) is an input stage beside `collect`, both reading YAML through
//! `yaml`; `explain` classifies messages, which `diagnose` ties to the audit; `plan` proves
//! fixes; `cli` joins the stages. tests/integration/architecture.rs holds the allowed imports.

pub mod blocker;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod collect;
pub mod diagnose;
pub mod explain;
pub mod fix;
pub mod graph;
pub mod model;
pub mod plan;
pub mod policy;
pub mod predeploy;
pub mod report;
pub mod workload;
pub mod yaml;
