//! The task execution role: present when needed, exists, trusted by ECS tasks, and allowed
//! every action the requirements list.

use serde_json::Value;

use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{Role, Snapshot, TaskDefinition};
use crate::policy::{evaluate, Caller, Decision, NamedPolicy, Request};
use crate::workload::Permission;

const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";
const MANAGED_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// What is known about the execution role of one task definition.
pub enum RoleState<'a> {
    /// Usable: permission checks can run against its policies.
    Present {
        role: &'a Role,
        policies: Vec<NamedPolicy<'a>>,
        /// Attached policies whose documents are not in the snapshot.
        missing_policies: Vec<String>,
    },
    /// Every requirement that needs the role carries this blocker.
    Broken(Blocker),
}

pub fn execution_role<'a>(
    snapshot: &'a Snapshot,
    task_definition: &TaskDefinition,
) -> RoleState<'a> {
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
    let Some(roles) = &snapshot.roles else {
        return RoleState::Broken(not_collected(arn, "IAM roles were not collected"));
    };
    let Some(role) = roles.iter().find(|r| &r.arn == arn) else {
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
    if let Some(blocker) = trust_blocker(role, &snapshot.account_id) {
        return RoleState::Broken(blocker);
    }
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
        match snapshot
            .managed_policies
            .iter()
            .flatten()
            .find(|p| &p.arn == attached)
        {
            Some(policy) => policies.push(NamedPolicy {
                name: &policy.arn,
                document: &policy.document,
            }),
            None => missing_policies.push(attached.clone()),
        }
    }
    RoleState::Present {
        role,
        policies,
        missing_policies,
    }
}

fn not_collected(resource: &str, why: &str) -> Blocker {
    Blocker::new(
        Code::NotCollected,
        resource,
        format!("{why}, so the execution role cannot be checked"),
        "Collect IAM roles and policies (iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion).",
    )
}

/// The trust policy must let `ecs-tasks.amazonaws.com` call `sts:AssumeRole`.
fn trust_blocker(role: &Role, account: &str) -> Option<Blocker> {
    let document = without_confused_deputy_conditions(&role.assume_role_policy, account);
    let policies = [NamedPolicy {
        name: "trust policy",
        document: &document,
    }];
    let caller = Caller {
        arn: None,
        account: account.to_string(),
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
/// (confused-deputy protection). ECS satisfies them when they name this account, so such a
/// condition is dropped before evaluation instead of making the answer unknown.
fn without_confused_deputy_conditions(document: &Value, account: &str) -> Value {
    let mut document = document.clone();
    let statements = match document.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect::<Vec<_>>(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => return document,
    };
    for statement in statements {
        let satisfied = statement
            .get("Condition")
            .and_then(Value::as_object)
            .is_some_and(|operators| {
                operators.values().all(|keys| {
                    keys.as_object().is_some_and(|keys| {
                        keys.iter()
                            .all(|(key, value)| names_account(key, value, account))
                    })
                })
            });
        if satisfied {
            if let Some(object) = statement.as_object_mut() {
                object.remove("Condition");
            }
        }
    }
    document
}

fn names_account(key: &str, value: &Value, account: &str) -> bool {
    let values: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => return false,
    };
    match key.to_ascii_lowercase().as_str() {
        "aws:sourceaccount" => values.iter().all(|v| *v == account),
        "aws:sourcearn" => values.iter().all(|v| {
            v.split(':')
                .nth(4)
                .is_some_and(|a| a == account || a == "*")
        }),
        _ => false,
    }
}

/// Blockers for the role's permissions on `permissions` (identity policies only).
pub fn permission_blockers(state: &RoleState<'_>, permissions: &[Permission]) -> Vec<Blocker> {
    let (role, policies, missing) = match state {
        RoleState::Broken(blocker) => return vec![blocker.clone()],
        RoleState::Present {
            role,
            policies,
            missing_policies,
        } => (role, policies, missing_policies),
    };
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
                format!("no policy of execution role {} allows {what}", role.arn),
                format!(
                    "Attach {MANAGED_EXECUTION_POLICY} to role {} (covers ECR pulls and awslogs), or add an inline policy allowing {what}.",
                    role.name
                ),
            )),
            Decision::ExplicitlyDenied { policy, sid } => blockers.push(Blocker::new(
                Code::PermissionDenied,
                &role.arn,
                format!(
                    "policy `{policy}`{} of execution role {} explicitly denies {what}",
                    sid.map_or(String::new(), |s| format!(" (statement `{s}`)")),
                    role.arn
                ),
                format!("Remove or narrow the Deny statement in `{policy}` so it no longer matches {what}."),
            )),
            Decision::Unknown { reason } => blockers.push(Blocker::new(
                Code::ConditionUnknown,
                &role.arn,
                format!("execution role {} and {what}: {reason}", role.arn),
                "Check that the condition holds for the task's calls, or grant the action without it.",
            )),
        }
    }
    blockers
}
