//! The service mesh behind the routes pane and the cockpit's per-route comparison. A mesh is a
//! provider behind [`MeshProvider`] (Linkerd today): it says where its Prometheus may be and
//! how to tell that one holds its metrics, and turns one refresh — Prometheus for the traffic,
//! the cluster for the retry and timeout policy — into [`RouteStats`] rows and notes. The
//! demand-driven polling, discovery, backoff and health are the Prometheus poller's, whichever
//! mesh it asks for.

pub mod linkerd;

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
}

pub trait MeshProvider: Send + Sync + 'static {
    /// The mesh's name, for the header and messages (`linkerd`).
    fn name(&self) -> &'static str;
    /// The mesh's own Prometheus, tried before the main one in discovery.
    fn own_prometheus(&self) -> Vec<ServiceRef>;
    /// A query whose answer is not empty when a Prometheus holds this mesh's metrics.
    fn metrics_probe(&self) -> &'static str;
    /// What to tell the user when the mesh's own Prometheus refuses us (403), if it may.
    fn refused_hint(&self) -> Option<&'static str>;
    /// One refresh: the routes in scope, for the window and rollouts the screen asks for.
    fn refresh<'a>(
        &'a mut self,
        prom: &'a Prometheus,
        kube: Option<&'a kube::Client>,
        demand: &'a Demand,
    ) -> BoxFuture<'a, Result<MeshData, String>>;
}
