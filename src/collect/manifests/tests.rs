use std::io::{Read, Write};
use std::net::TcpListener;

use aws_sdk_ecr::operation::batch_get_image::BatchGetImageOutput;
use aws_sdk_ecr::operation::get_download_url_for_layer::GetDownloadUrlForLayerOutput;
use aws_sdk_ecr::types::Image as SdkImage;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;

const INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
  "manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":1,
     "platform":{"architecture":"amd64","os":"linux"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b","size":1,
     "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:c","size":1,
     "platform":{"architecture":"unknown","os":"unknown"},
     "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}"#;

const SINGLE: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
  "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,
            "digest":"sha256:0123"},
  "layers":[]}"#;

#[test]
fn an_index_lists_its_platforms_without_attestations() {
    let Ok(Manifest::Index(platforms)) = parse_manifest(INDEX) else {
        panic!("an index")
    };
    let names: Vec<String> = platforms.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["linux/amd64", "linux/arm64/v8"]);
}

#[test]
fn a_single_manifest_points_at_its_config() {
    assert_eq!(
        parse_manifest(SINGLE),
        Ok(Manifest::Config {
            digest: "sha256:0123".into()
        })
    );
    let config = br#"{"architecture":"arm64","os":"linux","config":{},"rootfs":{}}"#;
    assert_eq!(parse_config(config).unwrap().to_string(), "linux/arm64");
    let schema1 =
        r#"{"schemaVersion":1,"name":"web","tag":"1","architecture":"amd64","fsLayers":[]}"#;
    assert_eq!(
        parse_manifest(schema1),
        Ok(Manifest::Named(Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None
        }))
    );
}

#[test]
fn what_is_not_a_manifest_is_refused() {
    assert!(parse_manifest("{").is_err());
    assert!(parse_manifest(r#"{"schemaVersion":2}"#).is_err());
    assert!(parse_manifest(r#"{"manifests":[{"platform":{"os":"linux"}}]}"#).is_err());
    assert!(parse_config(b"[]").is_err());
    let huge = format!("\"{}\"", "a".repeat(MAX_DOCUMENT_BYTES));
    assert!(parse_manifest(&huge).unwrap_err().contains("larger"));
}

/// Serves one HTTP response on a loopback port: the presigned URL a layer download goes to.
/// No emulator serves `GetDownloadUrlForLayer`'s URLs (moto does not implement the call).
fn serve_once(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0_u8; 4096];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}/config?X-Amz-Signature=x")
}

/// The platforms of image `sha256:abc` of `web`, read through `client`.
async fn platforms_with(
    client: &aws_sdk_ecr::Client,
    session: &Session,
) -> Option<Vec<crate::model::Platform>> {
    ecr_platforms(
        client,
        &reqwest::Client::new(),
        session,
        "123456789012",
        "web",
        "sha256:abc",
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_index_is_read_with_one_call() {
    let batch = mock!(aws_sdk_ecr::Client::batch_get_image)
        .match_requests(|r| {
            r.accepted_media_types()
                .first()
                .is_some_and(|t| t == "application/vnd.oci.image.index.v1+json")
        })
        .then_output(|| {
            BatchGetImageOutput::builder()
                .images(SdkImage::builder().image_manifest(INDEX).build())
                .build()
        });
    let client = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&batch]);
    let found = platforms_with(&client, &Session::default())
        .await
        .expect("read");
    assert_eq!(found.len(), 2);
    assert_eq!(batch.num_calls(), 1);
}

#[tokio::test]
async fn a_single_platform_image_is_read_from_its_config() {
    let url = serve_once(r#"{"architecture":"amd64","os":"linux"}"#);
    let batch = mock!(aws_sdk_ecr::Client::batch_get_image).then_output(|| {
        BatchGetImageOutput::builder()
            .images(SdkImage::builder().image_manifest(SINGLE).build())
            .build()
    });
    let layer = mock!(aws_sdk_ecr::Client::get_download_url_for_layer)
        .match_requests(|r| r.layer_digest() == Some("sha256:0123"))
        .then_output(move || {
            GetDownloadUrlForLayerOutput::builder()
                .download_url(url.clone())
                .layer_digest("sha256:0123")
                .build()
        });
    let client = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&batch, &layer]);
    let found = platforms_with(&client, &Session::default())
        .await
        .expect("read");
    assert_eq!(found[0].to_string(), "linux/amd64");
    assert_eq!(layer.num_calls(), 1);
}

#[tokio::test]
async fn a_denied_manifest_read_is_a_gap_and_unknown() {
    let denied = mock!(aws_sdk_ecr::Client::batch_get_image).then_http_response(denied);
    let client = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&denied]);
    let session = Session::default();
    let found = platforms_with(&client, &session).await;
    assert!(found.is_none());
    assert_eq!(session.take()[0].action, "ecr:BatchGetImage");
}

/// An ECR (JSON protocol) access-denied answer.
pub(in crate::collect) fn denied() -> aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
        aws_smithy_types::body::SdkBody::from(
            r#"{"__type":"AccessDeniedException","message":"not for you"}"#,
        ),
    )
}
