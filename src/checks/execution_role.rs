//! The roles calls are made with: the task execution role (present when needed, exists,
//! trusted by ECS tasks) and, on EC2, the container instance's role; each allowed every action
//! the requirements list.

use serde_json::Value;

use super::catalog::Catalog;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{Role, TaskDefinition};
use crate::policy::{evaluate, Caller, Decision, NamedPolicy, Request};
use crate::workload::Permission;

const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";
const MANAGED_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const MANAGED_INSTANCE_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

/// What AmazonECSTaskExecutionRolePolicy and AmazonEC2ContainerServiceforEC2Role both grant of
/// the actions a pull needs.
const MANAGED_GRANTS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// Which role makes a call: the task's execution role, or (on EC2) the container instance's
/// role, which the agent and Docker's awslogs driver use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Execution,
    Instance,
}

impl RoleKind {
    fn label(self) -> &'static str {
        match self {
            RoleKind::Execution => "execution role",
            RoleKind::Instance => "container instance role",
        }
    }

    fn managed_policy(self) -> &'static str {
        match self {
            RoleKind::Execution => MANAGED_EXECUTION_POLICY,
            RoleKind::Instance => MANAGED_INSTANCE_POLICY,
        }
    }
}

/// What is known about one role that calls are made with.
pub enum RoleState<'a> {
    /// Usable: permission checks can run against its policies.
    Present {
        kind: RoleKind,
        role: &'a Role,
        policies: Vec<NamedPolicy<'a>>,
        /// Attached policies whose documents are not in the snapshot.
        missing_policies: Vec<String>,
    },
    /// Every requirement that needs the role carries this blocker.
    Broken(Blocker),
}

/// The role of an EC2 container instance's profile (`role_arn` from the profile). Its trust
/// is not checked: an instance that runs has got credentials from it.
pub fn instance_role<'a>(catalog: &Catalog<'a>, role_arn: &str) -> RoleState<'a> {
    match catalog.role(role_arn) {
        None => RoleState::Broken(Blocker::new(
            Code::NotCollected,
            role_arn,
            format!(
                "IAM roles were not collected, so container instance role {role_arn} cannot be checked{}",
                catalog.snapshot.why_not_collected("roles")
            ),
            "Collect IAM roles and policies (iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion).",
        )),
        Some(None) => RoleState::Broken(Blocker::new(
            Code::NotCollected,
            role_arn,
            format!("container instance role {role_arn} is not in the snapshot, so its permissions cannot be checked"),
            "Collect the instance profile's role (iam:GetInstanceProfile, iam:GetRole).",
        )),
        Some(Some(role)) => present(catalog, RoleKind::Instance, role),
    }
}

pub fn execution_role<'a>(
    catalog: &Catalog<'a>,
    task_definition: &TaskDefinition,
) -> RoleState<'a> {
    let snapshot = catalog.snapshot;
    let Some(arn) = &task_definition.execution_role_arn else {
        return RoleState::Broken(Blocker::new(
            Code::ExecutionRoleMissing,
            &task_definition.arn,
            format!(
                "task definition {} has no executionRoleArn, but pulling from private ECR, sending awslogs and reading secrets are done with the execution role",
                task_definition.arn
            ),
            format!(
                "Register a new revision of {} with executionRoleArn set to a role that trusts {ECS_TASKS} and has {MANAGED_EXECUTION_POLICY} attached.",
                task_definition.family.as_deref().unwrap_or(&task_definition.arn)
            ),
        ));
    };
    let Some(found) = catalog.role(arn) else {
        return RoleState::Broken(not_collected(catalog, arn, "IAM roles were not collected"));
    };
    let Some(role) = found else {
        return RoleState::Broken(Blocker::new(
            Code::ExecutionRoleNotFound,
            arn,
            format!("execution role {arn} of task definition {} does not exist", task_definition.arn),
            format!(
                "Create the role {} (trusting {ECS_TASKS}, with {MANAGED_EXECUTION_POLICY}) or point executionRoleArn at an existing execution role.",
                arn.rsplit('/').next().unwrap_or(arn)
            ),
        ));
    };
    if let Some(blocker) = trust_blocker(role, &snapshot.account_id, &snapshot.region) {
        return RoleState::Broken(blocker);
    }
    present(catalog, RoleKind::Execution, role)
}

/// A role found: its policies, and the attached ones the snapshot lacks.
fn present<'a>(catalog: &Catalog<'a>, kind: RoleKind, role: &'a Role) -> RoleState<'a> {
    let mut policies: Vec<NamedPolicy<'a>> = role
        .inline_policies
        .iter()
        .map(|p| NamedPolicy {
            name: &p.name,
            document: &p.document,
        })
        .collect();
    let mut missing_policies = Vec::new();
    for attached in &role.attached_policy_arns {
        match catalog.managed_policy(attached) {
            Some(policy) => policies.push(NamedPolicy {
                name: &policy.arn,
                document: &policy.document,
            }),
            None => missing_policies.push(attached.clone()),
        }
    }
    RoleState::Present {
        kind,
        role,
        policies,
        missing_policies,
    }
}

fn not_collected(catalog: &Catalog<'_>, resource: &str, why: &str) -> Blocker {
    Blocker::new(
        Code::NotCollected,
        resource,
        format!(
            "{why}, so the execution role cannot be checked{}",
            catalog.snapshot.why_not_collected("roles")
        ),
        "Collect IAM roles and policies (iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion).",
    )
}

/// The trust policy must let `ecs-tasks.amazonaws.com` call `sts:AssumeRole`.
fn trust_blocker(role: &Role, account: &str, region: &str) -> Option<Blocker> {
    let document = without_confused_deputy_conditions(&role.assume_role_policy, account, region);
    let policies = [NamedPolicy {
        name: "trust policy",
        document: &document,
    }];
    // ECS assumes the role as a service principal: account principals do not match it.
    let caller = Caller {
        arn: None,
        account: None,
        service: Some(ECS_TASKS.to_string()),
    };
    let request = Request {
        action: "sts:AssumeRole",
        resource: &role.arn,
        caller: Some(&caller),
    };
    let fix = format!(
        "aws iam update-assume-role-policy --role-name {} --policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{ECS_TASKS}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'",
        role.name
    );
    match evaluate(&policies, &request) {
        Decision::Allowed => None,
        Decision::ImplicitlyDenied | Decision::ExplicitlyDenied { .. } => Some(Blocker::new(
            Code::ExecutionRoleTrust,
            &role.arn,
            format!("the trust policy of {} does not let {ECS_TASKS} assume it (ECS: \"unable to assume the role\")", role.arn),
            fix,
        )),
        Decision::Unknown { reason } => Some(Blocker::new(
            Code::ConditionUnknown,
            &role.arn,
            format!("trust policy of {}: {reason}", role.arn),
            format!("Check that the condition holds when ECS assumes the role, or use the standard trust policy: {fix}"),
        )),
    }
}

/// AWS recommends `aws:SourceAccount` / `aws:SourceArn` conditions on service trust policies
/// (confused-deputy protection). What ECS sends for them is known (this account; an ECS ARN
/// in this region and account), so such conditions are decided here: a statement whose
/// condition certainly holds loses it, one whose condition certainly fails is dropped (it never
/// applies), and any other condition is kept (and makes the answer unknown).
fn without_confused_deputy_conditions(document: &Value, account: &str, region: &str) -> Value {
    let mut document = match document {
        // IAM returns policy documents as (URL-decoded) JSON text.
        Value::String(text) => match serde_json::from_str(text) {
            Ok(parsed) => parsed,
            Err(_) => return document.clone(),
        },
        other => other.clone(),
    };
    let decide = |statement: &Value| -> Option<Fact> {
        let operators = statement.get("Condition")?.as_object()?;
        let mut facts = Vec::new();
        for (operator, keys) in operators {
            let Some(keys) = keys.as_object() else {
                return Some(Fact::Unknown);
            };
            for (key, value) in keys {
                facts.push(ecs_condition(operator, key, value, account, region));
            }
        }
        // Conditions are ANDed.
        Some(if facts.contains(&Fact::Fails) {
            Fact::Fails
        } else if facts.iter().all(|f| *f == Fact::Holds) {
            Fact::Holds
        } else {
            Fact::Unknown
        })
    };
    match document.get_mut("Statement") {
        Some(Value::Array(items)) => {
            items.retain(|statement| decide(statement) != Some(Fact::Fails));
            for statement in items.iter_mut() {
                if decide(statement) == Some(Fact::Holds) {
                    if let Some(object) = statement.as_object_mut() {
                        object.remove("Condition");
                    }
                }
            }
        }
        Some(statement @ Value::Object(_)) => match decide(statement) {
            Some(Fact::Fails) => *statement = Value::Array(Vec::new()),
            Some(Fact::Holds) => {
                if let Some(object) = statement.as_object_mut() {
                    object.remove("Condition");
                }
            }
            _ => {}
        },
        _ => {}
    }
    document
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Holds,
    Fails,
    Unknown,
}

/// One condition key as ECS assuming the role for a task in `account`/`region` meets it.
fn ecs_condition(operator: &str, key: &str, value: &Value, account: &str, region: &str) -> Fact {
    let patterns: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => return Fact::Unknown,
    };
    let (negated, wildcard) = match operator {
        "StringEquals" | "ArnEquals" => (false, false),
        "StringLike" | "ArnLike" => (false, true),
        "StringNotEquals" | "ArnNotEquals" => (true, false),
        "StringNotLike" | "ArnNotLike" => (true, true),
        _ => return Fact::Unknown,
    };
    let matches = |pattern: &str, actual: &str| {
        if wildcard {
            wildmatch::WildMatch::new(pattern).matches(actual)
        } else {
            pattern == actual
        }
    };
    // Whether any value matches what ECS sends (a multi-valued condition is an OR).
    let positive = match key.to_ascii_lowercase().as_str() {
        "aws:sourceaccount" => {
            if patterns.iter().any(|p| matches(p, account)) {
                Fact::Holds
            } else {
                Fact::Fails
            }
        }
        "aws:sourcearn" => {
            // ECS's exact source ARN is not known, but it is an ECS ARN of this region and
            // account: a pattern matching any such ARN holds, one naming another service,
            // region or account fails.
            let fits_any = |p: &&str| {
                wildcard
                    && [
                        format!("arn:aws:ecs:{region}:{account}:task/c/t"),
                        format!("arn:aws:ecs:{region}:{account}:cluster/c"),
                    ]
                    .iter()
                    .all(|sample| matches(p, sample))
            };
            let could_fit = |p: &&str| {
                let fields: Vec<&str> = p.splitn(6, ':').collect();
                fields.len() == 6
                    && [(2, "ecs"), (3, region), (4, account)]
                        .iter()
                        .all(|(i, want)| matches(fields[*i], want))
            };
            if patterns.iter().any(fits_any) {
                Fact::Holds
            } else if patterns.iter().any(could_fit) {
                Fact::Unknown
            } else {
                Fact::Fails
            }
        }
        _ => return Fact::Unknown,
    };
    match (negated, positive) {
        (false, fact) => fact,
        (true, Fact::Holds) => Fact::Fails,
        (true, Fact::Fails) => Fact::Holds,
        (true, Fact::Unknown) => Fact::Unknown,
    }
}

/// Blockers for the role's permissions on `permissions` (identity policies only).
pub fn permission_blockers(state: &RoleState<'_>, permissions: &[Permission]) -> Vec<Blocker> {
    let (kind, role, policies, missing) = match state {
        RoleState::Broken(blocker) => return vec![blocker.clone()],
        RoleState::Present {
            kind,
            role,
            policies,
            missing_policies,
        } => (*kind, role, policies, missing_policies),
    };
    let label = kind.label();
    let mut blockers = Vec::new();
    for permission in permissions {
        let request = Request {
            action: &permission.action,
            resource: &permission.resource,
            caller: None,
        };
        let decision = evaluate(policies, &request);
        let what = format!("{} on {}", permission.action, permission.resource);
        match decision {
            // A policy that could not be read might deny: unknown, never pass.
            Decision::Allowed | Decision::ImplicitlyDenied if !missing.is_empty() => blockers.push(Blocker::new(
                Code::NotCollected,
                &role.arn,
                format!(
                    "{} has attached policies that were not collected ({}), so whether it may {what} is unknown",
                    role.arn,
                    missing.join(", ")
                ),
                "Collect the attached managed policies (iam:GetPolicy, iam:GetPolicyVersion).",
            )),
            Decision::Allowed => {}
            Decision::ImplicitlyDenied => blockers.push(Blocker::new(
                Code::PermissionMissing,
                &role.arn,
                format!("no policy of {label} {} allows {what}", role.arn),
                // The managed policies grant the ECR pull and the awslogs stream actions,
                // nothing else (not logs:CreateLogGroup, not a pull-through cache's import).
                if MANAGED_GRANTS.contains(&permission.action.as_str()) {
                    format!(
                        "Attach {} to role {} (covers ECR pulls and awslogs), or add an inline policy allowing {what}.",
                        kind.managed_policy(),
                        role.name
                    )
                } else {
                    format!(
                        "Add an inline policy to role {} allowing {what} (aws iam put-role-policy --role-name {} --policy-name … --policy-document …){}.",
                        role.name,
                        role.name,
                        if permission.action == "kms:Decrypt" {
                            "; the key policy must let IAM policies of the account grant it (the default key policy does)"
                        } else {
                            ""
                        }
                    )
                },
            )),
            Decision::ExplicitlyDenied { policy, sid } => blockers.push(Blocker::new(
                Code::PermissionDenied,
                &role.arn,
                format!(
                    "policy `{policy}`{} of {label} {} explicitly denies {what}",
                    sid.map_or(String::new(), |s| format!(" (statement `{s}`)")),
                    role.arn
                ),
                format!("Remove or narrow the Deny statement in `{policy}` so it no longer matches {what}."),
            )),
            Decision::Unknown { reason } => blockers.push(Blocker::new(
                Code::ConditionUnknown,
                &role.arn,
                format!("{label} {} and {what}: {reason}", role.arn),
                "Check that the condition holds for the task's calls, or grant the action without it.",
            )),
        }
    }
    blockers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trust(condition: Value) -> Value {
        json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole", "Condition": condition}]})
    }

    fn outcome(condition: Value) -> Option<Code> {
        let role = Role {
            arn: "arn:aws:iam::123456789012:role/exec".into(),
            name: "exec".into(),
            assume_role_policy: trust(condition),
            inline_policies: Vec::new(),
            attached_policy_arns: Vec::new(),
        };
        trust_blocker(&role, "123456789012", "us-east-1").map(|b| b.code)
    }

    #[test]
    fn recommended_confused_deputy_conditions_hold() {
        assert_eq!(
            outcome(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}})),
            None
        );
        assert_eq!(
            outcome(json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}})),
            None
        );
        assert_eq!(
            outcome(
                json!({"StringEquals": {"aws:SourceAccount": "123456789012"}, "ArnLike": {"aws:SourceArn": "arn:aws:ecs:*:123456789012:*"}})
            ),
            None
        );
    }

    #[test]
    fn conditions_ecs_can_never_meet_fail_the_trust() {
        assert_eq!(
            outcome(json!({"StringEquals": {"aws:SourceAccount": "999999999999"}})),
            Some(Code::ExecutionRoleTrust)
        );
        assert_eq!(
            outcome(json!({"StringNotEquals": {"aws:SourceAccount": "123456789012"}})),
            Some(Code::ExecutionRoleTrust)
        );
        assert_eq!(
            outcome(json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*"}})),
            Some(Code::ExecutionRoleTrust)
        );
    }

    #[test]
    fn other_conditions_are_unknown() {
        assert_eq!(
            outcome(
                json!({"ArnEquals": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod"}})
            ),
            Some(Code::ConditionUnknown)
        );
        assert_eq!(
            outcome(json!({"Bool": {"aws:SecureTransport": "true"}})),
            Some(Code::ConditionUnknown)
        );
    }

    #[test]
    fn trust_policy_as_json_text() {
        let role = Role {
            arn: "arn:aws:iam::123456789012:role/exec".into(),
            name: "exec".into(),
            assume_role_policy: Value::String(
                trust(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}})).to_string(),
            ),
            inline_policies: Vec::new(),
            attached_policy_arns: Vec::new(),
        };
        assert_eq!(
            trust_blocker(&role, "123456789012", "us-east-1").map(|b| b.code),
            None
        );
    }
}
