//! The platforms the demo simulates, as data (`checkmate.rs`, `titanium.rs`): Argo CD apps with sync waves, the five
//! Spring services with their ServiceProfile routes (the gateway's routes forward to the
//! others), the k3d nodes, and which service each scenario puts in canary. The simulation
//! special-cases no service by name: what differs between services is here.

/// An infrastructure app of the app-of-apps (Helm chart, or Git path for our own manifests).
pub struct InfraApp {
    pub name: &'static str,
    pub namespace: &'static str,
    pub wave: i32,
    pub repo: &'static str,
    pub chart: &'static str,
    pub version: &'static str,
    pub images: &'static [&'static str],
}

/// Where a gateway route sends its requests; its numbers are theirs plus a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// A route of its own.
    None,
    /// The GET routes of one service.
    Gets(&'static str),
    /// Every service's POST routes.
    Writes,
}

/// A ServiceProfile route with its traffic shape.
pub struct RouteDef {
    pub name: &'static str,
    pub rps: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// Per-attempt failure of a bad build on this route.
    pub bad_fail: f64,
    pub forward: Forward,
}

impl RouteDef {
    /// GET routes are retryable with a 1 s timeout; writes are not, with 2 s.
    pub fn retryable(&self) -> bool {
        self.name.starts_with("GET ")
    }
    pub fn timeout_ms(&self) -> u64 {
        if self.retryable() { 1000 } else { 2000 }
    }
}

pub struct ServiceDef {
    pub name: &'static str,
    /// Its namespace when not the platform's (`""`).
    pub namespace: &'static str,
    /// Forwards to the other services (its routes' numbers are theirs).
    pub gateway: bool,
    /// Under Istio, its requests carry `request_operation` (a row per route); else a row for
    /// the whole service.
    pub operations: bool,
    /// Under Istio, its DestinationRule has outlier detection and a connection-pool limit: a
    /// bad build trips the circuit breaker (UO).
    pub circuit_breaker: bool,
    pub wave: i32,
    pub replicas: u32,
    pub version: &'static str,
    pub java_pkg: &'static str,
    pub routes: &'static [RouteDef],
    pub analysis: bool,
}

pub(super) const fn r(
    name: &'static str,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    bad_fail: f64,
) -> RouteDef {
    RouteDef {
        name,
        rps,
        p50,
        p95,
        p99,
        bad_fail,
        forward: Forward::None,
    }
}

/// A gateway route: what it forwards to.
pub(super) const fn fwd(name: &'static str, forward: Forward) -> RouteDef {
    RouteDef {
        name,
        rps: 0.0,
        p50: 0.0,
        p95: 0.0,
        p99: 0.0,
        bad_fail: 0.03,
        forward,
    }
}

/// A cert-manager Certificate of the platform, its times relative to the demo's start.
pub struct CertDef {
    pub namespace: &'static str,
    pub name: &'static str,
    pub issuer: &'static str,
    pub is_ca: bool,
    /// `spec.duration`, and how long before the start it was issued.
    pub valid_secs: i64,
    pub issued_ago_secs: i64,
    /// `spec.renewBefore` (cert-manager's default: a third of the duration).
    pub renew_before_secs: i64,
    /// Issuances failed since (the last one this long ago).
    pub failed_attempts: u32,
    pub failed_ago_secs: i64,
}

/// A node and what runs on it besides the services' share.
pub struct NodeDef {
    pub name: &'static str,
    /// Busy % with no traffic.
    pub base: f64,
    /// Runs the nightly-style batch job (a CPU spike every 25 minutes).
    pub batch_job: bool,
    /// Runs the canaries' pods: a bad canary shows in its CPU.
    pub hosts_canaries: bool,
}

/// The mesh a platform runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mesh {
    Linkerd,
    Istio,
}

/// Where a platform's logs are collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStoreKind {
    /// Promtail into Loki: the demo sends its lines as Loki's would arrive.
    Loki,
    /// Fluentd into OpenSearch: the demo indexes Fluentd documents into an in-process store
    /// that the OpenSearch provider searches.
    OpenSearch,
}

/// A platform the demo can simulate.
pub struct Platform {
    /// `--platform NAME`.
    pub name: &'static str,
    /// The context the header shows.
    pub context: &'static str,
    pub mesh: Mesh,
    pub log_store: LogStoreKind,
    /// The logs pane's query (LogQL; for OpenSearch its intent is carried over).
    pub log_query: &'static str,
    /// What its services log when they fail.
    pub logs: &'static super::telemetry::LogStyle,
    /// The namespace of its services.
    pub namespace: &'static str,
    pub registry: &'static str,
    pub gitops_repo: &'static str,
    /// The root app's path in the GitOps repo (app of apps).
    pub root_source: &'static str,
    pub infra: &'static [InfraApp],
    pub services: &'static [ServiceDef],
    pub nodes: &'static [NodeDef],
    /// The service whose canary waits for a promote in the steady scenario.
    pub steady_canary: &'static str,
    /// The service whose new build is bad in the bad-canary scenario.
    pub bad_canary: &'static str,
    /// Its Argo CD keeps per-resource health in the Application (before 3.0, or with
    /// `controller.resource.health.persist`); else `status.resourceHealthSource: appTree`.
    pub resource_health_in_cr: bool,
    /// Argo CD Image Updater bumps the services' images (their annotations say how).
    pub image_updater: bool,
    /// cert-manager's Certificates (None: cert-manager is not installed).
    pub certificates: Option<&'static [CertDef]>,
}

mod checkmate;
mod shop;
mod titanium;

pub use checkmate::{CHECKMATE, GITOPS_REPO};
pub use shop::SHOP;
pub use titanium::TITANIUM;

/// Every platform, by `--platform` name.
pub const PLATFORMS: &[&Platform] = &[&CHECKMATE, &TITANIUM, &SHOP];

pub fn platform(name: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().copied().find(|p| p.name == name)
}

impl Platform {
    /// The namespace a service runs in.
    pub fn namespace_of(&self, def: &ServiceDef) -> &'static str {
        if def.namespace.is_empty() {
            self.namespace
        } else {
            def.namespace
        }
    }

    /// The namespace of the service named `service` (the platform's if unknown).
    pub fn namespace_of_name(&self, service: &str) -> &'static str {
        self.services
            .iter()
            .find(|d| d.name == service)
            .map_or(self.namespace, |d| self.namespace_of(d))
    }

    /// Every namespace the platform's services run in, the platform's first.
    pub fn namespaces(&self) -> Vec<&'static str> {
        let mut out = vec![self.namespace];
        for d in self.services {
            let ns = self.namespace_of(d);
            if !out.contains(&ns) {
                out.push(ns);
            }
        }
        out
    }

    /// How a service's rollout is routed under Istio: subsets of its own VirtualService.
    pub fn istio_routing(&self, service: &str) -> Option<crate::model::mesh::IstioRouting> {
        (self.mesh == Mesh::Istio).then(|| crate::model::mesh::IstioRouting {
            virtual_services: vec![crate::model::mesh::VsRef {
                namespace: self.namespace_of_name(service).into(),
                name: service.into(),
                routes: vec!["primary".into()],
            }],
            destination_rule: service.into(),
            canary_subset: "canary".into(),
            stable_subset: "stable".into(),
        })
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Platform({})", self.name)
    }
}
