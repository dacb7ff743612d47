//! Tying what ECS said to what the configuration shows: the audit's findings ranked by how
//! well each explains the observed messages, and a plain statement where message and
//! configuration disagree (`pullpath diagnose`).
//!
//! A stage of its own above `checks`: it reads the audit's results and `explain`'s reading of
//! the messages; `report` renders what it decides.

mod observations;

pub use observations::{observations, pod_observations, Observation, Source};

use serde::Serialize;

use crate::blocker::Blocker;
use crate::checks::{Severity, WorkloadResult};
use crate::codes::Code;
use crate::explain::{beyond_configuration, Category, Classification};
use crate::workload::{GroupsFrom, RunPlacement, SubnetsFrom, Target};

/// How one observed message relates to the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// A blocking finding of the audit produces this message, on the call it is about.
    Explained,
    /// The audit finds nothing on that call that produces this kind of message.
    Contradicted,
    /// A finding may explain it, but the configuration cannot confirm it (an unknown finding,
    /// a message that does not name its call, or an alternative reading of the message).
    Inconclusive,
    /// The audited task definition makes no such call, or the message names a role that is not
    /// the execution role.
    Unexplained,
    /// The cause is not part of the configuration (rate limits, disk, missing log groups or
    /// secrets).
    OutsideConfiguration,
    /// The message is not recognised.
    Unclassified,
}

#[derive(Debug, Clone)]
pub struct ObservationVerdict {
    pub agreement: Agreement,
    /// One sentence on why.
    pub note: String,
}

/// One finding of the audit, ranked.
#[derive(Debug, Clone)]
pub struct Cause {
    pub rank: usize,
    pub blocker: Blocker,
    pub severity: Severity,
    /// The calls it blocks (empty: the whole workload, e.g. the execution role).
    pub targets: Vec<Target>,
    /// Indices into the observations this finding explains (for certain or possibly).
    pub explains: Vec<usize>,
    /// Whether it explains one of them for certain: on the call the message names, under the
    /// message's own reading.
    pub certain: bool,
}

#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// Number of stopped tasks read; `None` when they were not collected.
    pub stopped_tasks: Option<usize>,
    pub placement: RunPlacement,
    pub observations: Vec<Observation>,
    pub verdicts: Vec<ObservationVerdict>,
    pub causes: Vec<Cause>,
    /// What the configuration cannot show, where the messages are not fully explained.
    pub beyond_configuration: Vec<String>,
    pub summary: String,
}

impl Diagnosis {
    /// Whether ECS reported a failure that the audit does not account for (including causes
    /// outside the configuration, such as a missing secret): the workload then cannot be
    /// called good, whatever the audit says.
    pub fn unaccounted_failure(&self) -> bool {
        self.verdicts.iter().any(|v| {
            matches!(
                v.agreement,
                Agreement::Contradicted
                    | Agreement::Inconclusive
                    | Agreement::Unexplained
                    | Agreement::OutsideConfiguration
            )
        })
    }
}

pub struct DiagnosisInput<'a> {
    pub result: &'a WorkloadResult,
    pub observations: Vec<Observation>,
    pub placement: RunPlacement,
    pub stopped_tasks: Option<usize>,
    /// The state of a task named with `--task` that has not stopped (`PENDING`, `RUNNING`).
    pub not_stopped: Option<String>,
    pub collected_at: Option<&'a str>,
    /// Which group this is, and of how many, when the tasks were started in several ways.
    pub group: Option<(usize, usize)>,
}

pub fn diagnose(input: DiagnosisInput<'_>) -> Diagnosis {
    let DiagnosisInput {
        result,
        observations,
        placement,
        stopped_tasks,
        not_stopped,
        collected_at,
        group,
    } = input;
    let causes = rank(result, &observations);
    let verdicts: Vec<ObservationVerdict> = observations
        .iter()
        .enumerate()
        .map(|(i, o)| verdict(i, o, result, &causes))
        .collect();
    let beyond = beyond(&observations, &verdicts, &placement, collected_at);
    let summary = match not_stopped {
        Some(state) if observations.is_empty() => format!(
            "The task is {state}: ECS has not said why it is not running yet. The audit below checks the placement it has."
        ),
        _ => summary(&observations, &verdicts, &causes, stopped_tasks),
    };
    let summary = match group {
        Some((position, count)) => format!(
            "Tasks started by {} with {} ({position} of {count} groups): {summary}",
            placement
                .started_by
                .as_deref()
                .unwrap_or("an unknown deployment"),
            placement.task_definition,
        ),
        None => summary,
    };
    Diagnosis {
        stopped_tasks,
        placement,
        observations,
        verdicts,
        causes,
        beyond_configuration: beyond,
        summary,
    }
}

/// How a finding relates to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    Certain,
    Possible,
}

/// Whether `cause` produces the message classified as `c`, and how surely.
fn fit(c: &Classification, cause: &Cause) -> Option<(Fit, usize)> {
    let (position, alternative) = c.suspect(cause.blocker.code)?;
    // A message naming a role is about that role, not necessarily the execution role.
    if let Some(role) = &c.role_arn {
        // An assumed-role ARN carries no role path: compare role names.
        let name = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_string();
        if is_role_code(cause.blocker.code) && name(&cause.blocker.resource_id) != name(role) {
            return None;
        }
    }
    let workload_wide = cause.targets.is_empty();
    let same_call = match c.target {
        Some(target) => {
            workload_wide
                || cause.targets.contains(&target)
                // ECR refusing credentials is the auth token's doing (ecr-api).
                || (c.category == Category::RegistryAuthFailed
                    && matches!(target, Target::EcrApi | Target::EcrDkr)
                    && cause.targets.contains(&Target::EcrApi))
        }
        None => true,
    };
    if !same_call {
        return None;
    }
    // A message that does not name its call could be about any: only possibly this one. A
    // role that cannot be assumed concerns every call, so it needs no call named.
    let call_named =
        c.target.is_some() || workload_wide || c.category == Category::RoleAssumeFailed;
    let certain = !alternative && cause.severity == Severity::Error && call_named;
    Some((if certain { Fit::Certain } else { Fit::Possible }, position))
}

fn is_role_code(code: Code) -> bool {
    matches!(
        code,
        Code::ExecutionRoleMissing
            | Code::ExecutionRoleNotFound
            | Code::ExecutionRoleTrust
            | Code::PermissionMissing
            | Code::PermissionDenied
            | Code::ConditionUnknown
    )
}

/// Every error and warning of the audit once per code and resource, with the calls it
/// affects, ranked: the ones that explain an observed message first (certain before possible,
/// errors before warnings, the most typical cause of that message first, the most frequent
/// message first), then the other errors, then the warnings.
fn rank(result: &WorkloadResult, observations: &[Observation]) -> Vec<Cause> {
    fn add(causes: &mut Vec<Cause>, blocker: &Blocker, severity: Severity, target: Option<Target>) {
        match causes.iter_mut().find(|c| &c.blocker == blocker) {
            Some(cause) => cause.targets.extend(target),
            None => causes.push(Cause {
                rank: 0,
                blocker: blocker.clone(),
                severity,
                targets: target.into_iter().collect(),
                explains: Vec::new(),
                certain: false,
            }),
        }
    }
    let mut causes: Vec<Cause> = Vec::new();
    for requirement in &result.requirements {
        for blocker in &requirement.blockers {
            let severity = if blocker.blocks() {
                Severity::Error
            } else {
                Severity::Warning
            };
            add(
                &mut causes,
                blocker,
                severity,
                Some(requirement.requirement.target),
            );
        }
    }
    // Workload-level findings (the execution role…); requirement blockers are already in.
    for finding in result
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
    {
        add(&mut causes, &finding.blocker, finding.severity, None);
    }

    type Key = (
        bool,
        Option<Fit>,
        u8,
        usize,
        std::cmp::Reverse<usize>,
        usize,
    );
    let mut keyed: Vec<(Key, Cause)> = causes
        .into_iter()
        .enumerate()
        .map(|(order, mut cause)| {
            let mut best: Option<(Fit, usize)> = None;
            let mut weight = 0;
            for (i, observation) in observations.iter().enumerate() {
                if let Some(found) = fit(&observation.classification, &cause) {
                    cause.explains.push(i);
                    weight = weight.max(observation.occurrences);
                    best = Some(best.map_or(found, |b| b.min(found)));
                }
            }
            cause.certain = best.is_some_and(|(f, _)| f == Fit::Certain);
            let key = (
                cause.explains.is_empty(),
                best.map(|(f, _)| f),
                severity_order(cause.severity),
                best.map_or(usize::MAX, |(_, position)| position),
                std::cmp::Reverse(weight),
                order,
            );
            (key, cause)
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);

    // One cause per code and resource: the same route table seen from five calls is one fix.
    // The best-ranked copy (the one on the call a message names) speaks for all.
    let mut merged: Vec<Cause> = Vec::new();
    for (_, cause) in keyed {
        match merged.iter_mut().find(|m| {
            m.blocker.code == cause.blocker.code
                && m.blocker.resource_id == cause.blocker.resource_id
        }) {
            Some(kept) => {
                for target in cause.targets {
                    if !kept.targets.contains(&target) {
                        kept.targets.push(target);
                    }
                }
                for i in cause.explains {
                    if !kept.explains.contains(&i) {
                        kept.explains.push(i);
                    }
                }
                kept.certain |= cause.certain;
            }
            None => merged.push(cause),
        }
    }
    for (i, cause) in merged.iter_mut().enumerate() {
        cause.rank = i + 1;
        cause.explains.sort_unstable();
    }
    merged
}

fn severity_order(severity: Severity) -> u8 {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn verdict(
    index: usize,
    observation: &Observation,
    result: &WorkloadResult,
    causes: &[Cause],
) -> ObservationVerdict {
    let c = &observation.classification;
    let call = c.target.map_or("the task's calls", Target::as_str);
    let kind = c.category.as_str();
    if c.category == Category::Unknown {
        return ObservationVerdict {
            agreement: Agreement::Unclassified,
            note: "not recognised as an image-pull failure with a known cause".into(),
        };
    }
    let explaining: Vec<&Cause> = causes
        .iter()
        .filter(|cause| cause.explains.contains(&index))
        .collect();
    let certain = explaining
        .iter()
        .find(|cause| fit(c, cause).is_some_and(|(f, _)| f == Fit::Certain));
    if let Some(cause) = certain {
        return ObservationVerdict {
            agreement: Agreement::Explained,
            note: format!(
                "explained by {} at {} (cause {})",
                cause.blocker.code, cause.blocker.resource_id, cause.rank
            ),
        };
    }
    if let Some(cause) = explaining.first() {
        return ObservationVerdict {
            agreement: Agreement::Inconclusive,
            note: format!(
                "possibly explained by {} at {} (cause {}), which the configuration cannot confirm",
                cause.blocker.code, cause.blocker.resource_id, cause.rank
            ),
        };
    }
    if c.suspects.is_empty() {
        return ObservationVerdict {
            agreement: Agreement::OutsideConfiguration,
            note: format!("the cause of a {kind} message is not visible in the configuration"),
        };
    }
    if c.category == Category::RoleAssumeFailed && c.role_arn.is_some() {
        return ObservationVerdict {
            agreement: Agreement::Unexplained,
            note: format!(
                "the message names {}, which is not the execution role this audit checks (a task role?)",
                c.role_arn.as_deref().unwrap_or_default()
            ),
        };
    }
    let requirements: Vec<_> = result
        .requirements
        .iter()
        .filter(|r| c.target.is_none_or(|t| r.requirement.target == t))
        .collect();
    if requirements.is_empty() {
        return ObservationVerdict {
            agreement: Agreement::Unexplained,
            note: format!("the audited task definition makes no {call} call: it may have changed since the task stopped"),
        };
    }
    let blind: Vec<&str> = requirements
        .iter()
        .flat_map(|r| r.blockers.iter())
        .filter(|b| matches!(b.code, Code::NotCollected | Code::LaunchTypeNotModelled))
        .map(|b| b.code.as_str())
        .collect();
    if let Some(code) = blind.first() {
        return ObservationVerdict {
            agreement: Agreement::Inconclusive,
            note: format!("the configuration cannot tell whether {call} works ({code})"),
        };
    }
    let others: Vec<&str> = requirements
        .iter()
        .flat_map(|r| r.blockers.iter())
        .map(|b| b.code.as_str())
        .collect();
    ObservationVerdict {
        agreement: Agreement::Contradicted,
        note: if others.is_empty() {
            format!("the configuration says {call} works, yet the task reported {kind}")
        } else {
            format!(
                "the configuration finds nothing on {call} that gives {kind} (only {}), yet the task reported it",
                others.join(", ")
            )
        },
    }
}

/// What the configuration cannot show, listed when some message is not fully explained.
fn beyond(
    observations: &[Observation],
    verdicts: &[ObservationVerdict],
    placement: &RunPlacement,
    collected_at: Option<&str>,
) -> Vec<String> {
    let mut beyond: Vec<String> = Vec::new();
    let mut open: Vec<&Observation> = Vec::new();
    for (observation, verdict) in observations.iter().zip(verdicts) {
        if matches!(
            verdict.agreement,
            Agreement::Explained | Agreement::Unclassified
        ) {
            continue;
        }
        for item in beyond_configuration(observation.classification.category) {
            if !beyond.iter().any(|b| b == item) {
                beyond.push(item.to_string());
            }
        }
        if verdict.agreement != Agreement::OutsideConfiguration {
            open.push(observation);
        }
    }
    if open.is_empty() {
        return beyond;
    }
    let failed = open.iter().filter_map(|o| o.last_seen.as_deref()).max();
    beyond.push(match (collected_at, failed) {
        (Some(read), Some(failed)) => format!(
            "a change made between the failure ({failed}) and the reading of the configuration ({read})"
        ),
        _ => "a change made since the task stopped".to_string(),
    });
    // Where the task ran matters to a network failure only.
    if !open
        .iter()
        .any(|o| o.classification.category == Category::NetworkTimeout)
    {
        return beyond;
    }
    if !matches!(
        placement.subnets_from,
        SubnetsFrom::TaskInterfaces | SubnetsFrom::Node
    ) {
        beyond.push("the subnets the task really ran in (its network interface was not recorded; the service's current subnets were audited)".to_string());
    }
    match placement.groups_from {
        GroupsFrom::Deployment(_) | GroupsFrom::Node => {}
        GroupsFrom::Service => beyond.push(
            "the security groups the task really had (the service's current ones were audited)"
                .to_string(),
        ),
        GroupsFrom::Unknown => beyond.push("the task's security groups (not recorded)".to_string()),
    }
    beyond
}

fn summary(
    observations: &[Observation],
    verdicts: &[ObservationVerdict],
    causes: &[Cause],
    stopped_tasks: Option<usize>,
) -> String {
    let tasks = match stopped_tasks {
        None => "Stopped tasks were not collected".to_string(),
        Some(0) => "No stopped task was found (ECS keeps them for about an hour)".to_string(),
        Some(1) => "1 stopped task".to_string(),
        Some(n) => format!("{n} stopped tasks"),
    };
    let Some((first, message)) = observations
        .iter()
        .enumerate()
        .find(|(_, o)| o.classification.category != Category::Unknown)
    else {
        return format!(
            "{tasks}; no recognised failure message. The audit below checks the configuration alone."
        );
    };
    let said = format!(
        "{}{}",
        message.classification.category.as_str(),
        message
            .classification
            .target
            .map_or(String::new(), |t| format!(" on {}", t.as_str()))
    );
    // The cause the verdict names: a certain one when the message is explained.
    let cause = causes
        .iter()
        .filter(|c| c.explains.contains(&first))
        .find(|c| c.certain || verdicts[first].agreement != Agreement::Explained);
    let headline = headline(
        &tasks,
        &said,
        verdicts[first].agreement,
        cause,
        &verdicts[first].note,
    );
    // The most frequent message may be unexplained while another one is.
    let other = (verdicts[first].agreement != Agreement::Explained)
        .then(|| {
            verdicts
                .iter()
                .position(|v| v.agreement == Agreement::Explained)
        })
        .flatten()
        .and_then(|j| {
            let cause = causes
                .iter()
                .find(|c| c.certain && c.explains.contains(&j))?;
            Some(format!(
                " ECS also reported {}, explained by {} at {}.",
                observations[j].classification.category.as_str(),
                cause.blocker.code,
                cause.blocker.resource_id
            ))
        });
    format!("{headline}{}", other.unwrap_or_default())
}

fn headline(
    tasks: &str,
    said: &str,
    agreement: Agreement,
    cause: Option<&Cause>,
    note: &str,
) -> String {
    match (agreement, cause) {
        (Agreement::Explained, Some(cause)) => format!(
            "{tasks}; ECS reported {said}. Most likely cause: {} at {}.",
            cause.blocker.code, cause.blocker.resource_id
        ),
        (_, Some(cause)) => format!(
            "{tasks}; ECS reported {said}. Possible cause, which the configuration cannot confirm: {} at {}.",
            cause.blocker.code, cause.blocker.resource_id
        ),
        (Agreement::Contradicted, None) => format!(
            "{tasks}; ECS reported {said}, but the configuration shows nothing that causes it: look at what the configuration cannot show (listed below)."
        ),
        (Agreement::OutsideConfiguration, None) => format!(
            "{tasks}; ECS reported {said}, a cause the configuration cannot show (listed below)."
        ),
        (_, None) => format!("{tasks}; ECS reported {said}; {note}."),
    }
}
