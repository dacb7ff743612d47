//! The vocabulary of a path: hops (resources a call crosses) and how a path leaves the VPC.

use serde::Serialize;

use crate::blocker::Blocker;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    Subnet,
    SecurityGroup,
    NetworkAcl,
    RouteTable,
    InternetGateway,
    NatGateway,
    TransitGateway,
    PeeringConnection,
    VpnGateway,
    NetworkInterface,
    InterfaceEndpoint,
    GatewayEndpoint,
    /// The service host the call is made to.
    Host,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hop {
    pub kind: HopKind,
    pub id: String,
}

impl Hop {
    pub fn new(kind: HopKind, id: impl Into<String>) -> Self {
        Hop {
            kind,
            id: id.into(),
        }
    }
}

/// How the call leaves the task's network, as the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    Igw,
    Nat,
    InterfaceEndpoint,
    GatewayEndpoint,
    TransitGateway,
    Peering,
    VpnGateway,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Igw => "igw",
            Via::Nat => "nat",
            Via::InterfaceEndpoint => "interface-endpoint",
            Via::GatewayEndpoint => "gateway-endpoint",
            Via::TransitGateway => "transit-gateway",
            Via::Peering => "peering",
            Via::VpnGateway => "vpn-gateway",
        }
    }

    pub fn is_endpoint(self) -> bool {
        matches!(self, Via::InterfaceEndpoint | Via::GatewayEndpoint)
    }
}

/// One hop of a candidate path and what stops the call there.
#[derive(Debug, Clone)]
pub struct Step {
    pub hop: Hop,
    pub blockers: Vec<Blocker>,
}

/// One way the call could go, evaluated hop by hop.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub via: Option<Via>,
    pub steps: Vec<Step>,
}

impl Candidate {
    pub fn new() -> Self {
        Candidate {
            via: None,
            steps: Vec::new(),
        }
    }

    pub fn step(&mut self, hop: Hop, blockers: Vec<Blocker>) {
        self.steps.push(Step { hop, blockers });
    }

    pub fn blockers(&self) -> impl Iterator<Item = &Blocker> {
        self.steps.iter().flat_map(|s| s.blockers.iter())
    }

    pub fn add_to_last(&mut self, blocker: Blocker) {
        if let Some(last) = self.steps.last_mut() {
            last.blockers.push(blocker);
        }
    }
}

impl Default for Candidate {
    fn default() -> Self {
        Self::new()
    }
}
