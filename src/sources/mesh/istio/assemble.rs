//! Istio's metrics as [`RouteStats`] rows: one per destination service (or per
//! `request_operation` where the Telemetry API names operations), failures counted as Kiali
//! counts them less the 4xx (no response and 5xx fail; 4xx are the callers' and shown apart),
//! the response flags that explain failures, mTLS, and the canary/stable split — by Service
//! for host-level routing, by pod-template hash, pod name or version for subset-level. Retry,
//! timeout and circuit-breaking columns come from the VirtualService and DestinationRule.

use super::objects::IstioObjects;
use crate::model::mesh::{DestinationRule, HttpRoute, VirtualService};
use crate::model::{MeshNote, RoutePolicy, RouteSample, RouteStats, RowKind, Track};
use crate::sources::mesh::{finite, q_index};
use crate::sources::prometheus::api::Sample;
use crate::state::Tracked;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::model::ALL_REQUESTS;

/// Everything one refresh read from Prometheus.
#[derive(Clone, Debug, Default)]
pub struct IstioInputs {
    pub requests: Vec<Sample>,
    pub by_pod: Vec<Sample>,
    /// (quantile, samples by row).
    pub latency: Vec<(f64, Vec<Sample>)>,
    pub track_latency: Vec<TrackLatency>,
    /// `increase` of each running canary's tracks' latency buckets, by operation.
    pub track_buckets: Vec<TrackBuckets>,
}

/// One track's latency buckets of the window, by operation.
#[derive(Clone, Debug)]
pub struct TrackBuckets {
    pub namespace: String,
    pub rollout: String,
    pub track: Track,
    pub samples: Vec<Sample>,
}

/// One latency quantile of one track of a running canary, by operation.
#[derive(Clone, Debug)]
pub struct TrackLatency {
    pub namespace: String,
    pub rollout: String,
    pub track: Track,
    pub quantile: f64,
    pub samples: Vec<Sample>,
}

/// (namespace, row service, operation).
type Key = (String, String, String);

#[derive(Clone, Debug, Default)]
struct Count {
    total: f64,
    failed: f64,
    client: f64,
    mtls: f64,
    flags: BTreeMap<String, f64>,
}

impl Count {
    fn add(&mut self, s: &Sample) {
        let v = if s.value.is_finite() && s.value > 0.0 {
            s.value
        } else {
            return;
        };
        self.total += v;
        let code = label(s, "response_code");
        if code == "0" || code.starts_with('5') {
            self.failed += v;
        } else if code.starts_with('4') {
            self.client += v;
        }
        if label(s, "connection_security_policy") == "mutual_tls" {
            self.mtls += v;
        }
        for f in label(s, "response_flags").split(',') {
            let f = f.trim();
            if !f.is_empty() && f != "-" {
                *self.flags.entry(f.to_string()).or_default() += v;
            }
        }
    }

    fn sample(&self, window: u32, lat: [f64; 3]) -> RouteSample {
        let w = f64::from(window.max(1));
        let success = (self.total > 0.0).then(|| 1.0 - self.failed / self.total);
        let mut flags: Vec<(String, f64)> =
            self.flags.iter().map(|(f, n)| (f.clone(), n / w)).collect();
        flags.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        RouteSample {
            effective_success: success,
            // Istio reports each attempt the destination saw; there is no "after retries" view.
            actual_success: success,
            rps: self.total / w,
            p50_ms: lat[0],
            p95_ms: lat[1],
            p99_ms: lat[2],
            client_error_rps: self.client / w,
            flags,
            latency_buckets: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Row {
    all: Count,
    tracks: BTreeMap<Track, Count>,
    lat: [f64; 3],
    track_lat: BTreeMap<Track, [f64; 3]>,
    track_buckets: BTreeMap<Track, crate::model::latency::Buckets>,
}

fn label<'a>(s: &'a Sample, k: &str) -> &'a str {
    s.labels.get(k).map(String::as_str).unwrap_or("")
}

/// The row a destination service belongs to, and its track under host-level routing: the
/// canary and stable Services of a rollout are one row, the rollout's.
fn row_of<'a>(s: &'a Sample, tracked: &'a [Tracked]) -> (String, String, Option<Track>) {
    let ns = label(s, "destination_service_namespace");
    let svc = label(s, "destination_service_name");
    for t in tracked.iter().filter(|t| t.namespace == ns && !t.subsets) {
        if !t.canary_service.is_empty() && svc == t.canary_service {
            return (ns.into(), t.name.clone(), Some(Track::Canary));
        }
        if !t.stable_service.is_empty() && svc == t.stable_service {
            return (ns.into(), t.name.clone(), Some(Track::Stable));
        }
    }
    (ns.into(), svc.into(), None)
}

/// Canary or stable of a series of `by_pod`: its pod-template hash label, else its pod's name,
/// else its version label.
pub fn track_of(s: &Sample, t: &Tracked) -> Option<Track> {
    let hash = label(s, "rollouts_pod_template_hash");
    let pod = label(s, "pod");
    let of_pod = crate::model::service_of_pod(pod).1.unwrap_or_default();
    let h = if !hash.is_empty() {
        hash
    } else {
        of_pod.as_str()
    };
    if !h.is_empty() {
        return match h {
            h if h == t.canary_hash => Some(Track::Canary),
            h if h == t.stable_hash => Some(Track::Stable),
            _ => None,
        };
    }
    match label(s, "destination_version") {
        "" => None,
        v if v == t.canary_version => Some(Track::Canary),
        v if v == t.stable_version => Some(Track::Stable),
        _ => None,
    }
}

/// The policy of a service's route: the VirtualService route that sends to it, the
/// DestinationRule for its host.
fn policy(objects: &IstioObjects, ns: &str, svc: &str) -> RoutePolicy {
    let vs: Option<&VirtualService> = objects
        .virtual_services
        .values()
        .find(|v| v.namespace == ns && v.serves(svc, ns))
        .or_else(|| {
            objects
                .virtual_services
                .values()
                .find(|v| v.serves(svc, ns))
        });
    // The route that sends to this service (a header-matched route may come first).
    let route: Option<&HttpRoute> = vs.and_then(|v| {
        v.http
            .iter()
            .find(|r| {
                r.destinations
                    .iter()
                    .any(|d| crate::model::mesh::same_host(&d.host, svc, ns))
            })
            .or(v.http.first())
    });
    let dr: Option<&DestinationRule> = objects.destination_rules.values().find(|d| {
        d.namespace == ns
            && (d.host == svc
                || d.host == format!("{svc}.{ns}")
                || d.host.starts_with(&format!("{svc}.{ns}.svc")))
    });
    let retries = route.and_then(|r| r.retries.as_ref());
    RoutePolicy::Istio {
        attempts: retries.map(|r| r.attempts),
        per_try_timeout_ms: retries.and_then(|r| r.per_try_timeout_ms),
        retry_on: retries
            .map(|r| r.retry_on.clone())
            .filter(|r| !r.is_empty()),
        timeout_ms: route.and_then(|r| r.timeout_ms),
        outlier: dr.and_then(|d| d.outlier.clone()),
        pool: dr.and_then(|d| d.pool.clone()),
    }
}

/// Builds the rows and notes; `window` in seconds.
pub fn assemble(
    inputs: &IstioInputs,
    objects: &IstioObjects,
    tracked: &[Tracked],
    window: u32,
) -> (Vec<RouteStats>, Vec<MeshNote>) {
    let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
    let running: Vec<&Tracked> = tracked.iter().filter(|t| t.canary_running()).collect();
    for s in &inputs.requests {
        let (ns, svc, track) = row_of(s, tracked);
        if svc.is_empty() {
            continue;
        }
        let row = rows
            .entry((ns, svc.clone(), label(s, "request_operation").to_string()))
            .or_default();
        row.all.add(s);
        if let Some(t) = track.filter(|_| running.iter().any(|r| r.name == svc)) {
            row.tracks.entry(t).or_default().add(s);
        }
    }
    // Subset-level: one Service, the track from the pods.
    for s in &inputs.by_pod {
        let (ns, svc, host_track) = row_of(s, tracked);
        let Some(t) = running
            .iter()
            .find(|t| t.namespace == ns && t.name == svc && host_track.is_none())
        else {
            continue;
        };
        if let Some(track) = track_of(s, t)
            && let Some(row) = rows.get_mut(&(ns, svc, label(s, "request_operation").to_string()))
        {
            row.tracks.entry(track).or_default().add(s);
        }
    }
    for (q, list) in &inputs.latency {
        for s in list {
            let (ns, svc, _) = row_of(s, tracked);
            if let Some(row) = rows.get_mut(&(ns, svc, label(s, "request_operation").to_string())) {
                // Host-level rows are two Services; the larger quantile is the honest one.
                let v = &mut row.lat[q_index(*q)];
                *v = v.max(finite(s.value));
            }
        }
    }
    // A track's series by operation: the row of its rollout and that operation.
    let op_key = |ns: &str, rollout: &str, s: &Sample| {
        (
            ns.to_string(),
            rollout.to_string(),
            label(s, "request_operation").to_string(),
        )
    };
    for t in &inputs.track_latency {
        for s in &t.samples {
            if let Some(row) = rows.get_mut(&op_key(&t.namespace, &t.rollout, s)) {
                row.track_lat.entry(t.track).or_default()[q_index(t.quantile)] = finite(s.value);
            }
        }
    }
    for t in &inputs.track_buckets {
        for s in &t.samples {
            if let Some(row) = rows.get_mut(&op_key(&t.namespace, &t.rollout, s)) {
                let h = row.track_buckets.entry(t.track).or_default();
                crate::sources::mesh::add_bucket(h, label(s, "le"), s.value, window);
            }
        }
    }
    let mut out = Vec::new();
    let mut traffic: BTreeSet<(String, String)> = BTreeSet::new();
    for ((ns, svc, op), row) in rows {
        if row.all.total <= 0.0 {
            continue;
        }
        traffic.insert((ns.clone(), svc.clone()));
        // A canary running, and its pods (or Services) found in the series: else the
        // metrics cannot tell canary from stable, and the row says nothing of either.
        let split =
            running.iter().any(|t| t.namespace == ns && t.name == svc) && !row.tracks.is_empty();
        let track = |t: Track| {
            let lat = row.track_lat.get(&t).copied().unwrap_or_default();
            let mut sample = row
                .tracks
                .get(&t)
                .cloned()
                .unwrap_or_default()
                .sample(window, lat);
            sample.latency_buckets = row.track_buckets.get(&t).cloned().unwrap_or_default();
            sample
        };
        out.push(RouteStats {
            policy: policy(objects, &ns, &svc),
            mtls: Some(row.all.mtls / row.all.total),
            overall: row.all.sample(window, row.lat),
            canary: split.then(|| track(Track::Canary)),
            stable: split.then(|| track(Track::Stable)),
            row: if op.is_empty() {
                RowKind::Service
            } else {
                RowKind::Route
            },
            route: if op.is_empty() {
                ALL_REQUESTS.to_string()
            } else {
                op
            },
            service: svc,
            namespace: ns,
        });
    }
    let w = crate::model::time::fmt_window(window);
    let notes = tracked
        .iter()
        .filter(|t| !traffic.contains(&(t.namespace.clone(), t.name.clone())))
        .map(|t| {
            let known = objects
                .virtual_services
                .values()
                .any(|v| v.serves(&t.name, &t.namespace));
            MeshNote {
                namespace: t.namespace.clone(),
                service: t.name.clone(),
                reason: if known {
                    format!("a VirtualService routes to it, but Istio reported no requests in the last {w}")
                } else {
                    format!("no requests reported by Istio in the last {w} (is its pod injected with istio-proxy?)")
                },
            }
        })
        .collect();
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mesh::{Retries, WeightedDestination};

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample::new(labels, value)
    }

    fn req(svc: &str, code: &str, flags: &str, value: f64) -> Sample {
        sample(
            &[
                ("destination_service_namespace", "titanium-prod"),
                ("destination_service_name", svc),
                ("response_code", code),
                ("response_flags", flags),
                ("connection_security_policy", "mutual_tls"),
            ],
            value,
        )
    }

    fn blog() -> Tracked {
        Tracked {
            namespace: "titanium-prod".into(),
            name: "blog-service".into(),
            stable_hash: "6c9f8d7b5".into(),
            canary_hash: "7d4b9c6f8".into(),
            subsets: true,
            ..Default::default()
        }
    }

    #[test]
    fn five_hundreds_and_no_response_fail_four_hundreds_are_counted_apart() {
        let inputs = IstioInputs {
            requests: vec![
                req("blog-service", "200", "-", 540.0),
                req("blog-service", "503", "UO", 48.0),
                req("blog-service", "0", "UF", 6.0),
                req("blog-service", "404", "-", 6.0),
            ],
            by_pod: vec![
                sample(
                    &[
                        ("destination_service_namespace", "titanium-prod"),
                        ("destination_service_name", "blog-service"),
                        ("response_code", "503"),
                        ("response_flags", "UO"),
                        ("pod", "blog-service-7d4b9c6f8-x2x9k"),
                    ],
                    48.0,
                ),
                sample(
                    &[
                        ("destination_service_namespace", "titanium-prod"),
                        ("destination_service_name", "blog-service"),
                        ("response_code", "200"),
                        ("rollouts_pod_template_hash", "6c9f8d7b5"),
                    ],
                    540.0,
                ),
            ],
            ..Default::default()
        };
        let mut objects = IstioObjects::default();
        objects.virtual_services.insert(
            ("titanium-prod".into(), "blog".into()),
            VirtualService {
                namespace: "titanium-prod".into(),
                name: "blog".into(),
                hosts: vec!["blog-service".into()],
                http: vec![HttpRoute {
                    name: "primary".into(),
                    destinations: vec![WeightedDestination {
                        host: "blog-service".into(),
                        subset: "stable".into(),
                        weight: 100,
                    }],
                    retries: Some(Retries {
                        attempts: 3,
                        per_try_timeout_ms: Some(2000),
                        retry_on: "5xx".into(),
                    }),
                    timeout_ms: Some(10_000),
                }],
            },
        );
        let (rows, notes) = assemble(&inputs, &objects, &[blog()], 60);
        assert!(notes.is_empty());
        let r = &rows[0];
        assert_eq!((r.row, r.route.as_str()), (RowKind::Service, ALL_REQUESTS));
        assert_eq!(r.overall.rps, 10.0);
        assert_eq!(r.overall.effective_success, Some(1.0 - 54.0 / 600.0));
        assert_eq!(r.overall.client_error_rps, 0.1);
        assert_eq!(r.overall.flags[0], ("UO".to_string(), 0.8));
        assert_eq!(r.mtls, Some(1.0));
        assert_eq!(
            r.canary.as_ref().unwrap().effective_success,
            Some(0.0),
            "by pod name"
        );
        assert_eq!(
            r.stable.as_ref().unwrap().effective_success,
            Some(1.0),
            "by hash label"
        );
        assert_eq!(r.timeout_ms(), 10_000);
        assert!(matches!(
            r.policy,
            RoutePolicy::Istio {
                attempts: Some(3),
                ..
            }
        ));
    }

    #[test]
    fn host_level_canary_and_stable_services_are_one_row_split_by_service() {
        let t = Tracked {
            namespace: "titanium-prod".into(),
            name: "auth-service".into(),
            stable_hash: "a1".into(),
            canary_hash: "b2".into(),
            canary_service: "auth-service-canary".into(),
            stable_service: "auth-service-stable".into(),
            ..Default::default()
        };
        let inputs = IstioInputs {
            requests: vec![
                req("auth-service-stable", "200", "-", 90.0),
                req("auth-service-canary", "200", "-", 9.0),
                req("auth-service-canary", "500", "-", 1.0),
            ],
            ..Default::default()
        };
        let (rows, _) = assemble(&inputs, &IstioObjects::default(), &[t], 10);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].service, "auth-service");
        assert_eq!(
            rows[0].canary.as_ref().unwrap().effective_success,
            Some(0.9)
        );
        assert_eq!(rows[0].stable.as_ref().unwrap().rps, 9.0);
        assert!(
            matches!(rows[0].policy, RoutePolicy::Istio { attempts: None, .. }),
            "no VirtualService: Istio's default retries"
        );
    }
}
