//! One demand-driven poller, for the CPU chart or the mesh's routes: it sleeps while its pane
//! is hidden, refetches at once when what it would ask changes, refreshes every
//! [`REFRESH`](super::REFRESH) otherwise, backs off after errors (keeping the last good data on
//! screen) and finds its Prometheus again after repeated failures.

use super::api::{self, Prometheus};
use super::cpu::{self, PodCpuSource};
use super::{Location, PromSetup, PromStats};
use crate::net::http::{Endpoint, ServiceRef, backoff};
use crate::sources::mesh::MeshProvider;
use crate::state::{Demand, Health, SourceId, Update};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The longest wait between retries. The poller runs only while its pane is on screen, so it
/// retries soon: back within ~2 s of its Prometheus (hidden, it makes no requests at all).
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The wait between searches once [`SEARCHES_SOON`] failures in a row found no Prometheus
/// (none installed, or none with the mesh's metrics): one that is not there seldom appears
/// within seconds, and each search probes every candidate through the API server. A
/// Prometheus that restarts is found again within ~2 s of its return for the first searches.
const SEARCH_BACKOFF: Duration = Duration::from_secs(30);
/// Failures (of queries, then of searches) retried within [`MAX_BACKOFF`] before searches
/// slow to [`SEARCH_BACKOFF`]: about 15 s of retries.
const SEARCHES_SOON: u32 = 8;
/// How long the Services found by label stay the candidates: a search again within it lists
/// nothing (so a cluster without a mesh Prometheus costs its API server no LIST a minute).
const CANDIDATES_KEPT: Duration = Duration::from_secs(300);

/// The Services found by label at the last search, and when.
type Candidates = Option<(Instant, Vec<ServiceRef>)>;
/// Earliest refresh after a change of what is on screen.
const MIN_GAP: Duration = Duration::from_secs(2);

/// What a poller fetches, with what it keeps between refreshes.
pub enum Job {
    /// The CPU chart, and how per-pod CPU is read once found.
    Cpu(Option<PodCpuSource>),
    /// The mesh's routes.
    Mesh(Box<dyn MeshProvider>),
    /// The cockpit's analysis queries, run again now (canary, and stable where it can be
    /// written): only while the cockpit is open on a rollout with a Prometheus analysis.
    Replay,
}

impl Job {
    /// The source whose health this poller's failures are; none for the replay, whose
    /// errors are shown beside each metric.
    fn source(&self) -> Option<SourceId> {
        match self {
            Job::Cpu(_) => Some(SourceId::Cpu),
            Job::Mesh(_) => Some(SourceId::Mesh),
            Job::Replay => None,
        }
    }
    fn name(&self) -> String {
        match self {
            Job::Cpu(_) => "cpu".into(),
            Job::Mesh(m) => m.name(),
            Job::Replay => "analysis replay".into(),
        }
    }
    fn wanted(&self, d: &Demand) -> bool {
        match self {
            Job::Cpu(_) => d.cpu,
            Job::Mesh(_) => d.routes,
            Job::Replay => !d.replay.is_empty(),
        }
    }
    /// The part of the demand that changes this poller's queries.
    fn key(&self, d: &Demand) -> String {
        match self {
            Job::Cpu(_) => format!(
                "{} {} {:?} {:?}",
                d.cpu_window_secs,
                d.cpu_step(),
                d.namespaces,
                d.rollouts
            ),
            Job::Mesh(_) => format!(
                "{} {:?} {:?}",
                d.route_window_secs, d.namespaces, d.rollouts
            ),
            Job::Replay => format!("{:?}", d.replay),
        }
    }
    fn location<'a>(&self, setup: &'a PromSetup) -> &'a Location {
        match self {
            Job::Cpu(_) | Job::Replay => &setup.cpu,
            Job::Mesh(_) => &setup.mesh,
        }
    }
}

async fn send_health(tx: &mpsc::Sender<Update>, source: Option<SourceId>, health: Health) {
    if let Some(source) = source {
        let _ = tx.send(Update::SourceHealth { source, health }).await;
    }
}

pub async fn run(
    mut job: Job,
    setup: PromSetup,
    mut demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
    stats: Arc<PromStats>,
) {
    let source = job.source();
    let mut prom: Option<Prometheus> = None;
    let mut failures = 0u32;
    let mut last_key: Option<String> = None;
    let mut last_run: Option<Instant> = None;
    let mut candidates: Candidates = None;
    loop {
        let d = demand.borrow_and_update().clone();
        if !job.wanted(&d) {
            // Hidden: no queries until it is on screen again.
            if demand.changed().await.is_err() {
                return;
            }
            continue;
        }
        let key = job.key(&d);
        let target = if last_run.is_none() {
            Duration::ZERO
        } else if failures > SEARCHES_SOON
            && prom.is_none()
            && matches!(job.location(&setup), Location::Discover)
        {
            SEARCH_BACKOFF
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
        if prom.is_none() {
            match connect(&job, &setup, &mut candidates).await {
                Ok(p) => prom = Some(p),
                Err(e) => {
                    failures += 1;
                    send_health(&tx, source, Health::Error(e)).await;
                    continue;
                }
            }
        }
        let Some(p) = prom.as_ref() else { continue };
        let started = Instant::now();
        let result = refresh(&mut job, p, &setup, &d).await;
        match result {
            Ok((updates, queries)) => {
                stats.cycle(queries, started.elapsed());
                tracing::debug!(job = %job.name(), queries, took = ?started.elapsed(), "prometheus refresh");
                failures = 0;
                for u in updates {
                    let _ = tx.send(u).await;
                }
            }
            Err(e) => {
                failures += 1;
                // Retried every 2 s: said once, then every minute.
                if failures == 1 || failures.is_multiple_of(30) {
                    tracing::warn!(job = %job.name(), failures, "prometheus: {e}");
                }
                send_health(&tx, source, Health::Error(e)).await;
                // Rediscover after repeated failures: the Service may have moved.
                if failures >= 3 && !matches!(job.location(&setup), Location::Url(_)) {
                    prom = None;
                    candidates = None;
                }
            }
        }
    }
}

async fn refresh(
    job: &mut Job,
    prom: &Prometheus,
    setup: &PromSetup,
    d: &Demand,
) -> Result<(Vec<Update>, u64), String> {
    match job {
        Job::Replay => {
            let mut out = Vec::new();
            for q in d.replay.iter() {
                let run = async |text: &str| {
                    prom.query(text)
                        .await
                        .map(|v| v.into_iter().map(|s| s.value).collect::<Vec<f64>>())
                };
                let canary = run(&q.canary).await;
                let stable = match &q.stable {
                    Ok(text) => Some(run(text).await),
                    Err(_) => None,
                };
                out.push(crate::model::replay::Replay {
                    namespace: q.namespace.clone(),
                    rollout: q.rollout.clone(),
                    metric: q.metric.clone(),
                    canary,
                    stable,
                });
            }
            let n = out.len() as u64 * 2;
            Ok((vec![Update::Replay(out)], n))
        }
        Job::Cpu(pod_source) => {
            let (data, n) = cpu::refresh(prom, pod_source, d).await?;
            Ok((vec![Update::Cpu(data)], n))
        }
        Job::Mesh(mesh) => {
            let m = mesh.refresh(prom, setup.kube.as_ref(), d).await?;
            let mut updates = vec![
                Update::MeshInUse(m.mesh),
                Update::Routes(m.routes),
                Update::MeshNotes(m.notes),
            ];
            // After the routes (which mark the mesh ✓): part of them is stale.
            if let Some(why) = m.degraded {
                updates.push(Update::SourceHealth {
                    source: SourceId::Mesh,
                    health: Health::Degraded(why),
                });
            }
            Ok((updates, m.queries))
        }
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

async fn connect(
    job: &Job,
    setup: &PromSetup,
    candidates: &mut Candidates,
) -> Result<Prometheus, String> {
    let endpoint = match job.location(setup) {
        Location::Url(e) => e.clone().with_timeout(setup.timeout),
        Location::Service(s) => {
            let client = setup
                .kube
                .clone()
                .ok_or("a Prometheus service needs a cluster connection")?;
            Endpoint::service(client, s.clone()).with_timeout(setup.timeout)
        }
        Location::Discover => discover(job, setup, candidates).await?,
    };
    if let Location::Url(_) | Location::Service(_) = job.location(setup) {
        probe(&endpoint)
            .await
            .map_err(|(status, m)| match (status, job) {
                (Some(403), Job::Mesh(mesh)) => match mesh.refused_hint() {
                    Some(hint) => format!("{hint} ({m})"),
                    None => m,
                },
                _ => m,
            })?;
    }
    tracing::info!(job = %job.name(), endpoint = %endpoint.describe(), "prometheus found");
    Ok(Prometheus::new(endpoint))
}

/// kube-prometheus-stack's Prometheus: the operator's `prometheus-operated`, then Services
/// labelled as Prometheus, in the monitoring namespace; false when a list failed (what it
/// found then is not kept).
async fn main_candidates(client: &kube::Client, ns: &str) -> (Vec<ServiceRef>, bool) {
    let mut listed = true;
    let mut out = vec![ServiceRef::new(ns, "prometheus-operated", "9090")];
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), ns);
    for selector in [
        "app=kube-prometheus-stack-prometheus",
        "app.kubernetes.io/name=prometheus",
    ] {
        let lp = kube::api::ListParams::default().labels(selector);
        let Ok(list) = api.list(&lp).await else {
            listed = false;
            continue;
        };
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
    (out, listed)
}

/// The mesh's own Prometheus first, then the main one — for the mesh only if it holds the
/// mesh's metrics.
async fn discover(
    job: &Job,
    setup: &PromSetup,
    candidates: &mut Candidates,
) -> Result<Endpoint, String> {
    let client = setup.kube.clone().ok_or(
        "no Prometheus: give --prometheus URL (there is no cluster connection to discover one)",
    )?;
    let main = match candidates {
        Some((at, found)) if at.elapsed() < CANDIDATES_KEPT => found.clone(),
        _ => {
            let (found, listed) = main_candidates(&client, &setup.monitoring_namespace).await;
            *candidates = listed.then(|| (Instant::now(), found.clone()));
            found
        }
    };
    let (own, candidates) = match job {
        Job::Mesh(mesh) => (mesh.own_prometheus(), mesh.prometheus_candidates(main)),
        Job::Cpu(_) | Job::Replay => {
            let mut v = main;
            for c in &setup.cpu_fallback {
                if !v.contains(c) {
                    v.push(c.clone());
                }
            }
            (Vec::new(), v)
        }
    };
    let mut refused_by_own = None;
    let mut tried = Vec::new();
    for c in candidates {
        let e = Endpoint::service(client.clone(), c.clone()).with_timeout(setup.timeout);
        match probe(&e).await {
            Ok(()) => {
                if let Job::Mesh(mesh) = job
                    && !own.contains(&c)
                {
                    let has = Prometheus::new(e.clone())
                        .query(mesh.metrics_probe())
                        .await
                        .map(|v| !v.is_empty())
                        .unwrap_or(false);
                    if !has {
                        tried.push(format!("{c}: no {} metrics", mesh.name()));
                        continue;
                    }
                }
                return Ok(e);
            }
            Err((Some(403), m)) if own.contains(&c) => refused_by_own = Some(m),
            Err((_, m)) => tried.push(m),
        }
    }
    if let (Some(m), Job::Mesh(mesh)) = (refused_by_own, job)
        && let Some(hint) = mesh.refused_hint()
    {
        return Err(format!("{hint} ({m})"));
    }
    Err(format!(
        "no Prometheus found through the API server ({}); give --prometheus URL or --prometheus-service NS/NAME:PORT",
        tried.join("; ")
    ))
}
