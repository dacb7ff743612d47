//! What an audit takes besides the snapshot: the private networks the user declares for
//! registries (`--registry-route HOST=CIDR`).

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// `HOST=CIDR`: the registry host resolves into CIDR, which the task reaches over the VPC's
/// own routes (peering, transit gateway, VPN, or the VPC itself) instead of the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRoute {
    /// As the image names it (`harbor.acme.internal` or `harbor.acme.internal:8443`),
    /// lower case.
    pub host: String,
    pub cidr: Ipv4Net,
}

/// Options of one audit run, the same for every workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditOptions {
    pub registry_routes: Vec<RegistryRoute>,
    /// The audit's time (seconds since 1970), for conditions on `aws:CurrentTime` and
    /// `aws:EpochTime`; `None`: such conditions are unknown.
    pub now: Option<i64>,
}

impl RegistryRoute {
    /// Parses `HOST=CIDR` (a bare IPv4 address is a /32).
    pub fn parse(text: &str) -> Result<Self, String> {
        let flag = "--registry-route";
        let Some((host, cidr)) = text.split_once('=') else {
            return Err(format!(
                "{flag} `{text}`: expected HOST=CIDR, such as harbor.acme.internal=10.20.0.0/16"
            ));
        };
        let (host, cidr) = (host.trim(), cidr.trim());
        if host.is_empty() {
            return Err(format!(
                "{flag} `{text}`: the host is empty (expected HOST=CIDR)"
            ));
        }
        let valid_host = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'));
        if !valid_host {
            return Err(format!(
                "{flag} `{text}`: `{host}` is not a registry host (give it as the image names it, such as harbor.acme.internal or harbor.acme.internal:8443)"
            ));
        }
        let cidr = match (cidr.parse::<Ipv4Net>(), cidr.parse::<Ipv4Addr>()) {
            (Ok(net), _) => net.trunc(),
            (_, Ok(address)) => Ipv4Net::from(address),
            _ if cidr.contains(':') => {
                return Err(format!(
                    "{flag} `{text}`: `{cidr}` is IPv6; pullpath evaluates IPv4 paths only"
                ))
            }
            _ => {
                return Err(format!(
                    "{flag} `{text}`: `{cidr}` is not an IPv4 CIDR (such as 10.20.0.0/16)"
                ))
            }
        };
        Ok(RegistryRoute {
            host: host.to_ascii_lowercase(),
            cidr,
        })
    }
}

/// `name` of `name:port`.
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

impl RegistryRoute {
    /// Whether the route is for `host` (lower case): exactly, or by its name without the port.
    pub fn applies_to(&self, host: &str) -> bool {
        self.host == host || self.host == without_port(host)
    }
}

impl AuditOptions {
    /// Options with the routes of `--registry-route` (each `HOST=CIDR`); a host given twice is
    /// an error, whatever the CIDRs.
    pub fn with_registry_routes(routes: &[String]) -> Result<Self, String> {
        let mut registry_routes: Vec<RegistryRoute> = Vec::new();
        for text in routes {
            let route = RegistryRoute::parse(text)?;
            if let Some(earlier) = registry_routes.iter().find(|r| r.host == route.host) {
                return Err(format!(
                    "--registry-route: host `{}` is given twice ({} and {}); give each host once",
                    route.host, earlier.cidr, route.cidr
                ));
            }
            registry_routes.push(route);
        }
        Ok(AuditOptions {
            registry_routes,
            now: None,
        })
    }

    /// The same options at time `now` (seconds since 1970).
    pub fn at(mut self, now: i64) -> Self {
        self.now = Some(now);
        self
    }

    /// The time keys of every request the audit decides.
    pub fn clock_keys(&self) -> crate::policy::Context {
        let mut context = crate::policy::Context::new();
        if let Some(now) = self.now {
            crate::policy::keys::clock(&mut context, now);
        }
        context
    }

    /// The declared network of a registry `host` (`name` or `name:port`): a route for that
    /// exact host, else one for its name without the port.
    pub fn registry_route(&self, host: &str) -> Option<Ipv4Net> {
        let host = host.to_ascii_lowercase();
        // A route for `name:port` wins over one for `name`.
        self.registry_routes
            .iter()
            .find(|r| r.host == host)
            .or_else(|| self.registry_routes.iter().find(|r| r.applies_to(&host)))
            .map(|r| r.cidr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(texts: &[&str]) -> Result<AuditOptions, String> {
        AuditOptions::with_registry_routes(&texts.iter().map(|t| t.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn routes_parse_and_match_hosts_with_or_without_port() {
        let options = routes(&[
            "Harbor.Acme.Internal=10.20.0.0/16",
            "artifactory.acme.internal:8443=10.30.1.7",
        ])
        .unwrap();
        let net = |s: &str| Some(s.parse::<Ipv4Net>().unwrap());
        assert_eq!(
            options.registry_route("harbor.acme.internal"),
            net("10.20.0.0/16")
        );
        assert_eq!(
            options.registry_route("harbor.acme.internal:5000"),
            net("10.20.0.0/16")
        );
        assert_eq!(
            options.registry_route("artifactory.acme.internal:8443"),
            net("10.30.1.7/32")
        );
        assert_eq!(options.registry_route("artifactory.acme.internal"), None);
        assert_eq!(options.registry_route("ghcr.io"), None);
        // Host bits are dropped.
        assert_eq!(
            routes(&["h=10.20.3.4/16"]).unwrap().registry_routes[0].cidr,
            "10.20.0.0/16".parse::<Ipv4Net>().unwrap()
        );
    }

    #[test]
    fn bad_routes_say_why() {
        for (text, says) in [
            ("harbor.acme.internal", "expected HOST=CIDR"),
            ("=10.0.0.0/8", "the host is empty"),
            ("https://harbor=10.0.0.0/8", "is not a registry host"),
            ("harbor=10.0.0.0/33", "is not an IPv4 CIDR"),
            ("harbor=", "is not an IPv4 CIDR"),
            ("harbor=fd00::/8", "IPv6"),
        ] {
            let error = routes(&[text]).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
        let error = routes(&["h=10.0.0.0/8", "H=10.1.0.0/16"]).unwrap_err();
        assert!(error.contains("`h` is given twice"), "{error}");
    }
}
