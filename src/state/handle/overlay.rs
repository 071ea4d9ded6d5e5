//! Intents an open overlay takes first: help scrolls, the timeline moves its selection and
//! goes to what an entry is about, the application detail goes on to the cockpit, and the
//! confirmation confirms, cancels and toggles its options.

use super::Command;
use crate::model::ActionKind;
use crate::state::{FlashKind, Intent, Overlay, Screen, State};

impl State {
    pub(super) fn on_overlay(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        if matches!(self.ui.overlay, Some(Overlay::PodLog { .. }))
            && let Some(c) = self.on_pod_log(intent)
        {
            return Some(c);
        }
        if let Some(c) = self.on_trace(intent) {
            return Some(c);
        }
        if let Some(c) = self.on_fleet_view(intent) {
            return Some(c);
        }
        if matches!(self.ui.overlay, Some(Overlay::Object { .. })) {
            if *intent == Intent::Search {
                self.ui.typing = Some(crate::state::Typing::Search);
                self.ui.logs.search.clear();
                return Some(Vec::new());
            }
            if let Some(c) = self.on_object(intent) {
                return Some(c);
            }
        }
        match (&self.ui.overlay, intent) {
            (Some(Overlay::Pods { .. }), Intent::Open) => {
                self.open_pod_log();
                Some(Vec::new())
            }
            (
                Some(
                    Overlay::Help { .. }
                    | Overlay::Timeline { .. }
                    | Overlay::Pods { .. }
                    | Overlay::Platform { .. }
                    | Overlay::AppDetail { .. }
                    | Overlay::Diff { .. },
                ),
                i,
            ) if self.is_motion(i) => {
                self.move_overlay(i);
                Some(Vec::new())
            }
            (Some(Overlay::Timeline { .. }), Intent::AllClusters) => {
                self.toggle_timeline_all();
                Some(Vec::new())
            }
            (Some(Overlay::Timeline { selected }), Intent::Open) if self.ui.timeline_all => {
                // Another cluster's entry: the loop focuses it, and it goes there.
                let Some((cluster, c)) = self.fleet_timeline.get(*selected).cloned() else {
                    return Some(Vec::new());
                };
                if cluster == self.context.name {
                    self.jump_to(&c.subject);
                    return Some(Vec::new());
                }
                self.ui.overlay = None;
                Some(vec![Command::FocusCluster {
                    name: cluster,
                    reveal: Some(crate::state::Reveal::Subject(c.subject)),
                }])
            }
            (Some(Overlay::Timeline { selected }), Intent::Open) => {
                if let Some(c) = self.timeline.get(*selected) {
                    let name = c.subject.clone();
                    self.jump_to(&name);
                }
                Some(Vec::new())
            }
            (Some(Overlay::AppDetail { name, .. }), Intent::Open) => {
                // From the application detail, Enter goes on to its rollout's cockpit.
                let target = self
                    .rollouts
                    .iter()
                    .find(|r| &r.name == name)
                    .map(|r| (r.namespace.clone(), r.name.clone()));
                self.ui.overlay = None;
                match target {
                    Some((namespace, name)) => self.ui.screen = Screen::Cockpit { namespace, name },
                    None => self.flash(FlashKind::Info, "this application has no rollout"),
                }
                Some(Vec::new())
            }
            (Some(Overlay::Confirm(_)), Intent::Confirm) => Some(self.confirm()),
            (Some(Overlay::Confirm(_)), Intent::Cancel) => {
                self.ui.overlay = None;
                self.flash(FlashKind::Info, "cancelled");
                Some(Vec::new())
            }
            (Some(Overlay::Confirm(_)), Intent::TogglePrune | Intent::ToggleDryRun) => {
                let ns = self.context.argocd_namespace.clone();
                if let Some(Overlay::Confirm(p)) = &mut self.ui.overlay
                    && p.kind == ActionKind::Sync
                {
                    if *intent == Intent::TogglePrune {
                        p.sync.prune = !p.sync.prune;
                    } else {
                        p.sync.dry_run = !p.sync.dry_run;
                    }
                    p.refresh_command(&ns);
                }
                Some(Vec::new())
            }
            _ => None,
        }
    }

    fn is_motion(&self, i: &Intent) -> bool {
        matches!(
            i,
            Intent::Up
                | Intent::Down
                | Intent::PageUp
                | Intent::PageDown
                | Intent::Top
                | Intent::Bottom
        )
    }

    /// Help scrolls; the timeline moves its selection.
    fn move_overlay(&mut self, i: &Intent) {
        let page = self.page() as isize;
        let last = self.timeline_len().saturating_sub(1);
        let rows = self
            .pods_rollout()
            .and_then(|r| self.below(r))
            .map_or(0, |b| b.pods.len() + b.events.len());
        let certs = self.certs.len();
        // An app's details: at most as many rows as its lines (wrapping adds a few; the
        // drawing clamps exactly), so a scroll past the end comes straight back.
        let detail_rows = match &self.ui.overlay {
            Some(Overlay::AppDetail {
                namespace, name, ..
            }) => {
                let app = self
                    .apps
                    .iter()
                    .find(|a| &a.name == name && &a.namespace == namespace);
                let tree = self.app_tree(namespace, name);
                19 + app.map_or(0, |a| a.images.len() + a.history.len().min(5))
                    + tree.map_or(1, |t| 1 + t.tree.resources.len() + t.tree.hooks().count())
            }
            // The last screenful's first row, as the drawing shows it.
            Some(Overlay::Diff { .. }) => self.diff_rows().saturating_sub(self.view_rows()),
            _ => 0,
        };
        let delta = match i {
            Intent::Up => Some(-1),
            Intent::Down => Some(1),
            Intent::PageUp => Some(-page),
            Intent::PageDown => Some(page),
            _ => None,
        };
        match (&mut self.ui.overlay, delta) {
            (Some(Overlay::Help { scroll }), Some(d)) => *scroll = scroll.saturating_add_signed(d),
            (Some(Overlay::Diff { scroll, .. }), Some(d)) => {
                *scroll = scroll.saturating_add_signed(d).min(detail_rows)
            }
            (Some(Overlay::Diff { scroll, .. }), None) => {
                *scroll = if *i == Intent::Top { 0 } else { detail_rows }
            }
            (Some(Overlay::AppDetail { scroll, .. }), Some(d)) => {
                *scroll = scroll.saturating_add_signed(d).min(detail_rows)
            }
            (Some(Overlay::AppDetail { scroll, .. }), None) => {
                // The drawing clamps it to the last row.
                *scroll = if *i == Intent::Top { 0 } else { detail_rows }
            }
            (Some(Overlay::Help { scroll }), None) => {
                *scroll = if *i == Intent::Top { 0 } else { usize::MAX / 2 }
            }
            (Some(Overlay::Timeline { selected }), Some(d)) => {
                *selected = selected.saturating_add_signed(d).min(last)
            }
            (Some(Overlay::Timeline { selected }), None) => {
                *selected = if *i == Intent::Top { 0 } else { last }
            }
            (Some(Overlay::Platform { selected }), Some(d)) => {
                *selected = selected
                    .saturating_add_signed(d)
                    .min(certs.saturating_sub(1))
            }
            (Some(Overlay::Platform { selected }), None) => {
                *selected = if *i == Intent::Top {
                    0
                } else {
                    certs.saturating_sub(1)
                }
            }
            (Some(Overlay::Pods { selected, .. }), Some(d)) => {
                *selected = selected
                    .saturating_add_signed(d)
                    .min(rows.saturating_sub(1))
            }
            (Some(Overlay::Pods { selected, .. }), None) => {
                *selected = if *i == Intent::Top {
                    0
                } else {
                    rows.saturating_sub(1)
                }
            }
            _ => {}
        }
    }
}
