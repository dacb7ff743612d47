//! Parsing a policy document (JSON as IAM stores it) into statements, once: resource patterns
//! and condition values become templates whose variables are filled per request.
//! Grammar: "IAM JSON policy element reference" and "Grammar of the IAM JSON policy language"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>): a
//! statement has `Action` or `NotAction` (not both), at most one of `Resource`/`NotResource`
//! and of `Principal`/`NotPrincipal`.
//!
//! What AWS refuses in every policy type is refused here too, so that a document pullpath
//! reads is one AWS could hold: an element the grammar does not have (top level: `Version`,
//! `Id`, `Statement`; a statement: `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`,
//! `NotAction`, `Resource`, `NotResource`, `Condition`; names are case-sensitive), an `Effect`
//! other than `Allow` or `Deny` (case-sensitive), a `Statement` with no statement (IAM answers
//! MalformedPolicyDocument, S3 "Statement is empty"), a `Sid` or `Id` that is not text, a
//! principal type other than `AWS`, `Service`, `Federated` or `CanonicalUser`. What only some
//! policy types refuse is left alone, because the parser does not know the type: a `Sid`
//! with characters other than ASCII letters and digits (IAM identity policies refuse them;
//! ECR's console writes `"Sid": "new statement"`), a statement without `Resource` (trust and
//! repository policies have none), a `Principal` in an identity policy.

use serde_json::Value;

use super::condition::{parse_conditions, Clause};
use super::glob::Glob;
use super::variables::{Template, VARIABLES_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementEffect {
    Allow,
    Deny,
}

/// Who a statement applies to (resource and endpoint policies only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"` or `{"AWS": "*"}`.
    Anyone,
    /// Values under `AWS` (ARNs or account ids) and `Service`.
    Listed {
        aws: Vec<String>,
        service: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: StatementEffect,
    /// `Action` patterns, or `NotAction` patterns when `not_action` (matched ignoring case).
    pub actions: Vec<Glob>,
    pub not_action: bool,
    /// `Resource` patterns (empty and not `not_resource`: the statement has no resource element,
    /// as in trust policies, and applies to any resource).
    pub resources: Vec<Template>,
    pub not_resource: bool,
    pub principal: Option<Principal>,
    pub not_principal: bool,
    /// Every clause must hold (AND); empty: unconditional.
    pub conditions: Vec<Clause>,
}

/// A policy document parsed once, with a name for messages (policy ARN, inline name,
/// "endpoint policy of vpce-…"). A document that cannot be read keeps why: every decision
/// it takes part in is then unknown.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    statements: Result<Vec<Statement>, String>,
}

impl Policy {
    pub fn parse(name: impl Into<String>, document: &Value) -> Policy {
        Policy {
            name: name.into(),
            statements: parse_statements(document),
        }
    }

    pub fn statements(&self) -> Result<&[Statement], &str> {
        self.statements.as_deref().map_err(String::as_str)
    }

    /// Whether any decision depends on the request context (a condition or a policy
    /// variable); a document that cannot be read counts as one that does.
    pub fn uses_context(&self) -> bool {
        match &self.statements {
            Ok(statements) => statements.iter().any(|s| {
                !s.conditions.is_empty() || s.resources.iter().any(Template::has_variables)
            }),
            Err(_) => true,
        }
    }
}

/// Parses a policy document. A document that is a JSON string (URL-decoded policy text as some
/// APIs return it) is parsed first.
pub fn parse_statements(document: &Value) -> Result<Vec<Statement>, String> {
    if let Value::String(text) = document {
        let inner: Value =
            serde_json::from_str(text).map_err(|e| format!("policy text is not JSON: {e}"))?;
        if inner.is_string() {
            return Err("policy text is a JSON string, not a policy".into());
        }
        return parse_statements(&inner);
    }
    let Value::Object(top) = document else {
        return Err("a policy must be a JSON object".into());
    };
    if let Some(key) = top
        .keys()
        .find(|k| !["Version", "Id", "Statement"].contains(&k.as_str()))
    {
        return Err(format!(
            "policy has the element `{key}`, which the IAM policy grammar does not have (Version, Id, Statement)"
        ));
    }
    if top.get("Id").is_some_and(|id| !id.is_string()) {
        return Err("the policy's `Id` must be a string".into());
    }
    let variables = match document.get("Version") {
        None => false,
        Some(Value::String(v)) if v == VARIABLES_VERSION => true,
        Some(Value::String(v)) if v == "2008-10-17" => false,
        Some(other) => return Err(format!("policy has an invalid `Version`: {other}")),
    };
    let statements = document
        .get("Statement")
        .ok_or("policy has no `Statement`")?;
    match statements {
        Value::Array(items) if items.is_empty() => Err("`Statement` is empty".into()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                parse_statement(item, variables).map_err(|e| format!("Statement[{index}]: {e}"))
            })
            .collect(),
        Value::Object(_) => Ok(vec![parse_statement(statements, variables)?]),
        _ => Err("`Statement` must be an object or a list".into()),
    }
}

/// The elements a statement may have (IAM JSON policy element reference).
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(value: &Value, variables: bool) -> Result<Statement, String> {
    let Value::Object(elements) = value else {
        return Err("a statement must be an object".into());
    };
    if let Some(key) = elements
        .keys()
        .find(|k| !STATEMENT_ELEMENTS.contains(&k.as_str()))
    {
        return Err(format!(
            "statement has the element `{key}`, which the IAM policy grammar does not have ({})",
            STATEMENT_ELEMENTS.join(", ")
        ));
    }
    let effect = match value.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => StatementEffect::Allow,
        Some(Value::String(e)) if e == "Deny" => StatementEffect::Deny,
        Some(other) => {
            return Err(format!(
                "statement has invalid `Effect` {other} (Allow or Deny, case-sensitive)"
            ))
        }
        None => return Err("statement has no `Effect`".into()),
    };
    let sid = match value.get("Sid") {
        None => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(other) => return Err(format!("statement's `Sid` must be a string, not {other}")),
    };
    let (actions, not_action) = match either(value, "Action", "NotAction")? {
        Some(found) => found,
        None => return Err("statement has neither `Action` nor `NotAction`".into()),
    };
    let (resources, not_resource) = either(value, "Resource", "NotResource")?.unwrap_or_default();
    let (principal, not_principal) = match (value.get("Principal"), value.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err("statement has both `Principal` and `NotPrincipal`".into())
        }
        (Some(p), None) => (Some(parse_principal(p)?), false),
        (None, Some(p)) => (Some(parse_principal(p)?), true),
        (None, None) => (None, false),
    };
    let conditions = match value.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(condition) => parse_conditions(condition, variables)?,
    };
    Ok(Statement {
        sid,
        effect,
        actions: actions.iter().map(|a| Glob::new(a)).collect(),
        not_action,
        resources: resources
            .iter()
            .map(|r| Template::parse(r, variables))
            .collect(),
        not_resource,
        principal,
        not_principal,
        conditions,
    })
}

/// Reads `key` or its `Not` form (never both): a string or a list of strings.
fn either(value: &Value, key: &str, not_key: &str) -> Result<Option<(Vec<String>, bool)>, String> {
    match (value.get(key), value.get(not_key)) {
        (Some(_), Some(_)) => Err(format!("statement has both `{key}` and `{not_key}`")),
        (Some(v), None) => Ok(Some((strings(v, key)?, false))),
        (None, Some(v)) => Ok(Some((strings(v, not_key)?, true))),
        (None, None) => Ok(None),
    }
}

fn strings(value: &Value, key: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        // Read as "no element", `"Resource": []` would match every resource; IAM refuses an
        // element with no value (MalformedPolicyDocument: "Policy statement must contain
        // resources" / "actions"), so the statement is unreadable, never a wildcard.
        Value::Array(items) if items.is_empty() => Err(format!("`{key}` is an empty list")),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` holds a non-string value"))
            })
            .collect(),
        _ => Err(format!("`{key}` must be a string or a list of strings")),
    }
}

fn parse_principal(value: &Value) -> Result<Principal, String> {
    match value {
        Value::String(s) if s == "*" => Ok(Principal::Anyone),
        Value::Object(map) => {
            if let Some(key) = map
                .keys()
                .find(|k| !["AWS", "Service", "Federated", "CanonicalUser"].contains(&k.as_str()))
            {
                return Err(format!(
                    "`Principal` has the type `{key}`, which is not AWS, Service, Federated or CanonicalUser"
                ));
            }
            let aws = map
                .get("AWS")
                .map(|v| strings(v, "Principal.AWS"))
                .transpose()?
                .unwrap_or_default();
            if aws.iter().any(|a| a == "*") {
                return Ok(Principal::Anyone);
            }
            let service = map
                .get("Service")
                .map(|v| strings(v, "Principal.Service"))
                .transpose()?
                .unwrap_or_default();
            Ok(Principal::Listed { aws, service })
        }
        _ => Err("`Principal` must be \"*\" or an object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grammar_errors_are_named() {
        let both = json!({"Statement": [{"Effect": "Deny", "Action": "ecr:*", "NotAction": "iam:*", "Resource": "*"}]});
        assert!(parse_statements(&both)
            .unwrap_err()
            .contains("both `Action`"));
        for empty in [
            json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": []}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "NotAction": [], "Resource": "*"}]}),
        ] {
            let error = parse_statements(&empty).unwrap_err();
            assert!(error.contains("is an empty list"), "{error}");
        }
        let none = json!({"Statement": [{"Effect": "Deny", "Resource": "*"}]});
        assert!(parse_statements(&none).unwrap_err().contains("neither"));
        let version = json!({"Version": "2020-01-01", "Statement": []});
        assert!(parse_statements(&version).unwrap_err().contains("Version"));
    }

    #[test]
    fn what_aws_refuses_in_every_policy_type_is_refused() {
        let statement = json!({"Effect": "Allow", "Action": "ecr:*", "Resource": "*"});
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut document = json!({"Version": "2012-10-17", "Statement": [statement.clone()]});
            edit(&mut document);
            parse_statements(&document)
        };
        assert!(with(&|_| {}).is_ok());
        for (edit, needle) in [
            (
                &(|d: &mut Value| d["Statement"][0]["Effect"] = json!("allow"))
                    as &dyn Fn(&mut Value),
                "invalid `Effect` \"allow\"",
            ),
            (
                &|d: &mut Value| d["Statement"][0]["Effect"] = json!("Permit"),
                "invalid `Effect`",
            ),
            (
                &|d: &mut Value| {
                    d["Statement"][0].as_object_mut().unwrap().remove("Effect");
                },
                "no `Effect`",
            ),
            (
                &|d: &mut Value| d["Statement"] = json!([]),
                "`Statement` is empty",
            ),
            (
                &|d: &mut Value| d["Statment"] = json!([]),
                "policy has the element `Statment`",
            ),
            (
                &|d: &mut Value| d["Statement"][0]["Resources"] = json!("*"),
                "Statement[0]: statement has the element `Resources`",
            ),
            (
                &|d: &mut Value| d["Statement"][0]["effect"] = json!("Deny"),
                "the element `effect`",
            ),
            (
                &|d: &mut Value| d["Statement"][0]["Sid"] = json!(1),
                "`Sid` must be a string",
            ),
            (
                &|d: &mut Value| d["Id"] = json!(["x"]),
                "`Id` must be a string",
            ),
            (
                &|d: &mut Value| d["Statement"][0]["Principal"] = json!({"User": "x"}),
                "the type `User`",
            ),
        ] {
            let error = with(edit).unwrap_err();
            assert!(error.contains(needle), "{needle}: {error}");
        }
        // What only some policy types refuse is kept: ECR's console writes this Sid.
        assert!(with(&|d| d["Statement"][0]["Sid"] = json!("new statement")).is_ok());
        assert!(with(&|d| d["Id"] = json!("my-policy")).is_ok());
        assert!(with(&|d| d["Statement"][0]["Principal"] = json!({"Federated": "x"})).is_ok());
    }

    #[test]
    fn variables_only_in_version_2012() {
        let document = |version: Option<&str>| {
            let mut d = json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}]});
            if let Some(v) = version {
                d["Version"] = json!(v);
            }
            parse_statements(&d).unwrap()
        };
        assert!(document(Some("2012-10-17"))[0].resources[0].has_variables());
        assert!(!document(Some("2008-10-17"))[0].resources[0].has_variables());
        assert!(!document(None)[0].resources[0].has_variables());
    }
}
