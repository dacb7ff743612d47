//! Which global condition keys a request carries, and with what, for the kinds of calls an
//! image pull makes. Every rule follows "AWS global condition context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>,
//! quoted as [CK]), "Forward access sessions"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html>,
//! [FAS]) and the principal table of "IAM policy elements: Variables and tags"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>,
//! [VARS]). A key these rules leave open is left out, so the evaluator reports it unknown.

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::context::{Context, KeyValue, Partial};

/// Whether the caller's account belongs to an AWS Organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Organization {
    Member(String),
    /// Read, and the account is in no organization.
    NotAMember,
    /// Not read (`why` says why).
    Unknown(String),
}

/// A role session: the execution role ECS assumes for the task, or an EC2 instance's role.
#[derive(Debug, Clone)]
pub struct RoleSession<'a> {
    pub role_arn: &'a str,
    pub account: &'a str,
    /// The role's unique id (`AROA…`); `None`: not collected.
    pub role_id: Option<&'a str>,
    /// The role's tags; `None`: not collected.
    pub tags: Option<&'a BTreeMap<String, String>>,
    pub organization: &'a Organization,
    /// Whether these are an EC2 instance's role credentials (whose instance keys are not
    /// modelled: unknown) rather than a role ECS assumed (they are absent).
    pub ec2_instance: bool,
}

fn values(value: &str) -> KeyValue {
    KeyValue::Values(vec![value.to_string()])
}

fn boolean(value: bool) -> KeyValue {
    values(if value { "true" } else { "false" })
}

/// The keys of the principal when a role session calls directly.
pub fn role_session(session: &RoleSession<'_>) -> Context {
    let mut c = Context::new();
    let role = format!("role {}", session.role_arn);
    // [CK] aws:PrincipalArn: "the request context returns the ARN of the role, not the ARN of
    // the user that assumed the role".
    c.set("aws:PrincipalArn", values(session.role_arn), &role);
    c.set("aws:PrincipalAccount", values(session.account), &role);
    // [VARS] assumed role: aws:PrincipalType "AssumedRole"; aws:userid "role-id:caller-
    // specified-role-name"; aws:username "(not present)".
    c.set("aws:PrincipalType", values("AssumedRole"), "a role session");
    match session.role_id {
        Some(id) => c.set(
            "aws:userid",
            KeyValue::Partial(Partial::Prefixed(format!("{id}:"))),
            format!("{id}: followed by a session name the caller chooses"),
        ),
        None => c.set(
            "aws:userid",
            KeyValue::Unknown,
            "the role's unique id was not collected",
        ),
    }
    c.set(
        "aws:username",
        KeyValue::Absent,
        "role sessions have no user name",
    );
    // [CK] aws:PrincipalTag: "included for a principal using an IAM role with attached tags
    // or session tags"; ECS passes no session tags.
    if let Some(tags) = session.tags {
        c.set_family(
            "aws:PrincipalTag/",
            KeyValue::Absent,
            format!("the tags of {role}"),
        );
        for (key, value) in tags {
            c.set(
                &format!("aws:PrincipalTag/{key}"),
                values(value),
                format!("the tags of {role}"),
            );
        }
    }
    organization_keys(
        &mut c,
        session.organization,
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
    );
    // [CK] aws:PrincipalIsAWSService: "false if the service uses the credentials of an IAM
    // principal"; aws:PrincipalServiceName: "not present … If the call is made directly by an
    // IAM principal".
    c.set(
        "aws:PrincipalIsAWSService",
        boolean(false),
        "a role session calls",
    );
    c.set(
        "aws:PrincipalServiceName",
        KeyValue::Absent,
        "a role session calls",
    );
    // [CK] aws:SourceAccount / aws:SourceArn / aws:SourceOrgID: "only when the call to your
    // resource is being made directly by an AWS service principal".
    for key in ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID"] {
        c.set(
            key,
            KeyValue::Absent,
            "a role session calls, not a service principal",
        );
    }
    // [CK] aws:ViaAWSService "returns false when the principal makes the call directly";
    // aws:CalledVia "not present when the principal makes the call directly".
    c.set(
        "aws:ViaAWSService",
        boolean(false),
        "the call is made directly",
    );
    for key in ["aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"] {
        c.set(key, KeyValue::Absent, "the call is made directly");
    }
    // [CK] aws:MultiFactorAuthPresent / aws:TokenIssueTime: present with temporary
    // credentials; a role session's credentials are temporary and carry no MFA.
    c.set(
        "aws:MultiFactorAuthPresent",
        boolean(false),
        "role session credentials carry no MFA",
    );
    c.set(
        "aws:TokenIssueTime",
        KeyValue::Partial(Partial::Any),
        "when the session's credentials were issued",
    );
    // [CK] aws:Ec2InstanceSourceVpc: "included … whenever the requester is signing requests
    // with an Amazon EC2 role credential".
    if !session.ec2_instance {
        for key in [
            "aws:Ec2InstanceSourceVpc",
            "aws:Ec2InstanceSourcePrivateIPv4",
        ] {
            c.set(key, KeyValue::Absent, "not EC2 instance role credentials");
        }
    }
    // Pull calls pass no tags ([CK] aws:TagKeys: "included … if the operation supports
    // passing tags in the request").
    c.set("aws:TagKeys", KeyValue::Absent, "pull calls pass no tags");
    c.set_family(
        "aws:RequestTag/",
        KeyValue::Absent,
        "pull calls pass no tags",
    );
    c.set(
        "aws:SourceIdentity",
        KeyValue::Absent,
        "ECS sets no source identity",
    );
    c
}

fn organization_keys(c: &mut Context, organization: &Organization, id: &str, paths: &str) {
    match organization {
        Organization::Member(org) => {
            c.set(
                id,
                values(org),
                format!("the account is in organization {org}"),
            );
            c.set(
                paths,
                KeyValue::Unknown,
                "organizational units were not read",
            );
        }
        // [CK] aws:PrincipalOrgID: "included … only if the principal is a member of an
        // organization"; aws:ResourceOrgID likewise for the resource's account.
        Organization::NotAMember => {
            c.set(id, KeyValue::Absent, "the account is in no organization");
            c.set(paths, KeyValue::Absent, "the account is in no organization");
        }
        Organization::Unknown(why) => {
            c.set(id, KeyValue::Unknown, why.clone());
            c.set(paths, KeyValue::Unknown, why.clone());
        }
    }
}

/// The keys of the network a call comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// Through VPC endpoint `endpoint` of VPC `vpc`, from an address in `source`.
    Endpoint {
        endpoint: String,
        vpc: String,
        source: IpNet,
        why: String,
    },
    /// Over the internet from a public address (a NAT gateway's Elastic IP, a public IP).
    Public { source_ip: KeyValue, why: String },
    /// Not known (traffic leaves the VPC through a transit gateway, or DNS may send it either
    /// way).
    Unknown { why: String },
}

const NETWORK_KEYS: [&str; 5] = [
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:VpcSourceIp",
    "aws:SourceIp",
];

/// Adds the network keys of a direct call.
pub fn network(c: &mut Context, network: &Network) {
    match network {
        // [CK] aws:SourceVpce, aws:SourceVpc, aws:VpcSourceIp: "included in the request
        // context only if the requester uses a VPC endpoint"; aws:SourceIp: "included …
        // except when the requester uses a VPC endpoint".
        Network::Endpoint {
            endpoint,
            vpc,
            source,
            why,
        } => {
            c.set("aws:SourceVpce", values(endpoint), why);
            c.set("aws:SourceVpc", values(vpc), why);
            c.set(
                "aws:VpcSourceIp",
                KeyValue::Partial(Partial::Address(vec![*source])),
                format!("{why}, from an address in {source}"),
            );
            c.set("aws:SourceIp", KeyValue::Absent, why);
            // [CK] lists the services that send it; whether those a pull calls do is not
            // settled: unknown.
            c.set(
                "aws:SourceVpcArn",
                KeyValue::Unknown,
                "which services send aws:SourceVpcArn through an endpoint is not settled",
            );
        }
        Network::Public { source_ip, why } => {
            for key in &NETWORK_KEYS[..4] {
                c.set(key, KeyValue::Absent, why);
            }
            c.set("aws:SourceIp", source_ip.clone(), why);
        }
        Network::Unknown { why } => {
            for key in NETWORK_KEYS {
                c.set(key, KeyValue::Unknown, why);
            }
        }
    }
}

/// The keys of the network of a call a service makes on the caller's behalf with its
/// credentials (Secrets Manager or Systems Manager calling KMS to decrypt): [FAS] "When FAS
/// requests are made, aws:CalledVia, aws:CalledViaFirst, and aws:CalledViaLast condition keys
/// are populated with the service principal of the service that initiated the FAS call. The
/// aws:ViaAWSService condition key value is set to true"; "the condition key values for
/// aws:SourceVpce, aws:SourceVpc, and aws:VpcSourceIp from the initial request are not used in
/// FAS requests … When a FAS request is made after an initial request is received by a public
/// AWS service endpoint, subsequent FAS requests will be made with the same aws:SourceIP".
pub fn forward_access(c: &mut Context, service_principal: &str, initial: &Network) {
    let why = format!("{service_principal} makes the call on the role's behalf");
    c.set("aws:ViaAWSService", boolean(true), &why);
    for key in ["aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"] {
        c.set(key, values(service_principal), &why);
    }
    for key in &NETWORK_KEYS[..4] {
        c.set(
            key,
            KeyValue::Absent,
            "a forwarded call carries no VPC keys",
        );
    }
    match initial {
        Network::Public { source_ip, why } => c.set("aws:SourceIp", source_ip.clone(), why),
        // Not documented for a first call through an endpoint.
        _ => c.set(
            "aws:SourceIp",
            KeyValue::Unknown,
            "what a forwarded call carries after a call through a VPC endpoint is not documented",
        ),
    }
}

/// The keys a service principal carries when it calls directly: ECS (`ecs-tasks.amazonaws.com`)
/// assuming the execution role. [CK] aws:PrincipalIsAWSService "set to true when a service
/// uses a service principal to perform a direct action"; aws:PrincipalServiceName "present in
/// the request when the call is made by an AWS service principal"; aws:SourceAccount and
/// aws:SourceArn "included … when the call to your resource is being made directly by an AWS
/// service principal on behalf of a resource". Its network keys are redacted ("certain
/// network-specific authorization context is redacted"): unknown.
pub fn service_principal(service: &str, source_account: &str, source_arn_prefix: &str) -> Context {
    let mut c = Context::new();
    let why = format!("{service} calls");
    c.set("aws:PrincipalIsAWSService", boolean(true), &why);
    c.set("aws:PrincipalServiceName", values(service), &why);
    c.set("aws:SourceAccount", values(source_account), &why);
    c.set(
        "aws:SourceArn",
        KeyValue::Partial(Partial::Prefixed(source_arn_prefix.to_string())),
        "the ECS resource the role is assumed for",
    );
    c.set("aws:ViaAWSService", boolean(false), &why);
    for key in ["aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"] {
        c.set(key, KeyValue::Absent, &why);
    }
    network(
        &mut c,
        &Network::Unknown {
            why: "AWS redacts the network keys of a service principal's calls".into(),
        },
    );
    c
}

/// The keys of the request itself: [CK] aws:RequestedRegion and aws:SecureTransport are
/// "always included"; the agent calls AWS over HTTPS. aws:ResourceAccount ("always included
/// … for most service actions") and aws:ResourceOrgID ("only if the account that owns the
/// resource is a member of an organization") describe the resource's owner.
pub fn request(
    c: &mut Context,
    region: &str,
    resource_account: KeyValue,
    resource_organization: &Organization,
    why_resource: &str,
) {
    c.set(
        "aws:RequestedRegion",
        values(region),
        "the region of the service called",
    );
    c.set(
        "aws:SecureTransport",
        boolean(true),
        "the call is made over HTTPS",
    );
    c.set("aws:ResourceAccount", resource_account, why_resource);
    organization_keys(
        c,
        resource_organization,
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
    );
    // Resource tags are not collected.
}

/// The audit's clock: [CK] aws:CurrentTime and aws:EpochTime are "always included".
pub fn clock(c: &mut Context, epoch_seconds: i64) {
    use aws_smithy_types::date_time::{DateTime, Format};
    let date = DateTime::from_secs(epoch_seconds)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    c.set("aws:CurrentTime", values(&date), "the audit's clock");
    c.set(
        "aws:EpochTime",
        values(&epoch_seconds.to_string()),
        "the audit's clock",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_session_through_an_endpoint_and_through_a_nat() {
        let organization = Organization::Member("o-abc".into());
        let mut tags = BTreeMap::new();
        tags.insert("team".to_string(), "web".to_string());
        let mut c = role_session(&RoleSession {
            role_arn: "arn:aws:iam::123456789012:role/exec",
            account: "123456789012",
            role_id: Some("AROAEXAMPLE"),
            tags: Some(&tags),
            organization: &organization,
            ec2_instance: false,
        });
        network(
            &mut c,
            &Network::Endpoint {
                endpoint: "vpce-1".into(),
                vpc: "vpc-1".into(),
                source: "10.0.1.0/24".parse().unwrap(),
                why: "through vpce-1".into(),
            },
        );
        assert_eq!(c.single("aws:SourceVpce"), Some("vpce-1"));
        assert_eq!(c.get("aws:SourceIp").unwrap().value, KeyValue::Absent);
        assert_eq!(c.single("aws:PrincipalTag/team"), Some("web"));
        assert_eq!(c.get("aws:PrincipalTag/x").unwrap().value, KeyValue::Absent);
        assert_eq!(c.single("aws:PrincipalOrgID"), Some("o-abc"));
        network(
            &mut c,
            &Network::Public {
                source_ip: values("203.0.113.7"),
                why: "through NAT gateway nat-1".into(),
            },
        );
        assert_eq!(c.get("aws:SourceVpce").unwrap().value, KeyValue::Absent);
        assert_eq!(c.single("aws:SourceIp"), Some("203.0.113.7"));
    }

    #[test]
    fn forwarded_calls_drop_vpc_keys_and_keep_a_public_source_ip() {
        let mut c = Context::new();
        let nat = Network::Public {
            source_ip: values("203.0.113.7"),
            why: "through NAT gateway nat-1".into(),
        };
        forward_access(&mut c, "secretsmanager.amazonaws.com", &nat);
        assert_eq!(c.single("aws:ViaAWSService"), Some("true"));
        assert_eq!(c.single("aws:SourceIp"), Some("203.0.113.7"));
        assert_eq!(c.get("aws:SourceVpce").unwrap().value, KeyValue::Absent);
    }

    #[test]
    fn clock_keys() {
        let mut c = Context::new();
        clock(&mut c, 1_764_806_400);
        assert_eq!(c.single("aws:CurrentTime"), Some("2025-12-04T00:00:00Z"));
        assert_eq!(c.single("aws:EpochTime"), Some("1764806400"));
    }
}
