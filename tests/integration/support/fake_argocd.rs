//! A fake Argo CD API server speaking the REST mapping of `server/application/application.proto`
//! (PROTOCOLS §1.7): `GET /api/v1/applications/{name}/managed-resources`,
//! `GET /api/v1/applications/{name}/manifests?revision=`, `POST /api/v1/applications/{name}/rollback`.
//! A token is required (`Authorization: Bearer` or the `argocd.token` cookie, as the server
//! reads them); errors come as grpc-gateway's `{"error","code","message"}` bodies. The rollback
//! is refused while automated sync is on, with the server's words. Every request is kept.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const MANAGED_GUESTBOOK: &str =
    include_str!("../../fixtures/argo-cd/managed-resources-guestbook.json");
pub const MANIFESTS_GUESTBOOK: &str =
    include_str!("../../fixtures/argo-cd/manifests-guestbook-ea87599.json");

pub use super::Seen;

/// One application the fake knows.
#[derive(Clone, Debug, Default)]
pub struct FakeApp {
    pub managed: String,
    /// Manifests by revision.
    pub manifests: BTreeMap<String, String>,
    pub automated: bool,
    pub history: Vec<i64>,
}

struct Inner {
    token: String,
    apps: BTreeMap<String, FakeApp>,
    requests: Vec<Seen>,
    fail: Option<(u16, String)>,
}

pub struct FakeArgoCd {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// grpc-gateway's error body.
fn grpc(status: u16, code: u32, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        json!({"error": message, "code": code, "message": message, "details": []}).to_string(),
    )
        .into_response()
}

impl FakeArgoCd {
    pub async fn start(token: &str) -> FakeArgoCd {
        let inner = Arc::new(Mutex::new(Inner {
            token: token.into(),
            apps: BTreeMap::new(),
            requests: Vec::new(),
            fail: None,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = axum::Router::new()
            .route(
                "/api/v1/applications/{name}/{what}",
                axum::routing::get(get_app).post(post_app),
            )
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeArgoCd { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The guestbook application, from the fixtures: one revision's manifests, history 13–15.
    pub fn with_guestbook(&self, automated: bool) {
        let mut manifests = BTreeMap::new();
        manifests.insert(
            "ea8759964626a583667a2bfd08f334ec2070040a".to_string(),
            MANIFESTS_GUESTBOOK.to_string(),
        );
        self.add(
            "guestbook",
            FakeApp {
                managed: MANAGED_GUESTBOOK.into(),
                manifests,
                automated,
                history: vec![13, 14, 15],
            },
        );
    }

    pub fn add(&self, name: &str, app: FakeApp) {
        lock(&self.inner).apps.insert(name.into(), app);
    }

    pub fn fail(&self, status: u16, body: &str) {
        lock(&self.inner).fail = Some((status, body.into()));
    }

    pub fn heal(&self) {
        lock(&self.inner).fail = None;
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.inner).requests.clone()
    }
}

/// Records the request; the answer when it is refused before being looked at.
fn admit(
    inner: &Arc<Mutex<Inner>>,
    method: &str,
    path: String,
    query: String,
    body: Value,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    let mut i = lock(inner);
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let seen = Seen {
        method: method.into(),
        path,
        query,
        body,
        headers,
    };
    let bearer = seen
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string);
    let cookie = seen.header("cookie").and_then(|c| {
        c.split(';')
            .find_map(|kv| kv.trim().strip_prefix("argocd.token="))
            .map(str::to_string)
    });
    i.requests.push(seen);
    if let Some((status, body)) = &i.fail {
        return Err(Box::new(
            (
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                [("content-type", "application/json")],
                body.clone(),
            )
                .into_response(),
        ));
    }
    match bearer.or(cookie) {
        None => Err(Box::new(grpc(401, 16, "no session information"))),
        Some(t) if t != i.token => Err(Box::new(grpc(
            401,
            16,
            "invalid session: token signature is invalid",
        ))),
        Some(_) => Ok(()),
    }
}

fn param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

async fn get_app(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((name, what)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let path = format!("/api/v1/applications/{name}/{what}");
    if let Err(r) = admit(&inner, "GET", path, query.clone(), Value::Null, &headers) {
        return *r;
    }
    let Some(app) = lock(&inner).apps.get(&name).cloned() else {
        return grpc(
            404,
            5,
            &format!("applications.argoproj.io \"{name}\" not found"),
        );
    };
    let ok = |body: String| {
        (StatusCode::OK, [("content-type", "application/json")], body).into_response()
    };
    match what.as_str() {
        "managed-resources" => ok(app.managed),
        "manifests" => {
            let rev = param(&query, "revision").unwrap_or("");
            match app.manifests.get(rev) {
                Some(m) => ok(m.clone()),
                None => grpc(
                    500,
                    2,
                    &format!(
                        "rpc error: code = Unknown desc = unable to resolve '{rev}' to a commit SHA"
                    ),
                ),
            }
        }
        _ => grpc(404, 5, "Not Found"),
    }
}

async fn post_app(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((name, what)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = format!("/api/v1/applications/{name}/{what}");
    if let Err(r) = admit(&inner, "POST", path, String::new(), body.clone(), &headers) {
        return *r;
    }
    if what != "rollback" {
        return grpc(404, 5, "Not Found");
    }
    let Some(app) = lock(&inner).apps.get(&name).cloned() else {
        return grpc(
            404,
            5,
            &format!("applications.argoproj.io \"{name}\" not found"),
        );
    };
    if app.automated && !body["dryRun"].as_bool().unwrap_or(false) {
        return grpc(
            400,
            9,
            "rollback cannot be initiated when auto-sync is enabled",
        );
    }
    let id = body["id"].as_i64().unwrap_or(-1);
    if !app.history.contains(&id) {
        return grpc(
            400,
            3,
            &format!("application {name} does not have history id {id}"),
        );
    }
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
               "metadata": {"name": name, "namespace": "argocd"},
               "operation": {"sync": {"revision": "ea8759964626a583667a2bfd08f334ec2070040a"}}})
        .to_string(),
    )
        .into_response()
}
