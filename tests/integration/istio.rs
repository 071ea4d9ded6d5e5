//! Istio, the second mesh: against a real Prometheus (Debian's `prometheus`) loaded with series
//! in Istio's real label set — both reporters, response codes and flags, mTLS and plaintext,
//! Istio's default latency buckets, canary and stable pods with the scraped
//! `rollouts_pod_template_hash`, a service with `request_operation` and one without — and the
//! fake API server serving the VirtualServices, DestinationRules and Rollouts of Argo Rollouts'
//! own Istio examples (tests/fixtures/istio). What opsdeck shows must equal what this test
//! computes from the series it wrote.

use crate::support;
use crate::support::fake_kube::FakeKube;
use crate::support::promgen::{Gen, buckets_match, close, quantile_of, until};
use crate::support::servers;
use opsdeck::model::{RoutePolicy, RowKind};
use opsdeck::net::http::Endpoint;
use opsdeck::sources::kube::parse::parse_rollout;
use opsdeck::sources::mesh::MeshProvider;
use opsdeck::sources::mesh::istio::{Istio, objects, queries};
use opsdeck::sources::mesh::linkerd::Linkerd;
use opsdeck::sources::mesh::select::Auto;
use opsdeck::sources::prometheus::api::Prometheus;
use opsdeck::sources::prometheus::{self, Location, PromSetup, PromStats};
use opsdeck::state::{Demand, SourceId, State, Update};
use opsdeck::theme::Theme;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const NS: &str = "titanium-prod";
const SUBSET: &str = "istio-subset-split";
const HOST: &str = "istio-host-split";
const STABLE: &str = "6c9f8d7b5";
const CANARY: &str = "7d4b9c6f8";
const HOST_STABLE: &str = "58c7d9b6f4";
const HOST_CANARY: &str = "8f5d6c7b9";

/// Istio's default buckets for `istio_request_duration_milliseconds` (the stats filter's).
const ISTIO_BUCKETS: [f64; 19] = [
    0.5, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0,
    60000.0, 300000.0, 600000.0, 1800000.0, 3600000.0,
];

/// One series' worth of Istio's standard labels, as the destination's sidecar reports a
/// request from the ingress gateway, plus what the scrape adds (`namespace`, `pod`, the pod's
/// labels through `labelmap`).
struct Req<'a> {
    reporter: &'a str,
    service: &'a str,
    workload: &'a str,
    pod: &'a str,
    hash: &'a str,
    operation: Option<&'a str>,
    code: &'a str,
    flags: &'a str,
    security: &'a str,
}

impl Req<'_> {
    fn labels(&self) -> String {
        let (scrape_ns, scrape_pod) = if self.reporter == "source" {
            ("istio-system", "istio-ingressgateway-7d9c8b6f5d-q2w7e")
        } else {
            (NS, self.pod)
        };
        let mut l = format!(
            r#"connection_security_policy="{sec}",destination_app="{wl}",destination_canonical_revision="latest",destination_canonical_service="{wl}",destination_cluster="Kubernetes",destination_principal="spiffe://cluster.local/ns/{NS}/sa/default",destination_service="{svc}.{NS}.svc.cluster.local",destination_service_name="{svc}",destination_service_namespace="{NS}",destination_version="unknown",destination_workload="{wl}",destination_workload_namespace="{NS}",instance="10.42.1.17:15020",job="kubernetes-pods",namespace="{scrape_ns}",pod="{scrape_pod}",reporter="{rep}",request_protocol="http",response_code="{code}",response_flags="{flags}",source_app="istio-ingressgateway",source_canonical_revision="latest",source_canonical_service="istio-ingressgateway",source_cluster="Kubernetes",source_principal="spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",source_version="unknown",source_workload="istio-ingressgateway",source_workload_namespace="istio-system""#,
            sec = self.security,
            wl = self.workload,
            svc = self.service,
            rep = self.reporter,
            code = self.code,
            flags = self.flags,
        );
        if self.reporter == "destination" && !self.hash.is_empty() {
            l.push_str(&format!(
                r#",app="{}",rollouts_pod_template_hash="{}""#,
                self.workload, self.hash
            ));
        }
        if let Some(op) = self.operation {
            l.push_str(&format!(r#",request_operation="{op}""#));
        }
        l
    }
}

/// (latency ms, requests/s) of one track of one row.
type Lat = Vec<(f64, f64)>;

struct Series {
    subset_stable_get: Lat,
    subset_canary_get: Lat,
    host_stable: Lat,
    host_canary: Lat,
}

fn subset_pod(hash: &str) -> String {
    let tail = if hash == STABLE { "x2x9k" } else { "wv5mn" };
    format!("{SUBSET}-{hash}-{tail}")
}

fn istio_series(g: &mut Gen) -> Series {
    let stable_pod = subset_pod(STABLE);
    let canary_pod = subset_pod(CANARY);
    // istio-subset-split: one Service, subsets by pod-template hash; the Telemetry API adds
    // request_operation. (pod, hash, operation, code, flags, requests/s)
    let subset: [(&str, &str, &str, &str, &str, f64); 8] = [
        (&stable_pod, STABLE, "GET /", "200", "-", 9.0),
        (&stable_pod, STABLE, "GET /", "404", "-", 0.5),
        (&stable_pod, STABLE, "POST /", "201", "-", 1.0),
        (&canary_pod, CANARY, "GET /", "200", "-", 0.2),
        (&canary_pod, CANARY, "GET /", "503", "UO", 0.6),
        (&canary_pod, CANARY, "GET /", "0", "DC", 0.1),
        (&canary_pod, CANARY, "GET /", "503", "UF,URX", 0.1),
        (&canary_pod, CANARY, "POST /", "201", "-", 0.1),
    ];
    for (pod, hash, op, code, flags, rate) in subset {
        let r = Req {
            reporter: "destination",
            service: SUBSET,
            workload: SUBSET,
            pod,
            hash,
            operation: Some(op),
            code,
            flags,
            security: "mutual_tls",
        };
        g.counter("istio_requests_total", &r.labels(), rate);
    }
    // The gateway's own (source) reports of the same service: more, and worse — retries and
    // timeouts the destination never saw. Rows must not count them.
    for (code, flags, rate) in [("200", "-", 14.0), ("504", "UT", 2.0)] {
        let r = Req {
            reporter: "source",
            service: SUBSET,
            workload: SUBSET,
            pod: "",
            hash: "",
            operation: Some("GET /"),
            code,
            flags,
            security: "unknown",
        };
        g.counter("istio_requests_total", &r.labels(), rate);
    }
    // istio-host-split: canary and stable Services (host-level), no request_operation; some
    // plaintext traffic to stable from a pod outside the mesh.
    let host_pod = |h: &str| format!("{HOST}-{h}-m4k7p");
    let host: [(&str, &str, &str, &str, f64); 4] = [
        (
            HOST_STABLE,
            "istio-host-split-stable",
            "200",
            "mutual_tls",
            4.0,
        ),
        (HOST_STABLE, "istio-host-split-stable", "200", "none", 0.5),
        (
            HOST_CANARY,
            "istio-host-split-canary",
            "200",
            "mutual_tls",
            0.45,
        ),
        (
            HOST_CANARY,
            "istio-host-split-canary",
            "500",
            "mutual_tls",
            0.05,
        ),
    ];
    for (hash, service, code, security, rate) in host {
        let pod = host_pod(hash);
        let r = Req {
            reporter: "destination",
            service,
            workload: HOST,
            pod: &pod,
            hash,
            operation: None,
            code,
            flags: "-",
            security,
        };
        g.counter("istio_requests_total", &r.labels(), rate);
    }
    // Latency, on Istio's default buckets.
    let subset_stable_get: Lat = vec![(3.0, 6.0), (20.0, 3.0), (80.0, 0.5)];
    let subset_canary_get: Lat = vec![(20.0, 0.3), (300.0, 0.5), (2000.0, 0.2)];
    let post: Lat = vec![(40.0, 1.0)];
    let post_canary: Lat = vec![(40.0, 0.1)];
    let host_stable: Lat = vec![(3.0, 3.0), (8.0, 1.5)];
    let host_canary: Lat = vec![(8.0, 0.3), (60.0, 0.2)];
    let hist = |g: &mut Gen, r: Req, lat: &Lat| {
        let mut labels = r.labels();
        // Histograms carry no response code or flags in this test's rows (they would sum).
        labels = labels.replace(&format!(r#",response_code="{}""#, r.code), "");
        labels = labels.replace(&format!(r#",response_flags="{}""#, r.flags), "");
        g.histogram(
            "istio_request_duration_milliseconds",
            &labels,
            &ISTIO_BUCKETS,
            lat,
        );
    };
    for (pod, hash, op, lat) in [
        (&stable_pod, STABLE, "GET /", &subset_stable_get),
        (&canary_pod, CANARY, "GET /", &subset_canary_get),
        (&stable_pod, STABLE, "POST /", &post),
        (&canary_pod, CANARY, "POST /", &post_canary),
    ] {
        let r = Req {
            reporter: "destination",
            service: SUBSET,
            workload: SUBSET,
            pod,
            hash,
            operation: Some(op),
            code: "200",
            flags: "-",
            security: "mutual_tls",
        };
        hist(g, r, lat);
    }
    let source = Req {
        reporter: "source",
        service: SUBSET,
        workload: SUBSET,
        pod: "",
        hash: "",
        operation: Some("GET /"),
        code: "200",
        flags: "-",
        security: "unknown",
    };
    hist(g, source, &vec![(5000.0, 16.0)]);
    for (hash, service, lat) in [
        (HOST_STABLE, "istio-host-split-stable", &host_stable),
        (HOST_CANARY, "istio-host-split-canary", &host_canary),
    ] {
        let pod = host_pod(hash);
        let r = Req {
            reporter: "destination",
            service,
            workload: HOST,
            pod: &pod,
            hash,
            operation: None,
            code: "200",
            flags: "-",
            security: "mutual_tls",
        };
        hist(g, r, lat);
    }
    Series {
        subset_stable_get,
        subset_canary_get,
        host_stable,
        host_canary,
    }
}

/// The fixtures' VirtualServices as the Rollouts controller leaves them at `setWeight: 10`
/// (the subset one) and as it failed to (the host one still 100/0); the host route given a
/// retry policy and the subset DestinationRule a circuit breaker, as a platform would.
fn put_istio_objects(kube: &FakeKube) {
    let mut vs = support::fixture_object("istio/istio-subset-split.yaml", "VirtualService", NS);
    vs["spec"]["http"][0]["route"][0]["weight"] = 90.into();
    vs["spec"]["http"][0]["route"][1]["weight"] = 10.into();
    kube.put("virtualservices", vs);
    let mut dr = support::fixture_object("istio/istio-subset-split.yaml", "DestinationRule", NS);
    dr["spec"]["trafficPolicy"] = json!({
        "connectionPool": {"tcp": {"maxConnections": 50},
                           "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 10}},
        "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s",
                             "baseEjectionTime": "30s", "maxEjectionPercent": 50}});
    kube.put("destinationrules", dr);
    let mut vs = support::fixture_object("istio/istio-host-split.yaml", "VirtualService", NS);
    vs["spec"]["http"][0]["retries"] =
        json!({"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,connect-failure"});
    vs["spec"]["http"][0]["timeout"] = "10s".into();
    kube.put("virtualservices", vs);
}

fn state_with_rollouts() -> State {
    let mut ctx = support::context();
    ctx.demo = false;
    ctx.namespace = NS.into();
    let mut s = State::new(ctx, chrono::Utc::now(), 1000);
    s.set_size(200, 60);
    let rollouts = [
        support::rollout_with_status("istio/istio-subset-split.yaml", NS, STABLE, CANARY, 10),
        support::rollout_with_status(
            "istio/istio-host-split.yaml",
            NS,
            HOST_STABLE,
            HOST_CANARY,
            10,
        ),
    ]
    .iter()
    .map(|r| parse_rollout(r, [], []).unwrap_or_else(|e| panic!("{e}")))
    .collect();
    s.apply(Update::Rollouts(rollouts));
    s
}

fn setup(prom: &servers::Daemon, kube: Option<kube::Client>) -> PromSetup {
    let e = Endpoint::direct(&prom.url(), None).unwrap_or_else(|e| panic!("{e}"));
    PromSetup {
        cpu: Location::Url(e.clone()),
        mesh: Location::Url(e),
        kube,
        monitoring_namespace: "monitoring".into(),
        cpu_fallback: Vec::new(),
        timeout: Duration::from_secs(5),
        refresh: Duration::from_secs(1),
    }
}

fn routes_only(s: &State) -> Demand {
    Demand {
        cpu: false,
        routes: true,
        route_window_secs: 60,
        ..s.demand()
    }
}

fn dark() -> Theme {
    Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

/// p50, p95 and p99 of `got` equal `want`'s.
fn quantiles_match(got: &opsdeck::model::RouteSample, want: [f64; 3], what: &str) {
    let got = [got.p50_ms, got.p95_ms, got.p99_ms];
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, w), "{what}: got {got:?}, want {want:?}");
    }
}

fn quantiles(lat: &Lat) -> [f64; 3] {
    [0.5, 0.95, 0.99].map(|q| quantile_of(q, &ISTIO_BUCKETS, lat))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_rows_equal_the_series_with_policy_splits_and_mesh_weights_from_watched_objects() {
    let mut g = Gen::new();
    let series = istio_series(&mut g);
    let prom = servers::prometheus("istio-values", &g.finish());
    let kube = FakeKube::start().await;
    kube.serve_group(objects::GROUP, &["v1", "v1beta1", "v1alpha3"], "v1");
    put_istio_objects(&kube);

    let (tx, mut rx) = mpsc::channel(256);
    let shared = objects::Shared::default();
    let watcher = objects::spawn(kube.client(), vec![NS.into()], shared.clone(), tx.clone());
    let mut s = state_with_rollouts();
    let (_d, demand_rx) = watch::channel(routes_only(&s));
    let stats = Arc::new(PromStats::default());
    let tasks = prometheus::spawn(
        setup(&prom, Some(kube.client())),
        Box::new(Istio::new(shared, "istio-system")),
        demand_rx,
        tx,
        stats.clone(),
    );
    until(&mut rx, &mut s, 30, "Istio rows and objects", |s| {
        s.routes.len() == 3 && s.virtual_services.len() == 2 && s.destination_rules.len() == 1
    })
    .await;
    // The watches asked for the version the API server prefers, in the namespace in scope.
    let paths: Vec<String> = kube.requests().into_iter().map(|r| r.path).collect();
    for plural in ["virtualservices", "destinationrules"] {
        let want = format!("/apis/networking.istio.io/v1/namespaces/{NS}/{plural}");
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }

    let row = |svc: &str, route: &str| {
        s.routes
            .iter()
            .find(|r| r.service == svc && r.route == route)
            .unwrap_or_else(|| panic!("no row {svc} {route}: {:#?}", s.routes))
    };
    // GET / of the subset-split service: 5xx and no-response fail, 404 counted apart; the
    // gateway's source reports are not counted.
    let get = row(SUBSET, "GET /");
    assert_eq!(get.row, RowKind::Route);
    let o = &get.overall;
    let (total, failed) = (9.0 + 0.5 + 0.2 + 0.6 + 0.1 + 0.1, 0.6 + 0.1 + 0.1);
    assert!(close(o.rps, total), "{o:?}");
    assert!(
        close(o.effective_success.unwrap_or(-1.0), 1.0 - failed / total),
        "{o:?}"
    );
    assert!(close(o.client_error_rps, 0.5), "{o:?}");
    let flags: Vec<(&str, f64)> = o.flags.iter().map(|(f, r)| (f.as_str(), *r)).collect();
    assert_eq!(flags.len(), 4, "{flags:?}");
    assert_eq!(flags[0].0, "UO");
    for (f, want) in [("UO", 0.6), ("DC", 0.1), ("UF", 0.1), ("URX", 0.1)] {
        let got = flags.iter().find(|x| x.0 == f).map_or(-1.0, |x| x.1);
        assert!(close(got, want), "{f}: {got} want {want}");
    }
    assert!(close(get.mtls.unwrap_or(-1.0), 1.0));
    // Canary and stable by the scraped pod-template hash (subset-level routing).
    let c = get.canary.as_ref().expect("canary");
    let st = get.stable.as_ref().expect("stable");
    assert!(
        close(c.rps, 1.0) && close(c.effective_success.unwrap_or(-1.0), 0.2),
        "{c:?}"
    );
    assert!(
        close(st.rps, 9.5) && close(st.effective_success.unwrap_or(-1.0), 1.0),
        "{st:?}"
    );
    let all: Lat = series
        .subset_stable_get
        .iter()
        .chain(&series.subset_canary_get)
        .copied()
        .collect();
    quantiles_match(o, quantiles(&all), "GET / overall");
    quantiles_match(c, quantiles(&series.subset_canary_get), "GET / canary");
    quantiles_match(st, quantiles(&series.subset_stable_get), "GET / stable");
    // Each track's histogram, read whole for the latency comparison.
    buckets_match(
        &c.latency_buckets,
        &ISTIO_BUCKETS,
        &series.subset_canary_get,
        "GET / canary",
    );
    buckets_match(
        &st.latency_buckets,
        &ISTIO_BUCKETS,
        &series.subset_stable_get,
        "GET / stable",
    );
    let post = row(SUBSET, "POST /");
    assert!(close(post.overall.rps, 1.1));
    assert_eq!(post.overall.effective_success, Some(1.0));
    // No retries in the VirtualService: Istio's default; the DestinationRule's breaker.
    let RoutePolicy::Istio {
        attempts,
        outlier,
        pool,
        ..
    } = &get.policy
    else {
        panic!("{:?}", get.policy)
    };
    assert_eq!(*attempts, None);
    let outlier = outlier.as_ref().expect("outlier detection");
    assert_eq!(
        (
            outlier.consecutive_5xx,
            outlier.interval_secs,
            outlier.base_ejection_secs
        ),
        (5, 10, 30)
    );
    assert_eq!(pool.as_ref().and_then(|p| p.max_pending_requests), Some(1));

    // Kiali's error rate (4xx, 5xx and no response) of the whole service equals opsdeck's
    // failures plus its 4xx, summed over the service's rows.
    let api =
        Prometheus::new(Endpoint::direct(&prom.url(), None).unwrap_or_else(|e| panic!("{e}")));
    let kiali = api
        .query(&queries::kiali_errors(NS, SUBSET, 60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kiali: f64 = kiali.iter().map(|s| s.value).sum();
    let ours: f64 = s
        .routes
        .iter()
        .filter(|r| r.service == SUBSET)
        .map(|r| {
            r.overall.rps * (1.0 - r.overall.effective_success.unwrap_or(1.0))
                + r.overall.client_error_rps
        })
        .sum();
    assert!(
        close(kiali, 1.3) && close(ours, kiali),
        "kiali {kiali}, ours {ours}"
    );

    // The host-split rollout: its canary and stable Services are one row, per service (no
    // request_operation), split by destination_service_name.
    let host = row(HOST, opsdeck::model::ALL_REQUESTS);
    assert_eq!(host.row, RowKind::Service);
    assert!(close(host.overall.rps, 5.0));
    assert!(close(
        host.overall.effective_success.unwrap_or(-1.0),
        1.0 - 0.05 / 5.0
    ));
    assert!(
        close(host.mtls.unwrap_or(-1.0), 4.5 / 5.0),
        "{:?}",
        host.mtls
    );
    let hc = host.canary.as_ref().expect("host canary");
    let hs = host.stable.as_ref().expect("host stable");
    assert!(close(hc.rps, 0.5) && close(hc.effective_success.unwrap_or(-1.0), 0.9));
    assert!(close(hs.rps, 4.5) && close(hs.effective_success.unwrap_or(-1.0), 1.0));
    quantiles_match(hc, quantiles(&series.host_canary), "host canary");
    quantiles_match(hs, quantiles(&series.host_stable), "host stable");
    buckets_match(
        &hc.latency_buckets,
        &ISTIO_BUCKETS,
        &series.host_canary,
        "host canary",
    );
    buckets_match(
        &hs.latency_buckets,
        &ISTIO_BUCKETS,
        &series.host_stable,
        "host stable",
    );
    // Two Services, one row: the larger of their quantiles.
    let (qc, qs) = (
        quantiles(&series.host_canary),
        quantiles(&series.host_stable),
    );
    quantiles_match(
        &host.overall,
        [0, 1, 2].map(|i| qc[i].max(qs[i])),
        "host overall",
    );
    let RoutePolicy::Istio {
        attempts,
        per_try_timeout_ms,
        timeout_ms,
        ..
    } = &host.policy
    else {
        panic!("{:?}", host.policy)
    };
    assert_eq!(
        (*attempts, *per_try_timeout_ms, *timeout_ms),
        (Some(3), Some(2000), Some(10_000))
    );

    // Mesh weights: the subset VirtualService agrees with the Rollout's 10%; the host one was
    // left at 0 — a disagreement.
    let subset_rollout = s.rollout(NS, SUBSET).cloned().expect("subset rollout");
    let host_rollout = s.rollout(NS, HOST).cloned().expect("host rollout");
    let w = s.mesh_weight(&subset_rollout).expect("subset mesh weight");
    assert_eq!((w.weight, w.inconsistent), (10, false));
    let w = s.mesh_weight(&host_rollout).expect("host mesh weight");
    assert_eq!((w.weight, host_rollout.actual_weight), (0, 10));

    let screen = support::render(&s, &dark(), 200, 60);
    for want in ["istio", "GET /", "UO", "default", "3× 2s", "≠"] {
        assert!(screen.contains(want), "{want} not on screen:\n{screen}");
    }

    // The controller catches up: the weight arrives by watch, and the change is in the timeline.
    let mut vs = kube
        .get("virtualservices", NS, "istio-host-split-vsvc")
        .expect("host vs");
    vs["spec"]["http"][0]["route"][0]["weight"] = 90.into();
    vs["spec"]["http"][0]["route"][1]["weight"] = 10.into();
    kube.put("virtualservices", vs);
    until(&mut rx, &mut s, 10, "the new weight", |s| {
        s.mesh_weight(&host_rollout).is_some_and(|w| w.weight == 10)
    })
    .await;
    let timeline: Vec<(String, String)> = s
        .timeline
        .iter()
        .map(|e| (e.subject.clone(), e.text.clone()))
        .collect();
    assert!(
        timeline.contains(&(
            "istio-host-split-vsvc".into(),
            "weights istio-host-split-stable 100 / istio-host-split-canary 0 → istio-host-split-stable 90 / istio-host-split-canary 10".into()
        )),
        "{timeline:?}"
    );
    // A few more refresh cycles, for the load figures in docs/performance.md.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while stats.cycles.load(std::sync::atomic::Ordering::Relaxed) < 4 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.apply(u);
            }
            _ => panic!("fewer than 4 refresh cycles in 20 s"),
        }
    }
    let cycles = stats.cycles.load(std::sync::atomic::Ordering::Relaxed);
    let queries = stats.queries.load(std::sync::atomic::Ordering::Relaxed);
    let micros = stats
        .cycle_micros
        .load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "istio: {cycles} refresh cycles, {queries} queries ({} per cycle), mean cycle {} µs",
        queries / cycles.max(1),
        micros / cycles.max(1)
    );
    for t in tasks {
        t.abort();
    }
    watcher.abort();
    assert!(s.source(SourceId::Mesh).health == opsdeck::state::Health::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watches_use_the_version_the_cluster_serves() {
    // Istio 1.22+ serves v1 (preferred), older ones v1beta1, the oldest only v1alpha3.
    for (versions, preferred) in [
        (&["v1beta1", "v1alpha3"][..], "v1beta1"),
        (&["v1alpha3"][..], "v1alpha3"),
        // A preferred version opsdeck does not know: the newest one it does.
        (&["v2", "v1beta1", "v1alpha3"][..], "v2"),
    ] {
        let kube = FakeKube::start().await;
        kube.serve_group(objects::GROUP, versions, preferred);
        put_istio_objects(&kube);
        let (tx, mut rx) = mpsc::channel(64);
        let shared = objects::Shared::default();
        let watcher = objects::spawn(kube.client(), vec![NS.into()], shared.clone(), tx);
        let mut s = state_with_rollouts();
        until(&mut rx, &mut s, 10, "the objects", |s| {
            s.virtual_services.len() == 2 && s.destination_rules.len() == 1
        })
        .await;
        let want = if preferred == "v2" {
            "v1beta1"
        } else {
            preferred
        };
        let paths: Vec<String> = kube.requests().into_iter().map(|r| r.path).collect();
        assert!(
            paths.contains(&format!(
                "/apis/networking.istio.io/{want}/namespaces/{NS}/virtualservices"
            )),
            "{versions:?}: {paths:?}"
        );
        assert!(
            paths
                .iter()
                .filter(|p| p.contains("/virtualservices") || p.contains("/destinationrules"))
                .all(|p| p.starts_with(&format!("/apis/networking.istio.io/{want}/"))),
            "{paths:?}"
        );
        let host = s.rollout(NS, HOST).cloned().expect("host rollout");
        assert_eq!(s.mesh_weight(&host).map(|w| w.weight), Some(0));
        // A misshapen object is skipped (with a warning in the log) and the rest kept.
        kube.put(
            "virtualservices",
            json!({"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService",
                   "metadata": {"name": "broken", "namespace": NS},
                   "spec": {"hosts": "not-a-list", "http": [{"route": 7}]}}),
        );
        // A valid one after it: once it is in, the broken one (before it in the watch) was
        // read and skipped.
        let mut after =
            support::fixture_object("istio/istio-host-split.yaml", "VirtualService", NS);
        after["metadata"]["name"] = "after-broken".into();
        kube.put("virtualservices", after);
        until(
            &mut rx,
            &mut s,
            10,
            "the VirtualService after the broken one",
            |s| s.virtual_services.iter().any(|v| v.name == "after-broken"),
        )
        .await;
        let names: Vec<&str> = s.virtual_services.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(!names.contains(&"broken"), "{names:?}");
        watcher.abort();
    }
}

/// Linkerd's route metrics for `store` in `dev`: inbound by pod, 10 requests/s.
fn linkerd_series(g: &mut Gen) {
    let dst = "store.dev.svc.cluster.local:8080";
    for (class, rate) in [("success", 9.9), ("failure", 0.1)] {
        g.counter(
            "route_response_total",
            &format!(
                r#"classification="{class}",direction="inbound",dst="{dst}",namespace="dev",pod="store-7c9d8b6f5-x2x9k",rt_route="GET /products""#
            ),
            rate,
        );
    }
}

/// What `--mesh auto` settles on against `prom` and `kube`.
async fn auto_on(prom: &servers::Daemon, kube: &FakeKube, s: &mut State) {
    let (tx, mut rx) = mpsc::channel(256);
    let shared = objects::Shared::default();
    let watcher = objects::spawn(kube.client(), Vec::new(), shared.clone(), tx.clone());
    let auto = Auto::new(vec![
        Box::new(Linkerd::new("linkerd-viz")) as Box<dyn MeshProvider>,
        Box::new(Istio::new(shared, "istio-system")),
    ]);
    let demand = Demand {
        namespaces: Vec::new(),
        ..routes_only(s)
    };
    let (_d, demand_rx) = watch::channel(demand);
    let tasks = prometheus::spawn(
        setup(prom, Some(kube.client())),
        Box::new(auto),
        demand_rx,
        tx,
        Arc::new(PromStats::default()),
    );
    until(&mut rx, s, 30, "a mesh", |s| {
        !s.mesh.is_empty() && (!s.routes.is_empty() || !s.mesh_notes.is_empty())
    })
    .await;
    for t in tasks {
        t.abort();
    }
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_picks_the_mesh_each_cluster_has() {
    // Linkerd only.
    let mut g = Gen::new();
    linkerd_series(&mut g);
    let prom = servers::prometheus("auto-linkerd", &g.finish());
    let kube = FakeKube::start().await;
    kube.serve_group("linkerd.io", &["v1alpha2"], "v1alpha2");
    kube.put(
        "serviceprofiles",
        support::fixture("linkerd/serviceprofile-store.yaml"),
    );
    let mut s = state_with_rollouts();
    auto_on(&prom, &kube, &mut s).await;
    assert_eq!(s.mesh, "linkerd");
    assert!(
        s.routes.iter().all(|r| r.service == "store"),
        "{:?}",
        s.routes
    );

    // Istio only.
    let mut g = Gen::new();
    istio_series(&mut g);
    let prom = servers::prometheus("auto-istio", &g.finish());
    let kube = FakeKube::start().await;
    kube.serve_group(objects::GROUP, &["v1"], "v1");
    put_istio_objects(&kube);
    let mut s = state_with_rollouts();
    auto_on(&prom, &kube, &mut s).await;
    assert_eq!(s.mesh, "istio");
    assert!(
        s.routes.iter().any(|r| r.service == SUBSET),
        "{:?}",
        s.routes
    );

    // Both, mid-migration: store's traffic is mostly Linkerd's, a trickle through Istio; each
    // service is shown with the mesh carrying it.
    let mut g = Gen::new();
    linkerd_series(&mut g);
    istio_series(&mut g);
    let trickle = Req {
        reporter: "destination",
        service: "store",
        workload: "store",
        pod: "store-7c9d8b6f5-x2x9k",
        hash: "",
        operation: None,
        code: "200",
        flags: "-",
        security: "mutual_tls",
    }
    .labels()
    .replace(
        &format!(r#"destination_service_namespace="{NS}""#),
        r#"destination_service_namespace="dev""#,
    );
    g.counter("istio_requests_total", &trickle, 0.5);
    let prom = servers::prometheus("auto-both", &g.finish());
    let kube = FakeKube::start().await;
    kube.serve_group("linkerd.io", &["v1alpha2"], "v1alpha2");
    kube.serve_group(objects::GROUP, &["v1"], "v1");
    kube.put(
        "serviceprofiles",
        support::fixture("linkerd/serviceprofile-store.yaml"),
    );
    put_istio_objects(&kube);
    let mut s = state_with_rollouts();
    auto_on(&prom, &kube, &mut s).await;
    assert_eq!(s.mesh, "linkerd+istio");
    let store: Vec<&str> = s
        .routes
        .iter()
        .filter(|r| r.service == "store")
        .map(|r| r.route.as_str())
        .collect();
    assert!(store.contains(&"GET /products"), "{store:?}");
    assert!(
        !store.contains(&opsdeck::model::ALL_REQUESTS),
        "store's Istio trickle is not a second row: {store:?}"
    );
    assert!(
        s.routes.iter().any(|r| r.service == SUBSET),
        "{:?}",
        s.routes
    );
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("linkerd+istio"), "{screen}");

    // A fresh Istio install: no mesh metrics in Prometheus yet, but the CRDs are there.
    let mut g = Gen::new();
    g.counter(
        "node_cpu_seconds_total",
        r#"cpu="0",instance="titanium-worker-1:9100",job="node-exporter",mode="idle""#,
        0.5,
    );
    let prom = servers::prometheus("auto-fresh", &g.finish());
    let kube = FakeKube::start().await;
    kube.serve_group(objects::GROUP, &["v1"], "v1");
    put_istio_objects(&kube);
    let mut s = state_with_rollouts();
    auto_on(&prom, &kube, &mut s).await;
    assert_eq!(s.mesh, "istio");
    let notes: Vec<(&str, &str)> = s
        .mesh_notes
        .iter()
        .map(|n| (n.service.as_str(), n.reason.as_str()))
        .collect();
    assert!(
        notes.contains(&(
            SUBSET,
            "a VirtualService routes to it, but Istio reported no requests in the last 1m"
        )),
        "{notes:?}"
    );
}

#[test]
fn a_rollout_driving_two_virtual_services_reads_both_and_marks_them_inconsistent() {
    // Argo Rollouts' multipleVirtualsvc example: two VirtualServices, named http routes
    // (`primary`, `secondary`) and tls routes beside them.
    let docs = support::fixture_docs("istio/multipleVirtualsvc.yaml");
    let mut vss: Vec<_> = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d["metadata"]["namespace"] = NS.into();
            objects::parse_virtual_service(&d).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    assert_eq!(vss.len(), 2);
    assert_eq!(vss[0].http[0].name, "primary");
    assert_eq!(vss[0].http[0].destinations[1].host, "rollouts-demo-canary");
    // The Rollout of that guide (PROTOCOLS §9.3: `virtualServices[]`).
    let rollout = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "rollouts-demo", "namespace": NS},
        "spec": {"strategy": {"canary": {
            "canaryService": "rollouts-demo-canary", "stableService": "rollouts-demo-stable",
            "trafficRouting": {"istio": {"virtualServices": [
                {"name": "rollouts-demo-vsvc1", "routes": ["primary"]},
                {"name": "rollouts-demo-vsvc2", "routes": ["secondary"]}]}},
            "steps": [{"setWeight": 10}, {"pause": {}}]}}},
        "status": {"stableRS": HOST_STABLE, "currentPodHash": HOST_CANARY, "currentStepIndex": 1,
                   "canary": {"weights": {"canary": {"weight": 10}, "stable": {"weight": 90}}}}
    });
    let r = parse_rollout(&rollout, [], []).unwrap_or_else(|e| panic!("{e}"));
    let istio = r.istio.clone().expect("istio routing");
    assert_eq!(istio.virtual_services.len(), 2);
    // The controller updated the first and not (yet) the second.
    for (i, w) in [(0, 10), (1, 0)] {
        vss[i].http[0].destinations[0].weight = 100 - w;
        vss[i].http[0].destinations[1].weight = w;
    }
    let w = opsdeck::model::mesh::mesh_weight(&r, &vss).expect("mesh weight");
    assert_eq!(
        (w.weight, w.virtual_service.as_str(), w.inconsistent),
        (10, "titanium-prod/rollouts-demo-vsvc1", true)
    );
    vss[1].http[0].destinations[0].weight = 90;
    vss[1].http[0].destinations[1].weight = 10;
    let w = opsdeck::model::mesh::mesh_weight(&r, &vss).expect("mesh weight");
    assert!(!w.inconsistent);
}
