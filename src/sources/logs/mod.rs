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
}

impl Sink {
    /// Sends entries as log lines; false when opsdeck is quitting.
    pub async fn lines(&mut self, entries: Vec<Entry>) -> bool {
        if entries.is_empty() {
            return true;
        }
        let tracked = self.demand.borrow().rollouts.clone();
        let lines = entries
            .iter()
            .map(|e| to_log_line(e, &tracked, &mut self.names))
            .collect();
        self.tx.send(Update::Logs(lines)).await.is_ok()
    }

    pub async fn health(&self, health: Health) -> bool {
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
        n == 0 || self.tx.send(Update::LogsDroppedByServer(n)).await.is_ok()
    }

    /// The logs are on screen now.
    pub fn is_visible(&self) -> bool {
        self.demand.borrow().logs
    }

    /// Waits until the logs are on screen (a polled store stops while they are not); false
    /// when opsdeck is quitting.
    pub async fn visible(&mut self) -> bool {
        self.demand.wait_for(|d| d.logs).await.is_ok()
    }

    /// The store in use and its version (`opensearch 2.11.0`), for the source health, with
    /// the query the pane shows.
    pub async fn store(&self, name: String) -> bool {
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
    tokio::spawn(async move {
        let query_of = |d: &Demand| store.query().narrowed(d.log_scope.as_ref());
        let mut current = query_of(&demand.borrow_and_update());
        loop {
            let sink = Sink {
                tx: tx.clone(),
                demand: demand.clone(),
                names: Interner::default(),
                query: store.query().clone(),
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
