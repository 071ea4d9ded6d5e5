//! Which log store a live cluster's lines come from (`--logs`): the one named, or with `auto`
//! Loki at its usual Service when it answers, else the first OpenSearch or Elasticsearch found
//! at the usual in-cluster names, else Loki anyway (so its errors say what is missing). With
//! `--logs opensearch` and no URL only OpenSearch is looked for, again every 30 s.

use super::AbortOnDrop;
use super::loki::{self, LokiSetup};
use super::opensearch::{self, OpenSearchSetup};
use crate::net::http::Endpoint;
use crate::state::{Demand, Health, SourceId, Update};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How an OpenSearch found in the cluster is to be asked.
pub type OpenSearchWith = Box<dyn FnOnce(Endpoint) -> Result<OpenSearchSetup, String> + Send>;

pub enum LogPlan {
    Loki(LokiSetup),
    OpenSearch(OpenSearchSetup),
    /// Look for the store; `loki: None` looks for OpenSearch only.
    Discover {
        loki: Option<LokiSetup>,
        opensearch: OpenSearchWith,
        kube: kube::Client,
        timeout: Duration,
    },
}

/// Starts the log source of `plan`.
pub fn spawn(
    plan: LogPlan,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    match plan {
        LogPlan::Loki(s) => loki::spawn(s, demand, tx),
        LogPlan::OpenSearch(s) => opensearch::spawn(s, demand, tx),
        LogPlan::Discover {
            loki,
            opensearch,
            kube,
            timeout,
        } => tokio::spawn(async move {
            // A Service that is not there is 404 (or 503 without endpoints) from the proxy.
            let loki = match loki {
                Some(l) => match l.endpoint.get("ready", &[]).await {
                    Ok(_) => Ok(l),
                    Err(e) if !matches!(e.status, Some(404 | 503)) => Ok(l),
                    Err(_) => Err(Some(l)),
                },
                None => Err(None),
            };
            let inner = match loki {
                Ok(l) => loki::spawn(l, demand, tx),
                Err(fallback) => {
                    let mut found = opensearch::discover(&kube, timeout).await;
                    while found.is_none() && fallback.is_none() {
                        let names: Vec<String> = opensearch::DISCOVER
                            .iter()
                            .map(|(ns, n, p)| format!("{ns}/{n}:{p}"))
                            .collect();
                        let why = format!(
                            "no OpenSearch or Elasticsearch answered at {}; give --opensearch URL \
                             or --opensearch-service",
                            names.join(", ")
                        );
                        if !health(&tx, Health::Error(why)).await {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        found = opensearch::discover(&kube, timeout).await;
                    }
                    match (found, fallback) {
                        (Some(e), _) => match opensearch(e) {
                            Ok(s) => opensearch::spawn(s, demand, tx),
                            Err(why) => {
                                let _ = health(&tx, Health::Error(why)).await;
                                return;
                            }
                        },
                        (None, Some(l)) => {
                            tracing::info!(
                                "logs: no Loki and no OpenSearch answered; staying with Loki"
                            );
                            loki::spawn(l, demand, tx)
                        }
                        (None, None) => return,
                    }
                }
            };
            // Aborted with this task (a context switch), the store's task goes too.
            let mut inner = AbortOnDrop(inner);
            let _ = (&mut inner.0).await;
        }),
    }
}

async fn health(tx: &mpsc::Sender<Update>, health: Health) -> bool {
    tx.send(Update::SourceHealth {
        source: SourceId::Logs,
        health,
    })
    .await
    .is_ok()
}
