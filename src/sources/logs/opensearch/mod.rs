//! OpenSearch and Elasticsearch (PROTOCOLS §10), the log store of EFK platforms: Fluentd's
//! documents searched with the pane's query clause. `GET /` names the server and its version;
//! the index pattern is resolved (the daily `logstash-*` indices narrowed to today's and
//! yesterday's, else `fluentd`); the window is backfilled, then polled every few seconds from a
//! look-back behind the newest line seen, paging with `search_after` when a page is full and
//! de-duplicating on (`_index`, `_id`), so a line indexed late is shown once, in its place.
//! Polling stops while no logs are on screen. Failures keep the lines shown and say what
//! happened: the credential refused, the index missing, shards failed, the cluster overloaded.

mod backend;
pub mod memory;
mod seen;
pub mod wire;

pub use backend::Backend;
pub use seen::Seen;
pub use wire::{Answer, Failure, Hit, Labels, Order, parse_search, search_body};

use super::{LogStore, Sink};
use crate::net::http::{Endpoint, backoff};
use crate::query::LogQuery;
use crate::state::{Demand, Health, Update};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The default index pattern: Fluentd's `logstash_format` daily indices.
pub const DEFAULT_INDEX: &str = "logstash-*";
/// Where Fluentd writes without `logstash_format`.
pub const FALLBACK_INDEX: &str = "fluentd";
/// Polls while the logs are on screen.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// How far behind the newest line each poll looks again: Fluentd's default flush interval
/// (5 s for the elasticsearch output's buffer), the index refresh (1 s) and some slack.
pub const LOOK_BACK: Duration = Duration::from_secs(10);
/// (`_index`, `_id`) pairs remembered for de-duplication.
const SEEN: usize = 200_000;
/// Pages fetched in one round before the pane is given what came (the next round goes on).
const MAX_PAGES: usize = 20;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The index is resolved again this often (and when the UTC day changes).
const RESOLVE_EVERY: Duration = Duration::from_secs(600);

/// Where the store is and what to ask it.
#[derive(Clone)]
pub struct OpenSearchSetup {
    pub backend: Arc<dyn Backend>,
    /// The index pattern; `logstash-*` by default.
    pub index: String,
    /// The pane's query clause, compact JSON.
    pub query: String,
    pub backfill: Duration,
    pub poll_every: Duration,
    pub look_back: Duration,
    pub page: usize,
}

impl OpenSearchSetup {
    pub fn new(backend: Arc<dyn Backend>, query: String) -> Self {
        Self {
            backend,
            index: DEFAULT_INDEX.into(),
            query,
            backfill: Duration::from_secs(300),
            poll_every: POLL_EVERY,
            look_back: LOOK_BACK,
            page: wire::PAGE,
        }
    }
}

/// OpenSearch or Elasticsearch as a log store.
pub struct OpenSearch {
    setup: OpenSearchSetup,
    query: LogQuery,
}

impl OpenSearch {
    pub fn new(setup: OpenSearchSetup) -> Self {
        let query = LogQuery::opensearch(setup.query.clone());
        Self { setup, query }
    }
}

impl LogStore for OpenSearch {
    fn query(&self) -> &LogQuery {
        &self.query
    }

    fn follow(self: Arc<Self>, query: String, sink: Sink) -> BoxFuture<'static, ()> {
        let setup = self.setup.clone();
        Box::pin(async move {
            match crate::query::opensearch::parse(&query) {
                Ok(clause) => run(setup, clause, sink).await,
                Err(e) => {
                    let _ = sink.health(Health::Error(e)).await;
                }
            }
        })
    }
}

/// Runs OpenSearch as the log source: [`super::spawn`] with this store.
pub fn spawn(
    setup: OpenSearchSetup,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    super::spawn(Arc::new(OpenSearch::new(setup)), demand, tx)
}

fn now_ns() -> i128 {
    i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

/// The tail's memory between rounds.
struct Tail {
    what: String,
    seen: Seen,
    labels: Labels,
    /// The newest `@timestamp` delivered; none before the backfill.
    newest: Option<i128>,
    /// The indices searched, when they were resolved, and the UTC day then.
    target: Option<(String, Instant, chrono::NaiveDate)>,
    /// Where an unfinished run of full pages goes on: its lower bound and the last hit's
    /// `sort` (a flood of more than `MAX_PAGES` pages is read to its end, not from the
    /// look-back again).
    paging: Option<(i128, Value)>,
}

/// What one round brought besides lines: a warning to show with them.
type Round = Result<Option<String>, Failure>;

async fn run(setup: OpenSearchSetup, clause: Value, mut sink: Sink) {
    let backend = setup.backend.clone();
    let what = format!("OpenSearch at {}", backend.describe());
    let mut failures = 0u32;
    // Who answers: name and version for the source health.
    loop {
        match backend.get("").await {
            Ok(body) => {
                let name = wire::server_name(&body).unwrap_or_else(|| "opensearch".into());
                if !sink.store(name).await {
                    return;
                }
                break;
            }
            // Serverless collections and some proxies do not serve `/`: go on unnamed.
            Err(e) if matches!(e.status, Some(400 | 404 | 405)) => {
                if !sink.store("opensearch".into()).await {
                    return;
                }
                break;
            }
            Err(e) => {
                let f = wire::failure(&e, &what, &backend.credential(), &setup.index);
                if !retry_later(&sink, &f, &mut failures).await {
                    return;
                }
            }
        }
    }
    let mut tail = Tail {
        what,
        seen: Seen::new(SEEN),
        labels: Labels::default(),
        newest: None,
        target: None,
        paging: None,
    };
    failures = 0;
    loop {
        if tail.newest.is_none()
            && !sink.is_visible()
            && !sink
                .health(Health::Off(
                    "searched only while the logs are on screen".into(),
                ))
                .await
        {
            return;
        }
        if !sink.visible().await {
            return;
        }
        let (round, more) = round(&setup, &clause, &mut tail, &mut sink).await;
        match round {
            Ok(warning) => {
                failures = 0;
                let h = warning.map_or(Health::Ok, Health::Error);
                if !sink.health(h).await {
                    return;
                }
                if !more {
                    tokio::time::sleep(setup.poll_every).await;
                }
            }
            Err(f) => {
                if matches!(f, Failure::NoIndex(_)) {
                    tail.target = None;
                }
                if !retry_later(&sink, &f, &mut failures).await {
                    return;
                }
            }
        }
        if sink.is_closed() {
            return;
        }
    }
}

/// Says what failed and waits before the next try (longer when the cluster is overloaded).
async fn retry_later(sink: &Sink, f: &Failure, failures: &mut u32) -> bool {
    let n = if matches!(f, Failure::Overloaded(_)) {
        *failures + 3
    } else {
        *failures
    };
    let wait = backoff(n, MAX_BACKOFF);
    let msg = format!(
        "{}; trying again in {} s",
        f.message(),
        wait.as_secs().max(1)
    );
    tracing::warn!("logs: {msg}");
    if !sink.health(Health::Error(msg)).await {
        return false;
    }
    tokio::time::sleep(wait).await;
    *failures += 1;
    true
}

/// The indices to search: the daily ones of today and yesterday when the pattern has them,
/// the pattern itself when it matches something, `fluentd` for the default pattern otherwise.
async fn resolve(setup: &OpenSearchSetup, what: &str) -> Result<String, Failure> {
    let b = &setup.backend;
    let lookup = |pattern: String| async move {
        match b.get(&format!("_resolve/index/{pattern}")).await {
            Ok(body) => Ok(wire::resolved(&body)),
            // No resolve API (Elasticsearch before 7.9, serverless): search the pattern.
            Err(e)
                if matches!(e.status, Some(400 | 404 | 405))
                    && !e.body.contains("index_not_found") =>
            {
                Ok(None)
            }
            Err(e) if e.body.contains("index_not_found") => Ok(Some(Vec::new())),
            Err(e) => Err(wire::failure(&e, what, &b.credential(), &pattern)),
        }
    };
    let pattern = setup.index.clone();
    let Some(names) = lookup(pattern.clone()).await? else {
        return Ok(pattern);
    };
    if let Some(prefix) = pattern.strip_suffix('*') {
        let [today, yesterday] = wire::daily(prefix, chrono::Utc::now());
        if names.contains(&today) || names.contains(&yesterday) {
            // Today's index may not exist yet just after midnight: it is searched anyway
            // (`ignore_unavailable`), so its first lines are not missed until the next resolve.
            let mut daily = vec![today];
            if names.contains(&yesterday) {
                daily.push(yesterday);
            }
            return Ok(daily.join(","));
        }
    }
    if !names.is_empty() {
        return Ok(pattern);
    }
    if pattern == DEFAULT_INDEX {
        match lookup(FALLBACK_INDEX.into()).await? {
            Some(n) if n.is_empty() => {}
            _ => return Ok(FALLBACK_INDEX.into()),
        }
        return Err(Failure::NoIndex(format!(
            "no index matches {DEFAULT_INDEX} or {FALLBACK_INDEX} on {what}; give the index \
             Fluentd writes with --opensearch-index"
        )));
    }
    Err(Failure::NoIndex(format!(
        "no index matches {pattern} on {what} (--opensearch-index)"
    )))
}

/// One round: resolve the index if due, then the backfill (first) or a poll from the
/// look-back; returns what to say and whether more pages are waiting.
async fn round(
    setup: &OpenSearchSetup,
    clause: &Value,
    tail: &mut Tail,
    sink: &mut Sink,
) -> (Round, bool) {
    let today = chrono::Utc::now().date_naive();
    let stale = tail
        .target
        .as_ref()
        .is_none_or(|(_, at, day)| at.elapsed() >= RESOLVE_EVERY || *day != today);
    if stale {
        match resolve(setup, &tail.what).await {
            Ok(t) => {
                tracing::info!(indices = %t, "opensearch: searching");
                tail.target = Some((t, Instant::now(), today));
            }
            Err(f) => return (Err(f), false),
        }
    }
    let index = tail
        .target
        .as_ref()
        .map(|(t, _, _)| t.clone())
        .unwrap_or_default();
    let now = now_ns();
    let Some(newest) = tail.newest else {
        // The backfill: the newest page of the window, shown oldest first.
        let from = now - setup.backfill.as_nanos() as i128;
        let body = search_body(clause, from, Order::Desc, setup.page, None);
        let answer = match search(setup, &index, &body, tail).await {
            Ok(a) => a,
            Err(f) => return (Err(f), false),
        };
        let warning = warning(&answer);
        let mut hits = answer.hits;
        hits.reverse();
        tail.newest = Some(hits.last().map_or(now, |h| h.entry.ts_ns.max(from)));
        let fresh = tail.seen.admit(hits);
        if !sink.lines(fresh).await {
            return (Ok(None), false);
        }
        return (Ok(warning), false);
    };
    // A hidden pane is not polled; back on screen, it is caught up to the backfill's window.
    // A timestamp ahead of the clock (a skewed node) does not carry the look-back with it:
    // the look-back never starts after now less itself.
    let floor = now - (setup.backfill + setup.look_back).as_nanos() as i128;
    let (from, mut after) = match tail.paging.take() {
        Some((from, after)) => (from, Some(after)),
        None => {
            let from = (newest.min(now) - setup.look_back.as_nanos() as i128).max(floor);
            tail.seen.forget_before(from);
            (from, None)
        }
    };
    let mut warning_seen = None;
    for _ in 0..MAX_PAGES {
        let body = search_body(clause, from, Order::Asc, setup.page, after.as_ref());
        let answer = match search(setup, &index, &body, tail).await {
            Ok(a) => a,
            Err(f) => return (Err(f), false),
        };
        if warning_seen.is_none() {
            warning_seen = warning(&answer);
        }
        let full = answer.hits.len() + answer.unreadable >= setup.page;
        after = answer.last_sort.clone();
        if let Some(t) = answer.hits.iter().map(|h| h.entry.ts_ns).max() {
            tail.newest = Some(tail.newest.unwrap_or(newest).max(t));
        }
        let mut fresh = tail.seen.admit(answer.hits);
        fresh.sort_by_key(|e| e.ts_ns);
        if !sink.lines(fresh).await {
            return (Ok(None), false);
        }
        if !full || after.as_ref().is_none_or(|a| !a.is_array()) {
            return (Ok(warning_seen), false);
        }
    }
    tail.paging = after.map(|a| (from, a));
    (Ok(warning_seen), tail.paging.is_some())
}

async fn search(
    setup: &OpenSearchSetup,
    index: &str,
    body: &Value,
    tail: &mut Tail,
) -> Result<Answer, Failure> {
    let b = &setup.backend;
    let text = b
        .search(index, body)
        .await
        .map_err(|e| wire::failure(&e, &tail.what, &b.credential(), index))?;
    parse_search(&text, &tail.what, &mut tail.labels)
}

/// Partial results are shown, and said to be partial.
fn warning(a: &Answer) -> Option<String> {
    if let Some((failed, total, why)) = &a.partial {
        return Some(format!(
            "{failed} of {total} shards failed ({why}); showing what came back"
        ));
    }
    if a.timed_out {
        return Some("the search timed out on the server; showing what came back".into());
    }
    if a.unreadable > 0 {
        return Some(format!(
            "{} hits had no @timestamp, log/message or _id and are not shown",
            a.unreadable
        ));
    }
    None
}

/// Credentials from the environment: `OPSDECK_OPENSEARCH_USER` + `OPSDECK_OPENSEARCH_PASSWORD`
/// (basic), `OPSDECK_OPENSEARCH_API_KEY` (Elasticsearch API key, the base64 `id:key`), or
/// `OPSDECK_OPENSEARCH_TOKEN` (bearer); SigV4 for AWS-managed domains. Returns the endpoint.
pub fn endpoint(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
    sigv4: SigV4Choice,
    timeout: Duration,
) -> Result<Endpoint, String> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    let other = [
        "OPSDECK_OPENSEARCH_TOKEN",
        "OPSDECK_OPENSEARCH_API_KEY",
        "OPSDECK_OPENSEARCH_USER",
    ]
    .iter()
    .any(|k| get(k).is_some())
        || url::Url::parse(url).is_ok_and(|u| !u.username().is_empty());
    let mut e = Endpoint::direct(url, get("OPSDECK_OPENSEARCH_TOKEN"))?.with_timeout(timeout);
    if let Some(key) = get("OPSDECK_OPENSEARCH_API_KEY") {
        e = e.with_header("Authorization", &format!("ApiKey {key}"));
    } else if let Some(user) = get("OPSDECK_OPENSEARCH_USER") {
        e = e.with_basic(
            &user,
            &get("OPSDECK_OPENSEARCH_PASSWORD").unwrap_or_default(),
        );
    }
    let aws = e.host().as_deref().and_then(crate::net::sigv4::aws_host);
    let sign = match sigv4 {
        SigV4Choice::Off => false,
        SigV4Choice::On => true,
        // An AWS host with a user of its own (fine-grained access control) is not signed.
        SigV4Choice::Auto => aws.is_some() && !other,
    };
    if sign {
        let region = sigv4_region(env)
            .or(aws.as_ref().map(|(r, _)| r.clone()))
            .ok_or("SigV4 needs a region: --aws-region or AWS_REGION")?;
        let service = aws.map_or("es", |(_, s)| s).to_string();
        let credentials = crate::net::sigv4::credentials_from(env)?;
        e = e.with_sigv4(crate::net::sigv4::SigV4 {
            credentials,
            region,
            service,
        });
    }
    Ok(e)
}

fn sigv4_region(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    ["OPSDECK_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.is_empty()))
}

/// `--opensearch-sigv4`: sign when the host is an AWS one (auto), always, or never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SigV4Choice {
    #[default]
    Auto,
    On,
    Off,
}

/// The in-cluster Services tried, in order, when no URL is given (through the API server).
pub const DISCOVER: [(&str, &str, &str); 6] = [
    ("logging", "opensearch-cluster-master", "9200"),
    ("logging", "elasticsearch-master", "9200"),
    ("opensearch", "opensearch-cluster-master", "9200"),
    ("elastic-system", "elasticsearch-master", "9200"),
    ("elastic-system", "elasticsearch-es-http", "9200"),
    ("logging", "opensearch", "9200"),
];

/// The first of [`DISCOVER`] that answers `GET /` as OpenSearch or Elasticsearch.
pub async fn discover(kube: &kube::Client, timeout: Duration) -> Option<Endpoint> {
    for (ns, name, port) in DISCOVER {
        let e = Endpoint::service(
            kube.clone(),
            crate::net::http::ServiceRef::new(ns, name, port),
        )
        .with_timeout(timeout);
        if let Ok(r) = e.get("", &[]).await
            && wire::server_name(&r.body).is_some()
        {
            tracing::info!("opensearch: found {ns}/{name}:{port}");
            return Some(e);
        }
    }
    None
}
