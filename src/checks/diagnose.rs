//! Tying what ECS said to what the configuration shows: the audit's findings ranked by how
//! well each explains the observed messages, and a plain statement where message and
//! configuration disagree.

use serde::Serialize;

use super::audit::{Severity, WorkloadResult};
use super::observations::Observation;
use crate::blocker::{Blocker, Status};
use crate::explain::{beyond_configuration, Category};
use crate::workload::{RunPlacement, Target};

/// How one observed message relates to the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// A finding of the audit produces this message.
    Explained,
    /// The audit says the call the message is about works.
    Contradicted,
    /// The audit cannot tell whether that call works (unknown findings only).
    Inconclusive,
    /// The audit finds other problems on that call, none of which produce this message.
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
    /// Indices into the observations this finding explains.
    pub explains: Vec<usize>,
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

pub struct DiagnosisInput<'a> {
    pub result: &'a WorkloadResult,
    pub observations: Vec<Observation>,
    pub placement: RunPlacement,
    pub stopped_tasks: Option<usize>,
    /// The state of a task named with `--task` that has not stopped (`PENDING`, `RUNNING`).
    pub not_stopped: Option<String>,
    pub collected_at: Option<&'a str>,
}

pub fn diagnose(input: DiagnosisInput<'_>) -> Diagnosis {
    let DiagnosisInput {
        result,
        observations,
        placement,
        stopped_tasks,
        not_stopped,
        collected_at,
    } = input;
    let causes = rank(result, &observations);
    let verdicts: Vec<ObservationVerdict> = observations
        .iter()
        .enumerate()
        .map(|(i, o)| verdict(i, o, result, &causes))
        .collect();

    let mut beyond: Vec<String> = Vec::new();
    let mut disagreement = false;
    for (observation, verdict) in observations.iter().zip(&verdicts) {
        if matches!(
            verdict.agreement,
            Agreement::Contradicted
                | Agreement::Inconclusive
                | Agreement::Unexplained
                | Agreement::OutsideConfiguration
        ) {
            disagreement |= verdict.agreement != Agreement::OutsideConfiguration;
            for item in beyond_configuration(observation.classification.category) {
                if !beyond.iter().any(|b| b == item) {
                    beyond.push(item.to_string());
                }
            }
        }
    }
    if disagreement {
        let stopped = observations
            .iter()
            .filter_map(|o| o.last_seen.as_deref())
            .max();
        beyond.push(match (collected_at, stopped) {
            (Some(read), Some(stopped)) => format!(
                "a change made between the failure ({stopped}) and the reading of the configuration ({read})"
            ),
            _ => "a change made since the task stopped".to_string(),
        });
        if placement
            .sources
            .iter()
            .any(|s| s.contains("current configuration"))
        {
            beyond.push("the security groups the task really had (taken here from the service's current configuration)".to_string());
        }
    }
    let summary = match not_stopped {
        Some(state) if observations.is_empty() => format!(
            "The task is {state}: ECS has not said why it is not running yet. The audit below checks the placement it has."
        ),
        _ => summary(&observations, &verdicts, &causes, stopped_tasks),
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

/// Every error and warning of the audit once, with the calls it affects: the ones that
/// explain an observed message first (by how typical a cause of that message they are), then
/// the other errors, then the warnings.
fn rank(result: &WorkloadResult, observations: &[Observation]) -> Vec<Cause> {
    let mut causes: Vec<Cause> = Vec::new();
    for requirement in &result.requirements {
        for blocker in &requirement.blockers {
            match causes.iter_mut().find(|c| &c.blocker == blocker) {
                Some(cause) => cause.targets.push(requirement.requirement.target),
                None => causes.push(Cause {
                    rank: 0,
                    blocker: blocker.clone(),
                    severity: severity_of(blocker),
                    targets: vec![requirement.requirement.target],
                    explains: Vec::new(),
                }),
            }
        }
    }
    for finding in &result.findings {
        if finding.severity != Severity::Info
            && !causes.iter().any(|c| c.blocker == finding.blocker)
        {
            causes.push(Cause {
                rank: 0,
                blocker: finding.blocker.clone(),
                severity: finding.severity,
                targets: Vec::new(),
                explains: Vec::new(),
            });
        }
    }
    let mut keyed: Vec<((bool, usize, Severity, usize), Cause)> = causes
        .into_iter()
        .enumerate()
        .map(|(order, mut cause)| {
            let mut best = usize::MAX;
            for (i, observation) in observations.iter().enumerate() {
                let c = &observation.classification;
                let same_call = match c.target {
                    None => true,
                    Some(target) => cause.targets.is_empty() || cause.targets.contains(&target),
                };
                let position = c.suspects.iter().position(|s| *s == cause.blocker.code);
                if let (true, Some(position)) = (same_call, position) {
                    cause.explains.push(i);
                    best = best.min(position);
                }
            }
            (
                (cause.explains.is_empty(), best, cause.severity, order),
                cause,
            )
        })
        .collect();
    keyed.sort_by_key(|(key, _)| (key.0, key.1, severity_order(key.2), key.3));
    keyed
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut cause))| {
            cause.rank = i + 1;
            cause
        })
        .collect()
}

fn severity_of(blocker: &Blocker) -> Severity {
    if blocker.blocks() {
        Severity::Error
    } else {
        Severity::Warning
    }
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
    if c.category == Category::Unknown {
        return ObservationVerdict {
            agreement: Agreement::Unclassified,
            note: "not recognised as an image-pull failure with a known cause".into(),
        };
    }
    if let Some(cause) = causes.iter().find(|cause| cause.explains.contains(&index)) {
        // A finding that only makes the call unknown may be the cause, or may not.
        return if cause.severity == Severity::Error {
            ObservationVerdict {
                agreement: Agreement::Explained,
                note: format!(
                    "explained by {} at {} (cause {})",
                    cause.blocker.code, cause.blocker.resource_id, cause.rank
                ),
            }
        } else {
            ObservationVerdict {
                agreement: Agreement::Inconclusive,
                note: format!(
                    "possibly explained by {} at {} (cause {}), which the configuration cannot confirm",
                    cause.blocker.code, cause.blocker.resource_id, cause.rank
                ),
            }
        };
    }
    if c.suspects.is_empty() {
        return ObservationVerdict {
            agreement: Agreement::OutsideConfiguration,
            note: format!(
                "a {} failure is not visible in the configuration",
                c.category.as_str()
            ),
        };
    }
    let requirements: Vec<_> = result
        .requirements
        .iter()
        .filter(|r| c.target.is_none_or(|t| r.requirement.target == t))
        .collect();
    let worst = requirements.iter().map(|r| r.status).max();
    let (agreement, note) = match worst {
        None => (
            Agreement::Unexplained,
            format!("the audited task definition makes no {call} call: it may have changed since the task stopped"),
        ),
        Some(Status::Reachable) => (
            Agreement::Contradicted,
            format!(
                "the configuration says {call} is reachable, yet the task reported {}",
                c.category.as_str()
            ),
        ),
        Some(Status::Unknown) => (
            Agreement::Inconclusive,
            format!("the configuration cannot tell whether {call} is reachable (see the unknown findings)"),
        ),
        Some(Status::Blocked) => (
            Agreement::Unexplained,
            format!(
                "the configuration blocks {call} for other reasons, none of which produces a {} message",
                c.category.as_str()
            ),
        ),
    };
    ObservationVerdict { agreement, note }
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
    let recognised = observations
        .iter()
        .filter(|o| o.classification.category != Category::Unknown)
        .count();
    if recognised == 0 {
        return format!(
            "{tasks}; no recognised failure message. The audit below checks the configuration alone."
        );
    }
    let first = observations
        .iter()
        .find(|o| o.classification.category != Category::Unknown)
        .expect("one is recognised");
    let said = format!(
        "{}{}",
        first.classification.category.as_str(),
        first
            .classification
            .target
            .map_or(String::new(), |t| format!(" on {}", t.as_str()))
    );
    match causes.iter().find(|c| !c.explains.is_empty()) {
        Some(cause) if cause.severity == Severity::Error => format!(
            "{tasks}; ECS reported {said}. Most likely cause: {} at {}.",
            cause.blocker.code, cause.blocker.resource_id
        ),
        Some(cause) => format!(
            "{tasks}; ECS reported {said}. Possible cause, which the configuration cannot confirm: {} at {}.",
            cause.blocker.code, cause.blocker.resource_id
        ),
        None if verdicts
            .iter()
            .any(|v| v.agreement == Agreement::Contradicted) =>
        {
            format!(
                "{tasks}; ECS reported {said}, but the configuration shows that call working: the cause lies in what the configuration cannot show (listed below)."
            )
        }
        None if verdicts
            .iter()
            .all(|v| matches!(v.agreement, Agreement::OutsideConfiguration | Agreement::Unclassified)) =>
        {
            format!(
                "{tasks}; ECS reported {said}, a cause the configuration cannot show (listed below)."
            )
        }
        None => format!(
            "{tasks}; ECS reported {said}; no finding of the audit produces that message (see the notes)."
        ),
    }
}
