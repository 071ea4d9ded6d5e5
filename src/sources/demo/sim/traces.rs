//! Traces in the simulation, consistent with its logs and routes: every log line's trace id
//! is a request the simulation remembers (its service, pod, version, route, when, and how it
//! failed), and a sample of the requests that did not log is kept too, so the cockpit's worst
//! traces have slow ones to show. A trace is built from its request on demand, the same every
//! time: the gateway's span, its call, the service's span with its database call, and where
//! it failed — the bad build's mapping span throwing after its query succeeded, or a
//! downstream call reset.

use super::Sim;
use crate::model::Track;
use crate::model::trace::{
    Span, Trace, TraceHit, TraceMiss, TraceSearch, WORST_PER_TRACK, build, worst,
};
use chrono::{DateTime, Duration, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Requests remembered: 15 minutes of the platform's, at most this many.
const KEPT: usize = 20_000;
const KEPT_SECS: i64 = 900;

/// The gateway's path for a service's route: `GET /products` of store → `/api/store/products`.
fn gateway_path(service: &str, route: &str) -> String {
    format!(
        "/api/{service}{}",
        route.split_once(' ').map_or("", |r| r.1)
    )
}

/// How a remembered request failed.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Failure {
    None,
    /// The bad build threw while mapping what it read: the exception line, and the frame
    /// (`PriceMapper.toDto`) it threw in.
    BadBuild {
        exception: String,
        frame: String,
    },
    /// A call to another service failed: the exception line.
    Downstream(String),
}

/// One request the simulation served.
#[derive(Clone, Debug)]
pub(super) struct DemoRequest {
    /// The trace id's 32 hex digits, as a number (a few MB less over 15 minutes).
    pub trace_id: u128,
    pub service: usize,
    pub pod: String,
    pub version: String,
    pub at: DateTime<Utc>,
    pub route: &'static str,
    pub duration_us: i64,
    pub failure: Failure,
}

/// `at com.example.store.product.PriceMapper.toDto(PriceMapper.java:57)` → `PriceMapper.toDto`.
fn frame_name(frame: &str) -> String {
    let call = frame.trim().trim_start_matches("at ");
    let call = call.split('(').next().unwrap_or(call);
    let mut parts = call.rsplit('.');
    match (parts.next(), parts.next()) {
        (Some(m), Some(c)) => format!("{c}.{m}"),
        (Some(m), None) => m.to_string(),
        _ => call.to_string(),
    }
}

impl Sim {
    /// A latency drawn from a route's p50/p95/p99, in µs.
    fn draw_latency(&mut self, si: usize) -> (i64, &'static str) {
        let route = self.svcs[si]
            .def
            .routes
            .iter()
            .max_by(|a, b| a.rps.total_cmp(&b.rps));
        let Some(r) = route else {
            return (20_000, "GET /");
        };
        let u: f64 = self.trace_rng.random();
        let ms = if u < 0.5 {
            r.p50 * (0.4 + 1.2 * u)
        } else if u < 0.95 {
            r.p50 + (r.p95 - r.p50) * (u - 0.5) / 0.45
        } else {
            r.p95 + (r.p99 - r.p95) * (u - 0.95) / 0.05 * 1.5
        };
        ((ms.max(0.5) * 1000.0) as i64, r.name)
    }

    /// Remembers the request behind a log line (its trace id resolves).
    pub(super) fn remember_request(
        &mut self,
        si: usize,
        track: Track,
        pod: &str,
        trace_id: &str,
        at: DateTime<Utc>,
        failure: Failure,
    ) {
        let (mut duration_us, route) = self.draw_latency(si);
        if matches!(failure, Failure::Downstream(_)) {
            // A reset connection is noticed late.
            duration_us += 150_000 + self.trace_rng.random_range(0..300_000);
        }
        let s = &self.svcs[si];
        let version = match track {
            Track::Canary => s.canary.as_ref().unwrap_or(&s.stable),
            Track::Stable => &s.stable,
        }
        .tag
        .clone();
        self.requests.push_back(DemoRequest {
            trace_id: u128::from_str_radix(trace_id, 16).unwrap_or_default(),
            service: si,
            pod: pod.to_string(),
            version,
            at,
            route,
            duration_us,
            failure,
        });
        while self.requests.len() > KEPT
            || self
                .requests
                .front()
                .is_some_and(|r| r.at < at - Duration::seconds(KEPT_SECS))
        {
            self.requests.pop_front();
        }
    }

    /// A sample of the requests that logged nothing: one in four seconds per service and
    /// track serving traffic.
    pub(super) fn sample_requests(&mut self, now: DateTime<Utc>) {
        for si in 0..self.svcs.len() {
            let share = self.svcs[si].canary_share();
            for track in [Track::Stable, Track::Canary] {
                let serving = match track {
                    Track::Canary => self.svcs[si].canary.is_some() && share > 0.0,
                    Track::Stable => share < 1.0,
                };
                if !serving {
                    continue;
                }
                // Its own draws: the rest of the simulation runs as it did without traces.
                if !self.trace_rng.random_bool(0.25) {
                    continue;
                }
                let s = &self.svcs[si];
                let v = match track {
                    Track::Canary => s.canary.as_ref().unwrap_or(&s.stable),
                    Track::Stable => &s.stable,
                };
                let k = self.trace_rng.random_range(0..v.pods.len().max(1));
                let pod = format!(
                    "{}-{}-{}",
                    s.def.name,
                    v.hash,
                    v.pods.get(k).map_or("x", String::as_str)
                );
                let id = super::super::telemetry::hex(&mut self.trace_rng, 32);
                let at = now + Duration::milliseconds(self.trace_rng.random_range(0..1000));
                self.remember_request(si, track, &pod, &id, at, Failure::None);
            }
        }
    }

    /// The trace of a request the simulation served, built the same every time.
    pub fn trace(&self, id: &str) -> Result<Trace, TraceMiss> {
        let want = u128::from_str_radix(id, 16).ok();
        let Some(req) = self
            .requests
            .iter()
            .rev()
            .find(|r| Some(r.trace_id) == want)
        else {
            return Err(TraceMiss::NotFound(format!(
                "the demo's Jaeger has no trace {id} (it keeps 15 minutes)"
            )));
        };
        Ok(build(id.to_string(), self.spans_of(req)))
    }

    fn spans_of(&self, req: &DemoRequest) -> Vec<Span> {
        let seed = req.trace_id as u64;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut next_id = || super::super::telemetry::hex(&mut rng, 16);
        let def = self.svcs[req.service].def;
        let ns = self.platform.namespace_of(def);
        let start = req.at.timestamp_micros();
        // Room for the gateway's own time and the service's spans inside it.
        let total = req.duration_us.max(4_000);
        let failed = req.failure != Failure::None;
        let status = if failed { "500" } else { "200" };
        let gateway = self
            .svcs
            .iter()
            .find(|s| s.def.gateway)
            .filter(|g| g.def.name != def.name);
        let mut spans = Vec::new();
        let resource = |pod: &str, version: &str| {
            vec![
                ("k8s.namespace.name".to_string(), ns.to_string()),
                ("k8s.pod.name".to_string(), pod.to_string()),
                ("service.version".to_string(), version.to_string()),
            ]
        };
        // The gateway's spans first, when the request came through one.
        let (mut parent, mut at, mut dur) = (String::new(), start, total);
        if let Some(g) = gateway {
            let root = next_id();
            let client = next_id();
            let gpod = format!(
                "{}-{}-{}",
                g.def.name,
                g.stable.hash,
                g.stable.pods.first().map_or("x", String::as_str)
            );
            let path = gateway_path(def.name, req.route);
            spans.push(Span {
                span_id: root.clone(),
                parent: String::new(),
                service: g.def.name.to_string(),
                name: format!("GET {path}"),
                start_us: start,
                duration_us: total,
                error: failed,
                attributes: vec![
                    ("span.kind".into(), "server".into()),
                    ("http.method".into(), "GET".into()),
                    ("http.target".into(), path.clone()),
                    ("http.status_code".into(), status.into()),
                ],
                events: Vec::new(),
                resource: resource(&gpod, &g.stable.tag),
            });
            let call = total - 1200;
            spans.push(Span {
                span_id: client.clone(),
                parent: root,
                service: g.def.name.to_string(),
                name: format!("HTTP GET {}", def.name),
                start_us: start + 600,
                duration_us: call,
                error: failed,
                attributes: vec![
                    ("span.kind".into(), "client".into()),
                    ("peer.service".into(), def.name.to_string()),
                    ("http.status_code".into(), status.into()),
                ],
                events: Vec::new(),
                resource: resource(&gpod, &g.stable.tag),
            });
            (parent, at, dur) = (client, start + 900, call - 600);
        }
        let server = next_id();
        let mut events = Vec::new();
        let exception = match &req.failure {
            Failure::None => None,
            Failure::BadBuild { exception, .. } | Failure::Downstream(exception) => {
                Some(exception.clone())
            }
        };
        if let Some(e) = &exception {
            events.push((at + dur - 300, format!("exception exception.message={e}")));
        }
        spans.push(Span {
            span_id: server.clone(),
            parent,
            service: def.name.to_string(),
            name: req.route.to_string(),
            start_us: at,
            duration_us: dur,
            error: failed,
            attributes: vec![
                ("span.kind".into(), "server".into()),
                ("http.route".into(), req.route.to_string()),
                ("http.status_code".into(), status.into()),
            ],
            events,
            resource: resource(&req.pod, &req.version),
        });
        // The database read: most of the service's time.
        let db_start = at + dur / 10;
        let db_dur = dur * 5 / 10;
        let table = def.name.replace('-', "_");
        spans.push(Span {
            span_id: next_id(),
            parent: server.clone(),
            service: def.name.to_string(),
            name: format!("SELECT {table}"),
            start_us: db_start,
            duration_us: db_dur,
            error: false,
            attributes: vec![
                ("span.kind".into(), "client".into()),
                ("db.system".into(), "postgresql".into()),
                (
                    "db.statement".into(),
                    format!("select * from {table} where id = ?"),
                ),
            ],
            events: Vec::new(),
            resource: resource(&req.pod, &req.version),
        });
        let after = db_start + db_dur + 200;
        let tail = (at + dur - after - 400).max(100);
        match &req.failure {
            Failure::BadBuild { exception, frame } => spans.push(Span {
                span_id: next_id(),
                parent: server,
                service: def.name.to_string(),
                name: frame.clone(),
                start_us: after,
                duration_us: tail.min(2_000),
                error: true,
                attributes: vec![
                    ("error".into(), "true".into()),
                    ("code.function".into(), frame.clone()),
                ],
                events: vec![(
                    after + 200,
                    format!("exception exception.message={exception}"),
                )],
                resource: resource(&req.pod, &req.version),
            }),
            Failure::Downstream(e) => {
                let other = self
                    .svcs
                    .iter()
                    .map(|s| s.def.name)
                    .find(|n| *n != def.name && !n.contains("gateway"))
                    .unwrap_or("downstream");
                spans.push(Span {
                    span_id: next_id(),
                    parent: server,
                    service: def.name.to_string(),
                    name: format!("HTTP GET {other}"),
                    start_us: after,
                    duration_us: tail,
                    error: true,
                    attributes: vec![
                        ("span.kind".into(), "client".into()),
                        ("peer.service".into(), other.to_string()),
                        ("error".into(), "true".into()),
                    ],
                    events: vec![(after + tail, format!("exception exception.message={e}"))],
                    resource: resource(&req.pod, &req.version),
                });
            }
            Failure::None => spans.push(Span {
                span_id: next_id(),
                parent: server,
                service: def.name.to_string(),
                name: "redis GET".into(),
                start_us: after,
                duration_us: tail.min(1_500),
                error: false,
                attributes: vec![
                    ("span.kind".into(), "client".into()),
                    ("db.system".into(), "redis".into()),
                ],
                events: Vec::new(),
                resource: resource(&req.pod, &req.version),
            }),
        }
        spans
    }

    /// The worst recent traces of a service, as the cockpit's search would find them.
    pub fn trace_search(&self, ask: &TraceSearch) -> Vec<TraceHit> {
        let Some(si) = self.svc_index(&ask.service) else {
            return Vec::new();
        };
        let since = self.now - Duration::seconds(i64::from(ask.window_secs));
        let min_us = i64::from(ask.min_duration_ms) * 1000;
        let gateway = self.svcs.iter().find(|s| s.def.gateway);
        let hits = self
            .requests
            .iter()
            .filter(|r| r.service == si && r.at >= since)
            .filter(|r| r.failure != Failure::None || r.duration_us >= min_us)
            .map(|r| TraceHit {
                trace_id: format!("{:032x}", r.trace_id),
                root: match gateway.filter(|g| g.def.name != ask.service) {
                    Some(g) => format!(
                        "{}: GET {}",
                        g.def.name,
                        gateway_path(&ask.service, r.route)
                    ),
                    None => format!("{}: {}", ask.service, r.route),
                },
                start_us: r.at.timestamp_micros(),
                duration_us: r.duration_us,
                error: r.failure != Failure::None,
                pod: r.pod.clone(),
                version: r.version.clone(),
                track: ask.track(&r.pod, &r.version),
            })
            .collect();
        worst(hits, WORST_PER_TRACK)
    }
}

/// How the request behind an ERROR line failed, from its stack: Java's (the exception first,
/// then `at …` frames) or Python's (`Traceback …`, `File "…", line N, in FUNC`, the error
/// last).
pub(super) fn failure_of(stack: &[String], bad_build: bool) -> Failure {
    let python = stack.first().is_some_and(|l| l.starts_with("Traceback"));
    let exception = if python { stack.last() } else { stack.first() }
        .map(|l| l.trim().to_string())
        .unwrap_or_default();
    if !bad_build {
        return Failure::Downstream(exception);
    }
    let frame = if python {
        stack
            .iter()
            .rev()
            .find_map(|l| {
                let l = l.trim();
                let (file, func) = l.strip_prefix("File \"")?.split_once("\", line ")?;
                let func = func.split(", in ").nth(1)?;
                let module = file.rsplit('/').next()?.trim_end_matches(".py");
                Some(format!("{module}.{func}"))
            })
            .unwrap_or_default()
    } else {
        stack
            .iter()
            .find(|l| l.trim_start().starts_with("at "))
            .map(|f| frame_name(f))
            .unwrap_or_default()
    };
    Failure::BadBuild { exception, frame }
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_name_their_class_and_method() {
        assert_eq!(
            super::frame_name(
                "    at com.example.store.product.PriceMapper.toDto(PriceMapper.java:57)"
            ),
            "PriceMapper.toDto"
        );
        let py: Vec<String> = [
            "Traceback (most recent call last):",
            "  File \"/app/blog/api/posts.py\", line 48, in list_posts",
            "  File \"/app/blog/schemas.py\", line 31, in from_orm",
            "TypeError: 'NoneType' object is not subscriptable (post 7)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            super::failure_of(&py, true),
            super::Failure::BadBuild {
                exception: "TypeError: 'NoneType' object is not subscriptable (post 7)".into(),
                frame: "schemas.from_orm".into()
            }
        );
    }
}
