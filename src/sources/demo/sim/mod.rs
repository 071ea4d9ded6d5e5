//! The simulated platform: deterministic for a seed, advanced one simulated second at a time.
//! The world and its clock are here; Argo CD (`argo.rs`), metrics (`metrics.rs`), logs
//! (`logs.rs`), alerts (`alerts.rs`) and actions (`actions.rs`) each in their own file. It
//! speaks only the model and `state::Update`, like any source.

mod actions;
mod alerts;
mod app_tree;
mod argo;
mod argocd;
mod certs;
mod istio;
mod logs;
mod metrics;
mod pod_log;
mod pods;
mod traces;

use super::canary::CanarySim;
use super::catalog::{self, Platform};
use super::telemetry::hex;
use crate::model::*;
use crate::state::Update;
use chrono::{DateTime, Duration, Utc};
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

use alerts::{DemoSilence, RuleState};
use argo::{AppSpec, SimApp, version};

pub struct Sim {
    platform: &'static Platform,
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
    /// What the platform's Image Updater (v1.x, its `ImageUpdater` resource) wrote: the newest
    /// version per service, and whether it changed.
    image_records: Vec<ImageUpdateRecord>,
    dirty_images: bool,
    /// Istio's objects (an Istio platform), and whether their weights changed.
    virtual_services: Vec<VirtualService>,
    destination_rules: Vec<DestinationRule>,
    dirty_mesh: bool,
    /// The requests behind recent log lines and a sample of the rest: their traces.
    requests: VecDeque<traces::DemoRequest>,
    /// The traces' own random draws, apart from the simulation's.
    trace_rng: ChaCha8Rng,
}

impl Sim {
    pub fn new(seed: u64, scenario: Scenario, start: DateTime<Utc>) -> Self {
        Self::on(&catalog::CHECKMATE, seed, scenario, start)
    }

    /// The simulation of `platform`.
    pub fn on(
        platform: &'static Platform,
        seed: u64,
        scenario: Scenario,
        start: DateTime<Utc>,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let origin = start - Duration::seconds(WARMUP_SECS);
        let p = platform;
        let mut apps = Vec::new();
        let root_sha = hex(&mut rng, 40);
        let deployed = origin - Duration::hours(20);
        apps.push(SimApp::new(
            AppSpec {
                name: "root-app".into(),
                project: "default",
                revision: root_sha,
                target_revision: "main".into(),
                repo: p.gitops_repo.into(),
                source: p.root_source.into(),
                destination_namespace: "argocd".into(),
                sync_wave: -10,
                images: Vec::new(),
                image_updater: Vec::new(),
                write_back: String::new(),
                deployed,
                sync_secs: 9,
                history_id: 1,
                reconciled_at: origin,
                auto_sync: true,
            }
            .build(),
            None,
        ));
        for (i, inf) in p.infra.iter().enumerate() {
            let rev = if inf.repo == p.gitops_repo {
                hex(&mut rng, 40)
            } else {
                inf.version.to_string()
            };
            apps.push(SimApp::new(
                AppSpec {
                    name: inf.name.into(),
                    project: "platform",
                    revision: rev,
                    target_revision: inf.version.into(),
                    repo: inf.repo.into(),
                    source: inf.chart.into(),
                    destination_namespace: inf.namespace.into(),
                    sync_wave: inf.wave,
                    images: inf.images.iter().map(|s| s.to_string()).collect(),
                    image_updater: Vec::new(),
                    write_back: String::new(),
                    deployed: deployed + Duration::seconds(12 * i as i64),
                    sync_secs: 7,
                    history_id: 3,
                    reconciled_at: origin,
                    auto_sync: false,
                }
                .build(),
                None,
            ));
        }
        let mut svcs = Vec::new();
        for (si, def) in p.services.iter().enumerate() {
            let v = version(&mut rng, def.version.to_string(), false, def.replicas);
            let sha = hex(&mut rng, 40);
            let c = CanarySim::new(p, def, v.clone());
            apps.push(SimApp::new(
                AppSpec {
                    name: def.name.into(),
                    project: "services",
                    revision: sha,
                    target_revision: "main".into(),
                    repo: p.gitops_repo.into(),
                    source: format!("services/{}/overlays/{}", def.name, p.namespace),
                    destination_namespace: p.namespace_of(def).into(),
                    sync_wave: def.wave,
                    images: vec![c.image(&v)],
                    // The platform's image bumps are Image Updater's (semver, into Git).
                    image_updater: if p.image_updater {
                        vec![ImageRule {
                            alias: def.name.into(),
                            image: format!("{}/{}", p.registry, def.name),
                            constraint: String::new(),
                            strategy: "semver".into(),
                        }]
                    } else {
                        Vec::new()
                    },
                    write_back: if p.image_updater {
                        "git:secret:argocd/git-creds".into()
                    } else {
                        String::new()
                    },
                    deployed: origin - Duration::hours(3) - Duration::minutes(17 * si as i64),
                    sync_secs: 5,
                    history_id: 3,
                    reconciled_at: origin,
                    auto_sync: true,
                }
                .build(),
                Some(si),
            ));
            // The images its history deployed: patch releases before this one.
            if let Some(a) = apps.last_mut() {
                for h in &a.app.history {
                    let back = 3 - h.id;
                    let tag = argo::tag_before(def.version, back);
                    a.images_at
                        .insert(h.id, format!("{}/{}:{tag}", p.registry, def.name));
                }
            }
            svcs.push(c);
        }
        // What the image updater wrote for the versions running now, before their deploys.
        let image_records: Vec<ImageUpdateRecord> = apps
            .iter()
            .filter(|a| a.svc.is_some() && p.image_updater)
            .filter_map(|a| {
                let h = a.app.history.last()?;
                let (image, version) = a.app.images.first()?.rsplit_once(':')?;
                Some(ImageUpdateRecord {
                    image: image.into(),
                    version: version.into(),
                    app: format!("argocd/{}", a.app.name),
                    at: Some(h.deployed_at - Duration::seconds(40)),
                })
            })
            .collect();
        let n = svcs.len();
        let (virtual_services, destination_rules) = istio::objects(platform);
        let mut sim = Self {
            platform,
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
            image_records,
            dirty_images: true,
            virtual_services,
            destination_rules,
            dirty_mesh: true,
            requests: VecDeque::new(),
            trace_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7472_6163_6573),
        };
        for _ in 0..(WARMUP_SECS - CANARY_LEAD_SECS) {
            sim.step();
        }
        let (svc, bad) = match scenario {
            Scenario::Steady => (platform.steady_canary, false),
            Scenario::BadCanary => (platform.bad_canary, true),
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

    pub(super) fn svc_index(&self, name: &str) -> Option<usize> {
        self.svcs.iter().position(|s| s.def.name == name)
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
        self.sync_mesh_weights();
        self.step_logs(now);
        if now >= self.next_metrics {
            self.sample_metrics(now);
            self.next_metrics = now + Duration::seconds(METRICS_EVERY_SECS);
        }
        self.step_alerts(now);
    }

    /// Every update needed to show the platform from scratch.
    pub fn snapshot(&mut self) -> Vec<Update> {
        self.dirty_apps = true;
        self.dirty_rollouts = true;
        self.dirty_metrics = true;
        self.dirty_cpu = true;
        self.dirty_alerts = true;
        self.dirty_mesh = true;
        self.dirty_images = true;
        let mesh = match self.platform.mesh {
            catalog::Mesh::Linkerd => "linkerd",
            catalog::Mesh::Istio => "istio",
        };
        let mut out = vec![
            Update::MeshInUse(mesh.into()),
            self.certificates(),
            self.trust_bundles(),
        ];
        if !self.destination_rules.is_empty() {
            out.push(Update::DestinationRules(self.destination_rules.clone()));
        }
        out.extend(self.drain());
        out
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
        if std::mem::take(&mut self.dirty_mesh) && !self.virtual_services.is_empty() {
            out.push(Update::VirtualServices(self.virtual_services.clone()));
        }
        if !self.logs.is_empty() {
            out.push(Update::Logs(std::mem::take(&mut self.logs)));
        }
        if std::mem::take(&mut self.dirty_alerts) {
            out.push(Update::Alerts(self.firing_alerts()));
        }
        if std::mem::take(&mut self.dirty_images) && self.platform.image_updater {
            out.push(Update::ImageUpdaters(Ok(vec![ImageUpdater {
                namespace: "argocd".into(),
                name: "services".into(),
                reconciled_at: Some(self.now),
                ready: Some(true),
                message: format!("reconciled {} applications", self.image_records.len()),
                updates: self.image_records.clone(),
            }])));
        }
        out
    }
}
