//! Loki (PROTOCOLS §5): the error-log tail. A backfill of the last minutes through
//! `query_range`, then the `/loki/api/v1/tail` websocket, resumed from the last timestamp seen
//! after any drop (Loki ends tails after an hour) without duplicates or gaps; where the
//! websocket is not available (the API server proxy, some ingresses) it polls `query_range`
//! forward instead. Lines are bounded, parsed as Spring Boot console lines and sanitized
//! centrally in `State::apply`.

use crate::model::{Level, LogLine, Track, parse_spring};
use crate::net::http::{Endpoint, ServiceRef, backoff, short_body};
use crate::state::{Demand, Tracked};
use crate::state::{Health, SourceId, Update};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const MAX_BACKOFF: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Entries asked for per request (Loki's default cap is 5000).
const LIMIT: usize = 2000;

/// One entry off the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub ts_ns: i128,
    pub labels: std::collections::BTreeMap<String, String>,
    pub line: String,
}

/// `[{"stream": {…}, "values": [["<ns>", "<line>", {…}?], …]}, …]` into entries.
pub fn parse_streams(streams: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in streams.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let labels: std::collections::BTreeMap<String, String> = s["stream"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for v in s["values"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let Some(ts_ns) = v
                .get(0)
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok())
            else {
                continue;
            };
            let line = v.get(1).and_then(Value::as_str).unwrap_or("");
            out.push(Entry {
                ts_ns,
                labels: labels.clone(),
                // A 10 MB line is cut here, before it is copied or parsed.
                line: crate::sanitize::cap(line).into_owned(),
            });
        }
    }
    out.sort_by_key(|e| e.ts_ns);
    out
}

/// A `TailResponse` frame: its entries and the number of entries the server dropped.
pub fn parse_tail(frame: &str) -> Result<(Vec<Entry>, u64), String> {
    let v: Value = serde_json::from_str(frame)
        .map_err(|_| format!("not a Loki tail frame: {}", short_body(frame)))?;
    let dropped = v["dropped_entries"]
        .as_array()
        .map_or(0, |a| a.len() as u64);
    Ok((parse_streams(&v["streams"]), dropped))
}

/// The service a line belongs to: its `app`/`service_name`/`container` label, or its pod's owner.
fn service(labels: &std::collections::BTreeMap<String, String>) -> String {
    for k in [
        "app",
        "service_name",
        "app_kubernetes_io_name",
        "service",
        "container",
    ] {
        if let Some(v) = labels.get(k).filter(|v| !v.is_empty()) {
            return v.clone();
        }
    }
    labels
        .get("pod")
        .map(|p| crate::model::service_of_pod(p).0)
        .unwrap_or_default()
}

/// Shares the strings that repeat across lines (service, pod, logger, thread); bounded.
#[derive(Debug, Default)]
pub struct Interner(std::collections::HashMap<Box<str>, Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        if self.0.len() >= 8192 {
            self.0.clear();
        }
        let a: Arc<str> = s.into();
        self.0.insert(s.into(), a.clone());
        a
    }
}

/// An entry as a log line: a Spring Boot line's parts, continuation lines as its stack.
pub fn to_log_line(e: &Entry, tracked: &[Tracked], names: &mut Interner) -> LogLine {
    let mut lines = e.line.split('\n');
    let first = lines.next().unwrap_or("").trim_end_matches('\r');
    let stack: Vec<String> = lines
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let svc = service(&e.labels);
    let pod = e.labels.get("pod").cloned().unwrap_or_default();
    let hash = e
        .labels
        .get("rollouts_pod_template_hash")
        .cloned()
        .or_else(|| crate::model::service_of_pod(&pod).1);
    let track = tracked
        .iter()
        .find(|t| t.name == svc && t.canary_running())
        .and_then(|t| match hash.as_deref() {
            Some(h) if h == t.canary_hash => Some(Track::Canary),
            Some(h) if h == t.stable_hash => Some(Track::Stable),
            _ => None,
        });
    let ts = DateTime::<Utc>::from_timestamp_nanos(e.ts_ns.clamp(0, i64::MAX as i128) as i64);
    match parse_spring(first) {
        Some(p) => LogLine {
            ts,
            level: p.level,
            service: names.get(&svc),
            pod: names.get(&pod),
            track,
            logger: names.get(p.logger),
            message: p.message.to_string(),
            trace_id: p.trace_id.to_string(),
            thread: names.get(p.thread),
            stack,
        },
        None => {
            let level = e
                .labels
                .get("detected_level")
                .or(e.labels.get("level"))
                .map(|l| Level::parse(&l.to_uppercase()))
                .filter(|l| *l != Level::Unknown)
                .unwrap_or_else(|| guess_level(first));
            LogLine {
                ts,
                level,
                service: names.get(&svc),
                pod: names.get(&pod),
                track,
                logger: names.get(""),
                message: first.to_string(),
                trace_id: String::new(),
                thread: names.get(""),
                stack,
            }
        }
    }
}

fn guess_level(line: &str) -> Level {
    for (w, l) in [
        ("ERROR", Level::Error),
        ("WARN", Level::Warn),
        ("INFO", Level::Info),
        ("DEBUG", Level::Debug),
    ] {
        if line.contains(w) {
            return l;
        }
    }
    Level::Unknown
}

/// What has been delivered: the newest timestamp and the entries seen at it, so a resumed
/// tail or a poll from that timestamp (inclusive) adds nothing twice and misses nothing.
#[derive(Debug, Default)]
pub struct Cursor {
    pub last_ns: i128,
    at_last: HashSet<u64>,
}

fn entry_hash(e: &Entry) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    e.labels.hash(&mut h);
    e.line.hash(&mut h);
    h.finish()
}

impl Cursor {
    /// Keeps the entries not delivered yet (in time order) and remembers them.
    pub fn admit(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            if e.ts_ns < self.last_ns {
                continue;
            }
            let h = entry_hash(&e);
            if e.ts_ns == self.last_ns {
                if !self.at_last.insert(h) {
                    continue;
                }
            } else {
                self.last_ns = e.ts_ns;
                self.at_last.clear();
                self.at_last.insert(h);
            }
            out.push(e);
        }
        out
    }
}

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

fn ns_string(ns: i128) -> String {
    ns.to_string()
}

/// Loki answers errors as plain text: show them as they are.
fn loki_error(e: crate::net::http::HttpError) -> String {
    match e.status {
        Some(code) => format!("Loki answered {code}: {}", short_body(&e.body)),
        None => e.message,
    }
}

async fn query_range(
    ep: &Endpoint,
    query: &str,
    start_ns: i128,
    end_ns: i128,
    direction: &str,
) -> Result<Vec<Entry>, String> {
    let r = ep
        .get(
            "loki/api/v1/query_range",
            &[
                ("query", query.to_string()),
                ("start", ns_string(start_ns)),
                ("end", ns_string(end_ns)),
                ("limit", LIMIT.to_string()),
                ("direction", direction.to_string()),
            ],
        )
        .await
        .map_err(loki_error)?;
    let v: Value = serde_json::from_str(&r.body)
        .map_err(|_| format!("not a Loki answer: {}", short_body(&r.body)))?;
    if v["status"].as_str() != Some("success") {
        return Err(format!("Loki: {}", short_body(&r.body)));
    }
    Ok(parse_streams(&v["data"]["result"]))
}

fn now_ns() -> i128 {
    i128::from(Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the source until the channel closes; when the query in force changes (the pane was
/// narrowed to a service or a track, or widened again) it starts over with the new one.
pub fn spawn(
    setup: LokiSetup,
    mut demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let base = crate::query::LogQuery::logql(setup.query.clone());
        let query_of = |d: &Demand| base.narrowed(d.log_scope.as_ref());
        let mut current = query_of(&demand.borrow_and_update());
        loop {
            let mut s = setup.clone();
            s.query = current.clone();
            // Aborted with the supervisor too (a context switch aborts the supervisor).
            let mut worker = AbortOnDrop(tokio::spawn(run(s, demand.clone(), tx.clone())));
            loop {
                tokio::select! {
                    r = demand.changed() => {
                        if r.is_err() {
                            return;
                        }
                        let q = query_of(&demand.borrow_and_update());
                        if q != current {
                            tracing::info!(query = %q, "loki: the query changed");
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

async fn send_entries(
    tx: &mpsc::Sender<Update>,
    entries: Vec<Entry>,
    demand: &watch::Receiver<Demand>,
    names: &mut Interner,
) -> bool {
    if entries.is_empty() {
        return true;
    }
    let tracked = demand.borrow().rollouts.clone();
    let lines: Vec<LogLine> = entries
        .iter()
        .map(|e| to_log_line(e, &tracked, names))
        .collect();
    tx.send(Update::Logs(lines)).await.is_ok()
}

async fn health(tx: &mpsc::Sender<Update>, h: Health) -> bool {
    tx.send(Update::SourceHealth {
        source: SourceId::Logs,
        health: h,
    })
    .await
    .is_ok()
}

async fn run(setup: LokiSetup, demand: watch::Receiver<Demand>, tx: mpsc::Sender<Update>) {
    let ep = &setup.endpoint;
    let mut cursor = Cursor::default();
    let mut names = Interner::default();
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
                if !send_entries(&tx, fresh, &demand, &mut names).await
                    || !health(&tx, Health::Ok).await
                {
                    return;
                }
                break;
            }
            Err(e) => {
                if !health(&tx, Health::Error(e)).await {
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
            match tail(&setup, &mut cursor, &demand, &tx, &mut names).await {
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
            poll(&setup, &mut cursor, &demand, &tx, &mut names).await
        };
        match result {
            // The server ended the tail (its one-hour limit, a restart): resume at once.
            Ok(()) => failures = 0,
            Err(e) => {
                tracing::warn!("loki: {e}");
                if !health(&tx, Health::Error(e)).await {
                    return;
                }
                tokio::time::sleep(backoff(failures, MAX_BACKOFF)).await;
                failures += 1;
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

enum TailEnd {
    /// No websocket here (a proxy, an old Loki): poll instead.
    Unavailable(String),
    /// opsdeck is quitting.
    Closed,
    Failed(String),
}

/// One tail connection, from the cursor, until the server closes it or it fails.
async fn tail(
    setup: &LokiSetup,
    cursor: &mut Cursor,
    demand: &watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
    names: &mut Interner,
) -> Result<(), TailEnd> {
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
    let Some(mut url) = setup.endpoint.url("loki/api/v1/tail") else {
        return Err(TailEnd::Unavailable("no URL".into()));
    };
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    let _ = url.set_scheme(scheme);
    url.query_pairs_mut()
        .append_pair("query", &setup.query)
        .append_pair("start", &ns_string(cursor.last_ns))
        .append_pair("limit", &LIMIT.to_string())
        .append_pair("delay_for", "0");
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| TailEnd::Failed(format!("bad tail URL: {e}")))?;
    for (k, v) in setup.endpoint.auth_headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            req.headers_mut().insert(name, value);
        }
    }
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), false);
    let (mut ws, _) = match tokio::time::timeout(setup.endpoint.timeout(), connect).await {
        Err(_) => {
            return Err(TailEnd::Failed(
                "Loki tail: no answer to the websocket handshake".into(),
            ));
        }
        Ok(Err(tungstenite::Error::Http(resp))) => {
            let code = resp.status().as_u16();
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            // 4xx with a Loki message (bad query, no org id) is an error to show; a proxy
            // that does not upgrade (404, 400 without a body, 426) means: poll.
            return if body.trim().is_empty() || matches!(code, 404 | 405 | 426 | 501) {
                Err(TailEnd::Unavailable(format!("HTTP {code}")))
            } else {
                Err(TailEnd::Failed(format!(
                    "Loki answered {code}: {}",
                    short_body(&body)
                )))
            };
        }
        Ok(Err(e)) => return Err(TailEnd::Failed(format!("Loki tail: {e}"))),
        Ok(Ok(x)) => x,
    };
    if !health(tx, Health::Ok).await {
        return Err(TailEnd::Closed);
    }
    while let Some(msg) = ws.next().await {
        let text = match msg {
            Ok(tungstenite::Message::Text(t)) => t.to_string(),
            Ok(tungstenite::Message::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
            Ok(tungstenite::Message::Ping(p)) => {
                let _ = ws.send(tungstenite::Message::Pong(p)).await;
                continue;
            }
            Ok(tungstenite::Message::Close(_)) => return Ok(()),
            Ok(_) => continue,
            Err(e) => return Err(TailEnd::Failed(format!("Loki tail dropped: {e}"))),
        };
        match parse_tail(&text) {
            Ok((entries, dropped)) => {
                if dropped > 0 && tx.send(Update::LogsDroppedByServer(dropped)).await.is_err() {
                    return Err(TailEnd::Closed);
                }
                let fresh = cursor.admit(entries);
                if !send_entries(tx, fresh, demand, names).await {
                    return Err(TailEnd::Closed);
                }
            }
            // Loki writes errors into the socket as text before closing it.
            Err(_) => return Err(TailEnd::Failed(format!("Loki: {}", short_body(&text)))),
        }
    }
    Ok(())
}

/// Polls forward from the cursor until an error (the caller backs off and calls again).
async fn poll(
    setup: &LokiSetup,
    cursor: &mut Cursor,
    demand: &watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
    names: &mut Interner,
) -> Result<(), String> {
    let mut first = true;
    loop {
        let entries = query_range(
            &setup.endpoint,
            &setup.query,
            cursor.last_ns,
            now_ns(),
            "forward",
        )
        .await?;
        if first && !health(tx, Health::Ok).await {
            return Ok(());
        }
        first = false;
        let full = entries.len() >= LIMIT;
        let fresh = cursor.admit(entries);
        if !send_entries(tx, fresh, demand, names).await {
            return Ok(());
        }
        if !full {
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streams_parse_with_string_nanoseconds_and_optional_metadata() {
        let v = json!([{"stream": {"namespace": "dev", "app": "store", "pod": "store-5f6b8d9c7-wv5mn"},
            "values": [["1724930401000000000", "b"], ["1724930400123456789", "a", {"trace_id": "abc"}], [1, "number ts skipped"]]}]);
        let e = parse_streams(&v);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].ts_ns, 1724930400123456789);
        assert_eq!(e[0].line, "a");
        let (entries, dropped) = parse_tail(
            r#"{"streams":[{"stream":{"app":"x"},"values":[["5","l"]]}],"dropped_entries":[{"labels":{},"timestamp":"4"}]}"#,
        )
        .unwrap();
        assert_eq!((entries.len(), dropped), (1, 1));
        assert_eq!(parse_tail("{}").unwrap(), (vec![], 0));
        assert!(parse_tail("too many outstanding requests").is_err());
    }

    #[test]
    fn the_cursor_admits_each_entry_once_in_order() {
        let e = |ts: i128, line: &str| Entry {
            ts_ns: ts,
            labels: Default::default(),
            line: line.into(),
        };
        let mut c = Cursor::default();
        assert_eq!(c.admit(vec![e(1, "a"), e(2, "b"), e(2, "c")]).len(), 3);
        // A resumed tail from ts 2 (inclusive) sends b and c again, then d.
        let again = c.admit(vec![e(2, "b"), e(2, "c"), e(2, "d"), e(3, "e")]);
        let lines: Vec<&str> = again.iter().map(|x| x.line.as_str()).collect();
        assert_eq!(lines, vec!["d", "e"]);
        assert!(c.admit(vec![e(1, "late")]).is_empty());
    }

    #[test]
    fn entries_become_spring_lines_with_their_stack_and_track() {
        let labels: std::collections::BTreeMap<String, String> =
            [("app", "store"), ("pod", "store-5f6b8d9c7-wv5mn")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let e = Entry {
            ts_ns: 1_724_930_400_000_000_000,
            labels,
            line: "2024-08-29T11:20:00.000Z ERROR 1 --- [store] [nio-8080-exec-3] [abc-1] c.e.store.ProductController : boom\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)".into(),
        };
        let tracked = [Tracked {
            namespace: "dev".into(),
            name: "store".into(),
            stable_hash: "7c9d8b6f5".into(),
            canary_hash: "5f6b8d9c7".into(),
        }];
        let l = to_log_line(&e, &tracked, &mut Interner::default());
        assert_eq!(l.level, Level::Error);
        assert_eq!(&*l.service, "store");
        assert_eq!(l.track, Some(Track::Canary));
        assert_eq!(l.message, "boom");
        assert_eq!(&*l.thread, "nio-8080-exec-3");
        assert_eq!(l.stack.len(), 2);
        let long = crate::sanitize::cap(&"é".repeat(40_000)).into_owned();
        assert!(long.len() <= crate::sanitize::MAX_LINE + crate::sanitize::TRUNCATED.len());
        assert!(long.ends_with(crate::sanitize::TRUNCATED));
    }
}
