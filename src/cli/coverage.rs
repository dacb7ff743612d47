//! What a run could read, scope by scope, and the checks `audit` and `collect` share on it:
//! a named cluster or service must be somewhere, and some scope must have been read.

use super::Failure;
use crate::checks::{Coverage, Origin};
use crate::collect::ScopeRun;
use crate::report::terminal_text;

/// A live scope's coverage: the snapshot's facts when it was read, else its error; its
/// role, calls and time either way.
pub fn coverage_of_run(run: &ScopeRun) -> Coverage {
    let base = match &run.outcome {
        Ok(collected) => Coverage {
            missing_clusters: collected.missing_clusters.clone(),
            missing_services: collected.missing_services.clone(),
            ..Coverage::of(&collected.snapshot, Origin::Live)
        },
        Err(error) => Coverage::unread(run.account_id.clone(), &run.region, error.to_string()),
    };
    Coverage {
        role_arn: run.role_arn.clone(),
        calls: Some(run.calls.clone()),
        seconds: Some(run.elapsed.as_secs_f64()),
        ..base
    }
}

/// Says on stderr that a scope could not be read, and why.
pub fn warn_unread(coverage: &Coverage) {
    // The error carries AWS's message: escaped, never raw.
    eprintln!(
        "pullpath: warning: {} could not be read: {}",
        scope_name(coverage),
        terminal_text::message(coverage.error.as_deref().unwrap_or("?"))
    );
}

fn scope_name(c: &Coverage) -> String {
    format!(
        "{} {}",
        terminal_text::name(c.account_id.as_deref().unwrap_or("(own account)")),
        terminal_text::name(&c.region)
    )
}

/// A run that could read no scope has nothing to report: a runtime error listing why.
pub fn check_some_read(coverages: &[&Coverage]) -> Result<(), Failure> {
    if !coverages.is_empty() && coverages.iter().all(|c| c.error.is_some()) {
        let errors: Vec<String> = coverages
            .iter()
            .map(|c| {
                format!(
                    "{}: {}",
                    scope_name(c),
                    terminal_text::message(c.error.as_deref().unwrap_or("?"))
                )
            })
            .collect();
        return Err(Failure::runtime(format!(
            "no account/region could be read:\n  {}",
            errors.join("\n  ")
        )));
    }
    Ok(())
}

/// A cluster or service named on the command line must be in at least one scope that was
/// read. When some scope could not be read, it may be there: the run is then unknown (that
/// scope's error), not bad input.
pub fn check_named_found(
    coverages: &[&Coverage],
    clusters: &[String],
    services: &[String],
) -> Result<(), Failure> {
    if coverages.iter().any(|c| c.error.is_some()) {
        return Ok(());
    }
    let none_has = |what: &str, name: &String, lacks: &dyn Fn(&Coverage) -> bool| {
        if coverages.iter().all(|c| lacks(c)) {
            Err(Failure::bad_input(format!(
                "{what} `{name}` is in none of the {} account/region scopes read",
                coverages.len()
            )))
        } else {
            Ok(())
        }
    };
    for cluster in clusters {
        none_has("cluster", cluster, &|c| {
            c.missing_clusters.contains(cluster)
        })?;
    }
    for service in services {
        // A service is named in `cluster/service`; the user may have given its ARN.
        let name = service.rsplit('/').next().unwrap_or(service);
        none_has("service", service, &|c| {
            !c.missing_clusters.is_empty()
                || c.missing_services
                    .iter()
                    .any(|m| m.rsplit('/').next() == Some(name))
        })?;
    }
    Ok(())
}
