//! SDK-level tests of what a fleet run relies on and the emulator cannot show: the bound on
//! calls in flight, IAM read once per account however many regions ask, and adaptive retries
//! by default (riding out throttling: `tests.rs`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecs::operation::describe_clusters::DescribeClustersError;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::types::Role;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::calls::{attempt, Call, Session};
use super::fleet::{Account, FleetPlan, Regions};
use super::memo::IamMemo;
use super::{iam, Clusters};

const CALL: Call = Call {
    service: "ecs",
    operation: "DescribeClusters",
    action: "ecs:DescribeClusters",
    collection: "clusters",
};

#[tokio::test]
async fn calls_in_flight_never_exceed_the_bound() {
    let session = Session::new(3);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let calls = (0..20).map(|_| {
        let (in_flight, most) = (in_flight.clone(), most.clone());
        attempt(&session, CALL, async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, SdkError<DescribeClustersError, HttpResponse>>(())
        })
    });
    let done = futures::future::join_all(calls).await;
    assert_eq!(done.len(), 20);
    assert_eq!(
        most.load(Ordering::SeqCst),
        3,
        "the bound is reached and never passed"
    );
}

fn role(name: &str) -> Role {
    Role::builder()
        .role_name(name)
        .arn(format!("arn:aws:iam::123456789012:role/{name}"))
        .path("/")
        .role_id("AROAEXAMPLE")
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

/// GetRole answering any name, and ListRolePolicies answering none.
fn role_without_inline_policies() -> (aws_smithy_mocks::Rule, aws_smithy_mocks::Rule) {
    let get = mock!(aws_sdk_iam::Client::get_role).then_compute_output(|r| {
        GetRoleOutput::builder()
            .role(role(r.role_name().unwrap()))
            .build()
    });
    let inline = mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
        ListRolePoliciesOutput::builder()
            .set_policy_names(Some(vec![]))
            .build()
            .unwrap()
    });
    (get, inline)
}

/// Two regions of one account ask for the same role at once: it is read once, and both get it.
#[tokio::test]
async fn a_role_is_read_once_per_account_however_many_regions_ask() {
    let (get, inline) = role_without_inline_policies();
    let attached = mock!(aws_sdk_iam::Client::list_attached_role_policies)
        .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
    let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get, &inline, &attached]);
    let memo = IamMemo::default();
    let arns = BTreeSet::from(["arn:aws:iam::123456789012:role/app".to_string()]);
    let (east, west) = (Session::default(), Session::default());
    let (a, b) = tokio::join!(
        iam::roles(&client, &east, &memo, "123456789012", &arns),
        iam::roles(&client, &west, &memo, "123456789012", &arns),
    );
    let (a, b) = (a.unwrap().0.unwrap(), b.unwrap().0.unwrap());
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(a[0].name, "app");
    assert_eq!(
        (get.num_calls(), inline.num_calls(), attached.num_calls()),
        (1, 1, 1)
    );
    // Another account's role of the same name is its own read.
    let other = BTreeSet::from(["arn:aws:iam::111111111111:role/app".to_string()]);
    iam::roles(&client, &east, &memo, "111111111111", &other)
        .await
        .unwrap();
    assert_eq!(get.num_calls(), 2);
}

/// A shared read that was denied leaves the gap in every collection that depends on it.
#[tokio::test]
async fn a_denied_shared_read_is_a_gap_in_every_region() {
    let denied = r#"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"#;
    let get = mock!(aws_sdk_iam::Client::get_role)
        .sequence()
        .http_status(403, Some(denied.to_string()))
        .build();
    let client = mock_client!(aws_sdk_iam, RuleMode::Sequential, [&get]);
    let memo = IamMemo::default();
    let arns = BTreeSet::from(["arn:aws:iam::123456789012:role/app".to_string()]);
    for session in [Session::default(), Session::default()] {
        let (roles, _) = iam::roles(&client, &session, &memo, "123456789012", &arns)
            .await
            .unwrap();
        assert!(roles.is_none(), "denied: not collected");
        let gaps = session.take();
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].action, "iam:GetRole");
    }
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test]
async fn retries_are_adaptive_unless_asked_otherwise() {
    let aws = super::Aws::load(&super::AwsOptions {
        region: Some("us-east-1".into()),
        max_attempts: 5,
        ..Default::default()
    })
    .await;
    let retry = aws.config.retry_config().unwrap();
    assert_eq!(retry.mode(), aws_smithy_types::retry::RetryMode::Adaptive);
    assert_eq!(retry.max_attempts(), 5);
}

#[test]
fn one_account_and_region_is_a_single_scope() {
    let plan = |accounts: usize, regions: Regions| FleetPlan {
        organization: None,
        accounts: (0..accounts)
            .map(|i| Account {
                role_arn: format!("arn:aws:iam::{:012}:role/audit", i + 1),
                external_id: None,
            })
            .collect(),
        regions,
        clusters: Clusters::All,
        services: Vec::new(),
        pre_deploy: None,
        parallel_scopes: 4,
    };
    assert!(plan(0, Regions::Default).is_single_scope());
    assert!(plan(1, Regions::Listed(vec!["us-east-1".into()])).is_single_scope());
    assert!(!plan(2, Regions::Default).is_single_scope());
    assert!(!plan(
        0,
        Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()])
    )
    .is_single_scope());
    assert!(!plan(0, Regions::AllEnabled).is_single_scope());
    assert_eq!(
        plan(1, Regions::Default).accounts[0].id(),
        Some("000000000001")
    );
}

/// An attached policy without its ARN is a damaged reply: the roles are not collected, and the
/// gap names ListAttachedRolePolicies — never a role judged without one of its policies.
#[tokio::test]
async fn an_attached_policy_without_its_arn_distrusts_the_roles() {
    let (get, inline) = role_without_inline_policies();
    let attached = mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(|| {
        ListAttachedRolePoliciesOutput::builder()
            .attached_policies(
                aws_sdk_iam::types::AttachedPolicy::builder()
                    .policy_name("DenyAll")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get, &inline, &attached]);
    let session = Session::default();
    let arns = BTreeSet::from(["arn:aws:iam::123456789012:role/app".to_string()]);
    let (roles, _) = iam::roles(
        &client,
        &session,
        &IamMemo::default(),
        "123456789012",
        &arns,
    )
    .await
    .unwrap();
    assert!(roles.is_none());
    let gaps = session.take();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].action, "iam:ListAttachedRolePolicies");
    assert_eq!(gaps[0].kind, crate::model::GapKind::Suspicious);
}
