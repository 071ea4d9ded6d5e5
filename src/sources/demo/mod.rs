//! `--demo`: the embedded platform. A task owns the [`Sim`], advances it with a scaled clock,
//! sends the same Updates a live cluster would, and runs actions for the [`DemoOperator`].
//! On a platform whose logs go through Fluentd into OpenSearch, its lines are indexed as
//! Fluentd documents into an in-process store that the OpenSearch provider follows — the
//! pane's lines take the same path as on a live cluster.

mod canary;
pub mod catalog;
mod fluentd;
pub mod sim;
mod telemetry;

pub use catalog::{PLATFORMS, Platform, platform};
pub use sim::{Scenario, Sim};

use crate::model::{ActionError, ActionRequest, Operator};
use crate::sources::logs::opensearch::{self, OpenSearchSetup, memory::MemoryStore};
use crate::state::{Demand, Health, SourceId, Update};
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

type ActionMsg = (ActionRequest, oneshot::Sender<Result<String, ActionError>>);

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub platform: &'static catalog::Platform,
    pub seed: u64,
    pub scenario: Scenario,
    /// Simulated seconds per real second; 0 freezes time.
    pub speed: f64,
    pub start: chrono::DateTime<chrono::Utc>,
}

/// The OpenSearch query clause of a platform's LogQL intent.
pub fn opensearch_query(platform: &Platform) -> String {
    use crate::query::opensearch::{LogIntent, compact};
    let intent = LogIntent::from_logql(platform.log_query).unwrap_or_default();
    compact(&intent.to_query())
}

/// Starts the demo platform; returns its operator.
pub fn spawn(
    cfg: DemoConfig,
    tx: mpsc::Sender<Update>,
    demand: watch::Receiver<Demand>,
) -> DemoOperator {
    let (act_tx, act_rx) = mpsc::channel::<ActionMsg>(16);
    let demand_for_replay = demand.clone();
    let logs = (cfg.platform.log_store == catalog::LogStoreKind::OpenSearch).then(|| {
        let store = Arc::new(MemoryStore::new(200_000));
        let mut setup = OpenSearchSetup::new(store.clone(), opensearch_query(cfg.platform));
        // The demo's clock may run fast: the backfill covers what a sped-up hour wrote.
        setup.backfill = std::time::Duration::from_secs(3600);
        opensearch::spawn(setup, demand, tx.clone());
        store
    });
    tokio::spawn(run(cfg, tx, act_rx, logs, demand_for_replay));
    DemoOperator { tx: act_tx }
}

/// Sends updates; on an OpenSearch platform the log lines are indexed instead.
async fn send_all(
    tx: &mpsc::Sender<Update>,
    updates: Vec<Update>,
    logs: Option<&(&'static Platform, Arc<MemoryStore>)>,
) -> bool {
    for u in updates {
        let u = match (u, logs) {
            (Update::Logs(lines), Some((platform, store))) => {
                for l in &lines {
                    let (ts, doc) = fluentd::document(platform, l);
                    store.index(ts, doc);
                }
                continue;
            }
            (u, _) => u,
        };
        if tx.send(u).await.is_err() {
            return false;
        }
    }
    true
}

async fn run(
    cfg: DemoConfig,
    tx: mpsc::Sender<Update>,
    mut act_rx: mpsc::Receiver<ActionMsg>,
    store: Option<Arc<MemoryStore>>,
    mut demand: watch::Receiver<Demand>,
) {
    let mut asked_pods: Option<crate::state::PodScope> = None;
    // The diff on screen, answered once per ask (a reconcile makes a new ask).
    let mut asked_diff: Option<crate::model::DiffAsk> = None;
    // The object whose YAML is on screen: answered at once, then at each tick.
    let mut asked_object: Option<crate::model::ObjectRef> = None;
    // The trace on screen (answered once), and the cockpit's search (again every 30 s).
    let mut asked_trace: Option<String> = None;
    let mut asked_search: Option<crate::model::trace::TraceSearch> = None;
    let mut searched_at = cfg.start;
    // The container log on screen, and how far it has been sent.
    let mut asked_log: Option<(crate::model::PodLogTarget, chrono::DateTime<chrono::Utc>)> = None;
    let mut sim = Sim::on(cfg.platform, cfg.seed, cfg.scenario, cfg.start);
    let logs = store.map(|s| (cfg.platform, s));
    let logs = logs.as_ref();
    let mut first = sim.snapshot();
    first.extend(
        SourceId::ALL
            .iter()
            // The OpenSearch provider says how the logs are.
            .filter(|&&s| !(s == SourceId::Logs && logs.is_some()))
            .map(|&source| Update::SourceHealth {
                source,
                health: Health::Ok,
            }),
    );
    if !send_all(&tx, first, logs).await {
        return;
    }
    let speed = cfg.speed.clamp(0.0, 1000.0);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut owed = 0.0_f64;
    loop {
        tokio::select! {
            _ = tick.tick(), if speed > 0.0 => {
                owed += speed;
                let steps = owed.floor();
                owed -= steps;
                if steps < 1.0 {
                    continue;
                }
                for _ in 0..steps as u64 {
                    sim.step();
                }
                let mut out = sim.drain();
                // The cockpit's analysis queries, answered as the simulated Prometheus would.
                let queries = demand.borrow().replay.clone();
                if !queries.is_empty() {
                    out.push(Update::Replay(sim.replay(&queries)));
                }
                // The pods and events of the rollout on screen, as the watches would send.
                let pods = demand.borrow().pods.clone();
                if let Some(scope) = pods {
                    out.extend(sim.below(&scope));
                }
                // The cockpit's worst traces, searched again as the store would be.
                if let Some(ask) = &asked_search
                    && sim.now - searched_at >= chrono::Duration::seconds(30)
                {
                    searched_at = sim.now;
                    out.push(Update::TraceHits { ask: ask.clone(), hits: Ok(sim.trace_search(ask)) });
                }
                // The object on screen, as its watch would send it.
                if let Some(t) = &asked_object {
                    let view = sim.object(t).map(crate::model::object::object_view);
                    out.push(Update::Object { target: t.clone(), view });
                }
                // The open application's resources, as its watch would send them.
                let tree = demand.borrow().app_tree.clone();
                if let Some((ns, name)) = tree {
                    let tree = sim.app_tree(&ns, &name);
                    out.push(Update::AppTree { namespace: ns, name, tree });
                }
                // A followed log's new lines (a previous run's is whole at once).
                if let Some((t, sent)) = asked_log.as_mut()
                    && !t.previous
                    && let Ok(lines) = sim.pod_log(t, *sent)
                {
                    *sent = sim.now;
                    out.push(Update::PodLog { target: t.clone(), lines: Ok(lines), reset: false });
                }
                if !send_all(&tx, out, logs).await {
                    return;
                }
            }
            // The pods of a rollout just opened are answered at once, not at the next tick
            // (which never comes in a frozen demo).
            changed = demand.changed() => {
                if changed.is_err() {
                    return;
                }
                let (pods, log, tree, diff, object, trace, search) = {
                    let d = demand.borrow_and_update();
                    (
                        d.pods.clone(),
                        d.pod_log.clone(),
                        d.app_tree.clone(),
                        d.app_diff.clone(),
                        d.object.clone(),
                        d.trace.clone(),
                        d.trace_search.clone(),
                    )
                };
                if trace != asked_trace {
                    asked_trace = trace;
                    if let Some(id) = &asked_trace {
                        let u = Update::Trace {
                            id: id.clone(),
                            trace: sim.trace(id),
                            store: "the demo's Jaeger".into(),
                        };
                        if !send_all(&tx, vec![u], logs).await {
                            return;
                        }
                    }
                }
                if search != asked_search {
                    asked_search = search;
                    searched_at = sim.now;
                    if let Some(ask) = &asked_search {
                        let u = Update::TraceHits { ask: ask.clone(), hits: Ok(sim.trace_search(ask)) };
                        if !send_all(&tx, vec![u], logs).await {
                            return;
                        }
                    }
                }
                if object != asked_object {
                    asked_object = object;
                    if let Some(t) = &asked_object {
                        let view = sim.object(t).map(crate::model::object::object_view);
                        if !send_all(&tx, vec![Update::Object { target: t.clone(), view }], logs).await {
                            return;
                        }
                    }
                }
                if diff != asked_diff {
                    asked_diff = diff;
                    if let Some(ask) = &asked_diff {
                        let u = Update::AppDiff { ask: ask.clone(), diff: sim.app_diff(ask) };
                        if !send_all(&tx, vec![u], logs).await {
                            return;
                        }
                    }
                }
                if let Some((ns, name)) = tree {
                    let tree = sim.app_tree(&ns, &name);
                    if !send_all(&tx, vec![Update::AppTree { namespace: ns, name, tree }], logs).await {
                        return;
                    }
                }
                if log.as_ref() != asked_log.as_ref().map(|(t, _)| t) {
                    asked_log = log.map(|t| (t, sim.now));
                    if let Some((t, _)) = &asked_log {
                        // The last half hour, as a first read's tail would give.
                        let lines = sim.pod_log(t, sim.now - chrono::Duration::minutes(30));
                        let u = Update::PodLog { target: t.clone(), lines, reset: true };
                        if !send_all(&tx, vec![u], logs).await {
                            return;
                        }
                    }
                }
                if pods != asked_pods {
                    asked_pods = pods;
                    if let Some(scope) = &asked_pods
                        && !send_all(&tx, sim.below(scope), logs).await
                    {
                        return;
                    }
                }
            }
            msg = act_rx.recv() => {
                let Some((req, reply)) = msg else { return };
                let result = sim.act(&req);
                let _ = reply.send(result);
                if !send_all(&tx, sim.drain(), logs).await {
                    return;
                }
            }
        }
    }
}

/// Runs actions against the simulated platform.
#[derive(Clone)]
pub struct DemoOperator {
    tx: mpsc::Sender<ActionMsg>,
}

impl Operator for DemoOperator {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        let tx = self.tx.clone();
        let stopped = || ActionError::Unreachable("the demo platform has stopped".to_string());
        Box::pin(async move {
            let (reply_tx, reply_rx) = oneshot::channel();
            tx.send((req, reply_tx)).await.map_err(|_| stopped())?;
            reply_rx.await.map_err(|_| stopped())?
        })
    }
}
