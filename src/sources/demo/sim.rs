//! The simulated platform: deterministic for a seed, advanced one simulated second at a time.

use super::canary::{CanarySim, Version};
use super::catalog::{self, NAMESPACE, SERVICES};
use super::telemetry::{self, BASE_FAIL, BUDGET, hex, k8s_suffix};
use crate::model::*;
use crate::model::{ActionKind, ActionRequest};
use crate::state::Update;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Healthy platform, one canary (user) paused and waiting for promote.
    Steady,
    /// A bad store build in canary: /products fails, error logs spike.
    BadCanary,
}

/// Seconds of history simulated before the start, so panes open full.
const WARMUP_SECS: i64 = 1800;
/// The scenario's canary starts this long before the start.
const CANARY_LEAD_SECS: i64 = 300;
/// Route metrics refresh as linkerd-viz's Prometheus scrapes (10 s); CPU as
/// kube-prometheus-stack does (30 s).
const METRICS_EVERY_SECS: i64 = 10;
const CPU_EVERY_SECS: i64 = 30;
/// An hour of CPU history.
const CPU_POINTS: usize = 120;
const ERROR_ALERT_PER_SEC: f64 = 0.5;
const NODE_ALERT_PCT: f64 = 80.0;
const POD_ALERT_CORES: f64 = 0.8;

struct SimApp {
    app: ArgoApp,
    svc: Option<usize>,
    /// A new commit in Git not yet noticed by Argo CD.
    pending: Option<(String, Version)>,
    detect_at: Option<DateTime<Utc>>,
    autosync_at: Option<DateTime<Utc>>,
    op_until: Option<DateTime<Utc>>,
    op_dry_run: bool,
}

struct RuleState {
    since: DateTime<Utc>,
    firing: bool,
    alert: Alert,
}

pub struct Sim {
    rng: ChaCha8Rng,
    pub now: DateTime<Utc>,
    start: DateTime<Utc>,
    apps: Vec<SimApp>,
    svcs: Vec<CanarySim>,
    routes: Vec<RouteStats>,
    cpu: CpuData,
    logs: Vec<LogLine>,
    errors: VecDeque<(i64, Vec<u32>)>,
    rules: BTreeMap<String, RuleState>,
    silences: Vec<DemoSilence>,
    next_silence: u64,
    next_bump: Option<DateTime<Utc>>,
    next_metrics: DateTime<Utc>,
    fix_due: Vec<Option<DateTime<Utc>>>,
    dirty_apps: bool,
    dirty_rollouts: bool,
    dirty_metrics: bool,
    dirty_cpu: bool,
    dirty_alerts: bool,
}

fn version(rng: &mut ChaCha8Rng, tag: String, bad: bool, replicas: u32) -> Version {
    let hash = k8s_suffix(rng, 10);
    let pods = (0..replicas).map(|_| k8s_suffix(rng, 5)).collect();
    Version {
        tag,
        hash,
        bad,
        pods,
    }
}

fn bump_tag(tag: &str, minor: bool) -> String {
    let mut parts: Vec<u32> = tag.split('.').filter_map(|p| p.parse().ok()).collect();
    parts.resize(3, 0);
    if minor {
        parts[1] += 1;
        parts[2] = 0;
    } else {
        parts[2] += 1;
    }
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

impl Sim {
    pub fn new(seed: u64, scenario: Scenario, start: DateTime<Utc>) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let origin = start - Duration::seconds(WARMUP_SECS);
        let mut apps = Vec::new();
        let root_sha = hex(&mut rng, 40);
        apps.push(SimApp::new(
            ArgoApp {
                name: "root-app".into(),
                namespace: "argocd".into(),
                project: "default".into(),
                sync: SyncStatus::Synced,
                health: HealthStatus::Healthy,
                health_message: String::new(),
                revision: root_sha.clone(),
                target_revision: "main".into(),
                repo: catalog::GITOPS_REPO.into(),
                source: "apps/dev".into(),
                destination_namespace: "argocd".into(),
                sync_wave: -10,
                auto_sync: true,
                operation: Some(Operation {
                    phase: OperationPhase::Succeeded,
                    message: "successfully synced (all tasks run)".into(),
                    started_at: origin - Duration::hours(20),
                    finished_at: Some(origin - Duration::hours(20) + Duration::seconds(9)),
                    initiated_by: "automated".into(),
                }),
                operation_requested: false,
                images: vec![],
                history: vec![HistoryEntry {
                    id: 1,
                    revision: root_sha,
                    deployed_at: origin - Duration::hours(20),
                }],
                reconciled_at: Some(origin),
            },
            None,
        ));
        for (i, inf) in catalog::INFRA.iter().enumerate() {
            let git = inf.repo == catalog::GITOPS_REPO;
            let rev = if git {
                hex(&mut rng, 40)
            } else {
                inf.version.to_string()
            };
            let deployed = origin - Duration::hours(20) + Duration::seconds(12 * i as i64);
            apps.push(SimApp::new(
                ArgoApp {
                    name: inf.name.into(),
                    namespace: "argocd".into(),
                    project: "platform".into(),
                    sync: SyncStatus::Synced,
                    health: HealthStatus::Healthy,
                    health_message: String::new(),
                    revision: rev.clone(),
                    target_revision: inf.version.into(),
                    repo: inf.repo.into(),
                    source: inf.chart.into(),
                    destination_namespace: inf.namespace.into(),
                    sync_wave: inf.wave,
                    auto_sync: true,
                    operation: Some(Operation {
                        phase: OperationPhase::Succeeded,
                        message: "successfully synced (all tasks run)".into(),
                        started_at: deployed,
                        finished_at: Some(deployed + Duration::seconds(7)),
                        initiated_by: "automated".into(),
                    }),
                    operation_requested: false,
                    images: inf.images.iter().map(|s| s.to_string()).collect(),
                    history: vec![HistoryEntry {
                        id: 1,
                        revision: rev,
                        deployed_at: deployed,
                    }],
                    reconciled_at: Some(origin),
                },
                None,
            ));
        }
        let mut svcs = Vec::new();
        for (si, def) in SERVICES.iter().enumerate() {
            let v = version(&mut rng, def.version.to_string(), false, def.replicas);
            let sha = hex(&mut rng, 40);
            let deployed = origin - Duration::hours(3) - Duration::minutes(17 * si as i64);
            let c = CanarySim::new(def, v.clone());
            apps.push(SimApp::new(
                ArgoApp {
                    name: def.name.into(),
                    namespace: "argocd".into(),
                    project: "services".into(),
                    sync: SyncStatus::Synced,
                    health: HealthStatus::Healthy,
                    health_message: String::new(),
                    revision: sha.clone(),
                    target_revision: "main".into(),
                    repo: catalog::GITOPS_REPO.into(),
                    source: format!("services/{}/overlays/dev", def.name),
                    destination_namespace: NAMESPACE.into(),
                    sync_wave: def.wave,
                    auto_sync: true,
                    operation: Some(Operation {
                        phase: OperationPhase::Succeeded,
                        message: "successfully synced (all tasks run)".into(),
                        started_at: deployed,
                        finished_at: Some(deployed + Duration::seconds(5)),
                        initiated_by: "automated".into(),
                    }),
                    operation_requested: false,
                    images: vec![c.image(&v)],
                    history: vec![HistoryEntry {
                        id: 3,
                        revision: sha,
                        deployed_at: deployed,
                    }],
                    reconciled_at: Some(origin),
                },
                Some(si),
            ));
            svcs.push(c);
        }
        let n = svcs.len();
        let mut sim = Self {
            rng,
            now: origin,
            start,
            apps,
            svcs,
            routes: Vec::new(),
            cpu: CpuData {
                step_secs: CPU_EVERY_SECS as u32,
                window_secs: (CPU_EVERY_SECS as usize * CPU_POINTS) as u32,
                ..Default::default()
            },
            logs: Vec::new(),
            errors: VecDeque::new(),
            rules: BTreeMap::new(),
            silences: Vec::new(),
            next_silence: 0,
            next_bump: None,
            next_metrics: origin,
            fix_due: vec![None; n],
            dirty_apps: true,
            dirty_rollouts: true,
            dirty_metrics: true,
            dirty_cpu: true,
            dirty_alerts: true,
        };
        for _ in 0..(WARMUP_SECS - CANARY_LEAD_SECS) {
            sim.step();
        }
        let (svc, bad) = match scenario {
            Scenario::Steady => ("user", false),
            Scenario::BadCanary => ("store", true),
        };
        if let Some(i) = sim.svc_index(svc) {
            sim.bump(i, bad, true);
        }
        for _ in 0..CANARY_LEAD_SECS {
            sim.step();
        }
        let wait = sim.rng.random_range(60..120);
        sim.next_bump = Some(sim.now + Duration::seconds(wait));
        // Keep only the last 10 minutes of warm-up logs.
        let keep_from = sim.now - Duration::minutes(10);
        sim.logs.retain(|l| l.ts >= keep_from);
        sim
    }

    fn svc_index(&self, name: &str) -> Option<usize> {
        self.svcs.iter().position(|s| s.def.name == name)
    }

    fn app_of_svc(&mut self, si: usize) -> Option<&mut SimApp> {
        self.apps.iter_mut().find(|a| a.svc == Some(si))
    }

    /// An image updater writes a new tag to Git for a service.
    fn bump(&mut self, si: usize, bad: bool, immediate: bool) {
        let def = self.svcs[si].def;
        let base = self.svcs[si]
            .canary
            .as_ref()
            .unwrap_or(&self.svcs[si].stable)
            .tag
            .clone();
        let tag = bump_tag(&base, bad);
        let v = version(&mut self.rng, tag, bad, def.replicas);
        let sha = hex(&mut self.rng, 40);
        let delay = if immediate {
            0
        } else {
            self.rng.random_range(20..60)
        };
        let now = self.now;
        if let Some(a) = self.app_of_svc(si) {
            a.pending = Some((sha, v));
            a.detect_at = Some(now + Duration::seconds(delay));
        }
    }

    /// Advances simulated time by one second.
    pub fn step(&mut self) {
        self.now += Duration::seconds(1);
        let now = self.now;
        self.step_bumps(now);
        self.step_apps(now);
        for si in 0..self.svcs.len() {
            let before = self.svcs[si].rollout.clone();
            let measured = self.canary_success(si);
            self.svcs[si].step(now, measured);
            let after = &self.svcs[si].rollout;
            if *after != before {
                let aborted = after.aborted && !before.aborted;
                let promoted = after.is_fully_promoted() && !before.is_fully_promoted();
                self.dirty_rollouts = true;
                if aborted {
                    self.on_abort(si);
                }
                if promoted {
                    self.on_promoted(si);
                }
            }
        }
        self.derive_app_health();
        self.step_logs(now);
        if now >= self.next_metrics {
            self.sample_metrics(now);
            self.next_metrics = now + Duration::seconds(METRICS_EVERY_SECS);
        }
        self.step_alerts(now);
    }

    fn step_bumps(&mut self, now: DateTime<Utc>) {
        for si in 0..self.fix_due.len() {
            if self.fix_due[si].is_some_and(|t| now >= t) {
                self.fix_due[si] = None;
                self.bump(si, false, false);
            }
        }
        if self.next_bump.is_some_and(|t| now >= t) {
            let idle: Vec<usize> = (0..self.svcs.len())
                .filter(|&i| {
                    let s = &self.svcs[i];
                    s.canary.is_none()
                        && self.fix_due[i].is_none()
                        && self
                            .apps
                            .iter()
                            .all(|a| a.svc != Some(i) || a.pending.is_none())
                })
                .collect();
            if !idle.is_empty() {
                let si = idle[self.rng.random_range(0..idle.len())];
                self.bump(si, false, false);
            }
            let wait = self.rng.random_range(240..480);
            self.next_bump = Some(now + Duration::seconds(wait));
        }
    }

    fn step_apps(&mut self, now: DateTime<Utc>) {
        let mut start_canary = Vec::new();
        for a in &mut self.apps {
            if a.detect_at.is_some_and(|t| now >= t) {
                a.detect_at = None;
                if let Some((sha, _)) = &a.pending {
                    a.app.sync = SyncStatus::OutOfSync;
                    a.app.revision = sha.clone();
                    a.app.reconciled_at = Some(now);
                    if a.app.auto_sync {
                        a.autosync_at = Some(now + Duration::seconds(5));
                    }
                    self.dirty_apps = true;
                }
            }
            if a.autosync_at.is_some_and(|t| now >= t) {
                a.autosync_at = None;
                if !a.app.operation_in_progress() {
                    a.begin_op(now, "automated", false, 4);
                    self.dirty_apps = true;
                }
            }
            if a.op_until.is_some_and(|t| now >= t) {
                a.op_until = None;
                self.dirty_apps = true;
                let dry = a.op_dry_run;
                if let Some(op) = a.app.operation.as_mut() {
                    op.phase = OperationPhase::Succeeded;
                    op.finished_at = Some(now);
                    op.message = if dry {
                        "successfully synced (dry run)".into()
                    } else {
                        "successfully synced (all tasks run)".into()
                    };
                }
                if dry {
                    continue;
                }
                if let Some((sha, v)) = a.pending.take() {
                    a.app.sync = SyncStatus::Synced;
                    let id = a.app.history.last().map(|h| h.id + 1).unwrap_or(1);
                    a.app.history.push(HistoryEntry {
                        id,
                        revision: sha,
                        deployed_at: now,
                    });
                    if a.app.history.len() > 10 {
                        a.app.history.remove(0);
                    }
                    if let Some(si) = a.svc {
                        a.app.images = vec![format!(
                            "{}/{}:{}",
                            catalog::REGISTRY,
                            SERVICES[si].name,
                            v.tag
                        )];
                        start_canary.push((si, v));
                    }
                } else {
                    a.app.sync = SyncStatus::Synced;
                }
            }
        }
        for (si, v) in start_canary {
            self.svcs[si].start(v, now);
            self.dirty_rollouts = true;
        }
    }

    fn on_abort(&mut self, si: usize) {
        if self.svcs[si].canary.as_ref().is_some_and(|v| v.bad) {
            self.fix_due[si] = Some(self.now + Duration::seconds(180));
        }
    }

    fn on_promoted(&mut self, si: usize) {
        if self.svcs[si].stable.bad {
            self.fix_due[si] = Some(self.now + Duration::seconds(240));
        }
    }

    /// Argo CD's view of a Rollout's health: paused is Suspended, aborted is Degraded.
    fn derive_app_health(&mut self) {
        for a in &mut self.apps {
            let Some(si) = a.svc else { continue };
            let r = &self.svcs[si].rollout;
            let (h, msg) = match r.phase {
                _ if r.aborted => (HealthStatus::Degraded, r.message.clone()),
                RolloutPhase::Paused => (HealthStatus::Suspended, "Rollout is paused".to_string()),
                RolloutPhase::Progressing => (HealthStatus::Progressing, r.message.clone()),
                RolloutPhase::Degraded => (HealthStatus::Degraded, r.message.clone()),
                _ => (HealthStatus::Healthy, String::new()),
            };
            if a.app.health != h || a.app.health_message != msg {
                a.app.health = h;
                a.app.health_message = msg;
                self.dirty_apps = true;
            }
        }
    }

    fn traffic_factor(&self, k: usize) -> f64 {
        let t = (self.now - self.start).num_seconds() as f64;
        1.0 + 0.12 * (t / 900.0 * std::f64::consts::TAU + k as f64).sin()
    }

    /// What the AnalysisRun measures: the last sampled canary success of the busiest route.
    fn canary_success(&self, si: usize) -> f64 {
        let s = &self.svcs[si];
        let Some(busiest) = s.def.routes.iter().max_by(|a, b| a.rps.total_cmp(&b.rps)) else {
            return 1.0;
        };
        self.routes
            .iter()
            .find(|r| r.service == s.def.name && r.route == busiest.name)
            .and_then(|r| r.canary.as_ref())
            .and_then(|c| c.effective_success)
            .unwrap_or(1.0)
    }

    fn fail_of(v: &Version, bad_fail: f64) -> f64 {
        if v.bad { bad_fail } else { BASE_FAIL }
    }

    fn sample_metrics(&mut self, now: DateTime<Utc>) {
        let mut routes = Vec::new();
        let mut svc_samples: BTreeMap<&'static str, Vec<(&'static str, RouteSample)>> =
            BTreeMap::new();
        let mut k = 0;
        for si in 0..self.svcs.len() {
            let def = self.svcs[si].def;
            if def.name == "gateway" {
                continue;
            }
            let share = self.svcs[si].canary_share();
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
                let stable = telemetry::sample(
                    rd,
                    rps * (1.0 - share),
                    stable_fail,
                    &mut self.rng,
                    stable_slow,
                );
                let canary = self.svcs[si]
                    .canary
                    .as_ref()
                    .filter(|_| !self.svcs[si].rollout.aborted)
                    .map(|v| {
                        let f = Self::fail_of(v, rd.bad_fail);
                        let cs = slow * if v.bad { 1.6 } else { 1.0 };
                        (f, cs)
                    });
                let canary =
                    canary.map(|(f, cs)| telemetry::sample(rd, rps * share, f, &mut self.rng, cs));
                let overall = match &canary {
                    Some(c) => telemetry::combine(&[&stable, c]),
                    None => stable.clone(),
                };
                svc_samples
                    .entry(def.name)
                    .or_default()
                    .push((rd.name, overall.clone()));
                routes.push(RouteStats {
                    service: def.name.into(),
                    namespace: NAMESPACE.into(),
                    route: rd.name.into(),
                    row: RowKind::Route,
                    policy: RoutePolicy::Linkerd {
                        timeout_ms: rd.timeout_ms(),
                        retryable: rd.retryable(),
                        budget: Some(BUDGET),
                    },
                    stable: canary.as_ref().map(|_| stable.clone()),
                    canary,
                    overall,
                });
            }
        }
        // The gateway forwards to each service; its numbers are theirs plus a hop.
        if let Some(gi) = self.svc_index("gateway") {
            let g = &self.svcs[gi];
            for rd in g.def.routes {
                let parts: Vec<&RouteSample> = if rd.name.starts_with("POST") {
                    svc_samples
                        .values()
                        .flatten()
                        .filter(|(n, _)| n.starts_with("POST"))
                        .map(|(_, s)| s)
                        .collect()
                } else {
                    let svc = rd
                        .name
                        .trim_start_matches("GET /api/")
                        .trim_end_matches("/**");
                    svc_samples
                        .get(svc)
                        .map(|v| {
                            v.iter()
                                .filter(|(n, _)| n.starts_with("GET"))
                                .map(|(_, s)| s)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let mut s = telemetry::combine(&parts);
                s.p50_ms += 3.0;
                s.p95_ms += 6.0;
                s.p99_ms += 11.0;
                routes.push(RouteStats {
                    service: "gateway".into(),
                    namespace: NAMESPACE.into(),
                    route: rd.name.into(),
                    row: RowKind::Route,
                    policy: RoutePolicy::Linkerd {
                        timeout_ms: rd.timeout_ms(),
                        retryable: rd.retryable(),
                        budget: Some(BUDGET),
                    },
                    overall: s,
                    canary: None,
                    stable: None,
                });
            }
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
        let total_rps: f64 = self
            .routes
            .iter()
            .filter(|r| r.service != "gateway")
            .map(|r| r.overall.rps)
            .sum();
        let spike = self.batch_spike();
        for (i, (name, base)) in catalog::NODES.iter().enumerate() {
            let mut v = base + total_rps * 0.09 + self.rng.random_range(-3.0..3.0);
            if i == 2 && spike {
                v += 62.0;
            }
            if self
                .svcs
                .iter()
                .any(|s| s.canary.as_ref().is_some_and(|c| c.bad) && !s.rollout.aborted)
                && i == 1
            {
                v += 9.0;
            }
            push_point(
                &mut self.cpu.nodes,
                name,
                None,
                cpu::CpuUnit::Percent,
                ts,
                v.clamp(0.0, 100.0),
            );
        }
        for si in 0..self.svcs.len() {
            let s = &self.svcs[si];
            let name = s.def.name;
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
                name,
                None,
                cpu::CpuUnit::Cores,
                ts,
                total.max(0.0),
            );
            push_point(
                &mut self.cpu.services,
                name,
                Some(Track::Stable),
                cpu::CpuUnit::Cores,
                ts,
                st,
            );
            match cp {
                Some(c) => push_point(
                    &mut self.cpu.services,
                    name,
                    Some(Track::Canary),
                    cpu::CpuUnit::Cores,
                    ts,
                    c,
                ),
                None => self
                    .cpu
                    .services
                    .retain(|x| !(x.name == name && x.track == Some(Track::Canary))),
            }
        }
    }

    fn step_logs(&mut self, now: DateTime<Utc>) {
        let sec = now.timestamp();
        let mut counts = vec![0u32; self.svcs.len()];
        for (si, count) in counts.iter_mut().enumerate() {
            let s = &self.svcs[si];
            let products = s.def.routes.iter().max_by(|a, b| a.rps.total_cmp(&b.rps));
            let rps = products.map(|r| r.rps).unwrap_or(0.0);
            let bad_fail = products.map(|r| r.bad_fail).unwrap_or(0.0);
            let share = s.canary_share();
            let stable_rate = 1.0 / 240.0
                + if s.stable.bad {
                    rps * (1.0 - share) * bad_fail
                } else {
                    0.0
                };
            let canary_rate = match &s.canary {
                Some(v) if v.bad && share > 0.0 => rps * share * bad_fail,
                Some(_) if share > 0.0 => 1.0 / 900.0,
                _ => 0.0,
            };
            for (track, rate) in [(Track::Stable, stable_rate), (Track::Canary, canary_rate)] {
                let n = poisson_ish(&mut self.rng, rate);
                for _ in 0..n {
                    let line = self.error_line(si, track, now);
                    *count += 1;
                    self.logs.push(line);
                }
            }
            if self.rng.random_bool(1.0 / 300.0) {
                let line = self.warn_line(si, now);
                self.logs.push(line);
            }
        }
        self.errors.push_back((sec, counts));
        while self.errors.front().is_some_and(|(t, _)| *t <= sec - 60) {
            self.errors.pop_front();
        }
    }

    fn pod_for(&mut self, si: usize, track: Track) -> (String, bool) {
        let s = &self.svcs[si];
        let v = match track {
            Track::Canary => s.canary.as_ref().unwrap_or(&s.stable),
            Track::Stable => &s.stable,
        };
        let n = match track {
            Track::Canary => s.canary_pods().max(1) as usize,
            Track::Stable => v.pods.len().max(1),
        };
        let k = self
            .rng
            .random_range(0..n)
            .min(v.pods.len().saturating_sub(1));
        let pod = format!(
            "{}-{}-{}",
            s.def.name,
            v.hash,
            v.pods.get(k).map(String::as_str).unwrap_or("x")
        );
        (pod, v.bad)
    }

    fn error_line(&mut self, si: usize, track: Track, now: DateTime<Utc>) -> LogLine {
        let (pod, bad) = self.pod_for(si, track);
        let svc = self.svcs[si].def.name;
        let tpl = if bad {
            &telemetry::BAD_BUILD_ERROR
        } else {
            &telemetry::NOISE_ERRORS[self.rng.random_range(0..telemetry::NOISE_ERRORS.len())]
        };
        let id = self.rng.random_range(1000..99999).to_string();
        let fill = |s: &str| s.replace("{svc}", svc).replace("{id}", &id);
        let mut stack = vec![fill(tpl.exception)];
        stack.extend(tpl.frames.iter().map(|f| format!("    {}", fill(f))));
        if let Some(c) = tpl.cause {
            stack.push(format!("Caused by: {c}"));
            stack.push("    ... 12 more".to_string());
        }
        let ms = self.rng.random_range(0..1000);
        LogLine {
            ts: now + Duration::milliseconds(ms),
            level: Level::Error,
            service: svc.into(),
            pod: pod.into(),
            track: Some(track),
            logger: fill(tpl.logger).into(),
            message: fill(tpl.message),
            trace_id: hex(&mut self.rng, 32),
            thread: format!("http-nio-8080-exec-{}", self.rng.random_range(1..200)).into(),
            stack,
        }
    }

    fn warn_line(&mut self, si: usize, now: DateTime<Utc>) -> LogLine {
        let (pod, _) = self.pod_for(si, Track::Stable);
        let svc = self.svcs[si].def.name;
        let (logger, msg) =
            telemetry::WARNINGS[self.rng.random_range(0..telemetry::WARNINGS.len())];
        let ms = self.rng.random_range(0..1000);
        LogLine {
            ts: now + Duration::milliseconds(ms),
            level: Level::Warn,
            service: svc.into(),
            pod: pod.into(),
            track: Some(Track::Stable),
            logger: logger.replace("{svc}", svc).into(),
            message: msg.to_string(),
            trace_id: hex(&mut self.rng, 32),
            thread: format!("http-nio-8080-exec-{}", self.rng.random_range(1..200)).into(),
            stack: vec![],
        }
    }

    fn step_alerts(&mut self, now: DateTime<Utc>) {
        let mut active: Vec<(String, Alert, i64)> = Vec::new();
        let window = self.errors.len().max(1) as f64;
        for si in 0..self.svcs.len() {
            let svc = self.svcs[si].def.name;
            let n: u32 = self.errors.iter().map(|(_, c)| c[si]).sum();
            let rate = f64::from(n) / window;
            if rate > ERROR_ALERT_PER_SEC {
                active.push((
                    format!("SpringErrorLogs/{svc}"),
                    self.alert("SpringErrorLogs", "warning", &[("service", svc), ("namespace", NAMESPACE)],
                        format!("{svc} logs {rate:.1} ERROR lines/s (threshold {ERROR_ALERT_PER_SEC}/s over 1m)")),
                    30,
                ));
            }
        }
        for s in &self.cpu.nodes {
            if let Some(v) = s.last()
                && v > NODE_ALERT_PCT
            {
                active.push((
                    format!("NodeHighCPU/{}", s.name),
                    self.alert(
                        "NodeHighCPU",
                        "warning",
                        &[("node", &s.name), ("instance", &format!("{}:9100", s.name))],
                        format!(
                            "{} CPU at {v:.0}% (threshold {NODE_ALERT_PCT:.0}% for 2m)",
                            s.name
                        ),
                    ),
                    120,
                ));
            }
        }
        for s in &self.cpu.services {
            let Some(track) = s.track else { continue };
            if let Some(v) = s.last()
                && v > POD_ALERT_CORES
            {
                let svc = &self.svcs[self.svc_index(&s.name).unwrap_or(0)];
                let ver = match track {
                    Track::Canary => svc.canary.as_ref().unwrap_or(&svc.stable),
                    Track::Stable => &svc.stable,
                };
                let pod = format!(
                    "{}-{}-{}",
                    s.name,
                    ver.hash,
                    ver.pods.first().map(String::as_str).unwrap_or("x")
                );
                active.push((
                    format!("PodHighCPU/{pod}"),
                    self.alert(
                        "PodHighCPU",
                        "warning",
                        &[
                            ("pod", &pod),
                            ("service", &s.name),
                            ("namespace", NAMESPACE),
                            ("container", "app"),
                        ],
                        format!("{pod} uses {v:.2} cores of its 1-core limit"),
                    ),
                    120,
                ));
            }
        }
        let keys: Vec<String> = active.iter().map(|a| a.0.clone()).collect();
        let before = self.rules.len();
        self.rules.retain(|k, r| {
            let keep = keys.contains(k);
            if !keep && r.firing {
                // resolved
            }
            keep
        });
        let mut changed = self.rules.len() != before;
        for (key, mut alert, for_secs) in active {
            let r = self.rules.entry(key).or_insert_with(|| {
                alert.starts_at = now;
                RuleState {
                    since: now,
                    firing: false,
                    alert: alert.clone(),
                }
            });
            if !r.firing && (now - r.since).num_seconds() >= for_secs {
                r.firing = true;
                alert.starts_at = now;
                r.alert = alert;
                changed = true;
            }
        }
        // A resolved rule that was only pending changes nothing on screen.
        if changed {
            self.dirty_alerts = true;
        }
    }

    fn alert(&self, name: &str, severity: &str, labels: &[(&str, &str)], summary: String) -> Alert {
        let mut l: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        l.insert("alertname".into(), name.into());
        l.insert("severity".into(), severity.into());
        let fp = fingerprint(&l);
        Alert {
            name: name.into(),
            severity: Severity::parse(severity),
            state: AlertState::Firing,
            summary,
            labels: l,
            starts_at: self.now,
            fingerprint: fp,
            description: String::new(),
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
        }
    }

    /// Firing alerts as Alertmanager would list them: muted by a matching, unexpired silence.
    fn firing_alerts(&self) -> Vec<Alert> {
        self.rules
            .values()
            .filter(|r| r.firing)
            .map(|r| {
                let mut a = r.alert.clone();
                a.silenced_by = self
                    .silences
                    .iter()
                    .filter(|s| s.ends > self.now)
                    .filter(|s| s.matchers.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
                    .map(|s| s.id.clone())
                    .collect();
                if !a.silenced_by.is_empty() {
                    a.state = AlertState::Suppressed;
                }
                a
            })
            .collect()
    }

    /// Every update needed to show the platform from scratch.
    pub fn snapshot(&mut self) -> Vec<Update> {
        self.dirty_apps = true;
        self.dirty_rollouts = true;
        self.dirty_metrics = true;
        self.dirty_cpu = true;
        self.dirty_alerts = true;
        self.drain()
    }

    /// The updates for what changed since the last drain.
    pub fn drain(&mut self) -> Vec<Update> {
        let mut out = vec![Update::Clock(self.now)];
        if std::mem::take(&mut self.dirty_apps) {
            out.push(Update::Apps(
                self.apps.iter().map(|a| a.app.clone()).collect(),
            ));
        }
        if std::mem::take(&mut self.dirty_rollouts) {
            out.push(Update::Rollouts(
                self.svcs.iter().map(|s| s.rollout.clone()).collect(),
            ));
        }
        if std::mem::take(&mut self.dirty_metrics) {
            out.push(Update::Routes(self.routes.clone()));
        }
        if std::mem::take(&mut self.dirty_cpu) {
            out.push(Update::Cpu(self.cpu.clone()));
        }
        if !self.logs.is_empty() {
            out.push(Update::Logs(std::mem::take(&mut self.logs)));
        }
        if std::mem::take(&mut self.dirty_alerts) {
            out.push(Update::Alerts(self.firing_alerts()));
        }
        out
    }

    /// Runs an action against the simulation, as the controllers would.
    pub fn act(&mut self, req: &ActionRequest) -> Result<String, ActionError> {
        self.apply_action(req).map_err(ActionError::Refused)
    }

    fn apply_action(&mut self, req: &ActionRequest) -> Result<String, String> {
        let now = self.now;
        let name = req.target.name.as_str();
        if req.kind.on_alert() {
            let spec = req.silence.clone().unwrap_or_default();
            self.dirty_alerts = true;
            return if req.kind == ActionKind::Silence {
                if spec.matchers.is_empty() {
                    return Err("a silence needs at least one matcher".into());
                }
                self.next_silence += 1;
                let id = format!("00000000-0000-4000-8000-{:012x}", self.next_silence);
                self.silences.push(DemoSilence {
                    id: id.clone(),
                    matchers: spec.matchers,
                    ends: now + Duration::seconds(spec.duration_secs as i64),
                });
                Ok(format!("silenced (silence {id})"))
            } else {
                let before = self.silences.len();
                self.silences.retain(|s| !spec.ids.contains(&s.id));
                if self.silences.len() == before {
                    return Err(format!("silence {} not found", spec.ids.join(", ")));
                }
                Ok(format!("expired {}", spec.ids.join(", ")))
            };
        }
        if req.kind.on_app() {
            let a = self
                .apps
                .iter_mut()
                .find(|a| a.app.name == name)
                .ok_or_else(|| format!("application {} not found", req.target))?;
            self.dirty_apps = true;
            return match req.kind {
                ActionKind::Sync => {
                    if a.app.operation_in_progress() {
                        return Err("another operation is already in progress".into());
                    }
                    a.autosync_at = None;
                    a.begin_op(now, &req.user, req.sync.dry_run, 3);
                    let what = if req.sync.dry_run {
                        "dry-run sync"
                    } else {
                        "sync"
                    };
                    let prune = if req.sync.prune { " with prune" } else { "" };
                    Ok(format!(
                        "{what}{prune} running to {}",
                        short_rev(&a.app.revision)
                    ))
                }
                _ => {
                    a.app.reconciled_at = Some(now);
                    if a.pending.is_some() && a.app.sync == SyncStatus::Synced {
                        a.detect_at = Some(now);
                        a.app.sync = SyncStatus::OutOfSync;
                        if let Some((sha, _)) = &a.pending {
                            a.app.revision = sha.clone();
                        }
                        if a.app.auto_sync {
                            a.autosync_at = Some(now + Duration::seconds(5));
                        }
                        a.detect_at = None;
                    }
                    let cache = if req.kind == ActionKind::HardRefresh {
                        ", manifest cache dropped"
                    } else {
                        ""
                    };
                    Ok(format!(
                        "reconciled at {}{cache}: {} {}",
                        now.to_rfc3339_opts(SecondsFormat::Secs, true),
                        a.app.sync.as_str(),
                        a.app.short_revision()
                    ))
                }
            };
        }
        let si = self
            .svc_index(name)
            .ok_or_else(|| format!("rollout {} not found", req.target))?;
        let before_promoted = self.svcs[si].rollout.is_fully_promoted();
        let was_aborted = self.svcs[si].rollout.aborted;
        let r = match req.kind {
            ActionKind::Promote => self.svcs[si].promote(now),
            ActionKind::PromoteFull => self.svcs[si].promote_full(),
            ActionKind::Abort => self.svcs[si].abort(),
            ActionKind::Retry => self.svcs[si].retry(now),
            ActionKind::Restart => self.svcs[si].restart(now),
            _ => Err(format!("{} is not a rollout action", req.kind.as_str())),
        };
        if r.is_ok() {
            self.dirty_rollouts = true;
            if self.svcs[si].rollout.aborted && !was_aborted {
                self.on_abort(si);
            }
            if self.svcs[si].rollout.is_fully_promoted() && !before_promoted {
                self.on_promoted(si);
            }
            self.derive_app_health();
        }
        r
    }
}

impl SimApp {
    fn new(app: ArgoApp, svc: Option<usize>) -> Self {
        Self {
            app,
            svc,
            pending: None,
            detect_at: None,
            autosync_at: None,
            op_until: None,
            op_dry_run: false,
        }
    }

    fn begin_op(&mut self, now: DateTime<Utc>, by: &str, dry_run: bool, secs: i64) {
        self.app.operation = Some(Operation {
            phase: OperationPhase::Running,
            message: "waiting for healthy state of argoproj.io/Rollout".into(),
            started_at: now,
            finished_at: None,
            initiated_by: by.into(),
        });
        self.op_until = Some(now + Duration::seconds(secs));
        self.op_dry_run = dry_run;
    }
}

fn push_point(
    list: &mut Vec<CpuSeries>,
    name: &str,
    track: Option<Track>,
    unit: cpu::CpuUnit,
    ts: i64,
    v: f64,
) {
    let s = match list
        .iter_mut()
        .position(|s| s.name == name && s.track == track)
    {
        Some(i) => &mut list[i],
        None => {
            list.push(CpuSeries {
                name: name.into(),
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

fn poisson_ish(rng: &mut ChaCha8Rng, rate: f64) -> u32 {
    let whole = rate.floor();
    let frac = rate - whole;
    whole as u32 + u32::from(frac > 0.0 && rng.random_bool(frac.min(1.0)))
}

/// A stable id from the label set, as Alertmanager gives each alert.
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

use crate::model::app::short_rev;
use crate::model::cpu;

/// A silence in the demo's Alertmanager.
#[derive(Clone, Debug)]
struct DemoSilence {
    id: String,
    matchers: Vec<(String, String)>,
    ends: DateTime<Utc>,
}
