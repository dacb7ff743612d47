//! Replies cut short are failures, never shorter lists. A reply body truncated with a
//! consistent `Content-Length` (a proxy, a reset after the headers, a bug) still parses with
//! the SDK's XML decoder, which stops at the end of its input without asking that every open
//! element was closed: a role's policy list would lose its last entries, an endpoint list an
//! endpoint. This interceptor, on every client, refuses a successful reply whose document is
//! not whole — an XML reply (EC2, IAM, STS: the query protocols) must close the element it
//! opens with; a JSON reply (ECS, ECR, Secrets Manager, SSM, Organizations) must be one
//! complete JSON value — so the call fails and becomes a coverage gap naming it.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone, Default)]
pub struct WholeReply;

impl Intercept for WholeReply {
    fn name(&self) -> &'static str {
        "pullpath::WholeReply"
    }

    // After deserialization the body has been read into memory (non-streaming operations);
    // a streaming body (none of pullpath's calls) has no bytes here and is left alone.
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        match response.body().bytes() {
            Some(body) => is_whole(body).map_err(|why| {
                Box::new(CutShort(format!(
                    "the reply was cut short ({} bytes): {why}",
                    body.len()
                ))) as BoxError
            }),
            None => Ok(()),
        }
    }
}

/// A successful reply whose document is not whole: the call's error, found in its chain of
/// causes by [`cut_short_in`].
#[derive(Debug)]
pub struct CutShort(String);

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CutShort {}

/// What was cut short, when `error` (or one of its causes) is a [`CutShort`].
pub fn cut_short_in(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(cut) = current.downcast_ref::<CutShort>() {
            return Some(cut.0.clone());
        }
        next = current.source();
    }
    None
}

/// Whether `body` is one whole document: `Err` says what is missing.
pub fn is_whole(body: &[u8]) -> Result<(), String> {
    let text = body.trim_ascii();
    match text.first() {
        // Every successful reply of the calls pullpath makes has a document: XML ones their
        // `…Response` element, JSON ones at least `{}` (an empty body would read as an
        // empty object: no clusters, no services).
        None => Err("the body is empty".to_string()),
        Some(b'<') => xml_is_closed(text),
        Some(b'{') | Some(b'[') => serde_json::from_slice::<serde::de::IgnoredAny>(text)
            .map(drop)
            .map_err(|e| format!("incomplete JSON: {e}")),
        Some(_) => Err("neither XML nor JSON".to_string()),
    }
}

/// The document's root element, once past the XML declaration and comments, must end it:
/// `<DescribeSubnetsResponse …> … </DescribeSubnetsResponse>` (or be empty: `<Root/>`).
fn xml_is_closed(text: &[u8]) -> Result<(), String> {
    let mut rest = text;
    loop {
        rest = rest.trim_ascii_start();
        if rest.starts_with(b"<?") {
            rest = after(rest, b"?>").ok_or("an unterminated XML declaration")?;
        } else if rest.starts_with(b"<!--") {
            rest = after(rest, b"-->").ok_or("an unterminated XML comment")?;
        } else {
            break;
        }
    }
    let Some(tag) = rest.strip_prefix(b"<") else {
        return Err("no root element".to_string());
    };
    let name_len = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..name_len];
    if name.is_empty() {
        return Err("no root element".to_string());
    }
    let open_end = tag.iter().position(|b| *b == b'>');
    // `<Root/>`: a whole, empty document.
    if open_end.is_some_and(|end| end > 0 && tag[end - 1] == b'/' && end + 1 == tag.len()) {
        return Ok(());
    }
    let mut closing = b"</".to_vec();
    closing.extend_from_slice(name);
    closing.push(b'>');
    if open_end.is_some() && text.ends_with(&closing) {
        Ok(())
    } else {
        Err(format!(
            "the root element <{}> is never closed",
            String::from_utf8_lossy(name)
        ))
    }
}

fn after<'a>(text: &'a [u8], marker: &[u8]) -> Option<&'a [u8]> {
    text.windows(marker.len())
        .position(|w| w == marker)
        .map(|at| &text[at + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::is_whole;

    const SUBNETS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>7a62c49f</requestId>
    <subnetSet><item><subnetId>subnet-1</subnetId></item><item><subnetId>subnet-2</subnetId></item></subnetSet>
</DescribeSubnetsResponse>
"#;

    #[test]
    fn whole_replies_pass() {
        assert_eq!(is_whole(SUBNETS.as_bytes()), Ok(()));
        assert_eq!(is_whole(b"<Empty/>"), Ok(()));
        assert_eq!(
            is_whole(br#"{"services":[{"serviceName":"web"}],"failures":[]}"#),
            Ok(())
        );
    }

    /// Every cut of a whole reply is refused: at an item boundary (which the SDK's XML decoder
    /// would read as a shorter list) and anywhere else.
    #[test]
    fn every_cut_is_refused() {
        for document in [
            SUBNETS,
            r#"{"services":[{"serviceName":"web"},{"serviceName":"api"}],"failures":[]}"#,
        ] {
            let body = document.trim_end().as_bytes();
            for cut in 0..body.len() {
                let part = &body[..cut];
                assert!(
                    is_whole(part).is_err(),
                    "a cut at {cut} passed: {}",
                    String::from_utf8_lossy(part)
                );
            }
        }
    }
}
