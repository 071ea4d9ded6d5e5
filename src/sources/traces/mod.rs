//! Trace stores (PROTOCOLS §11): the trace a view asks for by id (`Demand.trace`) and the
//! cockpit's worst recent traces of one service (`Demand.trace_search`), from Jaeger's v1
//! query API, Jaeger's v3 API (OTLP JSON) or Tempo, read into one span model (`wire.rs`,
//! built into a tree by `model::trace`). Panes never learn which store answered.
//!
//! Requests:
//! - Jaeger v1: `GET /api/traces/{id}`; search `GET /api/traces?service=&start=&end=&limit=`
//!   with `tags={"error":"true"}` (errors) or `minDuration=` (slow); `GET /api/services`
//!   finds the service's name (`store`, or Istio's `store.dev`).
//! - Jaeger v3: `GET /api/v3/traces/{id}`; search `GET /api/v3/traces?query.service_name=
//!   &query.start_time_min=&query.start_time_max=&query.search_depth=` (+ `query.duration_min`).
//! - Tempo: `GET /api/traces/{id}`; search `GET /api/search?q=<TraceQL>&start=&end=&limit=`.
//!
//! `auto` asks `/api/traces/{id}` (Jaeger v1 and Tempo both serve it; the body's shape says
//! which), then `/api/v3/traces/{id}`, and remembers what answered.

pub mod wire;

use crate::model::trace::{TraceHit, TraceMiss, TraceSearch, WORST_PER_TRACK, build, worst};
use crate::net::http::{Endpoint, HttpError, ServiceRef};
use crate::state::{Demand, Update};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Which API a store speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Jaeger,
    JaegerV3,
    Tempo,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Api::Jaeger => "jaeger",
            Api::JaegerV3 => "jaeger-v3",
            Api::Tempo => "tempo",
        }
    }
}

/// Where traces come from: an endpoint found or given, and the API (None: not known yet).
pub struct TraceStore {
    endpoint: Endpoint,
    /// Where the API is under the endpoint: empty, or `jaeger/` (Istio's Jaeger addon serves
    /// its UI and API under `--query.base-path=/jaeger`).
    prefix: String,
    api: Mutex<Option<Api>>,
}

/// The usual in-cluster names of a trace store, as (namespace, service, port).
pub const DISCOVER: [(&str, &str, &str); 6] = [
    ("istio-system", "tracing", "80"),
    ("observability", "jaeger-query", "16686"),
    ("monitoring", "tempo", "3200"),
    ("tracing", "jaeger-query", "16686"),
    ("observability", "tempo", "3200"),
    ("tempo", "tempo", "3200"),
];

/// How the trace source is set up: a store given (`--traces URL`), or one to look for at
/// [`DISCOVER`] through the API server (again every minute while none answers).
pub enum TracePlan {
    Store(Arc<TraceStore>),
    Discover {
        kube: kube::Client,
        api: Option<Api>,
        timeout: Duration,
        /// Headers every request carries (a Tempo tenant's `X-Scope-OrgID`).
        headers: Vec<(String, String)>,
    },
}

/// Reading a big trace can take the store a while.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// A trace not found yet, or missing spans' parents, is asked again this often, so many times.
const AGAIN_EVERY: Duration = Duration::from_secs(5);
const AGAIN_TIMES: u32 = 6;
/// The cockpit's worst traces are searched again this often.
const SEARCH_EVERY: Duration = Duration::from_secs(30);

impl TraceStore {
    pub fn new(endpoint: Endpoint, api: Option<Api>) -> Self {
        Self {
            endpoint,
            prefix: String::new(),
            api: Mutex::new(api),
        }
    }

    /// The API under a path of the endpoint (`jaeger/`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<crate::net::http::Response, HttpError> {
        self.endpoint
            .get(&format!("{}{path}", self.prefix), query)
            .await
    }

    pub fn api(&self) -> Option<Api> {
        self.api.lock().map(|a| *a).unwrap_or(None)
    }

    fn learn(&self, api: Api) {
        if let Ok(mut a) = self.api.lock() {
            *a = Some(api);
        }
    }

    /// The store in words, for titles (`jaeger at http://…`).
    pub fn describe(&self) -> String {
        let at = format!("{}{}", self.endpoint.describe(), self.prefix);
        match self.api() {
            Some(a) => format!("{} at {at}", a.name()),
            None => at,
        }
    }

    /// An error in words a user can act on.
    fn failed(&self, e: &HttpError) -> TraceMiss {
        let at = self.endpoint.describe();
        TraceMiss::Failed(match e.status {
            Some(401 | 403) => format!(
                "the trace store at {at} refused {} ({}): set OPSDECK_TRACES_TOKEN or \
                 OPSDECK_TRACES_USER/_PASSWORD",
                self.endpoint.credential(),
                e.status.unwrap_or(0)
            ),
            None => format!("the trace store at {at} is not answering: {}", e.message),
            Some(_) => format!(
                "the trace store at {at}: {}",
                crate::net::http::short_body(&e.server_said("trace store"))
            ),
        })
    }

    /// One trace by id (normalised hex).
    pub async fn fetch(&self, id: &str) -> Result<crate::model::trace::Trace, TraceMiss> {
        let (id, spans) = match self.api() {
            Some(api) => self.fetch_with(api, id).await?,
            None => self.fetch_auto(id).await?,
        };
        if spans.is_empty() {
            return Err(TraceMiss::NotFound(format!("no spans of trace {id} yet")));
        }
        Ok(build(id, spans))
    }

    async fn fetch_with(
        &self,
        api: Api,
        id: &str,
    ) -> Result<(String, Vec<crate::model::trace::Span>), TraceMiss> {
        let path = match api {
            Api::JaegerV3 => format!("api/v3/traces/{id}"),
            Api::Jaeger | Api::Tempo => format!("api/traces/{id}"),
        };
        let not_found = || TraceMiss::NotFound(format!("{} has no trace {id}", api.name()));
        let r = match self.get(&path, &[]).await {
            Ok(r) => r,
            Err(e) if e.status == Some(404) => return Err(not_found()),
            Err(e) => return Err(self.failed(&e)),
        };
        parse(api, id, &r.body)
    }

    /// Jaeger v1 or Tempo at `/api/traces/{id}` (told apart by the body), else Jaeger v3.
    async fn fetch_auto(
        &self,
        id: &str,
    ) -> Result<(String, Vec<crate::model::trace::Span>), TraceMiss> {
        let first = self.get(&format!("api/traces/{id}"), &[]).await;
        let shape = |body: &str| -> Option<Api> {
            let v: serde_json::Value = serde_json::from_str(body).ok()?;
            if v.get("data").is_some() || v.get("errors").is_some() {
                Some(Api::Jaeger)
            } else if v.get("batches").is_some() || v.get("trace").is_some() {
                Some(Api::Tempo)
            } else {
                None
            }
        };
        match &first {
            Ok(r) => {
                if let Some(api) = shape(&r.body) {
                    self.learn(api);
                    return parse(api, id, &r.body);
                }
            }
            // A Jaeger v1 404 says so in its own shape.
            Err(e) if e.status == Some(404) && shape(&e.body) == Some(Api::Jaeger) => {
                self.learn(Api::Jaeger);
                return Err(TraceMiss::NotFound(format!("jaeger has no trace {id}")));
            }
            Err(e) if e.status != Some(404) => return Err(self.failed(e)),
            Err(_) => {}
        }
        match self.get(&format!("api/v3/traces/{id}"), &[]).await {
            Ok(r) if wire::otlp(&r.body).is_ok() => {
                self.learn(Api::JaegerV3);
                parse(Api::JaegerV3, id, &r.body)
            }
            Err(e) if e.status == Some(404) && e.body.contains("\"error\"") => {
                self.learn(Api::JaegerV3);
                Err(TraceMiss::NotFound(format!("jaeger-v3 has no trace {id}")))
            }
            // Tempo answers an unknown id 404 with plain text; so does a store that is not
            // one of these: the first answer speaks.
            _ => match first {
                Err(e) if e.status == Some(404) => {
                    if e.body.trim() == "trace not found" {
                        // Tempo's words.
                        self.learn(Api::Tempo);
                    }
                    Err(TraceMiss::NotFound(format!(
                        "the trace store has no trace {id} ({})",
                        crate::net::http::short_body(if e.body.is_empty() {
                            &e.message
                        } else {
                            &e.body
                        })
                    )))
                }
                _ => Err(TraceMiss::Failed(format!(
                    "{} answers neither Jaeger's nor Tempo's API; give --traces-api",
                    self.endpoint.describe()
                ))),
            },
        }
    }

    /// The worst recent traces of the asked service, canary and stable: errors, then the
    /// slowest (over its `min_duration_ms` when given).
    pub async fn search(&self, ask: &TraceSearch, now_us: i64) -> Result<Vec<TraceHit>, String> {
        let min_duration_ms = ask.min_duration_ms;
        let api = match self.api() {
            Some(a) => a,
            None => self.detect().await?,
        };
        let start = now_us - i64::from(ask.window_secs.max(60)) * 1_000_000;
        let mut hits = match api {
            Api::Jaeger => {
                self.search_jaeger(ask, start, now_us, min_duration_ms)
                    .await?
            }
            Api::JaegerV3 => self.search_v3(ask, start, now_us, min_duration_ms).await?,
            Api::Tempo => {
                self.search_tempo(ask, start, now_us, min_duration_ms)
                    .await?
            }
        };
        for h in &mut hits {
            h.track = ask.track(&h.pod, &h.version);
        }
        Ok(worst(hits, WORST_PER_TRACK))
    }

    /// Which API the store speaks, when nothing has said yet: Jaeger's `/api/services`,
    /// Tempo's `/api/echo`.
    async fn detect(&self) -> Result<Api, String> {
        if let Ok(r) = self.get("api/services", &[]).await
            && serde_json::from_str::<serde_json::Value>(&r.body)
                .is_ok_and(|v| v.get("data").is_some())
        {
            self.learn(Api::Jaeger);
            return Ok(Api::Jaeger);
        }
        match self.get("api/echo", &[]).await {
            Ok(r) if r.body.trim() == "echo" => {
                self.learn(Api::Tempo);
                Ok(Api::Tempo)
            }
            Ok(_) => Err(format!(
                "{} answers neither Jaeger's nor Tempo's API; give --traces-api",
                self.endpoint.describe()
            )),
            Err(e) => Err(self.failed(&e).text().to_string()),
        }
    }

    /// The name the store knows the service by: `store`, or Istio's `store.dev`.
    async fn jaeger_service(&self, ask: &TraceSearch) -> Result<String, String> {
        let r = self
            .get("api/services", &[])
            .await
            .map_err(|e| self.failed(&e).text().to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&r.body).map_err(|e| format!("Jaeger's services: {e}"))?;
        let names: Vec<&str> = crate::net::json::array_at(&v, &["data"])
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        let dotted = format!("{}.{}", ask.service, ask.namespace);
        [ask.service.as_str(), dotted.as_str()]
            .into_iter()
            .find(|n| names.contains(n))
            .map(str::to_string)
            .ok_or_else(|| {
                format!(
                    "Jaeger has no traces of {} (it knows {} services)",
                    ask.service,
                    names.len()
                )
            })
    }

    async fn search_jaeger(
        &self,
        ask: &TraceSearch,
        start: i64,
        end: i64,
        min_ms: u32,
    ) -> Result<Vec<TraceHit>, String> {
        let service = self.jaeger_service(ask).await?;
        let base = vec![
            ("service", service.clone()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("limit", "20".to_string()),
        ];
        let slow = (min_ms > 0).then(|| ("minDuration", format!("{min_ms}ms")));
        let errors = ("tags", r#"{"error":"true"}"#.to_string());
        let names = [service.as_str(), ask.service.as_str()];
        self.failing_then_slow("api/traces", base, errors, slow, |body, _| {
            Ok(wire::jaeger_traces(body)?
                .into_iter()
                .map(|(id, spans)| wire::hit_of(id, &spans, &names))
                .collect())
        })
        .await
    }

    /// Two searches of `path`: `base` with `errors` (the failing ones, whatever they took),
    /// then `base` with `slow` (when there is a threshold), each answer read by `read` (told
    /// whether it answers the search for errors).
    async fn failing_then_slow(
        &self,
        path: &str,
        base: Vec<(&'static str, String)>,
        errors: (&'static str, String),
        slow: Option<(&'static str, String)>,
        read: impl Fn(&str, bool) -> Result<Vec<TraceHit>, String>,
    ) -> Result<Vec<TraceHit>, String> {
        let mut hits = Vec::new();
        let with = |extra: Option<(&'static str, String)>| {
            let mut q = base.clone();
            q.extend(extra);
            q
        };
        for (q, failing) in [(with(Some(errors)), true), (with(slow), false)] {
            let r = self
                .get(path, &q)
                .await
                .map_err(|e| self.failed(&e).text().to_string())?;
            hits.extend(read(&r.body, failing)?);
        }
        Ok(hits)
    }

    async fn search_v3(
        &self,
        ask: &TraceSearch,
        start: i64,
        end: i64,
        min_ms: u32,
    ) -> Result<Vec<TraceHit>, String> {
        let rfc = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let base = vec![
            ("query.service_name", ask.service.clone()),
            ("query.start_time_min", rfc(start)),
            ("query.start_time_max", rfc(end)),
            ("query.search_depth", "20".to_string()),
        ];
        let slow = (min_ms > 0).then(|| ("query.duration_min", format!("{min_ms}ms")));
        let errors = ("query.attributes", r#"{"error":"true"}"#.to_string());
        self.failing_then_slow("api/v3/traces", base, errors, slow, |body, _| {
            Ok(wire::otlp_traces(body)?
                .into_iter()
                .map(|(id, spans)| wire::hit_of(id, &spans, &[&ask.service]))
                .collect())
        })
        .await
    }

    async fn search_tempo(
        &self,
        ask: &TraceSearch,
        start: i64,
        end: i64,
        min_ms: u32,
    ) -> Result<Vec<TraceHit>, String> {
        let svc = ask.service.replace('\\', "\\\\").replace('"', "\\\"");
        let select = "select(resource.k8s.pod.name, resource.service.version)";
        let slow = if min_ms > 0 {
            format!(" && duration > {min_ms}ms")
        } else {
            String::new()
        };
        let base = vec![
            ("start", (start / 1_000_000).to_string()),
            ("end", (end / 1_000_000).to_string()),
            ("limit", "20".to_string()),
        ];
        let errors = (
            "q",
            format!(r#"{{ resource.service.name = "{svc}" && status = error }} | {select}"#),
        );
        // The second search always has its TraceQL: without a threshold, any trace.
        let slow = (
            "q",
            format!(r#"{{ resource.service.name = "{svc}"{slow} }} | {select}"#),
        );
        self.failing_then_slow("api/search", base, errors, Some(slow), wire::tempo_search)
            .await
    }
}

/// A trace's body in `api`'s shape, read.
fn parse(
    api: Api,
    id: &str,
    body: &str,
) -> Result<(String, Vec<crate::model::trace::Span>), TraceMiss> {
    let parsed = match api {
        Api::Jaeger => wire::jaeger_v1(body),
        Api::JaegerV3 | Api::Tempo => wire::otlp(body),
    };
    match parsed {
        Ok(t) => Ok(t),
        Err(e) if e.contains("no such trace") || e.contains("no spans") => Err(
            TraceMiss::NotFound(format!("{} has no trace {id}", api.name())),
        ),
        Err(e) => Err(TraceMiss::Failed(format!(
            "{} answered trace {id} with something unreadable: {e}",
            api.name()
        ))),
    }
}

/// The first of [`DISCOVER`] that answers as Jaeger (`/api/services`) or Tempo (`/api/echo`),
/// each asked at its root and under `jaeger/` (Istio's addon).
pub async fn discover(
    kube: &kube::Client,
    api: Option<Api>,
    timeout: Duration,
    headers: &[(String, String)],
) -> Option<TraceStore> {
    for (ns, name, port) in DISCOVER {
        for prefix in ["", "jaeger/"] {
            let mut e = Endpoint::service(kube.clone(), ServiceRef::new(ns, name, port))
                .with_timeout(timeout);
            for (k, v) in headers {
                e = e.with_header(k, v);
            }
            let store = TraceStore::new(e, None).under(prefix);
            let Ok(spoken) = store.detect().await else {
                continue;
            };
            tracing::info!(
                "traces: found {ns}/{name}:{port}/{prefix} ({})",
                spoken.name()
            );
            // `--traces-api` says what to speak, whatever answered the probe.
            if let Some(a) = api {
                store.learn(a);
            }
            return Some(store);
        }
    }
    None
}

/// Starts the trace source.
pub fn spawn(
    plan: TracePlan,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let store = match plan {
            TracePlan::Store(s) => s,
            TracePlan::Discover {
                kube,
                api,
                timeout,
                headers,
            } => match find(&kube, api, timeout, &headers, demand.clone(), &tx).await {
                Some(s) => Arc::new(s),
                None => return,
            },
        };
        run(store, demand, tx).await;
    })
}

/// Looks for a store once something asks for traces, again each minute while none answers;
/// meanwhile every ask is told none is found. None: opsdeck is quitting.
async fn find(
    kube: &kube::Client,
    api: Option<Api>,
    timeout: Duration,
    headers: &[(String, String)],
    mut demand: watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> Option<TraceStore> {
    let names: Vec<String> = DISCOVER
        .iter()
        .map(|(ns, n, p)| format!("{ns}/{n}:{p}"))
        .collect();
    loop {
        let asked = |d: &Demand| d.trace.is_some() || d.trace_search.is_some();
        while !asked(&demand.borrow_and_update()) {
            demand.changed().await.ok()?;
        }
        if let Some(s) = discover(kube, api, timeout, headers).await {
            return Some(s);
        }
        let why = format!(
            "no trace store answered at {}; give --traces URL",
            names.join(", ")
        );
        let (trace, search) = {
            let d = demand.borrow();
            (d.trace.clone(), d.trace_search.clone())
        };
        if let Some(id) = trace {
            let u = Update::Trace {
                id,
                trace: Err(TraceMiss::NoStore(why.clone())),
                store: String::new(),
            };
            tx.send(u).await.ok()?;
        }
        if let Some(ask) = search {
            tx.send(Update::TraceHits {
                ask,
                hits: Err(why),
            })
            .await
            .ok()?;
        }
        // Again in a minute, or at once for another ask (not for any other change of the
        // screen).
        let asks = |d: &Demand| (d.trace.clone(), d.trace_search.clone());
        let now = asks(&demand.borrow());
        let another = async {
            loop {
                if demand.changed().await.is_err() {
                    return false;
                }
                if asks(&demand.borrow()) != now {
                    return true;
                }
            }
        };
        if let Ok(false) = tokio::time::timeout(Duration::from_secs(60), another).await {
            return None;
        }
    }
}

async fn run(store: Arc<TraceStore>, demand: watch::Receiver<Demand>, tx: mpsc::Sender<Update>) {
    let by_id = crate::sources::spawn_on_demand!(
        store.clone(),
        demand.clone(),
        tx.clone(),
        |d| d.trace.clone(),
        follow_trace
    );
    let search = crate::sources::spawn_on_demand!(
        store,
        demand,
        tx,
        |d| d.trace_search.clone(),
        follow_search
    );
    let _ = tokio::join!(by_id, search);
}

/// Reads one trace, and again while it is not found yet or missing spans' parents (still
/// arriving), a few times; then waits for another ask.
async fn follow_trace(
    store: &Arc<TraceStore>,
    id: String,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let wanted = |d: &Demand| d.trace.as_deref() == Some(id.as_str());
    for n in 0..AGAIN_TIMES {
        let trace = match crate::sources::while_wanted(demand, wanted, store.fetch(&id)).await {
            Ok(t) => t,
            Err(moved_on) => return moved_on,
        };
        // Whole, or no store to ask: done. Not found yet, spans missing their parent, or a
        // store that failed: asked again.
        let complete = match &trace {
            Ok(t) => t.orphans == 0,
            Err(TraceMiss::NoStore(_)) => true,
            Err(_) => false,
        };
        let u = Update::Trace {
            id: id.clone(),
            trace,
            store: store.describe(),
        };
        if tx.send(u).await.is_err() {
            return false;
        }
        if complete || n + 1 == AGAIN_TIMES {
            break;
        }
        match crate::sources::while_wanted(demand, wanted, tokio::time::sleep(AGAIN_EVERY)).await {
            Ok(()) => {}
            Err(moved_on) => return moved_on,
        }
    }
    crate::sources::until_unwanted(demand, wanted).await
}

/// Searches the service's worst traces now and every half minute while the cockpit asks.
async fn follow_search(
    store: &Arc<TraceStore>,
    ask: TraceSearch,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let wanted = |d: &Demand| d.trace_search.as_ref() == Some(&ask);
    loop {
        let now = chrono::Utc::now().timestamp_micros();
        let hits = match crate::sources::while_wanted(demand, wanted, store.search(&ask, now)).await
        {
            Ok(h) => h,
            Err(moved_on) => return moved_on,
        };
        let u = Update::TraceHits {
            ask: ask.clone(),
            hits,
        };
        if tx.send(u).await.is_err() {
            return false;
        }
        match crate::sources::while_wanted(demand, wanted, tokio::time::sleep(SEARCH_EVERY)).await {
            Ok(()) => {}
            Err(moved_on) => return moved_on,
        }
    }
}
