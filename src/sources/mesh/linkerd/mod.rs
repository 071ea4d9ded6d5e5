//! Linkerd (PROTOCOLS §3), the first mesh: ServiceProfile route metrics as `linkerd viz routes`
//! reads them, effective against actual success (the difference is retries), split by pod
//! template hash for the cockpit; HTTPRoute metrics for services without a profile; the
//! profiles' timeouts, retryability and retry budget; and why a service has no rows.

pub mod assemble;
pub mod profiles;
pub mod queries;

use super::{MeshData, MeshProvider};
use crate::net::http::ServiceRef;
use crate::sources::prometheus::api::Prometheus;
use crate::state::Demand;
use futures::future::BoxFuture;
use profiles::ServiceProfile;
use std::time::{Duration, Instant};

/// How often the ServiceProfiles are read again (only while the routes are on screen): a
/// deleted or changed profile leaves the pane within this.
const PROFILES_EVERY: Duration = Duration::from_secs(10);

/// Explains linkerd-viz's Prometheus refusing us (PROTOCOLS §3.1).
pub const VIZ_REFUSED: &str = "linkerd-viz's Prometheus refused the request: its AuthorizationPolicy admits only the metrics-api service account. Port-forward it (kubectl -n linkerd-viz port-forward deploy/prometheus 9090) and start opsdeck with --mesh-prometheus http://localhost:9090, add an AuthorizationPolicy for your identity, or federate Linkerd's metrics into the main Prometheus (docs/prometheus.md)";

/// Linkerd as a mesh provider; keeps the ServiceProfiles between refreshes.
pub struct Linkerd {
    /// Where linkerd-viz runs (its Prometheus is tried first).
    pub viz_namespace: String,
    profiles: Vec<ServiceProfile>,
    profiles_at: Option<Instant>,
    /// Why the last read of the ServiceProfiles failed, and since when the ones kept are old.
    profiles_error: Option<(String, Instant)>,
}

impl Linkerd {
    pub fn new(viz_namespace: &str) -> Self {
        Self {
            viz_namespace: viz_namespace.to_string(),
            profiles: Vec::new(),
            profiles_at: None,
            profiles_error: None,
        }
    }

    async fn refresh_profiles(&mut self, client: &kube::Client, namespaces: &[String]) {
        if self
            .profiles_at
            .is_some_and(|t| t.elapsed() < PROFILES_EVERY)
        {
            return;
        }
        match profiles::load(client, namespaces).await {
            Ok(p) => {
                if self.profiles_error.take().is_some() {
                    tracing::info!("ServiceProfiles read again");
                }
                self.profiles = p;
            }
            Err(e) => {
                if self.profiles_error.is_none() {
                    tracing::warn!("{e}");
                    self.profiles_error = Some((e, Instant::now()));
                } else if let Some((msg, _)) = self.profiles_error.as_mut() {
                    *msg = e;
                }
            }
        }
        self.profiles_at = Some(Instant::now());
    }

    /// What the routes' policy columns are worth while the profiles cannot be read.
    fn degraded(&self) -> Option<String> {
        let (e, since) = self.profiles_error.as_ref()?;
        let kept = if self.profiles.is_empty() {
            "no timeouts, retries or budgets shown".to_string()
        } else {
            format!(
                "timeouts, retries and budgets as read {} ago",
                crate::model::time::fmt_window(
                    u32::try_from(since.elapsed().as_secs().max(1)).unwrap_or(u32::MAX)
                )
            )
        };
        Some(format!("{e}; {kept}"))
    }

    async fn read(&mut self, p: &Prometheus, d: &Demand) -> Result<MeshData, String> {
        let w = d.route_window_secs.max(10);
        let q = queries::route_queries(&d.namespaces, w);
        let (inbound, effective, actual) = tokio::try_join!(
            p.query(&q.inbound),
            p.query(&q.effective),
            p.query(&q.actual)
        )?;
        let mut sent = 3;
        let mut inputs = assemble::MeshInputs {
            inbound,
            effective,
            actual,
            ..Default::default()
        };
        for (qv, text) in &q.latency {
            inputs.latency.push((*qv, p.query(text).await?));
        }
        for (qv, text) in &q.latency_by_hash {
            inputs.latency_by_hash.push((*qv, p.query(text).await?));
        }
        sent += 6;
        if d.rollouts.iter().any(|t| t.canary_running()) {
            inputs.buckets_by_hash = p.query(&q.buckets_by_hash).await?;
            sent += 1;
        }
        // Services in scope without a profile: HTTPRoute metrics, and whether they are meshed.
        let unprofiled = d.rollouts.iter().any(|t| {
            !self
                .profiles
                .iter()
                .any(|p| p.namespace == t.namespace && p.service == t.name)
        });
        if unprofiled {
            let h = queries::http_route_queries(&d.namespaces, w);
            inputs.http_statuses = p.query(&h.statuses).await?;
            inputs.http_backend_statuses = p.query(&h.backend_statuses).await?;
            sent += 2;
            if !inputs.http_statuses.is_empty() {
                for (qv, text) in &h.latency {
                    inputs.http_latency.push((*qv, p.query(text).await?));
                }
                sent += 3;
            }
            inputs.meshed = p.query(&queries::meshed_workloads(&d.namespaces)).await?;
            sent += 1;
        }
        let (routes, notes) = assemble::assemble(&inputs, &self.profiles, &d.rollouts, w);
        Ok(MeshData {
            routes,
            notes,
            queries: sent,
            mesh: "linkerd".into(),
            degraded: self.degraded(),
        })
    }
}

impl MeshProvider for Linkerd {
    fn name(&self) -> String {
        "linkerd".into()
    }

    fn own_prometheus(&self) -> Vec<ServiceRef> {
        vec![ServiceRef::new(&self.viz_namespace, "prometheus", "9090")]
    }

    fn prometheus_candidates(&self, main: Vec<ServiceRef>) -> Vec<ServiceRef> {
        // linkerd-viz's own Prometheus first.
        let mut v = self.own_prometheus();
        v.extend(main);
        v
    }

    fn installed<'a>(&'a self, kube: &'a kube::Client) -> BoxFuture<'a, bool> {
        Box::pin(super::group_served(kube, "/apis/linkerd.io"))
    }

    fn metrics_probe(&self) -> &'static str {
        "count(route_response_total) or count(response_total{direction=\"inbound\"})"
    }

    fn refused_hint(&self) -> Option<&'static str> {
        Some(VIZ_REFUSED)
    }

    fn refresh<'a>(
        &'a mut self,
        prom: &'a Prometheus,
        kube: Option<&'a kube::Client>,
        demand: &'a Demand,
    ) -> BoxFuture<'a, Result<MeshData, String>> {
        Box::pin(async move {
            if let Some(client) = kube {
                self.refresh_profiles(client, &demand.namespaces).await;
            }
            self.read(prom, demand).await
        })
    }
}
