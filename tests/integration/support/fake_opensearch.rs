//! A fake OpenSearch / Elasticsearch that speaks PROTOCOLS §10: `GET /` (an OpenSearch or an
//! Elasticsearch version body), `GET /_resolve/index/<pattern>`, and `POST /<indices>/_search`
//! answering hits with `_index`, `_id`, `_source` and `sort`, sorted by `@timestamp` and
//! `_doc`, paged by `search_after`, filtered by the `term`, `prefix` and `range` filters the
//! provider sends (a clause it does not know is ignored: tests assert the request bodies
//! themselves). Tests index documents at any time (late ones too), make it fail with a
//! status and body, report failed shards, and read every request back with its headers.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const OPENSEARCH_ROOT: &str = include_str!("../../fixtures/opensearch/root-opensearch-2.json");
pub const ELASTIC_ROOT: &str = include_str!("../../fixtures/opensearch/root-elasticsearch-8.json");

#[derive(Clone, Debug)]
pub struct Doc {
    pub index: String,
    pub id: String,
    pub source: Value,
}

pub use super::Seen;

struct Inner {
    docs: Vec<Doc>,
    requests: Vec<Seen>,
    root: String,
    /// Answer `_search` (and `GET /` when `all`) with this status, content type and body.
    fail: Option<(u16, &'static str, String, bool)>,
    /// `(failed, total)` shards reported with every answer.
    partial: Option<(u64, u64)>,
    /// Names `_resolve/index` knows besides the documents' indices.
    extra_indices: Vec<String>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct FakeOpenSearch {
    pub addr: SocketAddr,
    inner: Shared,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeOpenSearch {
    pub async fn start(root: &str) -> FakeOpenSearch {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            docs: Vec::new(),
            requests: Vec::new(),
            root: root.to_string(),
            fail: None,
            partial: None,
            extra_indices: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = axum::Router::new()
            .route("/", axum::routing::get(root_doc))
            .route("/_resolve/index/{pattern}", axum::routing::get(resolve))
            .route("/{index}/_search", axum::routing::post(search))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenSearch { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn index(&self, docs: Vec<Doc>) {
        lock(&self.inner).docs.extend(docs);
    }

    /// Indices that exist without documents the tests index.
    pub fn also_has(&self, index: &str) {
        lock(&self.inner).extra_indices.push(index.to_string());
    }

    pub fn fail(&self, status: u16, content_type: &'static str, body: &str) {
        lock(&self.inner).fail = Some((status, content_type, body.to_string(), false));
    }

    /// Fails `GET /` too.
    pub fn fail_all(&self, status: u16, content_type: &'static str, body: &str) {
        lock(&self.inner).fail = Some((status, content_type, body.to_string(), true));
    }

    pub fn heal(&self) {
        lock(&self.inner).fail = None;
    }

    pub fn partial(&self, failed: u64, total: u64) {
        lock(&self.inner).partial = Some((failed, total));
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.inner).requests.clone()
    }

    pub fn searches(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/_search"))
            .collect()
    }
}

fn record(i: &mut Inner, method: &str, path: String, body: Value, headers: &HeaderMap) {
    i.requests.push(Seen {
        method: method.into(),
        path,
        query: String::new(),
        body,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
    });
}

fn failure(f: &(u16, &'static str, String, bool)) -> Response {
    (
        StatusCode::from_u16(f.0).unwrap_or(StatusCode::BAD_REQUEST),
        [("content-type", f.1)],
        f.2.clone(),
    )
        .into_response()
}

async fn root_doc(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let mut i = lock(&inner);
    record(&mut i, "GET", "/".into(), Value::Null, &headers);
    if let Some(f) = i.fail.as_ref().filter(|f| f.3) {
        return failure(f);
    }
    ([("content-type", "application/json")], i.root.clone()).into_response()
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => name.starts_with(pre) && name[pre.len()..].ends_with(post),
    }
}

fn names(i: &Inner) -> Vec<String> {
    let mut n: Vec<String> = i.docs.iter().map(|d| d.index.clone()).collect();
    n.extend(i.extra_indices.iter().cloned());
    n.sort();
    n.dedup();
    n
}

async fn resolve(
    State(inner): State<Shared>,
    Path(pattern): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut i = lock(&inner);
    record(
        &mut i,
        "GET",
        format!("/_resolve/index/{pattern}"),
        Value::Null,
        &headers,
    );
    if let Some(f) = i.fail.as_ref().filter(|f| f.3) {
        return failure(f);
    }
    let found: Vec<Value> = names(&i)
        .into_iter()
        .filter(|n| pattern.split(',').any(|p| glob(p, n)))
        .map(|n| json!({"name": n, "attributes": ["open"]}))
        .collect();
    if found.is_empty() && !pattern.contains('*') {
        let body = json!({"error": {"root_cause": [{"type": "index_not_found_exception", "reason": format!("no such index [{pattern}]")}], "type": "index_not_found_exception", "reason": format!("no such index [{pattern}]")}, "status": 404});
        return (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    Json(json!({"indices": found, "aliases": [], "data_streams": []})).into_response()
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

fn field<'a>(src: &'a Value, path: &str) -> Option<&'a Value> {
    path.strip_suffix(".keyword")
        .unwrap_or(path)
        .split('.')
        .try_fold(src, |v, k| v.get(k))
}

fn ts_ns(src: &Value) -> i128 {
    src["@timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .map_or(0, i128::from)
}

/// The filters the provider sends; anything else passes.
fn keeps(q: &Value, src: &Value) -> bool {
    if let Some(b) = q.get("bool") {
        let list = |k: &str| b[k].as_array().cloned().unwrap_or_default();
        let should = list("should");
        return list("filter").iter().all(|c| keeps(c, src))
            && (should.is_empty() || should.iter().any(|c| keeps(c, src)));
    }
    if let Some((f, v)) = q
        .get("term")
        .and_then(Value::as_object)
        .and_then(|m| m.iter().next())
    {
        return field(src, f) == Some(v);
    }
    if let Some((f, v)) = q
        .get("prefix")
        .and_then(Value::as_object)
        .and_then(|m| m.iter().next())
    {
        return field(src, f)
            .and_then(Value::as_str)
            .zip(v.as_str())
            .is_some_and(|(s, p)| s.starts_with(p));
    }
    if let Some(r) = q.get("range").and_then(|r| r.get("@timestamp")) {
        let gte = r["gte"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| t.timestamp_nanos_opt())
            .map_or(i128::MIN, i128::from);
        return ts_ns(src) >= gte;
    }
    true
}

async fn search(
    State(inner): State<Shared>,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut i = lock(&inner);
    record(
        &mut i,
        "POST",
        format!("/{index}/_search"),
        body.clone(),
        &headers,
    );
    if let Some(f) = &i.fail {
        return failure(f);
    }
    let size = body["size"].as_u64().unwrap_or(10) as usize;
    let desc = body["sort"][0]["@timestamp"]["order"] == "desc";
    let key = |k: usize, d: &Doc| ((ts_ns(&d.source) / 1_000_000) as i64, k as i64);
    let mut hits: Vec<(i64, i64, &Doc)> = i
        .docs
        .iter()
        .enumerate()
        .filter(|(_, d)| index.split(',').any(|p| glob(p, &d.index)))
        .filter(|(_, d)| keeps(&body["query"], &d.source))
        .map(|(k, d)| {
            let (a, b) = key(k, d);
            (a, b, d)
        })
        .collect();
    hits.sort_by_key(|(a, b, _)| (*a, *b));
    if desc {
        hits.reverse();
    }
    if let Some(after) = body["search_after"].as_array() {
        let a = (
            after.first().and_then(Value::as_i64).unwrap_or(0),
            after.get(1).and_then(Value::as_i64).unwrap_or(0),
        );
        hits.retain(|(x, y, _)| if desc { (*x, *y) < a } else { (*x, *y) > a });
    }
    let hits: Vec<Value> = hits
        .into_iter()
        .take(size)
        .map(|(a, b, d)| json!({"_index": d.index, "_id": d.id, "_score": null, "_source": d.source, "sort": [a, b]}))
        .collect();
    let shards = match i.partial {
        Some((failed, total)) => {
            let f: Value =
                serde_json::from_str(include_str!("../../fixtures/opensearch/shard-failure.json"))
                    .unwrap_or(Value::Null);
            json!({"total": total, "successful": total - failed, "skipped": 0, "failed": failed, "failures": [f]})
        }
        None => json!({"total": 3, "successful": 3, "skipped": 0, "failed": 0}),
    };
    Json(json!({"took": 3, "timed_out": false, "_shards": shards, "hits": {"max_score": null, "hits": hits}}))
        .into_response()
}
