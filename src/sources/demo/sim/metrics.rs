//! Metrics in the simulation: Linkerd route numbers every scrape (the gateway's from the routes
//! it forwards to, plus a hop), split canary/stable while a canary runs; node and pod CPU.

use super::super::canary::Version;
use super::super::catalog::{Forward, Mesh, RouteDef, ServiceDef};
use super::super::telemetry::{self, BASE_FAIL, BUDGET};
use super::{CPU_EVERY_SECS, CPU_POINTS, METRICS_EVERY_SECS, Sim};
use crate::model::cpu;
use crate::model::*;
use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

impl Sim {
    /// The analysis queries run again now, as the simulated Prometheus would answer them: the
    /// success of the busiest route for the pods whose hash the query names.
    pub fn replay(&self, queries: &[replay::ReplayQuery]) -> Vec<replay::Replay> {
        let answer = |si: usize, query: &str| -> replay::Answer {
            let s = &self.svcs[si];
            let busiest = s.def.routes.iter().max_by(|a, b| a.rps.total_cmp(&b.rps));
            let row = self.routes.iter().find(|r| {
                r.service == s.def.name
                    && (busiest.is_some_and(|b| r.route == b.name) || r.row == RowKind::Service)
            });
            let canary = query.contains(&format!("\"{}\"", s.rollout.canary_hash));
            let sample = row.and_then(|r| {
                if canary {
                    r.canary.as_ref()
                } else {
                    r.stable.as_ref()
                }
            });
            Ok(sample
                .and_then(|x| x.effective_success)
                .into_iter()
                .collect())
        };
        queries
            .iter()
            .filter_map(|q| {
                let si = self.svcs.iter().position(|s| s.def.name == q.rollout)?;
                Some(replay::Replay {
                    namespace: q.namespace.clone(),
                    rollout: q.rollout.clone(),
                    metric: q.metric.clone(),
                    canary: answer(si, &q.canary),
                    stable: q.stable.as_ref().ok().map(|text| answer(si, text)),
                })
            })
            .collect()
    }

    fn traffic_factor(&self, k: usize) -> f64 {
        let t = (self.now - self.start).num_seconds() as f64;
        1.0 + 0.12 * (t / 900.0 * std::f64::consts::TAU + k as f64).sin()
    }

    /// What the AnalysisRun measures: the last sampled canary success of the busiest route.
    pub(super) fn canary_success(&self, si: usize) -> f64 {
        let s = &self.svcs[si];
        let Some(busiest) = s.def.routes.iter().max_by(|a, b| a.rps.total_cmp(&b.rps)) else {
            return 1.0;
        };
        self.routes
            .iter()
            .find(|r| {
                r.service == s.def.name && (r.route == busiest.name || r.row == RowKind::Service)
            })
            .and_then(|r| r.canary.as_ref())
            .and_then(|c| c.effective_success)
            .unwrap_or(1.0)
    }

    fn fail_of(v: &Version, bad_fail: f64) -> f64 {
        if v.bad { bad_fail } else { BASE_FAIL }
    }

    pub(super) fn sample_metrics(&mut self, now: DateTime<Utc>) {
        let mut routes = Vec::new();
        let mut svc_samples: BTreeMap<&'static str, Vec<(&'static str, RouteSample)>> =
            BTreeMap::new();
        let mut k = 0;
        for si in 0..self.svcs.len() {
            let def = self.svcs[si].def;
            if def.gateway {
                continue;
            }
            let share = self.svcs[si].canary_share();
            let mut per_route = Vec::new();
            let slow = if self.svcs[si].restart_until.is_some() {
                1.2
            } else {
                1.0
            };
            for rd in def.routes {
                k += 1;
                let rps = rd.rps * self.traffic_factor(k);
                let s = &self.svcs[si];
                let stable_fail = Self::fail_of(&s.stable, rd.bad_fail);
                let stable_slow = slow * if s.stable.bad { 1.6 } else { 1.0 };
                let istio = self.platform.mesh == Mesh::Istio;
                let circuit = def.circuit_breaker;
                let sample = move |rng: &mut ChaCha8Rng, rps: f64, fail: f64, slow: f64| {
                    if istio {
                        telemetry::sample_istio(rd, rps, fail, rng, slow, circuit)
                    } else {
                        telemetry::sample(rd, rps, fail, rng, slow)
                    }
                };
                let stable = sample(&mut self.rng, rps * (1.0 - share), stable_fail, stable_slow);
                let canary = self.svcs[si]
                    .canary
                    .as_ref()
                    .filter(|_| !self.svcs[si].rollout.aborted)
                    .map(|v| {
                        let f = Self::fail_of(v, rd.bad_fail);
                        let cs = slow * if v.bad { 1.6 } else { 1.0 };
                        (f, cs)
                    });
                let canary = canary.map(|(f, cs)| sample(&mut self.rng, rps * share, f, cs));
                let overall = match &canary {
                    Some(c) => telemetry::combine(&[&stable, c]),
                    None => stable.clone(),
                };
                svc_samples
                    .entry(def.name)
                    .or_default()
                    .push((rd.name, overall.clone()));
                let stable = canary.as_ref().map(|_| stable.clone());
                per_route.push((rd, overall, canary, stable));
            }
            routes.extend(self.rows(def, per_route));
        }
        // A gateway forwards to the services; its numbers are theirs plus a hop.
        let gateways: Vec<usize> = (0..self.svcs.len())
            .filter(|&i| self.svcs[i].def.gateway)
            .collect();
        for gi in gateways {
            let def = self.svcs[gi].def;
            let mut per_route = Vec::new();
            for rd in def.routes {
                let parts: Vec<&RouteSample> = match rd.forward {
                    Forward::Writes => svc_samples
                        .values()
                        .flatten()
                        .filter(|(n, _)| n.starts_with("POST"))
                        .map(|(_, s)| s)
                        .collect(),
                    Forward::Gets(svc) => svc_samples
                        .get(svc)
                        .map(|v| {
                            v.iter()
                                .filter(|(n, _)| n.starts_with("GET"))
                                .map(|(_, s)| s)
                                .collect()
                        })
                        .unwrap_or_default(),
                    Forward::None => Vec::new(),
                };
                let mut s = telemetry::combine(&parts);
                s.p50_ms += 3.0;
                s.p95_ms += 6.0;
                s.p99_ms += 11.0;
                per_route.push((rd, s, None, None));
            }
            routes.extend(self.rows(def, per_route));
        }
        self.routes = routes;
        if now.timestamp() % CPU_EVERY_SECS < METRICS_EVERY_SECS {
            self.sample_cpu(now);
        }
        self.dirty_metrics = true;
    }

    /// The nightly-style batch job on agent-1 every 25 minutes, 5 minutes long.
    fn batch_spike(&self) -> bool {
        let t = (self.now - self.start).num_seconds();
        (t - 240).rem_euclid(1500) < 300
    }

    fn sample_cpu(&mut self, now: DateTime<Utc>) {
        self.dirty_cpu = true;
        let ts = now.timestamp();
        let gateways: Vec<&str> = self
            .svcs
            .iter()
            .filter(|s| s.def.gateway)
            .map(|s| s.def.name)
            .collect();
        let total_rps: f64 = self
            .routes
            .iter()
            .filter(|r| !gateways.contains(&r.service.as_str()))
            .map(|r| r.overall.rps)
            .sum();
        let spike = self.batch_spike();
        for node in self.platform.nodes {
            let mut v = node.base + total_rps * 0.09 + self.rng.random_range(-3.0..3.0);
            if node.batch_job && spike {
                v += 62.0;
            }
            if self
                .svcs
                .iter()
                .any(|s| s.canary.as_ref().is_some_and(|c| c.bad) && !s.rollout.aborted)
                && node.hosts_canaries
            {
                v += 9.0;
            }
            push_point(
                &mut self.cpu.nodes,
                ("", node.name),
                None,
                cpu::CpuUnit::Percent,
                ts,
                v.clamp(0.0, 100.0),
            );
        }
        for si in 0..self.svcs.len() {
            let s = &self.svcs[si];
            let name = s.def.name;
            let ns = self.platform.namespace_of(s.def);
            let rps: f64 = self
                .routes
                .iter()
                .filter(|r| r.service == name)
                .map(|r| r.overall.rps)
                .sum();
            let share = s.canary_share();
            let canary_pods = s.canary_pods();
            let stable_pods = s.def.replicas;
            let per_req = 0.011;
            let mut noise = || self.rng.random_range(-0.015..0.015);
            let stable_per_pod = 0.04
                + rps * (1.0 - share) * per_req / f64::from(stable_pods)
                + if s.stable.bad { 0.74 } else { 0.0 }
                + noise();
            let canary_per_pod = (canary_pods > 0).then(|| {
                0.04 + rps * share * per_req / f64::from(canary_pods)
                    + if s.canary.as_ref().is_some_and(|v| v.bad) {
                        0.74
                    } else {
                        0.0
                    }
                    + noise()
            });
            let total = stable_per_pod * f64::from(stable_pods)
                + canary_per_pod.unwrap_or(0.0) * f64::from(canary_pods);
            let (st, cp) = (stable_per_pod.max(0.0), canary_per_pod.map(|c| c.max(0.0)));
            push_point(
                &mut self.cpu.services,
                (ns, name),
                None,
                cpu::CpuUnit::Cores,
                ts,
                total.max(0.0),
            );
            push_point(
                &mut self.cpu.services,
                (ns, name),
                Some(Track::Stable),
                cpu::CpuUnit::Cores,
                ts,
                st,
            );
            match cp {
                Some(c) => push_point(
                    &mut self.cpu.services,
                    (ns, name),
                    Some(Track::Canary),
                    cpu::CpuUnit::Cores,
                    ts,
                    c,
                ),
                None => self.cpu.services.retain(|x| {
                    !(x.name == name && x.namespace == ns && x.track == Some(Track::Canary))
                }),
            }
        }
    }
}

fn push_point(
    list: &mut Vec<CpuSeries>,
    (namespace, name): (&str, &str),
    track: Option<Track>,
    unit: cpu::CpuUnit,
    ts: i64,
    v: f64,
) {
    let s = match list
        .iter_mut()
        .position(|s| s.name == name && s.track == track && s.namespace == namespace)
    {
        Some(i) => &mut list[i],
        None => {
            list.push(CpuSeries {
                name: name.into(),
                namespace: namespace.into(),
                track,
                unit,
                points: Vec::new(),
            });
            let last = list.len() - 1;
            &mut list[last]
        }
    };
    s.points.push((ts, v));
    if s.points.len() > CPU_POINTS {
        let extra = s.points.len() - CPU_POINTS;
        s.points.drain(..extra);
    }
}

/// One route's numbers: overall, and canary and stable while a canary runs.
type Sampled = (
    &'static RouteDef,
    RouteSample,
    Option<RouteSample>,
    Option<RouteSample>,
);

impl Sim {
    /// The rows of one service as its mesh reports them: Linkerd a row per ServiceProfile
    /// route; Istio a row per operation where the service's requests are classified, else one
    /// row for the whole service; with the policy of its VirtualService and DestinationRule.
    fn rows(&self, def: &ServiceDef, per_route: Vec<Sampled>) -> Vec<RouteStats> {
        let ns = self.platform.namespace_of(def);
        if self.platform.mesh == Mesh::Linkerd {
            return per_route
                .into_iter()
                .map(|(rd, overall, canary, stable)| RouteStats {
                    canary,
                    stable,
                    ..profile_route(ns, def.name, rd, overall)
                })
                .collect();
        }
        let policy = self.istio_policy(def.name);
        let row = |route: String, kind, overall, canary, stable| RouteStats {
            service: def.name.into(),
            namespace: ns.into(),
            route,
            row: kind,
            policy: policy.clone(),
            mtls: Some(1.0),
            overall,
            canary,
            stable,
        };
        if def.operations {
            return per_route
                .into_iter()
                .map(|(rd, o, c, s)| row(rd.name.into(), RowKind::Route, o, c, s))
                .collect();
        }
        let all = |f: &dyn Fn(&Sampled) -> Option<&RouteSample>| -> Option<RouteSample> {
            let parts: Vec<&RouteSample> = per_route.iter().filter_map(f).collect();
            (!parts.is_empty()).then(|| telemetry::combine(&parts))
        };
        let overall = all(&|p| Some(&p.1)).unwrap_or_default();
        let canary = all(&|p| p.2.as_ref());
        let stable = all(&|p| p.3.as_ref());
        vec![row(
            ALL_REQUESTS.into(),
            RowKind::Service,
            overall,
            canary,
            stable,
        )]
    }
}

/// A ServiceProfile route's row, without a canary/stable split.
fn profile_route(
    namespace: &str,
    service: &str,
    rd: &RouteDef,
    overall: RouteSample,
) -> RouteStats {
    RouteStats {
        service: service.into(),
        namespace: namespace.into(),
        route: rd.name.into(),
        row: RowKind::Route,
        mtls: None,
        policy: RoutePolicy::Linkerd {
            timeout_ms: rd.timeout_ms(),
            retryable: rd.retryable(),
            budget: Some(BUDGET),
        },
        overall,
        canary: None,
        stable: None,
    }
}
