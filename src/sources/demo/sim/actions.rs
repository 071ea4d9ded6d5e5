//! Actions in the simulation, as the controllers would carry them out: Argo CD syncs and
//! refreshes, the rollout plugin's promote, abort, retry and restart, and silences.

use super::Sim;
use super::alerts::DemoSilence;
use crate::model::app::short_rev;
use crate::model::*;
use chrono::{Duration, SecondsFormat};

impl Sim {
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
                    created_by: req.user.clone(),
                    comment: spec.comment,
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
        if req.kind == ActionKind::Rollback {
            return self.rollback(req);
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
            ActionKind::Pause => self.svcs[si].pause(),
            ActionKind::Resume => self.svcs[si].resume(),
            ActionKind::SkipStep => self.svcs[si].skip_step(now),
            ActionKind::Undo => self.svcs[si].undo_to(req.to_revision, now),
            _ => Err(format!("{} is not a rollout action", req.kind.as_str())),
        };
        if r.is_ok() {
            self.dirty_rollouts = true;
            if req.kind == ActionKind::Undo {
                // The live template is no longer Git's.
                for a in self.apps.iter_mut().filter(|a| a.svc == Some(si)) {
                    a.app.sync = SyncStatus::OutOfSync;
                    self.dirty_apps = true;
                }
            }
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
