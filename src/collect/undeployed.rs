//! A task not deployed yet (`audit --task-definition`), as collection needs it. `predeploy`
//! reads it from a file and checks it; the CLI hands it in. Collection reads AWS, never input
//! files, so it knows the task only through this.

use crate::model::{CapacityProviderItem, Service, Snapshot, TaskDefinition};

pub trait Undeployed: std::fmt::Debug + Send + Sync {
    /// The cluster (name or ARN) it will run in; `None`: Fargate without a cluster named.
    fn cluster(&self) -> Option<&str>;

    /// Its task definition, under its ARN in `account`/`region`.
    fn task_definition(&self, account: &str, region: &str) -> TaskDefinition;

    /// The service it would run as in `cluster`, whose default capacity provider strategy is
    /// `cluster_default`.
    fn service(
        &self,
        account: &str,
        region: &str,
        cluster: &str,
        cluster_default: &[CapacityProviderItem],
    ) -> Service;

    /// Puts it into `snapshot` as the only workload (an error names what is missing).
    fn inject(&self, snapshot: &mut Snapshot) -> Result<(), String>;
}
