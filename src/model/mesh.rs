//! Istio's traffic objects as a dashboard reads them (PROTOCOLS §9.3): the weights a
//! VirtualService gives each destination, its retries and timeouts, a DestinationRule's
//! subsets and circuit breaking — and the weight the mesh really gives a rollout's canary.

use super::Rollout;

/// `networking.istio.io` VirtualService.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VirtualService {
    pub namespace: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub http: Vec<HttpRoute>,
}

/// One `spec.http[]` route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRoute {
    pub name: String,
    pub destinations: Vec<WeightedDestination>,
    /// `retries`; `None`: Istio's default policy (2 attempts).
    pub retries: Option<Retries>,
    /// `timeout`; `None`: no timeout (Istio's default).
    pub timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeightedDestination {
    pub host: String,
    pub subset: String,
    /// `weight`; a lone destination without one takes all the traffic.
    pub weight: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retries {
    pub attempts: u32,
    pub per_try_timeout_ms: Option<u64>,
    pub retry_on: String,
}

/// Istio's retry policy when a route sets none: 2 attempts on connection failures and 503s.
pub const DEFAULT_ATTEMPTS: u32 = 2;

/// `networking.istio.io` DestinationRule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DestinationRule {
    pub namespace: String,
    pub name: String,
    pub host: String,
    pub subsets: Vec<String>,
    pub outlier: Option<OutlierDetection>,
    pub pool: Option<ConnectionPool>,
}

/// `trafficPolicy.outlierDetection`: ejecting hosts that keep failing (a circuit breaker).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutlierDetection {
    pub consecutive_5xx: u32,
    pub interval_secs: u64,
    pub base_ejection_secs: u64,
    pub max_ejection_percent: u32,
}

/// `trafficPolicy.connectionPool`: requests beyond these limits fail with UO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionPool {
    pub max_connections: Option<u32>,
    pub max_pending_requests: Option<u32>,
    pub max_requests_per_connection: Option<u32>,
}

/// A VirtualService a Rollout drives, and the routes in it it writes weights to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VsRef {
    pub namespace: String,
    pub name: String,
    /// Empty: the VirtualService's only route.
    pub routes: Vec<String>,
}

/// `spec.strategy.canary.trafficRouting.istio`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IstioRouting {
    pub virtual_services: Vec<VsRef>,
    pub destination_rule: String,
    /// Subset-level routing: the DestinationRule subsets of canary and stable.
    pub canary_subset: String,
    pub stable_subset: String,
}

/// The weight the mesh gives a rollout's canary, read from the VirtualServices it drives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshWeight {
    pub weight: u32,
    /// `namespace/name` of the VirtualService read.
    pub virtual_service: String,
    /// The VirtualServices (or routes) it drives disagree with each other.
    pub inconsistent: bool,
}

pub fn same_host(dest: &str, service: &str, namespace: &str) -> bool {
    !service.is_empty()
        && (dest == service
            || dest == format!("{service}.{namespace}")
            || dest.starts_with(&format!("{service}.{namespace}.svc")))
}

impl VirtualService {
    /// The routes a rollout writes weights to: the named ones, or the only one.
    fn routes<'a>(&'a self, names: &'a [String]) -> impl Iterator<Item = &'a HttpRoute> + 'a {
        let only = self.http.len() == 1;
        self.http
            .iter()
            .filter(move |r| names.is_empty() && only || names.contains(&r.name))
    }

    /// Whether the VirtualService sends traffic to `service` in `namespace`.
    pub fn serves(&self, service: &str, namespace: &str) -> bool {
        self.hosts.iter().any(|h| same_host(h, service, namespace))
            || self.http.iter().any(|r| {
                r.destinations
                    .iter()
                    .any(|d| same_host(&d.host, service, namespace))
            })
    }
}

/// The canary's weight as the VirtualServices `r` drives say it, `None` when it drives none
/// that is known.
pub fn mesh_weight(r: &Rollout, vss: &[VirtualService]) -> Option<MeshWeight> {
    let istio = r.istio.as_ref()?;
    let mut found: Vec<(String, u32)> = Vec::new();
    for vr in &istio.virtual_services {
        let ns = if vr.namespace.is_empty() {
            r.namespace.as_str()
        } else {
            vr.namespace.as_str()
        };
        let Some(vs) = vss.iter().find(|v| v.name == vr.name && v.namespace == ns) else {
            continue;
        };
        for route in vs.routes(&vr.routes) {
            let canary = route.destinations.iter().find(|d| {
                (!istio.canary_subset.is_empty() && d.subset == istio.canary_subset)
                    || (istio.canary_subset.is_empty() && same_host(&d.host, &r.canary_service, ns))
            });
            let weight = canary.map_or(0, |d| d.weight);
            found.push((format!("{ns}/{}", vs.name), weight));
        }
    }
    let (first_vs, weight) = found.first().cloned()?;
    Some(MeshWeight {
        weight,
        virtual_service: first_vs,
        inconsistent: found.iter().any(|(_, w)| *w != weight),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vs(name: &str, dests: &[(&str, &str, u32)]) -> VirtualService {
        VirtualService {
            namespace: "dev".into(),
            name: name.into(),
            hosts: vec!["store".into()],
            http: vec![HttpRoute {
                name: "primary".into(),
                destinations: dests
                    .iter()
                    .map(|(h, s, w)| WeightedDestination {
                        host: h.to_string(),
                        subset: s.to_string(),
                        weight: *w,
                    })
                    .collect(),
                ..Default::default()
            }],
        }
    }

    fn rollout(subset: bool) -> Rollout {
        Rollout {
            name: "store".into(),
            namespace: "dev".into(),
            canary_service: if subset { "" } else { "store-canary" }.into(),
            istio: Some(IstioRouting {
                virtual_services: vec![VsRef {
                    namespace: String::new(),
                    name: "store-vsvc".into(),
                    routes: vec!["primary".into()],
                }],
                canary_subset: if subset { "canary" } else { "" }.into(),
                stable_subset: if subset { "stable" } else { "" }.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_canary_weight_is_read_by_subset_or_by_host() {
        let subset = vs(
            "store-vsvc",
            &[("store", "stable", 80), ("store", "canary", 20)],
        );
        let w = mesh_weight(&rollout(true), &[subset]).unwrap();
        assert_eq!(
            (w.weight, w.virtual_service.as_str()),
            (20, "dev/store-vsvc")
        );
        let host = vs(
            "store-vsvc",
            &[
                ("store-stable", "", 50),
                ("store-canary.dev.svc.cluster.local", "", 50),
            ],
        );
        assert_eq!(mesh_weight(&rollout(false), &[host]).unwrap().weight, 50);
        assert_eq!(
            mesh_weight(&rollout(true), &[]),
            None,
            "no such VirtualService"
        );
        assert_eq!(
            mesh_weight(&Rollout::default(), &[]),
            None,
            "no Istio routing"
        );
    }
}
