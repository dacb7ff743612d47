//! The suppressions file (TOML), parsed raw and then validated into [`Suppression`] rules
//! whose errors point at the file, line and field (`suppress[2].expires`). Unknown keys and
//! values of the wrong type are refused. Errors quote the file escaped ([`terminal_text`]).
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
use crate::report::terminal_text;

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
    let file = terminal_text::name(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the suppressions file {file}: {e}"))?;
    parse_suppressions(&text, &file)
}

pub fn parse_suppressions(text: &str, file: &str) -> Result<Vec<Suppression>, String> {
    let file = terminal_text::name(file);
    let lines = Lines::of(text);
    // `FILE:LINE: FIELD: what toml says`, each part when known.
    let refused = |e: toml::de::Error, field: String| {
        let line = e.span().map(|s| format!(":{}", lines.line_of(s.start)));
        let field = if field.is_empty() {
            field
        } else {
            format!(" {field}:")
        };
        format!(
            "{file}{}:{field} {}",
            line.unwrap_or_default(),
            terminal_text::message(e.message())
        )
    };
    let document = toml::de::Deserializer::parse(text).map_err(|e| refused(e, String::new()))?;
    let raw: RawFile = serde_path_to_error::deserialize(document).map_err(|e| {
        let field = field_path(e.path());
        refused(e.into_inner(), field)
    })?;
    raw.suppress
        .into_iter()
        .map(|rule| {
            let line = lines.line_of(rule.span().start);
            let at = |span: std::ops::Range<usize>| format!("{file}:{}", lines.line_of(span.start));
            let rule = rule.into_inner();
            let code_span = rule.code.span();
            let code_text = rule.code.into_inner();
            let code = Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code_text)
                .ok_or_else(|| {
                    format!(
                        "{}: unknown code `{}` (the codes are listed in docs/codes.md)",
                        at(code_span),
                        terminal_text::name(&code_text)
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

/// Where the lines of a text start, found once: a rule's line is then a binary search, not a
/// count of every newline before it (which made 20,000 rules take minutes).
struct Lines {
    newlines: Vec<usize>,
}

impl Lines {
    fn of(text: &str) -> Self {
        Lines {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(at, _)| at)
                .collect(),
        }
    }

    /// The 1-based line of byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&at| at < offset) + 1
    }
}

/// A field as the file names it (`suppress[2].expires`), without serde's own wrappers
/// (`toml::Spanned` shows up as a private key).
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&terminal_text::name(key));
            }
            Segment::Unknown => {}
        }
    }
    out
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
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\nexpiry = 2027-03-31\n", "s.toml:4: suppress[0].expiry: unknown field `expiry`"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\nexpires = \"soon\"\n", "s.toml:4: suppress[0].expires: invalid type: string \"soon\""),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\n\n[[suppress]]\ncode = \"NO_ROUTE\"\nworkload = 3\nreason = \"x\"\n", "s.toml:7: suppress[1].workload: invalid type: integer `3`, expected a string"),
            ("[[suppress]]\ncode = [\"NO_ROUTE\"]\nreason = \"x\"\n", "s.toml:2: suppress[0].code: invalid type: sequence"),
            ("suppress = 1\n", "s.toml:1: suppress: invalid type: integer `1`, expected a sequence"),
            ("[[suppres]]\ncode = \"NO_ROUTE\"\n", "s.toml:1: suppres: unknown field `suppres`"),
            ("[[suppress]]\ncode = \"\\u001b]0;owned\\u0007\"\nreason = \"x\"\n", "s.toml:2: unknown code `\\u{1b}]0;owned\\u{7}`"),
            ("[[suppress]]\ncode = \"NO_ROUTE\"\nreason = \"x\"\n\"\\u202e\\r\" = 1\n", "s.toml:4: suppress[0].\\u{202e}\\u{d}: unknown field `\\u{202e}\\u{d}`"),
            ("[[suppress]\n", "s.toml:1:"),
        ];
        for (text, expected) in cases {
            let error = parse_suppressions(text, "s.toml").unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }

    /// A guard against a return of the per-rule newline count (20,000 rules took minutes);
    /// the ceiling is generous, the linear parse takes a fraction of a second.
    #[test]
    fn twenty_thousand_rules_parse_in_linear_time() {
        let rule = "[[suppress]]\ncode = \"NO_ROUTE\"\nworkload = \"prod/*\"\nreason = \"lab\"\n\n";
        let text = rule.repeat(20_000);
        let started = std::time::Instant::now();
        let rules = parse_suppressions(&text, "s.toml").unwrap();
        assert_eq!(rules.len(), 20_000);
        assert_eq!(rules[19_999].origin, "s.toml:99996");
        let error =
            parse_suppressions(&format!("{text}[[suppress]]\ncode = 1\n"), "s.toml").unwrap_err();
        assert!(
            error.starts_with("s.toml:100002: suppress[20000].code:"),
            "{error}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
