//! Joins Linkerd route metrics with the ServiceProfiles into [`RouteStats`] rows, split into
//! canary and stable by pod template hash, and says why a service in scope has no rows.

use super::profiles::{DEFAULT_ROUTE_TIMEOUT_MS, ServiceProfile};
use crate::model::{MeshNote, RoutePolicy, RouteSample, RouteStats, RowKind};
use crate::sources::mesh::{finite, q_index};
use crate::sources::prometheus::api::Sample;
use crate::state::Tracked;
use std::collections::{BTreeMap, BTreeSet};

/// Everything one refresh read from Prometheus.
#[derive(Clone, Debug, Default)]
pub struct MeshInputs {
    pub inbound: Vec<Sample>,
    pub effective: Vec<Sample>,
    pub actual: Vec<Sample>,
    /// (quantile, samples), quantiles 0.5, 0.95, 0.99.
    pub latency: Vec<(f64, Vec<Sample>)>,
    pub latency_by_hash: Vec<(f64, Vec<Sample>)>,
    /// `increase` of the latency buckets by pod hash (only while a canary runs).
    pub buckets_by_hash: Vec<Sample>,
    /// HTTPRoute metrics, read only when a service in scope has no profile.
    pub http_statuses: Vec<Sample>,
    pub http_backend_statuses: Vec<Sample>,
    pub http_latency: Vec<(f64, Vec<Sample>)>,
    pub meshed: Vec<Sample>,
}

type Key = (String, String, String);

#[derive(Default, Clone, Copy, Debug)]
struct Count {
    success: f64,
    failure: f64,
}

impl Count {
    fn total(self) -> f64 {
        self.success + self.failure
    }
    fn rate(self) -> Option<f64> {
        (self.total() > 0.0).then(|| (self.success / self.total()).clamp(0.0, 1.0))
    }
    fn add(&mut self, success: bool, v: f64) {
        // A rate is never negative: a negative sample is a broken counter, not a number to
        // add (it made success rates above 100 %).
        if !v.is_finite() || v < 0.0 {
            return;
        }
        if success {
            self.success += v;
        } else {
            self.failure += v;
        }
    }
}

#[derive(Default, Debug)]
struct Acc {
    inbound: Count,
    by_hash: BTreeMap<String, Count>,
    effective: Option<Count>,
    actual: Option<Count>,
    lat: [f64; 3],
    lat_hash: BTreeMap<String, [f64; 3]>,
    buckets_hash: BTreeMap<String, crate::model::latency::Buckets>,
    http: bool,
}

/// `store.dev.svc.cluster.local:8080` → (`dev`, `store`).
pub fn service_of_dst(dst: &str) -> Option<(String, String)> {
    let host = dst.rsplit_once(':').map_or(dst, |(h, _)| h);
    let mut parts = host.split('.');
    let svc = parts.next()?.to_string();
    let ns = parts.next()?.to_string();
    Some((ns, svc))
}

fn label<'a>(s: &'a Sample, k: &str) -> &'a str {
    s.labels.get(k).map(String::as_str).unwrap_or("")
}

fn route_name(s: &Sample, key: &str) -> String {
    match label(s, key) {
        "" => "[DEFAULT]".to_string(),
        r => r.to_string(),
    }
}

impl Acc {
    fn has_traffic(&self) -> bool {
        self.inbound.total() > 0.0
            || self.effective.is_some_and(|c| c.total() > 0.0)
            || self.actual.is_some_and(|c| c.total() > 0.0)
    }

    /// The numbers of the pods with one template hash.
    fn split(&self, hash: &str, window: u32) -> RouteSample {
        let c = self.by_hash.get(hash).copied().unwrap_or_default();
        let lat = self.lat_hash.get(hash).copied().unwrap_or_default();
        RouteSample {
            effective_success: c.rate(),
            actual_success: c.rate(),
            rps: c.total() / f64::from(window.max(1)),
            p50_ms: lat[0],
            p95_ms: lat[1],
            p99_ms: lat[2],
            latency_buckets: self.buckets_hash.get(hash).cloned().unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// Builds the rows and notes. `window` is the query window in seconds; `tracked` the rollouts
/// in scope; `profiles` the ServiceProfiles in scope.
pub fn assemble(
    inputs: &MeshInputs,
    profiles: &[ServiceProfile],
    tracked: &[Tracked],
    window: u32,
) -> (Vec<RouteStats>, Vec<MeshNote>) {
    // Every profiled route has a row, with traffic or not.
    let mut rows: BTreeMap<Key, Acc> = BTreeMap::new();
    for p in profiles {
        for r in &p.routes {
            rows.entry((p.namespace.clone(), p.service.clone(), r.name.clone()))
                .or_default();
        }
    }
    add_inbound(&mut rows, inputs);
    add_outbound(&mut rows, inputs);
    add_latency(&mut rows, inputs, window);
    let profiled: BTreeSet<(String, String)> = profiles
        .iter()
        .map(|p| (p.namespace.clone(), p.service.clone()))
        .collect();
    add_http_routes(&mut rows, inputs, &profiled, tracked);

    let mut out = Vec::new();
    let mut traffic: BTreeSet<(String, String)> = BTreeSet::new();
    for (key, acc) in rows {
        if acc.has_traffic() {
            traffic.insert((key.0.clone(), key.1.clone()));
        }
        if let Some(row) = to_row(key, &acc, profiles, tracked, window) {
            out.push(row);
        }
    }
    let notes = notes(inputs, &profiled, &traffic, tracked, window);
    (out, notes)
}

fn key_of(s: &Sample, route_key: &str) -> Option<Key> {
    let (ns, svc) = service_of_dst(label(s, "dst"))?;
    Some((ns, svc, route_name(s, route_key)))
}

/// Inbound (server side, every attempt) by classification, overall and per pod hash.
fn add_inbound(rows: &mut BTreeMap<Key, Acc>, inputs: &MeshInputs) {
    for s in &inputs.inbound {
        let Some(k) = key_of(s, "rt_route") else {
            continue;
        };
        let ok = label(s, "classification") == "success";
        let acc = rows.entry(k).or_default();
        acc.inbound.add(ok, s.value);
        let hash = label(s, "rollouts_pod_template_hash");
        if !hash.is_empty() {
            acc.by_hash
                .entry(hash.to_string())
                .or_default()
                .add(ok, s.value);
        }
    }
}

/// Outbound: what callers saw after retries (effective) and every attempt (actual).
fn add_outbound(rows: &mut BTreeMap<Key, Acc>, inputs: &MeshInputs) {
    for (list, effective) in [(&inputs.effective, true), (&inputs.actual, false)] {
        for s in list {
            let Some(k) = key_of(s, "rt_route") else {
                continue;
            };
            let acc = rows.entry(k).or_default();
            let slot = if effective {
                &mut acc.effective
            } else {
                &mut acc.actual
            };
            slot.get_or_insert_default()
                .add(label(s, "classification") == "success", s.value);
        }
    }
}

/// Latency quantiles, overall and per pod hash, and the buckets per pod hash, for rows that
/// exist.
fn add_latency(rows: &mut BTreeMap<Key, Acc>, inputs: &MeshInputs, window: u32) {
    for s in &inputs.buckets_by_hash {
        let hash = label(s, "rollouts_pod_template_hash");
        if let Some(k) = key_of(s, "rt_route")
            && let Some(acc) = rows.get_mut(&k)
            && !hash.is_empty()
        {
            let h = acc.buckets_hash.entry(hash.to_string()).or_default();
            crate::sources::mesh::add_bucket(h, label(s, "le"), s.value, window);
        }
    }
    for (q, list) in &inputs.latency {
        for s in list {
            if let Some(k) = key_of(s, "rt_route")
                && let Some(acc) = rows.get_mut(&k)
            {
                acc.lat[q_index(*q)] = finite(s.value);
            }
        }
    }
    for (q, list) in &inputs.latency_by_hash {
        for s in list {
            let hash = label(s, "rollouts_pod_template_hash");
            if let Some(k) = key_of(s, "rt_route")
                && let Some(acc) = rows.get_mut(&k)
                && !hash.is_empty()
            {
                acc.lat_hash.entry(hash.to_string()).or_default()[q_index(*q)] = finite(s.value);
            }
        }
    }
}

/// One row, with its profile's policy and the canary/stable split; none for a series with no
/// requests in the window and no profile route (as `linkerd viz` drops it).
fn to_row(
    (ns, svc, route): Key,
    acc: &Acc,
    profiles: &[ServiceProfile],
    tracked: &[Tracked],
    window: u32,
) -> Option<RouteStats> {
    let profile = profiles
        .iter()
        .find(|p| p.namespace == ns && p.service == svc);
    let spec = profile.and_then(|p| p.routes.iter().find(|r| r.name == route));
    if !acc.has_traffic() && spec.is_none() {
        return None;
    }
    let eff = acc
        .effective
        .filter(|c| c.total() > 0.0)
        .unwrap_or(acc.inbound);
    let act = acc
        .actual
        .filter(|c| c.total() > 0.0)
        .unwrap_or(acc.inbound);
    let overall = RouteSample {
        effective_success: eff.rate(),
        actual_success: act.rate(),
        rps: eff.total() / f64::from(window.max(1)),
        p50_ms: acc.lat[0],
        p95_ms: acc.lat[1],
        p99_ms: acc.lat[2],
        ..Default::default()
    };
    let t = tracked
        .iter()
        .find(|t| t.namespace == ns && t.name == svc && t.canary_running());
    let (canary, stable) = match t {
        Some(t) => (
            Some(acc.split(&t.canary_hash, window)),
            Some(acc.split(&t.stable_hash, window)),
        ),
        None => (None, None),
    };
    let timeout_ms = spec.map_or(
        if acc.http {
            0
        } else {
            DEFAULT_ROUTE_TIMEOUT_MS
        },
        |r| r.timeout_ms,
    );
    Some(RouteStats {
        service: svc,
        namespace: ns,
        route,
        row: RowKind::Route,
        mtls: None,
        policy: RoutePolicy::Linkerd {
            timeout_ms,
            retryable: spec.is_some_and(|r| r.retryable),
            budget: profile.and_then(|p| p.budget.clone()),
        },
        overall,
        canary,
        stable,
    })
}

/// Why the services in scope without traffic have none.
fn notes(
    inputs: &MeshInputs,
    profiled: &BTreeSet<(String, String)>,
    traffic: &BTreeSet<(String, String)>,
    tracked: &[Tracked],
    window: u32,
) -> Vec<MeshNote> {
    let mut services: BTreeSet<(String, String)> = profiled.clone();
    services.extend(
        tracked
            .iter()
            .map(|t| (t.namespace.clone(), t.name.clone())),
    );
    let w = crate::model::time::fmt_window(window);
    services
        .into_iter()
        .filter(|s| !traffic.contains(s))
        .map(|(ns, svc)| {
            let reason = if profiled.contains(&(ns.clone(), svc.clone())) {
                format!("no traffic in the last {w}")
            } else if is_meshed(&inputs.meshed, &ns, &svc) {
                "meshed, but no ServiceProfile or HTTPRoute: no per-route metrics".to_string()
            } else {
                "not meshed: no linkerd-proxy metrics from its pods".to_string()
            };
            MeshNote {
                namespace: ns,
                service: svc,
                reason,
            }
        })
        .collect()
}

fn is_meshed(meshed: &[Sample], ns: &str, svc: &str) -> bool {
    meshed.iter().any(|s| {
        label(s, "namespace") == ns
            && (label(s, "deployment") == svc
                || label(s, "statefulset") == svc
                || label(s, "replicaset")
                    .rsplit_once('-')
                    .is_some_and(|(owner, _)| owner == svc))
    })
}

/// Rows from HTTPRoute metrics for services that have no ServiceProfile (a profile wins).
fn add_http_routes(
    rows: &mut BTreeMap<Key, Acc>,
    inputs: &MeshInputs,
    profiled: &BTreeSet<(String, String)>,
    tracked: &[Tracked],
) {
    let failure =
        |s: &Sample| label(s, "http_status").starts_with('5') || !label(s, "error").is_empty();
    let key_of = |s: &Sample| -> Option<Key> {
        let ns = label(s, "parent_namespace").to_string();
        let svc = label(s, "parent_name").to_string();
        if svc.is_empty() || profiled.contains(&(ns.clone(), svc.clone())) {
            return None;
        }
        Some((ns, svc, route_name(s, "route_name")))
    };
    for s in &inputs.http_statuses {
        let Some(k) = key_of(s) else { continue };
        let acc = rows.entry(k).or_default();
        acc.http = true;
        acc.effective
            .get_or_insert_default()
            .add(!failure(s), s.value);
    }
    for s in &inputs.http_backend_statuses {
        let Some(k) = key_of(s) else { continue };
        let backend = label(s, "backend_name");
        let ok = !failure(s);
        let t = tracked
            .iter()
            .find(|t| t.namespace == k.0 && t.name == k.1 && t.canary_running());
        let acc = rows.entry(k.clone()).or_default();
        acc.http = true;
        acc.actual.get_or_insert_default().add(ok, s.value);
        // Traffic split between `<svc>-canary` and `<svc>-stable` backends.
        if let Some(t) = t {
            let hash = if backend == format!("{}-canary", k.1) {
                Some(&t.canary_hash)
            } else if backend == format!("{}-stable", k.1) {
                Some(&t.stable_hash)
            } else {
                None
            };
            if let Some(h) = hash {
                acc.by_hash.entry(h.clone()).or_default().add(ok, s.value);
            }
        }
    }
    for (q, list) in &inputs.http_latency {
        for s in list {
            if let Some(k) = key_of(s)
                && let Some(acc) = rows.get_mut(&k)
            {
                acc.lat[q_index(*q)] = finite(s.value) * 1000.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::mesh::linkerd::profiles::ProfileRoute;

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample::new(labels, value)
    }

    fn profile() -> ServiceProfile {
        ServiceProfile {
            fqdn: "store.dev.svc.cluster.local".into(),
            service: "store".into(),
            namespace: "dev".into(),
            routes: vec![
                ProfileRoute {
                    name: "GET /products".into(),
                    timeout_ms: 300,
                    retryable: true,
                },
                ProfileRoute {
                    name: "POST /orders".into(),
                    timeout_ms: 2000,
                    retryable: false,
                },
            ],
            budget: None,
        }
    }

    #[test]
    fn retries_show_as_effective_above_actual_and_canary_splits_by_hash() {
        let dst = "store.dev.svc.cluster.local:8080";
        let r = "GET /products";
        let inputs = MeshInputs {
            inbound: vec![
                sample(
                    &[
                        ("dst", dst),
                        ("rt_route", r),
                        ("classification", "success"),
                        ("rollouts_pod_template_hash", "st"),
                    ],
                    540.0,
                ),
                sample(
                    &[
                        ("dst", dst),
                        ("rt_route", r),
                        ("classification", "failure"),
                        ("rollouts_pod_template_hash", "st"),
                    ],
                    0.0,
                ),
                sample(
                    &[
                        ("dst", dst),
                        ("rt_route", r),
                        ("classification", "success"),
                        ("rollouts_pod_template_hash", "ca"),
                    ],
                    48.0,
                ),
                sample(
                    &[
                        ("dst", dst),
                        ("rt_route", r),
                        ("classification", "failure"),
                        ("rollouts_pod_template_hash", "ca"),
                    ],
                    12.0,
                ),
            ],
            effective: vec![
                sample(
                    &[("dst", dst), ("rt_route", r), ("classification", "success")],
                    594.0,
                ),
                sample(
                    &[("dst", dst), ("rt_route", r), ("classification", "failure")],
                    6.0,
                ),
            ],
            actual: vec![
                sample(
                    &[("dst", dst), ("rt_route", r), ("classification", "success")],
                    588.0,
                ),
                sample(
                    &[("dst", dst), ("rt_route", r), ("classification", "failure")],
                    12.0,
                ),
            ],
            ..Default::default()
        };
        let tracked = [Tracked {
            namespace: "dev".into(),
            name: "store".into(),
            stable_hash: "st".into(),
            canary_hash: "ca".into(),
            ..Default::default()
        }];
        let (rows, notes) = assemble(&inputs, &[profile()], &tracked, 60);
        assert_eq!(rows.len(), 2, "both profile routes, one without traffic");
        let get = &rows[0];
        assert_eq!(get.route, "GET /products");
        assert_eq!(get.timeout_ms(), 300);
        assert!(get.retryable());
        assert_eq!(get.overall.effective_success, Some(0.99));
        assert_eq!(get.overall.actual_success, Some(0.98));
        assert_eq!(get.overall.rps, 10.0);
        assert_eq!(get.canary.as_ref().unwrap().effective_success, Some(0.8));
        assert_eq!(get.canary.as_ref().unwrap().rps, 1.0);
        assert_eq!(get.stable.as_ref().unwrap().effective_success, Some(1.0));
        let post = &rows[1];
        assert_eq!(post.overall.effective_success, None);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn services_without_rows_say_why() {
        let tracked = [
            Tracked {
                namespace: "dev".into(),
                name: "user".into(),
                ..Default::default()
            },
            Tracked {
                namespace: "dev".into(),
                name: "study".into(),
                ..Default::default()
            },
        ];
        let inputs = MeshInputs {
            meshed: vec![sample(
                &[("namespace", "dev"), ("replicaset", "user-5c7d9")],
                2.0,
            )],
            ..Default::default()
        };
        let (rows, notes) = assemble(&inputs, &[profile()], &tracked, 60);
        assert_eq!(rows.len(), 2);
        let reasons: Vec<(String, String)> =
            notes.into_iter().map(|n| (n.service, n.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                ("store".to_string(), "no traffic in the last 1m".to_string()),
                (
                    "study".to_string(),
                    "not meshed: no linkerd-proxy metrics from its pods".to_string()
                ),
                (
                    "user".to_string(),
                    "meshed, but no ServiceProfile or HTTPRoute: no per-route metrics".to_string()
                ),
            ]
        );
    }

    #[test]
    fn http_routes_fill_in_for_services_without_a_profile() {
        let base = [
            ("parent_namespace", "dev"),
            ("parent_name", "user"),
            ("route_name", "users"),
        ];
        let with = |extra: &[(&'static str, &'static str)], v| {
            let mut l: Vec<(&str, &str)> = base.to_vec();
            l.extend_from_slice(extra);
            sample(&l, v)
        };
        let inputs = MeshInputs {
            http_statuses: vec![
                with(&[("http_status", "200"), ("error", "")], 95.0),
                with(&[("http_status", "503"), ("error", "")], 5.0),
            ],
            http_backend_statuses: vec![
                with(
                    &[
                        ("backend_name", "user-stable"),
                        ("http_status", "200"),
                        ("error", ""),
                    ],
                    80.0,
                ),
                with(
                    &[
                        ("backend_name", "user-canary"),
                        ("http_status", "200"),
                        ("error", ""),
                    ],
                    15.0,
                ),
                with(
                    &[
                        ("backend_name", "user-canary"),
                        ("http_status", ""),
                        ("error", "REQUEST_TIMEOUT"),
                    ],
                    5.0,
                ),
            ],
            http_latency: vec![(0.95, vec![with(&[], 0.25)])],
            ..Default::default()
        };
        let tracked = [Tracked {
            namespace: "dev".into(),
            name: "user".into(),
            stable_hash: "s".into(),
            canary_hash: "c".into(),
            ..Default::default()
        }];
        let (rows, notes) = assemble(&inputs, &[], &tracked, 100);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].overall.effective_success, Some(0.95));
        assert_eq!(rows[0].overall.rps, 1.0);
        assert_eq!(rows[0].overall.p95_ms, 250.0);
        assert_eq!(
            rows[0].canary.as_ref().unwrap().effective_success,
            Some(0.75)
        );
        assert_eq!(rows[0].timeout_ms(), 0);
    }

    #[test]
    fn negative_samples_do_not_make_success_above_the_whole() {
        let mut c = super::Count::default();
        c.add(true, 10.0);
        c.add(false, -5.0);
        c.add(true, f64::NAN);
        assert_eq!(c.rate(), Some(1.0));
        c.add(false, 10.0);
        assert_eq!(c.rate(), Some(0.5));
    }
}
