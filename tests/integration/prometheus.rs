//! The Prometheus source against a real Prometheus (Debian's `prometheus`), loaded with series
//! this test generates: node and container CPU, and Linkerd's route metrics with canary and
//! stable pod hashes. What opsdeck shows must equal what the test computes from those series.

use crate::support;

use crate::support::fake_kube::{FakeKube, Proxy};
use crate::support::promgen::{Gen, buckets_match, close, cumulative, quantile, until};
use crate::support::servers;
use opsdeck::layout::Pane;
use opsdeck::model::{Track, cpu::CpuUnit};
use opsdeck::net::http::{Endpoint, ServiceRef};
use opsdeck::sources::mesh::linkerd::Linkerd;
use opsdeck::sources::prometheus::{self, Location, PromSetup, PromStats};
use opsdeck::state::{Demand, Tracked};
use opsdeck::state::{Health, SourceId, State};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const STABLE: &str = "7c9d8b6f5";
const CANARY: &str = "5f6b8d9c7";

/// Linkerd's latency bucket bounds, read from a real proxy's exposition.
fn linkerd_buckets() -> Vec<f64> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/linkerd/proxy-metrics-sample.prom",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut b: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("response_latency_ms_bucket{"))
        .filter_map(|l| l.split("le=\"").nth(1)?.split('"').next()?.parse().ok())
        .filter(|b: &f64| b.is_finite())
        .collect();
    b.sort_by(f64::total_cmp);
    b.dedup();
    b
}

struct Platform {
    om: String,
    bounds: Vec<f64>,
    /// (latency ms, requests/s) of stable and canary.
    stable_lat: Vec<(f64, f64)>,
    canary_lat: Vec<(f64, f64)>,
}

fn platform() -> Platform {
    let mut g = Gen::new();
    // Node CPU: busy = 1 - avg over cpus of (idle + iowait + steal).
    for (node, cpus) in [
        (
            "k3d-dev-server-0:9100",
            [(0.60, 0.05, 0.30), (0.80, 0.0, 0.15)],
        ),
        (
            "k3d-dev-agent-0:9100",
            [(0.20, 0.10, 0.60), (0.30, 0.0, 0.65)],
        ),
    ] {
        for (i, (idle, iowait, user)) in cpus.iter().enumerate() {
            let l = |mode: &str| {
                format!(r#"cpu="{i}",instance="{node}",job="node-exporter",mode="{mode}""#)
            };
            g.counter("node_cpu_seconds_total", &l("idle"), *idle);
            g.counter("node_cpu_seconds_total", &l("iowait"), *iowait);
            g.counter("node_cpu_seconds_total", &l("user"), *user);
        }
    }
    // Container CPU: two stable store pods, one canary, a user pod; plus the series the
    // `container!=""` and `image!=""` filters must leave out.
    for (pod, container, image, rate) in [
        (
            format!("store-{STABLE}-x2x9k"),
            "store",
            "registry/store:1.4.2",
            0.25,
        ),
        (
            format!("store-{STABLE}-bq7zt"),
            "store",
            "registry/store:1.4.2",
            0.15,
        ),
        (
            format!("store-{CANARY}-wv5mn"),
            "store",
            "registry/store:1.5.0",
            0.40,
        ),
        (format!("store-{STABLE}-x2x9k"), "", "", 1.0),
        (format!("store-{CANARY}-wv5mn"), "POD", "", 0.5),
        (
            "user-6b7c8d9f4-kd2p8".to_string(),
            "user",
            "registry/user:2.0.0",
            0.10,
        ),
    ] {
        g.counter(
            "container_cpu_usage_seconds_total",
            &format!(r#"container="{container}",image="{image}",namespace="dev",pod="{pod}""#),
            rate,
        );
    }
    // Linkerd route metrics for store's GET /products.
    let dst = "store.dev.svc.cluster.local:8080";
    let route = "GET /products";
    for (hash, pod, ok, fail) in [
        (STABLE, format!("store-{STABLE}-x2x9k"), 9.0, 0.0),
        (CANARY, format!("store-{CANARY}-wv5mn"), 0.8, 0.2),
    ] {
        for (class, rate) in [("success", ok), ("failure", fail)] {
            g.counter(
                "route_response_total",
                &format!(
                    r#"classification="{class}",direction="inbound",dst="{dst}",namespace="dev",pod="{pod}",rollouts_pod_template_hash="{hash}",rt_route="{route}""#
                ),
                rate,
            );
        }
    }
    // Callers (outbound): what they saw after retries, and every attempt.
    for (metric, ok, fail) in [
        ("route_response_total", 9.9, 0.1),
        ("route_actual_response_total", 9.8, 0.2),
    ] {
        for (class, rate) in [("success", ok), ("failure", fail)] {
            g.counter(
                metric,
                &format!(
                    r#"classification="{class}",direction="outbound",dst="{dst}",namespace="dev",pod="gateway-6d5c4b7f8-p9m2x",rt_route="{route}""#
                ),
                rate,
            );
        }
    }
    let bounds = linkerd_buckets();
    let stable_lat = vec![(8.0, 5.0), (18.0, 3.0), (45.0, 1.0)];
    let canary_lat = vec![(8.0, 0.2), (18.0, 0.3), (45.0, 0.3), (90.0, 0.2)];
    for (hash, lat) in [(STABLE, &stable_lat), (CANARY, &canary_lat)] {
        let cum = cumulative(&bounds, lat);
        let total: f64 = lat.iter().map(|(_, r)| r).sum();
        for (b, c) in bounds.iter().zip(&cum) {
            g.counter(
                "route_response_latency_ms_bucket",
                &format!(
                    r#"direction="inbound",dst="{dst}",le="{b}",namespace="dev",rollouts_pod_template_hash="{hash}",rt_route="{route}""#
                ),
                *c,
            );
        }
        g.counter(
            "route_response_latency_ms_bucket",
            &format!(
                r#"direction="inbound",dst="{dst}",le="+Inf",namespace="dev",rollouts_pod_template_hash="{hash}",rt_route="{route}""#
            ),
            total,
        );
    }
    // `user` is meshed (its proxy answers) but has no ServiceProfile; `study` is not meshed.
    g.counter(
        "request_total",
        r#"direction="inbound",namespace="dev",pod="user-6b7c8d9f4-kd2p8",replicaset="user-6b7c8d9f4""#,
        2.0,
    );
    Platform {
        om: g.finish(),
        bounds,
        stable_lat,
        canary_lat,
    }
}

fn demand() -> Demand {
    let t = |name: &str, s: &str, c: &str| Tracked {
        namespace: "dev".into(),
        name: name.into(),
        stable_hash: s.into(),
        canary_hash: c.into(),
        ..Default::default()
    };
    Demand {
        cpu: true,
        routes: true,
        logs: true,
        cpu_window_secs: 900,
        route_window_secs: 60,
        cpu_points: 180,
        namespaces: vec!["dev".into()],
        log_scope: None,
        replay: Vec::new(),
        pods: None,
        pod_log: None,
        app_tree: None,
        app_diff: None,
        object: None,
        trace: None,
        trace_search: None,
        pod_log_store: false,
        rollouts: std::sync::Arc::new(vec![
            t("store", STABLE, CANARY),
            t("user", "6b7c8d9f4", "6b7c8d9f4"),
            t("study", "", ""),
        ]),
    }
}

fn setup(cpu: Location, mesh: Location, kube: Option<kube::Client>) -> PromSetup {
    PromSetup {
        cpu,
        mesh,
        kube,
        monitoring_namespace: "monitoring".into(),
        cpu_fallback: Vec::new(),
        timeout: Duration::from_secs(5),
        refresh: Duration::from_secs(1),
    }
}

/// The pollers against one real Prometheus at its URL (CPU and mesh alike), with `demand`;
/// what they send, their tasks and their counters.
fn pollers_at(
    prom: &servers::Daemon,
    kube: Option<kube::Client>,
    demand: Demand,
) -> (
    mpsc::Receiver<opsdeck::state::Update>,
    watch::Sender<Demand>,
    Vec<tokio::task::JoinHandle<()>>,
    Arc<PromStats>,
) {
    let endpoint = Endpoint::direct(&prom.url(), None).unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::channel(256);
    let (demand_tx, demand_rx) = watch::channel(demand);
    let stats = Arc::new(PromStats::default());
    let tasks = prometheus::spawn(
        setup(
            Location::Url(endpoint.clone()),
            Location::Url(endpoint),
            kube,
        ),
        linkerd(),
        demand_rx,
        tx,
        stats.clone(),
    );
    (rx, demand_tx, tasks, stats)
}

fn linkerd() -> Box<Linkerd> {
    Box::new(Linkerd::new("linkerd-viz"))
}

fn state() -> State {
    let mut ctx = support::context();
    ctx.demo = false;
    let mut s = State::new(ctx, chrono::Utc::now(), 1000);
    s.set_size(200, 60);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_and_routes_equal_what_the_series_say_and_survive_a_restart() {
    let p = platform();
    let mut prom = servers::prometheus("prom-values", &p.om);
    let kube = FakeKube::start().await;
    kube.put(
        "serviceprofiles",
        support::fixture("linkerd/serviceprofile-store.yaml"),
    );
    let (mut rx, _demand_tx, tasks, stats) = pollers_at(&prom, Some(kube.client()), demand());
    let mut s = state();
    until(&mut rx, &mut s, 30, "CPU and routes", |s| {
        !s.cpu.nodes.is_empty() && !s.routes.is_empty() && !s.mesh_notes.is_empty()
    })
    .await;

    // Nodes: 100 × (1 − mean over cpus of idle+iowait+steal).
    let server = s.cpu.nodes.iter().find(|n| n.name == "k3d-dev-server-0");
    let agent = s.cpu.nodes.iter().find(|n| n.name == "k3d-dev-agent-0");
    let (server, agent) = (server.expect("server node"), agent.expect("agent node"));
    assert_eq!(server.unit, CpuUnit::Percent);
    let want_server = 100.0 * (1.0 - ((0.60 + 0.05) + (0.80 + 0.0)) / 2.0);
    let want_agent = 100.0 * (1.0 - ((0.20 + 0.10) + (0.30 + 0.0)) / 2.0);
    assert!(
        close(server.last().unwrap_or(-1.0), want_server),
        "{server:?}"
    );
    assert!(close(agent.last().unwrap_or(-1.0), want_agent), "{agent:?}");
    // The step is sized to the chart: 900 s over 180 points = 5 s; 15 min of points.
    assert_eq!(s.cpu.step_secs, 5);
    assert!(server.points.len() >= 170, "{}", server.points.len());
    // Pods: summed per service, the cgroup and pause series left out, split by hash.
    let store = s.cpu.service("dev", "store", None).expect("store cpu");
    assert_eq!(store.unit, CpuUnit::Cores);
    assert!(
        close(store.last().unwrap_or(-1.0), 0.25 + 0.15 + 0.40),
        "{store:?}"
    );
    let canary = s
        .cpu
        .service("dev", "store", Some(Track::Canary))
        .expect("canary cpu");
    let stable = s
        .cpu
        .service("dev", "store", Some(Track::Stable))
        .expect("stable cpu");
    assert!(close(canary.last().unwrap_or(-1.0), 0.40));
    assert!(close(stable.last().unwrap_or(-1.0), 0.40));
    assert!(close(
        s.cpu
            .service("dev", "user", None)
            .and_then(|x| x.last())
            .unwrap_or(-1.0),
        0.10
    ));
    assert!(
        s.cpu.service("dev", "user", Some(Track::Canary)).is_none(),
        "no canary running for user"
    );

    // Routes: joined with the ServiceProfile.
    let get = s
        .routes
        .iter()
        .find(|r| r.route == "GET /products")
        .expect("GET /products");
    assert_eq!(
        (get.service.as_str(), get.timeout_ms(), get.retryable()),
        ("store", 300, true)
    );
    let budget = get.budget().expect("retry budget");
    assert_eq!(
        (
            budget.retry_ratio,
            budget.min_retries_per_second,
            budget.ttl_secs
        ),
        (0.2, 10, 10)
    );
    let o = &get.overall;
    assert!(
        close(o.effective_success.unwrap_or(-1.0), 9.9 / 10.0),
        "{o:?}"
    );
    assert!(close(o.actual_success.unwrap_or(-1.0), 9.8 / 10.0), "{o:?}");
    assert!(close(o.rps, 10.0), "{o:?}");
    let c = get.canary.as_ref().expect("canary split");
    let st = get.stable.as_ref().expect("stable split");
    assert!(close(c.effective_success.unwrap_or(-1.0), 0.8), "{c:?}");
    assert!(close(c.rps, 1.0), "{c:?}");
    assert!(close(st.effective_success.unwrap_or(-1.0), 1.0), "{st:?}");
    // Latency quantiles, as histogram_quantile interpolates in Linkerd's buckets.
    let all: Vec<(f64, f64)> = p.stable_lat.iter().chain(&p.canary_lat).copied().collect();
    for (lat, sample, what) in [
        (&all, o, "overall"),
        (&p.canary_lat, c, "canary"),
        (&p.stable_lat, st, "stable"),
    ] {
        let cum = cumulative(&p.bounds, lat);
        let total: f64 = lat.iter().map(|(_, r)| r).sum();
        for (q, got) in [
            (0.5, sample.p50_ms),
            (0.95, sample.p95_ms),
            (0.99, sample.p99_ms),
        ] {
            let want = quantile(q, &p.bounds, &cum, total);
            assert!(close(got, want), "{what} p{q}: got {got}, want {want}");
        }
    }
    // Each track's histogram of the window, read whole for their comparison: the cumulative
    // rates of the series at every bound, +Inf last.
    buckets_match(&c.latency_buckets, &p.bounds, &p.canary_lat, "canary");
    buckets_match(&st.latency_buckets, &p.bounds, &p.stable_lat, "stable");
    // The canary's requests sit in slower buckets: the histograms say it is slower. Over the
    // 1m window, canary 12/18/18/12 and stable 300/180/60/0 requests in the buckets up to 10,
    // 20, 50 and 100 ms; scipy 1.17.1 on them expanded (mannwhitneyu, alternative="greater",
    // method="asymptotic", use_continuity=False): U = 24480.0, p = 3.680969031013138e-13.
    let lc = s.latency_comparison(get).expect("both histograms");
    assert!(close(lc.a * 60.0 * 540.0, 24480.0), "{lc:?}");
    assert!(
        (lc.p.ln() - 3.680969031013138e-13_f64.ln()).abs() < 1e-6,
        "{lc:?}"
    );
    assert_eq!(lc.verdict, opsdeck::model::stats::Verdict::Worse, "{lc:?}");
    let post = s
        .routes
        .iter()
        .find(|r| r.route == "POST /orders")
        .expect("POST /orders row from the profile");
    assert_eq!(
        (post.overall.effective_success, post.timeout_ms()),
        (None, 2000)
    );
    let notes: Vec<(&str, &str)> = s
        .mesh_notes
        .iter()
        .map(|n| (n.service.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                "study",
                "not meshed: no linkerd-proxy metrics from its pods"
            ),
            (
                "user",
                "meshed, but no ServiceProfile or HTTPRoute: no per-route metrics"
            ),
        ]
    );

    // What the screen shows, at 200×60.
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("GET /products"), "{screen}");
    assert!(
        screen.contains("99.0%") && screen.contains("98.0%"),
        "{screen}"
    );
    assert!(screen.contains("↻300ms"), "{screen}");
    assert!(
        screen.contains("not meshed: no linkerd-proxy metrics"),
        "{screen}"
    );
    assert!(screen.contains("0.80 cores"), "{screen}");

    // Prometheus goes away: the panes keep their data, with the error and its age.
    let before = s.routes.clone();
    prom.stop();
    until(&mut rx, &mut s, 20, "errors from both", |s| {
        matches!(s.source(SourceId::Cpu).health, Health::Error(_))
            && matches!(s.source(SourceId::Mesh).health, Health::Error(_))
    })
    .await;
    assert_eq!(s.routes, before, "the last good routes stay");
    assert!(!s.cpu.nodes.is_empty(), "the last good CPU stays");
    if let Health::Error(e) = &s.source(SourceId::Cpu).health {
        assert!(
            e == &format!(
                "cannot connect to http://127.0.0.1:{}/: connection refused",
                prom.port
            ),
            "{e}"
        );
    }
    s.set_size(200, 60);
    s.ui.focus = Pane::Routes;
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("⚠ stale"), "{screen}");
    assert!(screen.contains("GET /products"), "still shown: {screen}");

    // And comes back: both recover without a restart of opsdeck.
    prom.start();
    until(&mut rx, &mut s, 40, "recovery", |s| {
        s.source(SourceId::Cpu).health == Health::Ok
            && s.source(SourceId::Mesh).health == Health::Ok
    })
    .await;
    let cycles = stats.cycles.load(std::sync::atomic::Ordering::Relaxed);
    let queries = stats.queries.load(std::sync::atomic::Ordering::Relaxed);
    let micros = stats
        .cycle_micros
        .load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "prometheus: {cycles} refresh cycles, {queries} queries, mean cycle {} µs",
        micros / cycles.max(1)
    );
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_that_cannot_be_listed_make_the_mesh_degraded_and_a_deleted_one_leaves_promptly() {
    let p = platform();
    let prom = servers::prometheus("prom-profiles", &p.om);
    let kube = FakeKube::start().await;
    kube.put(
        "serviceprofiles",
        support::fixture("linkerd/serviceprofile-store.yaml"),
    );
    let (mut rx, _demand_tx, tasks, _) = pollers_at(&prom, Some(kube.client()), demand());
    let mut s = state();
    let products_timeout = |s: &State| {
        s.routes
            .iter()
            .find(|r| r.service == "store" && r.route == "GET /products")
            .map(|r| r.timeout_ms())
    };
    until(&mut rx, &mut s, 30, "the profile's timeout", |s| {
        products_timeout(s) == Some(300) && s.source(SourceId::Mesh).health == Health::Ok
    })
    .await;

    // The profiles can no longer be listed: the rows stay, the mesh says they are stale.
    let list = "/apis/linkerd.io/v1alpha2/namespaces/dev/serviceprofiles";
    kube.forbid("GET", list);
    let t0 = std::time::Instant::now();
    until(&mut rx, &mut s, 20, "the mesh degraded", |s| {
        matches!(s.source(SourceId::Mesh).health, Health::Degraded(_))
    })
    .await;
    eprintln!("degraded after {:?}", t0.elapsed());
    let Health::Degraded(why) = &s.source(SourceId::Mesh).health else {
        unreachable!()
    };
    assert!(
        why.starts_with("cannot list ServiceProfiles (403:")
            && why.contains("timeouts, retries and budgets as read"),
        "{why}"
    );
    assert_eq!(
        products_timeout(&s),
        Some(300),
        "the last good profile stays"
    );
    s.ui.focus = Pane::Routes;
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("linkerd !"), "{screen}");
    assert!(!screen.contains("linkerd ✓"), "{screen}");
    assert!(screen.contains("! cannot list ServiceProfiles"), "{screen}");
    let narrow = support::render(&s, &dark(), 120, 30);
    assert!(narrow.contains("! linkerd"), "{narrow}");

    // Readable again, and the profile deleted: the mesh is ✓ and its policy leaves the rows
    // at the next read (every 10 s while the routes are shown), not a minute later.
    kube.allow_all();
    kube.delete("serviceprofiles", "dev", "store.dev.svc.cluster.local");
    let t0 = std::time::Instant::now();
    until(&mut rx, &mut s, 20, "the deleted profile gone", |s| {
        s.source(SourceId::Mesh).health == Health::Ok
            && products_timeout(s).is_none_or(|t| t != 300)
    })
    .await;
    assert!(t0.elapsed() < Duration::from_secs(12), "{:?}", t0.elapsed());
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_config_finds_prometheus_through_the_api_server_and_explains_linkerd_viz() {
    let p = platform();
    let prom = servers::prometheus("prom-proxy", &p.om);
    let kube = FakeKube::start().await;
    kube.put(
        "serviceprofiles",
        support::fixture("linkerd/serviceprofile-store.yaml"),
    );
    // kube-prometheus-stack's operated service; linkerd-viz's Prometheus refuses strangers.
    kube.proxy("monitoring/prometheus-operated:9090", Proxy::To(prom.url()));
    kube.proxy(
        "linkerd-viz/prometheus:9090",
        Proxy::Refuse(403, "unauthorized request on route".into()),
    );
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand());
    let tasks = prometheus::spawn(
        setup(Location::Discover, Location::Discover, Some(kube.client())),
        linkerd(),
        demand_rx,
        tx,
        Arc::new(PromStats::default()),
    );
    let mut s = state();
    // The main Prometheus has Linkerd's metrics here (federated), so the mesh uses it.
    until(&mut rx, &mut s, 30, "data through the proxy", |s| {
        !s.cpu.nodes.is_empty() && !s.routes.is_empty()
    })
    .await;
    let paths: Vec<String> = kube.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.starts_with("/api/v1/namespaces/monitoring/services/prometheus-operated:9090/proxy/api/v1/query_range")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(
            |p| p.starts_with("/api/v1/namespaces/linkerd-viz/services/prometheus:9090/proxy/")
        )
    );
    for t in tasks {
        t.abort();
    }

    // Without Linkerd's metrics anywhere else, the refusal is explained, not an empty table.
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand());
    let tasks = prometheus::spawn(
        setup(
            Location::Service(ServiceRef::new("monitoring", "prometheus-operated", "9090")),
            Location::Service(ServiceRef::new("linkerd-viz", "prometheus", "9090")),
            Some(kube.client()),
        ),
        linkerd(),
        demand_rx,
        tx,
        Arc::new(PromStats::default()),
    );
    let mut s = state();
    until(&mut rx, &mut s, 30, "the refusal", |s| {
        matches!(s.source(SourceId::Mesh).health, Health::Error(_)) && !s.cpu.nodes.is_empty()
    })
    .await;
    let Health::Error(e) = &s.source(SourceId::Mesh).health else {
        unreachable!()
    };
    assert!(
        e.starts_with("linkerd-viz's Prometheus refused the request"),
        "{e}"
    );
    assert!(
        e.contains("port-forward") && e.contains("AuthorizationPolicy"),
        "{e}"
    );
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(
        screen.contains("linkerd-viz's Prometheus refused"),
        "{screen}"
    );
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_panes_cost_no_queries_and_a_new_window_is_fetched_at_once() {
    let p = platform();
    let prom = servers::prometheus("prom-demand", &p.om);
    let endpoint = Endpoint::direct(&prom.url(), None).unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::channel(256);
    let hidden = Demand {
        cpu: false,
        routes: false,
        ..demand()
    };
    let (demand_tx, demand_rx) = watch::channel(hidden);
    let stats = Arc::new(PromStats::default());
    let mut s = PromSetup {
        refresh: Duration::from_secs(60),
        ..setup(
            Location::Url(endpoint.clone()),
            Location::Url(endpoint),
            None,
        )
    };
    s.kube = None;
    let tasks = prometheus::spawn(s, linkerd(), demand_rx, tx, stats.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stats.queries.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert!(rx.try_recv().is_err(), "nothing fetched while hidden");
    // Shown: fetched; a wider window: fetched again within the 2 s gap, not after 60 s.
    let _ = demand_tx.send(Demand {
        routes: false,
        ..demand()
    });
    let mut st = state();
    until(&mut rx, &mut st, 10, "cpu", |s| s.cpu.window_secs == 900).await;
    let _ = demand_tx.send(Demand {
        routes: false,
        cpu_window_secs: 3600,
        ..demand()
    });
    until(&mut rx, &mut st, 10, "the 1h window", |s| {
        s.cpu.window_secs == 3600
    })
    .await;
    assert_eq!(st.cpu.step_secs, 20, "3600 s over 180 points");
    assert!(st.routes.is_empty(), "routes hidden: never queried");
    for t in tasks {
        t.abort();
    }
}

fn dark() -> opsdeck::theme::Theme {
    opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

/// The cockpit's analysis replay against a real Prometheus: the metric's resolved query run
/// again now for the canary, and the same query with stable's pod-template hash for stable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_query_is_run_again_for_canary_and_stable() {
    use opsdeck::model::replay::{ReplayQuery, Tracks, stable_query};
    let p = platform();
    let prom = servers::prometheus("prom-replay", &p.om);
    let canary = format!(
        r#"sum(rate(route_response_total{{rollouts_pod_template_hash="{CANARY}",classification="success",direction="inbound"}}[5m])) / sum(rate(route_response_total{{rollouts_pod_template_hash="{CANARY}",direction="inbound"}}[5m]))"#
    );
    let tracks = Tracks {
        canary_hash: CANARY,
        stable_hash: STABLE,
        canary_service: "",
        stable_service: "",
        canary_version: "",
        stable_version: "",
    };
    let q = ReplayQuery {
        namespace: "dev".into(),
        rollout: "store".into(),
        metric: "success-rate".into(),
        stable: stable_query(&canary, &tracks),
        canary,
    };
    assert!(
        q.stable
            .as_ref()
            .is_ok_and(|s| s.contains(STABLE) && !s.contains(CANARY))
    );
    let only_replay = Demand {
        cpu: false,
        routes: false,
        replay: vec![q],
        ..demand()
    };
    let (mut rx, _d, tasks, _) = pollers_at(&prom, None, only_replay);
    let mut s = state();
    until(&mut rx, &mut s, 30, "the replay", |s| !s.replays.is_empty()).await;
    let r = &s.replays[0];
    let (Ok(c), Some(Ok(st))) = (&r.canary, &r.stable) else {
        panic!("{r:?}")
    };
    assert!(close(c[0], 0.8) && close(st[0], 1.0), "{r:?}");
    assert!(
        s.cpu.nodes.is_empty() && s.routes.is_empty(),
        "nothing else was asked"
    );
    for t in tasks {
        t.abort();
    }
}
