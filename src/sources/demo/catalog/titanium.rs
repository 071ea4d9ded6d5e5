//! titanium: a Solid Cloud platform — Istio (an ingress gateway on NodePort 31304, subset
//! routing with a VirtualService per service), Argo CD, kube-prometheus-stack, Grafana, Loki +
//! Promtail; in `titanium-prod` the Go `api-gateway` in front of the FastAPI `auth-service`,
//! `user-service` and `blog-service`, driven by a load generator at a request a second.

use super::*;

const REPO: &str = "https://github.com/example/titanium-gitops.git";

const INFRA: &[InfraApp] = &[
    InfraApp {
        name: "istio-base",
        namespace: "istio-system",
        wave: -5,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "base",
        version: "1.27.1",
        images: &[],
    },
    InfraApp {
        name: "istiod",
        namespace: "istio-system",
        wave: -4,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "istiod",
        version: "1.27.1",
        images: &["docker.io/istio/pilot:1.27.1"],
    },
    InfraApp {
        name: "istio-ingress",
        namespace: "istio-system",
        wave: -3,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "gateway",
        version: "1.27.1",
        images: &["docker.io/istio/proxyv2:1.27.1"],
    },
    InfraApp {
        name: "kube-prometheus-stack",
        namespace: "monitoring",
        wave: -2,
        repo: "https://prometheus-community.github.io/helm-charts",
        chart: "kube-prometheus-stack",
        version: "75.15.1",
        images: &[
            "quay.io/prometheus/prometheus:v3.5.0",
            "docker.io/grafana/grafana:12.1.0",
        ],
    },
    InfraApp {
        name: "loki",
        namespace: "monitoring",
        wave: -1,
        repo: "https://grafana.github.io/helm-charts",
        chart: "loki",
        version: "6.35.0",
        images: &["grafana/loki:3.5.3"],
    },
    InfraApp {
        name: "promtail",
        namespace: "monitoring",
        wave: -1,
        repo: "https://grafana.github.io/helm-charts",
        chart: "promtail",
        version: "6.17.0",
        images: &["grafana/promtail:3.5.1"],
    },
    InfraApp {
        name: "postgresql",
        namespace: "titanium-prod",
        wave: 0,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "postgresql",
        version: "16.7.21",
        images: &["bitnami/postgresql:17.5.0"],
    },
    InfraApp {
        name: "redis",
        namespace: "titanium-prod",
        wave: 0,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "redis",
        version: "21.2.13",
        images: &["bitnami/redis:8.0.3"],
    },
    InfraApp {
        name: "istio-routing",
        namespace: "titanium-prod",
        wave: 1,
        repo: REPO,
        chart: "mesh/virtualservices",
        version: "main",
        images: &[],
    },
];

const SERVICES: &[ServiceDef] = &[
    ServiceDef {
        name: "api-gateway",
        namespace: "",
        gateway: true,
        operations: false,
        circuit_breaker: false,
        wave: 3,
        replicas: 2,
        version: "1.12.0",
        java_pkg: "gateway",
        analysis: false,
        routes: &[
            fwd("GET /api/auth/**", Forward::Gets("auth-service")),
            fwd("GET /api/users/**", Forward::Gets("user-service")),
            fwd("GET /api/posts/**", Forward::Gets("blog-service")),
            fwd("POST /api/**", Forward::Writes),
        ],
    },
    ServiceDef {
        name: "auth-service",
        namespace: "",
        gateway: false,
        operations: false,
        circuit_breaker: false,
        wave: 2,
        replicas: 2,
        version: "2.4.0",
        java_pkg: "auth",
        analysis: false,
        routes: &[
            r("POST /auth/login", 0.05, 38.0, 95.0, 180.0, 0.3),
            r("GET /auth/verify", 0.25, 4.0, 11.0, 25.0, 0.3),
        ],
    },
    ServiceDef {
        name: "blog-service",
        namespace: "",
        gateway: false,
        operations: true,
        circuit_breaker: true,
        wave: 2,
        replicas: 2,
        version: "0.9.3",
        java_pkg: "blog",
        analysis: true,
        routes: &[
            r("GET /posts", 0.35, 22.0, 64.0, 140.0, 0.45),
            r("GET /posts/{id}", 0.15, 12.0, 35.0, 80.0, 0.04),
            r("POST /posts", 0.02, 48.0, 120.0, 260.0, 0.02),
        ],
    },
    ServiceDef {
        name: "user-service",
        namespace: "",
        gateway: false,
        operations: true,
        circuit_breaker: false,
        wave: 2,
        replicas: 2,
        version: "1.6.2",
        java_pkg: "users",
        analysis: false,
        routes: &[
            r("GET /users/{id}", 0.2, 6.0, 17.0, 40.0, 0.3),
            r("POST /users", 0.01, 31.0, 80.0, 170.0, 0.3),
        ],
    },
];

const NODES: &[NodeDef] = &[
    NodeDef {
        name: "titanium-cp-1",
        base: 18.0,
        batch_job: false,
        hosts_canaries: false,
    },
    NodeDef {
        name: "titanium-worker-1",
        base: 26.0,
        batch_job: false,
        hosts_canaries: true,
    },
    NodeDef {
        name: "titanium-worker-2",
        base: 22.0,
        batch_job: true,
        hosts_canaries: false,
    },
];

pub const TITANIUM: Platform = Platform {
    name: "titanium",
    context: "solid-titanium (demo)",
    mesh: Mesh::Istio,
    log_store: LogStoreKind::Loki,
    log_query: r#"{namespace="titanium-prod"} |~ "ERROR|WARN""#,
    logs: &super::super::telemetry::FASTAPI,
    namespace: "titanium-prod",
    registry: "harbor.solid.example/titanium",
    gitops_repo: REPO,
    root_source: "apps/prod",
    infra: INFRA,
    services: SERVICES,
    nodes: NODES,
    steady_canary: "user-service",
    bad_canary: "blog-service",
};
