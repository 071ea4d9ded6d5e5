//! shop: an online store on EKS — Istio (an ingress gateway behind an AWS NLB, a
//! VirtualService per service), Kiali and Jaeger, kube-prometheus-stack, Fluentd shipping every
//! container's lines into an AWS-managed OpenSearch domain (Kibana on top, S3 for the archive);
//! in `shop-front` the Next.js BFFs `fo` (storefront), `bo` (back office) and `cc` (call
//! centre), in `shop-api` the Spring Boot APIs `order`, `member`, `common`, `goods`,
//! `display`, `event` and `bo-api`, over PostgreSQL (primary and a read replica) and a Redis
//! cluster for sessions, all Argo CD applications.

use super::*;

const REPO: &str = "https://github.com/example/shop-eks-gitops.git";

const INFRA: &[InfraApp] = &[
    InfraApp {
        name: "aws-load-balancer-controller",
        namespace: "kube-system",
        wave: -6,
        repo: "https://aws.github.io/eks-charts",
        chart: "aws-load-balancer-controller",
        version: "1.13.4",
        images: &["public.ecr.aws/eks/aws-load-balancer-controller:v2.13.4"],
    },
    InfraApp {
        name: "istio-base",
        namespace: "istio-system",
        wave: -5,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "base",
        version: "1.26.3",
        images: &[],
    },
    InfraApp {
        name: "istiod",
        namespace: "istio-system",
        wave: -4,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "istiod",
        version: "1.26.3",
        images: &["docker.io/istio/pilot:1.26.3"],
    },
    InfraApp {
        name: "istio-ingress",
        namespace: "istio-ingress",
        wave: -3,
        repo: "https://istio-release.storage.googleapis.com/charts",
        chart: "gateway",
        version: "1.26.3",
        images: &["docker.io/istio/proxyv2:1.26.3"],
    },
    InfraApp {
        name: "kiali-server",
        namespace: "istio-system",
        wave: -2,
        repo: "https://kiali.org/helm-charts",
        chart: "kiali-server",
        version: "2.13.0",
        images: &["quay.io/kiali/kiali:v2.13.0"],
    },
    InfraApp {
        name: "jaeger",
        namespace: "observability",
        wave: -2,
        repo: "https://jaegertracing.github.io/helm-charts",
        chart: "jaeger",
        version: "3.4.1",
        images: &["jaegertracing/all-in-one:1.71.0"],
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
            "quay.io/prometheus/alertmanager:v0.28.1",
        ],
    },
    InfraApp {
        name: "fluentd",
        namespace: "logging",
        wave: -1,
        repo: "https://fluent.github.io/helm-charts",
        chart: "fluentd",
        version: "0.5.3",
        images: &["fluent/fluentd-kubernetes-daemonset:v1.18-debian-opensearch-1"],
    },
    InfraApp {
        name: "postgresql",
        namespace: "shop-data",
        wave: 0,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "postgresql",
        version: "16.7.21",
        images: &["bitnami/postgresql:17.5.0"],
    },
    InfraApp {
        name: "redis-session",
        namespace: "shop-data",
        wave: 0,
        repo: "https://charts.bitnami.com/bitnami",
        chart: "redis-cluster",
        version: "12.0.13",
        images: &["bitnami/redis-cluster:8.0.3"],
    },
    InfraApp {
        name: "shop-routing",
        namespace: "shop-api",
        wave: 1,
        repo: REPO,
        chart: "mesh/virtualservices",
        version: "main",
        images: &[],
    },
];

const fn bff(name: &'static str, version: &'static str, routes: &'static [RouteDef]) -> ServiceDef {
    ServiceDef {
        name,
        namespace: "shop-front",
        gateway: true,
        operations: false,
        circuit_breaker: false,
        wave: 3,
        replicas: 3,
        version,
        java_pkg: name,
        analysis: false,
        routes,
    }
}

const fn api(
    name: &'static str,
    java_pkg: &'static str,
    version: &'static str,
    analysis: bool,
    routes: &'static [RouteDef],
) -> ServiceDef {
    ServiceDef {
        name,
        namespace: "",
        gateway: false,
        operations: true,
        circuit_breaker: false,
        wave: 2,
        replicas: 2,
        version,
        java_pkg,
        analysis,
        routes,
    }
}

const SERVICES: &[ServiceDef] = &[
    bff(
        "fo",
        "3.18.2",
        &[
            fwd("GET /api/goods/**", Forward::Gets("goods")),
            fwd("GET /api/display/**", Forward::Gets("display")),
            fwd("GET /api/events/**", Forward::Gets("event")),
            fwd("GET /api/members/**", Forward::Gets("member")),
            fwd("POST /api/**", Forward::Writes),
        ],
    ),
    bff(
        "bo",
        "2.7.0",
        &[fwd("GET /api/bo/**", Forward::Gets("bo-api"))],
    ),
    bff(
        "cc",
        "1.9.4",
        &[
            fwd("GET /api/orders/**", Forward::Gets("order")),
            fwd("GET /api/codes/**", Forward::Gets("common")),
        ],
    ),
    ServiceDef {
        circuit_breaker: true,
        ..api(
            "goods",
            "goods",
            "4.12.0",
            true,
            &[
                r("GET /goods/{goodsNo}/display", 0.9, 18.0, 55.0, 120.0, 0.42),
                r("GET /goods", 0.4, 25.0, 70.0, 150.0, 0.05),
                r("POST /goods/{goodsNo}/stock", 0.03, 35.0, 90.0, 200.0, 0.02),
            ],
        )
    },
    api(
        "display",
        "display",
        "2.3.5",
        false,
        &[
            r("GET /display/main", 0.6, 30.0, 85.0, 190.0, 0.3),
            r("GET /display/categories/{id}", 0.3, 22.0, 60.0, 130.0, 0.3),
        ],
    ),
    api(
        "order",
        "order",
        "5.1.0",
        true,
        &[
            r("GET /orders/{orderNo}", 0.2, 14.0, 40.0, 95.0, 0.3),
            r("POST /orders", 0.05, 60.0, 150.0, 320.0, 0.3),
        ],
    ),
    api(
        "member",
        "member",
        "3.4.1",
        false,
        &[
            r("GET /members/{id}", 0.3, 8.0, 22.0, 50.0, 0.3),
            r("POST /members/login", 0.06, 45.0, 110.0, 230.0, 0.3),
        ],
    ),
    api(
        "common",
        "common",
        "1.8.0",
        false,
        &[r("GET /codes/{group}", 0.15, 4.0, 12.0, 30.0, 0.3)],
    ),
    api(
        "event",
        "event",
        "1.2.7",
        false,
        &[
            r("GET /events", 0.12, 20.0, 55.0, 120.0, 0.3),
            r("POST /events/{id}/apply", 0.02, 40.0, 100.0, 210.0, 0.3),
        ],
    ),
    api(
        "bo-api",
        "bo",
        "2.0.3",
        false,
        &[
            r("GET /bo/orders", 0.05, 80.0, 210.0, 450.0, 0.3),
            r("POST /bo/goods", 0.01, 95.0, 240.0, 520.0, 0.3),
        ],
    ),
];

const NODES: &[NodeDef] = &[
    NodeDef {
        name: "ip-10-20-11-84.ap-northeast-2.compute.internal",
        base: 24.0,
        batch_job: false,
        hosts_canaries: false,
    },
    NodeDef {
        name: "ip-10-20-12-137.ap-northeast-2.compute.internal",
        base: 31.0,
        batch_job: false,
        hosts_canaries: true,
    },
    NodeDef {
        name: "ip-10-20-13-52.ap-northeast-2.compute.internal",
        base: 27.0,
        batch_job: true,
        hosts_canaries: false,
    },
];

/// shop: EKS, Istio, Fluentd into OpenSearch, Spring Boot APIs behind Next.js BFFs.
pub const SHOP: Platform = Platform {
    name: "shop",
    context: "arn:aws:eks:ap-northeast-2:123456789012:cluster/shop-prod (demo)",
    mesh: Mesh::Istio,
    log_store: LogStoreKind::OpenSearch,
    log_query: r#"{namespace=~"shop-api|shop-front"} |~ "ERROR|WARN""#,
    logs: &super::super::telemetry::SHOP_SPRING,
    namespace: "shop-api",
    registry: "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/shop",
    gitops_repo: REPO,
    root_source: "apps/prod",
    infra: INFRA,
    services: SERVICES,
    nodes: NODES,
    steady_canary: "member",
    bad_canary: "goods",
    resource_health_in_cr: false,
    image_updater: false,
    certificates: Some(&[CertDef {
        namespace: "shop-api",
        name: "api-shop-tls",
        issuer: "ClusterIssuer/letsencrypt-prod",
        is_ca: false,
        valid_secs: 90 * 86_400,
        issued_ago_secs: 33 * 86_400,
        renew_before_secs: 30 * 86_400,
        failed_attempts: 0,
        failed_ago_secs: 0,
    }]),
};
