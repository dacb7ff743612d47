//! SDK-level tests for what the emulator cannot serve: pagination tokens, throttling then
//! success, denied and failing calls, and the read-only guard itself.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput;
use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::list_services::ListServicesOutput;
use aws_sdk_ecs::types::{Cluster, Service};
use aws_smithy_async::test_util::instant_time_and_sleep;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;

use super::calls::{attempt, Call, CollectError, Session};
use super::ecs;
use super::guard::{is_read_only, CallLog, ReadOnlyGuard};

fn fast_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

fn service(name: &str) -> Service {
    Service::builder()
        .service_name(name)
        .service_arn(format!(
            "arn:aws:ecs:us-east-1:123456789012:service/prod/{name}"
        ))
        .task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1")
        .status("ACTIVE")
        .build()
}

#[tokio::test]
async fn every_page_of_services_is_read() {
    let first = mock!(aws_sdk_ecs::Client::list_services)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListServicesOutput::builder()
                .service_arns("arn:aws:ecs:us-east-1:123456789012:service/prod/a")
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_ecs::Client::list_services)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            ListServicesOutput::builder()
                .service_arns("arn:aws:ecs:us-east-1:123456789012:service/prod/b")
                .build()
        });
    let describe = mock!(aws_sdk_ecs::Client::describe_services).then_compute_output(|r| {
        let mut out = DescribeServicesOutput::builder();
        for arn in r.services() {
            out = out.services(service(arn.rsplit('/').next().unwrap()));
        }
        out.build()
    });
    let client = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        [&first, &second, &describe]
    );
    let found = ecs::services(&client, &Session::default(), "arn:cluster", false, &[])
        .await
        .unwrap()
        .0;
    let names: Vec<_> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn services_are_described_ten_at_a_time() {
    let describe = mock!(aws_sdk_ecs::Client::describe_services).then_compute_output(|r| {
        assert!(
            r.services().len() <= 10,
            "{} services in one call",
            r.services().len()
        );
        let mut out = DescribeServicesOutput::builder();
        for arn in r.services() {
            out = out.services(service(arn));
        }
        out.build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe]);
    let wanted: Vec<String> = (0..23).map(|i| format!("s{i}")).collect();
    let found = ecs::services(&client, &Session::default(), "arn:cluster", false, &wanted)
        .await
        .unwrap()
        .0;
    assert_eq!(found.len(), 23);
    assert_eq!(describe.num_calls(), 3);
}

/// DescribeClusters throttled `throttles` times, then answering, read with `retry` on a
/// manual clock that sleeps instantly (adaptive mode waits real seconds after a throttle):
/// returns the requests made and the time the client waited.
async fn through_throttling(throttles: usize, retry: RetryConfig) -> (usize, Duration) {
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string();
    let rule = mock!(aws_sdk_ecs::Client::describe_clusters)
        .sequence()
        .http_status(400, Some(throttled))
        .times(throttles)
        .output(|| {
            DescribeClustersOutput::builder()
                .clusters(
                    Cluster::builder()
                        .cluster_name("prod")
                        .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/prod")
                        .status("ACTIVE")
                        .build(),
                )
                .build()
        })
        .build();
    let (time, sleep) = instant_time_and_sleep(std::time::SystemTime::UNIX_EPOCH);
    let client = mock_client!(aws_sdk_ecs, RuleMode::Sequential, [&rule], |c| c
        .retry_config(retry.clone())
        .time_source(time.clone())
        .sleep_impl(sleep.clone()));
    let (found, missing) = ecs::clusters(&client, &Session::default(), Some(&["prod".into()]))
        .await
        .unwrap();
    assert_eq!((found[0].name.as_str(), missing.len()), ("prod", 0));
    (rule.num_calls(), sleep.total_duration())
}

#[tokio::test]
async fn throttling_is_retried_until_success() {
    let (calls, _) = through_throttling(2, fast_retries()).await;
    assert_eq!(calls, 3);
}

#[tokio::test]
async fn adaptive_retries_ride_out_throttling() {
    let (calls, waited) = through_throttling(3, RetryConfig::adaptive().with_max_attempts(5)).await;
    assert_eq!(calls, 4);
    assert!(
        waited > Duration::ZERO,
        "the client waited between attempts"
    );
}

const ACLS: Call = Call {
    service: "ec2",
    operation: "DescribeNetworkAcls",
    action: "ec2:DescribeNetworkAcls",
    collection: "network_acls",
};

fn ec2_error(code: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>not for you</Message></Error></Errors><RequestID>req-1234</RequestID></Response>"
    )
}

#[tokio::test]
async fn a_denied_call_is_a_coverage_gap_not_a_failure() {
    let rule = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .sequence()
        .http_status(403, Some(ec2_error("UnauthorizedOperation")))
        .build();
    let client = mock_client!(aws_sdk_ec2, [&rule]);
    let session = Session::default();
    let found = attempt(&session, ACLS, client.describe_network_acls().send())
        .await
        .unwrap();
    assert!(found.is_none());
    let session = session.take();
    assert_eq!(session.len(), 1);
    assert_eq!(
        (session[0].action.as_str(), session[0].collection.as_str()),
        ("ec2:DescribeNetworkAcls", "network_acls")
    );
}

#[tokio::test]
async fn any_other_failure_names_service_operation_code_and_request_id() {
    let rule = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .sequence()
        .http_response(|| {
            let mut response = HttpResponse::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from(ec2_error("InvalidParameterValue")),
            );
            // EC2 returns the request id in this header (and in the body).
            response
                .headers_mut()
                .insert("x-amzn-requestid", "req-1234");
            response
        })
        .build();
    let client = mock_client!(aws_sdk_ec2, [&rule]);
    let error = attempt(
        &Session::default(),
        ACLS,
        client.describe_network_acls().send(),
    )
    .await
    .unwrap_err();
    let CollectError::Api { .. } = &error else {
        panic!("{error}")
    };
    let message = error.to_string();
    for part in [
        "ec2",
        "DescribeNetworkAcls",
        "InvalidParameterValue",
        "req-1234",
    ] {
        assert!(message.contains(part), "{message} lacks {part}");
    }
}

#[tokio::test]
async fn the_guard_lets_reads_through_and_counts_them() {
    let rule = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .then_output(|| DescribeNetworkAclsOutput::builder().build());
    let guard = ReadOnlyGuard {
        log: CallLog::default(),
    };
    let client = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&rule], |c| c
        .interceptor(guard.clone()));
    client.describe_network_acls().send().await.unwrap();
    client.describe_network_acls().send().await.unwrap();
    assert_eq!(
        guard.log.calls().get("ec2:DescribeNetworkAcls"),
        Some(&2),
        "{:?}",
        guard.log.calls()
    );
}

/// Read-only by construction: a write through a guarded client never leaves the process.
#[tokio::test]
async fn the_guard_refuses_every_write() {
    let guard = ReadOnlyGuard {
        log: CallLog::default(),
    };
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::for_tests())
        // Nothing listens here: a request that got past the guard would fail differently.
        .endpoint_url("http://127.0.0.1:1")
        .interceptor(guard.clone())
        .build();
    let client = aws_sdk_ec2::Client::from_conf(config);
    let write = client
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap_err();
    let text = aws_smithy_types::error::display::DisplayErrorContext(&write).to_string();
    assert!(text.contains("pullpath is read-only and refuses"), "{text}");
    let delete = client
        .delete_route()
        .route_table_id("rtb-1")
        .send()
        .await
        .unwrap_err();
    assert!(
        aws_smithy_types::error::display::DisplayErrorContext(&delete)
            .to_string()
            .contains("read-only")
    );
    assert_eq!(
        guard.log.total(),
        0,
        "refused calls are not counted as made"
    );
}

#[test]
fn read_only_means_describe_list_get() {
    assert!(
        is_read_only("DescribeVpcs") && is_read_only("ListServices") && is_read_only("GetRole")
    );
    for write in [
        "CreateVpc",
        "DeleteRoute",
        "PutRolePolicy",
        "ModifyVpcEndpoint",
        "UpdateService",
        "RunTask",
        "BatchDeleteImage",
        "BatchImportUpstreamImage",
    ] {
        assert!(!is_read_only(write), "{write}");
    }
}

/// docs/iam-policy.json grants exactly the actions the collector uses, all read-only.
#[test]
fn the_shipped_iam_policy_lists_exactly_the_actions_used() {
    let sources = [
        include_str!("ec2.rs"),
        include_str!("ecs.rs"),
        include_str!("iam.rs"),
        include_str!("ecr.rs"),
        include_str!("tasks.rs"),
        include_str!("mod.rs"),
        include_str!("fleet.rs"),
        include_str!("secrets.rs"),
        include_str!("instances.rs"),
        include_str!("manifests.rs"),
        include_str!("organization.rs"),
        include_str!("parameters.rs"),
    ];
    let mut used = BTreeSet::new();
    for source in sources {
        for quoted in source.split('"').skip(1).step_by(2) {
            if let Some((service, action)) = quoted.split_once(':') {
                if [
                    "ec2",
                    "ecs",
                    "iam",
                    "ecr",
                    "sts",
                    "secretsmanager",
                    "ssm",
                    "organizations",
                ]
                .contains(&service)
                    && !action.is_empty()
                    && action.chars().all(|c| c.is_ascii_alphabetic())
                {
                    used.insert(quoted.to_string());
                }
            }
        }
    }
    let policy: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/iam-policy.json")).unwrap();
    let granted: BTreeSet<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        used, granted,
        "docs/iam-policy.json must list exactly the actions the collector calls"
    );
    for action in &granted {
        assert!(
            is_read_only(action.split(':').nth(1).unwrap()),
            "{action} is not read-only"
        );
    }
}

#[tokio::test]
async fn missing_and_deleted_services_are_named_and_repeats_read_once() {
    let describe = mock!(aws_sdk_ecs::Client::describe_services).then_compute_output(|r| {
        let mut out = DescribeServicesOutput::builder();
        for wanted in r.services() {
            match wanted.rsplit('/').next().unwrap() {
                "ghost" => {
                    out = out.failures(
                        aws_sdk_ecs::types::Failure::builder()
                            .arn("arn:aws:ecs:us-east-1:123456789012:service/prod/ghost")
                            .reason("MISSING")
                            .build(),
                    )
                }
                "old" => {
                    out = out.services(
                        Service::builder()
                            .service_name("old")
                            .service_arn("arn:aws:ecs:us-east-1:123456789012:service/prod/old")
                            .status("INACTIVE")
                            .build(),
                    )
                }
                name => out = out.services(service(name)),
            }
        }
        out.build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe]);
    let wanted: Vec<String> = [
        "web",
        "ghost",
        "old",
        "web",
        "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
    ]
    .map(String::from)
    .to_vec();
    let (found, missing) =
        ecs::services(&client, &Session::default(), "arn:cluster", false, &wanted)
            .await
            .unwrap();
    assert_eq!(
        found.len(),
        1,
        "web by name twice and by ARN is one service"
    );
    let missing: Vec<String> = missing
        .iter()
        .map(|m| format!("{} {}", m.name, m.why))
        .collect();
    assert_eq!(missing, ["ghost MISSING", "old INACTIVE (deleted)"]);
}
