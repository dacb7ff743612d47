//! Parsing a policy document (JSON as IAM stores it) into statements.

use serde_json::Value;

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
    /// `Action` patterns, or `NotAction` patterns when `not_action`.
    pub actions: Vec<String>,
    pub not_action: bool,
    /// `Resource` patterns (empty and not `not_resource`: the statement has no resource element,
    /// as in trust policies, and applies to any resource).
    pub resources: Vec<String>,
    pub not_resource: bool,
    pub principal: Option<Principal>,
    pub not_principal: bool,
    pub has_condition: bool,
}

/// Parses a policy document. A document that is a JSON string (URL-decoded policy text as some
/// APIs return it) is parsed first.
pub fn parse_statements(document: &Value) -> Result<Vec<Statement>, String> {
    if let Value::String(text) = document {
        let inner: Value =
            serde_json::from_str(text).map_err(|e| format!("policy text is not JSON: {e}"))?;
        return parse_statements(&inner);
    }
    let statements = document
        .get("Statement")
        .ok_or("policy has no `Statement`")?;
    match statements {
        Value::Array(items) => items.iter().map(parse_statement).collect(),
        Value::Object(_) => Ok(vec![parse_statement(statements)?]),
        _ => Err("`Statement` must be an object or a list".into()),
    }
}

fn parse_statement(value: &Value) -> Result<Statement, String> {
    let effect = match value.get("Effect").and_then(Value::as_str) {
        Some("Allow") => StatementEffect::Allow,
        Some("Deny") => StatementEffect::Deny,
        other => return Err(format!("statement has invalid `Effect`: {other:?}")),
    };
    let (actions, not_action) = either(value, "Action", "NotAction")?;
    let (resources, not_resource) = either(value, "Resource", "NotResource")?;
    let (principal, not_principal) = match (value.get("Principal"), value.get("NotPrincipal")) {
        (Some(p), _) => (Some(parse_principal(p)?), false),
        (None, Some(p)) => (Some(parse_principal(p)?), true),
        (None, None) => (None, false),
    };
    let has_condition = value
        .get("Condition")
        .is_some_and(|c| c.as_object().is_none_or(|o| !o.is_empty()));
    Ok(Statement {
        sid: value.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        actions,
        not_action,
        resources,
        not_resource,
        principal,
        not_principal,
        has_condition,
    })
}

/// Reads `key` or its `Not` form: a string or a list of strings.
fn either(value: &Value, key: &str, not_key: &str) -> Result<(Vec<String>, bool), String> {
    match (value.get(key), value.get(not_key)) {
        (Some(v), _) => Ok((strings(v, key)?, false)),
        (None, Some(v)) => Ok((strings(v, not_key)?, true)),
        (None, None) => Ok((Vec::new(), false)),
    }
}

fn strings(value: &Value, key: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
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
