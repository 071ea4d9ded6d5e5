//! The action pipeline in State: a key asks for an action; it is refused (read-only, nothing
//! to act on) with an audit entry, or prepared into a confirmation; confirmed, it becomes the
//! request the operator runs — carrying the same command the confirmation showed.

use super::Command;
use crate::model::{ActionKind, ActionRequest};
use crate::state::{AuditEntry, FlashKind, Overlay, PendingAction, State};

impl State {
    /// An action key: refuse (read-only, not applicable) or ask for confirmation.
    pub(super) fn request(&mut self, kind: ActionKind) -> Vec<Command> {
        self.request_to(kind, None)
    }

    /// An action; for undo, to revision `to` (`:undo NAME 3`) rather than the previous one.
    pub(in crate::state) fn request_to(
        &mut self,
        kind: ActionKind,
        to: Option<i64>,
    ) -> Vec<Command> {
        if self.ui.overlay.is_some()
            && !matches!(
                self.ui.overlay,
                Some(Overlay::AppDetail { .. } | Overlay::Diff { .. })
            )
        {
            return Vec::new();
        }
        // `B` in a history entry's diff rolls back to that entry.
        let viewed = match &self.ui.overlay {
            Some(Overlay::Diff {
                against: crate::model::DiffAgainst::Revision { id, .. },
                ..
            }) => Some(*id),
            _ => None,
        };
        let prepared = match kind {
            ActionKind::Rollback => self.prepare_rollback(to.or(viewed)),
            _ => self.prepare(kind),
        };
        let pending = match prepared {
            Ok(mut p) => {
                p.protected = self.context.protected;
                if let (ActionKind::Undo, Some(rev)) = (kind, to) {
                    p.to_revision = Some(rev);
                    p.effect = format!(
                        "{}: put revision {rev}'s pod template back (its ReplicaSet's), through the canary steps again. Git still says otherwise: the application shows OutOfSync, and an automated sync with self-heal puts Git's template back",
                        p.target.name
                    );
                    p.refresh_command(&self.context.argocd_namespace);
                }
                if matches!(kind, ActionKind::Promote | ActionKind::PromoteFull) {
                    p.against = self
                        .rollout(&p.target.namespace, &p.target.name)
                        .and_then(|r| self.canary_worse(r));
                }
                p
            }
            Err(why) => {
                self.flash(FlashKind::Error, format!("✗ {}: {why}", kind.as_str()));
                // Refused before it was sent; audited all the same.
                let target = self.refused_target(kind).unwrap_or_default();
                return vec![Command::Audit(AuditEntry::refused(
                    &self.context,
                    kind,
                    target,
                    None,
                    &why,
                ))];
            }
        };
        // The same action on the same target, still unanswered: not twice.
        if let Some(f) = self
            .in_flight
            .iter()
            .find(|f| f.request.kind == kind && f.request.target == pending.target)
        {
            let secs = (self.wall - f.since).num_seconds().max(0);
            let why = format!(
                "the {} sent {secs}s ago is still unanswered; wait for its outcome",
                kind.as_str()
            );
            return self.refuse(kind, &pending, "", &why);
        }
        if self.context.read_only {
            return self.refuse(
                kind,
                &pending,
                "refused: ",
                "read-only mode (started with --read-only)",
            );
        }
        self.ui.overlay = Some(Overlay::Confirm(Box::new(pending)));
        Vec::new()
    }

    /// Says why an action is not asked for, and audits the refusal.
    fn refuse(
        &mut self,
        kind: ActionKind,
        pending: &crate::state::PendingAction,
        lead: &str,
        why: &str,
    ) -> Vec<Command> {
        self.flash(
            FlashKind::Error,
            format!("✗ {} {}: {lead}{why}", kind.as_str(), pending.target.name),
        );
        let req = self.to_request(pending);
        vec![Command::Audit(AuditEntry::refused(
            &self.context,
            kind,
            pending.target.to_string(),
            Some(&req),
            why,
        ))]
    }

    /// What a refused action was aimed at, for its audit line.
    fn refused_target(&self, kind: ActionKind) -> Option<String> {
        if kind.on_alert() {
            return self
                .selected_alert()
                .map(|a| format!("{}/{}", a.labels.get("namespace").map_or("", |v| v), a.name));
        }
        if kind.on_app() {
            return self
                .action_app()
                .map(|a| format!("{}/{}", a.namespace, a.name));
        }
        self.cockpit_rollout()
            .or(self.selected_rollout())
            .map(|r| format!("{}/{}", r.namespace, r.name))
    }

    /// The request a confirmed action becomes: the pending action's own values, its command
    /// included, so the audit log records what the confirmation showed.
    pub fn to_request(&mut self, p: &PendingAction) -> ActionRequest {
        ActionRequest {
            id: self.next_action_id(),
            kind: p.kind,
            target: p.target.clone(),
            sync: p.sync,
            before: p.before.clone(),
            effect: p.effect.clone(),
            command: p.command.clone(),
            silence: p.silence_spec(),
            user: self.context.user.clone(),
            to_revision: p.to_revision,
        }
    }

    /// Enter (or `y`) on a confirmation: runs it when what must be typed was typed.
    pub(super) fn confirm(&mut self) -> Vec<Command> {
        let Some(Overlay::Confirm(p)) = &self.ui.overlay else {
            return Vec::new();
        };
        if !p.typed_ok() {
            let msg = match &p.silence {
                Some(f) if p.kind == ActionKind::Silence => {
                    if crate::state::parse_silence_duration(&f.duration).is_none() {
                        format!("\"{}\" is not a duration (1h, 4h, 90m, 2d)", f.duration)
                    } else {
                        "a silence needs a comment: say why".to_string()
                    }
                }
                _ => format!("type \"{}\" to confirm", p.target.name),
            };
            self.flash(FlashKind::Error, msg);
            return Vec::new();
        }
        let p = p.clone();
        self.ui.overlay = None;
        let req = self.to_request(&p);
        self.flash(
            FlashKind::Info,
            format!("… {} {}", p.kind.as_str(), p.target.name),
        );
        self.in_flight.push(super::super::InFlight {
            request: req.clone(),
            since: self.wall,
        });
        vec![Command::Run(req)]
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn promote_asks_first_then_runs_the_plugin_equivalent() {
        let (mut s, _) = demo(Scenario::Steady, false);
        select_rollout(&mut s, "user");
        assert!(s.handle(Intent::Act(ActionKind::Promote)).is_empty());
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation: {:?}", s.ui.overlay)
        };
        assert_eq!(p.effect, "user: step 1/5 pause → step 2/5 setWeight: 50");
        assert!(!p.needs_typing());
        let cmds = s.handle(Intent::Confirm);
        let [Command::Run(req)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(req.command, "kubectl argo rollouts promote user -n dev");
        assert_eq!(req.before, "step 1/5 pause");
        assert_eq!(req.target.to_string(), "dev/user");
        assert!(s.ui.overlay.is_none());
        assert_eq!(s.in_flight.len(), 1);
        // Again while the first is unanswered: refused, and audited as refused.
        s.tick(s.wall + chrono::Duration::seconds(7));
        let cmds = s.handle(Intent::Act(ActionKind::Promote));
        assert!(s.ui.overlay.is_none(), "no second confirmation");
        let [Command::Audit(a)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert!(
            a.result.contains("sent 7s ago is still unanswered"),
            "{}",
            a.result
        );
        assert_eq!(
            s.flash.as_ref().map(|f| f.text.as_str()),
            Some(
                "✗ promote user: the promote sent 7s ago is still unanswered; wait for its outcome"
            )
        );
        // The answer: pending no more, and it may be sent again.
        s.apply(Update::ActionDone(ActionOutcome {
            request: req.clone(),
            result: Err(ActionError::Unanswered(
                "no answer from the API server after 30s".into(),
            )),
        }));
        assert!(s.in_flight.is_empty());
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.text.starts_with("? promote user: no answer")),
            "{:?}",
            s.flash
        );
        s.handle(Intent::Act(ActionKind::Promote));
        assert!(matches!(s.ui.overlay, Some(Overlay::Confirm(_))));
    }

    #[test]
    fn abort_needs_the_name_typed() {
        let (mut s, _) = demo(Scenario::BadCanary, false);
        select_rollout(&mut s, "store");
        s.handle(Intent::Act(ActionKind::Abort));
        assert!(s.text_input_active());
        assert!(
            s.handle(Intent::Text(TextKey::Enter)).is_empty(),
            "must not run untyped"
        );
        assert!(matches!(s.ui.overlay, Some(Overlay::Confirm(_))));
        for c in "stor".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        assert!(
            s.handle(Intent::Text(TextKey::Enter)).is_empty(),
            "must not run on a prefix"
        );
        s.handle(Intent::Text(TextKey::Char('e')));
        let cmds = s.handle(Intent::Text(TextKey::Enter));
        let [Command::Run(req)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(req.kind, ActionKind::Abort);
        assert_eq!(req.command, "kubectl argo rollouts abort store -n dev");
    }

    #[test]
    fn promoting_a_canary_judged_worse_repeats_the_evidence_and_wants_the_name_typed() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        let store = s.rollout("dev", "store").cloned().unwrap_or_default();
        let why = s
            .canary_worse(&store)
            .expect("the bad canary is judged worse");
        assert!(
            why.contains("canary fails 7.8 pts more often (95% CI"),
            "{why}"
        );
        select_rollout(&mut s, "store");
        s.handle(Intent::Act(ActionKind::Promote));
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation")
        };
        assert_eq!(p.against.as_deref(), Some(why.as_str()));
        assert!(p.needs_typing());
        assert!(s.handle(Intent::Confirm).is_empty(), "not without the name");
        for c in "store".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        let cmds = s.handle(Intent::Text(TextKey::Enter));
        assert!(matches!(cmds.as_slice(), [Command::Run(_)]), "{cmds:?}");
        // A canary that looks like stable asks only for a yes.
        let (mut s, _sim) = demo(Scenario::Steady, false);
        select_rollout(&mut s, "user");
        s.handle(Intent::Act(ActionKind::Promote));
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation")
        };
        assert!(p.against.is_none() && !p.needs_typing());
    }

    #[test]
    fn read_only_refuses_and_audits_the_refusal() {
        let (mut s, _) = demo(Scenario::Steady, true);
        select_rollout(&mut s, "user");
        let cmds = s.handle(Intent::Act(ActionKind::Promote));
        let [Command::Audit(e)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(e.action, "promote");
        assert_eq!(e.target, "dev/user");
        assert!(e.result.contains("read-only"), "{}", e.result);
        assert!(s.ui.overlay.is_none());
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.kind == FlashKind::Error && f.text.contains("read-only"))
        );
    }

    #[test]
    fn actions_that_make_no_sense_are_refused_with_a_reason() {
        let (mut s, _) = demo(Scenario::Steady, false);
        select_rollout(&mut s, "store");
        let cmds = s.handle(Intent::Act(ActionKind::Promote));
        let [Command::Audit(e)] = cmds.as_slice() else {
            panic!("a refusal is audited: {cmds:?}")
        };
        assert_eq!((e.action, e.target.as_str()), ("promote", "dev/store"));
        assert_eq!(
            e.result,
            "refused: store is fully promoted; there is nothing to promote"
        );
        assert!(s.ui.overlay.is_none());
        let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
        assert!(f.contains("fully promoted"), "{f}");
        s.handle(Intent::Act(ActionKind::Retry));
        let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
        assert!(f.contains("not aborted"), "{f}");
    }

    #[test]
    fn sync_is_refused_while_an_operation_runs() {
        let (mut s, mut sim) = demo(Scenario::Steady, false);
        s.handle(Intent::Focus(Pane::Apps));
        let i = s.apps.iter().position(|a| a.name == "store").unwrap_or(0);
        for _ in 0..i {
            s.handle(Intent::Down);
        }
        s.handle(Intent::Act(ActionKind::Sync));
        s.handle(Intent::TogglePrune);
        let cmds = s.handle(Intent::Confirm);
        let [Command::Run(req)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(req.command, "argocd app sync store --prune");
        assert!(sim.act(req).is_ok());
        for u in sim.drain() {
            s.apply(u);
        }
        s.handle(Intent::Act(ActionKind::Sync));
        assert!(s.ui.overlay.is_none());
        let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
        assert!(
            f.contains("store: an operation is Running; wait for it to finish"),
            "{f}"
        );
        // Requested (the `operation` field is set) but not started by the controller yet.
        let i = s.apps.iter().position(|a| a.name == "store").unwrap_or(0);
        s.apps[i].operation = None;
        s.apps[i].operation_requested = true;
        s.handle(Intent::Act(ActionKind::Sync));
        let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
        assert!(
            f.contains("a sync was requested and has not started yet"),
            "{f}"
        );
    }

    #[test]
    fn a_protected_context_wants_every_action_typed() {
        let (mut s, _sim) = demo(Scenario::Steady, false);
        s.context.protected = true;
        s.handle(Intent::Focus(Pane::Apps));
        s.handle(Intent::Act(ActionKind::Refresh));
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation")
        };
        assert!(p.needs_typing() && !p.typed_ok());
        let name = p.target.name.clone();
        assert!(s.handle(Intent::Confirm).is_empty(), "not without the name");
        for c in name.chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        let cmds = s.handle(Intent::Text(TextKey::Enter));
        assert!(matches!(cmds.as_slice(), [Command::Run(r)] if r.kind == ActionKind::Refresh));
    }
}
