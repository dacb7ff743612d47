//! The standing cost of a plan's changes: what stays on the bill after the fix. Rates are
//! AWS's us-east-1 list prices (docs/fix-plans.md names the pages and the date they were
//! read); other regions differ by a few percent, so the figure ranks alternatives, it is not
//! a quote.

use serde::Serialize;

use crate::fix::Change;

/// When the rates below were read.
pub const RATES_AS_OF: &str = "2026-12";

/// NAT gateway: per hour provisioned and per GB processed (Amazon VPC pricing).
const NAT_HOURLY: f64 = 0.045;
const NAT_PER_GB: f64 = 0.045;
/// A public IPv4 address (the NAT gateway's Elastic IP), per hour (Amazon VPC pricing,
/// "Public IPv4 addresses", since 2024-02-01).
const PUBLIC_IPV4_HOURLY: f64 = 0.005;
/// Interface endpoint: per hour per availability zone, per GB processed (AWS PrivateLink
/// pricing, first petabyte). Gateway endpoints (S3, DynamoDB) cost nothing.
const ENDPOINT_HOURLY_PER_AZ: f64 = 0.01;
const ENDPOINT_PER_GB: f64 = 0.01;
const HOURS_PER_MONTH: f64 = 730.0;

/// What a set of changes adds to the monthly bill.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, schemars::JsonSchema)]
pub struct Cost {
    /// Hourly charges over a 730-hour month, in USD.
    pub monthly_usd: f64,
    /// Per GB that goes through what the plan creates, in USD (the highest rate of the
    /// plan's paths: a NAT gateway's when it has one).
    pub per_gb_usd: f64,
}

impl Cost {
    pub fn of(changes: &[Change]) -> Cost {
        let mut cost = Cost::default();
        for change in changes {
            match change {
                Change::CreateNatGateway { .. } => {
                    cost.monthly_usd += (NAT_HOURLY + PUBLIC_IPV4_HOURLY) * HOURS_PER_MONTH;
                    cost.per_gb_usd = cost.per_gb_usd.max(NAT_PER_GB);
                }
                Change::CreateInterfaceEndpoint { subnet_ids, .. } => {
                    cost.monthly_usd +=
                        ENDPOINT_HOURLY_PER_AZ * HOURS_PER_MONTH * subnet_ids.len().max(1) as f64;
                    cost.per_gb_usd = cost.per_gb_usd.max(ENDPOINT_PER_GB);
                }
                _ => {}
            }
        }
        cost.monthly_usd = (cost.monthly_usd * 100.0).round() / 100.0;
        cost
    }

    /// "about $36.50/month + $0.045/GB", or "no standing cost".
    pub fn describe(&self) -> String {
        if self.monthly_usd == 0.0 && self.per_gb_usd == 0.0 {
            "no standing cost".to_string()
        } else {
            format!(
                "about ${:.2}/month + ${}/GB (us-east-1 rates, {RATES_AS_OF})",
                self.monthly_usd, self.per_gb_usd
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nat_gateway_costs_its_hours_and_address_and_endpoints_cost_per_zone() {
        let nat = Change::CreateNatGateway {
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
        };
        // (0.045 + 0.005) × 730
        assert_eq!(Cost::of(std::slice::from_ref(&nat)).monthly_usd, 36.5);
        let endpoint = Change::CreateInterfaceEndpoint {
            vpc_id: "vpc-1".into(),
            service_name: "com.amazonaws.us-east-1.ecr.api".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_group_ids: vec![],
        };
        let both = Cost::of(&[endpoint.clone(), endpoint]);
        assert_eq!(both.monthly_usd, 29.2);
        assert_eq!(both.per_gb_usd, 0.01);
        assert_eq!(Cost::of(&[]).describe(), "no standing cost");
    }
}
