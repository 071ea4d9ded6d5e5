//! Prometheus: node and pod CPU for the CPU pane, and the mesh's route metrics for the routes
//! pane and the cockpit (through a [`MeshProvider`]). Reached by URL or, with no configuration,
//! through the API server's service proxy (kube-prometheus-stack in `monitoring`, the mesh's own
//! Prometheus for the routes).
//!
//! Two tasks (CPU, mesh) poll only while their data is on screen ([`Demand`]), refresh at once
//! when the window or the chart's width changes, time out every query, keep the last good data
//! on errors (State shows its age) and back off.

pub mod api;
pub mod cpu;
mod poller;
mod wire;

use crate::net::http::{Endpoint, ServiceRef};
use crate::sources::mesh::MeshProvider;
use crate::state::{Demand, Update};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often visible data is refreshed.
pub const REFRESH: Duration = Duration::from_secs(15);

/// Where one Prometheus is.
#[derive(Clone, Debug)]
pub enum Location {
    /// A URL the user gave.
    Url(Endpoint),
    /// A Service the user named, through the API server.
    Service(ServiceRef),
    /// Find it through the API server.
    Discover,
}

#[derive(Clone)]
pub struct PromSetup {
    pub cpu: Location,
    pub mesh: Location,
    /// For discovery, the service proxy and the mesh's policy objects.
    pub kube: Option<kube::Client>,
    pub monitoring_namespace: String,
    /// Tried after kube-prometheus-stack's for the CPU chart: the mesh's cluster-wide
    /// Prometheus, if its install brings one (set by [`spawn`]).
    pub cpu_fallback: Vec<ServiceRef>,
    pub timeout: Duration,
    pub refresh: Duration,
}

/// Queries sent and refresh cycles done, for `docs/performance.md`.
#[derive(Debug, Default)]
pub struct PromStats {
    pub queries: AtomicU64,
    pub cycles: AtomicU64,
    pub cycle_micros: AtomicU64,
}

impl PromStats {
    fn cycle(&self, queries: u64, took: Duration) {
        self.queries.fetch_add(queries, Ordering::Relaxed);
        self.cycles.fetch_add(1, Ordering::Relaxed);
        self.cycle_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The CPU poller and the mesh's poller.
pub fn spawn(
    setup: PromSetup,
    mesh: Box<dyn MeshProvider>,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
    stats: Arc<PromStats>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut setup = setup;
    setup.cpu_fallback = mesh.cluster_prometheus();
    let cpu = tokio::spawn(poller::run(
        poller::Job::Cpu(None),
        setup.clone(),
        demand.clone(),
        tx.clone(),
        stats.clone(),
    ));
    let replay = tokio::spawn(poller::run(
        poller::Job::Replay,
        setup.clone(),
        demand.clone(),
        tx.clone(),
        stats.clone(),
    ));
    let mesh = tokio::spawn(poller::run(
        poller::Job::Mesh(mesh),
        setup,
        demand,
        tx,
        stats,
    ));
    vec![cpu, mesh, replay]
}
