//! The suppressions file (TOML), parsed raw and then validated into [`Suppression`] rules
//! whose errors point at the file and line.
//!
//! ```toml
//! [[suppress]]
//! code = "ENDPOINT_POLICY_DENIES"   # required: a code from docs/codes.md
//! workload = "prod/*"               # cluster/service, `*` and `?` wildcards (default `*`)
//! resource = "vpce-0a1b2c3d4e5f6e005" # resource id, wildcards allowed (default `*`)
//! account = "123456789012"          # default `*`
//! region = "us-*"                   # default `*`
//! reason = "Layers come through the NAT until OPS-1234 lands"   # required
//! expires = 2027-03-31              # the last day it applies (optional)
//! ```

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::checks::Suppression;
use crate::codes::Code;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    suppress: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    code: Spanned<String>,
    workload: Option<String>,
    resource: Option<String>,
    account: Option<String>,
    region: Option<String>,
    reason: Option<Spanned<String>>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// Reads and validates `path`; the error names the file, line and what is wrong.
pub fn load_suppressions(path: &Path) -> Result<Vec<Suppression>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the suppressions file {file}: {e}"))?;
    parse_suppressions(&text, &file)
}

pub fn parse_suppressions(text: &str, file: &str) -> Result<Vec<Suppression>, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        format!(
            "{file}{}: {}",
            line.map_or(String::new(), |l| format!(":{l}")),
            e.message()
        )
    })?;
    raw.suppress
        .into_iter()
        .map(|rule| {
            let line = line_of(text, rule.span().start);
            let at = |span: std::ops::Range<usize>| format!("{file}:{}", line_of(text, span.start));
            let rule = rule.into_inner();
            let code_span = rule.code.span();
            let code_text = rule.code.into_inner();
            let code = Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code_text)
                .ok_or_else(|| {
                    format!(
                        "{}: unknown code `{code_text}` (the codes are listed in docs/codes.md)",
                        at(code_span)
                    )
                })?;
            let reason = match rule.reason {
                Some(reason) if !reason.get_ref().trim().is_empty() => reason.into_inner(),
                Some(reason) => {
                    return Err(format!("{}: `reason` is empty: say why the finding is accepted", at(reason.span())))
                }
                None => {
                    return Err(format!(
                        "{file}:{line}: a suppression needs a `reason`: say why the finding is accepted"
                    ))
                }
            };
            let expires = match rule.expires {
                None => None,
                Some(expires) => {
                    let span = expires.span();
                    let value = expires.into_inner();
                    match (value.date, value.time, value.offset) {
                        (Some(date), None, None) => Some(date.to_string()),
                        _ => {
                            return Err(format!(
                                "{}: `expires` must be a date such as 2027-03-31, not `{value}`",
                                at(span)
                            ))
                        }
                    }
                }
            };
            let pattern = |value: Option<String>| value.unwrap_or_else(|| "*".to_string());
            Ok(Suppression {
                code,
                workload: pattern(rule.workload),
                resource: pattern(rule.resource),
                account: pattern(rule.account),
                region: pattern(rule.region),
                reason,
                expires,
                origin: format!("{file}:{line}"),
            })
        })
        .collect()
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_rule_is_read_with_its_defaults_and_line() {
        let rules = parse_suppressions(
            "# accepted risks\n\n[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"lab\"\nexpires = 2027-03-31\n\n[[suppress]]\ncode = \"CONDITION_UNKNOWN\"\nworkload = \"prod/*\"\nresource = \"arn:aws:iam::*\"\nregion = \"us-*\"\nreason = \"reviewed\"\n",
            "s.toml",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].code, Code::NoRoute);
        assert_eq!(rules[0].workload, "*");
        assert_eq!(rules[0].expires.as_deref(), Some("2027-03-31"));
        assert_eq!(rules[0].origin, "s.toml:3");
        assert_eq!(rules[1].origin, "s.toml:8");
        assert_eq!(rules[1].region, "us-*");
        assert_eq!(rules[1].expires, None);
    }

    #[test]
    fn bad_rules_are_refused_with_their_line() {
        let cases = [
            ("[[suppress]]\ncode = \"NO_ROUTES\"\nreason = \"x\"\n", "s.toml:2: unknown code `NO_ROUTES`"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\n", "s.toml:1: a suppression needs a `reason`"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"  \"\n", "s.toml:3: `reason` is empty"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\nexpires = 2027-03-31T10:00:00Z\n", "s.toml:4: `expires` must be a date"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\nexpiry = 2027-03-31\n", "s.toml:4: unknown field `expiry`"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\nexpires = \"soon\"\n", "s.toml:4:"),
            ("[[suppress]\n", "s.toml:1:"),
        ];
        for (text, expected) in cases {
            let error = parse_suppressions(text, "s.toml").unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
