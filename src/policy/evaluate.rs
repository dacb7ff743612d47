//! Deciding one request against a set of policies of one type, as IAM does: an explicit deny
//! wins, otherwise an allow allows ("Policy evaluation logic":
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
//! Every statement is decided three-valued against the request context: a statement whose
//! condition pullpath cannot decide makes the answer unknown only where it could change it.

use super::condition::{evaluate_conditions, Outcome};
use super::context::Context;
use super::document::{Policy, Principal, Statement, StatementEffect};
use super::glob::Glob;
use super::variables::Resolved;
use super::Truth;

/// Who makes the call, for statements that name principals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// e.g. `arn:aws:iam::123456789012:role/web-execution`.
    pub arn: Option<String>,
    /// The caller's account; `None` for a service principal (which belongs to no account).
    pub account: Option<String>,
    /// For service principals (trust policies): e.g. `ecs-tasks.amazonaws.com`.
    pub service: Option<String>,
    /// What the caller's requests carry whatever their path: the principal's condition keys
    /// (see [`super::keys`]) and the audit's clock; a call's own keys go on top of it.
    pub keys: std::rc::Rc<Context>,
}

#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// `None` for identity policies, whose statements name no principal.
    pub caller: Option<&'a Caller>,
    /// What the request carries for condition keys and policy variables.
    pub context: &'a Context,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// No statement allows it. `unmet`: statements that would allow it, but whose condition
    /// the request does not meet (with the facts that decided it). `undecided`: Deny
    /// statements that may apply (a condition pullpath cannot decide) — irrelevant where the
    /// implicit deny already denies, but a same-account resource policy's implicit deny
    /// leaves the call to the identity policy, and there an undecided Deny still may deny.
    ImplicitlyDenied {
        unmet: Vec<String>,
        undecided: Vec<String>,
    },
    ExplicitlyDenied {
        policy: String,
        sid: Option<String>,
        /// The request facts that made the statement's condition hold ("aws:SourceVpce is
        /// absent (…)"); empty for an unconditional statement.
        facts: Vec<String>,
    },
    /// A condition, a policy variable or a malformed document decides, and the request
    /// context does not tell; `reason` names what is missing.
    Unknown {
        reason: String,
    },
    /// A policy that could decide cannot be read (IAM would refuse it as written), and no
    /// readable explicit deny decides first; `reason` names each policy and what is wrong.
    Unreadable {
        reason: String,
    },
}

impl Decision {
    /// ImplicitlyDenied without unmet statements.
    pub fn implicitly_denied() -> Decision {
        Decision::ImplicitlyDenied {
            unmet: Vec::new(),
            undecided: Vec::new(),
        }
    }

    /// What decided a denial, to end a message with: ", because aws:SourceVpce is absent (…)"
    /// for a conditional Deny, "; statement `S` … allows it only under a condition the call
    /// does not meet: …" for unmet Allows; empty otherwise.
    pub fn because(&self) -> String {
        match self {
            Decision::ExplicitlyDenied { facts, .. } if !facts.is_empty() => {
                format!(", because {}", facts.join(" and "))
            }
            Decision::ImplicitlyDenied { unmet, .. } if !unmet.is_empty() => {
                format!("; {}", unmet.join("; "))
            }
            _ => String::new(),
        }
    }
}

/// Evaluates `request` against `policies` as IAM does within one policy type: an explicit deny
/// anywhere wins, otherwise any allow allows.
pub fn evaluate(policies: &[&Policy], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    let mut conditional_allow: Vec<String> = Vec::new();
    let mut conditional_deny: Vec<String> = Vec::new();
    let mut unmet: Vec<String> = Vec::new();
    // A policy that cannot be read may allow or deny anything: only a readable explicit deny
    // still decides.
    let mut unreadable: Vec<String> = Vec::new();
    for policy in policies {
        let statements = match policy.statements() {
            Ok(statements) => statements,
            Err(e) => {
                unreadable.push(format!("policy `{}` cannot be read: {e}", policy.name));
                continue;
            }
        };
        for statement in statements {
            let label = describe(&policy.name, statement);
            let Some(Outcome { truth, facts }) = applies(statement, request) else {
                continue; // action, resource or principal do not match
            };
            // A role calls as an assumed-role *session*. Deny+NotPrincipal exempts it only when
            // the session ARN is listed (listing the role ARN is not enough), and ECS's
            // session name cannot be known offline: a listed session makes it unknown.
            let exempt_session = statement.not_principal
                && statement.effect == StatementEffect::Deny
                && lists_a_session_of(statement, request.caller);
            let truth = if exempt_session {
                truth.and(Truth::unknown(
                    "its NotPrincipal lists a session of the role, whose name ECS chooses",
                ))
            } else {
                truth
            };
            match (statement.effect, truth) {
                (StatementEffect::Deny, Truth::True) => {
                    return Decision::ExplicitlyDenied {
                        policy: policy.name.clone(),
                        sid: statement.sid.clone(),
                        facts,
                    }
                }
                (StatementEffect::Deny, Truth::Unknown(reasons)) => conditional_deny.push(format!(
                    "{label} denies it under a condition pullpath cannot decide ({})",
                    reasons.join("; ")
                )),
                (StatementEffect::Allow, Truth::True) => allowed = true,
                (StatementEffect::Allow, Truth::Unknown(reasons)) => {
                    conditional_allow.push(format!(
                        "{label} allows it only under a condition pullpath cannot decide ({})",
                        reasons.join("; ")
                    ))
                }
                (StatementEffect::Allow, Truth::False) if !facts.is_empty() => unmet.push(format!(
                    "{label} allows it only under a condition the call does not meet: {}",
                    facts.join("; ")
                )),
                (_, Truth::False) => {}
            }
        }
    }
    if !unreadable.is_empty() {
        return Decision::Unreadable {
            reason: unreadable.join("; "),
        };
    }
    if !conditional_deny.is_empty() && (allowed || !conditional_allow.is_empty()) {
        return Decision::Unknown {
            reason: conditional_deny.join("; "),
        };
    }
    if allowed {
        Decision::Allowed
    } else if !conditional_allow.is_empty() {
        Decision::Unknown {
            reason: conditional_allow.join("; "),
        }
    } else {
        Decision::ImplicitlyDenied {
            unmet,
            undecided: conditional_deny,
        }
    }
}

fn describe(policy: &str, statement: &Statement) -> String {
    match &statement.sid {
        Some(sid) => format!("statement `{sid}` of `{policy}`"),
        None => format!("a statement of `{policy}`"),
    }
}

/// Whether the statement applies: `None` when its action, resource or principal do not
/// match; otherwise its condition's outcome (with the resource's, when a policy variable in
/// it is not known).
fn applies(statement: &Statement, request: &Request<'_>) -> Option<Outcome> {
    let action_listed = statement
        .actions
        .iter()
        .any(|p| p.matches(request.action, true));
    if action_listed == statement.not_action {
        return None;
    }
    let mut resource_truth = Truth::True;
    // A statement without a resource element (trust policies) applies to any resource.
    if !statement.resources.is_empty() || statement.not_resource {
        resource_truth = resource_applies(statement, request);
        if resource_truth == Truth::False {
            return None;
        }
    }
    if let (Some(principal), Some(caller)) = (&statement.principal, request.caller) {
        let listed = principal_matches(principal, caller);
        // Deny + NotPrincipal listing a role: applies unless the session is exempt, which
        // `evaluate` treats as unknown.
        let role_session = statement.not_principal
            && statement.effect == StatementEffect::Deny
            && caller
                .arn
                .as_deref()
                .is_some_and(|arn| arn.contains(":role/"));
        if !(role_session || listed != statement.not_principal) {
            return None;
        }
    }
    let mut outcome = evaluate_conditions(&statement.conditions, request.context);
    outcome.truth = resource_truth.and(outcome.truth);
    Some(outcome)
}

/// Whether the statement's `Resource` (or `NotResource`) covers the request's resource.
///
/// AWS documents policy variables only in the resource part of an ARN ("You can't use a
/// variable to replace parts of the ARN before the fifth colon"): whether one in the account
/// or region is replaced, or read as text, is not documented. Such a statement is decided both
/// ways: a Deny applies if either reading applies (never a false pass), an Allow only if both
/// do, and is unknown when they differ.
fn resource_applies(statement: &Statement, request: &Request<'_>) -> Truth {
    let applies = |literal: bool| {
        let listed = Truth::any(statement.resources.iter().map(|template| {
            if literal && template.variable_before_resource_part {
                return Truth::of(Glob::new(&template.raw).matches(request.resource, false));
            }
            match template.resolve(request.context) {
                Resolved::Pattern(glob) => Truth::of(glob.matches(request.resource, false)),
                // A variable whose key the request lacks matches nothing ("the resource that
                // includes a policy variable with no value will not match any resource").
                Resolved::Absent { .. } => Truth::False,
                Resolved::Unknown { why } => Truth::unknown(why),
            }
        }));
        if statement.not_resource {
            listed.not()
        } else {
            listed
        }
    };
    let substituted = applies(false);
    if !statement
        .resources
        .iter()
        .any(|t| t.variable_before_resource_part)
    {
        return substituted;
    }
    let literal = applies(true);
    match statement.effect {
        StatementEffect::Deny => substituted.or(literal),
        StatementEffect::Allow if substituted == literal => substituted,
        StatementEffect::Allow => Truth::unknown(
            "a resource of the statement has a policy variable before the ARN's fifth colon, where AWS documents none",
        ),
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
mod tests;
