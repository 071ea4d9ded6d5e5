//! Argo CD in the simulation: the applications (one builder for the root app, the platform's
//! charts and the services), an image updater bumping tags in Git, detection, auto-sync with
//! its operation, and each app's health as Argo CD derives it from its Rollout.

use super::super::canary::Version;
use super::super::telemetry::{hex, k8s_suffix};
use super::Sim;
use crate::model::*;
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// One Application and what the simulation keeps about it.
pub(super) struct SimApp {
    pub app: ArgoApp,
    /// The service it deploys, when it is one of the platform's services.
    pub svc: Option<usize>,
    /// A new commit in Git not yet noticed by Argo CD.
    pub pending: Option<(String, Version)>,
    pub detect_at: Option<DateTime<Utc>>,
    pub autosync_at: Option<DateTime<Utc>>,
    pub op_until: Option<DateTime<Utc>>,
    pub op_dry_run: bool,
    /// What Git says after a rollback put an older revision in place (a sync goes back to it).
    pub git_revision: Option<String>,
    /// The image each history entry deployed (a service's), for diffs against it.
    pub images_at: std::collections::BTreeMap<i64, String>,
}

/// An application as it is at the start: synced, healthy, its last sync `sync_secs` long.
pub(super) struct AppSpec {
    pub name: String,
    pub project: &'static str,
    pub revision: String,
    pub target_revision: String,
    pub repo: String,
    pub source: String,
    pub destination_namespace: String,
    pub sync_wave: i32,
    pub images: Vec<String>,
    /// Image Updater's rules for it, and where it writes back (empty: none).
    pub image_updater: Vec<ImageRule>,
    pub write_back: String,
    pub deployed: DateTime<Utc>,
    pub sync_secs: i64,
    pub history_id: i64,
    pub reconciled_at: DateTime<Utc>,
    /// Automated sync (the services, the root app); the platform's charts are synced by hand.
    pub auto_sync: bool,
}

/// The revision `back` deployments before `rev`: an older chart version, or another commit.
fn revision_before(rev: &str, back: i64) -> String {
    if back == 0 {
        return rev.to_string();
    }
    if rev.contains('.') {
        return tag_before(rev, back);
    }
    let k = (back as usize * 7) % rev.len().max(1);
    format!("{}{}", &rev[k..], &rev[..k])
}

impl AppSpec {
    pub fn build(self) -> ArgoApp {
        ArgoApp {
            invalid: None,
            name: self.name,
            namespace: "argocd".into(),
            project: self.project.into(),
            sync: SyncStatus::Synced,
            health: HealthStatus::Healthy,
            health_message: String::new(),
            revision: self.revision.clone(),
            target_revision: self.target_revision,
            repo: self.repo,
            source: self.source,
            destination_namespace: self.destination_namespace,
            sync_wave: self.sync_wave,
            auto_sync: self.auto_sync,
            operation: Some(Operation {
                phase: OperationPhase::Succeeded,
                message: "successfully synced (all tasks run)".into(),
                started_at: self.deployed,
                finished_at: Some(self.deployed + Duration::seconds(self.sync_secs)),
                initiated_by: "automated".into(),
            }),
            operation_requested: false,
            images: self.images,
            image_updater: self.image_updater,
            write_back: self.write_back,
            // Earlier deployments a day apart, each an older revision.
            history: (1..=self.history_id)
                .map(|id| HistoryEntry {
                    id,
                    revision: revision_before(&self.revision, self.history_id - id),
                    deployed_at: self.deployed - Duration::hours(26 * (self.history_id - id)),
                })
                .collect(),
            reconciled_at: Some(self.reconciled_at),
        }
    }
}

impl SimApp {
    pub fn new(app: ArgoApp, svc: Option<usize>) -> Self {
        Self {
            app,
            svc,
            pending: None,
            detect_at: None,
            autosync_at: None,
            op_until: None,
            op_dry_run: false,
            git_revision: None,
            images_at: Default::default(),
        }
    }

    pub fn begin_op(&mut self, now: DateTime<Utc>, by: &str, dry_run: bool, secs: i64) {
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

pub(super) fn version(rng: &mut ChaCha8Rng, tag: String, bad: bool, replicas: u32) -> Version {
    let hash = k8s_suffix(rng, 10);
    let pods = (0..replicas).map(|_| k8s_suffix(rng, 5)).collect();
    Version {
        tag,
        hash,
        bad,
        pods,
    }
}

/// A `major.minor.patch` tag's numbers (missing ones are 0).
fn tag_parts(tag: &str) -> [i64; 3] {
    let mut parts = [0; 3];
    for (p, n) in parts
        .iter_mut()
        .zip(tag.split('.').filter_map(|p| p.parse().ok()))
    {
        *p = n;
    }
    parts
}

fn bump_tag(tag: &str, minor: bool) -> String {
    let mut parts = tag_parts(tag);
    if minor {
        parts[1] += 1;
        parts[2] = 0;
    } else {
        parts[2] += 1;
    }
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

impl Sim {
    fn app_of_svc(&mut self, si: usize) -> Option<&mut SimApp> {
        self.apps.iter_mut().find(|a| a.svc == Some(si))
    }

    /// An image updater writes a new tag to Git for a service.
    pub(super) fn bump(&mut self, si: usize, bad: bool, immediate: bool) {
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
        // The image updater's own record of what it wrote.
        let record = ImageUpdateRecord {
            image: format!("{}/{}", self.platform.registry, def.name),
            version: v.tag.clone(),
            app: format!("argocd/{}", def.name),
            at: Some(now),
        };
        self.image_records.retain(|r| r.app != record.app);
        self.image_records.push(record);
        self.dirty_images = true;
        if let Some(a) = self.app_of_svc(si) {
            a.pending = Some((sha, v));
            a.detect_at = Some(now + Duration::seconds(delay));
        }
    }

    pub(super) fn step_bumps(&mut self, now: DateTime<Utc>) {
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

    pub(super) fn step_apps(&mut self, now: DateTime<Utc>) {
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
                    if let Some(si) = a.svc {
                        let image = format!(
                            "{}/{}:{}",
                            self.platform.registry, self.platform.services[si].name, v.tag
                        );
                        a.images_at.insert(id, image);
                    }
                    if a.app.history.len() > 10 {
                        a.app.history.remove(0);
                    }
                    if let Some(si) = a.svc {
                        a.app.images = vec![format!(
                            "{}/{}:{}",
                            self.platform.registry, self.platform.services[si].name, v.tag
                        )];
                        start_canary.push((si, v));
                    }
                } else {
                    a.app.sync = SyncStatus::Synced;
                    // After a rollback, a sync applies Git's revision again.
                    if let Some(rev) = a.git_revision.take() {
                        let id = a.app.history.last().map(|h| h.id + 1).unwrap_or(1);
                        a.app.revision = rev.clone();
                        a.app.history.push(HistoryEntry {
                            id,
                            revision: rev,
                            deployed_at: now,
                        });
                        if a.app.history.len() > 10 {
                            a.app.history.remove(0);
                        }
                    }
                }
            }
        }
        for (si, v) in start_canary {
            self.svcs[si].start(v, now);
            self.dirty_rollouts = true;
        }
    }

    pub(super) fn on_abort(&mut self, si: usize) {
        self.svcs[si].aborted_at = Some(self.now);
        if self.svcs[si].canary.as_ref().is_some_and(|v| v.bad) {
            self.fix_due[si] = Some(self.now + Duration::seconds(180));
        }
    }

    pub(super) fn on_promoted(&mut self, si: usize) {
        if self.svcs[si].stable.bad {
            self.fix_due[si] = Some(self.now + Duration::seconds(240));
        }
    }

    /// Argo CD's view of a Rollout's health: paused is Suspended, aborted is Degraded.
    pub(super) fn derive_app_health(&mut self) {
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
}

/// A patch release before `tag` by `back` (`1.4.2`, 2 → `1.4.0`; never under 0).
pub(super) fn tag_before(tag: &str, back: i64) -> String {
    let (v, tag) = match tag.strip_prefix('v') {
        Some(rest) => ("v", rest),
        None => ("", tag),
    };
    let parts = tag_parts(tag);
    let (minor, patch) = (parts[1], parts[2] - back);
    let (minor, patch) = if patch < 0 && minor > 0 {
        (minor - 1, (patch + 10).max(0))
    } else if patch < 0 {
        (0, 0)
    } else {
        (minor, patch)
    };
    format!("{v}{}.{minor}.{patch}", parts[0])
}
