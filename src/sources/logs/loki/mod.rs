//! Loki (PROTOCOLS §5), the first log store: a backfill of the last minutes through
//! `query_range`, then the tail websocket, resumed from the last timestamp seen after any drop
//! (Loki ends tails after an hour) without duplicates or gaps; where the websocket is not
//! available it polls `query_range` forward instead. Lines are bounded and parsed by the log
//! seam (`sources::logs`), and cleaned centrally in `State::apply`.

mod cursor;
mod tail;
pub mod wire;

pub use cursor::Cursor;
pub use wire::{parse_streams, parse_tail};

use super::{LogStore, Sink};
use crate::net::http::{Endpoint, ServiceRef, backoff};
use crate::query::LogQuery;
use crate::state::{Demand, Health, Update};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tail::{TailEnd, poll, tail};
use tokio::sync::{mpsc, watch};
use wire::{now_ns, query_range};

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where Loki is and what to ask it.
#[derive(Clone, Debug)]
pub struct LokiSetup {
    pub endpoint: Endpoint,
    pub query: String,
    /// Minutes of history loaded at start.
    pub backfill: Duration,
    /// Use the tail websocket (off: poll only).
    pub websocket: bool,
}

/// The endpoint for `--loki URL`, `--loki-service`, or `monitoring/loki:3100` through the API
/// server; with `X-Scope-OrgID` when a tenant is given.
pub fn endpoint(
    url: Option<Endpoint>,
    service: Option<ServiceRef>,
    kube: Option<&kube::Client>,
    monitoring_ns: &str,
    tenant: Option<&str>,
    timeout: Duration,
) -> Result<Endpoint, String> {
    let e = match (url, service) {
        (Some(e), _) => e,
        (None, s) => {
            let svc = s.unwrap_or_else(|| ServiceRef::new(monitoring_ns, "loki", "3100"));
            let client = kube.ok_or("no Loki: give --loki URL")?;
            Endpoint::service(client.clone(), svc)
        }
    };
    let e = e.with_timeout(timeout);
    Ok(match tenant.filter(|t| !t.is_empty()) {
        Some(t) => e.with_header("X-Scope-OrgID", t),
        None => e,
    })
}

/// Loki as a log store.
pub struct Loki {
    setup: LokiSetup,
    query: LogQuery,
}

impl Loki {
    pub fn new(setup: LokiSetup) -> Self {
        let query = LogQuery::logql(setup.query.clone());
        Self { setup, query }
    }
}

impl LogStore for Loki {
    fn query(&self) -> &LogQuery {
        &self.query
    }

    fn follow(self: Arc<Self>, query: String, sink: Sink) -> BoxFuture<'static, ()> {
        let mut setup = self.setup.clone();
        setup.query = query;
        Box::pin(run(setup, sink))
    }
}

/// Runs Loki as the log source: [`super::spawn`] with this store.
pub fn spawn(
    setup: LokiSetup,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    super::spawn(Arc::new(Loki::new(setup)), demand, tx)
}

async fn run(setup: LokiSetup, mut sink: Sink) {
    let ep = &setup.endpoint;
    let mut cursor = Cursor::default();
    let mut failures = 0u32;
    // Backfill: the newest entries of the last minutes, oldest first.
    loop {
        let end = now_ns();
        let start = end - setup.backfill.as_nanos() as i128;
        match query_range(ep, &setup.query, start, end, "backward").await {
            Ok(entries) => {
                let fresh = cursor.admit(entries);
                if cursor.last_ns == 0 {
                    cursor.last_ns = end;
                }
                if !sink.store("loki".into()).await
                    || !sink.lines(fresh).await
                    || !sink.health(Health::Ok).await
                {
                    return;
                }
                break;
            }
            Err(e) => {
                if !sink.health(Health::Error(e)).await {
                    return;
                }
                tokio::time::sleep(backoff(failures, MAX_BACKOFF)).await;
                failures += 1;
            }
        }
    }
    let mut use_ws = setup.websocket && ep.url("loki/api/v1/tail").is_some();
    failures = 0;
    loop {
        let result = if use_ws {
            match tail(&setup, &mut cursor, &mut sink).await {
                Err(TailEnd::Unavailable(why)) => {
                    tracing::info!("loki tail websocket unavailable ({why}); polling instead");
                    use_ws = false;
                    continue;
                }
                Err(TailEnd::Closed) => return,
                Err(TailEnd::Failed(e)) => Err(e),
                Ok(()) => Ok(()),
            }
        } else {
            poll(&setup, &mut cursor, &mut sink).await
        };
        match result {
            // The server ended the tail (its one-hour limit, a restart): resume at once.
            Ok(()) => failures = 0,
            Err(e) => {
                tracing::warn!("loki: {e}");
                if !sink.health(Health::Error(e)).await {
                    return;
                }
                tokio::time::sleep(backoff(failures, MAX_BACKOFF)).await;
                failures += 1;
            }
        }
        if sink.is_closed() {
            return;
        }
    }
}
