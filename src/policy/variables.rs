//! Policy variables: `${aws:PrincipalAccount}`, `${aws:PrincipalTag/team}`, `${aws:username}`…
//! replaced by the request's value of the key, `${key, 'default'}` with a default when the key
//! is absent, and `${*}`, `${?}`, `${$}` standing for the literal characters ("IAM policy
//! elements: Variables and tags":
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
//! Variables are replaced only in policies of `"Version": "2012-10-17"`; in older ones the
//! text is literal (same page: "Policy variables ... only work with version 2012-10-17").

use super::context::{Context, KeyValue};
use super::glob::{Glob, Token};

/// The policy language version that knows variables.
pub const VARIABLES_VERSION: &str = "2012-10-17";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Pattern(Glob),
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// A resource pattern or condition value, with its variables not yet replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    /// A variable stands before the fifth colon (in an ARN's service, region or account),
    /// where AWS documents none ("only in the resource portion of the ARN. This portion of
    /// the ARN appears after the fifth colon").
    pub variable_before_resource_part: bool,
    /// As written, for messages.
    pub raw: String,
}

/// A template with the request's values put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Pattern(Glob),
    /// A variable names a key the request lacks, with no default.
    Absent {
        key: String,
    },
    /// A variable's value is not known.
    Unknown {
        why: String,
    },
}

impl Template {
    /// `variables`: whether `${…}` is a variable (policy version 2012-10-17) or literal text.
    pub fn parse(text: &str, variables: bool) -> Template {
        let mut parts = Vec::new();
        let mut pattern = Glob::default();
        let mut rest = text;
        let mut colons = 0;
        let mut variable_before_resource_part = false;
        while let (true, Some(start)) = (variables, rest.find("${")) {
            let Some(length) = rest[start + 2..].find('}') else {
                break;
            };
            let inner = &rest[start + 2..start + 2 + length];
            pattern.append(&Glob::new(&rest[..start]));
            colons += rest[..start].matches(':').count();
            match inner.trim() {
                "*" => pattern.push(Token::Literal('*')),
                "?" => pattern.push(Token::Literal('?')),
                "$" => pattern.push(Token::Literal('$')),
                variable => {
                    variable_before_resource_part |= colons < 5;
                    if !pattern_is_empty(&pattern) {
                        parts.push(Part::Pattern(std::mem::take(&mut pattern)));
                    }
                    let (key, default) = match variable.split_once(',') {
                        Some((key, default)) => (key.trim(), Some(unquote(default.trim()))),
                        None => (variable, None),
                    };
                    parts.push(Part::Variable {
                        key: key.to_string(),
                        default,
                    });
                }
            }
            rest = &rest[start + 2 + length + 1..];
        }
        pattern.append(&Glob::new(rest));
        if !pattern_is_empty(&pattern) || parts.is_empty() {
            parts.push(Part::Pattern(pattern));
        }
        Template {
            parts,
            variable_before_resource_part,
            raw: text.to_string(),
        }
    }

    pub fn has_variables(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Variable { .. }))
    }

    /// The pattern for this request. A variable's value is taken literally (a `*` in a tag
    /// value is a character, not a wildcard).
    pub fn resolve(&self, context: &Context) -> Resolved {
        let mut pattern = Glob::default();
        for part in &self.parts {
            match part {
                Part::Pattern(glob) => pattern.append(glob),
                Part::Variable { key, default } => {
                    let fact = context.get(key);
                    match fact.map(|f| &f.value) {
                        Some(KeyValue::Values(values)) if values.len() == 1 => {
                            pattern.push_literal(&values[0])
                        }
                        Some(KeyValue::Absent) => match default {
                            Some(default) => pattern.push_literal(default),
                            None => return Resolved::Absent { key: key.clone() },
                        },
                        Some(KeyValue::Values(_)) => {
                            return Resolved::Unknown {
                                why: format!(
                                    "policy variable ${{{key}}} names a key with several values"
                                ),
                            }
                        }
                        Some(_) | None => {
                            return Resolved::Unknown {
                                why: format!(
                                    "the value of policy variable ${{{key}}} is not known{}",
                                    fact.map_or(String::new(), |f| format!(" ({})", f.source))
                                ),
                            }
                        }
                    }
                }
            }
        }
        Resolved::Pattern(pattern)
    }
}

fn pattern_is_empty(glob: &Glob) -> bool {
    *glob == Glob::default()
}

fn unquote(text: &str) -> String {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(text)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        let mut context = Context::new();
        context.set(
            "aws:PrincipalAccount",
            KeyValue::Values(vec!["123456789012".into()]),
            "the role's account",
        );
        context.set("aws:username", KeyValue::Absent, "a role session has none");
        context.set("aws:SourceIp", KeyValue::Unknown, "the task's public IP");
        context
    }

    fn resolved(text: &str) -> Resolved {
        Template::parse(text, true).resolve(&context())
    }

    #[test]
    fn variables_take_the_request_values() {
        let Resolved::Pattern(glob) =
            resolved("arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*")
        else {
            panic!("resolves")
        };
        assert!(glob.matches("arn:aws:ecr:us-east-1:123456789012:repository/web", false));
        assert!(!glob.matches("arn:aws:ecr:us-east-1:999999999999:repository/web", false));
    }

    #[test]
    fn absent_keys_take_the_default_or_stay_absent() {
        assert_eq!(
            resolved("home/${aws:username, 'nobody'}/*"),
            Resolved::Pattern(Glob::new("home/nobody/*"))
        );
        assert_eq!(
            resolved("home/${aws:username}/*"),
            Resolved::Absent {
                key: "aws:username".into()
            }
        );
        assert!(matches!(
            resolved("${aws:SourceIp}"),
            Resolved::Unknown { .. }
        ));
        assert!(matches!(
            resolved("${aws:PrincipalTag/team}"),
            Resolved::Unknown { .. }
        ));
    }

    #[test]
    fn where_a_variable_stands_in_an_arn() {
        let account = Template::parse("arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*", true);
        assert!(account.variable_before_resource_part);
        let resource = Template::parse(
            "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*",
            true,
        );
        assert!(!resource.variable_before_resource_part);
    }

    #[test]
    fn special_characters_are_literal() {
        let Resolved::Pattern(glob) = resolved("a${*}b${?}c${$}") else {
            panic!("resolves")
        };
        assert!(glob.matches("a*b?c$", false));
        assert!(!glob.matches("aXbYc$", false));
        assert!(!glob.has_wildcards());
    }

    #[test]
    fn old_versions_read_the_text_literally() {
        let template = Template::parse("home/${aws:username}/*", false);
        assert!(!template.has_variables());
        assert_eq!(
            template.resolve(&context()),
            Resolved::Pattern(Glob::new("home/${aws:username}/*"))
        );
        // An unterminated variable is text.
        assert_eq!(
            resolved("a${aws:username"),
            Resolved::Pattern(Glob::new("a${aws:username"))
        );
    }
}
