//! What ECS said about the subject: each distinct message of its stopped tasks (task and
//! container reasons) and the service's failure events, counted and classified.

use serde::Serialize;

use crate::explain::{classify, Category, Classification};
use crate::model::{KubeEvent, KubeWorkload, ServiceEvent, StoppedTask};

/// At most this many distinct messages are kept: a crash-looping service repeats itself.
const MAX_OBSERVATIONS: usize = 20;
/// Task ids listed per message.
const MAX_TASK_IDS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A task's `stoppedReason`.
    StoppedReason,
    /// A container's `reason`.
    ContainerReason,
    /// A service event.
    ServiceEvent,
    /// A pod container's waiting state (`ImagePullBackOff`, `ErrImagePull`, with its message).
    PodStatus,
    /// An event about a pod (`Failed`, `BackOff`, `FailedToRetrieveImagePullSecret`).
    PodEvent,
}

#[derive(Debug, Clone)]
pub struct Observation {
    pub source: Source,
    pub message: String,
    pub occurrences: usize,
    /// Ids of (some of) the tasks that reported it.
    pub tasks: Vec<String>,
    pub container: Option<String>,
    /// When it was last seen (a task's `stoppedAt`, an event's `createdAt`).
    pub last_seen: Option<String>,
    pub classification: Classification,
}

/// What `tasks` said, and the `events` that report a failure.
pub fn observations(tasks: &[&StoppedTask], events: &[&ServiceEvent]) -> Vec<Observation> {
    let mut out: Vec<Observation> = Vec::new();
    for task in tasks {
        let mut said = Vec::new();
        if let Some(reason) = &task.stopped_reason {
            said.push((Source::StoppedReason, None, reason));
        }
        for container in &task.containers {
            if let Some(reason) = &container.reason {
                said.push((Source::ContainerReason, Some(&container.name), reason));
            }
        }
        let mut said_by_task: Vec<&str> = Vec::new();
        for (source, container, message) in said {
            if message.trim().is_empty() {
                continue;
            }
            // Each task counts once per message, even when its stop reason and a container
            // reason say the same thing.
            if said_by_task.contains(&message.as_str()) {
                continue;
            }
            said_by_task.push(message);
            let seen = record(&mut out, source, message, task.stopped_at.as_deref());
            seen.container = seen.container.take().or_else(|| container.cloned());
            if seen.tasks.len() < MAX_TASK_IDS {
                seen.tasks.push(task.id().to_string());
            }
        }
    }
    for event in events.iter().filter(|e| reports_a_failure(e)) {
        record(
            &mut out,
            Source::ServiceEvent,
            &event.message,
            event.created_at.as_deref(),
        );
    }
    // Recognised failures first, the most frequent first; unrecognised text last.
    out.sort_by_key(|o| {
        (
            o.classification.category == Category::Unknown,
            std::cmp::Reverse(o.occurrences),
        )
    });
    out.truncate(MAX_OBSERVATIONS);
    out
}

/// Adds one occurrence of `message`, returning its observation. The same text from a task,
/// a container and an event is one observation (its first source).
fn record<'o>(
    out: &'o mut Vec<Observation>,
    source: Source,
    message: &str,
    at: Option<&str>,
) -> &'o mut Observation {
    let index = match out.iter().position(|o| o.message == message) {
        Some(index) => index,
        None => {
            out.push(Observation {
                source,
                message: message.to_string(),
                occurrences: 0,
                tasks: Vec::new(),
                container: None,
                last_seen: None,
                classification: classify(message),
            });
            out.len() - 1
        }
    };
    let seen = &mut out[index];
    seen.occurrences += 1;
    if at > seen.last_seen.as_deref() {
        seen.last_seen = at.map(str::to_string);
    }
    seen
}

/// Service events are mostly routine ("has reached a steady state", "has started 1 tasks");
/// only the ones reporting a failure are evidence.
/// What Kubernetes said about a pod: its containers' waiting states (the message, or the
/// reason when there is none) and its image-pull events, the most frequent first.
pub fn pod_observations(pod: &KubeWorkload, events: &[&KubeEvent]) -> Vec<Observation> {
    let mut out: Vec<Observation> = Vec::new();
    for waiting in &pod.waiting {
        let message = if waiting.message.trim().is_empty() {
            &waiting.reason
        } else {
            &waiting.message
        };
        if message.trim().is_empty() {
            continue;
        }
        let seen = record(&mut out, Source::PodStatus, message, None);
        seen.container = seen
            .container
            .take()
            .or_else(|| Some(waiting.container.clone()));
    }
    for event in events {
        let seen = record(
            &mut out,
            Source::PodEvent,
            &event.message,
            event.last_seen.as_deref(),
        );
        // An event repeated `count` times is one object: count what it says it counts.
        seen.occurrences += usize::try_from(event.count.unwrap_or(1).max(1)).unwrap_or(1) - 1;
    }
    out.sort_by_key(|o| {
        (
            o.classification.category == Category::Unknown,
            std::cmp::Reverse(o.occurrences),
        )
    });
    out.truncate(MAX_OBSERVATIONS);
    out
}

fn reports_a_failure(event: &ServiceEvent) -> bool {
    let text = event.message.to_lowercase();
    ["unable to", "failed", "error", "cannot", "denied"]
        .iter()
        .any(|word| text.contains(word))
        && !text.contains("steady state")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: &str) -> ServiceEvent {
        ServiceEvent {
            created_at: Some("2025-01-15T09:20:00Z".into()),
            message: message.into(),
        }
    }

    #[test]
    fn routine_events_are_not_evidence_and_repeats_are_counted() {
        let events = [
            event("(service web) has reached a steady state."),
            event("(service web) has started 1 tasks: (task abc)."),
            event("(service web) failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::123456789012:role/x' that was provided for this task.)."),
            event("(service web) failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::123456789012:role/x' that was provided for this task.)."),
            event("(service web) is unable to consistently start tasks successfully."),
        ];
        let refs: Vec<&ServiceEvent> = events.iter().collect();
        let seen = observations(&[], &refs);
        assert_eq!(seen.len(), 2, "{seen:?}");
        // Recognised first, then unrecognised.
        assert_eq!(seen[0].classification.category, Category::RoleAssumeFailed);
        assert_eq!(seen[0].occurrences, 2);
        assert_eq!(seen[1].classification.category, Category::Unknown);
    }

    #[test]
    fn at_most_twenty_messages_are_kept() {
        let events: Vec<ServiceEvent> = (0..30)
            .map(|i| {
                event(&format!(
                    "(service web) failed to launch a task with (error {i})."
                ))
            })
            .collect();
        let refs: Vec<&ServiceEvent> = events.iter().collect();
        assert_eq!(observations(&[], &refs).len(), MAX_OBSERVATIONS);
    }
}
