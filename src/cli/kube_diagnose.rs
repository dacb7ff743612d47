//! `pullpath diagnose --pod`: what Kubernetes said about a pod (its containers' waiting states
//! and its image-pull events), classified and tied to an audit of the pod as it runs — its own
//! node (or Fargate profile) and the pull secrets admission gave it.

use super::args::{DiagnoseArgs, Format};
use super::kube::{collect_side, read_kube};
use super::live::aws_options;
use super::registries::inspect_registries;
use super::{clock, exit_code_of, table_style, to_json, write_output, ExitCode, Failure};
use crate::checks::{audit_kube_units, AuditOptions, Coverage, Origin, ScopeAudit};
use crate::diagnose::{diagnose, pod_observations, Diagnosis, DiagnosisInput};
use crate::model::{load_snapshot, KubeCluster, KubeWorkload, Snapshot};
use crate::report::terminal_text;
use crate::report::{render_diagnosis, render_table_with, DiagnosisV1, ReportV1};
use crate::workload::{GroupsFrom, KubeUnit, RunPlacement, SubnetsFrom};

pub fn diagnose_pod(args: &DiagnoseArgs, pod: &str) -> Result<ExitCode, Failure> {
    let options = AuditOptions::with_registry_routes(&args.routes.registry_route)
        .map_err(Failure::bad_input)?
        .at(clock::now_seconds());
    let (namespace, name) = match pod.split_once('/') {
        Some((namespace, name)) => (namespace.to_string(), name.to_string()),
        None => match args.kube.namespace.as_slice() {
            [namespace] => (namespace.clone(), pod.to_string()),
            _ => {
                return Err(Failure::bad_input(
                    "--pod takes NAMESPACE/NAME, or NAME with one --namespace",
                ))
            }
        },
    };
    let (mut snapshot, origin, calls) = match &args.snapshot {
        Some(path) => {
            let mut snapshot = load_snapshot(path)
                .map_err(|e| Failure::bad_input(terminal_text::message(&e.to_string())))?;
            if args.kube.requested() {
                snapshot
                    .kube_clusters
                    .get_or_insert_with(Vec::new)
                    .push(read_kube(&args.kube, &args.kube.namespace)?);
            }
            (snapshot, Origin::Snapshot(path.display().to_string()), None)
        }
        None if args.kube.requested() => {
            let cluster = read_kube(&args.kube, &args.kube.namespace)?;
            let collected = collect_side(
                &aws_options(&args.aws, args.region.as_deref()),
                cluster,
                args.kube.eks_cluster.as_deref(),
            )?;
            (collected.snapshot, Origin::Live, Some(collected.calls))
        }
        None => {
            return Err(Failure::bad_input(
                "--pod needs the cluster: --kube-context, --kubeconfig or --kube-objects, or a --snapshot that holds it",
            ))
        }
    };
    inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
    let (cluster, found) = find_pod(&snapshot, &namespace, &name)?;
    let unit = KubeUnit {
        cluster,
        workload: found,
        pods: vec![found],
    };
    let results = audit_kube_units(&snapshot, std::slice::from_ref(&unit), &options);
    let events: Vec<_> = cluster
        .events
        .iter()
        .flatten()
        .filter(|e| e.namespace == namespace && e.object == format!("Pod/{name}"))
        .collect();
    let observations = pod_observations(found, &events);
    let result = &results[0];
    let placement = RunPlacement {
        configuration: None,
        subnets: Vec::new(),
        subnets_from: SubnetsFrom::Node,
        groups_from: GroupsFrom::Node,
        started_by: None,
        task_definition: result.task_definition.clone(),
        sources: vec![match &found.node_name {
            Some(node) => format!(
                "the pod's node `{node}` ({}) and the pull secrets admission gave it",
                if result.instances.is_empty() {
                    "no EC2 instance".to_string()
                } else {
                    format!("instance {}", result.instances.join(", "))
                }
            ),
            None => "the pod is not bound to a node yet: every node it may run on, and the pull secrets admission gave it".to_string(),
        }],
    };
    let mut diagnosis = diagnose(DiagnosisInput {
        result,
        observations,
        placement,
        stopped_tasks: None,
        not_stopped: None,
        collected_at: snapshot.collected_at.as_deref(),
        group: None,
    });
    diagnosis.summary = summary(&namespace, &name, found, &diagnosis);
    let rendered = match args.report.format {
        Format::Json => {
            let scope = ScopeAudit {
                coverage: Coverage {
                    calls,
                    ..Coverage::of(&snapshot, origin)
                },
                results: results.clone(),
                snapshot: None,
            };
            let mut report = ReportV1::new(&[scope], &[], &[], &clock::now());
            report.workloads[0].diagnosis = Some(DiagnosisV1::from(&diagnosis));
            to_json(&report, "report")?
        }
        Format::Table => {
            let (colour, width) = table_style(args.report.output.is_none());
            render_table_with(&results, colour, width, |_| {
                Some(render_diagnosis(
                    &format!("pod {namespace}/{name}"),
                    &diagnosis,
                    colour,
                    width,
                ))
            })
        }
    };
    write_output(args.report.output.clone(), &rendered)?;
    // A failure Kubernetes reported that the audit does not account for is not a pass.
    Ok(match exit_code_of(&results) {
        ExitCode::Pass if diagnosis.unaccounted_failure() => ExitCode::Unknown,
        code => code,
    })
}

/// The pod `namespace/name` among the snapshot's clusters; bad input (naming some pods of the
/// namespace) when it is not there.
fn find_pod<'s>(
    snapshot: &'s Snapshot,
    namespace: &str,
    name: &str,
) -> Result<(&'s KubeCluster, &'s KubeWorkload), Failure> {
    let clusters = snapshot.kube_clusters.as_deref().unwrap_or_default();
    for cluster in clusters {
        if let Some(pod) = cluster
            .workloads
            .iter()
            .flatten()
            .find(|w| w.kind == "Pod" && w.namespace == namespace && w.name == name)
        {
            return Ok((cluster, pod));
        }
    }
    let known: Vec<&str> = clusters
        .iter()
        .flat_map(|c| c.workloads.iter().flatten())
        .filter(|w| w.kind == "Pod" && w.namespace == namespace)
        .map(|w| w.name.as_str())
        .take(10)
        .collect();
    Err(Failure::bad_input(terminal_text::message(&format!(
        "pod `{namespace}/{name}` is not among the pods read (pods of `{namespace}`: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))))
}

/// One sentence: what the pod's containers say, and the most likely cause the audit found.
fn summary(namespace: &str, name: &str, pod: &KubeWorkload, diagnosis: &Diagnosis) -> String {
    let waiting: Vec<String> = pod
        .waiting
        .iter()
        .map(|w| format!("`{}` is waiting ({})", w.container, w.reason))
        .collect();
    let said = if waiting.is_empty() {
        format!("Pod {namespace}/{name}: no container is waiting on its image")
    } else {
        format!("Pod {namespace}/{name}: {}", waiting.join(", "))
    };
    match diagnosis.causes.first() {
        Some(cause) if cause.certain => format!(
            "{said}. The configuration explains it: {} ({}).",
            cause.blocker.code, cause.blocker.resource_id
        ),
        Some(cause) => format!(
            "{said}. The most likely cause the audit finds: {} ({}).",
            cause.blocker.code, cause.blocker.resource_id
        ),
        None if diagnosis.observations.is_empty() => {
            format!("{said}, and the audit finds nothing that stops its pulls.")
        }
        None => format!(
            "{said}. The audit finds nothing that explains it: see what the configuration cannot show."
        ),
    }
}
