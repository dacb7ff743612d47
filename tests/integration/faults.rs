//! Fault injection: live audits through [`FaultProxy`], in front of the emulator, which
//! throttles, fails (500/503), resets, delays or truncates replies at fixed seeds and rates.
//!
//! Each scenario is seeded once and audited without faults (the baseline), then under each
//! fault profile and seed, and with one operation at a time failing (every operation the
//! baseline called). Every workload must keep the baseline's verdict, or carry an explicit
//! coverage gap (an unknown finding, or a scope error) that names a call the proxy failed. Never
//! a different pass/fail verdict, a blocker the baseline did not have, a panic, or a run past
//! the wall-clock limit (which kills it).
//!
//! The runs use the default retries (adaptive, 5 attempts) and a short `--call-timeout`, so
//! that a reply delayed past it costs seconds, not the default 30. The per-operation sweeps
//! of failures the retries cannot get past use `--max-attempts 2`: one retry shows the
//! failure persists, without the backoff of four.
//!
//! `PULLPATH_FAULTS=full` sweeps every failure kind over every operation (a few minutes
//! more); by default each operation gets one kind, in turn.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::emulator::{isolated_credentials, Moto};
use crate::fault_proxy::{Cut, Entry, Fault, FaultProxy, Plan};
use crate::support::pullpath;

/// Any run longer than this is a hang: it is killed and reported.
const WALL_CLOCK: Duration = Duration::from_secs(120);
/// `--call-timeout` of every run, in seconds.
const CALL_TIMEOUT: u64 = 5;
/// A reply late by less than the call timeout: the call must succeed.
const SLOW: Duration = Duration::from_millis(1500);
/// A reply late by more than the call timeout: the call times out.
const STALLED: Duration = Duration::from_secs(CALL_TIMEOUT + 2);

/// A random profile: each request draws one of `rates` (`(rate, fault)`), the rest are
/// forwarded; `flags` go to pullpath.
struct Profile {
    name: &'static str,
    rates: Vec<(f64, Fault)>,
    flags: &'static [&'static str],
}

/// The random profiles.
///
/// Throttling runs twice: with the standard retries, which retry it within a second or two;
/// and with the default adaptive ones, whose client rate limiter, once throttled, makes a
/// retry wait for 10 tokens at its minimum 0.5 tokens a second (about 20 s: aws-smithy-
/// runtime's `client_rate_limiter.rs`), longer than `CALL_TIMEOUT`, so that the call times out.
fn profiles() -> Vec<Profile> {
    let profile = |name, rates, flags| Profile { name, rates, flags };
    vec![
        profile(
            "throttle 10% (standard retries)",
            vec![(0.10, Fault::Throttle)],
            &["--retry-mode", "standard"],
        ),
        profile(
            "throttle 10% (adaptive retries)",
            vec![(0.10, Fault::Throttle)],
            &[],
        ),
        profile(
            "5xx 5%",
            vec![(0.025, Fault::Status(500)), (0.025, Fault::Status(503))],
            &[],
        ),
        profile("reset 5%", vec![(0.05, Fault::Reset)], &[]),
        profile(
            "truncate 5%",
            vec![
                (0.025, Fault::Truncate(Cut::Anywhere)),
                (0.025, Fault::Truncate(Cut::AfterElement)),
            ],
            &[],
        ),
        profile(
            "slow 6%",
            vec![(0.04, Fault::Delay(SLOW)), (0.02, Fault::Delay(STALLED))],
            &[],
        ),
        profile("mix", mix(), &[]),
    ]
}

fn mix() -> Vec<(f64, Fault)> {
    vec![
        (0.04, Fault::Throttle),
        (0.01, Fault::Status(500)),
        (0.01, Fault::Status(503)),
        (0.02, Fault::Reset),
        (0.01, Fault::Truncate(Cut::Anywhere)),
        (0.01, Fault::Truncate(Cut::AfterElement)),
        (0.02, Fault::Delay(SLOW)),
        (0.01, Fault::Delay(STALLED)),
    ]
}

/// Failures of one operation: `(fault, every attempt)`. Truncations hit the first attempt
/// (a retry, if the SDK makes one, gets the real reply); the others every attempt.
fn operation_faults() -> Vec<(Fault, bool)> {
    vec![
        (Fault::Truncate(Cut::AfterElement), false),
        (Fault::Truncate(Cut::Anywhere), false),
        (Fault::Truncate(Cut::Empty), false),
        (Fault::Status(500), true),
        (Fault::Reset, true),
        (Fault::Throttle, true),
        (Fault::Delay(STALLED), false),
    ]
}

fn full_sweep() -> bool {
    std::env::var("PULLPATH_FAULTS").is_ok_and(|v| v == "full")
}

/// One run of pullpath through the proxy.
struct Outcome {
    /// `None`: killed at the wall-clock limit.
    code: Option<i32>,
    seconds: f64,
    stdout: String,
    stderr: String,
}

fn audit(proxy: &FaultProxy, extra: &[&str]) -> Outcome {
    audit_clusters(proxy, &["--cluster", "prod"], extra)
}

/// An audit of `clusters` (`--cluster` flags; none: every cluster) through `proxy`.
fn audit_clusters(proxy: &FaultProxy, clusters: &[&str], extra: &[&str]) -> Outcome {
    let timeout = CALL_TIMEOUT.to_string();
    let started = Instant::now();
    let mut command = pullpath();
    command
        .arg("audit")
        .args(clusters)
        .args(["--format", "json"])
        .args(["--endpoint-url", &proxy.url])
        .args(
            ["--call-timeout", &timeout]
                .iter()
                .filter(|_| !extra.contains(&"--call-timeout")),
        )
        .args(extra);
    let output = isolated_credentials(&mut command, "testing", "testing")
        .timeout(WALL_CLOCK)
        .output()
        .expect("pullpath runs");
    Outcome {
        code: output.status.code(),
        seconds: started.elapsed().as_secs_f64(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// What the comparison looks at in one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    status: String,
    /// Codes of `error` findings: what fails the workload.
    blocking: BTreeSet<String>,
    /// Codes of the other findings.
    other: BTreeSet<String>,
    /// The `warning` findings' messages, fixes and resources: where a gap names its call.
    gaps: String,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.status, self.blocking)?;
        if !self.other.is_empty() {
            write!(f, " +{:?}", self.other)?;
        }
        Ok(())
    }
}

/// Each workload's verdict, by account, region, cluster and service.
fn verdicts(report: &Value) -> BTreeMap<String, Verdict> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    report["workloads"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|w| {
            let key = format!(
                "{}/{}/{}/{}",
                text(&w["account_id"]),
                text(&w["region"]),
                text(&w["cluster"]),
                text(&w["service"])
            );
            let findings = w["findings"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut verdict = Verdict {
                status: text(&w["status"]),
                blocking: BTreeSet::new(),
                other: BTreeSet::new(),
                gaps: String::new(),
            };
            for finding in findings {
                let code = text(&finding["code"]);
                if finding["severity"] == "error" {
                    verdict.blocking.insert(code);
                } else {
                    if finding["severity"] == "warning" {
                        for field in ["message", "fix", "resource_id"] {
                            verdict.gaps.push_str(&text(&finding[field]));
                            verdict.gaps.push('\n');
                        }
                    }
                    verdict.other.insert(code);
                }
            }
            (key, verdict)
        })
        .collect()
}

/// The reads without which a scope has nothing to audit: when one fails, the scope is unread
/// (and a run of one scope exits 1), never audited on a guess.
const SCOPE_REQUIRED: [&str; 5] = [
    "ecs:ListClusters",
    "ecs:DescribeClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "sts:GetCallerIdentity",
];

/// How one faulty run compares with the baseline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Judgement {
    /// Every workload as in the baseline.
    Same,
    /// Some workloads differ, each with a gap naming a failed call (the first such line).
    Gap(String),
    /// Exit code 1 and no report because a read the scope cannot do without failed (its
    /// clusters, its services): nothing at all could be audited, and stderr names the call
    /// (docs/collection.md, "Degrade, never abort").
    ScopeUnread(String),
    /// Exit code and no JSON report (the code, and the first line of stderr).
    NoReport(String),
    /// A workload's pass/fail verdict or blockers differ from the baseline's.
    Different(String),
    /// A workload changed (or went missing) with no gap naming a failed call.
    Unexplained(String),
    Panic(String),
    Hang,
}

impl Judgement {
    fn passes(&self) -> bool {
        matches!(
            self,
            Judgement::Same | Judgement::Gap(_) | Judgement::ScopeUnread(_)
        )
    }

    /// The kind, without details, for summaries.
    fn kind(&self) -> &'static str {
        match self {
            Judgement::Same => "same verdict",
            Judgement::Gap(_) => "explicit gap",
            Judgement::ScopeUnread(_) => "scope unread",
            Judgement::NoReport(_) => "no report",
            Judgement::Different(_) => "DIFFERENT VERDICT",
            Judgement::Unexplained(_) => "changed without a gap naming the call",
            Judgement::Panic(_) => "PANIC",
            Judgement::Hang => "HANG",
        }
    }
}

impl fmt::Display for Judgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Judgement::Same | Judgement::Hang => write!(f, "{}", self.kind()),
            Judgement::Gap(d)
            | Judgement::ScopeUnread(d)
            | Judgement::NoReport(d)
            | Judgement::Different(d)
            | Judgement::Unexplained(d)
            | Judgement::Panic(d) => write!(f, "{}: {d}", self.kind()),
        }
    }
}

/// The first line of `text` that names one of the failed calls (`ec2:DescribeVpcs`, or
/// `DescribeVpcs`).
fn naming_a_failed_call(text: &str, failed: &BTreeSet<String>) -> Option<String> {
    text.split(['\n', '"']).find_map(|line| {
        failed
            .iter()
            .any(|operation| {
                let bare = operation.split(':').nth(1).unwrap_or(operation);
                line.contains(operation.as_str()) || line.contains(bare)
            })
            .then(|| line.chars().take(200).collect())
    })
}

fn judge(baseline: &Value, outcome: &Outcome, log: &[Entry]) -> Judgement {
    let Some(code) = outcome.code else {
        return Judgement::Hang;
    };
    if code == 101 || outcome.stderr.contains("panicked at") {
        return Judgement::Panic(first_line(&outcome.stderr));
    }
    let failed: BTreeSet<String> = log
        .iter()
        .filter(|e| e.fault != Fault::Forward)
        .map(|e| e.operation.clone())
        .collect();
    let Ok(report) = serde_json::from_str::<Value>(&outcome.stdout) else {
        let required: BTreeSet<String> = failed
            .iter()
            .filter(|operation| SCOPE_REQUIRED.contains(&operation.as_str()))
            .cloned()
            .collect();
        return match naming_a_failed_call(&outcome.stderr, &required) {
            Some(line) if code == 1 => Judgement::ScopeUnread(line),
            _ => Judgement::NoReport(format!("exit {code}: {}", first_line(&outcome.stderr))),
        };
    };
    let scopes = report["scopes"].to_string();
    let before = verdicts(baseline);
    let after = verdicts(&report);
    let mut gap = None;
    for (key, was) in &before {
        let Some(now) = after.get(key) else {
            if let Some(line) = naming_a_failed_call(&scopes, &failed) {
                gap.get_or_insert(line);
                continue;
            }
            return Judgement::Unexplained(format!("{key} is missing from the report"));
        };
        if now == was {
            continue;
        }
        let decided = |status: &str| status == "pass" || status == "fail";
        if decided(&now.status) && now.status != was.status {
            return Judgement::Different(format!("{key}: {was} → {now}"));
        }
        let new_blockers: Vec<&String> = now.blocking.difference(&was.blocking).collect();
        if !new_blockers.is_empty() {
            return Judgement::Different(format!("{key}: {was} → {now} (new {new_blockers:?})"));
        }
        let named = naming_a_failed_call(&now.gaps, &failed)
            .or_else(|| naming_a_failed_call(&scopes, &failed));
        if let Some(line) = named {
            gap.get_or_insert(line);
        } else {
            return Judgement::Unexplained(format!("{key}: {was} → {now}"));
        }
    }
    if let Some(extra) = after.keys().find(|k| !before.contains_key(*k)) {
        return Judgement::Unexplained(format!("{extra} is not in the baseline"));
    }
    gap.map_or(Judgement::Same, Judgement::Gap)
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(240).collect()
}

/// The faults a run got, for its line in the log: `ecr:DescribeImages#0 cut-anywhere …`.
fn faults_of(log: &[Entry]) -> String {
    let faulted: Vec<String> = log
        .iter()
        .filter(|e| e.fault != Fault::Forward)
        .map(|e| format!("{}#{} {} {}", e.operation, e.attempt, e.fault, e.detail))
        .collect();
    if faulted.is_empty() {
        "none".into()
    } else {
        faulted.join("; ")
    }
}

/// A scenario's runs: the proxy in front of its seeded emulator, the baseline, and what
/// each run got.
struct Bench<'a> {
    scenario: &'a str,
    proxy: &'a FaultProxy,
    baseline: Value,
    /// `(what was injected, judgement)` per run, for the summary.
    results: Vec<(String, String, Judgement)>,
    failures: Vec<String>,
}

impl<'a> Bench<'a> {
    /// Audits the seeded scenario without faults, through the proxy.
    fn new(scenario: &'a str, proxy: &'a FaultProxy) -> Bench<'a> {
        proxy.set_plan(Plan::Clean);
        let run = audit(proxy, &[]);
        let baseline: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "{scenario}: the baseline is not a report ({e}); exit {:?}: {}",
                run.code, run.stderr
            )
        });
        assert!(
            matches!(run.code, Some(0 | 3 | 4)),
            "{scenario}: baseline exit {:?}: {}",
            run.code,
            run.stderr
        );
        let status: Vec<String> = verdicts(&baseline)
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!(
            "[{scenario}] baseline: exit {:?} in {:.1} s: {}",
            run.code,
            run.seconds,
            status.join(", ")
        );
        Bench {
            scenario,
            proxy,
            baseline,
            results: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// The operations the baseline called (`ec2:DescribeVpcs`…), from its call counts.
    fn operations(&self) -> Vec<String> {
        self.baseline["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["calls_by_operation"].as_object())
            .flat_map(|calls| calls.keys().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    fn run(&mut self, label: &str, what: &str, plan: Plan, extra: &[&str]) {
        self.proxy.set_plan(plan);
        let outcome = audit(self.proxy, extra);
        let log = self.proxy.log();
        let judgement = judge(&self.baseline, &outcome, &log);
        let line = format!(
            "[{}] {label}: {judgement} (exit {:?}, {:.1} s); faults: {}",
            self.scenario,
            outcome.code,
            outcome.seconds,
            faults_of(&log)
        );
        eprintln!("{line}");
        if !judgement.passes() {
            self.failures.push(line);
        }
        self.results
            .push((what.to_string(), label.to_string(), judgement));
    }

    /// Every random profile at each seed.
    fn profiles(&mut self, seeds: &[u64]) {
        for profile in profiles() {
            for &seed in seeds {
                let plan = Plan::Random {
                    seed,
                    rates: profile.rates.clone(),
                };
                let label = format!("{} seed {seed}", profile.name);
                self.run(&label, profile.name, plan, profile.flags);
            }
        }
    }

    /// The mix profile only, at each seed.
    fn mix(&mut self, seeds: &[u64]) {
        for &seed in seeds {
            let plan = Plan::Random { seed, rates: mix() };
            self.run(&format!("mix seed {seed}"), "mix", plan, &[]);
        }
    }

    /// One operation at a time failing with each of `faults`.
    fn sweep(&mut self, faults: &[(Fault, bool)], seed: u64) {
        for operation in self.operations() {
            for &(fault, every_attempt) in faults {
                self.sweep_one(&operation, fault, every_attempt, seed);
            }
        }
    }

    /// Each operation failing with one of `faults`, in turn (a cheaper sweep).
    fn sweep_rotating(&mut self, faults: &[(Fault, bool)], seed: u64) {
        for (i, operation) in self.operations().iter().enumerate() {
            let (fault, every_attempt) = faults[i % faults.len()];
            self.sweep_one(operation, fault, every_attempt, seed);
        }
    }

    fn sweep_one(&mut self, operation: &str, fault: Fault, every_attempt: bool, seed: u64) {
        let plan = Plan::Operation {
            operation: operation.to_string(),
            fault,
            every_attempt,
            seed,
        };
        let extra: &[&str] = if every_attempt {
            &["--max-attempts", "2"]
        } else {
            &[]
        };
        let attempts = if every_attempt {
            "every attempt"
        } else {
            "once"
        };
        let label = format!("{fault} on {operation} ({attempts})");
        self.run(&label, &fault.to_string(), plan, extra);
    }

    /// Counts of judgement kinds per fault kind, then the failures; panics on any failure.
    fn finish(self) -> Vec<String> {
        let mut counts: BTreeMap<(String, &str), usize> = BTreeMap::new();
        for (what, _, judgement) in &self.results {
            *counts.entry((what.clone(), judgement.kind())).or_default() += 1;
        }
        for ((what, kind), n) in counts {
            eprintln!("[{}] summary: {what}: {n}× {kind}", self.scenario);
        }
        self.failures
    }
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} fault run(s) broke the rule (same verdict or an explicit gap naming the failed \
         call):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A healthy service (every service pullpath reads: EC2, ECS, ECR, IAM, Secrets Manager,
/// Organizations) under every profile, and every operation failing in turn.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn faults_keep_the_verdict_of_a_healthy_service_or_name_the_gap() {
    let moto = Moto::start();
    moto.seed("healthy-nat");
    let proxy = FaultProxy::start(&moto.url);
    let mut bench = Bench::new("healthy-nat", &proxy);
    bench.profiles(&[1, 2, 3]);
    let cuts = [
        (Fault::Truncate(Cut::AfterElement), false),
        (Fault::Truncate(Cut::Anywhere), false),
    ];
    if full_sweep() {
        bench.sweep(&operation_faults(), 7);
    } else {
        bench.sweep(&cuts, 7);
        bench.sweep_rotating(&operation_faults()[2..], 7);
    }
    assert_no_failures(bench.finish());
}

/// Scenarios whose verdict hangs on a list a truncated reply could shorten: the interface
/// endpoints (healthy-endpoints), a role's deny (permission-denied), the SSM parameter
/// (ssm-parameter-secret) and the container instances (ec2-healthy-nat). One emulator,
/// seeded per scenario.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn faults_keep_the_verdicts_of_lists_or_name_the_gap() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.url);
    let mut failures = Vec::new();
    for scenario in [
        "healthy-endpoints",
        "permission-denied",
        "ssm-parameter-secret",
        "ec2-healthy-nat",
    ] {
        moto.seed(scenario);
        let mut bench = Bench::new(scenario, &proxy);
        bench.mix(&[11, 12]);
        if full_sweep() {
            bench.sweep(&operation_faults(), 13);
        } else {
            bench.sweep(&[(Fault::Truncate(Cut::AfterElement), false)], 13);
        }
        failures.extend(bench.finish());
    }
    assert_no_failures(failures);
}

/// Among several clusters, one whose services cannot be read (ListServices fails on every
/// attempt) costs only that cluster: the other's service is audited as without faults, the
/// scope lists the cluster as unread and the failed call, and the run is unknown (exit 4) —
/// neither a pass nor a lost report.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn one_clusters_unreadable_services_cost_only_that_cluster() {
    let moto = Moto::start();
    moto.seed("healthy-nat");
    // A second, empty cluster, made through the API (the seed has one).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ecs::config::Credentials::for_tests())
            .endpoint_url(&moto.url)
            .build();
        aws_sdk_ecs::Client::from_conf(config)
            .create_cluster()
            .cluster_name("staging")
            .send()
            .await
            .expect("cluster created");
    });
    let proxy = FaultProxy::start(&moto.url);
    let clean = audit_clusters(&proxy, &["--all-clusters"], &[]);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);

    proxy.set_plan(Plan::Matching {
        operation: "ecs:ListServices".into(),
        body_contains: "cluster/staging".into(),
        fault: Fault::Status(503),
    });
    let faulty = audit_clusters(&proxy, &["--all-clusters"], &["--max-attempts", "2"]);
    assert_eq!(faulty.code, Some(4), "{}", faulty.stderr);
    let report: Value = serde_json::from_str(&faulty.stdout).expect("a report");
    assert_eq!(
        verdicts(&report),
        verdicts(&serde_json::from_str(&clean.stdout).unwrap())
    );
    let scope = &report["scopes"][0];
    assert_eq!(scope["unread_clusters"], serde_json::json!(["staging"]));
    assert_eq!(scope["status"], "partial");
    let failed = scope["failed_calls"].to_string();
    assert!(failed.contains("ecs:ListServices"), "{failed}");
}
