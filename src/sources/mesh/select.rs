//! Which mesh the routes come from: `--mesh linkerd` or `--mesh istio` runs that one; `--mesh
//! auto` (the default) runs the meshes the cluster has — those whose metrics the Prometheus
//! holds, else those installed (their CRDs or namespace) — and shows each service with the
//! mesh that carries its traffic.

use super::{MeshData, MeshProvider};
use crate::model::MeshNote;
use crate::net::http::ServiceRef;
use crate::sources::prometheus::api::Prometheus;
use crate::state::Demand;
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `--mesh`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MeshChoice {
    #[default]
    Auto,
    Linkerd,
    Istio,
}

/// How long a detection that found nothing stands before it is tried again.
const REDETECT: Duration = Duration::from_secs(300);

/// The meshes the cluster has, found on the first refresh.
pub struct Auto {
    meshes: Vec<Box<dyn MeshProvider>>,
    /// Indexes into `meshes` of the ones in use; `None` until detected.
    active: Option<Vec<usize>>,
    detected_at: Option<Instant>,
}

impl Auto {
    pub fn new(meshes: Vec<Box<dyn MeshProvider>>) -> Self {
        Self {
            meshes,
            active: None,
            detected_at: None,
        }
    }

    async fn detect(&mut self, prom: &Prometheus, kube: Option<&kube::Client>) -> u64 {
        let mut queries = 0;
        let mut with_metrics = Vec::new();
        let mut installed = Vec::new();
        for (i, m) in self.meshes.iter().enumerate() {
            queries += 1;
            if prom
                .query(m.metrics_probe())
                .await
                .is_ok_and(|v| !v.is_empty())
            {
                with_metrics.push(i);
            }
            if let Some(k) = kube
                && m.installed(k).await
            {
                installed.push(i);
            }
        }
        let active = if with_metrics.is_empty() {
            installed
        } else {
            with_metrics
        };
        tracing::info!(
            meshes = ?active.iter().map(|&i| self.meshes[i].name()).collect::<Vec<_>>(),
            "mesh detected"
        );
        self.active = Some(active);
        self.detected_at = Some(Instant::now());
        queries
    }

    fn names(&self) -> String {
        self.active
            .iter()
            .flatten()
            .map(|&i| self.meshes[i].name())
            .collect::<Vec<_>>()
            .join("+")
    }

    async fn read(
        &mut self,
        prom: &Prometheus,
        kube: Option<&kube::Client>,
        d: &Demand,
    ) -> Result<MeshData, String> {
        let stale = self.active.as_ref().is_none_or(|a| a.is_empty())
            && self.detected_at.is_none_or(|t| t.elapsed() >= REDETECT);
        let mut queries = if stale {
            self.detect(prom, kube).await
        } else {
            0
        };
        let active = self.active.clone().unwrap_or_default();
        if active.is_empty() {
            let w = crate::model::time::fmt_window(d.route_window_secs.max(10));
            let notes = d
                .rollouts
                .iter()
                .map(|t| MeshNote {
                    namespace: t.namespace.clone(),
                    service: t.name.clone(),
                    reason: format!(
                        "no mesh found: neither Linkerd's nor Istio's metrics in Prometheus (last {w}), nor their CRDs"
                    ),
                })
                .collect();
            return Ok(MeshData {
                notes,
                queries,
                ..Default::default()
            });
        }
        let mut parts = Vec::new();
        for i in active {
            let data = self.meshes[i].refresh(prom, kube, d).await?;
            queries += data.queries;
            parts.push(data);
        }
        let mut out = merge(parts);
        out.queries = queries;
        out.mesh = self.names();
        Ok(out)
    }
}

/// Rows of several meshes: a service is shown with the mesh that carries the most of its
/// traffic; a note stays only for a service no mesh has rows for.
pub fn merge(parts: Vec<MeshData>) -> MeshData {
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    let mut best: BTreeMap<(String, String), (usize, f64)> = BTreeMap::new();
    for (i, p) in parts.iter().enumerate() {
        let mut rps: BTreeMap<(String, String), f64> = BTreeMap::new();
        for r in &p.routes {
            *rps.entry((r.namespace.clone(), r.service.clone()))
                .or_default() += r.overall.rps;
        }
        for (k, v) in rps {
            let e = best.entry(k).or_insert((i, v));
            if v > e.1 {
                *e = (i, v);
            }
        }
    }
    let mut out = MeshData::default();
    let degraded: Vec<String> = parts.iter().filter_map(|p| p.degraded.clone()).collect();
    if !degraded.is_empty() {
        out.degraded = Some(degraded.join("; "));
    }
    for (i, p) in parts.into_iter().enumerate() {
        out.routes.extend(p.routes.into_iter().filter(|r| {
            best.get(&(r.namespace.clone(), r.service.clone()))
                .is_some_and(|b| b.0 == i)
        }));
        for n in p.notes {
            let served = best.contains_key(&(n.namespace.clone(), n.service.clone()));
            if !served && !out.notes.contains(&n) {
                out.notes.push(n);
            }
        }
    }
    out
}

impl MeshProvider for Auto {
    fn name(&self) -> String {
        let n = self.names();
        if n.is_empty() { "mesh".into() } else { n }
    }

    fn own_prometheus(&self) -> Vec<ServiceRef> {
        self.meshes
            .iter()
            .flat_map(|m| m.own_prometheus())
            .collect()
    }

    fn prometheus_candidates(&self, main: Vec<ServiceRef>) -> Vec<ServiceRef> {
        let mut v = Vec::new();
        for m in &self.meshes {
            for c in m.prometheus_candidates(main.clone()) {
                if !v.contains(&c) {
                    v.push(c);
                }
            }
        }
        v
    }

    fn cluster_prometheus(&self) -> Vec<ServiceRef> {
        self.meshes
            .iter()
            .flat_map(|m| m.cluster_prometheus())
            .collect()
    }

    fn metrics_probe(&self) -> &'static str {
        "count(route_response_total) or count(response_total{direction=\"inbound\"}) or count(istio_requests_total)"
    }

    fn refused_hint(&self) -> Option<&'static str> {
        self.meshes.iter().find_map(|m| m.refused_hint())
    }

    fn installed<'a>(&'a self, kube: &'a kube::Client) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            for m in &self.meshes {
                if m.installed(kube).await {
                    return true;
                }
            }
            false
        })
    }

    fn refresh<'a>(
        &'a mut self,
        prom: &'a Prometheus,
        kube: Option<&'a kube::Client>,
        demand: &'a Demand,
    ) -> BoxFuture<'a, Result<MeshData, String>> {
        Box::pin(self.read(prom, kube, demand))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RoutePolicy, RouteSample, RouteStats, RowKind};

    fn row(svc: &str, rps: f64) -> RouteStats {
        RouteStats {
            service: svc.into(),
            namespace: "dev".into(),
            route: "r".into(),
            row: RowKind::Route,
            policy: RoutePolicy::Linkerd {
                timeout_ms: 0,
                retryable: false,
                budget: None,
            },
            mtls: None,
            overall: RouteSample {
                rps,
                ..Default::default()
            },
            canary: None,
            stable: None,
        }
    }

    #[test]
    fn a_service_shows_with_the_mesh_that_carries_its_traffic() {
        let note = |s: &str| MeshNote {
            namespace: "dev".into(),
            service: s.into(),
            reason: "no traffic".into(),
        };
        let linkerd = MeshData {
            routes: vec![row("store", 40.0), row("user", 0.1)],
            notes: vec![note("blog")],
            ..Default::default()
        };
        let istio = MeshData {
            routes: vec![row("user", 30.0), row("blog", 2.0)],
            notes: vec![note("store")],
            ..Default::default()
        };
        let m = merge(vec![linkerd, istio]);
        let mut shown: Vec<(String, f64)> = m
            .routes
            .iter()
            .map(|r| (r.service.clone(), r.overall.rps))
            .collect();
        shown.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            shown,
            vec![
                ("blog".into(), 2.0),
                ("store".into(), 40.0),
                ("user".into(), 30.0)
            ]
        );
        assert!(m.notes.is_empty(), "every service has rows from one mesh");
    }
}
