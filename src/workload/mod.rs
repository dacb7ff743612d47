//! Workloads (what runs where) and the calls each must make to start: the requirements.

mod history;
mod image;
mod kubernetes;
mod requirements;
mod select;

pub use history::{
    diagnosed_workload, history, run_placement, GroupsFrom, History, RunPlacement, Subject,
    SubnetsFrom, TaskGroup,
};
pub use image::{EcrImage, ImageRef, ImageReference, OtherImage};
pub use kubernetes::{eks_cluster_of, kube_placement, kube_units, KubePlacement, KubeUnit};
pub use requirements::{
    derive_requirements, parameters_read, secrets_read, Carrier, Permission, Requirement, Target,
};
pub use select::{launch_of, select_workloads, Launch, SelectError, Workload};
