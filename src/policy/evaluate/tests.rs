use super::*;
use crate::policy::{Context, Policy};
use serde_json::{json, Value};

fn decide(document: Value, action: &str, resource: &str) -> Decision {
    let policy = Policy::parse("p", &document);
    evaluate(
        &[&policy],
        &Request {
            action,
            resource,
            caller: None,
            context: &Context::new(),
        },
    )
}

const REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/web";

#[test]
fn wildcard_action_and_resource_allow() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Action": "ecr:Batch*", "Resource": "*"}]});
    assert_eq!(
        decide(doc.clone(), "ecr:BatchGetImage", REPO),
        Decision::Allowed
    );
    assert_eq!(
        decide(doc, "ecr:GetAuthorizationToken", "*"),
        Decision::implicitly_denied()
    );
}

#[test]
fn actions_are_case_insensitive_resources_are_not() {
    let doc = json!({"Statement": {"Effect": "Allow", "Action": "ECR:batchgetimage", "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/Web"}});
    assert_eq!(
        decide(doc, "ecr:BatchGetImage", REPO),
        Decision::implicitly_denied()
    );
}

#[test]
fn question_mark_matches_one_character() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/we?"}]});
    assert_eq!(
        decide(doc.clone(), "ecr:BatchGetImage", REPO),
        Decision::Allowed
    );
    assert_eq!(
        decide(doc, "ecr:BatchGetImage", &format!("{REPO}b")),
        Decision::implicitly_denied()
    );
}

#[test]
fn explicit_deny_wins_over_allow() {
    let doc = json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoPull", "Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]});
    assert_eq!(
        decide(doc, "ecr:BatchGetImage", REPO),
        Decision::ExplicitlyDenied {
            policy: "p".into(),
            sid: Some("NoPull".into()),
            facts: Vec::new(),
        }
    );
}

#[test]
fn not_action_and_not_resource_invert_the_match() {
    let doc = json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:ecr:*:*:repository/secret*"}]});
    assert_eq!(
        decide(doc.clone(), "ecr:BatchGetImage", REPO),
        Decision::Allowed
    );
    assert_eq!(
        decide(doc.clone(), "iam:PassRole", REPO),
        Decision::implicitly_denied()
    );
    assert_eq!(
        decide(
            doc,
            "ecr:BatchGetImage",
            "arn:aws:ecr:us-east-1:1:repository/secrets"
        ),
        Decision::implicitly_denied()
    );
}

#[test]
fn a_deciding_condition_makes_the_answer_unknown() {
    let allow_if = json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]});
    assert!(matches!(
        decide(allow_if, "ecr:BatchGetImage", REPO),
        Decision::Unknown { .. }
    ));
    let deny_if = json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecr:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
    assert!(matches!(
        decide(deny_if, "ecr:BatchGetImage", REPO),
        Decision::Unknown { .. }
    ));
}

#[test]
fn principals_match_role_account_and_service() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "ecr:BatchGetImage", "Resource": "*"}]});
    let policy = Policy::parse("repo", &doc);
    let policies = [&policy];
    let ours = Caller {
        arn: Some("arn:aws:iam::111111111111:role/x".into()),
        account: Some("111111111111".into()),
        service: None,
        keys: Default::default(),
    };
    let theirs = Caller {
        arn: None,
        account: Some("222222222222".into()),
        service: None,
        keys: Default::default(),
    };
    let empty = Context::new();
    let request = |caller| Request {
        action: "ecr:BatchGetImage",
        resource: REPO,
        caller: Some(caller),
        context: &empty,
    };
    assert_eq!(evaluate(&policies, &request(&ours)), Decision::Allowed);
    assert_eq!(
        evaluate(&policies, &request(&theirs)),
        Decision::implicitly_denied()
    );
}

#[test]
fn deny_not_principal_exempts_a_role_only_through_its_session() {
    let allow_all = json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"});
    let deny_others = |listed: Value| json!({"Statement": [allow_all.clone(), {"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "ecr:*", "Resource": "*"}]});
    let role = Caller {
        arn: Some("arn:aws:iam::111111111111:role/exec".into()),
        account: Some("111111111111".into()),
        service: None,
        keys: Default::default(),
    };
    let decide_for = |doc: &Value| {
        evaluate(
            &[&Policy::parse("endpoint", doc)],
            &Request {
                action: "ecr:BatchGetImage",
                resource: REPO,
                caller: Some(&role),
                context: &Context::new(),
            },
        )
    };
    // Listing the role ARN does not exempt its sessions: the Deny applies.
    let naming_role = deny_others(json!([
        "arn:aws:iam::111111111111:role/exec",
        "arn:aws:iam::111111111111:root"
    ]));
    assert!(matches!(
        decide_for(&naming_role),
        Decision::ExplicitlyDenied { .. }
    ));
    let naming_session = deny_others(json!([
        "arn:aws:sts::111111111111:assumed-role/exec/fixed-name"
    ]));
    assert!(matches!(
        decide_for(&naming_session),
        Decision::Unknown { .. }
    ));
    let naming_other = deny_others(json!(["arn:aws:iam::999999999999:role/x"]));
    assert!(matches!(
        decide_for(&naming_other),
        Decision::ExplicitlyDenied { .. }
    ));
}

#[test]
fn a_service_caller_is_not_matched_by_account_principals() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]});
    let ecs = Caller {
        arn: None,
        account: None,
        service: Some("ecs-tasks.amazonaws.com".into()),
        keys: Default::default(),
    };
    let decision = evaluate(
        &[&Policy::parse("trust", &doc)],
        &Request {
            action: "sts:AssumeRole",
            resource: "arn:aws:iam::111111111111:role/x",
            caller: Some(&ecs),
            context: &Context::new(),
        },
    );
    assert_eq!(decision, Decision::implicitly_denied());
}

#[test]
fn malformed_policy_is_unreadable_not_allowed() {
    assert!(matches!(
        decide(json!({"Version": "2012-10-17"}), "ecr:BatchGetImage", REPO),
        Decision::Unreadable { .. }
    ));
    assert!(matches!(
        decide(json!("{not json"), "ecr:BatchGetImage", REPO),
        Decision::Unreadable { .. }
    ));
}

#[test]
fn an_unreadable_policy_makes_the_decision_unreadable_unless_another_denies() {
    let odd = Policy::parse(
        "arn:aws:iam::123456789012:policy/odd",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}),
    );
    let allow = Policy::parse(
        "allow",
        &json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}),
    );
    let deny = Policy::parse(
        "deny",
        &json!({"Statement": [{"Effect": "Deny", "Action": "ecr:*", "Resource": "*"}]}),
    );
    let context = Context::new();
    let request = Request {
        action: "ecr:BatchGetImage",
        resource: REPO,
        caller: None,
        context: &context,
    };
    // Another policy's allow does not decide: the odd one may deny.
    let Decision::Unreadable { reason } = evaluate(&[&odd, &allow], &request) else {
        panic!("unreadable");
    };
    assert!(
        reason.contains("policy `arn:aws:iam::123456789012:policy/odd` cannot be read")
            && reason.contains("invalid `Effect` \"allow\""),
        "{reason}"
    );
    // A readable explicit deny decides whatever the odd one says, in any order.
    for order in [[&odd, &deny], [&deny, &odd]] {
        assert!(matches!(
            evaluate(&order, &request),
            Decision::ExplicitlyDenied { .. }
        ));
    }
}

#[test]
fn policy_given_as_json_text_is_parsed() {
    let text = json!(r#"{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}"#);
    assert_eq!(decide(text, "ecr:BatchGetImage", REPO), Decision::Allowed);
}

fn decide_in(document: Value, action: &str, resource: &str, context: &Context) -> Decision {
    let policy = Policy::parse("p", &document);
    evaluate(
        &[&policy],
        &Request {
            action,
            resource,
            caller: None,
            context,
        },
    )
}

fn principal_context() -> Context {
    let mut context = Context::new();
    context.set(
        "aws:PrincipalAccount",
        crate::policy::KeyValue::Values(vec!["123456789012".into()]),
        "the role's account",
    );
    context.set(
        "aws:username",
        crate::policy::KeyValue::Absent,
        "a role session",
    );
    context.set(
        "aws:SourceVpce",
        crate::policy::KeyValue::Absent,
        "the call leaves through NAT gateway nat-1",
    );
    context
}

/// "IAM policy elements: Variables and tags": a variable takes the request's value, so a
/// Deny on `${aws:PrincipalAccount}` repositories denies this account's repository.
#[test]
fn a_deny_with_a_policy_variable_applies() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "Own", "Effect": "Deny", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}]});
    assert!(matches!(
        decide_in(doc.clone(), "ecr:BatchGetImage", REPO, &principal_context()),
        Decision::ExplicitlyDenied { .. }
    ));
    // Read literally (the old behaviour), it would never match: version 2008-10-17 does that.
    let mut old = doc;
    old["Version"] = json!("2008-10-17");
    assert_eq!(
        decide_in(old, "ecr:BatchGetImage", REPO, &principal_context()),
        Decision::Allowed
    );
}

#[test]
fn an_allow_with_a_variable_the_request_lacks_does_not_match() {
    // "the resource that includes a policy variable with no value will not match any resource"
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:*:repository/${aws:username}/*"}]});
    assert_eq!(
        decide_in(doc, "ecr:BatchGetImage", REPO, &principal_context()),
        Decision::implicitly_denied()
    );
    // A variable whose value is unknown leaves the answer unknown, naming it.
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}*"}]});
    let Decision::Unknown { reason } =
        decide_in(doc, "ecr:BatchGetImage", REPO, &principal_context())
    else {
        panic!("unknown")
    };
    assert!(reason.contains("aws:PrincipalTag/team"), "{reason}");
}

#[test]
fn an_allow_with_a_variable_in_the_account_is_unknown() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}]});
    assert!(matches!(
        decide_in(doc, "ecr:BatchGetImage", REPO, &principal_context()),
        Decision::Unknown { .. }
    ));
}

#[test]
fn a_data_perimeter_is_decided_by_the_path() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "OnlyThroughOurEndpoint", "Effect": "Deny", "Action": "ecr:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]});
    // Through a NAT gateway the call carries no aws:SourceVpce: StringNotEquals matches.
    let Decision::ExplicitlyDenied { sid, facts, .. } =
        decide_in(doc.clone(), "ecr:BatchGetImage", REPO, &principal_context())
    else {
        panic!("denied")
    };
    assert_eq!(sid.as_deref(), Some("OnlyThroughOurEndpoint"));
    assert!(facts[0].contains("aws:SourceVpce is absent"), "{facts:?}");
    // Through the endpoint it carries vpce-1: allowed.
    let mut through = principal_context();
    through.set(
        "aws:SourceVpce",
        crate::policy::KeyValue::Values(vec!["vpce-1".into()]),
        "through vpce-1",
    );
    assert_eq!(
        decide_in(doc.clone(), "ecr:BatchGetImage", REPO, &through),
        Decision::Allowed
    );
    // Not known: unknown, naming the key.
    let Decision::Unknown { reason } = decide_in(doc, "ecr:BatchGetImage", REPO, &Context::new())
    else {
        panic!("unknown")
    };
    assert!(reason.contains("aws:SourceVpce"), "{reason}");
}

/// A Deny whose condition is undecided stays visible when nothing allows: a same-account
/// repository policy's implicit deny leaves the call to the identity policy, where the Deny
/// may still apply.
#[test]
fn an_undecided_deny_without_an_allow_is_kept() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "ecr:*", "Resource": "*",
        "Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/ou-1/*"}}}]});
    let Decision::ImplicitlyDenied { undecided, .. } =
        decide_in(doc, "ecr:BatchGetImage", REPO, &Context::new())
    else {
        panic!("implicitly denied")
    };
    assert_eq!(undecided.len(), 1);
    assert!(
        undecided[0].contains("aws:PrincipalOrgPaths"),
        "{undecided:?}"
    );
}

/// A variable before the fifth colon is decided both ways: with `NotResource` in a Deny, the
/// literal reading applies even where the substituted one does not.
#[test]
fn a_not_resource_deny_with_a_variable_in_the_account_still_denies() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "OnlyOwnAccount", "Effect": "Deny", "Action": "ecr:*",
         "NotResource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}]});
    assert!(matches!(
        decide_in(doc, "ecr:BatchGetImage", REPO, &principal_context()),
        Decision::ExplicitlyDenied { .. }
    ));
}

/// A role session's `aws:userid` is its role id, a colon, and a session name that is never
/// empty: a pattern that is just the role id and colon matches no session.
#[test]
fn a_pattern_ending_at_the_known_prefix_matches_no_session() {
    let mut context = Context::new();
    context.set(
        "aws:userid",
        crate::policy::KeyValue::Partial(crate::policy::Partial::Prefixed("AROAEXAMPLE:".into())),
        "the role's id and a session name",
    );
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "OnlyNamedSessions", "Effect": "Deny", "Action": "ecr:*", "Resource": "*",
         "Condition": {"StringNotLike": {"aws:userid": "AROAEXAMPLE:"}}}]});
    assert!(matches!(
        decide_in(doc.clone(), "ecr:BatchGetImage", REPO, &context),
        Decision::ExplicitlyDenied { .. }
    ));
    let any_session = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
         "Condition": {"StringLike": {"aws:userid": "AROAEXAMPLE:*"}}}]});
    assert_eq!(
        decide_in(any_session, "ecr:BatchGetImage", REPO, &context),
        Decision::Allowed
    );
}
