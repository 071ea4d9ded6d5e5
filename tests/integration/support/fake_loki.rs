//! A fake Loki that speaks PROTOCOLS §5: `query_range` (nanosecond string timestamps, `end`
//! exclusive, `direction`, `limit`, streams grouped by labels), the `/loki/api/v1/tail`
//! websocket (a backfill from `start`, then live entries, `dropped_entries`), and errors as
//! plain text. Tests push entries, drop tails, turn the websocket off and record requests.
#![allow(dead_code)]

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

#[derive(Clone, Debug)]
pub struct Pushed {
    pub ts_ns: i128,
    pub labels: BTreeMap<String, String>,
    pub line: String,
}

#[derive(Clone, Debug)]
enum Live {
    Entries(Vec<Pushed>),
    Dropped(u64),
    /// Close every open tail.
    Close,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Pushed>,
    requests: Vec<(String, HashMap<String, String>)>,
    websocket_off: bool,
    /// Answer every request with this status and plain-text body.
    fail: Option<(u16, String)>,
    tails_opened: usize,
}

type Shared = (Arc<Mutex<Inner>>, broadcast::Sender<Live>);

pub struct FakeLoki {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    live: broadcast::Sender<Live>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn streams(entries: &[Pushed]) -> Value {
    // Grouped by label set, in the order given.
    let mut groups: Vec<(BTreeMap<String, String>, Vec<Value>)> = Vec::new();
    for e in entries {
        let v = json!([e.ts_ns.to_string(), e.line]);
        match groups.iter_mut().find(|(l, _)| *l == e.labels) {
            Some((_, vals)) => vals.push(v),
            None => groups.push((e.labels.clone(), vec![v])),
        }
    }
    Value::Array(
        groups
            .into_iter()
            .map(|(l, v)| json!({"stream": l, "values": v}))
            .collect(),
    )
}

impl FakeLoki {
    pub async fn start() -> FakeLoki {
        let (live, _) = broadcast::channel(100_000);
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = axum::Router::new()
            .route("/loki/api/v1/query_range", axum::routing::get(query_range))
            .route("/loki/api/v1/tail", axum::routing::get(tail))
            .with_state((inner.clone(), live.clone()));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLoki { addr, inner, live }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stores entries and sends them to open tails.
    pub fn push(&self, entries: Vec<Pushed>) {
        lock(&self.inner).entries.extend(entries.iter().cloned());
        let _ = self.live.send(Live::Entries(entries));
    }

    /// Stores entries without telling the tails (they arrive while a client is away).
    pub fn store(&self, entries: Vec<Pushed>) {
        lock(&self.inner).entries.extend(entries);
    }

    pub fn drop_tails(&self) {
        let _ = self.live.send(Live::Close);
    }

    pub fn report_dropped(&self, n: u64) {
        let _ = self.live.send(Live::Dropped(n));
    }

    pub fn websocket_off(&self) {
        lock(&self.inner).websocket_off = true;
    }

    pub fn fail(&self, status: u16, text: &str) {
        lock(&self.inner).fail = Some((status, text.to_string()));
    }

    pub fn heal(&self) {
        lock(&self.inner).fail = None;
    }

    pub fn requests(&self) -> Vec<(String, HashMap<String, String>)> {
        lock(&self.inner).requests.clone()
    }

    pub fn tails_opened(&self) -> usize {
        lock(&self.inner).tails_opened
    }
}

fn num(q: &HashMap<String, String>, k: &str, default: i128) -> i128 {
    q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn query_range(
    State((inner, _)): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut i = lock(&inner);
    i.requests.push(("query_range".into(), q.clone()));
    if let Some((code, text)) = &i.fail {
        return (
            StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_REQUEST),
            text.clone(),
        )
            .into_response();
    }
    let start = num(&q, "start", 0);
    let end = num(&q, "end", i128::MAX);
    let limit = num(&q, "limit", 100) as usize;
    let mut sel: Vec<Pushed> = i
        .entries
        .iter()
        .filter(|e| e.ts_ns >= start && e.ts_ns < end)
        .cloned()
        .collect();
    sel.sort_by_key(|e| e.ts_ns);
    if q.get("direction").map(String::as_str) != Some("forward") {
        sel.reverse();
    }
    sel.truncate(limit);
    let body = json!({"status": "success", "data": {"resultType": "streams", "result": streams(&sel), "stats": {}}});
    ([("content-type", "application/json")], body.to_string()).into_response()
}

async fn tail(
    State((inner, live)): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let backlog = {
        let mut i = lock(&inner);
        i.requests.push(("tail".into(), q.clone()));
        if i.websocket_off {
            return (StatusCode::NOT_FOUND, "").into_response();
        }
        if let Some((code, text)) = &i.fail {
            return (
                StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_REQUEST),
                text.clone(),
            )
                .into_response();
        }
        i.tails_opened += 1;
        let start = num(&q, "start", 0);
        let mut b: Vec<Pushed> = i
            .entries
            .iter()
            .filter(|e| e.ts_ns >= start)
            .cloned()
            .collect();
        b.sort_by_key(|e| e.ts_ns);
        b
    };
    let rx = live.subscribe();
    ws.on_upgrade(move |socket| serve_tail(socket, backlog, rx))
}

async fn serve_tail(
    mut socket: WebSocket,
    backlog: Vec<Pushed>,
    mut rx: broadcast::Receiver<Live>,
) {
    if !backlog.is_empty() {
        let frame = json!({"streams": streams(&backlog)});
        if socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    while let Ok(ev) = rx.recv().await {
        let frame = match ev {
            Live::Entries(e) => json!({"streams": streams(&e)}),
            Live::Dropped(n) => {
                json!({"dropped_entries": (0..n).map(|k| json!({"labels": {"app": "store"}, "timestamp": k.to_string()})).collect::<Vec<_>>()})
            }
            Live::Close => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        if socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
}
