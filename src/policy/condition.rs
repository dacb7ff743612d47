//! The `Condition` element: operators and how one condition is decided against a request
//! context. Rules from "IAM JSON policy elements: Condition operators"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and "Single-valued vs. multivalued context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>):
//!
//! - Several values for one key match if any does (OR); several keys, and several operators,
//!   must all match (AND) ("Condition element": "If you specify multiple values for a single
//!   key, the condition is evaluated using a logical OR … multiple condition operators, or
//!   multiple keys … evaluated using a logical AND").
//! - A key absent from the request does not match, except for negated operators
//!   (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`…), which match ("If the key that you
//!   specify in a policy condition is not present in the request context, the values do not
//!   match and the condition is false. If the policy condition requires that the key is not
//!   matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
//!   condition is true").
//! - `…IfExists`: an absent key matches ("If the key is not present, evaluate the condition
//!   element as true").
//! - `Null`: `true` matches an absent key, `false` a present one.
//! - `ForAllValues:` matches when every request value matches, and when the key is absent;
//!   `ForAnyValue:` when at least one does, never when the key is absent.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde_json::Value;

use super::context::{Context, KeyValue, Partial};
use super::glob::Glob;
use super::variables::{Resolved, Template};
use super::Truth;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// What an operator compares, before negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `StringEquals` (no wildcards), `StringEqualsIgnoreCase`.
    StringEquals {
        ignore_case: bool,
    },
    StringLike,
    Numeric(Compare),
    Date(Compare),
    Bool,
    Binary,
    IpAddress,
    /// `ArnEquals` and `ArnLike` behave alike: both take wildcards in each segment.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    AnyValue,
    AllValues,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    family: Family,
    negated: bool,
    if_exists: bool,
    set: Option<SetQualifier>,
    name: String,
}

impl Operator {
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (set, rest) = match name.split_once(':') {
            Some((qualifier, rest)) if qualifier.eq_ignore_ascii_case("ForAnyValue") => {
                (Some(SetQualifier::AnyValue), rest)
            }
            Some((qualifier, rest)) if qualifier.eq_ignore_ascii_case("ForAllValues") => {
                (Some(SetQualifier::AllValues), rest)
            }
            Some(_) => return Err(format!("unknown condition operator `{name}`")),
            None => (None, name),
        };
        let lower = rest.to_ascii_lowercase();
        let (base, if_exists) = match lower.strip_suffix("ifexists") {
            Some(base) => (base, true),
            None => (lower.as_str(), false),
        };
        let (family, negated) = match base {
            "stringequals" => (Family::StringEquals { ignore_case: false }, false),
            "stringnotequals" => (Family::StringEquals { ignore_case: false }, true),
            "stringequalsignorecase" => (Family::StringEquals { ignore_case: true }, false),
            "stringnotequalsignorecase" => (Family::StringEquals { ignore_case: true }, true),
            "stringlike" => (Family::StringLike, false),
            "stringnotlike" => (Family::StringLike, true),
            "numericequals" => (Family::Numeric(Compare::Equal), false),
            "numericnotequals" => (Family::Numeric(Compare::Equal), true),
            "numericlessthan" => (Family::Numeric(Compare::Less), false),
            "numericlessthanequals" => (Family::Numeric(Compare::LessOrEqual), false),
            "numericgreaterthan" => (Family::Numeric(Compare::Greater), false),
            "numericgreaterthanequals" => (Family::Numeric(Compare::GreaterOrEqual), false),
            "dateequals" => (Family::Date(Compare::Equal), false),
            "datenotequals" => (Family::Date(Compare::Equal), true),
            "datelessthan" => (Family::Date(Compare::Less), false),
            "datelessthanequals" => (Family::Date(Compare::LessOrEqual), false),
            "dategreaterthan" => (Family::Date(Compare::Greater), false),
            "dategreaterthanequals" => (Family::Date(Compare::GreaterOrEqual), false),
            "bool" => (Family::Bool, false),
            "binaryequals" => (Family::Binary, false),
            "ipaddress" => (Family::IpAddress, false),
            "notipaddress" => (Family::IpAddress, true),
            "arnequals" | "arnlike" => (Family::Arn, false),
            "arnnotequals" | "arnnotlike" => (Family::Arn, true),
            "null" if !if_exists => (Family::Null, false),
            _ => return Err(format!("unknown condition operator `{name}`")),
        };
        if family == Family::Null && set.is_some() {
            return Err(format!("`{name}`: Null takes no set operator"));
        }
        Ok(Operator {
            family,
            negated,
            if_exists,
            set,
            name: name.to_string(),
        })
    }
}

/// One key under one operator, with the values the policy compares it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// `Err`: an operator pullpath does not know (AWS may add some): the clause is unknown.
    pub operator: Result<Operator, String>,
    pub key: String,
    pub values: Vec<Template>,
}

/// The outcome of a condition, with the facts that decided it (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub truth: Truth,
    /// "aws:SourceVpce is absent (the call goes through NAT gateway nat-0abc)".
    pub facts: Vec<String>,
}

/// Parses a `Condition` element.
pub fn parse_conditions(value: &Value, variables: bool) -> Result<Vec<Clause>, String> {
    let Value::Object(operators) = value else {
        return Err("`Condition` must be an object".into());
    };
    let mut clauses = Vec::new();
    for (name, keys) in operators {
        let operator = Operator::parse(name);
        let Value::Object(keys) = keys else {
            return Err(format!("condition `{name}` must map keys to values"));
        };
        for (key, values) in keys {
            let values = match values {
                Value::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar(other)?],
            };
            clauses.push(Clause {
                operator: operator.clone(),
                key: key.clone(),
                values: values
                    .iter()
                    .map(|v| Template::parse(v, variables))
                    .collect(),
            });
        }
    }
    Ok(clauses)
}

fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err("a condition value must be a string, number or boolean".into()),
    }
}

/// Decides every clause (AND).
pub fn evaluate_conditions(clauses: &[Clause], context: &Context) -> Outcome {
    let mut truth = Truth::True;
    let mut facts = Vec::new();
    for clause in clauses {
        let outcome = evaluate_clause(clause, context);
        for fact in outcome.facts {
            if !facts.contains(&fact) {
                facts.push(fact);
            }
        }
        truth = truth.and(outcome.truth);
    }
    Outcome { truth, facts }
}

fn evaluate_clause(clause: &Clause, context: &Context) -> Outcome {
    let key = clause.key.as_str();
    let operator = match &clause.operator {
        Ok(operator) => operator,
        Err(e) => {
            return Outcome {
                truth: Truth::unknown(format!("{e}, which pullpath cannot evaluate")),
                facts: Vec::new(),
            }
        }
    };
    let Some(fact) = context.get(key) else {
        return Outcome {
            truth: Truth::unknown(format!("{key} is not known to pullpath")),
            facts: Vec::new(),
        };
    };
    let described = |what: &str| format!("{key} {what} ({})", fact.source);
    let values = match &fact.value {
        KeyValue::Unknown => {
            return Outcome {
                truth: Truth::unknown(described("is not known")),
                facts: Vec::new(),
            }
        }
        KeyValue::Absent => {
            let truth = if operator.family == Family::Null {
                Truth::any(clause.values.iter().map(|v| Truth::of(is_true(&v.raw))))
            } else if operator.if_exists {
                Truth::True
            } else {
                match operator.set {
                    Some(SetQualifier::AllValues) => Truth::True,
                    Some(SetQualifier::AnyValue) => Truth::False,
                    None => Truth::of(operator.negated),
                }
            };
            return Outcome {
                truth,
                facts: vec![described("is absent")],
            };
        }
        KeyValue::Values(values) => values
            .iter()
            .map(|v| RequestValue::Exact(v.as_str()))
            .collect::<Vec<_>>(),
        KeyValue::Partial(partial) => vec![RequestValue::Partial(partial)],
    };
    let fact_text = match &fact.value {
        KeyValue::Values(values) => described(&format!("is {}", values.join(", "))),
        KeyValue::Partial(Partial::Prefixed(prefix)) => described(&format!("is {prefix}…")),
        KeyValue::Partial(Partial::Address(ranges)) => described(&format!(
            "is an address in {}",
            ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        KeyValue::Partial(Partial::OtherThan(others)) => {
            described(&format!("is not {}", others.join(" or ")))
        }
        _ => described("is present"),
    };
    if operator.family == Family::Null {
        let truth = Truth::any(clause.values.iter().map(|v| Truth::of(!is_true(&v.raw))));
        return Outcome {
            truth,
            facts: vec![fact_text],
        };
    }
    // Variables stand only in string and ARN comparisons ("You can't use a policy variable
    // with other operators, such as Numeric, Date, Boolean, Binary, IP Address, or Null"):
    // elsewhere `${…}` is text.
    let variables = matches!(
        operator.family,
        Family::StringEquals { .. } | Family::StringLike | Family::Arn
    );
    let patterns: Vec<Resolved> = clause
        .values
        .iter()
        .map(|v| {
            if variables {
                v.resolve(context)
            } else {
                Resolved::Pattern(Glob::new(&v.raw))
            }
        })
        .collect();
    // Each request value against the policy's values (OR), negated for `Not` operators.
    let per_value = values.iter().map(|value| {
        let positive = Truth::any(
            patterns
                .iter()
                .map(|pattern| match_one(operator.family, pattern, value)),
        );
        let truth = if operator.negated {
            positive.not()
        } else {
            positive
        };
        truth.with_reason(&format!(
            "whether {key} ({}) meets `{}` cannot be decided",
            fact.source, operator.name
        ))
    });
    let truth = match operator.set {
        Some(SetQualifier::AllValues) => Truth::all(per_value),
        Some(SetQualifier::AnyValue) => Truth::any(per_value),
        // A single-valued operator on several values: IAM does not define it; unknown.
        None if values.len() != 1 => Truth::unknown(format!(
            "{key} has several values and `{}` compares one",
            operator.name
        )),
        None => Truth::all(per_value),
    };
    Outcome {
        truth,
        facts: vec![fact_text],
    }
}

fn is_true(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

enum RequestValue<'a> {
    Exact(&'a str),
    Partial(&'a Partial),
}

/// Whether one request value matches one policy value (before negation).
fn match_one(family: Family, pattern: &Resolved, value: &RequestValue<'_>) -> Truth {
    let pattern = match pattern {
        Resolved::Pattern(glob) => glob,
        // A variable whose key is absent has no value: "StringEquals or StringLike do not
        // match … Inverted condition operators like StringNotEquals or StringNotLike do match
        // against a null value" ("IAM policy elements: Variables and tags").
        Resolved::Absent { .. } => return Truth::False,
        Resolved::Unknown { why } => return Truth::unknown(why.clone()),
    };
    let decided = match value {
        RequestValue::Exact(value) => match_exact(family, pattern, value).map(Truth::of),
        RequestValue::Partial(partial) => match_partial(family, pattern, partial),
    };
    decided.unwrap_or_else(Truth::unknown)
}

/// `Err`: the policy's value cannot be read as the operator's type.
fn match_exact(family: Family, pattern: &Glob, value: &str) -> Result<bool, String> {
    Ok(match family {
        Family::StringEquals { ignore_case: false } => pattern.text() == value,
        Family::StringEquals { ignore_case: true } => {
            pattern.text().to_lowercase() == value.to_lowercase()
        }
        Family::StringLike => pattern.matches(value, false),
        Family::Bool => pattern.text().eq_ignore_ascii_case(value),
        Family::Binary => pattern.text() == value,
        Family::Numeric(compare) => {
            let wanted = number(&pattern.text())?;
            match value.trim().parse::<f64>() {
                Ok(actual) => compared(compare, actual.partial_cmp(&wanted)),
                Err(_) => false,
            }
        }
        Family::Date(compare) => {
            let wanted = date(&pattern.text())?;
            match date(value) {
                Ok(actual) => compared(compare, actual.partial_cmp(&wanted)),
                Err(_) => false,
            }
        }
        Family::IpAddress => {
            let range = network(&pattern.text())?;
            IpAddr::from_str(value.trim()).is_ok_and(|ip| range.contains(&ip))
        }
        Family::Arn => arn_matches(pattern, value)?,
        Family::Null => unreachable!("Null is decided on presence"),
    })
}

fn compared(compare: Compare, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (compare, ordering),
        (Compare::Equal, Some(Equal))
            | (Compare::Less, Some(Less))
            | (Compare::LessOrEqual, Some(Less | Equal))
            | (Compare::Greater, Some(Greater))
            | (Compare::GreaterOrEqual, Some(Greater | Equal))
    )
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| format!("`{text}` is not a number"))
}

/// Seconds since the epoch: an ISO 8601 date-time, a date, or epoch seconds (the forms the
/// Date operators take).
fn date(text: &str) -> Result<f64, String> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Ok(seconds);
    }
    let parsed = DateTime::from_str(text, Format::DateTime)
        .or_else(|_| DateTime::from_str(&format!("{text}T00:00:00Z"), Format::DateTime));
    parsed
        .map(|d| d.as_secs_f64())
        .map_err(|_| format!("`{text}` is not a date"))
}

fn network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))
}

/// ARN operators compare each of the six colon-separated parts on its own, each with
/// wildcards ("ArnLike: … Each of the six colon-delimited components of the ARN is checked
/// separately and each can include multi-character match wildcards (*) or single-character
/// match wildcards (?)").
fn arn_matches(pattern: &Glob, value: &str) -> Result<bool, String> {
    let parts = pattern.split_colons(6);
    if parts.len() != 6 {
        return Err(format!("`{}` is not an ARN pattern", pattern.text()));
    }
    let values: Vec<&str> = value.splitn(6, ':').collect();
    if values.len() != 6 {
        return Ok(false);
    }
    Ok(parts
        .iter()
        .zip(values)
        .all(|(part, value)| part.matches(value, false)))
}

/// One policy value against a request value known only in part.
fn match_partial(family: Family, pattern: &Glob, partial: &Partial) -> Result<Truth, String> {
    Ok(match (family, partial) {
        (Family::IpAddress, Partial::Address(ranges)) => {
            let condition = network(&pattern.text())?;
            if ranges.iter().all(|r| contains(&condition, r)) {
                Truth::True
            } else if ranges.iter().all(|r| !overlaps(&condition, r)) {
                Truth::False
            } else {
                Truth::unknown("")
            }
        }
        (Family::StringLike, Partial::Prefixed(prefix)) => pattern.prefix_match(prefix),
        (Family::StringEquals { ignore_case }, Partial::Prefixed(prefix)) => {
            let (text, prefix) = if ignore_case {
                (pattern.text().to_lowercase(), prefix.to_lowercase())
            } else {
                (pattern.text(), prefix.clone())
            };
            // The unknown rest is never empty: the prefix itself is not the value.
            if text.starts_with(&prefix) && text.len() > prefix.len() {
                Truth::unknown("")
            } else {
                Truth::False
            }
        }
        (Family::Arn, Partial::Prefixed(prefix)) => arn_prefix_match(pattern, prefix)?,
        (
            Family::StringEquals { .. } | Family::StringLike | Family::Arn,
            Partial::OtherThan(others),
        ) => {
            let text = pattern.text();
            if !pattern.has_wildcards() && others.contains(&text) {
                Truth::False
            } else {
                Truth::unknown("")
            }
        }
        _ => Truth::unknown(""),
    })
}

/// An ARN pattern against an ARN whose first five parts are known (`arn:aws:ecs:R:A:`).
fn arn_prefix_match(pattern: &Glob, prefix: &str) -> Result<Truth, String> {
    let parts = pattern.split_colons(6);
    if parts.len() != 6 {
        return Err(format!("`{}` is not an ARN pattern", pattern.text()));
    }
    let known: Vec<&str> = prefix.split(':').collect();
    // Only a prefix of five whole parts is decided part by part, the sixth (the resource,
    // `fargateprofile/CLUSTER/PROFILE/…`) as a prefix of its own.
    if known.len() != 6 {
        return Ok(Truth::unknown(""));
    }
    if parts[..5]
        .iter()
        .zip(&known[..5])
        .any(|(part, value)| !part.matches(value, false))
    {
        return Ok(Truth::False);
    }
    Ok(parts[5].prefix_match(known[5]))
}

fn contains(outer: &IpNet, inner: &IpNet) -> bool {
    outer.contains(&inner.network()) && outer.contains(&inner.broadcast())
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests;
