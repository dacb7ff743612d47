//! Workloads (what runs where) and the calls each must make to start: the requirements.

mod history;
mod kube_scheduling;
mod kubernetes;
mod requirements;
mod select;

pub use history::{
    diagnosed_workload, history, run_placement, GroupsFrom, History, RunPlacement, Subject,
    SubnetsFrom, TaskGroup,
};
pub use kubernetes::{eks_cluster_of, kube_placement, kube_units, KubePlacement, KubeUnit};
pub use requirements::{derive_requirements, Carrier, Permission, Requirement, Target};
pub use select::{select_workloads, NodePlatform, SelectError, Workload};

// Parsed image names and a service's launch are facts of the snapshot (the model), which
// collection reads too; the analysis keeps finding them here.
pub use crate::model::{EcrImage, ImageRef, ImageReference, Launch, OtherImage};
