//! Turning "promote the selected rollout" into a PendingAction with its effect in words,
//! or a refusal that says why.

use super::{PendingAction, State};
use crate::model::*;

impl State {
    /// The app an app action targets: the selected app, or the app of the selected rollout.
    pub(super) fn action_app(&self) -> Option<&ArgoApp> {
        use crate::layout::Pane;
        if let Some(
            super::Overlay::AppDetail {
                namespace, name, ..
            }
            | super::Overlay::Diff {
                namespace, name, ..
            },
        ) = &self.ui.overlay
        {
            return self
                .apps
                .iter()
                .find(|a| &a.name == name && &a.namespace == namespace);
        }
        if let Some(r) = self.cockpit_rollout() {
            return self.apps.iter().find(|a| a.name == r.name);
        }
        match self.ui.focus {
            Pane::Rollouts => {
                let r = self.selected_rollout()?;
                self.apps.iter().find(|a| a.name == r.name)
            }
            _ => self.selected_app(),
        }
    }

    /// The rollout a rollout action targets: the cockpit's, the selected one, or the selected app's.
    fn action_rollout(&self) -> Option<&Rollout> {
        use crate::layout::Pane;
        if let Some(r) = self.cockpit_rollout() {
            return Some(r);
        }
        match self.ui.focus {
            Pane::Apps => {
                let a = self.selected_app()?;
                self.rollouts.iter().find(|r| r.name == a.name)
            }
            _ => self.selected_rollout(),
        }
    }

    /// Builds the confirmation for an action, with its CLI equivalent, or says why it cannot
    /// run now.
    pub(super) fn prepare(&self, kind: ActionKind) -> Result<PendingAction, String> {
        let mut p = self.prepare_for(kind)?;
        p.refresh_command(&self.context.argocd_namespace);
        Ok(p)
    }

    fn prepare_for(&self, kind: ActionKind) -> Result<PendingAction, String> {
        if kind == ActionKind::Rollback {
            return self.prepare_rollback(None);
        }
        if kind.on_alert() {
            let a = self
                .selected_alert()
                .ok_or_else(|| "select an alert in the Alerts pane first".to_string())?;
            return prepare_alert(kind, a);
        }
        if kind.on_app() {
            let app = self
                .action_app()
                .ok_or_else(|| "select an application first".to_string())?;
            prepare_app(kind, app)
        } else {
            let r = self
                .action_rollout()
                .ok_or_else(|| "select a rollout first".to_string())?;
            prepare_rollout(kind, r, self.now)
        }
    }
}

impl State {
    /// A rollback to history entry `id` (None: the one before what runs now), as
    /// `argocd app rollback` does it, or why not. Argo CD refuses it while automated sync is
    /// on (the controller would sync Git's revision back at once): so does this, first.
    pub(super) fn prepare_rollback(&self, id: Option<i64>) -> Result<PendingAction, String> {
        let app = self
            .action_app()
            .ok_or_else(|| "select an application first".to_string())?;
        let n = &app.name;
        let Some(server) = &self.context.argocd_server else {
            return Err(format!(
                "rolling {n} back needs the Argo CD API server: start opsdeck with --argocd-server URL (or --argocd-server-service NS/NAME:PORT) and ARGOCD_AUTH_TOKEN set; or run argocd app rollback {n}"
            ));
        };
        if let Some(why) = &app.invalid {
            return Err(format!(
                "{n} cannot be read ({why}); look at it with argocd before rolling back"
            ));
        }
        if app.auto_sync {
            return Err(format!(
                "rollback cannot be initiated when auto-sync is enabled (Argo CD refuses it: the next automated sync would put Git's revision back). Turn it off first with argocd app set {n} --sync-policy none, or revert the change in Git"
            ));
        }
        if app.operation_in_progress() {
            return Err(format!(
                "{n}: an operation is running; wait for it to finish"
            ));
        }
        let Some(now) = app.history.last() else {
            return Err(format!("{n} has no deployment history to roll back to"));
        };
        let entry = match id {
            Some(id) => app.history.iter().find(|h| h.id == id).ok_or_else(|| {
                let ids: Vec<String> = app.history.iter().map(|h| format!("#{}", h.id)).collect();
                format!("{n}'s history has no #{id} (it keeps {})", ids.join(" "))
            })?,
            None => app
                .history
                .iter()
                .rev()
                .nth(1)
                .ok_or_else(|| format!("{n} has only one revision in its history"))?,
        };
        if entry.id == now.id {
            return Err(format!(
                "#{} is what {n} deployed last; choose an earlier entry (:rollback {n} ID)",
                entry.id
            ));
        }
        let short = |r: &str| app::short_rev(r).to_string();
        let ago = crate::model::time::fmt_age((self.now - entry.deployed_at).num_seconds());
        let mut p = PendingAction::new(
            ActionKind::Rollback,
            Target {
                namespace: app.namespace.clone(),
                name: n.clone(),
            },
            format!("{} #{} {}", app_before(app), now.id, short(&now.revision)),
            format!(
                "{n}: deploy #{} {} (deployed {ago} ago) again in place of #{} {}, through {server}. Git still says {}: the application shows OutOfSync until Git changes, and automated sync stays off",
                entry.id,
                short(&entry.revision),
                now.id,
                short(&now.revision),
                app.target_revision,
            ),
        );
        p.to_revision = Some(entry.id);
        p.refresh_command(&self.context.argocd_namespace);
        Ok(p)
    }
}

fn prepare_alert(kind: ActionKind, a: &Alert) -> Result<PendingAction, String> {
    let target = Target {
        namespace: a.labels.get("namespace").cloned().unwrap_or_default(),
        name: a.name.clone(),
    };
    let matchers = a.silence_matchers();
    let shown: Vec<String> = matchers
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    let (effect, form) = match kind {
        ActionKind::Silence => (
            format!(
                "mute every alert matching {{{}}} until it expires",
                shown.join(", ")
            ),
            super::SilenceForm {
                matchers,
                duration: super::LineEditor::new(super::SILENCE_DURATIONS[0]),
                ..Default::default()
            },
        ),
        ActionKind::Expire => {
            if a.silenced_by.is_empty() {
                return Err(format!("{} is not silenced", a.name));
            }
            (
                format!(
                    "expire silence {}: {} notifies again",
                    a.silenced_by.join(", "),
                    a.name
                ),
                super::SilenceForm {
                    ids: a.silenced_by.clone(),
                    ..Default::default()
                },
            )
        }
        _ => return Err(format!("{} is not an alert action", kind.as_str())),
    };
    let mut p = PendingAction::new(kind, target, format!("{} {}", a.name, a.subject()), effect);
    p.silence = Some(form);
    Ok(p)
}

fn app_before(app: &ArgoApp) -> String {
    format!(
        "{} {} @ {}",
        app.sync.as_str(),
        app.health.as_str(),
        app.short_revision()
    )
}

fn prepare_app(kind: ActionKind, app: &ArgoApp) -> Result<PendingAction, String> {
    if let Some(why) = &app.invalid
        && kind == ActionKind::Sync
    {
        return Err(format!(
            "{} cannot be read ({why}); look at it with argocd before syncing",
            app.name
        ));
    }
    let before = app_before(app);
    let effect = match kind {
        ActionKind::Sync => {
            if app.operation_in_progress() {
                let what = match app.operation.as_ref().filter(|o| !o.phase.is_completed()) {
                    Some(op) => format!("an operation is {}", op.phase.as_str()),
                    None => "a sync was requested and has not started yet".to_string(),
                };
                return Err(format!("{}: {what}; wait for it to finish", app.name));
            }
            format!(
                "{}: {} → sync to {} ({})",
                app.name,
                app.sync.as_str(),
                app.target_revision,
                app.short_revision()
            )
        }
        ActionKind::Refresh => format!("{}: compare with Git again (normal refresh)", app.name),
        ActionKind::HardRefresh => format!(
            "{}: drop the manifest cache and compare with Git again",
            app.name
        ),
        _ => return Err(format!("{} is not an application action", kind.as_str())),
    };
    Ok(PendingAction::new(
        kind,
        Target {
            namespace: app.namespace.clone(),
            name: app.name.clone(),
        },
        before,
        effect,
    ))
}

/// The step after the current one, in words.
fn next_step_text(r: &Rollout) -> String {
    let i = r.current_step_index.unwrap_or(0) + 1;
    match r.steps.get(i) {
        Some(s) => format!("step {i}/{} {}", r.steps.len(), s.label()),
        None => format!(
            "step {}/{} (all steps done, 100% canary)",
            r.steps.len(),
            r.steps.len()
        ),
    }
}

fn prepare_rollout(
    kind: ActionKind,
    r: &Rollout,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PendingAction, String> {
    let n = &r.name;
    // What cannot be read is not acted on from here: its state is unknown.
    if let Some(why) = &r.invalid {
        return Err(format!(
            "{n} cannot be read ({why}); look at it with kubectl before acting"
        ));
    }
    let before = rollout_before(r);
    let effect = match kind {
        ActionKind::Promote => {
            if r.aborted {
                return Err(format!("{n} is aborted; retry it before promoting"));
            }
            if r.is_fully_promoted() {
                return Err(format!(
                    "{n} is fully promoted; there is nothing to promote"
                ));
            }
            match (&r.pause, r.current_step()) {
                (Some(p), _) if p.duration.is_some() => format!(
                    "{n}: {before} (resumes by itself in {}s) → {}",
                    r.pause_remaining(now).unwrap_or(0),
                    next_step_text(r)
                ),
                (Some(_), _) => format!("{n}: {before} → {}", next_step_text(r)),
                (None, Some(CanaryStep::Analysis(_))) => format!(
                    "{n}: skip the running analysis, {before} → {}",
                    next_step_text(r)
                ),
                _ => format!("{n}: {before} → {}", next_step_text(r)),
            }
        }
        ActionKind::PromoteFull => {
            if r.is_fully_promoted() {
                return Err(format!(
                    "{n} is fully promoted; there is nothing to promote"
                ));
            }
            format!(
                "{n}: skip every remaining step and analysis, 100% of traffic to canary {} ({})",
                r.canary_hash, r.canary_image
            )
        }
        ActionKind::Abort => {
            if r.aborted {
                return Err(format!("{n} is already aborted"));
            }
            if !r.canary_active() {
                return Err(format!("{n} has no canary in progress; nothing to abort"));
            }
            format!(
                "{n}: canary weight {}% → 0%, all traffic back to stable {} ({})",
                r.actual_weight, r.stable_hash, r.stable_image
            )
        }
        ActionKind::Retry => {
            if !r.aborted {
                return Err(format!(
                    "{n} is not aborted; retry only restarts an aborted rollout"
                ));
            }
            let first = r.steps.first().map(|s| s.label()).unwrap_or_default();
            format!(
                "{n}: start the canary {} again from step 0 ({first})",
                r.canary_hash
            )
        }
        ActionKind::Restart => format!(
            "{n}: restart all {} pods one by one (spec.restartAt = now)",
            r.replicas.current.max(r.replicas.desired)
        ),
        ActionKind::Pause => {
            if r.user_paused {
                return Err(format!("{n} is already paused"));
            }
            format!("{n}: hold at {before} (spec.paused): no step advances until resumed")
        }
        ActionKind::Resume => {
            if !r.user_paused {
                return Err(format!(
                    "{n} is not paused by a user; promote goes past a pause step"
                ));
            }
            format!("{n}: go on from {before} (spec.paused = false)")
        }
        ActionKind::SkipStep => {
            if r.aborted {
                return Err(format!("{n} is aborted; retry it first"));
            }
            let i = r.current_step_index.unwrap_or(0);
            if r.steps.is_empty() || i >= r.steps.len() {
                return Err(format!("{n} has no step left to skip"));
            }
            format!("{n}: skip {before} → {}", next_step_text(r))
        }
        ActionKind::Undo => {
            let what = if r.canary_active() || r.aborted {
                format!(
                    "drop canary {} and go back to stable's template {} ({})",
                    r.canary_hash, r.stable_hash, r.stable_image
                )
            } else {
                "go back to the previous revision's pod template (the second-newest ReplicaSet), through the canary steps again".to_string()
            };
            format!(
                "{n}: {what}. Git still says otherwise: the application shows OutOfSync, and an automated sync with self-heal puts Git's template back"
            )
        }
        _ => return Err(format!("{} is not a rollout action", kind.as_str())),
    };
    Ok(PendingAction::new(
        kind,
        Target {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        },
        before,
        effect,
    ))
}
