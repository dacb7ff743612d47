//! The roles calls are made with: the task execution role (present when needed, exists,
//! trusted by ECS tasks) and, on EC2, the container instance's role; each allowed every action
//! the requirements list.

use std::rc::Rc;

use super::catalog::Catalog;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change};
use crate::model::{Role, TaskDefinition};
use crate::policy::{evaluate, keys, Caller, Context, Decision, Policy, Request};
use crate::workload::Permission;

const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";
const MANAGED_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const MANAGED_INSTANCE_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

/// What AmazonECSTaskExecutionRolePolicy and AmazonEC2ContainerServiceforEC2Role both grant of
/// the actions a pull needs.
pub(crate) const MANAGED_GRANTS: &[&str] = &[
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
        policies: Vec<Rc<Policy>>,
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

/// `clock`: the audit's time keys, for conditions on them.
pub fn execution_role<'a>(
    catalog: &Catalog<'a>,
    task_definition: &TaskDefinition,
    clock: &Context,
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
    let untrusted = match &task_definition.execution_role_principal {
        None => trust_blocker(catalog, role, &snapshot.account_id, &snapshot.region, clock),
        Some(principal) => service_trust_blocker(
            catalog,
            role,
            &TrustingService {
                service: &principal.service,
                source_arn: principal.source_arn_prefix.clone(),
                account: &snapshot.account_id,
                refusal: "it cannot run the workload with it",
            },
            clock,
        ),
    };
    if let Some(blocker) = untrusted {
        return RoleState::Broken(blocker);
    }
    present(catalog, RoleKind::Execution, role)
}

/// A role found: its policies, and the attached ones the snapshot lacks.
fn present<'a>(catalog: &Catalog<'a>, kind: RoleKind, role: &'a Role) -> RoleState<'a> {
    let (policies, missing_policies) = catalog.role_policies(role);
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

/// The trust policy must let `ecs-tasks.amazonaws.com` call `sts:AssumeRole`. ECS assumes the
/// role as a service principal, with the confused-deputy keys AWS recommends guarding it with:
/// `aws:SourceAccount` (this account) and `aws:SourceArn` (an ECS ARN of this region and
/// account; which one is not known) ("Amazon ECS task execution IAM role"; see
/// [`keys::service_principal`]).
fn trust_blocker(
    catalog: &Catalog<'_>,
    role: &Role,
    account: &str,
    region: &str,
    clock: &Context,
) -> Option<Blocker> {
    service_trust_blocker(
        catalog,
        role,
        &TrustingService {
            service: ECS_TASKS,
            source_arn: format!("arn:aws:ecs:{region}:{account}:"),
            account,
            refusal: "ECS: \"unable to assume the role\"",
        },
        clock,
    )
}

/// The service principal that must be able to assume a role, and how it does.
pub(super) struct TrustingService<'s> {
    /// `ecs-tasks.amazonaws.com`, `eks-fargate-pods.amazonaws.com`.
    pub service: &'s str,
    /// The prefix of the `aws:SourceArn` it assumes the role with (which resource exactly is
    /// not known).
    pub source_arn: String,
    pub account: &'s str,
    /// What the service says when it cannot.
    pub refusal: &'s str,
}

/// As [`trust_blocker`], for any service principal.
pub(super) fn service_trust_blocker(
    catalog: &Catalog<'_>,
    role: &Role,
    trusting: &TrustingService<'_>,
    clock: &Context,
) -> Option<Blocker> {
    let TrustingService {
        service,
        source_arn,
        account,
        refusal,
    } = trusting;
    let service = *service;
    let policy = catalog.trust_policy(role);
    let mut context = keys::service_principal(service, account, source_arn);
    context.extend(clock);
    // ECS assumes the role as a service principal: account principals do not match it.
    let caller = Caller {
        service: Some(service.to_string()),
        ..Caller::default()
    };
    let request = Request {
        action: "sts:AssumeRole",
        resource: &role.arn,
        caller: Some(&caller),
        context: &context,
    };
    let fix = format!(
        "aws iam update-assume-role-policy --role-name {} --policy-document '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{service}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'",
        role.name
    );
    let decision = evaluate(&[policy.as_ref()], &request);
    let because = decision.because();
    match decision {
        Decision::Allowed => None,
        Decision::ImplicitlyDenied { .. } | Decision::ExplicitlyDenied { .. } => Some(Blocker::new(
            Code::ExecutionRoleTrust,
            &role.arn,
            format!("the trust policy of {} does not let {service} assume it ({refusal}){because}", role.arn),
            fix,
        )),
        Decision::Unreadable { reason } => Some(Blocker::policy_unreadable(
            &role.arn,
            &format!("the trust policy of {}", role.arn),
            &reason,
        )),
        Decision::Unknown { reason } => Some(Blocker::new(
            Code::ConditionUnknown,
            &role.arn,
            format!("trust policy of {}: {reason}", role.arn),
            format!("Check that the condition holds when {service} assumes the role, or use the standard trust policy: {fix}"),
        )),
    }
}

/// Blockers for the role's permissions on `permissions` (identity policies only), each
/// decided in every request context `contexts_of` gives for it (one per way the call reaches
/// AWS; a blocker any of them meets counts).
pub fn permission_blockers(
    state: &RoleState<'_>,
    permissions: &[Permission],
    contexts_of: &dyn Fn(&Permission) -> Vec<Context>,
) -> Vec<Blocker> {
    let (kind, role, policies, missing) = match state {
        RoleState::Broken(blocker) => return vec![blocker.clone()],
        RoleState::Present {
            kind,
            role,
            policies,
            missing_policies,
        } => (*kind, role, policies, missing_policies),
    };
    let mut blockers = Vec::new();
    let policies: Vec<&Policy> = policies.iter().map(Rc::as_ref).collect();
    let uses_context = policies.iter().any(|p| p.uses_context());
    for permission in permissions {
        let mut contexts = contexts_of(permission);
        if !uses_context {
            contexts.truncate(1); // no condition or variable: every context decides alike
        }
        for context in &contexts {
            let request = Request {
                action: &permission.action,
                resource: &permission.resource,
                caller: None,
                context,
            };
            let decision = evaluate(&policies, &request);
            if let Some(blocker) = decision_blockers(kind, role, missing, permission, decision) {
                if !blockers.contains(&blocker) {
                    blockers.push(blocker);
                }
            }
        }
    }
    blockers
}

/// What one decision on one permission of the role blocks.
fn decision_blockers(
    kind: RoleKind,
    role: &Role,
    missing: &[String],
    permission: &Permission,
    decision: Decision,
) -> Option<Blocker> {
    let label = kind.label();
    let what = format!("{} on {}", permission.action, permission.resource);
    let because = decision.because();
    match decision {
        // A policy that could not be read might deny: unknown, never pass.
        Decision::Allowed | Decision::ImplicitlyDenied { .. } if !missing.is_empty() => Some(Blocker::new(
            Code::NotCollected,
            &role.arn,
            format!(
                "{} has attached policies that were not collected ({}), so whether it may {what} is unknown",
                role.arn,
                missing.join(", ")
            ),
            "Collect the attached managed policies (iam:GetPolicy, iam:GetPolicyVersion).",
        )),
        Decision::Allowed => None,
        Decision::ImplicitlyDenied { unmet, .. } => Some({
            // Attaching the managed policy grants the action unless a condition was unmet
            // (then the statement that allows it is on another path).
            let remedy = if unmet.is_empty() && MANAGED_GRANTS.contains(&permission.action.as_str()) {
                vec![Alternative::direct(Change::AttachRolePolicy {
                    role_name: role.name.clone(),
                    policy_arn: kind.managed_policy().to_string(),
                })]
            } else {
                Vec::new()
            };
            Blocker::new(
            Code::PermissionMissing,
            &role.arn,
            format!("no policy of {label} {} allows {what}{because}", role.arn),
            if !unmet.is_empty() {
                // A statement would allow it, on a path the call does not take.
                format!("Make the call meet the condition of the statement that allows it (for aws:SourceVpce or aws:SourceVpc: give the subnets a path through that VPC endpoint), or allow {what} to role {} without it.", role.name)
            // The managed policies grant the ECR pull and the awslogs stream actions,
            // nothing else (not logs:CreateLogGroup, not a pull-through cache's import).
            } else if MANAGED_GRANTS.contains(&permission.action.as_str()) {
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
        ).with_remedy(remedy)
        }),
        Decision::ExplicitlyDenied { policy, sid, .. } => Some(Blocker::new(
            Code::PermissionDenied,
            &role.arn,
            format!(
                "policy `{policy}`{} of {label} {} explicitly denies {what}{because}",
                sid.as_ref().map_or(String::new(), |s| format!(" (statement `{s}`)")),
                role.arn
            ),
            format!(
                "Remove or narrow the Deny statement{} in `{policy}` so it no longer matches {what}{}.",
                sid.map_or(String::new(), |s| format!(" `{s}`")),
                if because.is_empty() { "" } else { ", or make the call meet its condition (see the message)" }
            ),
        )),
        Decision::Unreadable { reason } => Some(Blocker::policy_unreadable(
            &role.arn,
            &format!("{label} {} and {what}", role.arn),
            &reason,
        )),
        Decision::Unknown { reason } => Some(Blocker::new(
            Code::ConditionUnknown,
            &role.arn,
            format!("{label} {} and {what}: {reason}", role.arn),
            "Check that the condition holds for the task's calls, or grant the action without it.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Snapshot;
    use serde_json::{json, Value};

    fn check_trust(role: &Role) -> Option<Blocker> {
        let snapshot: Snapshot = serde_json::from_value(
            json!({"snapshot_version": 1, "account_id": "123456789012", "region": "us-east-1"}),
        )
        .unwrap();
        let catalog = Catalog::new(&snapshot);
        trust_blocker(&catalog, role, "123456789012", "us-east-1", &Context::new())
    }

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
            role_id: None,
            tags: None,
        };
        check_trust(&role).map(|b| b.code)
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
            role_id: None,
            tags: None,
        };
        assert_eq!(check_trust(&role).map(|b| b.code), None);
    }
}
