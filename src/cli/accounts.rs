//! The accounts of a fleet run: `--role-arn ARN` (repeatable) and `--accounts-file FILE`, one
//! role per line (`ROLE_ARN [EXTERNAL_ID]`, `#` starts a comment), validated before any call.
//! Errors quote the input escaped ([`terminal_text`]): a file can hold anything.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::collect::Account;
use crate::report::terminal_text;

/// An IAM role ARN in any partition: `arn:aws:iam::123456789012:role/path/name`.
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
        .expect("the role ARN pattern compiles")
});

/// An external id as `sts:AssumeRole` accepts it: 2 to 1,224 characters of `[\w+=,.@:/-]`.
static EXTERNAL_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$").expect("the external id pattern compiles")
});

/// Checks one role ARN and external id; the error says what they look like.
pub fn role_account(arn: &str, external_id: Option<&str>) -> Result<Account, String> {
    if !ROLE_ARN.is_match(arn) {
        return Err(format!(
            "`{}` is not an IAM role ARN (expected arn:aws:iam::123456789012:role/NAME)",
            terminal_text::name(arn)
        ));
    }
    if let Some(id) = external_id.filter(|id| !EXTERNAL_ID.is_match(id)) {
        return Err(not_an_external_id(id));
    }
    Ok(Account {
        role_arn: arn.to_string(),
        external_id: external_id.map(str::to_string),
    })
}

fn not_an_external_id(id: &str) -> String {
    format!(
        "`{}` is not an external id (2 to 1224 letters, digits and `_+=,.@:/-`)",
        terminal_text::name(id)
    )
}

/// The roles of `--role-arn` and `--accounts-file`, in that order; an account named twice is
/// an error (it would be audited twice).
pub fn load_accounts(
    role_arns: &[String],
    external_id: Option<&str>,
    file: Option<&Path>,
) -> Result<Vec<Account>, String> {
    if let Some(id) = external_id.filter(|id| !EXTERNAL_ID.is_match(id)) {
        return Err(format!("--external-id: {}", not_an_external_id(id)));
    }
    let mut accounts = Vec::new();
    let mut origins = Vec::new();
    for arn in role_arns {
        accounts.push(role_account(arn, external_id).map_err(|e| format!("--role-arn: {e}"))?);
        origins.push("--role-arn".to_string());
    }
    if let Some(path) = file {
        let name = terminal_text::name(&path.display().to_string()).into_owned();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the accounts file {name}: {e}"))?;
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let at = format!("{name}:{}", number + 1);
            let mut words = line.split_whitespace();
            let arn = words.next().unwrap_or_default();
            let id = words.next();
            if words.next().is_some() {
                return Err(format!(
                    "{at}: expected `ROLE_ARN [EXTERNAL_ID]`, found `{}`",
                    terminal_text::name(line)
                ));
            }
            accounts.push(role_account(arn, id.or(external_id)).map_err(|e| format!("{at}: {e}"))?);
            origins.push(at);
        }
        if accounts.len() == role_arns.len() {
            return Err(format!("the accounts file {name} lists no role"));
        }
    }
    // One pass with a map from account to where it was first listed: linear in the roles.
    let mut first_listed: HashMap<Option<&str>, usize> = HashMap::with_capacity(accounts.len());
    for (i, account) in accounts.iter().enumerate() {
        if let Some(j) = first_listed.insert(account.id(), i) {
            return Err(format!(
                "{}: account {} is already listed ({})",
                origins[i],
                account.id().unwrap_or_default(),
                origins[j]
            ));
        }
    }
    Ok(accounts)
}

/// A role name as IAM accepts it, with an optional path (`audit/pullpath-read`): 1 to 64
/// characters of `[\w+=,.@-]` for the name (IAM API Reference, CreateRole `RoleName`).
static ROLE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$")
        .expect("the role name pattern compiles")
});

/// An organizational unit id (Organizations API Reference, `ParentId`:
/// `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`).
static UNIT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$").expect("the OU id pattern compiles")
});

/// `--organization` and its filters, checked before any call; `None` without it.
pub fn organization_plan(
    fleet: &super::args::FleetArgs,
) -> Result<Option<crate::collect::OrganizationPlan>, String> {
    if !fleet.organization {
        return Ok(None);
    }
    let role_name = fleet.role_name.clone().unwrap_or_default();
    if role_name.len() > 512 || !ROLE_NAME.is_match(&role_name) {
        return Err(format!(
            "--role-name: `{}` is not an IAM role name (letters, digits and `+=,.@_-`, up to 64)",
            terminal_text::name(&role_name)
        ));
    }
    let ids = |flag: &str, values: &[String]| -> Result<Vec<String>, String> {
        values
            .iter()
            .map(|v| v.trim().to_string())
            .map(|v| {
                if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(v)
                } else {
                    Err(format!(
                        "{flag}: `{}` is not an AWS account id (12 digits)",
                        terminal_text::name(&v)
                    ))
                }
            })
            .collect()
    };
    let units: Vec<String> = fleet
        .organizational_units
        .iter()
        .map(|u| u.trim().to_string())
        .collect();
    if let Some(bad) = units.iter().find(|u| !UNIT_ID.is_match(u)) {
        return Err(format!(
            "--organizational-units: `{}` is not an organizational unit id (ou-…)",
            terminal_text::name(bad)
        ));
    }
    Ok(Some(crate::collect::OrganizationPlan {
        role_name,
        external_id: fleet.external_id.clone(),
        accounts: ids("--accounts", &fleet.accounts)?,
        exclude_accounts: ids("--exclude-accounts", &fleet.exclude_accounts)?,
        units,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        for good in [
            "arn:aws:iam::111111111111:role/pullpath-audit",
            "arn:aws:iam::111111111111:role/path/to/audit.role",
            "arn:aws-us-gov:iam::111111111111:role/audit",
            "arn:aws-cn:iam::111111111111:role/audit",
        ] {
            assert!(role_account(good, None).is_ok(), "{good}");
        }
        for bad in [
            "111111111111",
            "arn:aws:iam::11111111111:role/short-account",
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:sts::111111111111:assumed-role/audit/session",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:iam::111111111111:role/has space",
        ] {
            let error = role_account(bad, None).unwrap_err();
            assert!(error.contains("is not an IAM role ARN"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_accounts_file_is_read_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.txt");
        std::fs::write(
            &path,
            "# payments\narn:aws:iam::111111111111:role/audit  ext-1\n\n  arn:aws:iam::222222222222:role/audit # shared\n",
        )
        .unwrap();
        let accounts = load_accounts(
            &["arn:aws:iam::333333333333:role/audit".into()],
            Some("default-id"),
            Some(&path),
        )
        .unwrap();
        let ids: Vec<_> = accounts.iter().map(|a| a.id().unwrap()).collect();
        assert_eq!(ids, ["333333333333", "111111111111", "222222222222"]);
        assert_eq!(accounts[1].external_id.as_deref(), Some("ext-1"));
        assert_eq!(accounts[2].external_id.as_deref(), Some("default-id"));
    }

    #[test]
    fn bad_accounts_files_point_at_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.txt");
        let name = path.display().to_string();
        let cases = [
            (
                "arn:aws:iam::111111111111:role/a\nnot-an-arn\n",
                ":2: `not-an-arn` is not an IAM role ARN",
            ),
            (
                "arn:aws:iam::111111111111:role/a x y\n",
                ":1: expected `ROLE_ARN [EXTERNAL_ID]`",
            ),
            (
                "arn:aws:iam::111111111111:role/a\narn:aws:iam::111111111111:role/b\n",
                ":2: account 111111111111 is already listed",
            ),
            ("# nothing\n", " lists no role"),
            (
                "arn:aws:iam::111111111111:role/a x\n",
                ":1: `x` is not an external id",
            ),
            (
                "arn:aws:iam::111111111111:role/a\x1b]8;;https://evil.example\x07\n",
                ":1: `arn:aws:iam::111111111111:role/a\\u{1b}]8;;https://evil.example\\u{7}` is not an IAM role ARN",
            ),
            (
                "arn:aws:iam::111111111111:role/a id\u{202e}x\n",
                ":1: `id\\u{202e}x` is not an external id",
            ),
        ];
        for (text, expected) in cases {
            std::fs::write(&path, text).unwrap();
            let error = load_accounts(&[], None, Some(&path)).unwrap_err();
            assert!(
                error.contains(&name) && error.contains(expected),
                "{text:?}: {error}"
            );
        }
        let missing =
            load_accounts(&[], None, Some(Path::new("/nonexistent/accounts"))).unwrap_err();
        assert!(
            missing.contains("cannot read the accounts file"),
            "{missing}"
        );
        let bad_default = load_accounts(
            &["arn:aws:iam::111111111111:role/a".into()],
            Some("\r"),
            None,
        )
        .unwrap_err();
        assert!(
            bad_default.starts_with("--external-id: `\\u{d}` is not an external id"),
            "{bad_default}"
        );
    }

    /// A guard against a return of the pairwise duplicate check (20,000 roles took minutes);
    /// the ceiling is generous, the linear check takes milliseconds.
    #[test]
    fn twenty_thousand_roles_are_checked_in_linear_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.txt");
        let mut text: String = (0..20_000)
            .map(|i| {
                format!(
                    "arn:aws:iam::{:012}:role/audit ext-{i}\n",
                    100_000_000_000u64 + i
                )
            })
            .collect();
        std::fs::write(&path, &text).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(load_accounts(&[], None, Some(&path)).unwrap().len(), 20_000);
        text.push_str("arn:aws:iam::100000000000:role/again\n");
        std::fs::write(&path, &text).unwrap();
        let error = load_accounts(&[], None, Some(&path)).unwrap_err();
        assert!(
            error.contains(":20001: account 100000000000 is already listed")
                && error.ends_with(":1)"),
            "{error}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
