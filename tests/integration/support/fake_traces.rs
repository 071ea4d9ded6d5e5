//! A fake trace store speaking one of three APIs (PROTOCOLS §11), with the fixtures' shapes:
//! - Jaeger v1 query: `GET /api/services`, `GET /api/traces/{id}` (`{"data":[…],"errors"}`; a
//!   miss is 404 with `errors[{code,msg}]`), `GET /api/traces?service=…` (whole traces);
//! - Jaeger v3: `GET /api/v3/traces/{id}` (`{"result":{"resourceSpans"}}`; a miss is 404
//!   `{"error":{"httpCode","message"}}`), `GET /api/v3/traces?query.service_name=…`;
//! - Tempo: `GET /api/traces/{id}` (`{"batches"}`; a miss is 404 plain text), `GET
//!   /api/search?q=…` (the search fixture), `GET /api/echo`.
//!
//! Paths of the other APIs answer 404 as a Go mux does. A bearer token can be required;
//! every request is kept.
#![allow(dead_code)]

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use super::Seen;

pub const JAEGER_TRACE: &str = include_str!("../../fixtures/traces/jaeger-v1-trace.json");
pub const V3_TRACE: &str = include_str!("../../fixtures/traces/jaeger-v3-trace.json");
pub const TEMPO_TRACE: &str = include_str!("../../fixtures/traces/tempo-trace.json");
pub const TEMPO_SEARCH: &str = include_str!("../../fixtures/traces/tempo-search.json");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaks {
    Jaeger,
    JaegerV3,
    Tempo,
}

struct Inner {
    speaks: Speaks,
    /// Where the API is (`/jaeger` for Istio's addon); empty: at the root.
    base: String,
    /// Trace bodies by id as asked (32 hex digits).
    traces: BTreeMap<String, String>,
    /// What a search answers.
    search: String,
    services: Vec<String>,
    token: Option<String>,
    fail: Option<(u16, String)>,
    requests: Vec<Seen>,
}

pub struct FakeTraces {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

impl FakeTraces {
    pub async fn start(speaks: Speaks) -> FakeTraces {
        Self::start_under(speaks, "").await
    }

    /// The API under a base path, as Jaeger's `--query.base-path=/jaeger` serves it.
    pub async fn start_under(speaks: Speaks, base: &str) -> FakeTraces {
        let inner = Arc::new(Mutex::new(Inner {
            speaks,
            base: base.into(),
            traces: BTreeMap::new(),
            search: String::new(),
            services: vec!["gateway".into(), "store".into()],
            token: None,
            fail: None,
            requests: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = axum::Router::new()
            .fallback(axum::routing::get(answer))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTraces { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The address for a service proxy to forward to (no trailing slash).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add(&self, id: &str, body: &str) {
        lock(&self.inner).traces.insert(id.into(), body.into());
    }

    /// What a search answers (a Jaeger `data` list, an OTLP body, or Tempo's `traces`).
    pub fn search_answers(&self, body: &str) {
        lock(&self.inner).search = body.into();
    }

    pub fn services(&self, names: &[&str]) {
        lock(&self.inner).services = names.iter().map(|s| s.to_string()).collect();
    }

    pub fn require_token(&self, token: &str) {
        lock(&self.inner).token = Some(token.into());
    }

    pub fn fail(&self, status: u16, body: &str) {
        lock(&self.inner).fail = Some((status, body.into()));
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.inner).requests.clone()
    }
}

async fn answer(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    let query = query.unwrap_or_default();
    let mut i = lock(&inner);
    let seen = Seen {
        method: "GET".into(),
        path: path.clone(),
        query: query.clone(),
        body: serde_json::Value::Null,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
    };
    let bearer = seen
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string);
    i.requests.push(seen);
    if let Some((status, body)) = &i.fail {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return text(status, body);
    }
    if let Some(t) = &i.token
        && bearer.as_ref() != Some(t)
    {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let not_found = || text(StatusCode::NOT_FOUND, "404 page not found");
    let Some(path) = path.strip_prefix(i.base.as_str()).map(str::to_string) else {
        return not_found();
    };
    let id_of = |prefix: &str| path.strip_prefix(prefix).map(str::to_string);
    match i.speaks {
        Speaks::Jaeger => {
            if path == "/api/services" {
                let data: Vec<serde_json::Value> =
                    i.services.iter().map(|s| s.clone().into()).collect();
                let body = serde_json::json!({"data": data, "total": data.len(), "limit": 0,
                    "offset": 0, "errors": null});
                return json(StatusCode::OK, body.to_string());
            }
            if path == "/api/traces" {
                let body = if i.search.is_empty() {
                    r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#.to_string()
                } else {
                    i.search.clone()
                };
                return json(StatusCode::OK, body);
            }
            match id_of("/api/traces/") {
                Some(id) => match i.traces.get(&id) {
                    Some(b) => json(StatusCode::OK, b.clone()),
                    None => json(
                        StatusCode::NOT_FOUND,
                        r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#
                            .into(),
                    ),
                },
                None => not_found(),
            }
        }
        Speaks::JaegerV3 => {
            if path == "/api/v3/traces" {
                let body = if i.search.is_empty() {
                    r#"{"result":{"resourceSpans":[]}}"#.to_string()
                } else {
                    i.search.clone()
                };
                return json(StatusCode::OK, body);
            }
            match id_of("/api/v3/traces/") {
                Some(id) => match i.traces.get(&id) {
                    Some(b) => json(StatusCode::OK, b.clone()),
                    None => json(
                        StatusCode::NOT_FOUND,
                        r#"{"error":{"httpCode":404,"message":"trace not found"}}"#.into(),
                    ),
                },
                None => not_found(),
            }
        }
        Speaks::Tempo => {
            if path == "/api/echo" {
                return text(StatusCode::OK, "echo");
            }
            if path == "/api/search" {
                let body = if i.search.is_empty() {
                    r#"{"traces":[],"metrics":{"completedJobs":1,"totalJobs":1}}"#.to_string()
                } else {
                    i.search.clone()
                };
                return json(StatusCode::OK, body);
            }
            match id_of("/api/traces/").or_else(|| id_of("/api/v2/traces/")) {
                Some(id) => {
                    // Tempo takes an id with its leading zeros dropped too.
                    let key = format!("{id:0>32}");
                    match i.traces.get(&key) {
                        Some(b) => json(StatusCode::OK, b.clone()),
                        None => text(StatusCode::NOT_FOUND, "trace not found"),
                    }
                }
                None => not_found(),
            }
        }
    }
}
