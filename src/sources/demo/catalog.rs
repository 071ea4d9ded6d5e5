//! The reference platform the demo simulates, as data: Argo CD apps with sync waves, the five
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

pub const GITOPS_REPO: &str = "https://github.com/example/platform-gitops.git";

pub const INFRA: &[InfraApp] = &[
    InfraApp {
        name: "cert-manager",
        namespace: "cert-manager",
        wave: -5,
        repo: "https://charts.jetstack.io",
        chart: "cert-manager",
        version: "v1.16.2",
        images: &["quay.io/jetstack/cert-manager-controller:v1.16.2"],
    },
    InfraApp {
        name: "trust-manager",
        namespace: "cert-manager",
        wave: -4,
        repo: "https://charts.jetstack.io",
        chart: "trust-manager",
        version: "v0.14.0",
        images: &["quay.io/jetstack/trust-manager:v0.14.0"],
    },
    InfraApp {
        name: "linkerd-crds",
        namespace: "linkerd",
        wave: -3,
        repo: "https://helm.linkerd.io/edge",
        chart: "linkerd-crds",
        version: "2025.11.2",
        images: &[],
    },
    InfraApp {
        name: "linkerd-certs",
        namespace: "linkerd",
        wave: -2,
        repo: GITOPS_REPO,
        chart: "infra/linkerd-certs",
        version: "main",
        images: &[],
    },
    InfraApp {
        name: "linkerd-control-plane",
        namespace: "linkerd",
        wave: -1,
        repo: "https://helm.linkerd.io/edge",
        chart: "linkerd-control-plane",
        version: "2025.11.2",
        images: &[
            "cr.l5d.io/linkerd/controller:edge-25.11.2",
            "cr.l5d.io/linkerd/proxy:edge-25.11.2",
        ],
    },
    InfraApp {
        name: "linkerd-viz",
        namespace: "linkerd-viz",
        wave: 0,
        repo: "https://helm.linkerd.io/edge",
        chart: "linkerd-viz",
        version: "2025.11.2",
        images: &[
            "cr.l5d.io/linkerd/metrics-api:edge-25.11.2",
            "prom/prometheus:v2.55.1",
        ],
    },
    InfraApp {
        name: "kube-prometheus-stack",
        namespace: "monitoring",
        wave: 0,
        repo: "https://prometheus-community.github.io/helm-charts",
        chart: "kube-prometheus-stack",
        version: "66.3.0",
        images: &[
            "quay.io/prometheus/prometheus:v3.0.1",
            "quay.io/prometheus/alertmanager:v0.27.0",
        ],
    },
    InfraApp {
        name: "loki",
        namespace: "monitoring",
        wave: 0,
        repo: "https://grafana.github.io/helm-charts",
        chart: "loki",
        version: "6.21.0",
        images: &["grafana/loki:3.3.0"],
    },
    InfraApp {
        name: "linkerd-serviceprofiles",
        namespace: "dev",
        wave: 1,
        repo: GITOPS_REPO,
        chart: "mesh/serviceprofiles",
        version: "main",
        images: &[],
    },
    InfraApp {
        name: "promtail",
        namespace: "monitoring",
        wave: 1,
        repo: "https://grafana.github.io/helm-charts",
        chart: "promtail",
        version: "6.16.6",
        images: &["grafana/promtail:3.3.0"],
    },
    InfraApp {
        name: "postgresql",
        namespace: "data",
        wave: 1,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "postgresql",
        version: "16.2.1",
        images: &["bitnami/postgresql:17.2.0"],
    },
    InfraApp {
        name: "redis",
        namespace: "data",
        wave: 1,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "redis",
        version: "20.3.0",
        images: &["bitnami/redis:7.4.1"],
    },
];

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
    /// Forwards to the other services (its routes' numbers are theirs).
    pub gateway: bool,
    pub wave: i32,
    pub replicas: u32,
    pub version: &'static str,
    pub java_pkg: &'static str,
    pub routes: &'static [RouteDef],
    pub analysis: bool,
}

const fn r(name: &'static str, rps: f64, p50: f64, p95: f64, p99: f64, bad_fail: f64) -> RouteDef {
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
const fn fwd(name: &'static str, forward: Forward) -> RouteDef {
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

pub const SERVICES: &[ServiceDef] = &[
    ServiceDef {
        name: "community",
        gateway: false,
        wave: 5,
        replicas: 2,
        version: "2.3.1",
        java_pkg: "community",
        analysis: false,
        routes: &[
            r("GET /inquiries", 9.0, 18.0, 41.0, 88.0, 0.05),
            r("POST /inquiries", 2.1, 34.0, 82.0, 160.0, 0.05),
            r("GET /notices", 14.0, 9.0, 24.0, 61.0, 0.04),
        ],
    },
    ServiceDef {
        name: "gateway",
        gateway: true,
        wave: 6,
        replicas: 2,
        version: "1.9.0",
        java_pkg: "gateway",
        analysis: false,
        routes: &[
            fwd("GET /api/community/**", Forward::Gets("community")),
            fwd("GET /api/store/**", Forward::Gets("store")),
            fwd("GET /api/study/**", Forward::Gets("study")),
            fwd("GET /api/user/**", Forward::Gets("user")),
            fwd("POST /api/**", Forward::Writes),
        ],
    },
    ServiceDef {
        name: "store",
        gateway: false,
        wave: 5,
        replicas: 3,
        version: "1.4.2",
        java_pkg: "store",
        analysis: true,
        routes: &[
            r("GET /badges", 12.0, 8.0, 22.0, 50.0, 0.012),
            r("GET /products", 42.0, 12.0, 38.0, 95.0, 0.28),
            r("POST /points", 6.0, 25.0, 61.0, 140.0, 0.02),
        ],
    },
    ServiceDef {
        name: "study",
        gateway: false,
        wave: 5,
        replicas: 2,
        version: "0.8.4",
        java_pkg: "study",
        analysis: false,
        routes: &[
            r("GET /study-groups", 11.0, 20.0, 55.0, 120.0, 0.05),
            r("POST /study-groups", 1.5, 41.0, 90.0, 200.0, 0.05),
        ],
    },
    ServiceDef {
        name: "user",
        gateway: false,
        wave: 5,
        replicas: 3,
        version: "3.1.0",
        java_pkg: "user",
        analysis: false,
        routes: &[
            r("GET /users", 30.0, 6.0, 18.0, 45.0, 0.05),
            r("POST /auth", 8.0, 45.0, 110.0, 240.0, 0.05),
        ],
    },
];

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

pub const NODES: &[NodeDef] = &[
    NodeDef {
        name: "k3d-dev-server-0",
        base: 24.0,
        batch_job: false,
        hosts_canaries: false,
    },
    NodeDef {
        name: "k3d-dev-agent-0",
        base: 29.0,
        batch_job: false,
        hosts_canaries: true,
    },
    NodeDef {
        name: "k3d-dev-agent-1",
        base: 21.0,
        batch_job: true,
        hosts_canaries: false,
    },
];

/// A platform the demo can simulate.
pub struct Platform {
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
}

/// checkmate: k3d, Argo CD, Rollouts, Linkerd, kube-prometheus-stack, Loki.
pub const CHECKMATE: Platform = Platform {
    namespace: "dev",
    registry: "registry.dev.local:5000",
    gitops_repo: GITOPS_REPO,
    root_source: "apps/dev",
    infra: INFRA,
    services: SERVICES,
    nodes: NODES,
    steady_canary: "user",
    bad_canary: "store",
};
