//! Structured fixes that name the workload, added after the path checks: those checks are
//! shared by every workload placed alike (`PathCache`), so their blockers cannot name a
//! service.

use super::audit::RequirementResult;
use crate::codes::Code;
use crate::fix::{Alternative, Change, Strategy};
use crate::workload::{Launch, Workload};

/// `NO_PUBLIC_IP` of a Fargate service: turn on `assignPublicIp` in its awsvpcConfiguration
/// ("Fargate tasks … in a public subnet … need a public IP address", Amazon ECS Developer
/// Guide, "Fargate task networking").
pub fn add_workload_remedies(workload: &Workload<'_>, requirements: &mut [RequirementResult]) {
    let (Some(service), Launch::Fargate { .. }, Some(_)) =
        (&workload.service, &workload.launch, workload.placement)
    else {
        return;
    };
    // A task checked before its deploy (its definition named `FAMILY:pre-deploy`) has no
    // service to update yet: the fix goes into the deploy's network configuration, which the
    // prose fix says.
    if workload.task_definition_arn.ends_with(":pre-deploy") {
        return;
    }
    let remedy = vec![Alternative::new(
        Strategy::PublicIp,
        vec![Change::EnableAssignPublicIp {
            cluster: workload.cluster.clone(),
            service: service.clone(),
        }],
    )];
    for requirement in requirements {
        for blocker in &mut requirement.blockers {
            if blocker.code == Code::NoPublicIp && blocker.remedy.is_empty() {
                blocker.remedy = remedy.clone();
            }
        }
    }
}
