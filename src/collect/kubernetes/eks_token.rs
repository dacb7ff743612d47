//! Authenticating to an EKS cluster as `aws eks get-token` does, signed by pullpath itself, so
//! that a kubeconfig written by `aws eks update-kubeconfig` works without the AWS CLI.
//!
//! The token is `k8s-aws-v1.` and the unpadded URL-safe base64 of a presigned
//! `sts:GetCallerIdentity` GET URL whose signature covers the header `x-k8s-aws-id: CLUSTER`,
//! valid 60 seconds (AWS CLI `awscli/customizations/eks/get_token.py`: `TOKEN_PREFIX`,
//! `CLUSTER_NAME_HEADER`, `URL_TIMEOUT = 60`; aws-iam-authenticator `pkg/token`). The EKS
//! API server asks STS who signed it. Only a read of the caller's identity: no write.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use kube::config::Kubeconfig;

const TOKEN_PREFIX: &str = "k8s-aws-v1.";
const CLUSTER_HEADER: &str = "x-k8s-aws-id";
const URL_TIMEOUT: Duration = Duration::from_secs(60);

/// The token for `cluster`, signed with `credentials` for STS in `region` at `time`.
pub fn eks_token(
    credentials: Credentials,
    region: &str,
    cluster: &str,
    time: SystemTime,
) -> Result<String, String> {
    let host = format!("sts.{region}.amazonaws.com");
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(URL_TIMEOUT);
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the EKS token: {e}"))?
        .into();
    let request = SignableRequest::new(
        "GET",
        url.as_str(),
        [(CLUSTER_HEADER, cluster), ("host", host.as_str())].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| format!("cannot sign the EKS token: {e}"))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| format!("cannot sign the EKS token: {e}"))?
        .into_parts();
    let mut signed = url;
    for (name, value) in instructions.params() {
        signed.push('&');
        signed.push_str(name);
        signed.push('=');
        signed.push_str(&percent_encoding::utf8_percent_encode(value, QUERY).to_string());
    }
    Ok(format!("{TOKEN_PREFIX}{}", base64_url(signed.as_bytes())))
}

/// What a query value may hold unescaped (RFC 3986 unreserved).
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Unpadded URL-safe base64.
fn base64_url(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// The EKS cluster and region a kubeconfig user's `aws eks get-token` exec plugin names
/// (`--cluster-name NAME`, `--region R`), if it is one.
pub fn get_token_call(kubeconfig: &Kubeconfig, context: &str) -> Option<(String, Option<String>)> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    let exec = kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?;
    let command = exec.command.as_deref()?;
    let args = exec.args.clone().unwrap_or_default();
    let is_aws = command == "aws" || command.ends_with("/aws");
    let get_token = args
        .windows(2)
        .any(|w| w[0] == "eks" && w[1] == "get-token");
    if !is_aws || !get_token {
        return None;
    }
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
            .or_else(|| {
                args.iter()
                    .find_map(|a| a.strip_prefix(&format!("{flag}=")).map(str::to_string))
            })
    };
    Some((value("--cluster-name")?, value("--region")))
}

/// Replaces the `aws eks get-token` exec plugin of `context`'s user with a token pullpath
/// signed, for the AWS profile the plugin names (`AWS_PROFILE` in its env) or the default
/// chain. Returns whether it did.
pub async fn sign_in_place(kubeconfig: &mut Kubeconfig, context: &str) -> Result<bool, String> {
    let Some((cluster, region)) = get_token_call(kubeconfig, context) else {
        return Ok(false);
    };
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let auth = kubeconfig
        .auth_infos
        .iter_mut()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_mut())
        .ok_or("the kubeconfig user vanished")?;
    let profile = auth
        .exec
        .as_ref()
        .and_then(|e| e.env.as_ref())
        .and_then(|env| {
            env.iter()
                .find(|v| v.get("name").map(String::as_str) == Some("AWS_PROFILE"))
                .and_then(|v| v.get("value").cloned())
        });
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(profile) = &profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &region {
        loader = loader.region(aws_types::region::Region::new(region.clone()));
    }
    let config = loader.load().await;
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region for the EKS token: the kubeconfig's get-token names none, and the credential chain has none")?;
    let provider = config
        .credentials_provider()
        .ok_or("no AWS credentials for the EKS token")?;
    use aws_credential_types::provider::ProvideCredentials;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials for the EKS token: {e}"))?;
    let token = eks_token(credentials, &region, &cluster, SystemTime::now())?;
    auth.exec = None;
    auth.token = Some(token.into());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(token: &str) -> String {
        let body = token.strip_prefix(TOKEN_PREFIX).expect("prefix");
        let mut text = body.replace('-', "+").replace('_', "/");
        while !text.len().is_multiple_of(4) {
            text.push('=');
        }
        String::from_utf8(aws_smithy_types::base64::decode(&text).unwrap()).unwrap()
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_covering_the_cluster_header() {
        let credentials =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", None, None, "test");
        let token = eks_token(
            credentials,
            "us-east-1",
            "shop",
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_083_200),
        )
        .unwrap();
        assert!(
            !token.contains('=') && !token.contains('+') && !token.contains('/'),
            "{token}"
        );
        let url = decode(&token);
        assert!(
            url.starts_with(
                "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20261201%2Fus-east-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20261201T000000Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} not in {url}");
        }
        assert!(
            !url.contains("wJalrXUtnFEMI"),
            "the secret key is never in the token"
        );
        // The same URL botocore presigns (as the AWS CLI's `eks get-token` does) for these
        // credentials, cluster and time: `.venv-moto/bin/python` with botocore's
        // `generate_presigned_url('get_caller_identity', ExpiresIn=60)` and the header
        // injected before signing, the clock fixed at 2026-12-01T00:00:00Z.
        assert_eq!(
            url,
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261201%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=9722e1ca94b8c9721f08b78a20ff69fdc3879079e0a6889cd24ae755ed8dce67"
        );
    }

    #[test]
    fn an_aws_eks_get_token_user_is_recognised() {
        let kubeconfig: Kubeconfig = serde_yaml_ng::from_str(
            r#"
apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: prod
  context: {cluster: prod, user: prod-user}
clusters:
- name: prod
  cluster: {server: "https://ABC.gr7.us-east-1.eks.amazonaws.com"}
users:
- name: prod-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, shop, --output, json]
"#,
        )
        .unwrap();
        assert_eq!(
            get_token_call(&kubeconfig, "prod"),
            Some(("shop".to_string(), Some("eu-west-1".to_string())))
        );
        assert_eq!(get_token_call(&kubeconfig, "other"), None);
    }
}
