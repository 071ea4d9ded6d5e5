//! Istio (PROTOCOLS §9), the second mesh: per-service (or per-operation) rows from the
//! destination reporter's metrics as Kiali reads them, the response flags that explain
//! failures, mTLS, canary against stable for host- and subset-level routing, and the retry,
//! timeout and circuit-breaking policy of the watched VirtualServices and DestinationRules.

pub mod assemble;
pub mod objects;
pub mod queries;

use super::{MeshData, MeshProvider};
use crate::model::Track;
use crate::net::http::ServiceRef;
use crate::sources::prometheus::api::{Prometheus, Sample};
use crate::state::{Demand, Tracked};
use assemble::{IstioInputs, TrackBuckets, TrackLatency};
use futures::future::BoxFuture;
use objects::Shared;
use queries::TrackSelector;

/// Istio as a mesh provider, reading the watched objects for the routes' policy.
pub struct Istio {
    objects: Shared,
    /// Where istiod and Istio's sample Prometheus run.
    pub system_namespace: String,
}

impl Istio {
    pub fn new(objects: Shared, system_namespace: &str) -> Self {
        Self {
            objects,
            system_namespace: system_namespace.to_string(),
        }
    }
}

/// How one track of a rollout is selected, from what the metrics carry: host-level Services,
/// else the scraped hash label, else pod names, else a version label.
fn selector(t: &Tracked, track: Track, by_pod: &[Sample]) -> Option<TrackSelector> {
    let (service, hash, version) = match track {
        Track::Canary => (&t.canary_service, &t.canary_hash, &t.canary_version),
        Track::Stable => (&t.stable_service, &t.stable_hash, &t.stable_version),
    };
    if !t.subsets && !service.is_empty() {
        return Some(TrackSelector::Service(service.clone()));
    }
    let mine = || {
        by_pod.iter().filter(|s| {
            s.labels.get("destination_service_namespace") == Some(&t.namespace)
                && s.labels.get("destination_service_name") == Some(&t.name)
        })
    };
    if mine().any(|s| {
        s.labels
            .get("rollouts_pod_template_hash")
            .is_some_and(|h| !h.is_empty())
    }) {
        return Some(TrackSelector::Hash(hash.clone()));
    }
    let prefix = format!("{}-{hash}", t.name);
    if mine().any(|s| {
        s.labels
            .get("pod")
            .is_some_and(|p| p.starts_with(&format!("{prefix}-")))
    }) {
        return Some(TrackSelector::PodPrefix(prefix));
    }
    (!version.is_empty()).then(|| TrackSelector::Version(version.clone()))
}

impl Istio {
    async fn read(&self, p: &Prometheus, d: &Demand) -> Result<MeshData, String> {
        let w = d.route_window_secs.max(10);
        let q = queries::queries(&d.namespaces, w);
        let running: Vec<&Tracked> = d.rollouts.iter().filter(|t| t.canary_running()).collect();
        // The rows and their quantiles at once; the per-track quantiles three at a time.
        let quantiles =
            |list: Vec<(f64, String)>| {
                futures::future::try_join_all(list.into_iter().map(|(qv, text)| async move {
                    p.query(&text).await.map(|samples| (qv, samples))
                }))
            };
        let (requests, latency) =
            tokio::try_join!(p.query(&q.requests), quantiles(q.latency.clone()))?;
        let mut sent = 1 + latency.len() as u64;
        let mut inputs = IstioInputs {
            requests,
            latency,
            ..Default::default()
        };
        if !running.is_empty() {
            inputs.by_pod = p.query(&q.by_pod).await?;
            sent += 1;
        }
        for t in &running {
            for track in [Track::Canary, Track::Stable] {
                let Some(sel) = selector(t, track, &inputs.by_pod) else {
                    continue;
                };
                let buckets = queries::track_buckets(&t.namespace, &t.name, &sel, w);
                let (found, samples) = tokio::try_join!(
                    quantiles(queries::track_latency(&t.namespace, &t.name, &sel, w)),
                    p.query(&buckets)
                )?;
                sent += found.len() as u64 + 1;
                inputs.track_buckets.push(TrackBuckets {
                    namespace: t.namespace.clone(),
                    rollout: t.name.clone(),
                    track,
                    samples,
                });
                for (quantile, samples) in found {
                    inputs.track_latency.push(TrackLatency {
                        namespace: t.namespace.clone(),
                        rollout: t.name.clone(),
                        track,
                        quantile,
                        samples,
                    });
                }
            }
        }
        let objects = self
            .objects
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (routes, notes) = assemble::assemble(&inputs, &objects, &d.rollouts, w);
        Ok(MeshData {
            routes,
            notes,
            queries: sent,
            mesh: self.name(),
            degraded: None,
        })
    }
}

impl MeshProvider for Istio {
    fn name(&self) -> String {
        "istio".into()
    }

    fn own_prometheus(&self) -> Vec<ServiceRef> {
        vec![ServiceRef::new(
            &self.system_namespace,
            "prometheus",
            "9090",
        )]
    }

    fn prometheus_candidates(&self, main: Vec<ServiceRef>) -> Vec<ServiceRef> {
        // Istio's sample Prometheus only after kube-prometheus-stack's.
        let mut v = main;
        v.extend(self.own_prometheus());
        v
    }

    fn cluster_prometheus(&self) -> Vec<ServiceRef> {
        self.own_prometheus()
    }

    fn metrics_probe(&self) -> &'static str {
        "count(istio_requests_total)"
    }

    fn refused_hint(&self) -> Option<&'static str> {
        None
    }

    fn installed<'a>(&'a self, kube: &'a kube::Client) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            matches!(objects::version(kube).await, Ok(Some(_)))
                || super::group_served(
                    kube,
                    &format!("/api/v1/namespaces/{}", self.system_namespace),
                )
                .await
        })
    }

    fn refresh<'a>(
        &'a mut self,
        prom: &'a Prometheus,
        _kube: Option<&'a kube::Client>,
        demand: &'a Demand,
    ) -> BoxFuture<'a, Result<MeshData, String>> {
        Box::pin(self.read(prom, demand))
    }
}
