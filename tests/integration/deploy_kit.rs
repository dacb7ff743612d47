//! The scheduled-audit kit (deploy/*.yaml): its member role grants exactly
//! docs/iam-policy.json, both templates pass cfn-lint, and they deploy into the emulator with
//! the role, schedule, bucket, task and table as designed (tests/live/deploy_kit.py: moto's
//! CloudFormation skips the Scheduler and Glue types, which the script applies from the same
//! template through their APIs).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::emulator::Moto;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn policy_actions() -> Vec<String> {
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/iam-policy.json")).unwrap(),
    )
    .unwrap();
    policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_member_role_grants_exactly_the_least_privilege_policy() {
    let template: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("deploy/member-role.yaml")).unwrap(),
    )
    .unwrap();
    let statements = template["Resources"]["AuditRole"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(statements[0]["Resource"], "*");
    let actions: Vec<String> = statements[0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        policy_actions(),
        "deploy/member-role.yaml is generated from docs/iam-policy.json: run scripts/deploy-kit.py"
    );
}

#[test]
#[ignore = "needs cfn-lint in .venv-moto (scripts/test installs it)"]
fn the_templates_pass_cfn_lint() {
    let output = Command::new(root().join(".venv-moto/bin/cfn-lint"))
        .args(["deploy/member-role.yaml", "deploy/audit-account.yaml"])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cfn-lint is needed (scripts/test installs it): {e}"));
    assert!(
        output.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn the_kit_deploys_with_role_schedule_bucket_and_table_as_designed() {
    let moto = Moto::start();
    let kit = moto.deploy_kit();
    for stack in ["pullpath-audit", "pullpath-member"] {
        assert_eq!(kit["stacks"][stack]["status"], "CREATE_COMPLETE", "{kit}");
    }
    // Only the types moto's CloudFormation lacks were applied by their APIs.
    for applied in kit["applied"].as_array().unwrap() {
        let kind = applied.as_str().unwrap().split(' ').nth(1).unwrap();
        assert!(
            [
                "AWS::Scheduler::Schedule",
                "AWS::Glue::Database",
                "AWS::Glue::Table"
            ]
            .contains(&kind),
            "{applied}"
        );
    }
    // The member role: trusted by the audit task's role, granted exactly the policy.
    let member = &kit["member_role"];
    assert_eq!(
        member["trust"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::123456789012:role/pullpath-audit-task"
    );
    let actions: Vec<String> = member["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, policy_actions());
    // The task role lists the organization, assumes the member roles, writes reports only.
    let statements = kit["task_role"]["statements"].as_array().unwrap();
    let by_sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap().clone();
    assert_eq!(
        by_sid("AssumeTheMemberRoles")["Resource"],
        "arn:aws:iam::*:role/pullpath-audit"
    );
    let bucket = kit["bucket"]["name"].as_str().unwrap();
    assert_eq!(
        by_sid("WriteReports")["Resource"],
        format!("arn:aws:s3:::{bucket}/pullpath/*").as_str()
    );
    assert_eq!(kit["bucket"]["encryption"], "AES256");
    // The task runs the organization audit and writes NDJSON under the date partition.
    let task = &kit["task_definition"];
    let command = task["command"][0].as_str().unwrap();
    for part in [
        "pullpath audit --organization --role-name \"$MEMBER_ROLE\"",
        "--format ndjson",
        "--fail-on never",
        "s3://$BUCKET/pullpath/dt=$day/",
    ] {
        assert!(command.contains(part), "{part} in {command}");
    }
    assert_eq!(task["environment"]["BUCKET"], bucket);
    // The schedule runs that task on Fargate in the cluster, without a public IP.
    let schedule = &kit["schedule"];
    assert_eq!(schedule["expression"], "cron(0 6 * * ? *)");
    assert_eq!(
        schedule["target"],
        "arn:aws:ecs:us-east-1:123456789012:cluster/pullpath-audit"
    );
    assert_eq!(schedule["ecs"]["TaskDefinitionArn"], task["arn"]);
    assert_eq!(schedule["ecs"]["LaunchType"], "FARGATE");
    assert_eq!(
        schedule["ecs"]["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    // The table reads the bucket's date partitions as JSON lines.
    let table = &kit["table"];
    assert_eq!(table["partition_keys"][0]["Name"], "dt");
    assert_eq!(
        table["location"],
        format!("s3://{bucket}/pullpath/").as_str()
    );
    assert_eq!(table["serde"], "org.openx.data.jsonserde.JsonSerDe");
    assert_eq!(
        table["template"],
        format!("s3://{bucket}/pullpath/dt=${{dt}}/").as_str()
    );
    let columns: Vec<&str> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for column in [
        "record",
        "account_id",
        "region",
        "status",
        "code",
        "resource_id",
    ] {
        assert!(columns.contains(&column), "{column}");
    }
}
