//! A fake Kubernetes API server that speaks the real protocol for the resources opsdeck uses:
//! list with resourceVersion, chunked watch streams (ADDED/MODIFIED/DELETED/BOOKMARK), 410 Gone
//! for an expired resourceVersion, PUT with conflict detection, merge patch and JSON patch,
//! the Rollout `/status` subresource and none for Applications. It records every request.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: String,
    pub body: Value,
}

#[derive(Clone, Debug)]
struct Event {
    rv: u64,
    plural: String,
    kind: &'static str,
    object: Value,
}

#[derive(Default)]
struct Inner {
    rv: u64,
    /// (plural, namespace, name) → object
    objects: BTreeMap<(String, String, String), Value>,
    history: Vec<Event>,
    /// Watches from before this resourceVersion get 410 Gone.
    oldest: u64,
    /// ... as the HTTP status of the watch request itself, not an ERROR event in the stream.
    gone_as_http: bool,
    requests: Vec<Recorded>,
    forbidden: Vec<(String, String)>,
    /// Rollouts before v0.10: no status subresource.
    legacy_rollouts: bool,
    /// The next PUT answers 409, as if someone wrote in between.
    conflict_once: bool,
    /// New watch requests wait while this is set.
    frozen: bool,
    /// API groups answered at `/apis/GROUP`: (versions served, preferred version).
    groups: BTreeMap<String, (Vec<String>, String)>,
    /// Services reachable through `/api/v1/namespaces/NS/services/NAME:PORT/proxy/…`.
    proxies: BTreeMap<String, Proxy>,
    /// Readiness checks `/readyz` reports failing, as with its storage (etcd) down.
    not_ready: Vec<String>,
    /// Stopped: a request on a connection opened before the stop is answered 503 with the
    /// connection closed (new connections are refused), as a server going away does.
    down: bool,
    /// Writes (PUT, PATCH, POST, DELETE) are held unanswered, as with etcd down: reads and
    /// watches go on from the watch cache.
    hang_writes: bool,
    /// Container logs by (namespace, pod, container): the current run's lines (each with its
    /// RFC 3339 time first, as the kubelet keeps them) and the previous run's.
    logs: BTreeMap<(String, String, String), ContainerLog>,
    /// Resources this server does not serve (their CRD is not installed): 404.
    absent: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct ContainerLog {
    current: Vec<String>,
    previous: Option<Vec<String>>,
}

/// What the service proxy does for one Service.
#[derive(Clone, Debug)]
pub enum Proxy {
    /// Forwards to this base URL (a real server on loopback).
    To(String),
    /// Answers with this status and plain-text body, as linkerd-viz's policy does with 403.
    Refuse(u16, String),
    /// The Service exists but has no ready endpoints (503 from the API server).
    NoEndpoints,
}

pub struct FakeKube {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    events: broadcast::Sender<Event>,
    server: Option<tokio::task::JoinHandle<()>>,
}

type Shared = (Arc<Mutex<Inner>>, broadcast::Sender<Event>);

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code});
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn kind_of(plural: &str) -> &'static str {
    match plural {
        "applications" => "Application",
        "rollouts" => "Rollout",
        "analysisruns" => "AnalysisRun",
        "replicasets" => "ReplicaSet",
        "serviceprofiles" => "ServiceProfile",
        "virtualservices" => "VirtualService",
        "destinationrules" => "DestinationRule",
        "namespaces" => "Namespace",
        "pods" => "Pod",
        "events" => "Event",
        _ => "Object",
    }
}

/// RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in p {
                if v.is_null() {
                    if let Some(t) = target.as_object_mut() {
                        t.remove(k);
                    }
                } else if let Some(t) = target.as_object_mut() {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// RFC 6902 JSON patch: add, replace, remove (enough for what clients send here).
fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("a JSON patch is an array")? {
        let path = op["path"].as_str().ok_or("op without path")?;
        let ptr: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = ptr.split_last().ok_or("empty path")?;
        let mut cur = &mut *target;
        for p in parents {
            cur = cur.get_mut(p).ok_or_else(|| format!("no {p} in {path}"))?;
        }
        match op["op"].as_str() {
            Some("add") | Some("replace") => {
                cur[last.as_str()] = op["value"].clone();
            }
            Some("remove") => {
                cur.as_object_mut()
                    .and_then(|o| o.remove(last))
                    .ok_or_else(|| format!("nothing at {path}"))?;
            }
            o => return Err(format!("unsupported op {o:?}")),
        }
    }
    Ok(())
}

impl FakeKube {
    pub async fn start() -> FakeKube {
        let (tx, _) = broadcast::channel(4096);
        let mut f = FakeKube {
            addr: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            inner: Arc::default(),
            events: tx,
            server: None,
        };
        f.listen().await;
        f
    }

    async fn listen(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .unwrap_or_else(|e| panic!("bind {}: {e}", self.addr));
        self.addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        lock(&self.inner).down = false;
        let app = axum::Router::new()
            .fallback(handle)
            .with_state((self.inner.clone(), self.events.clone()));
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Stops serving (open watches end) and serves again on the same port with the same data.
    pub async fn restart(&mut self) {
        self.stop();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        self.listen().await;
    }

    /// Serves again on the same port after [`FakeKube::stop`], with the same data.
    pub async fn resume(&mut self) {
        if self.server.is_none() {
            self.listen().await;
        }
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
        lock(&self.inner).down = true;
        // Ending open watch streams: a broadcast sender is kept, so send a poison pill.
        let _ = self.events.send(Event {
            rv: 0,
            plural: String::new(),
            kind: "CLOSE",
            object: Value::Null,
        });
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner).requests.clone()
    }

    /// Reads the request log from elsewhere (another task) while the fake stays where it is.
    pub fn request_log(&self) -> impl Fn() -> Vec<Recorded> + Send + 'static {
        let inner = self.inner.clone();
        move || lock(&inner).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.inner).requests.clear();
    }

    /// Makes `ns/name:port` reachable through the service proxy.
    pub fn proxy(&self, service: &str, p: Proxy) {
        lock(&self.inner).proxies.insert(service.into(), p);
    }

    /// Serves no `plural` (its CRD is not installed), or serves it again.
    pub fn absent(&self, plural: &str, absent: bool) {
        let mut i = lock(&self.inner);
        i.absent.retain(|p| p != plural);
        if absent {
            i.absent.push(plural.to_string());
        }
    }

    /// Answer 403 to `method` on `path`.
    pub fn forbid(&self, method: &str, path: &str) {
        lock(&self.inner)
            .forbidden
            .push((method.into(), path.into()));
    }

    /// Serves an API group's discovery document (`GET /apis/GROUP`), as a cluster with the
    /// group's CRDs installed does; `versions` in the order the server lists them.
    /// The storage goes down (`true`) or comes back: `/readyz` fails its `etcd` check and
    /// writes hang, while reads and watches are still answered.
    pub fn storage_down(&self, down: bool) {
        let mut i = lock(&self.inner);
        i.not_ready = if down {
            vec!["etcd".into(), "etcd-readiness".into()]
        } else {
            Vec::new()
        };
        i.hang_writes = down;
    }

    /// Forgets every [`FakeKube::forbid`].
    pub fn allow_all(&self) {
        lock(&self.inner).forbidden.clear();
    }

    pub fn serve_group(&self, group: &str, versions: &[&str], preferred: &str) {
        lock(&self.inner).groups.insert(
            group.into(),
            (
                versions.iter().map(|v| v.to_string()).collect(),
                preferred.into(),
            ),
        );
    }

    pub fn legacy_rollouts(&self) {
        lock(&self.inner).legacy_rollouts = true;
    }

    /// Holds new watch requests until [`FakeKube::thaw`], and ends the open ones: changes
    /// made meanwhile are seen by no watch.
    pub fn freeze_watches(&self) {
        lock(&self.inner).frozen = true;
        let _ = self.events.send(Event {
            rv: 0,
            plural: String::new(),
            kind: "CLOSE",
            object: Value::Null,
        });
    }

    pub fn thaw(&self) {
        lock(&self.inner).frozen = false;
    }

    pub fn conflict_once(&self) {
        lock(&self.inner).conflict_once = true;
    }

    /// Forgets watch history: watches from an older resourceVersion get 410 Gone.
    pub fn compact(&self) {
        let mut i = lock(&self.inner);
        i.oldest = i.rv + 1;
        i.history.clear();
    }

    /// As [`compact`], but a watch from an old resourceVersion is answered `410 Gone` as its
    /// HTTP status (as the API server does when the watch cache is behind etcd's compaction).
    pub fn compact_gone_as_http(&self) {
        let mut i = lock(&self.inner);
        i.oldest = i.rv + 1;
        i.history.clear();
        i.gone_as_http = true;
    }

    pub fn bookmark(&self, plural: &str) {
        let mut i = lock(&self.inner);
        i.rv += 1;
        let rv = i.rv;
        drop(i);
        let _ = self.events.send(Event {
            rv,
            plural: plural.into(),
            kind: "BOOKMARK",
            object: json!({"metadata": {"resourceVersion": rv.to_string()}}),
        });
    }

    /// Creates or replaces an object as a controller would (status included).
    pub fn put(&self, plural: &str, mut obj: Value) {
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let ev = {
            let mut i = lock(&self.inner);
            i.rv += 1;
            let rv = i.rv;
            obj["metadata"]["resourceVersion"] = rv.to_string().into();
            let key = (plural.to_string(), ns, name);
            let kind = if i.objects.contains_key(&key) {
                "MODIFIED"
            } else {
                "ADDED"
            };
            i.objects.insert(key, obj.clone());
            let ev = Event {
                rv,
                plural: plural.into(),
                kind,
                object: obj,
            };
            i.history.push(ev.clone());
            ev
        };
        let _ = self.events.send(ev);
    }

    /// A container writes a line (`2026-12-01T09:41:05.210Z text`): kept, and sent to the
    /// requests following its log.
    pub fn log_line(&self, ns: &str, pod: &str, container: &str, line: &str) {
        let key = (ns.to_string(), pod.to_string(), container.to_string());
        lock(&self.inner)
            .logs
            .entry(key)
            .or_default()
            .current
            .push(line.to_string());
        let _ = self.events.send(Event {
            rv: 0,
            plural: format!("log:{ns}/{pod}/{container}"),
            kind: "LOG",
            object: Value::String(line.to_string()),
        });
    }

    /// The container restarts: its lines become the previous run's, and the streams
    /// following it end (as the kubelet ends them).
    pub fn restart_container(&self, ns: &str, pod: &str, container: &str) {
        let key = (ns.to_string(), pod.to_string(), container.to_string());
        {
            let mut i = lock(&self.inner);
            let log = i.logs.entry(key).or_default();
            log.previous = Some(std::mem::take(&mut log.current));
        }
        let _ = self.events.send(Event {
            rv: 0,
            plural: format!("log:{ns}/{pod}/{container}"),
            kind: "LOGEND",
            object: Value::Null,
        });
    }

    pub fn delete(&self, plural: &str, ns: &str, name: &str) {
        let ev = {
            let mut i = lock(&self.inner);
            let Some(mut obj) = i.objects.remove(&(plural.into(), ns.into(), name.into())) else {
                return;
            };
            i.rv += 1;
            obj["metadata"]["resourceVersion"] = i.rv.to_string().into();
            let ev = Event {
                rv: i.rv,
                plural: plural.into(),
                kind: "DELETED",
                object: obj,
            };
            i.history.push(ev.clone());
            ev
        };
        let _ = self.events.send(ev);
    }

    pub fn get(&self, plural: &str, ns: &str, name: &str) -> Option<Value> {
        lock(&self.inner)
            .objects
            .get(&(plural.into(), ns.into(), name.into()))
            .cloned()
    }

    /// A kube client pointed at this server.
    pub fn client(&self) -> kube::Client {
        let cfg = kube::Config::new(self.url().parse().unwrap_or_else(|e| panic!("{e}")));
        kube::Client::try_from(cfg).unwrap_or_else(|e| panic!("{e}"))
    }
}

struct Path {
    plural: String,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

fn parse_path(p: &str) -> Option<Path> {
    let parts: Vec<&str> = p.trim_matches('/').split('/').collect();
    // /apis/{group}/{version}/… or /api/v1/…
    let rest = match parts.first() {
        Some(&"apis") => parts.get(3..)?,
        Some(&"api") => parts.get(2..)?,
        _ => return None,
    };
    let (ns, rest) = if rest.first() == Some(&"namespaces") && rest.len() >= 3 {
        (Some(rest[1].to_string()), &rest[2..])
    } else {
        (None, rest)
    };
    Some(Path {
        plural: rest.first()?.to_string(),
        ns,
        name: rest.get(1).map(|s| s.to_string()),
        sub: rest.get(2).map(|s| s.to_string()),
    })
}

/// A query parameter, percent-decoded (`labelSelector=app%3Dstore` → `app=store`).
pub fn decoded_param(q: &str, key: &str) -> Option<String> {
    let uri: axum::http::Uri = format!("/?{q}").parse().ok()?;
    let axum::extract::Query(m) =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
            .ok()?;
    m.get(key).cloned()
}

/// Splits a selector on the commas between its terms (not those inside `in (a,b)`).
fn terms(sel: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in sel.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Whether `obj` matches the request's `labelSelector` and `fieldSelector`, as the API server
/// decides: equality, inequality, set-based and existence terms for labels; `path=value` and
/// `path!=value` on the object's fields.
fn selected(query: &str, obj: &Value) -> bool {
    let labels = &obj["metadata"]["labels"];
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let label_ok = decoded_param(query, "labelSelector").is_none_or(|sel| {
        terms(&sel).iter().all(|t| {
            let set = |rest: &str| -> Vec<String> {
                rest.trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .collect()
            };
            if let Some((k, rest)) = t.split_once(" notin ") {
                !label(k.trim()).is_some_and(|v| set(rest).iter().any(|s| s == v))
            } else if let Some((k, rest)) = t.split_once(" in ") {
                label(k.trim()).is_some_and(|v| set(rest).iter().any(|s| s == v))
            } else if let Some((k, v)) = t.split_once("!=") {
                label(k) != Some(v)
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                label(k) == Some(v)
            } else if let Some(k) = t.strip_prefix('!') {
                label(k).is_none()
            } else {
                label(t).is_some()
            }
        })
    });
    let field = |path: &str| -> String {
        path.split('.')
            .try_fold(obj, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let field_ok = decoded_param(query, "fieldSelector").is_none_or(|sel| {
        terms(&sel).iter().all(|t| {
            if let Some((k, v)) = t.split_once("!=") {
                field(k) != v
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                field(k) == v
            } else {
                false
            }
        })
    });
    label_ok && field_ok
}

fn query_param<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

async fn handle(State((inner, events)): State<Shared>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // The API server passes a request's other headers on through its service proxy (its
    // authentication filter takes the Authorization header off).
    let cookie = req
        .headers()
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // A tenant header (Loki's, Tempo's) goes through too.
    let tenant = req
        .headers()
        .get("x-scope-orgid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    {
        let mut i = lock(&inner);
        if i.down {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [("connection", "close")],
                "stopped",
            )
                .into_response();
        }
        i.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            content_type: content_type.clone(),
            body: body.clone(),
        });
        if i.forbidden
            .iter()
            .any(|(m, p)| *m == method.as_str() && *p == path)
        {
            let verb = if method == Method::PATCH {
                "patch"
            } else if method == Method::GET {
                "list"
            } else {
                "update"
            };
            return status(
                403,
                "Forbidden",
                &format!("{verb} is forbidden: User \"alice\" cannot {verb} resource"),
            );
        }
    }
    if let Some(resp) = service_proxy(
        &inner,
        &method,
        &path,
        &query,
        (&content_type, &cookie, &tenant),
        bytes.to_vec(),
    )
    .await
    {
        return resp;
    }
    if path == "/readyz" {
        // k8s.io/apiserver healthz: every check, `[-]` for the failing, 500 when any fails.
        let failing = lock(&inner).not_ready.clone();
        let checks = [
            "ping",
            "log",
            "etcd",
            "etcd-readiness",
            "informer-sync",
            "shutdown",
        ];
        let mut text = String::new();
        for c in checks {
            if failing.iter().any(|f| f == c) {
                text.push_str(&format!("[-]{c} failed: reason withheld\n"));
            } else {
                text.push_str(&format!("[+]{c} ok\n"));
            }
        }
        let (code, tail) = if failing.is_empty() {
            (StatusCode::OK, "readyz check passed\n")
        } else {
            (StatusCode::INTERNAL_SERVER_ERROR, "readyz check failed\n")
        };
        return (
            code,
            [("content-type", "text/plain; charset=utf-8")],
            text + tail,
        )
            .into_response();
    }
    if method != Method::GET && lock(&inner).hang_writes {
        // Held until the client gives up (or the storage is back).
        while lock(&inner).hang_writes {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    if path == "/version" {
        let v = json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "platform": "linux/amd64"});
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response();
    }
    if let Some(group) = path.strip_prefix("/apis/").filter(|g| !g.contains('/')) {
        let Some((versions, preferred)) = lock(&inner).groups.get(group).cloned() else {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
        let doc = json!({"kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
            "preferredVersion": gv(&preferred)});
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            doc.to_string(),
        )
            .into_response();
    }
    let Some(p) = parse_path(&path) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let watch = matches!(query_param(&query, "watch"), Some("1") | Some("true"));
    if lock(&inner).absent.contains(&p.plural) {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    let (legacy, conflict) = {
        let mut i = lock(&inner);
        let conflict = method == Method::PUT && std::mem::take(&mut i.conflict_once);
        (i.legacy_rollouts, conflict)
    };
    match (&method, &p.name) {
        (&Method::GET, Some(name)) if p.plural == "pods" && p.sub.as_deref() == Some("log") => {
            container_log(&inner, &events, p.ns.as_deref().unwrap_or(""), name, &query)
        }
        (&Method::GET, None) if watch => {
            while lock(&inner).frozen {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            watch_stream(&inner, &events, &p, &query)
        }
        (&Method::GET, None) => list(&inner, &p, &query),
        (&Method::GET, Some(name)) => {
            let i = lock(&inner);
            match i.objects.get(&(
                p.plural.clone(),
                p.ns.clone().unwrap_or_default(),
                name.clone(),
            )) {
                Some(o) => (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    o.to_string(),
                )
                    .into_response(),
                None => status(
                    404,
                    "NotFound",
                    &format!("{} \"{name}\" not found", p.plural),
                ),
            }
        }
        (&Method::PUT, Some(name)) => write(&inner, &events, &p, name, |cur, plural| {
            if conflict || body["metadata"]["resourceVersion"] != cur["metadata"]["resourceVersion"]
            {
                return Err((409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again".to_string()));
            }
            let mut new = body.clone();
            if plural == "rollouts" {
                new["status"] = cur["status"].clone();
            }
            Ok(new)
        }),
        (&Method::PATCH, Some(name)) => write(&inner, &events, &p, name, |cur, plural| {
            let mut new = cur.clone();
            match content_type.as_str() {
                "application/merge-patch+json" => merge_patch(&mut new, &body),
                "application/json-patch+json" => {
                    json_patch(&mut new, &body).map_err(|e| (422, "Invalid", e))?
                }
                ct => {
                    return Err((
                        415,
                        "UnsupportedMediaType",
                        format!("the body of the request was in an unknown format: {ct}"),
                    ));
                }
            }
            let on_status = p.sub.as_deref() == Some("status");
            if plural == "rollouts" && !legacy {
                // With a status subresource, the main resource ignores status and /status ignores the rest.
                if on_status {
                    let mut only = cur.clone();
                    only["status"] = new["status"].clone();
                    new = only;
                } else {
                    new["status"] = cur["status"].clone();
                }
            }
            Ok(new)
        }),
        _ => status(405, "MethodNotAllowed", "method not allowed"),
    }
}

type WriteErr = (u16, &'static str, String);

fn write(
    inner: &Arc<Mutex<Inner>>,
    events: &broadcast::Sender<Event>,
    p: &Path,
    name: &str,
    f: impl FnOnce(&Value, &str) -> Result<Value, WriteErr>,
) -> Response {
    let legacy = lock(inner).legacy_rollouts;
    // `f` runs under the lock: it must not lock again.
    if let Some(sub) = &p.sub
        && !(sub == "status" && p.plural == "rollouts" && !legacy)
    {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    let key = (
        p.plural.clone(),
        p.ns.clone().unwrap_or_default(),
        name.to_string(),
    );
    let ev = {
        let mut i = lock(inner);
        let Some(cur) = i.objects.get(&key).cloned() else {
            return status(
                404,
                "NotFound",
                &format!("{}.argoproj.io \"{name}\" not found", p.plural),
            );
        };
        let mut new = match f(&cur, &p.plural) {
            Ok(n) => n,
            Err((code, reason, msg)) => return status(code, reason, &msg),
        };
        i.rv += 1;
        new["metadata"]["resourceVersion"] = i.rv.to_string().into();
        i.objects.insert(key, new.clone());
        let ev = Event {
            rv: i.rv,
            plural: p.plural.clone(),
            kind: "MODIFIED",
            object: new,
        };
        i.history.push(ev.clone());
        ev
    };
    let body = ev.object.to_string();
    let _ = events.send(ev);
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

/// `GET …/pods/NAME/log`: the kubelet's answer through the API server — the run's lines (the
/// last `tailLines`, those of the last `sinceSeconds`), without their times unless
/// `timestamps=true`; with `follow=true` the stream stays open for new lines until the
/// container restarts. A missing previous run is the API server's 400.
fn container_log(
    inner: &Arc<Mutex<Inner>>,
    events: &broadcast::Sender<Event>,
    ns: &str,
    pod: &str,
    query: &str,
) -> Response {
    let param = |k: &str| decoded_param(query, k);
    let flag = |k: &str| matches!(param(k).as_deref(), Some("true") | Some("1"));
    let container = param("container").unwrap_or_default();
    let (previous, follow, stamps) = (flag("previous"), flag("follow"), flag("timestamps"));
    let key = (ns.to_string(), pod.to_string(), container.clone());
    let (mut lines, rx) = {
        let i = lock(inner);
        if !i
            .objects
            .contains_key(&("pods".to_string(), ns.to_string(), pod.to_string()))
        {
            return status(404, "NotFound", &format!("pods \"{pod}\" not found"));
        }
        let log = i.logs.get(&key).cloned().unwrap_or_default();
        let lines = if previous {
            match log.previous {
                Some(l) => l,
                None => {
                    return status(
                        400,
                        "BadRequest",
                        &format!(
                            "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                        ),
                    );
                }
            }
        } else {
            log.current
        };
        (lines, events.subscribe())
    };
    let since = param("sinceTime")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|| {
            param("sinceSeconds")
                .and_then(|s| s.parse::<i64>().ok())
                .map(|s| chrono::Utc::now() - chrono::Duration::seconds(s))
        });
    if let Some(from) = since {
        lines.retain(|l| {
            l.split_once(' ')
                .and_then(|(t, _)| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none_or(|t| t >= from)
        });
    }
    if let Some(n) = param("tailLines").and_then(|s| s.parse::<usize>().ok()) {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let shown = move |l: &str| -> Bytes {
        let text = if stamps {
            l.to_string()
        } else {
            l.split_once(' ').map_or(l, |(_, t)| t).to_string()
        };
        Bytes::from(format!("{text}\n"))
    };
    let first: Vec<Result<Bytes, std::io::Error>> = lines.iter().map(|l| Ok(shown(l))).collect();
    if !follow || previous {
        let body: Vec<u8> = first
            .into_iter()
            .flatten()
            .flat_map(|b| b.to_vec())
            .collect();
        return (StatusCode::OK, [("content-type", "text/plain")], body).into_response();
    }
    let want = format!("log:{ns}/{pod}/{container}");
    let rest = futures::stream::unfold(rx, move |mut rx| {
        let want = want.clone();
        async move {
            loop {
                match rx.recv().await {
                    Ok(e) if e.kind == "CLOSE" => return None,
                    Ok(e) if e.plural == want && e.kind == "LOGEND" => return None,
                    Ok(e) if e.plural == want => {
                        let line = e.object.as_str().unwrap_or("").to_string();
                        let text = if stamps {
                            line
                        } else {
                            line.split_once(' ')
                                .map_or(line.as_str(), |(_, t)| t)
                                .to_string()
                        };
                        return Some((
                            Ok::<Bytes, std::io::Error>(Bytes::from(format!("{text}\n"))),
                            rx,
                        ));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                }
            }
        }
    });
    let stream = futures::StreamExt::chain(futures::stream::iter(first), rest);
    (
        StatusCode::OK,
        [("content-type", "text/plain")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A LIST, paged like the real server: `limit` items from the `continue` token, which here
/// is the offset and the resourceVersion of the first page.
fn list(inner: &Arc<Mutex<Inner>>, p: &Path, query: &str) -> Response {
    let i = lock(inner);
    let limit: usize = query_param(query, "limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let (offset, rv) = match query_param(query, "continue").and_then(|c| c.split_once('-')) {
        Some((o, rv)) => (o.parse().unwrap_or(0), rv.to_string()),
        None => (0, i.rv.to_string()),
    };
    let all: Vec<&Value> = i
        .objects
        .iter()
        .filter(|((pl, ns, _), _)| *pl == p.plural && p.ns.as_ref().is_none_or(|n| n == ns))
        .map(|(_, o)| o)
        .filter(|o| selected(query, o))
        .collect();
    let items: Vec<&Value> = all.iter().skip(offset).take(limit).copied().collect();
    let mut meta = json!({"resourceVersion": rv});
    if offset + items.len() < all.len() {
        meta["continue"] = format!("{}-{rv}", offset + items.len()).into();
    }
    let body = json!({"apiVersion": "v1", "kind": format!("{}List", kind_of(&p.plural)),
                      "metadata": meta, "items": items});
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn watch_stream(
    inner: &Arc<Mutex<Inner>>,
    events: &broadcast::Sender<Event>,
    p: &Path,
    query: &str,
) -> Response {
    let from: u64 = query_param(query, "resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (backlog, rx) = {
        let i = lock(inner);
        if from != 0 && from + 1 < i.oldest && i.gone_as_http {
            return status(
                410,
                "Expired",
                &format!("too old resource version: {from} ({})", i.oldest),
            );
        }
        if from != 0 && from + 1 < i.oldest {
            // As the real API server does for a watch: HTTP 200, then one ERROR event.
            let err = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                "metadata": {}, "status": "Failure", "reason": "Expired", "code": 410,
                "message": format!("too old resource version: {from} ({})", i.oldest)}});
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                format!("{err}\n"),
            )
                .into_response();
        }
        let backlog: Vec<Event> = i
            .history
            .iter()
            .filter(|e| e.rv > from && e.plural == p.plural)
            .cloned()
            .collect();
        (backlog, events.subscribe())
    };
    let plural = p.plural.clone();
    let ns = p.ns.clone();
    let line = |e: &Event| -> Bytes {
        let mut s = json!({"type": e.kind, "object": e.object}).to_string();
        s.push('\n');
        Bytes::from(s)
    };
    let query = query.to_string();
    let first: Vec<Result<Bytes, std::io::Error>> = backlog
        .iter()
        .filter(|e| {
            ns.as_ref()
                .is_none_or(|n| e.object["metadata"]["namespace"] == n.as_str())
                && selected(&query, &e.object)
        })
        .map(|e| Ok(line(e)))
        .collect();
    let rest = futures::stream::unfold(rx, move |mut rx| {
        let plural = plural.clone();
        let ns = ns.clone();
        let query = query.clone();
        async move {
            loop {
                match rx.recv().await {
                    Ok(e) if e.kind == "CLOSE" => return None,
                    Ok(e)
                        if e.plural == plural
                            && (e.kind == "BOOKMARK"
                                || (ns.as_ref().is_none_or(|n| {
                                    e.object["metadata"]["namespace"] == n.as_str()
                                }) && selected(&query, &e.object))) =>
                    {
                        let mut s = json!({"type": e.kind, "object": e.object}).to_string();
                        s.push('\n');
                        return Some((Ok::<Bytes, std::io::Error>(Bytes::from(s)), rx));
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                }
            }
        }
    });
    let stream = futures::StreamExt::chain(futures::stream::iter(first), rest);
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The API server's service proxy: `/api/v1/namespaces/NS/services/NAME:PORT/proxy/REST`.
async fn service_proxy(
    inner: &Arc<Mutex<Inner>>,
    method: &Method,
    path: &str,
    query: &str,
    (content_type, cookie, tenant): (&str, &str, &str),
    body: Vec<u8>,
) -> Option<Response> {
    let rest = path.strip_prefix("/api/v1/namespaces/")?;
    let (ns, rest) = rest.split_once("/services/")?;
    let (svc, rest) = rest.split_once("/proxy")?;
    let key = format!("{ns}/{svc}");
    let target = lock(inner).proxies.get(&key).cloned();
    let name = svc.split(':').next().unwrap_or(svc);
    Some(match target {
        None => status(404, "NotFound", &format!("services \"{name}\" not found")),
        Some(Proxy::NoEndpoints) => status(
            503,
            "ServiceUnavailable",
            &format!("no endpoints available for service \"{name}\""),
        ),
        Some(Proxy::Refuse(code, text)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::FORBIDDEN),
            [("content-type", "text/plain")],
            text,
        )
            .into_response(),
        Some(Proxy::To(base)) => {
            let mut url = format!("{base}{rest}");
            if !query.is_empty() {
                url.push('?');
                url.push_str(query);
            }
            let client = reqwest::Client::new();
            let m = reqwest::Method::from_bytes(method.as_str().as_bytes())
                .unwrap_or(reqwest::Method::GET);
            let mut req = client.request(m, &url).body(body);
            if !content_type.is_empty() {
                req = req.header("content-type", content_type);
            }
            if !cookie.is_empty() {
                req = req.header("cookie", cookie);
            }
            if !tenant.is_empty() {
                req = req.header("x-scope-orgid", tenant);
            }
            match req.send().await {
                Ok(r) => {
                    let code = r.status().as_u16();
                    let ct = r
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("text/plain")
                        .to_string();
                    let bytes = r.bytes().await.unwrap_or_default();
                    (
                        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
                        [("content-type", ct)],
                        bytes.to_vec(),
                    )
                        .into_response()
                }
                Err(e) => status(
                    503,
                    "ServiceUnavailable",
                    &format!("error trying to reach service: {e}"),
                ),
            }
        }
    })
}
