//! ECS tasks for `diagnose`: the recently stopped tasks of each service (`ListTasks` with
//! `desiredStatus=STOPPED`, then `DescribeTasks`), or one task named by the user.

use futures::future::try_join_all;

use super::calls::{attempt, required, CollectError, Session};
use super::ecs::{call, launch_type, timestamp};
use crate::model::{StoppedContainer, StoppedTask, TaskNetworkInterface};

/// ECS keeps stopped tasks for about an hour; one page of the newest is enough to see what
/// they said. `DescribeTasks` takes up to 100 tasks a call, so each service costs two calls.
const TASKS_PER_SERVICE: i32 = 100;

/// The task `wanted` (id or ARN), in any state. Without it there is nothing to diagnose, so a
/// denied call is fatal and an unknown task is bad input.
pub async fn task(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    cluster_arn: &str,
    cluster_name: &str,
    wanted: &str,
) -> Result<StoppedTask, CollectError> {
    let request = client
        .describe_tasks()
        .cluster(cluster_arn)
        .tasks(wanted)
        .send();
    let call = call("DescribeTasks", "ecs:DescribeTasks", "stopped_tasks");
    let output = required(session, call, "the task", request).await?;
    output
        .tasks()
        .first()
        .map(|t| convert_task(t, cluster_name))
        .ok_or_else(|| {
            CollectError::NotFound(format!(
                "task `{wanted}` is not in cluster `{cluster_name}` (ECS keeps stopped tasks for about an hour)"
            ))
        })
}

/// The recently stopped tasks of each service; `None` when listing or describing them was
/// denied (a coverage gap).
pub async fn stopped_tasks(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    cluster_arn: &str,
    cluster_name: &str,
    services: &[String],
) -> Result<Option<Vec<StoppedTask>>, CollectError> {
    let per_service = services.iter().map(|service| async move {
        let listing = client
            .list_tasks()
            .cluster(cluster_arn)
            .service_name(service)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
            .max_results(TASKS_PER_SERVICE)
            .send();
        let Some(listing) = attempt(
            session,
            call("ListTasks", "ecs:ListTasks", "stopped_tasks"),
            listing,
        )
        .await?
        else {
            return Ok(None);
        };
        if listing.task_arns().is_empty() {
            return Ok(Some(Vec::new()));
        }
        let request = client
            .describe_tasks()
            .cluster(cluster_arn)
            .set_tasks(Some(listing.task_arns().to_vec()))
            .send();
        let described = attempt(
            session,
            call("DescribeTasks", "ecs:DescribeTasks", "stopped_tasks"),
            request,
        )
        .await?;
        let group = format!("service:{service}");
        Ok::<_, CollectError>(described.map(|output| {
            output
                .tasks()
                .iter()
                .map(|t| convert_task(t, cluster_name))
                // ListTasks filters by service; this keeps the result right where it does not.
                .filter(|t| t.group.as_deref() == Some(group.as_str()))
                .collect::<Vec<_>>()
        }))
    });
    let lists = try_join_all(per_service).await?;
    if lists.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(lists.into_iter().flatten().flatten().collect()))
}

fn convert_task(task: &aws_sdk_ecs::types::Task, cluster_name: &str) -> StoppedTask {
    let network_interface = task
        .attachments()
        .iter()
        .find(|a| a.r#type() == Some("ElasticNetworkInterface"))
        .and_then(|a| {
            let detail = |name: &str| {
                a.details()
                    .iter()
                    .find(|d| d.name() == Some(name))
                    .and_then(|d| d.value())
                    .map(str::to_string)
            };
            Some(TaskNetworkInterface {
                subnet_id: detail("subnetId")?,
                id: detail("networkInterfaceId"),
                private_ip: detail("privateIPv4Address"),
            })
        });
    StoppedTask {
        arn: task.task_arn().unwrap_or_default().to_string(),
        cluster: cluster_name.to_string(),
        group: task.group().map(str::to_string),
        started_by: task.started_by().map(str::to_string),
        task_definition: task.task_definition_arn().unwrap_or_default().to_string(),
        launch_type: launch_type(task.launch_type()),
        platform_version: task.platform_version().map(str::to_string),
        last_status: task.last_status().map(str::to_string),
        stopped_at: timestamp(task.stopped_at()),
        stop_code: task.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: task.stopped_reason().map(str::to_string),
        containers: task
            .containers()
            .iter()
            .map(|c| StoppedContainer {
                name: c.name().unwrap_or_default().to_string(),
                reason: c.reason().map(str::to_string),
                exit_code: c.exit_code(),
            })
            .collect(),
        network_interface,
    }
}
