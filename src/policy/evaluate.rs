//! Deciding one request against a set of policies.

use serde_json::Value;
use wildmatch::WildMatch;

use super::document::{parse_statements, Principal, Statement, StatementEffect};

/// A policy document with a name for messages (policy ARN, inline name, "endpoint policy"…).
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    pub name: &'a str,
    pub document: &'a Value,
}

/// Who makes the call, for statements that name principals.
#[derive(Debug, Clone)]
pub struct Caller {
    /// e.g. `arn:aws:iam::123456789012:role/web-execution`.
    pub arn: Option<String>,
    /// The caller's account; `None` for a service principal (which belongs to no account).
    pub account: Option<String>,
    /// For service principals (trust policies): e.g. `ecs-tasks.amazonaws.com`.
    pub service: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// `None` for identity policies, whose statements name no principal.
    pub caller: Option<&'a Caller>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// No statement allows it.
    ImplicitlyDenied,
    ExplicitlyDenied {
        policy: String,
        sid: Option<String>,
    },
    /// A `Condition` (or a malformed document) decides, and it cannot be evaluated here.
    Unknown {
        reason: String,
    },
}

/// Evaluates `request` against `policies` as IAM does within one policy type: an explicit deny
/// anywhere wins, otherwise any allow allows.
pub fn evaluate(policies: &[NamedPolicy<'_>], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    let mut conditional_allow: Option<String> = None;
    let mut conditional_deny: Option<String> = None;
    for policy in policies {
        let statements = match parse_statements(policy.document) {
            Ok(statements) => statements,
            Err(e) => {
                return Decision::Unknown {
                    reason: format!("policy `{}` cannot be read: {e}", policy.name),
                }
            }
        };
        for statement in statements.iter().filter(|s| applies(s, request)) {
            let label = describe(policy.name, statement);
            // A role calls as an assumed-role *session*. Deny+NotPrincipal exempts it only when
            // the session ARN is listed (listing the role ARN is not enough), and ECS's
            // session name cannot be known offline: a listed session makes it unknown.
            let exempt_session = statement.not_principal
                && statement.effect == StatementEffect::Deny
                && lists_a_session_of(statement, request.caller);
            let conditional = statement.has_condition || exempt_session;
            match (statement.effect, conditional) {
                (StatementEffect::Deny, false) => {
                    return Decision::ExplicitlyDenied {
                        policy: policy.name.to_string(),
                        sid: statement.sid.clone(),
                    }
                }
                (StatementEffect::Deny, true) if exempt_session && !statement.has_condition => {
                    conditional_deny = Some(format!(
                        "{label} denies it to every principal outside its NotPrincipal, which lists a session of the role whose name ECS chooses, so it"
                    ))
                }
                (StatementEffect::Deny, true) => {
                    conditional_deny = Some(format!("{label} denies it under a condition that cannot be evaluated offline; it"))
                }
                (StatementEffect::Allow, false) => allowed = true,
                (StatementEffect::Allow, true) => conditional_allow = Some(label),
            }
        }
    }
    match (allowed, conditional_allow, conditional_deny) {
        (_, _, Some(deny)) if allowed => Decision::Unknown {
            reason: format!("{deny} may or may not apply"),
        },
        (true, _, _) => Decision::Allowed,
        (false, Some(allow), _) => Decision::Unknown {
            reason: format!(
                "{allow} allows it only under a condition that cannot be evaluated offline"
            ),
        },
        (false, None, _) => Decision::ImplicitlyDenied,
    }
}

fn describe(policy: &str, statement: &Statement) -> String {
    match &statement.sid {
        Some(sid) => format!("statement `{sid}` of `{policy}`"),
        None => format!("a statement of `{policy}`"),
    }
}

fn applies(statement: &Statement, request: &Request<'_>) -> bool {
    let action_listed = statement
        .actions
        .iter()
        .any(|p| WildMatch::new_case_insensitive(p).matches(request.action));
    if action_listed == statement.not_action {
        return false;
    }
    // A statement without a resource element (trust policies) applies to any resource.
    if !statement.resources.is_empty() || statement.not_resource {
        let resource_listed = statement
            .resources
            .iter()
            .any(|p| WildMatch::new(p).matches(request.resource));
        if resource_listed == statement.not_resource {
            return false;
        }
    }
    match (&statement.principal, request.caller) {
        (None, _) => true,
        (Some(_), None) => true,
        (Some(principal), Some(caller)) => {
            let listed = principal_matches(principal, caller);
            // Deny + NotPrincipal listing a role: applies unless the session is exempt, which
            // `evaluate` treats as unknown.
            let role_session = statement.not_principal
                && statement.effect == StatementEffect::Deny
                && caller
                    .arn
                    .as_deref()
                    .is_some_and(|arn| arn.contains(":role/"));
            role_session || listed != statement.not_principal
        }
    }
}

/// Does the statement's (Not)Principal list an assumed-role session of the caller's role
/// (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`)?
fn lists_a_session_of(statement: &Statement, caller: Option<&Caller>) -> bool {
    let Some(Principal::Listed { aws, .. }) = &statement.principal else {
        return false;
    };
    let Some((account, role)) = caller.and_then(|c| {
        let arn = c.arn.as_deref()?;
        let (_, name) = arn.split_once(":role/")?;
        Some((c.account.clone()?, name.rsplit('/').next()?.to_string()))
    }) else {
        return false;
    };
    let prefix = format!("arn:aws:sts::{account}:assumed-role/{role}/");
    aws.iter().any(|p| p.starts_with(&prefix))
}

fn principal_matches(principal: &Principal, caller: &Caller) -> bool {
    match principal {
        Principal::Anyone => true,
        Principal::Listed { aws, service } => {
            let account = caller.account.as_deref();
            let aws_match = aws.iter().any(|p| {
                account.is_some_and(|a| p == a || *p == format!("arn:aws:iam::{a}:root"))
                    || caller.arn.as_deref() == Some(p.as_str())
            });
            let service_match = caller
                .service
                .as_deref()
                .is_some_and(|s| service.iter().any(|p| p == s));
            aws_match || service_match
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decide(document: Value, action: &str, resource: &str) -> Decision {
        let policies = [NamedPolicy {
            name: "p",
            document: &document,
        }];
        evaluate(
            &policies,
            &Request {
                action,
                resource,
                caller: None,
            },
        )
    }

    const REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/web";

    #[test]
    fn wildcard_action_and_resource_allow() {
        let doc =
            json!({"Statement": [{"Effect": "Allow", "Action": "ecr:Batch*", "Resource": "*"}]});
        assert_eq!(
            decide(doc.clone(), "ecr:BatchGetImage", REPO),
            Decision::Allowed
        );
        assert_eq!(
            decide(doc, "ecr:GetAuthorizationToken", "*"),
            Decision::ImplicitlyDenied
        );
    }

    #[test]
    fn actions_are_case_insensitive_resources_are_not() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "ECR:batchgetimage", "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/Web"}});
        assert_eq!(
            decide(doc, "ecr:BatchGetImage", REPO),
            Decision::ImplicitlyDenied
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
            Decision::ImplicitlyDenied
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
                sid: Some("NoPull".into())
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
            Decision::ImplicitlyDenied
        );
        assert_eq!(
            decide(
                doc,
                "ecr:BatchGetImage",
                "arn:aws:ecr:us-east-1:1:repository/secrets"
            ),
            Decision::ImplicitlyDenied
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
        let policies = [NamedPolicy {
            name: "repo",
            document: &doc,
        }];
        let ours = Caller {
            arn: Some("arn:aws:iam::111111111111:role/x".into()),
            account: Some("111111111111".into()),
            service: None,
        };
        let theirs = Caller {
            arn: None,
            account: Some("222222222222".into()),
            service: None,
        };
        let request = |caller| Request {
            action: "ecr:BatchGetImage",
            resource: REPO,
            caller: Some(caller),
        };
        assert_eq!(evaluate(&policies, &request(&ours)), Decision::Allowed);
        assert_eq!(
            evaluate(&policies, &request(&theirs)),
            Decision::ImplicitlyDenied
        );
    }

    #[test]
    fn deny_not_principal_exempts_a_role_only_through_its_session() {
        let allow_all =
            json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"});
        let deny_others = |listed: Value| json!({"Statement": [allow_all.clone(), {"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "ecr:*", "Resource": "*"}]});
        let role = Caller {
            arn: Some("arn:aws:iam::111111111111:role/exec".into()),
            account: Some("111111111111".into()),
            service: None,
        };
        let decide_for = |doc: &Value| {
            evaluate(
                &[NamedPolicy {
                    name: "endpoint",
                    document: doc,
                }],
                &Request {
                    action: "ecr:BatchGetImage",
                    resource: REPO,
                    caller: Some(&role),
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
        };
        let decision = evaluate(
            &[NamedPolicy {
                name: "trust",
                document: &doc,
            }],
            &Request {
                action: "sts:AssumeRole",
                resource: "arn:aws:iam::111111111111:role/x",
                caller: Some(&ecs),
            },
        );
        assert_eq!(decision, Decision::ImplicitlyDenied);
    }

    #[test]
    fn malformed_policy_is_unknown_not_allowed() {
        assert!(matches!(
            decide(json!({"Version": "2012-10-17"}), "ecr:BatchGetImage", REPO),
            Decision::Unknown { .. }
        ));
        assert!(matches!(
            decide(json!("{not json"), "ecr:BatchGetImage", REPO),
            Decision::Unknown { .. }
        ));
    }

    #[test]
    fn policy_given_as_json_text_is_parsed() {
        let text = json!(r#"{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}"#);
        assert_eq!(decide(text, "ecr:BatchGetImage", REPO), Decision::Allowed);
    }
}
