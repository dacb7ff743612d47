//! SDK-level tests for what `diagnose` collects and the emulator cannot serve: service events
//! (moto never records any), container reasons, stop codes and timestamps.

use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::types::{
    AssignPublicIp, Attachment, AwsVpcConfiguration, Container, Deployment, KeyValuePair,
    NetworkConfiguration, Service, ServiceEvent, Task, TaskStopCode,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;

use super::calls::{CollectError, Session};
use super::{ecs, tasks};

const TASK_DEFINITION: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7";

fn network() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-a")
                .security_groups("sg-old")
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .unwrap(),
        )
        .build()
}

fn web_service() -> Service {
    Service::builder()
        .service_name("web")
        .service_arn("arn:aws:ecs:us-east-1:123456789012:service/prod/web")
        .task_definition(TASK_DEFINITION)
        .status("ACTIVE")
        .deployments(
            Deployment::builder()
                .id("ecs-svc/1")
                .status("PRIMARY")
                .task_definition(TASK_DEFINITION)
                .network_configuration(network())
                .created_at(DateTime::from_secs(1_736_931_600))
                .build(),
        )
        .events(
            ServiceEvent::builder()
                .created_at(DateTime::from_secs(1_736_933_400))
                .message("(service web) failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::123456789012:role/web-execution' that was provided for this task.).")
                .build(),
        )
        .build()
}

fn task(id: &str, group: &str) -> Task {
    Task::builder()
        .task_arn(format!("arn:aws:ecs:us-east-1:123456789012:task/prod/{id}"))
        .group(group)
        .started_by("ecs-svc/1")
        .task_definition_arn(TASK_DEFINITION)
        .last_status("STOPPED")
        .stop_code(TaskStopCode::TaskFailedToStart)
        .stopped_at(DateTime::from_secs(1_736_932_260))
        .stopped_reason("Task failed to start")
        .containers(
            Container::builder()
                .name("app")
                .reason("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.4.2\": dial tcp 52.46.144.120:443: i/o timeout")
                .build(),
        )
        .attachments(
            Attachment::builder()
                .r#type("ElasticNetworkInterface")
                .details(KeyValuePair::builder().name("subnetId").value("subnet-b").build())
                .details(
                    KeyValuePair::builder()
                        .name("networkInterfaceId")
                        .value("eni-1")
                        .build(),
                )
                .details(
                    KeyValuePair::builder()
                        .name("privateIPv4Address")
                        .value("10.0.3.7")
                        .build(),
                )
                .build(),
        )
        .build()
}

#[tokio::test]
async fn events_and_deployments_are_kept_only_for_diagnose() {
    let describe = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(web_service())
            .build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe]);
    let wanted = ["web".to_string()];
    let plain = ecs::services(&client, &Session::default(), "arn:cluster", false, &wanted)
        .await
        .unwrap()
        .0;
    assert!(plain[0].events.is_none() && plain[0].deployments.is_none());
    let with = ecs::services(&client, &Session::default(), "arn:cluster", true, &wanted)
        .await
        .unwrap()
        .0;
    let events = with[0].events.as_ref().unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].message.contains("unable to assume the role"));
    assert_eq!(
        events[0].created_at.as_deref(),
        Some("2025-01-15T09:30:00Z")
    );
    let deployment = &with[0].deployments.as_ref().unwrap()[0];
    assert_eq!(deployment.id, "ecs-svc/1");
    assert_eq!(
        deployment
            .network_configuration
            .as_ref()
            .unwrap()
            .security_groups,
        ["sg-old"]
    );
}

#[tokio::test]
async fn stopped_tasks_are_listed_then_described_and_kept_per_service() {
    let list = mock!(aws_sdk_ecs::Client::list_tasks)
        .match_requests(|r| {
            r.service_name() == Some("web")
                && r.desired_status() == Some(&aws_sdk_ecs::types::DesiredStatus::Stopped)
        })
        .then_output(|| {
            ListTasksOutput::builder()
                .task_arns("arn:aws:ecs:us-east-1:123456789012:task/prod/t1")
                .task_arns("arn:aws:ecs:us-east-1:123456789012:task/prod/t2")
                .build()
        });
    // A service filter the server ignores (moto does) must not leak another service's task.
    let describe = mock!(aws_sdk_ecs::Client::describe_tasks).then_output(|| {
        DescribeTasksOutput::builder()
            .tasks(task("t1", "service:web"))
            .tasks(task("t2", "service:worker"))
            .build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list, &describe]);
    let found = tasks::stopped_tasks(
        &client,
        &Session::default(),
        "arn:cluster",
        "prod",
        &["web".to_string()],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(found.len(), 1);
    let t = &found[0];
    assert_eq!(t.id(), "t1");
    assert_eq!(t.service(), Some("web"));
    assert_eq!(t.stop_code.as_deref(), Some("TaskFailedToStart"));
    assert_eq!(t.stopped_at.as_deref(), Some("2025-01-15T09:11:00Z"));
    assert!(t.containers[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("i/o timeout"));
    let eni = t.network_interface.as_ref().unwrap();
    assert_eq!(
        (
            eni.subnet_id.as_str(),
            eni.id.as_deref(),
            eni.private_ip.as_deref()
        ),
        ("subnet-b", Some("eni-1"), Some("10.0.3.7"))
    );
}

#[tokio::test]
async fn a_denied_listing_is_a_gap_and_an_unknown_task_is_not_found() {
    let denied = r#"{"__type":"AccessDeniedException","message":"not authorized to perform: ecs:ListTasks"}"#;
    let list = mock!(aws_sdk_ecs::Client::list_tasks).then_http_response(move || {
        aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(denied),
        )
    });
    let describe = mock!(aws_sdk_ecs::Client::describe_tasks)
        .then_output(|| DescribeTasksOutput::builder().build());
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list, &describe]);
    let session = Session::default();
    let found = tasks::stopped_tasks(&client, &session, "arn:cluster", "prod", &["web".into()])
        .await
        .unwrap();
    assert!(found.is_none());
    assert_eq!(session.take()[0].action, "ecs:ListTasks");
    let missing = tasks::task(&client, &Session::default(), "arn:cluster", "prod", "nope").await;
    assert!(
        matches!(&missing, Err(CollectError::NotFound(m)) if m.contains("task `nope`")),
        "{missing:?}"
    );
}
