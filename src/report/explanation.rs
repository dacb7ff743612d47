//! `pullpath explain` output: the classification of one message, as a two-column table or as
//! versioned JSON. The table shows the facts taken from the message escaped and cut by
//! [`terminal_text`]; the JSON carries them (and the message) as they are.

use comfy_table::Cell;
use serde::Serialize;

use super::table::{new_table, Colour, Width};
use super::terminal_text;
use super::v1::SCHEMA_VERSION;
use crate::explain::Classification;

#[derive(Debug, Serialize)]
pub struct ExplanationV1<'a> {
    pub schema_version: u32,
    pub message: &'a str,
    #[serde(flatten)]
    pub classification: &'a Classification,
}

impl<'a> ExplanationV1<'a> {
    pub fn new(message: &'a str, classification: &'a Classification) -> Self {
        ExplanationV1 {
            schema_version: SCHEMA_VERSION,
            message,
            classification,
        }
    }
}

pub fn render_explanation(c: &Classification, colour: Colour, width: Width) -> String {
    let mut table = new_table(colour, width);
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_string());
    let rows: Vec<(&str, String)> = vec![
        ("category", c.category.as_str().to_string()),
        ("target", or_dash(c.target.map(|t| t.as_str().to_string()))),
        ("host", or_dash(c.host.clone())),
        (
            "ip",
            or_dash(c.ip.as_ref().map(|ip| match c.ip_scope {
                Some(scope) => format!("{ip} ({})", serde_plain(&scope)),
                None => ip.clone(),
            })),
        ),
        ("dns server", or_dash(c.dns_server.clone())),
        ("action", or_dash(c.action.clone())),
        ("role", or_dash(c.role_arn.clone())),
        ("secret", or_dash(c.secret_arn.clone())),
        ("denied by", or_dash(c.denied_by.map(|d| serde_plain(&d)))),
        ("retries", or_dash(c.retries.map(|r| r.to_string()))),
        (
            "truncated",
            if c.truncated { "yes" } else { "no" }.to_string(),
        ),
        ("evidence", or_dash(c.evidence.clone())),
        (
            "could also be",
            or_dash((!c.alternatives.is_empty()).then(|| {
                c.alternatives
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })),
        ),
        ("meaning", c.meaning.clone()),
        ("next check", c.next_check.clone()),
        (
            "look for",
            or_dash((!c.suspects.is_empty()).then(|| {
                c.suspects
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })),
        ),
    ];
    for (name, value) in rows {
        let value = match name {
            "evidence" | "meaning" | "next check" => terminal_text::message(&value),
            _ => terminal_text::name(&value),
        };
        table.add_row(vec![Cell::new(name), Cell::new(value)]);
    }
    format!("{table}\n")
}

/// A unit enum's serde name (`public`, `vpc-endpoint-policy`).
pub(super) fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
