//! The account's AWS Organization (`organizations:DescribeOrganization`, which any member
//! account may call: "This operation can be called from any account in the organization",
//! Organizations API Reference), for the `aws:PrincipalOrgID` and `aws:ResourceOrgID` keys of
//! data-perimeter policies. Read once per account.

use super::calls::{attempt_found, Call, CollectError, Session};
use super::config::Aws;
use crate::model::Organization;

const DESCRIBE: Call = Call {
    service: "organizations",
    operation: "DescribeOrganization",
    action: "organizations:DescribeOrganization",
    collection: "organization",
};

/// The organization of `account`: `Some(id: None)` when the account is in none
/// (`AWSOrganizationsNotInUseException`); `None` when it could not be read (a denied call is a
/// coverage gap; organization keys are then unknown).
pub async fn organization(
    aws: &Aws,
    session: &Session,
    account: &str,
) -> Result<Option<Organization>, CollectError> {
    aws.iam
        .organizations
        .get_or_read(account.to_string(), session, |own| async move {
            let request = aws.organizations().describe_organization().send();
            let found =
                attempt_found(&own, DESCRIBE, "AWSOrganizationsNotInUseException", request).await;
            Ok(match found {
                Ok(Some(Some(output))) => match output.organization().and_then(|o| o.id()) {
                    Some(id) if !id.is_empty() => Some(Organization {
                        id: Some(id.to_string()),
                    }),
                    // An organization without its id: a damaged reply, not "no organization"
                    // (which is AWSOrganizationsNotInUseException).
                    _ => {
                        super::calls::distrust(&own, DESCRIBE, "the reply has no Organization.Id");
                        None
                    }
                },
                Ok(Some(None)) => Some(Organization { id: None }),
                // Denied (a gap), or failed: the keys it decides are unknown, nothing else is.
                Ok(None) | Err(CollectError::Api { .. }) => None,
                Err(other) => return Err(other),
            })
        })
        .await
}
