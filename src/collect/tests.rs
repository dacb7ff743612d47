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
use super::guard::{is_allowed, CallLog, ReadOnlyGuard, READ_ACTIONS};

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

fn failing_acls_client(status: u16, code: &str) -> aws_sdk_ec2::Client {
    let body = ec2_error(code);
    let rule = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .sequence()
        .http_response(move || {
            let mut response = HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body.clone()),
            );
            // EC2 returns the request id in this header (and in the body).
            response
                .headers_mut()
                .insert("x-amzn-requestid", "req-1234");
            response
        })
        // Retried (a 5xx is transient): every attempt gets the same answer.
        .repeatedly()
        .build();
    mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(fast_retries()))
}

/// Degrade, never abort: any other failure of an optional read is a gap naming the call, its
/// error code and request id — the collection goes on without that data.
#[tokio::test]
async fn any_other_failure_is_a_gap_naming_service_operation_code_and_request_id() {
    for (status, code) in [(400, "InvalidParameterValue"), (503, "Unavailable")] {
        let client = failing_acls_client(status, code);
        let session = Session::default();
        let found = attempt(&session, ACLS, client.describe_network_acls().send())
            .await
            .unwrap();
        assert!(found.is_none());
        let gaps = session.take();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let gap = &gaps[0];
        assert_eq!(gap.kind, crate::model::GapKind::Failed);
        assert_eq!(gap.error_code.as_deref(), Some(code));
        assert_eq!(gap.request_id.as_deref(), Some("req-1234"));
        let said = gap.describe();
        for part in ["ec2:DescribeNetworkAcls", code, "req-1234"] {
            assert!(said.contains(part), "{said} lacks {part}");
        }
    }
}

/// A read the scope cannot do without fails the scope, naming the call, code and request id.
#[tokio::test]
async fn a_required_read_that_fails_names_service_operation_code_and_request_id() {
    let client = failing_acls_client(400, "InvalidParameterValue");
    let error = super::calls::required(
        &Session::default(),
        ACLS,
        "the ACLs",
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

/// The guard admits exactly the collector's calls: not a `Get*` that returns a secret value,
/// not another read the collector does not make, not a write.
#[test]
fn the_guard_admits_exactly_the_listed_actions() {
    for (service, operation) in [
        ("EC2", "DescribeVpcs"),
        ("ECS", "ListServices"),
        ("IAM", "GetRole"),
        ("ECR", "BatchGetImage"),
        ("Secrets Manager", "DescribeSecret"),
        ("SSM", "DescribeParameters"),
    ] {
        assert!(is_allowed(service, operation), "{service}:{operation}");
    }
    for (service, operation) in [
        ("Secrets Manager", "GetSecretValue"),
        ("SSM", "GetParameters"),
        ("SSM", "GetParameter"),
        ("ECR", "GetAuthorizationToken"),
        ("EC2", "GetPasswordData"),
        ("EC2", "DescribeVolumes"),
        ("IAM", "ListRoles"),
        ("EC2", "CreateVpc"),
        ("EC2", "DeleteRoute"),
        ("IAM", "PutRolePolicy"),
        ("EC2", "ModifyVpcEndpoint"),
        ("ECS", "UpdateService"),
        ("ECS", "RunTask"),
        ("ECR", "BatchDeleteImage"),
        ("ECR", "BatchImportUpstreamImage"),
        // An operation of one service is not allowed under another's name.
        ("ECS", "DescribeVpcs"),
    ] {
        assert!(!is_allowed(service, operation), "{service}:{operation}");
    }
}

/// A secret's value cannot be read through a guarded client: refused before signing.
#[tokio::test]
async fn the_guard_refuses_secret_values() {
    let guard = ReadOnlyGuard {
        log: CallLog::default(),
    };
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::for_tests())
        .endpoint_url("http://127.0.0.1:1")
        .interceptor(guard.clone())
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(config);
    let error = client
        .get_secret_value()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap_err();
    let text = aws_smithy_types::error::display::DisplayErrorContext(&error).to_string();
    assert!(
        text.contains("pullpath is read-only and refuses secretsmanager:GetSecretValue"),
        "{text}"
    );
    assert_eq!(guard.log.total(), 0);
}

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
        include_str!("eks.rs"),
        include_str!("kube_side.rs"),
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
                    "eks",
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
    let allowed: BTreeSet<String> = READ_ACTIONS.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        allowed, granted,
        "the guard's allowlist is the policy's action list"
    );
    let listed: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(listed, READ_ACTIONS, "same order, no repeats");
    // The README counts them.
    let readme = include_str!("../../README.md");
    let count = format!("the {} actions the collector uses", READ_ACTIONS.len());
    assert!(readme.contains(&count), "README.md must say `{count}`");
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

/// Two network ACLs, as EC2 answers DescribeNetworkAcls.
const TWO_ACLS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeNetworkAclsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><networkAclSet><item><networkAclId>acl-allow</networkAclId><vpcId>vpc-1</vpcId></item><item><networkAclId>acl-deny</networkAclId><vpcId>vpc-1</vpcId></item></networkAclSet></DescribeNetworkAclsResponse>"#;

/// An EC2 client whose DescribeNetworkAcls answers `body` (200), with or without the
/// whole-reply check.
fn acls_client(body: &'static str, checked: bool) -> aws_sdk_ec2::Client {
    let rule = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .sequence()
        .http_response(move || {
            HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body))
        })
        .build();
    if checked {
        mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&rule], |c| c
            .interceptor(super::whole_reply::WholeReply))
    } else {
        mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&rule])
    }
}

/// A reply cut after its first item parses, without the check, as a shorter list (the deny
/// ACL gone); with it, the call fails and leaves a gap naming it.
#[tokio::test]
async fn a_reply_cut_short_is_a_gap_not_a_shorter_list() {
    let cut = &TWO_ACLS[..TWO_ACLS.find("<item><networkAclId>acl-deny").unwrap()];
    let cut: &'static str = Box::leak(cut.to_string().into_boxed_str());
    let unchecked = acls_client(cut, false)
        .describe_network_acls()
        .send()
        .await
        .expect("the SDK's XML decoder reads a truncated reply");
    assert_eq!(unchecked.network_acls().len(), 1, "the danger this guards");

    let session = Session::default();
    let client = acls_client(cut, true);
    let found = attempt(&session, ACLS, client.describe_network_acls().send())
        .await
        .unwrap();
    assert!(found.is_none(), "{found:?}");
    let gaps = session.take();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].kind, crate::model::GapKind::Suspicious);
    assert_eq!(gaps[0].error_code.as_deref(), Some("IncompleteReply"));
    assert!(
        gaps[0].message.starts_with("the reply was cut short (")
            && !gaps[0].message.contains("interceptor"),
        "{}",
        gaps[0].message
    );

    let whole = acls_client(TWO_ACLS, true)
        .describe_network_acls()
        .send()
        .await
        .unwrap();
    assert_eq!(whole.network_acls().len(), 2);
}

/// A DescribeClusters reply that drops a cluster asked for (neither described nor under
/// `failures`), or answers one without its name, ends the scope with a suspicious reply —
/// never an audit of the other clusters that would pass without it.
#[tokio::test]
async fn a_clusters_reply_that_drops_a_cluster_is_not_believed() {
    let cluster = |name: &str| {
        Cluster::builder()
            .cluster_name(name)
            .cluster_arn(format!("arn:aws:ecs:us-east-1:123456789012:cluster/{name}"))
            .status("ACTIVE")
            .build()
    };
    let wanted = ["prod".to_string(), "broken".to_string()];
    let dropped = mock!(aws_sdk_ecs::Client::describe_clusters).then_output(move || {
        DescribeClustersOutput::builder()
            .clusters(cluster("prod"))
            .build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&dropped]);
    let error = ecs::clusters(&client, &Session::default(), Some(&wanted))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("answers for 1 of the 2 clusters"),
        "{error}"
    );

    let nameless = mock!(aws_sdk_ecs::Client::describe_clusters).then_output(move || {
        DescribeClustersOutput::builder()
            .clusters(cluster("prod"))
            .clusters(Cluster::builder().status("ACTIVE").build())
            .build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&nameless]);
    let error = ecs::clusters(&client, &Session::default(), Some(&wanted))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no clusterName or clusterArn"),
        "{error}"
    );
}
