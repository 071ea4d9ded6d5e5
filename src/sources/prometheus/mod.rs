//! Prometheus: node and pod CPU for the CPU pane, Linkerd route metrics for the routes pane and
//! the cockpit. Reached by URL or, with no configuration, through the API server's service
//! proxy (kube-prometheus-stack in `monitoring`, linkerd-viz's own Prometheus for the mesh).
//!
//! Two tasks (CPU, mesh) poll only while their data is on screen ([`Demand`]), refresh at once
//! when the window or the chart's width changes, time out every query, keep the last good data
//! on errors (State shows its age) and back off.

pub mod api;
pub mod cpu;
pub mod mesh;
pub mod queries;

use crate::net::http::{Endpoint, ServiceRef, backoff};
use crate::sources::kube::parse::{ServiceProfile, parse_service_profile};
use crate::state::{Demand, Health, SourceId, Update};
use api::Prometheus;
use queries::PodCpuSource;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How often visible data is refreshed.
pub const REFRESH: Duration = Duration::from_secs(15);
/// The longest wait between retries after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Earliest refresh after a change of what is on screen.
const MIN_GAP: Duration = Duration::from_secs(2);

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
    /// For discovery, the service proxy and ServiceProfiles.
    pub kube: Option<kube::Client>,
    pub monitoring_namespace: String,
    pub viz_namespace: String,
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

/// Explains linkerd-viz's Prometheus refusing us (PROTOCOLS §3.1).
pub const VIZ_REFUSED: &str = "linkerd-viz's Prometheus refused the request: its AuthorizationPolicy admits only the metrics-api service account. Port-forward it (kubectl -n linkerd-viz port-forward deploy/prometheus 9090) and start opsdeck with --mesh-prometheus http://localhost:9090, add an AuthorizationPolicy for your identity, or federate Linkerd's metrics into the main Prometheus (docs/prometheus.md)";

pub fn spawn(
    setup: PromSetup,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
    stats: Arc<PromStats>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let cpu = tokio::spawn(run(
        Kind::Cpu,
        setup.clone(),
        demand.clone(),
        tx.clone(),
        stats.clone(),
    ));
    let mesh = tokio::spawn(run(Kind::Mesh, setup, demand, tx, stats));
    vec![cpu, mesh]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Cpu,
    Mesh,
}

impl Kind {
    fn source(self) -> SourceId {
        match self {
            Kind::Cpu => SourceId::Cpu,
            Kind::Mesh => SourceId::Mesh,
        }
    }
    fn wanted(self, d: &Demand) -> bool {
        match self {
            Kind::Cpu => d.cpu,
            Kind::Mesh => d.routes,
        }
    }
    /// The part of the demand that changes this source's queries.
    fn key(self, d: &Demand) -> String {
        match self {
            Kind::Cpu => format!(
                "{} {} {:?} {:?}",
                d.cpu_window_secs,
                d.cpu_step(),
                d.namespaces,
                d.rollouts
            ),
            Kind::Mesh => format!(
                "{} {:?} {:?}",
                d.route_window_secs, d.namespaces, d.rollouts
            ),
        }
    }
}

async fn send_health(tx: &mpsc::Sender<Update>, source: SourceId, health: Health) {
    let _ = tx.send(Update::SourceHealth { source, health }).await;
}

/// What a source keeps between refreshes.
struct Conn {
    prom: Prometheus,
    pod_source: Option<PodCpuSource>,
    profiles: Vec<ServiceProfile>,
    profiles_at: Option<Instant>,
}

async fn run(
    kind: Kind,
    setup: PromSetup,
    mut demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
    stats: Arc<PromStats>,
) {
    let source = kind.source();
    let mut conn: Option<Conn> = None;
    let mut failures = 0u32;
    let mut last_key: Option<String> = None;
    let mut last_run: Option<Instant> = None;
    loop {
        let d = demand.borrow_and_update().clone();
        if !kind.wanted(&d) {
            // Hidden: no queries until it is on screen again.
            if demand.changed().await.is_err() {
                return;
            }
            continue;
        }
        let key = kind.key(&d);
        let target = if last_run.is_none() {
            Duration::ZERO
        } else if failures > 0 {
            backoff(failures - 1, MAX_BACKOFF)
        } else if last_key.as_ref() != Some(&key) {
            MIN_GAP
        } else {
            setup.refresh
        };
        let elapsed = last_run.map_or(Duration::MAX, |t| t.elapsed());
        if elapsed < target {
            tokio::select! {
                r = demand.changed() => if r.is_err() { return },
                _ = tokio::time::sleep(target - elapsed) => {}
            }
            continue;
        }
        last_run = Some(Instant::now());
        last_key = Some(key);
        if conn.is_none() {
            match connect(kind, &setup).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    failures += 1;
                    send_health(&tx, source, Health::Error(e)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = Instant::now();
        let result = match kind {
            Kind::Cpu => refresh_cpu(c, &d).await.map(|(u, n)| (vec![u], n)),
            Kind::Mesh => refresh_mesh(c, &d, &setup).await,
        };
        match result {
            Ok((updates, queries)) => {
                stats.cycle(queries, started.elapsed());
                tracing::debug!(?kind, queries, took = ?started.elapsed(), "prometheus refresh");
                failures = 0;
                for u in updates {
                    let _ = tx.send(u).await;
                }
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(?kind, "prometheus: {e}");
                send_health(&tx, source, Health::Error(e)).await;
                // Rediscover after repeated failures: the Service may have moved.
                if failures >= 3 && !matches!(location(kind, &setup), Location::Url(_)) {
                    conn = None;
                }
            }
        }
    }
}

fn location(kind: Kind, setup: &PromSetup) -> &Location {
    match kind {
        Kind::Cpu => &setup.cpu,
        Kind::Mesh => &setup.mesh,
    }
}

/// Answers a trivial query: reachable, authorised, and a Prometheus.
async fn probe(e: &Endpoint) -> Result<(), (Option<u16>, String)> {
    let r = e
        .get("api/v1/query", &[("query", "vector(1)".to_string())])
        .await
        .map_err(|err| (err.status, err.message))?;
    api::parse_vector(&r.body).map(|_| ()).map_err(|m| {
        (
            None,
            format!("{} does not look like Prometheus: {m}", e.describe()),
        )
    })
}

async fn connect(kind: Kind, setup: &PromSetup) -> Result<Conn, String> {
    let endpoint = match location(kind, setup) {
        Location::Url(e) => e.clone().with_timeout(setup.timeout),
        Location::Service(s) => {
            let client = setup
                .kube
                .clone()
                .ok_or("a Prometheus service needs a cluster connection")?;
            Endpoint::service(client, s.clone()).with_timeout(setup.timeout)
        }
        Location::Discover => discover(kind, setup).await?,
    };
    if let Location::Url(_) | Location::Service(_) = location(kind, setup) {
        probe(&endpoint).await.map_err(|(status, m)| {
            if status == Some(403) && kind == Kind::Mesh {
                format!("{VIZ_REFUSED} ({m})")
            } else {
                m
            }
        })?;
    }
    tracing::info!(?kind, endpoint = %endpoint.describe(), "prometheus found");
    Ok(Conn {
        prom: Prometheus::new(endpoint),
        pod_source: None,
        profiles: Vec::new(),
        profiles_at: None,
    })
}

/// kube-prometheus-stack's Prometheus: the operator's `prometheus-operated`, then Services
/// labelled as Prometheus, in the monitoring namespace.
async fn main_candidates(client: &kube::Client, ns: &str) -> Vec<ServiceRef> {
    let mut out = vec![ServiceRef::new(ns, "prometheus-operated", "9090")];
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), ns);
    for selector in [
        "app=kube-prometheus-stack-prometheus",
        "app.kubernetes.io/name=prometheus",
    ] {
        let lp = kube::api::ListParams::default().labels(selector);
        if let Ok(list) = api.list(&lp).await {
            for s in list.items {
                let name = s.metadata.name.unwrap_or_default();
                let port = s
                    .spec
                    .and_then(|sp| sp.ports)
                    .and_then(|ports| {
                        ports
                            .iter()
                            .find(|p| p.port == 9090 || p.name.as_deref() == Some("http-web"))
                            .or(ports.first())
                            .map(|p| p.port.to_string())
                    })
                    .unwrap_or_else(|| "9090".into());
                let r = ServiceRef::new(ns, &name, &port);
                if !name.is_empty() && !out.contains(&r) {
                    out.push(r);
                }
            }
        }
    }
    out
}

async fn discover(kind: Kind, setup: &PromSetup) -> Result<Endpoint, String> {
    let client = setup.kube.clone().ok_or(
        "no Prometheus: give --prometheus URL (there is no cluster connection to discover one)",
    )?;
    let mut candidates = Vec::new();
    if kind == Kind::Mesh {
        candidates.push(ServiceRef::new(&setup.viz_namespace, "prometheus", "9090"));
    }
    candidates.extend(main_candidates(&client, &setup.monitoring_namespace).await);
    let mut refused_by_viz = None;
    let mut tried = Vec::new();
    for c in candidates {
        let e = Endpoint::service(client.clone(), c.clone()).with_timeout(setup.timeout);
        match probe(&e).await {
            Ok(()) => {
                if kind == Kind::Mesh && c.namespace != setup.viz_namespace {
                    // The main Prometheus serves the mesh only if it has Linkerd's metrics.
                    let p = Prometheus::new(e.clone());
                    let has = p
                        .query("count(route_response_total) or count(response_total{direction=\"inbound\"})")
                        .await
                        .map(|v| !v.is_empty())
                        .unwrap_or(false);
                    if !has {
                        tried.push(format!("{c}: no Linkerd metrics"));
                        continue;
                    }
                }
                return Ok(e);
            }
            Err((Some(403), m)) if c.namespace == setup.viz_namespace => {
                refused_by_viz = Some(m);
            }
            Err((_, m)) => tried.push(m),
        }
    }
    if let Some(m) = refused_by_viz {
        return Err(format!("{VIZ_REFUSED} ({m})"));
    }
    Err(format!(
        "no Prometheus found through the API server ({}); give --prometheus URL or --prometheus-service NS/NAME:PORT",
        tried.join("; ")
    ))
}

async fn refresh_cpu(c: &mut Conn, d: &Demand) -> Result<(Update, u64), String> {
    let mut queries = 0;
    if c.pod_source.is_none() {
        // Prefer kube-prometheus-stack's recording rules; fall back to raw cAdvisor.
        let mut found = PodCpuSource::Cadvisor;
        for (rule, src) in [
            (queries::RULE_RATE5M, PodCpuSource::RuleRate5m),
            (queries::RULE_IRATE, PodCpuSource::RuleIrate),
        ] {
            queries += 1;
            if !c.prom.query(&format!("count({rule})")).await?.is_empty() {
                found = src;
                break;
            }
        }
        c.pod_source = Some(found);
    }
    let step = d.cpu_step();
    let window = d.cpu_window_secs.max(60);
    let end = chrono::Utc::now().timestamp();
    let end = end - end.rem_euclid(i64::from(step));
    let start = end - i64::from(window);
    let range = crate::query::promql::rate_range(step);
    let nodes = c
        .prom
        .query_range(&queries::node_cpu(&range), start, end, step)
        .await?;
    let pod_q = queries::pod_cpu(
        c.pod_source.unwrap_or(PodCpuSource::Cadvisor),
        &d.namespaces,
        &range,
    );
    let pods = c.prom.query_range(&pod_q, start, end, step).await?;
    queries += 2;
    Ok((
        Update::Cpu(cpu::assemble(nodes, pods, &d.rollouts, step, window)),
        queries,
    ))
}

const PROFILES_EVERY: Duration = Duration::from_secs(60);

async fn load_profiles(
    client: &kube::Client,
    namespaces: &[String],
) -> Result<Vec<ServiceProfile>, String> {
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("linkerd.io", "v1alpha2", "ServiceProfile"),
        "serviceprofiles",
    );
    let apis: Vec<Api<DynamicObject>> = if namespaces.is_empty() {
        vec![Api::all_with(client.clone(), &ar)]
    } else {
        namespaces
            .iter()
            .map(|n| Api::namespaced_with(client.clone(), n, &ar))
            .collect()
    };
    let mut out = Vec::new();
    for api in apis {
        match api.list(&ListParams::default()).await {
            Ok(list) => {
                for o in list.items {
                    let v = serde_json::to_value(&o).unwrap_or_default();
                    match parse_service_profile(&v) {
                        Ok(p) => out.push(p),
                        Err(e) => tracing::warn!("skipping a ServiceProfile: {e}"),
                    }
                }
            }
            // Linkerd's CRD not installed: no profiles, HTTPRoute metrics may still serve.
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(kube::Error::Api(s)) if s.code == 403 => {
                return Err(format!(
                    "cannot list ServiceProfiles (403: {}); route timeouts and retry budgets need get/list on serviceprofiles.linkerd.io",
                    s.message
                ));
            }
            Err(e) => return Err(format!("cannot list ServiceProfiles: {e}")),
        }
    }
    Ok(out)
}

async fn refresh_mesh(
    c: &mut Conn,
    d: &Demand,
    setup: &PromSetup,
) -> Result<(Vec<Update>, u64), String> {
    if let Some(client) = &setup.kube
        && c.profiles_at.is_none_or(|t| t.elapsed() >= PROFILES_EVERY)
    {
        match load_profiles(client, &d.namespaces).await {
            Ok(p) => c.profiles = p,
            Err(e) => tracing::warn!("{e}"),
        }
        c.profiles_at = Some(Instant::now());
    }
    let w = d.route_window_secs.max(10);
    let q = queries::route_queries(&d.namespaces, w);
    let p = &c.prom;
    let (inbound, effective, actual) = tokio::try_join!(
        p.query(&q.inbound),
        p.query(&q.effective),
        p.query(&q.actual)
    )?;
    let mut queries = 3;
    let mut inputs = mesh::MeshInputs {
        inbound,
        effective,
        actual,
        ..Default::default()
    };
    for (qv, text) in &q.latency {
        inputs.latency.push((*qv, p.query(text).await?));
    }
    for (qv, text) in &q.latency_by_hash {
        inputs.latency_by_hash.push((*qv, p.query(text).await?));
    }
    queries += 6;
    // Services in scope without a profile: HTTPRoute metrics, and whether they are meshed.
    let unprofiled = d.rollouts.iter().any(|t| {
        !c.profiles
            .iter()
            .any(|p| p.namespace == t.namespace && p.service == t.name)
    });
    if unprofiled {
        let h = queries::http_route_queries(&d.namespaces, w);
        inputs.http_statuses = p.query(&h.statuses).await?;
        inputs.http_backend_statuses = p.query(&h.backend_statuses).await?;
        queries += 2;
        if !inputs.http_statuses.is_empty() {
            for (qv, text) in &h.latency {
                inputs.http_latency.push((*qv, p.query(text).await?));
            }
            queries += 3;
        }
        inputs.meshed = p.query(&queries::meshed_workloads(&d.namespaces)).await?;
        queries += 1;
    }
    let (routes, notes) = mesh::assemble(&inputs, &c.profiles, &d.rollouts, w);
    Ok((
        vec![Update::Routes(routes), Update::MeshNotes(notes)],
        queries,
    ))
}
