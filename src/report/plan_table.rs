//! The root causes and fix plans above the detail tables: one line per root cause with what it
//! stops, then, per failing workload (workloads with the same plans together), its verified
//! alternatives and their changes; across several workloads, the root causes ranked by how
//! many workloads fixing them alone unblocks.

use super::plan_v1::cause_id;
use super::terminal_text;
use crate::checks::ScopeAudit;
use crate::codes::Effect;
use crate::plan::{CheckedAlternative, Outcome, ScopePlan};

/// More workloads than this and the per-workload plans give way to the ranking.
const PLANS_SHOWN: usize = 5;

/// The section, empty when there is no root cause.
pub fn render_plans(scopes: &[ScopeAudit], plans: &[ScopePlan]) -> String {
    let total: usize = plans.iter().map(|p| p.causes.len()).sum();
    if total == 0 {
        return String::new();
    }
    let several_scopes = scopes.len() > 1;
    let mut out = format!("{total} root cause{}:\n", if total == 1 { "" } else { "s" });
    let mut first = 0;
    let mut ids: Vec<Vec<String>> = Vec::new();
    for (scope, plan) in scopes.iter().zip(plans) {
        let mut scope_ids = Vec::new();
        for (i, checked) in plan.causes.iter().enumerate() {
            let id = cause_id(first + i);
            let cause = &checked.cause;
            // One workload: its calls; several: their names.
            let single = cause.blocked.len() == 1;
            let workloads: Vec<String> = cause
                .blocked
                .iter()
                .map(|b| {
                    let name = terminal_text::name(&b.workload).into_owned();
                    if b.calls.is_empty() || !single {
                        name
                    } else {
                        format!("{name} ({})", b.calls.join(", "))
                    }
                })
                .collect();
            let calls = cause.call_count();
            let of = if single {
                String::new()
            } else {
                format!("{} workloads: ", cause.blocked.len())
            };
            out.push_str(&format!(
                " [{id}] {} {}{}  {} {calls} call{} of {of}{}{}\n",
                cause.code.as_str(),
                terminal_text::name(
                    &std::iter::once(cause.resource_id.as_str())
                        .chain(cause.also.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                if several_scopes {
                    format!(
                        " ({} {})",
                        terminal_text::name(scope.coverage.account_id.as_deref().unwrap_or("?")),
                        terminal_text::name(&scope.coverage.region)
                    )
                } else {
                    String::new()
                },
                if cause.effect == Effect::Blocks {
                    "blocks"
                } else {
                    "leaves unknown"
                },
                if calls == 1 { "" } else { "s" },
                shorten(&workloads, 3),
                if cause.alternatives.is_empty() {
                    " — no structured fix: see the notes"
                } else {
                    ""
                }
            ));
            scope_ids.push(id);
        }
        first += plan.causes.len();
        ids.push(scope_ids);
    }
    let workload_plans: usize = plans.iter().map(|p| p.workloads.len()).sum();
    if workload_plans > 1 {
        out.push_str(&ranking(plans, &ids));
    }
    if workload_plans <= PLANS_SHOWN {
        let mut shown = false;
        for ((scope, plan), scope_ids) in scopes.iter().zip(plans).zip(&ids) {
            let label = several_scopes.then(|| {
                format!(
                    " in {} {}",
                    terminal_text::name(scope.coverage.account_id.as_deref().unwrap_or("?")),
                    terminal_text::name(&scope.coverage.region)
                )
            });
            let text = workload_plans_text(plan, scope_ids, label.as_deref().unwrap_or(""));
            shown |= text.contains("change");
            out.push_str(&text);
        }
        if shown {
            out.push_str("  (the AWS CLI commands of each plan: --format json, fix_plan.workloads[].options[].commands)\n");
        }
    }
    out.push('\n');
    out
}

/// "a, b, c and 4 more".
fn shorten(items: &[String], shown: usize) -> String {
    if items.len() <= shown {
        items.join(", ")
    } else {
        format!(
            "{} and {} more",
            items[..shown].join(", "),
            items.len() - shown
        )
    }
}

/// Root causes by workloads their best alternative alone makes pass.
fn ranking(plans: &[ScopePlan], ids: &[Vec<String>]) -> String {
    let mut ranked: Vec<(usize, usize, &str, Option<&CheckedAlternative>)> = Vec::new();
    for (plan, scope_ids) in plans.iter().zip(ids) {
        for (checked, id) in plan.causes.iter().zip(scope_ids) {
            // Most workloads passing; between equals, the fewest changes, then the cheapest.
            let best = checked.alternatives.iter().min_by(|a, b| {
                let passing = |x: &CheckedAlternative| match &x.outcome {
                    Outcome::Verified { passing, .. } => passing.len(),
                    Outcome::NotVerified { .. } => 0,
                };
                passing(b)
                    .cmp(&passing(a))
                    .then(a.changes.len().cmp(&b.changes.len()))
                    .then(a.cost.monthly_usd.total_cmp(&b.cost.monthly_usd))
            });
            ranked.push((checked.unblocks(), checked.cause.blocked.len(), id, best));
        }
    }
    ranked.sort_by_key(|(unblocks, blocks, ..)| {
        (std::cmp::Reverse(*unblocks), std::cmp::Reverse(*blocks))
    });
    let mut out = String::from("\nFixes ranked by workloads unblocked:\n");
    for (rank, (unblocks, blocks, id, best)) in ranked.iter().enumerate() {
        let plural = if *blocks == 1 { "" } else { "s" };
        out.push_str(&match best {
            Some(a) => format!(
                " {}. [{id}] {}, {} change{} ({}): {}\n{}",
                rank + 1,
                a.strategy.as_str(),
                a.changes.len(),
                if a.changes.len() == 1 { "" } else { "s" },
                a.cost.describe(),
                match &a.outcome {
                    Outcome::NotVerified { why } => format!(
                        "NOT verified ({}); it stops {blocks} workload{plural}",
                        terminal_text::message(why)
                    ),
                    Outcome::Verified { breaks, .. } if !breaks.is_empty() => format!(
                        "unblocks {unblocks} of the {blocks} workload{plural} it stops, but breaks {} that pass today (verified by re-audit)",
                        breaks.len()
                    ),
                    Outcome::Verified { .. } => format!(
                        "unblocks {unblocks} of the {blocks} workload{plural} it stops (verified by re-audit)"
                    ),
                },
                a.changes
                    .iter()
                    .map(|c| format!("      {}\n", terminal_text::message(&c.describe())))
                    .collect::<String>()
            ),
            None => format!(
                " {}. [{id}] no structured fix: stops {blocks} workload{plural}\n",
                rank + 1
            ),
        });
    }
    out
}

fn verdict(alternative: &CheckedAlternative, workload_word: &str) -> String {
    match &alternative.outcome {
        Outcome::NotVerified { why } => format!("NOT verified: {}", terminal_text::message(why)),
        Outcome::Verified { breaks, .. } if !breaks.is_empty() => {
            let names: Vec<String> = breaks
                .iter()
                .map(|n| terminal_text::name(n).into_owned())
                .collect();
            format!(
                "verified, but it would break {} (passing today)",
                shorten(&names, 3)
            )
        }
        Outcome::Verified { remaining, .. } if remaining.is_empty() => {
            format!("verified: {workload_word} after these changes")
        }
        Outcome::Verified { remaining, .. } => {
            let still: Vec<String> = remaining
                .iter()
                .flat_map(|r| &r.blockers)
                .map(|(code, resource)| {
                    format!("{} at {}", code.as_str(), terminal_text::name(resource))
                })
                .collect();
            format!(
                "verified, but still not passing: {}",
                if still.is_empty() {
                    "the workload is not audited after it".to_string()
                } else {
                    shorten(&still, 3)
                }
            )
        }
    }
}

/// Each failing workload's alternatives; workloads whose plans are the same share a block.
fn workload_plans_text(plan: &ScopePlan, ids: &[String], scope: &str) -> String {
    let mut groups: Vec<(Vec<&str>, &crate::plan::WorkloadPlan)> = Vec::new();
    for workload in &plan.workloads {
        match groups
            .iter_mut()
            .find(|(_, p)| p.options == workload.options && p.causes == workload.causes)
        {
            Some((names, _)) => names.push(&workload.workload),
            None => groups.push((vec![&workload.workload], workload)),
        }
    }
    let mut out = String::new();
    for (names, workload) in groups {
        let names: Vec<String> = names
            .iter()
            .map(|n| terminal_text::name(n).into_owned())
            .collect();
        let causes: Vec<&str> = workload.causes.iter().map(|i| ids[*i].as_str()).collect();
        let passes = if names.len() == 1 {
            "it passes"
        } else {
            "they pass"
        };
        match workload.options.as_slice() {
            [] => {
                out.push_str(&format!(
                    "\nFix plan for {}{scope} ([{}]): no structured fix; see the notes below.\n",
                    shorten(&names, 3),
                    causes.join("], [")
                ));
                continue;
            }
            [_] => out.push_str(&format!(
                "\nFix plan for {}{scope} ([{}]):\n",
                shorten(&names, 3),
                causes.join("], [")
            )),
            _ => out.push_str(&format!(
                "\nFix plan for {}{scope} ([{}]), either:\n",
                shorten(&names, 3),
                causes.join("], [")
            )),
        }
        for (n, option) in workload.options.iter().enumerate() {
            out.push_str(&format!(
                " {}. {}: {} change{}, {} — {}\n",
                n + 1,
                option.strategy.as_str(),
                option.changes.len(),
                if option.changes.len() == 1 { "" } else { "s" },
                option.cost.describe(),
                verdict(option, passes)
            ));
            for change in &option.changes {
                out.push_str(&format!(
                    "      {}\n",
                    terminal_text::message(&change.describe())
                ));
            }
        }
    }
    out
}
