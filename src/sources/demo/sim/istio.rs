//! Istio in the simulation: a VirtualService per service with stable and canary subsets whose
//! weights follow each rollout as the controller writes them, a DestinationRule with the
//! subsets and, where the catalog says so, a circuit breaker; and the routes' policy read
//! from them, as the Istio provider reads the real ones.

use super::super::catalog::{Mesh, Platform};
use super::Sim;
use crate::model::RoutePolicy;
use crate::model::mesh::{
    ConnectionPool, DestinationRule, HttpRoute, OutlierDetection, Retries, VirtualService,
    WeightedDestination,
};

/// The VirtualServices and DestinationRules of an Istio platform (none for Linkerd).
pub(super) fn objects(platform: &Platform) -> (Vec<VirtualService>, Vec<DestinationRule>) {
    if platform.mesh != Mesh::Istio {
        return (Vec::new(), Vec::new());
    }
    let mut vss = Vec::new();
    let mut drs = Vec::new();
    for def in platform.services {
        let ns = platform.namespace_of(def);
        let dest = |subset: &str, weight| WeightedDestination {
            host: def.name.into(),
            subset: subset.into(),
            weight,
        };
        vss.push(VirtualService {
            namespace: ns.into(),
            name: def.name.into(),
            hosts: vec![def.name.into()],
            http: vec![HttpRoute {
                name: "primary".into(),
                destinations: vec![dest("stable", 100), dest("canary", 0)],
                // The services behind a circuit breaker retry their 5xx; the rest take Istio's
                // default policy.
                retries: def.circuit_breaker.then(|| Retries {
                    attempts: 3,
                    per_try_timeout_ms: Some(2000),
                    retry_on: "5xx,connect-failure".into(),
                }),
                timeout_ms: def.circuit_breaker.then_some(10_000),
            }],
        });
        drs.push(DestinationRule {
            namespace: ns.into(),
            name: def.name.into(),
            host: def.name.into(),
            subsets: vec!["stable".into(), "canary".into()],
            outlier: def.circuit_breaker.then_some(OutlierDetection {
                consecutive_5xx: 5,
                interval_secs: 10,
                base_ejection_secs: 30,
                max_ejection_percent: 50,
            }),
            pool: def.circuit_breaker.then_some(ConnectionPool {
                max_connections: Some(50),
                max_pending_requests: Some(1),
                max_requests_per_connection: Some(10),
            }),
        });
    }
    (vss, drs)
}

impl Sim {
    /// A route's policy as the Istio provider reads it from the objects.
    pub(super) fn istio_policy(&self, service: &str) -> RoutePolicy {
        let route = self
            .virtual_services
            .iter()
            .find(|v| v.name == service)
            .and_then(|v| v.http.first());
        let dr = self.destination_rules.iter().find(|d| d.host == service);
        let retries = route.and_then(|r| r.retries.as_ref());
        RoutePolicy::Istio {
            attempts: retries.map(|r| r.attempts),
            per_try_timeout_ms: retries.and_then(|r| r.per_try_timeout_ms),
            retry_on: retries.map(|r| r.retry_on.clone()),
            timeout_ms: route.and_then(|r| r.timeout_ms),
            outlier: dr.and_then(|d| d.outlier.clone()),
            pool: dr.and_then(|d| d.pool.clone()),
        }
    }

    /// Writes each canary's weight into its VirtualService, as the controller does on every
    /// step.
    pub(super) fn sync_mesh_weights(&mut self) {
        for s in &self.svcs {
            let canary = if s.rollout.canary_active() {
                s.rollout.actual_weight
            } else {
                0
            };
            if let Some(vs) = self
                .virtual_services
                .iter_mut()
                .find(|v| v.name == s.def.name)
                && let Some(route) = vs.http.first_mut()
            {
                for d in &mut route.destinations {
                    let w = if d.subset == "canary" {
                        canary
                    } else {
                        100 - canary
                    };
                    if d.weight != w {
                        d.weight = w;
                        self.dirty_mesh = true;
                    }
                }
            }
        }
    }
}
