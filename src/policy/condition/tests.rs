//! One test per operator family and per rule for absent keys, each beside the AWS text it
//! follows ("IAM JSON policy elements: Condition operators",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>;
//! "Single-valued vs. multivalued context keys",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).

use serde_json::json;

use super::*;

fn context() -> Context {
    let mut context = Context::new();
    let mut set = |key: &str, value: KeyValue| context.set(key, value, "test");
    set("aws:SourceVpce", KeyValue::Values(vec!["vpce-1".into()]));
    set("aws:SourceVpc", KeyValue::Values(vec!["vpc-1".into()]));
    set("aws:SourceIp", KeyValue::Absent);
    set(
        "aws:VpcSourceIp",
        KeyValue::Partial(Partial::Address(vec!["10.0.1.0/24".parse().unwrap()])),
    );
    set(
        "aws:PrincipalArn",
        KeyValue::Values(vec!["arn:aws:iam::123456789012:role/exec".into()]),
    );
    set("aws:SecureTransport", KeyValue::Values(vec!["true".into()]));
    set("aws:EpochTime", KeyValue::Values(vec!["1764806400".into()]));
    set(
        "aws:CurrentTime",
        KeyValue::Values(vec!["2025-12-04T00:00:00Z".into()]),
    );
    set(
        "aws:CalledVia",
        KeyValue::Values(vec!["secretsmanager.amazonaws.com".into()]),
    );
    set(
        "aws:SourceArn",
        KeyValue::Partial(Partial::Prefixed(
            "arn:aws:ecs:us-east-1:123456789012:".into(),
        )),
    );
    set(
        "aws:ResourceAccount",
        KeyValue::Partial(Partial::OtherThan(vec!["123456789012".into()])),
    );
    set("aws:TagKeys", KeyValue::Values(Vec::new()));
    set("aws:SourceAccount", KeyValue::Unknown);
    context
}

/// The condition `{operator: {key: values}}` against the test context.
fn decide(operator: &str, key: &str, values: serde_json::Value) -> Truth {
    let clauses = parse_conditions(&json!({ operator: { key: values } }), true).unwrap();
    evaluate_conditions(&clauses, &context()).truth
}

fn unknown(truth: Truth) -> bool {
    matches!(truth, Truth::Unknown(_))
}

#[test]
fn string_operators_are_exact_and_case_sensitive() {
    // "StringEquals: Exact matching, case sensitive".
    assert_eq!(
        decide("StringEquals", "aws:SourceVpce", json!("vpce-1")),
        Truth::True
    );
    assert_eq!(
        decide("StringEquals", "aws:SourceVpce", json!("VPCE-1")),
        Truth::False
    );
    assert_eq!(
        decide("StringEquals", "aws:SourceVpce", json!("vpce-*")),
        Truth::False
    );
    // "StringEqualsIgnoreCase: Exact matching, ignoring case".
    assert_eq!(
        decide("StringEqualsIgnoreCase", "aws:SourceVpce", json!("VPCE-1")),
        Truth::True
    );
    // "StringLike: Case-sensitive matching. The values can include multi-character match
    // wildcards (*) and single-character match wildcards (?) anywhere in the string."
    assert_eq!(
        decide("StringLike", "aws:SourceVpce", json!("vpce-?")),
        Truth::True
    );
    assert_eq!(
        decide("StringNotLike", "aws:SourceVpce", json!("vpce-*")),
        Truth::False
    );
    // Condition key names are case-insensitive.
    assert_eq!(
        decide("StringEquals", "AWS:SOURCEVPCE", json!("vpce-1")),
        Truth::True
    );
}

#[test]
fn several_values_are_or_and_negation_means_none_of_them() {
    // "If you specify multiple values for a single key, the condition is evaluated using a
    // logical OR."
    assert_eq!(
        decide(
            "StringEquals",
            "aws:SourceVpce",
            json!(["vpce-9", "vpce-1"])
        ),
        Truth::True
    );
    // StringNotEquals with several values: the value is none of them.
    assert_eq!(
        decide(
            "StringNotEquals",
            "aws:SourceVpce",
            json!(["vpce-9", "vpce-1"])
        ),
        Truth::False
    );
    assert_eq!(
        decide(
            "StringNotEquals",
            "aws:SourceVpce",
            json!(["vpce-9", "vpce-8"])
        ),
        Truth::True
    );
}

#[test]
fn several_keys_and_operators_are_and() {
    // "If your policy has multiple condition operators or multiple keys attached to a single
    // condition operator, the conditions are evaluated using a logical AND."
    let clauses = parse_conditions(
        &json!({"StringEquals": {"aws:SourceVpce": "vpce-1", "aws:SourceVpc": "vpc-2"}}),
        true,
    )
    .unwrap();
    assert_eq!(
        evaluate_conditions(&clauses, &context()).truth,
        Truth::False
    );
    let clauses = parse_conditions(
        &json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "true"}}),
        true,
    )
    .unwrap();
    assert_eq!(evaluate_conditions(&clauses, &context()).truth, Truth::True);
}

#[test]
fn absent_keys_match_only_negated_operators() {
    // "If the key that you specify in a policy condition is not present in the request
    // context, the values do not match and the condition is false. If the policy condition
    // requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
    // key is not present, the condition is true."
    assert_eq!(
        decide("IpAddress", "aws:SourceIp", json!("0.0.0.0/0")),
        Truth::False
    );
    assert_eq!(
        decide("StringEquals", "aws:SourceIp", json!("x")),
        Truth::False
    );
    assert_eq!(
        decide("NotIpAddress", "aws:SourceIp", json!("10.0.0.0/8")),
        Truth::True
    );
    assert_eq!(
        decide("StringNotEquals", "aws:SourceIp", json!("x")),
        Truth::True
    );
    assert_eq!(
        decide("ArnNotLike", "aws:SourceIp", json!("arn:*:*:*:*:*")),
        Truth::True
    );
}

#[test]
fn if_exists_matches_an_absent_key() {
    // "If the key is not present, evaluate the condition element as true."
    assert_eq!(
        decide("IpAddressIfExists", "aws:SourceIp", json!("203.0.113.0/24")),
        Truth::True
    );
    // Present keys are compared as usual.
    assert_eq!(
        decide("StringEqualsIfExists", "aws:SourceVpce", json!("vpce-2")),
        Truth::False
    );
}

#[test]
fn null_tests_presence() {
    // "Use a Null condition operator to check if a condition key is absent at the time of
    // authorization. In the policy statement, use either true (the key doesn't exist — it is
    // null) or false (the key exists and its value is not null)."
    assert_eq!(decide("Null", "aws:SourceIp", json!("true")), Truth::True);
    assert_eq!(decide("Null", "aws:SourceIp", json!("false")), Truth::False);
    assert_eq!(
        decide("Null", "aws:SourceVpce", json!("false")),
        Truth::True
    );
    assert_eq!(decide("Null", "aws:VpcSourceIp", json!(true)), Truth::False);
}

#[test]
fn set_operators_on_present_and_absent_keys() {
    // "ForAnyValue: … returns true if at least one of the values in the request matches … If
    // the key is not present, it returns false"; "ForAllValues: … returns true if every key
    // value in the request matches … also returns true if there are no keys in the request".
    assert_eq!(
        decide(
            "ForAnyValue:StringEquals",
            "aws:CalledVia",
            json!(["secretsmanager.amazonaws.com", "ssm.amazonaws.com"])
        ),
        Truth::True
    );
    assert_eq!(
        decide(
            "ForAllValues:StringEquals",
            "aws:CalledVia",
            json!("ssm.amazonaws.com")
        ),
        Truth::False
    );
    assert_eq!(
        decide("ForAnyValue:StringEquals", "aws:SourceIp", json!("1.2.3.4")),
        Truth::False
    );
    assert_eq!(
        decide(
            "ForAllValues:StringEquals",
            "aws:SourceIp",
            json!("1.2.3.4")
        ),
        Truth::True
    );
    // An empty set: no value matches, and every value does.
    assert_eq!(
        decide("ForAnyValue:StringLike", "aws:TagKeys", json!("*")),
        Truth::False
    );
    assert_eq!(
        decide("ForAllValues:StringLike", "aws:TagKeys", json!("x")),
        Truth::True
    );
}

#[test]
fn numeric_and_date_operators() {
    assert_eq!(
        decide("NumericLessThan", "aws:EpochTime", json!(1_800_000_000)),
        Truth::True
    );
    assert_eq!(
        decide(
            "NumericGreaterThanEquals",
            "aws:EpochTime",
            json!("1764806400")
        ),
        Truth::True
    );
    assert_eq!(
        decide("NumericNotEquals", "aws:EpochTime", json!(1764806400)),
        Truth::False
    );
    // Dates as ISO 8601 or epoch seconds.
    assert_eq!(
        decide(
            "DateGreaterThan",
            "aws:CurrentTime",
            json!("2025-01-01T00:00:00Z")
        ),
        Truth::True
    );
    assert_eq!(
        decide("DateLessThan", "aws:CurrentTime", json!("2025-06-01")),
        Truth::False
    );
    assert_eq!(
        decide("DateEquals", "aws:CurrentTime", json!(1764806400)),
        Truth::True
    );
    // A policy value that is not a number cannot be compared: unknown, never a guess.
    assert!(unknown(decide(
        "NumericEquals",
        "aws:EpochTime",
        json!("soon")
    )));
}

#[test]
fn bool_and_binary() {
    // "Bool: Boolean matching".
    assert_eq!(
        decide("Bool", "aws:SecureTransport", json!(true)),
        Truth::True
    );
    assert_eq!(
        decide("Bool", "aws:SecureTransport", json!("false")),
        Truth::False
    );
    assert_eq!(
        decide("BinaryEquals", "aws:SecureTransport", json!("dHJ1ZQ==")),
        Truth::False
    );
}

#[test]
fn ip_operators_decide_a_subnet_address() {
    // The task's address is somewhere in its subnet: a range covering the subnet holds, one
    // disjoint from it fails, one covering part of it is unknown.
    assert_eq!(
        decide("IpAddress", "aws:VpcSourceIp", json!("10.0.0.0/16")),
        Truth::True
    );
    assert_eq!(
        decide("IpAddress", "aws:VpcSourceIp", json!("10.1.0.0/16")),
        Truth::False
    );
    assert!(unknown(decide(
        "IpAddress",
        "aws:VpcSourceIp",
        json!("10.0.1.0/25")
    )));
    assert_eq!(
        decide("NotIpAddress", "aws:VpcSourceIp", json!("10.0.0.0/8")),
        Truth::False
    );
    let mut context = Context::new();
    context.set(
        "aws:SourceIp",
        KeyValue::Values(vec!["203.0.113.7".into()]),
        "the NAT gateway's address",
    );
    let clauses = parse_conditions(
        &json!({"IpAddress": {"aws:SourceIp": ["203.0.113.7/32", "::1"]}}),
        true,
    )
    .unwrap();
    assert_eq!(evaluate_conditions(&clauses, &context).truth, Truth::True);
    let clauses = parse_conditions(
        &json!({"IpAddress": {"aws:SourceIp": "198.51.100.7"}}),
        true,
    )
    .unwrap();
    assert_eq!(evaluate_conditions(&clauses, &context).truth, Truth::False);
}

#[test]
fn arn_operators_match_part_by_part() {
    // "Each of the six colon-delimited components of the ARN is checked separately and each
    // can include multi-character match wildcards (*) or single-character match wildcards (?)."
    assert_eq!(
        decide(
            "ArnLike",
            "aws:PrincipalArn",
            json!("arn:aws:iam::*:role/exec")
        ),
        Truth::True
    );
    assert_eq!(
        decide(
            "ArnEquals",
            "aws:PrincipalArn",
            json!("arn:aws:iam::123456789012:role/e*")
        ),
        Truth::True
    );
    assert_eq!(
        decide(
            "ArnNotLike",
            "aws:PrincipalArn",
            json!("arn:aws:iam::999999999999:role/*")
        ),
        Truth::True
    );
    // A value known only up to its account: decided where the known parts decide.
    assert_eq!(
        decide(
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:ecs:us-east-1:123456789012:*")
        ),
        Truth::True
    );
    assert_eq!(
        decide(
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:ecs:eu-west-1:*:*")
        ),
        Truth::False
    );
    assert!(unknown(decide(
        "ArnEquals",
        "aws:SourceArn",
        json!("arn:aws:ecs:us-east-1:123456789012:cluster/prod")
    )));
}

#[test]
fn values_known_to_differ() {
    // An AWS-owned bucket's account is not the caller's.
    assert_eq!(
        decide("StringEquals", "aws:ResourceAccount", json!("123456789012")),
        Truth::False
    );
    assert_eq!(
        decide(
            "StringNotEquals",
            "aws:ResourceAccount",
            json!("123456789012")
        ),
        Truth::True
    );
    assert!(unknown(decide(
        "StringEquals",
        "aws:ResourceAccount",
        json!("999999999999")
    )));
}

#[test]
fn unknown_keys_are_named() {
    let Truth::Unknown(reasons) = decide("StringEquals", "aws:SourceAccount", json!("1")) else {
        panic!("unknown");
    };
    assert!(
        reasons.iter().any(|r| r.contains("aws:SourceAccount")),
        "{reasons:?}"
    );
    let Truth::Unknown(reasons) = decide("StringEquals", "ecr:ResourceTag/team", json!("web"))
    else {
        panic!("unknown");
    };
    assert!(
        reasons.iter().any(|r| r.contains("ecr:ResourceTag/team")),
        "{reasons:?}"
    );
    // Even IfExists and Null: whether the key is there is what is unknown.
    assert!(unknown(decide(
        "StringEqualsIfExists",
        "aws:SourceAccount",
        json!("1")
    )));
    assert!(unknown(decide("Null", "aws:SourceAccount", json!("true"))));
}

#[test]
fn policy_variables_in_condition_values() {
    assert_eq!(
        decide(
            "ArnLike",
            "aws:PrincipalArn",
            json!("arn:aws:iam::*:role/${aws:SourceVpc}")
        ),
        Truth::False
    );
    assert_eq!(
        decide("StringEquals", "aws:SourceVpce", json!("${aws:SourceVpce}")),
        Truth::True
    );
    assert!(unknown(decide(
        "StringEquals",
        "aws:SourceVpce",
        json!("${aws:PrincipalTag/vpce}")
    )));
}

#[test]
fn operators_are_parsed_or_refused() {
    assert!(Operator::parse("ForAnyValue:StringNotEqualsIgnoreCaseIfExists").is_ok());
    assert!(Operator::parse("NullIfExists").is_err());
    assert!(Operator::parse("ForAnyValue:Null").is_err());
    assert!(Operator::parse("StringSortOf").is_err());
    assert!(Operator::parse("Sometimes:StringEquals").is_err());
    // An operator pullpath does not know makes its clause unknown, not the document broken.
    assert!(unknown(decide(
        "StringSortOf",
        "aws:SourceVpce",
        json!("x")
    )));
}
