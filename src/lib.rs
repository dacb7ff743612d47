//! pullpath: audits why an Amazon ECS task cannot pull its container image.
//!
//! One-way pipeline: `collect` (AWS → snapshot) → `model` (snapshot) → `graph` (paths per call) → `checks` (paths + IAM +
//! registry per workload) → `report`. `workload` derives what each task must reach; `policy`
//! evaluates IAM policy documents locally; `codes`/`blocker` are the shared vocabulary.

pub mod blocker;
pub mod checks;
pub mod cli;
pub mod codes;
pub mod collect;
pub mod explain;
pub mod fix;
pub mod graph;
pub mod model;
pub mod plan;
pub mod policy;
pub mod predeploy;
pub mod report;
pub mod workload;
