//! Offline audit speed over the synthetic account of `cargo run --example synth` (the same
//! generator, built in memory here). `cargo bench --bench audit`; figures in
//! docs/performance.md.
//!
//! - `parse`: `model::load_snapshot` of the written snapshot (read, parse, consistency checks);
//! - `audit`: from the parsed snapshot to the JSON report text (select the workloads, audit
//!   them, build `ReportV1`, encode it as `audit --format json` does);
//! - `audit_snapshot`: both, which is what `pullpath audit --snapshot FILE` spends.

#[path = "../examples/synth/account.rs"]
mod account;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pullpath::checks::{audit_workloads, Coverage, Origin, ScopeAudit};
use pullpath::model::{load_snapshot, Snapshot};
use pullpath::report::ReportV1;
use pullpath::workload::select_workloads;

/// Account sizes, in services.
const SIZES: [usize; 2] = [200, 2_000];

/// `pullpath audit --snapshot PATH --format json` after the snapshot is loaded: the report's
/// text.
fn report(snapshot: &Snapshot, path: &str) -> String {
    let workloads = select_workloads(snapshot, None, &[]).expect("the account has services");
    let results = audit_workloads(snapshot, &workloads, &Default::default());
    let scope = ScopeAudit {
        coverage: Coverage::of(snapshot, Origin::Snapshot(path.to_string())),
        results,
        snapshot: None,
    };
    let report = ReportV1::new(&[scope], &[], &[], "2025-06-02T09:00:00Z");
    serde_json::to_string_pretty(&report).expect("the report encodes")
}

fn load(path: &Path) -> Snapshot {
    load_snapshot(path).expect("the synthetic snapshot is valid")
}

fn benches(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let accounts: Vec<(usize, Snapshot, std::path::PathBuf)> = SIZES
        .iter()
        .map(|&services| {
            let snapshot = account::generate(&account::Config::new(services));
            let path = directory.path().join(format!("s{services}.json"));
            let text = serde_json::to_string(&snapshot).expect("the snapshot encodes");
            std::fs::write(&path, &text).expect("the snapshot is written");
            eprintln!(
                "account of {services} services ({:.1} MB): {}",
                text.len() as f64 / 1e6,
                account::describe(&snapshot)
            );
            (services, snapshot, path)
        })
        .collect();

    let mut group = c.benchmark_group("parse");
    for (services, _, path) in &accounts {
        group.throughput(Throughput::Bytes(
            std::fs::metadata(path).map_or(0, |m| m.len()),
        ));
        group.bench_with_input(BenchmarkId::from_parameter(services), path, |b, path| {
            b.iter(|| load(black_box(path)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("audit");
    for (services, snapshot, path) in &accounts {
        let label = path.display().to_string();
        group.throughput(Throughput::Elements(*services as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(services),
            snapshot,
            |b, snapshot| b.iter(|| report(black_box(snapshot), &label)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("audit_snapshot");
    for (services, _, path) in &accounts {
        let label = path.display().to_string();
        group.throughput(Throughput::Elements(*services as u64));
        group.bench_with_input(BenchmarkId::from_parameter(services), path, |b, path| {
            b.iter(|| report(&load(black_box(path)), &label))
        });
    }
    group.finish();
}

criterion_group! {
    name = audit;
    // The 2,000-service runs take a few tenths of a second each: 10 samples keep the whole
    // bench to about a minute on 2 cores.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    targets = benches
}
criterion_main!(audit);
