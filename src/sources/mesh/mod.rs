//! The service mesh behind the routes pane and the cockpit's per-route comparison. A mesh is a
//! provider behind [`MeshProvider`] (Linkerd, Istio): it says where its Prometheus may be and
//! how to tell that one holds its metrics, whether the cluster has it installed, and turns one
//! refresh — Prometheus for the traffic, the cluster for the retry and timeout policy — into
//! [`RouteStats`] rows and notes. [`select::Auto`] runs the meshes the cluster has and shows
//! each service with the mesh that carries its traffic. The demand-driven polling, discovery,
//! backoff and health are the Prometheus poller's, whichever mesh it asks for.

pub mod istio;
pub mod linkerd;
pub mod select;

use crate::model::{MeshNote, RouteStats};
use crate::net::http::ServiceRef;
use crate::sources::prometheus::api::Prometheus;
use crate::state::Demand;
use futures::future::BoxFuture;

/// What one refresh found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshData {
    pub routes: Vec<RouteStats>,
    /// Why services in scope have no rows.
    pub notes: Vec<MeshNote>,
    /// Queries sent, for the load figures.
    pub queries: u64,
    /// The mesh (or meshes) these come from: `linkerd`, `istio`, `linkerd+istio`.
    pub mesh: String,
    /// Part of what the rows rest on could not be read (the ServiceProfiles): the mesh is then
    /// shown degraded with this reason, not `✓`.
    pub degraded: Option<String>,
}

pub trait MeshProvider: Send + Sync + 'static {
    /// The mesh's name, for the header and messages (`linkerd`).
    fn name(&self) -> String;
    /// The mesh's own Prometheus (no need to check it holds the mesh's metrics).
    fn own_prometheus(&self) -> Vec<ServiceRef>;
    /// Where to look for a Prometheus, in order, given the main one's candidates.
    fn prometheus_candidates(&self, main: Vec<ServiceRef>) -> Vec<ServiceRef>;
    /// A Prometheus the mesh's install often brings that scrapes the whole cluster, so the CPU
    /// chart may use it when kube-prometheus-stack's is not there (Istio's sample addon).
    fn cluster_prometheus(&self) -> Vec<ServiceRef> {
        Vec::new()
    }
    /// A query whose answer is not empty when a Prometheus holds this mesh's metrics.
    fn metrics_probe(&self) -> &'static str;
    /// What to tell the user when the mesh's own Prometheus refuses us (403), if it may.
    fn refused_hint(&self) -> Option<&'static str>;
    /// Whether the cluster has the mesh installed (its CRDs, its namespace).
    fn installed<'a>(&'a self, kube: &'a kube::Client) -> BoxFuture<'a, bool>;
    /// One refresh: the routes in scope, for the window and rollouts the screen asks for.
    fn refresh<'a>(
        &'a mut self,
        prom: &'a Prometheus,
        kube: Option<&'a kube::Client>,
        demand: &'a Demand,
    ) -> BoxFuture<'a, Result<MeshData, String>>;
}

/// Where a quantile goes in a row's `[p50, p95, p99]`.
pub(crate) fn q_index(q: f64) -> usize {
    if q < 0.7 {
        0
    } else if q < 0.97 {
        1
    } else {
        2
    }
}

/// A Prometheus value, or 0 for NaN and infinities (a quantile of no requests).
pub(crate) fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// One `_bucket` series of an `increase(…[window])` into a histogram of cumulative requests
/// per second by upper bound (`le`); a series without a readable bound or count is left out.
pub(crate) fn add_bucket(
    h: &mut crate::model::latency::Buckets,
    le: &str,
    count: f64,
    window: u32,
) {
    let bound = match le.trim() {
        "+Inf" | "Inf" | "inf" => f64::INFINITY,
        b => match b.parse::<f64>() {
            Ok(v) if !v.is_nan() => v,
            _ => return,
        },
    };
    if !count.is_finite() || count < 0.0 {
        return;
    }
    let rate = count / f64::from(window.max(1));
    match h.binary_search_by(|(b, _)| b.total_cmp(&bound)) {
        // Two series of one bound (pods summed apart): their requests add.
        Ok(i) => h[i].1 += rate,
        Err(i) => h.insert(i, (bound, rate)),
    }
}

/// Whether the API server answers `path` (an API group, a namespace) with 200.
pub async fn group_served(client: &kube::Client, path: &str) -> bool {
    let Ok(req) = http::Request::builder()
        .uri(path)
        .header("Accept", "application/json")
        .body(Vec::new())
    else {
        return false;
    };
    client.request_text(req).await.is_ok()
}
