//! The diagnosis block of `pullpath diagnose`'s table output, printed above the workload's
//! audit table: what ECS said, how it relates to the configuration, and the ranked causes.
//! What ECS said and every name in the text come from the account: they go through
//! [`terminal_text`] before they are printed.

use super::explanation::serde_plain;
use super::table::{new_table, Colour, Width};
use super::terminal_text::{message, name as short};
use crate::diagnose::{Agreement, Diagnosis, Source};

pub fn render_diagnosis(name: &str, d: &Diagnosis, colour: Colour, width: Width) -> String {
    let mut out = format!("diagnosis of {}\n{}\n", short(name), message(&d.summary));
    if !d.placement.sources.is_empty() {
        out.push_str(&format!(
            "audited with {}: {}\n",
            short(&d.placement.task_definition),
            message(&d.placement.sources.join("; "))
        ));
    }
    if !d.observations.is_empty() {
        let mut table = new_table(colour, width);
        table.set_header([
            "#",
            "seen",
            "from",
            "message",
            "category",
            "target",
            "agreement",
        ]);
        for (i, (o, v)) in d.observations.iter().zip(&d.verdicts).enumerate() {
            let from = match o.source {
                Source::StoppedReason => "task",
                Source::ContainerReason => "container",
                Source::ServiceEvent => "event",
                Source::PodStatus => "pod status",
                Source::PodEvent => "pod event",
            };
            let c = &o.classification;
            let target = match (&c.target, &c.ip, &c.ip_scope) {
                (Some(t), Some(ip), Some(scope)) => {
                    format!("{} ({}, {})", t.as_str(), short(ip), serde_plain(scope))
                }
                (Some(t), _, _) => t.as_str().to_string(),
                (None, _, _) => "-".to_string(),
            };
            table.add_row(vec![
                format!("{}", i + 1),
                format!("{}×", o.occurrences),
                from.to_string(),
                message(&o.message).into_owned(),
                c.category.as_str().to_string(),
                target,
                agreement(v.agreement).to_string(),
            ]);
        }
        out.push_str(&format!("{table}\n"));
        for (i, v) in d.verdicts.iter().enumerate() {
            out.push_str(&format!("  #{}: {}\n", i + 1, message(&v.note)));
        }
    }
    let explaining: Vec<_> = d.causes.iter().filter(|c| !c.explains.is_empty()).collect();
    if !explaining.is_empty() {
        out.push_str("most likely causes:\n");
        for cause in explaining {
            let which: Vec<String> = cause
                .explains
                .iter()
                .map(|i| format!("#{}", i + 1))
                .collect();
            out.push_str(&format!(
                "  {}. {} at {} ({} {}): {}\n     fix: {}\n",
                cause.rank,
                cause.blocker.code,
                short(&cause.blocker.resource_id),
                if cause.certain {
                    "explains"
                } else {
                    "may explain"
                },
                which.join(", "),
                message(&cause.blocker.message),
                message(&cause.blocker.fix)
            ));
        }
    }
    if !d.beyond_configuration.is_empty() {
        out.push_str("what the configuration cannot show:\n");
        for item in &d.beyond_configuration {
            out.push_str(&format!("  - {}\n", message(item)));
        }
    }
    out.push('\n');
    out
}

fn agreement(a: Agreement) -> &'static str {
    match a {
        Agreement::Explained => "explained",
        Agreement::Contradicted => "CONTRADICTED",
        Agreement::Inconclusive => "inconclusive",
        Agreement::Unexplained => "unexplained",
        Agreement::OutsideConfiguration => "outside configuration",
        Agreement::Unclassified => "unclassified",
    }
}
