//! Prints the size of the reachability graph an offline audit builds (docs/performance.md):
//!
//! ```sh
//! cargo run --release --example graph_size -- /tmp/d2000.json
//! ```
//!
//! The graph's nodes are resources on a leg, shared by every call that crosses them; its
//! flows are the distinct calls (services placed alike share theirs).

use std::process::ExitCode;

use pullpath::checks::audit_workloads_with_graph;
use pullpath::model::load_snapshot;
use pullpath::workload::select_workloads;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: graph_size SNAPSHOT");
        return ExitCode::from(2);
    };
    let snapshot = match load_snapshot(std::path::Path::new(&path)) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!("graph_size: {error}");
            return ExitCode::from(2);
        }
    };
    let workloads = match select_workloads(&snapshot, None, &[]) {
        Ok(workloads) => workloads,
        Err(error) => {
            eprintln!("graph_size: {error}");
            return ExitCode::from(2);
        }
    };
    let (results, graph) = audit_workloads_with_graph(&snapshot, &workloads, &Default::default());
    let calls: usize = results.iter().map(|r| r.requirements.len()).sum();
    let hops: usize = results
        .iter()
        .flat_map(|r| &r.requirements)
        .map(|r| r.path.len())
        .sum();
    let size = graph.size();
    println!(
        "{} workloads, {calls} calls, {hops} hops on reported paths; graph: {} VPCs, {} nodes, {} edges, {} flows",
        results.len(),
        size.vpcs,
        size.nodes,
        size.edges,
        size.flows
    );
    ExitCode::SUCCESS
}
