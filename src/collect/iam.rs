//! IAM: each distinct execution role once, its inline policies, and each distinct attached
//! managed policy's default version once.

use std::collections::BTreeSet;

use futures::future::try_join_all;

use super::calls::{attempt, attempt_found, distrust, Call, CollectError, Session};
use super::memo::IamMemo;
use crate::model::{InlinePolicy, ManagedPolicy, Role};

fn call(operation: &'static str, action: &'static str, collection: &'static str) -> Call {
    Call {
        service: "iam",
        operation,
        action,
        collection,
    }
}

/// IAM returns policy documents URL-encoded; the snapshot keeps them as JSON.
fn document(encoded: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&decoded)
        .unwrap_or_else(|_| serde_json::Value::String(decoded.into_owned()))
}

/// The role name from its ARN (`arn:aws:iam::A:role/path/name`).
fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The roles `arns` and the managed policies they attach, read once per account in a run
/// (`memo`), whichever of the account's regions asks first.
pub async fn roles(
    client: &aws_sdk_iam::Client,
    session: &Session,
    memo: &IamMemo,
    account: &str,
    arns: &BTreeSet<String>,
) -> Result<(Option<Vec<Role>>, Option<Vec<ManagedPolicy>>), CollectError> {
    let found = try_join_all(arns.iter().map(|arn| {
        memo.roles
            .get_or_read(format!("{account}|{arn}"), session, move |own| async move {
                role(client, &own, arn).await
            })
    }))
    .await?;
    // One denied call leaves the roles incomplete: report them all as not collected rather
    // than judge a role by half its policies.
    let Some(found) = found.into_iter().collect::<Option<Vec<Option<Role>>>>() else {
        return Ok((None, None));
    };
    let roles: Vec<Role> = found.into_iter().flatten().collect();
    let attached: BTreeSet<&str> = roles
        .iter()
        .flat_map(|r| r.attached_policy_arns.iter().map(String::as_str))
        .collect();
    let policies = try_join_all(attached.into_iter().map(|arn| {
        memo.policies
            .get_or_read(format!("{account}|{arn}"), session, move |own| async move {
                managed_policy(client, &own, arn).await
            })
    }))
    .await?;
    Ok((Some(roles), Some(policies.into_iter().flatten().collect())))
}

/// `Some(None)`: the role does not exist. `None`: a call was denied.
async fn role(
    client: &aws_sdk_iam::Client,
    session: &Session,
    arn: &str,
) -> Result<Option<Option<Role>>, CollectError> {
    let name = role_name(arn);
    // `None`: denied; `Some(None)`: the role does not exist.
    let get = attempt_found(
        session,
        call("GetRole", "iam:GetRole", "roles"),
        "NoSuchEntity",
        client.get_role().role_name(name).send(),
    );
    // The role first: for a role that does not exist the listings fail too.
    let Some(got) = get.await? else {
        return Ok(None);
    };
    let Some(got) = got else {
        return Ok(Some(None));
    };
    // GetRole answers with the role or NoSuchEntity: a reply without the role is damaged,
    // not a role that does not exist.
    let Some(role) = got.role().cloned() else {
        let call = call("GetRole", "iam:GetRole", "roles");
        distrust(session, call, "the reply has no Role");
        return Ok(None);
    };
    let inline = client
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let attached = client
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let (inline, attached) = tokio::try_join!(
        attempt(
            session,
            call("ListRolePolicies", "iam:ListRolePolicies", "roles"),
            inline
        ),
        attempt(
            session,
            call(
                "ListAttachedRolePolicies",
                "iam:ListAttachedRolePolicies",
                "roles"
            ),
            attached
        ),
    )?;
    let (Some(inline), Some(attached)) = (inline, attached) else {
        return Ok(None);
    };
    // Every attached policy has its ARN: one without is a damaged reply, not a policy less.
    if attached
        .iter()
        .any(|p| p.policy_arn().is_none_or(str::is_empty))
    {
        let call = call(
            "ListAttachedRolePolicies",
            "iam:ListAttachedRolePolicies",
            "roles",
        );
        distrust(
            session,
            call,
            "an attached policy of the reply has no PolicyArn",
        );
        return Ok(None);
    }
    let documents = try_join_all(inline.iter().map(|policy| {
        let request = client
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send();
        attempt(
            session,
            call("GetRolePolicy", "iam:GetRolePolicy", "roles"),
            request,
        )
    }))
    .await?;
    let mut inline_policies = Vec::new();
    for (policy, output) in inline.iter().zip(documents) {
        let Some(output) = output else {
            return Ok(None);
        };
        inline_policies.push(InlinePolicy {
            name: policy.clone(),
            document: document(output.policy_document()),
        });
    }
    Ok(Some(Some(Role {
        arn: role.arn().to_string(),
        name: role.role_name().to_string(),
        assume_role_policy: role
            .assume_role_policy_document()
            .map(document)
            .unwrap_or(serde_json::Value::Null),
        inline_policies,
        attached_policy_arns: attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect(),
        // GetRole returns the role's id and tags (its sessions' aws:userid and
        // aws:PrincipalTag/…): no extra call.
        role_id: Some(role.role_id().to_string()).filter(|id| !id.is_empty()),
        tags: Some(
            role.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        ),
    })))
}

/// A managed policy's default version; `None` when denied (the analysis then names it as not
/// collected).
async fn managed_policy(
    client: &aws_sdk_iam::Client,
    session: &Session,
    arn: &str,
) -> Result<Option<ManagedPolicy>, CollectError> {
    let request = client.get_policy().policy_arn(arn).send();
    let Some(policy) = attempt(
        session,
        call("GetPolicy", "iam:GetPolicy", "managed_policies"),
        request,
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
        let call = call("GetPolicy", "iam:GetPolicy", "managed_policies");
        distrust(
            session,
            call,
            format!("the reply for {arn} has no DefaultVersionId"),
        );
        return Ok(None);
    };
    let request = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send();
    let Some(output) = attempt(
        session,
        call(
            "GetPolicyVersion",
            "iam:GetPolicyVersion",
            "managed_policies",
        ),
        request,
    )
    .await?
    else {
        return Ok(None);
    };
    let text = output.policy_version().and_then(|v| v.document());
    if text.is_none() {
        let call = call(
            "GetPolicyVersion",
            "iam:GetPolicyVersion",
            "managed_policies",
        );
        distrust(
            session,
            call,
            format!("the reply for {arn} has no Document"),
        );
    }
    Ok(text.map(|text| ManagedPolicy {
        arn: arn.to_string(),
        name: policy
            .policy()
            .and_then(|p| p.policy_name())
            .map(str::to_string),
        document: document(text),
    }))
}
