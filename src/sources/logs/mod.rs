//! The error-log source, whatever store holds the lines. A store is a provider behind
//! [`LogStore`] (Loki, OpenSearch / Elasticsearch): it backfills and then follows one query, handing raw [`Entry`]s
//! to a [`Sink`]. The supervisor here restarts it when the scope in force changes (the pane
//! narrowed to a service or a track, or widened again), turns entries into log lines and
//! reports health — so the pane, narrowing, search and the ring never know which store fed them.

pub mod choose;
mod lines;
pub mod loki;
pub mod opensearch;

pub use lines::{Entry, Interner, to_log_line};

use crate::query::LogQuery;
use crate::state::{Demand, Health, SourceId, Update};
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// A log store: what it is asked, and how it follows a query.
pub trait LogStore: Send + Sync + 'static {
    /// The configured query, in the store's own language; narrowed by the supervisor.
    fn query(&self) -> &LogQuery;
    /// Backfills and then follows `query` until the sink closes (or the task is aborted),
    /// retrying on its own after failures and saying so through the sink.
    fn follow(self: Arc<Self>, query: String, sink: Sink) -> BoxFuture<'static, ()>;
}

/// Where a store's lines go: made into log lines with the rollouts on screen, and sent.
pub struct Sink {
    tx: mpsc::Sender<Update>,
    demand: watch::Receiver<Demand>,
    names: Interner,
    /// The store's configured query (the pane narrows it itself).
    query: LogQuery,
    /// Feeding one container's log view instead of the pane, and whether its first lines
    /// are still to come (they replace what the view held).
    pod: Option<(crate::model::PodLogTarget, bool)>,
}

impl Sink {
    /// Sends entries as log lines; false when opsdeck is quitting.
    pub async fn lines(&mut self, entries: Vec<Entry>) -> bool {
        // A container quiet through the backfill still answers: an empty first read.
        let first_of_pod = self.pod.as_ref().is_some_and(|(_, first)| *first);
        if entries.is_empty() && !first_of_pod {
            return true;
        }
        let tracked = self.demand.borrow().rollouts.clone();
        let lines = entries
            .iter()
            .map(|e| to_log_line(e, &tracked, &mut self.names))
            .collect();
        match self.pod.as_mut() {
            Some((target, first)) => {
                let reset = std::mem::take(first);
                let u = Update::PodLog {
                    target: target.clone(),
                    lines: Ok(lines),
                    reset,
                };
                self.tx.send(u).await.is_ok()
            }
            None => self.tx.send(Update::Logs(lines)).await.is_ok(),
        }
    }

    pub async fn health(&self, health: Health) -> bool {
        if let Some((target, _)) = &self.pod {
            // The pod log view says a store's failure itself; the pane's health is not its.
            return match health {
                Health::Error(e) | Health::Degraded(e) | Health::Off(e) => {
                    let u = Update::PodLog {
                        target: target.clone(),
                        lines: Err(e),
                        reset: false,
                    };
                    self.tx.send(u).await.is_ok()
                }
                // Answering again: an earlier failure is over (no lines, nothing reset).
                Health::Ok => {
                    let u = Update::PodLog {
                        target: target.clone(),
                        lines: Ok(Vec::new()),
                        reset: false,
                    };
                    self.tx.send(u).await.is_ok()
                }
                Health::Connecting => !self.tx.is_closed(),
            };
        }
        self.tx
            .send(Update::SourceHealth {
                source: SourceId::Logs,
                health,
            })
            .await
            .is_ok()
    }

    /// The store said it could not deliver `n` lines.
    pub async fn dropped(&self, n: u64) -> bool {
        n == 0 || self.pod.is_some() || self.tx.send(Update::LogsDroppedByServer(n)).await.is_ok()
    }

    /// What it feeds is on screen now.
    pub fn is_visible(&self) -> bool {
        let d = self.demand.borrow();
        match &self.pod {
            Some((t, _)) => d.pod_log.as_ref() == Some(t),
            None => d.logs,
        }
    }

    /// Waits until what it feeds is on screen (a polled store stops while it is not); false
    /// when opsdeck is quitting.
    pub async fn visible(&mut self) -> bool {
        match self.pod.clone() {
            Some((t, _)) => self
                .demand
                .wait_for(|d| d.pod_log.as_ref() == Some(&t))
                .await
                .is_ok(),
            None => self.demand.wait_for(|d| d.logs).await.is_ok(),
        }
    }

    /// The store in use and its version (`opensearch 2.11.0`), for the source health, with
    /// the query the pane shows.
    pub async fn store(&self, name: String) -> bool {
        if self.pod.is_some() {
            return !self.tx.is_closed();
        }
        let query = self.query.clone();
        self.tx.send(Update::LogStore { name, query }).await.is_ok()
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a store until the channel closes, starting it over whenever the query in force changes.
pub fn spawn(
    store: Arc<dyn LogStore>,
    mut demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    // The container log view reads the same store; aborted with this supervisor.
    let pods = AbortOnDrop(spawn_pod_log(store.clone(), demand.clone(), tx.clone()));
    tokio::spawn(async move {
        let _pods = pods;
        let query_of = |d: &Demand| store.query().narrowed(d.log_scope.as_ref());
        let mut current = query_of(&demand.borrow_and_update());
        loop {
            let sink = Sink {
                tx: tx.clone(),
                demand: demand.clone(),
                names: Interner::default(),
                query: store.query().clone(),
                pod: None,
            };
            // Aborted with the supervisor too (a context switch aborts the supervisor).
            let mut worker = AbortOnDrop(tokio::spawn(store.clone().follow(current.clone(), sink)));
            loop {
                tokio::select! {
                    r = demand.changed() => {
                        if r.is_err() {
                            return;
                        }
                        let q = query_of(&demand.borrow_and_update());
                        if q != current {
                            tracing::info!(query = %q, "logs: the query changed");
                            current = q;
                            break;
                        }
                    }
                    _ = &mut worker.0 => return,
                }
            }
        }
    })
}

/// Reads the container log on screen through the store (`Demand.pod_log` while
/// `Demand.pod_log_store`): every line of that container, whatever its level, backfilled and
/// followed as the pane's lines are; started again for another container, stopped when it
/// leaves the screen.
pub fn spawn_pod_log(
    store: Arc<dyn LogStore>,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    let pick = |d: &Demand| d.pod_log.clone().filter(|_| d.pod_log_store);
    tokio::spawn(crate::sources::on_demand(
        demand,
        pick,
        move |target, mut demand| {
            let (store, tx) = (store.clone(), tx.clone());
            async move {
                let query =
                    store
                        .query()
                        .for_pod(&target.namespace, &target.pod, &target.container);
                let sink = Sink {
                    tx,
                    demand: demand.clone(),
                    names: Interner::default(),
                    query: store.query().clone(),
                    pod: Some((target.clone(), true)),
                };
                let _worker = AbortOnDrop(tokio::spawn(store.follow(query, sink)));
                let want = Some(target);
                crate::sources::until_unwanted(&mut demand, |d| pick(d) == want)
                    .await
                    .then_some(demand)
            }
        },
    ))
}
