//! Fleet-wide audits against the emulated endpoint: several clusters in two regions, and
//! accounts reached by assuming roles, in one report whose AWS calls match the formula in
//! docs/collection.md, computed from the distinct resources `tests/live/fleet.py` seeds.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::emulator::Moto;

/// What fleet.py says one account and region holds.
struct Declared<'a>(&'a Value);

impl Declared<'_> {
    fn count(&self, key: &str) -> usize {
        self.0[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {}", self.0)) as usize
    }
    fn services_per_cluster(&self) -> Vec<usize> {
        self.0["clusters"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    }
    /// SSM parameter names the task definitions read, by the parameters' region.
    fn parameters(&self) -> Vec<usize> {
        self.0["parameters"]
            .as_object()
            .unwrap_or_else(|| panic!("parameters: {}", self.0))
            .values()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    }
    fn roles(&self) -> BTreeMap<String, usize> {
        self.0["roles"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, inline)| (name.clone(), inline.as_u64().unwrap() as usize))
            .collect()
    }
}

/// The documented formula for one account and region, the account's own reads excepted (IAM
/// and the organization: read once per account, by whichever region asks first, see
/// [`expected_account`]).
fn expected_scope(
    d: &Declared<'_>,
    all_clusters: bool,
    first_of_own_account: bool,
) -> BTreeMap<String, usize> {
    let services = d.services_per_cluster();
    let clusters = services.len();
    let pages = |n: usize, size: usize| n.div_ceil(size);
    let mut calls: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |operation: &str, n: usize| {
        if n > 0 {
            *calls.entry(operation.to_string()).or_default() += n;
        }
    };
    // The caller's own account is asked once per run, in its first scope.
    add("sts:GetCallerIdentity", usize::from(first_of_own_account));
    if all_clusters {
        add("ecs:ListClusters", pages(clusters, 100).max(1));
    }
    add("ecs:DescribeClusters", pages(clusters, 100));
    add(
        "ecs:ListServices",
        services.iter().map(|s| pages(*s, 100).max(1)).sum(),
    );
    add(
        "ecs:DescribeServices",
        services.iter().map(|s| pages(*s, 10)).sum(),
    );
    add("ecs:DescribeTaskDefinition", d.count("task_definitions"));
    add("ecr:DescribeRepositories", d.count("repositories"));
    add("ecr:DescribeImages", d.count("image_references"));
    // Each image found, once per reference: its manifest (an image index: nothing more).
    add("ecr:BatchGetImage", d.count("images_found"));
    add("ecr:GetRepositoryPolicy", d.count("repositories"));
    add(
        "ssm:DescribeParameters",
        d.parameters().iter().map(|n| pages(*n, 50)).sum(),
    );
    if services.iter().sum::<usize>() > 0 {
        add("ec2:DescribeSubnets", 2);
        for operation in [
            "ec2:DescribeVpcs",
            "ec2:DescribeRouteTables",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeNatGateways",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeManagedPrefixLists",
        ] {
            add(operation, 1);
        }
        add("ec2:DescribeVpcAttribute", 2 * d.count("vpcs"));
        add(
            "ec2:DescribeDhcpOptions",
            d.count("dhcp_option_sets").min(1),
        );
        add("ec2:GetManagedPrefixListEntries", d.count("prefix_lists"));
    }
    calls
}

/// The account-level calls of one account: each distinct role and managed policy once, and
/// its organization once, whichever of the account's regions asks first.
fn expected_account(regions: &[Declared<'_>]) -> BTreeMap<String, usize> {
    let roles: BTreeMap<String, usize> = regions.iter().flat_map(|d| d.roles()).collect();
    let policies = regions
        .iter()
        .flat_map(|d| d.0["managed_policies"].as_array().unwrap())
        .map(|p| p.as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let inline: usize = roles.values().sum();
    [
        ("iam:GetRole", roles.len()),
        ("iam:ListRolePolicies", roles.len()),
        ("iam:ListAttachedRolePolicies", roles.len()),
        ("iam:GetRolePolicy", inline),
        ("iam:GetPolicy", policies),
        ("iam:GetPolicyVersion", policies),
        ("organizations:DescribeOrganization", 1),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(op, n)| (op.to_string(), n))
    .collect()
}

fn calls_of(scope: &Value) -> BTreeMap<String, usize> {
    scope["calls_by_operation"]
        .as_object()
        .unwrap_or_else(|| panic!("no calls: {scope}"))
        .iter()
        .map(|(op, n)| (op.clone(), n.as_u64().unwrap() as usize))
        .collect()
}

/// Calls read for the account, once per run (IAM, Organizations), whichever region asks first.
fn is_account_level(operation: &str) -> bool {
    operation.starts_with("iam:") || operation.starts_with("organizations:")
}

/// A scope's calls: (regional, account-level).
fn split_account(
    calls: BTreeMap<String, usize>,
) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    calls.into_iter().partition(|(op, _)| !is_account_level(op))
}

/// How many times `operation` was called over all `scopes`.
fn total_of(scopes: &[Value], operation: &str) -> usize {
    scopes
        .iter()
        .map(|s| calls_of(s).get(operation).copied().unwrap_or(0))
        .sum()
}

/// Checks every scope of `report` against the formula; returns the total calls.
fn assert_formula(report: &Value, declared: &Value, all_clusters: bool) -> usize {
    let scopes = report["scopes"].as_array().unwrap();
    let mut total = 0;
    let mut accounts: BTreeMap<String, (BTreeMap<String, usize>, Vec<Declared<'_>>)> =
        BTreeMap::new();
    for (i, scope) in scopes.iter().enumerate() {
        let key = format!(
            "{} {}",
            scope["account_id"].as_str().unwrap(),
            scope["region"].as_str().unwrap()
        );
        let d = Declared(&declared["scopes"][&key]);
        let calls = calls_of(scope);
        total += calls.values().sum::<usize>();
        let (regional, account_level) = split_account(calls);
        let first_of_own_account = i == 0 && scope["role_arn"].is_null();
        assert_eq!(
            regional,
            expected_scope(&d, all_clusters, first_of_own_account),
            "{key}: calls other than the account's (IAM, organization)"
        );
        let account = accounts
            .entry(scope["account_id"].as_str().unwrap().to_string())
            .or_default();
        for (op, n) in account_level {
            *account.0.entry(op).or_default() += n;
        }
        account.1.push(d);
    }
    for (account, (calls, regions)) in &accounts {
        assert_eq!(
            calls,
            &expected_account(regions),
            "{account}: IAM and organization calls"
        );
    }
    total
}

fn json(run: &crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); exit {}, stderr: {}", run.code, run.stderr))
}

/// The figure of the stderr summary line (" with N AWS calls").
fn stated_calls(stderr: &str) -> usize {
    stderr
        .split(" with ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no call count in: {stderr}"))
}

/// The exit code of a run that reads cluster batch of 123456789012 us-east-1: its 4 `batch`
/// services run docker.io/library/busybox:1.36, whose platforms a run without
/// --inspect-registries does not know (the live tests read nothing outside AWS), so they are
/// unknown. Everything else passes.
const UNKNOWN: i32 = 4;

/// Asserts that the workloads that do not pass are the batch services running the Docker
/// Hub image, unknown for that one reason (NOT_COLLECTED: its manifest was not read); returns
/// how many there are.
fn only_the_docker_hub_image_is_unknown(workloads: &[Value]) -> usize {
    let mut unknown = 0;
    for workload in workloads.iter().filter(|w| w["status"] != "pass") {
        let findings = workload["findings"].as_array().unwrap();
        assert!(
            workload["status"] == "unknown"
                && workload["cluster"] == "batch"
                && findings.len() == 1
                && findings[0]["code"] == "NOT_COLLECTED"
                && findings[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("docker.io/library/busybox:1.36"),
            "{workload}"
        );
        unknown += 1;
    }
    unknown
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn one_command_audits_every_service_of_several_clusters_in_two_regions() {
    let moto = Moto::start();
    let declared = moto.seed_fleet();
    let run = moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-east-1,us-west-2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["workloads"], 36);
    assert_eq!(report["summary"]["by_status"]["pass"], 32);
    assert_eq!(
        only_the_docker_hub_image_is_unknown(report["workloads"].as_array().unwrap()),
        4
    );
    assert_eq!(
        (report["account_id"].as_str(), report["region"].as_str()),
        (Some("123456789012"), Some("*"))
    );
    let scopes: Vec<String> = report["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {} clusters, {} services, {}",
                s["account_id"].as_str().unwrap(),
                s["region"].as_str().unwrap(),
                s["clusters"],
                s["services"],
                s["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        scopes,
        [
            "123456789012 us-east-1 3 clusters, 20 services, complete",
            "123456789012 us-west-2 2 clusters, 16 services, complete",
        ]
    );
    // Every service of every cluster, named cluster/service.
    let mut clusters: BTreeMap<String, usize> = BTreeMap::new();
    for workload in report["workloads"].as_array().unwrap() {
        *clusters
            .entry(format!(
                "{} {}",
                workload["region"].as_str().unwrap(),
                workload["cluster"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    assert_eq!(
        clusters,
        BTreeMap::from([
            ("us-east-1 batch".to_string(), 8),
            ("us-east-1 prod".to_string(), 12),
            ("us-west-2 prod".to_string(), 10),
            ("us-west-2 web".to_string(), 6),
        ])
    );
    let total = assert_formula(&report, &declared, true);
    assert_eq!(stated_calls(&run.stderr), total, "{}", run.stderr);
    // 36 services cost 81 calls: the figure docs/collection.md works through.
    assert_eq!(total, 81);
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn assumed_role_accounts_join_the_same_report() {
    let moto = Moto::start();
    let declared = moto.seed_fleet();
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.txt");
    let roles: Vec<&str> = declared["role_arns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    std::fs::write(
        &accounts,
        format!(
            "# the fleet\n{}\n{}  audit-external-id\n",
            roles[0], roles[1]
        ),
    )
    .unwrap();
    let run = moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-east-1,us-west-2",
        "--accounts-file",
        accounts.to_str().unwrap(),
        "--format",
        "ndjson",
    ]);
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let scopes: Vec<&Value> = lines.iter().filter(|l| l["record"] == "scope").collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["workloads"], 41);
    let workloads: Vec<Value> = lines
        .iter()
        .filter(|l| l["record"] == "workload")
        .cloned()
        .collect();
    assert_eq!(only_the_docker_hub_image_is_unknown(&workloads), 4);
    let seen: Vec<String> = scopes
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                s["account_id"].as_str().unwrap(),
                s["region"].as_str().unwrap(),
                s["role_arn"].as_str().unwrap(),
                s["services"]
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            format!("123456789012 us-east-1 {} 20", roles[0]),
            format!("123456789012 us-west-2 {} 16", roles[0]),
            format!("111111111111 us-east-1 {} 5", roles[1]),
            format!("111111111111 us-west-2 {} 0", roles[1]),
        ]
    );
    let payments: Vec<&Value> = lines
        .iter()
        .filter(|l| l["record"] == "workload" && l["account_id"] == "111111111111")
        .collect();
    assert_eq!(payments.len(), 5);
    assert!(payments
        .iter()
        .all(|w| w["cluster"] == "payments" && w["status"] == "pass"));
    let report = serde_json::json!({"scopes": scopes});
    let total = assert_formula(&report, &declared, true);
    assert_eq!(stated_calls(&run.stderr), total, "{}", run.stderr);
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn all_regions_reads_every_enabled_region_once_listed() {
    let moto = Moto::start();
    moto.seed_fleet();
    let run = moto.run(&[
        "audit",
        "--all-clusters",
        "--all-regions",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let report = json(&run);
    let scopes = report["scopes"].as_array().unwrap();
    assert!(
        scopes.len() > 10,
        "moto lists every region: {}",
        scopes.len()
    );
    let with_services: Vec<&str> = scopes
        .iter()
        .filter(|s| s["services"].as_u64() > Some(0))
        .map(|s| s["region"].as_str().unwrap())
        .collect();
    assert_eq!(with_services, ["us-east-1", "us-west-2"]);
    let listings: usize = scopes
        .iter()
        .map(|s| calls_of(s).get("ec2:DescribeRegions").copied().unwrap_or(0))
        .sum();
    assert_eq!(listings, 1, "the regions are listed once per account");
    // A region without clusters costs one call (ListClusters); the account is asked once
    // for the whole run, with the region listing, in the first scope. Its organization is
    // read once too, by whichever region asks first (often one without clusters, which
    // asks at once).
    let first = calls_of(&scopes[0]);
    assert_eq!(first.get("sts:GetCallerIdentity"), Some(&1));
    for scope in scopes.iter().skip(1).filter(|s| s["clusters"] == 0) {
        let (regional, _) = split_account(calls_of(scope));
        assert_eq!(
            regional,
            BTreeMap::from([("ecs:ListClusters".to_string(), 1)]),
            "{scope}"
        );
        assert_eq!(scope["account_id"], "123456789012");
    }
    assert_eq!(total_of(scopes, "organizations:DescribeOrganization"), 1);
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_region_that_cannot_be_read_is_unknown_not_a_pass() {
    let moto = Moto::start();
    moto.seed_fleet();
    // moto answers a region it does not know with an HTML 500.
    let run = moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-east-1,mars-north-1",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("mars-north-1 could not be read: ecs ListClusters failed"),
        "{}",
        run.stderr
    );
    let report = json(&run);
    assert_eq!(report["summary"]["by_status"]["pass"], 16);
    assert_eq!(
        only_the_docker_hub_image_is_unknown(report["workloads"].as_array().unwrap()),
        4
    );
    assert_eq!(report["summary"]["scopes_failed"], 1);
    let failed = &report["scopes"][1];
    assert_eq!(failed["region"], "mars-north-1");
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("ListClusters"),
        "{failed}"
    );
    // Under --fail-on fail an unread region does not fail the run; under never nothing does.
    let lenient = moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-east-1,mars-north-1",
        "--fail-on",
        "fail",
    ]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_named_cluster_may_be_missing_from_some_regions_but_not_all() {
    let moto = Moto::start();
    moto.seed_fleet();
    let run = moto.run(&[
        "audit",
        "--cluster",
        "batch",
        "--region",
        "us-east-1,us-west-2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["workloads"], 8);
    assert_eq!(
        only_the_docker_hub_image_is_unknown(report["workloads"].as_array().unwrap()),
        4
    );
    assert_eq!(
        report["scopes"][1]["missing_clusters"],
        serde_json::json!(["batch"])
    );
    let run = moto.run(&[
        "audit",
        "--cluster",
        "staging",
        "--region",
        "us-east-1,us-west-2",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cluster `staging` is in none of the 2 account/region scopes read"),
        "{}",
        run.stderr
    );
}

/// The region without the named cluster costs one DescribeClusters, and nothing else of its
/// own (the account's organization is read once for both regions, by whichever asks first:
/// often this one, which has nothing else to read first).
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_region_without_the_named_cluster_costs_one_call() {
    let moto = Moto::start();
    moto.seed_fleet();
    let run = moto.run(&[
        "audit",
        "--cluster",
        "batch",
        "--region",
        "us-east-1,us-west-2",
        "--format",
        "json",
    ]);
    let report = json(&run);
    let (west, _) = split_account(calls_of(&report["scopes"][1]));
    assert_eq!(
        west,
        BTreeMap::from([("ecs:DescribeClusters".to_string(), 1)])
    );
    let scopes = report["scopes"].as_array().unwrap();
    assert_eq!(total_of(scopes, "organizations:DescribeOrganization"), 1);
    let east = calls_of(&report["scopes"][0]);
    assert_eq!(
        east.get("ecs:ListClusters"),
        None,
        "a named cluster is not listed"
    );
    assert_eq!(
        east.get("ecs:DescribeTaskDefinition"),
        Some(&2),
        "batch and report"
    );
}

/// A deleted cluster is still listed (INACTIVE) for a while: `--all-clusters` skips it.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn all_clusters_skips_a_deleted_cluster() {
    let moto = Moto::start();
    moto.seed_fleet();
    let run = moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-west-2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["workloads"], 16);
    assert_eq!(report["scopes"][0]["clusters"], 2);
    assert_eq!(
        report["scopes"][0]["missing_clusters"],
        serde_json::json!([])
    );
}

/// A named service may be missing from some regions' cluster, as a cluster may.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_named_service_may_be_missing_from_some_regions_but_not_all() {
    let moto = Moto::start();
    moto.seed_fleet();
    // prod has prod-00…prod-11 in us-east-1 but only prod-00…prod-09 in us-west-2.
    let run = moto.run(&[
        "audit",
        "--cluster",
        "prod",
        "--service",
        "prod-11",
        "--service",
        "prod-00",
        "--region",
        "us-east-1,us-west-2",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["workloads"], 3);
    assert_eq!(report["scopes"][1]["status"], "complete");
    assert_eq!(
        report["scopes"][1]["missing_services"],
        serde_json::json!(["prod/prod-11"])
    );
    let run = moto.run(&[
        "audit",
        "--cluster",
        "prod",
        "--service",
        "prod-99",
        "--region",
        "us-east-1,us-west-2",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("service `prod-99` is in none of the 2 account/region scopes read"),
        "{}",
        run.stderr
    );
    // In one region, a missing service is bad input, as it always was.
    let run = moto.run(&[
        "audit",
        "--cluster",
        "prod",
        "--service",
        "prod-11",
        "--region",
        "us-west-2",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("service `prod-11` is not in cluster `prod`"),
        "{}",
        run.stderr
    );
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn collect_writes_one_snapshot_per_account_and_region_that_audits_the_same() {
    let moto = Moto::start();
    moto.seed_fleet();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshots");
    let collected = moto.run(&[
        "collect",
        "--all-clusters",
        "--region",
        "us-east-1,us-west-2",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(collected.code, 0, "{}", collected.stderr);
    let east = out.join("123456789012-us-east-1.json");
    let west = out.join("123456789012-us-west-2.json");
    let offline = crate::support::run(&[
        "audit",
        "--snapshot",
        east.to_str().unwrap(),
        "--snapshot",
        west.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(offline.code, UNKNOWN, "{}", offline.stderr);
    let live = json(&moto.run(&[
        "audit",
        "--all-clusters",
        "--region",
        "us-east-1,us-west-2",
        "--format",
        "json",
    ]));
    assert_eq!(json(&offline)["workloads"], live["workloads"]);
    // As for audit: a named cluster no region has is bad input.
    let unknown = moto.run(&[
        "collect",
        "--cluster",
        "staging",
        "--region",
        "us-east-1,us-west-2",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("cluster `staging` is in none of the 2 account/region scopes read"),
        "{}",
        unknown.stderr
    );
}
