//! What is handled the same everywhere: quit, resize, the help, internal-log and timeline
//! overlays, focus and zoom, back (the innermost thing first), the command line, a chart's
//! window, and the action keys; plus `on_pane`, which hands an intent to the pane owning it.

use super::Command;
use crate::layout::Pane;
use crate::model::AlertState;
use crate::state::{FlashKind, Intent, Overlay, Screen, State, Typing};

impl State {
    /// The pane that owns an intent takes it: the logs theirs, the alerts theirs, the focused
    /// list its motion and filter, the focused pane Enter and its window.
    pub(super) fn on_pane(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        if let Some(c) = self.on_cockpit_traces(intent) {
            return Some(c);
        }
        if let Some(c) = self.on_logs(intent) {
            return Some(c);
        }
        match intent {
            Intent::ToggleSuppressed => {
                self.toggle_suppressed();
                Some(Vec::new())
            }
            Intent::Open => Some(self.open()),
            Intent::Sort => {
                self.cycle_sort();
                Some(Vec::new())
            }
            Intent::Window => {
                self.next_window();
                Some(Vec::new())
            }
            i => self.on_list(i),
        }
    }

    pub(super) fn on_global(&mut self, intent: Intent) -> Vec<Command> {
        match intent {
            Intent::Quit => return vec![Command::Quit],
            Intent::Resize { width, height } => self.set_size(width, height),
            Intent::Help => self.toggle_overlay(Overlay::Help { scroll: 0 }),
            Intent::InternalLog => self.toggle_overlay(Overlay::InternalLog),
            Intent::Timeline => self.toggle_overlay(Overlay::Timeline {
                selected: self.timeline_len().saturating_sub(1),
            }),
            Intent::Back => self.back(),
            Intent::Pods => self.toggle_pods(),
            Intent::Diff => self.toggle_diff(None),
            Intent::Yaml => self.toggle_object(false),
            Intent::AnalysisYaml => self.toggle_object(true),
            Intent::Trace => self.open_trace_here(),
            Intent::Platform => self.toggle_overlay(Overlay::Platform { selected: 0 }),
            Intent::ToggleNormalEvents => {
                self.ui.normal_events = !self.ui.normal_events;
                let what = if self.ui.normal_events {
                    "Normal events shown too"
                } else {
                    "Warning events only"
                };
                self.flash(FlashKind::Info, what);
            }
            Intent::Cluster(step) => return self.step_cluster(step),
            Intent::AllClusters => self.toggle_fleet_view(),
            Intent::FocusNext => self.focus(self.ui.focus.next()),
            Intent::FocusPrev => self.focus(self.ui.focus.prev()),
            Intent::Focus(p) => self.focus(p),
            Intent::Zoom => {
                self.ui.zoom = !self.ui.zoom;
                self.relayout();
            }
            Intent::CommandLine => self.open_command_line(""),
            Intent::CommandWith(name) => self.open_command_line(&format!("{name} ")),
            Intent::Act(kind) => return self.request(kind),
            // Without a confirmation open these mean nothing; text is routed before this.
            Intent::Confirm
            | Intent::TogglePrevious
            | Intent::NextContainer
            | Intent::Cancel
            | Intent::TogglePrune
            | Intent::ToggleDryRun
            | Intent::Text(_) => {}
            // Taken by the overlays and panes above.
            Intent::Up
            | Intent::Down
            | Intent::Top
            | Intent::Bottom
            | Intent::PageUp
            | Intent::PageDown
            | Intent::Open
            | Intent::Filter
            | Intent::Follow
            | Intent::Expand
            | Intent::ToggleSuppressed
            | Intent::Sort
            | Intent::Search
            | Intent::SearchNext
            | Intent::SearchPrev
            | Intent::ToggleWrap
            | Intent::ToggleUtc
            | Intent::Copy
            | Intent::Narrow
            | Intent::Window => {}
        }
        Vec::new()
    }

    /// The cluster `step` places after (or before) the one shown, round the fleet.
    fn step_cluster(&mut self, step: i8) -> Vec<Command> {
        let n = self.fleet.len();
        let Some(here) = self.fleet.iter().position(|c| c.focused).filter(|_| n > 1) else {
            self.flash(
                FlashKind::Info,
                "one cluster: watch more with --context a,b or fleet = [..] in config.toml",
            );
            return Vec::new();
        };
        let to = (here + n).saturating_add_signed(isize::from(step)) % n;
        vec![Command::FocusCluster {
            name: self.fleet[to].name.clone(),
            reveal: None,
        }]
    }

    /// The pods view of the rollout in view: the cockpit's, the selected one, or the
    /// application's; closed when open.
    fn toggle_pods(&mut self) {
        if matches!(self.ui.overlay, Some(Overlay::Pods { .. })) {
            self.ui.overlay = None;
            return;
        }
        let target = match (&self.ui.overlay, &self.ui.screen) {
            (
                Some(Overlay::AppDetail {
                    namespace, name, ..
                }),
                _,
            ) => self.app_rollout(namespace, name),
            (None, Screen::Cockpit { namespace, name }) => self.rollout(namespace, name),
            (None, Screen::Main) if self.ui.focus == Pane::Rollouts => self.selected_rollout(),
            // A route's service: the rollout that runs it.
            (None, Screen::Main) if self.ui.focus == Pane::Routes => self
                .selected_index(Pane::Routes)
                .and_then(|i| self.routes.get(i))
                .and_then(|r| self.rollout(&r.namespace, &r.service)),
            _ => None,
        };
        match target.map(|r| (r.namespace.clone(), r.name.clone(), r.selector.is_empty())) {
            Some((namespace, name, false)) => {
                self.ui.overlay = Some(Overlay::Pods {
                    namespace,
                    name,
                    selected: 0,
                })
            }
            Some((_, name, true)) => self.flash(
                FlashKind::Error,
                format!("✗ {name} has no pod selector opsdeck can use (spec.selector)"),
            ),
            None => self.flash(FlashKind::Info, "no rollout here: select one first"),
        }
    }

    /// The diff of the application in view against Git (or history entry `id`), or closes it.
    pub(in crate::state) fn toggle_diff(&mut self, id: Option<i64>) {
        if matches!(self.ui.overlay, Some(Overlay::Diff { .. })) {
            self.ui.overlay = None;
            return;
        }
        let Some(app) = self.action_app() else {
            self.flash(FlashKind::Info, "no application here: select one first");
            return;
        };
        let against = match id {
            None => crate::model::DiffAgainst::Desired,
            Some(id) => match app.history.iter().find(|h| h.id == id) {
                Some(h) => crate::model::DiffAgainst::Revision {
                    id,
                    revision: h.revision.clone(),
                },
                None => {
                    let ids: Vec<String> =
                        app.history.iter().map(|h| format!("#{}", h.id)).collect();
                    let why = format!(
                        "✗ {}'s history has no #{id} (it keeps {})",
                        app.name,
                        ids.join(" ")
                    );
                    self.flash(FlashKind::Error, why);
                    return;
                }
            },
        };
        let (namespace, name) = (app.namespace.clone(), app.name.clone());
        self.ui.overlay = Some(Overlay::Diff {
            namespace,
            name,
            against,
            scroll: 0,
        });
    }

    /// Opens an overlay, or closes it if it is the one open.
    fn toggle_overlay(&mut self, o: Overlay) {
        let same = std::mem::discriminant(&o);
        self.ui.overlay = match &self.ui.overlay {
            Some(cur) if std::mem::discriminant(cur) == same => None,
            _ => Some(o),
        };
    }

    fn open_command_line(&mut self, text: &str) {
        self.ui.palette.line.set(text);
        self.ui.typing = Some(Typing::Command);
    }

    /// Esc: the overlay, then the cockpit, then the zoom, then the focused pane's filter.
    fn back(&mut self) {
        if self.ui.overlay.take().is_some() {
            return;
        }
        if self.ui.screen != Screen::Main {
            self.ui.screen = Screen::Main;
            return;
        }
        if self.ui.zoom {
            self.ui.zoom = false;
            self.relayout();
            return;
        }
        let focus = self.ui.focus;
        let f = &mut self.ui.lists[focus].filter;
        if !f.is_empty() {
            f.clear();
            self.clamp_lists();
        }
    }

    pub(in crate::state) fn focus(&mut self, pane: Pane) {
        if self.ui.screen != Screen::Main {
            self.ui.screen = Screen::Main;
        }
        self.ui.overlay = None;
        self.ui.focus = pane;
        self.relayout();
    }

    fn toggle_suppressed(&mut self) {
        self.ui.alerts.show_suppressed = !self.ui.alerts.show_suppressed;
        let n = self
            .alerts
            .iter()
            .filter(|a| a.state == AlertState::Suppressed)
            .count();
        let what = if self.ui.alerts.show_suppressed {
            "shown, dimmed"
        } else {
            "hidden"
        };
        self.flash(
            FlashKind::Info,
            format!("{n} silenced or inhibited alerts {what}"),
        );
        self.set_pos(Pane::Alerts, 0);
    }

    /// `w`: the next window of the CPU chart or of the routes (the cockpit's are the routes').
    fn next_window(&mut self) {
        let target = match &self.ui.screen {
            Screen::Cockpit { .. } => Pane::Routes,
            Screen::Main => self.ui.focus,
        };
        use crate::model::time::fmt_window;
        match target {
            Pane::Cpu => {
                let w = self.ui.cpu.advance();
                self.flash(FlashKind::Info, format!("CPU window {}", fmt_window(w)));
            }
            Pane::Routes => {
                let w = self.ui.routes.advance();
                self.flash(FlashKind::Info, format!("route window {}", fmt_window(w)));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn esc_closes_the_innermost_thing_first() {
        let (mut s, _) = demo(Scenario::Steady, false);
        select_rollout(&mut s, "user");
        s.handle(Intent::Open);
        assert!(matches!(s.ui.screen, Screen::Cockpit { .. }));
        s.handle(Intent::Help);
        s.handle(Intent::Back);
        assert!(s.ui.overlay.is_none());
        assert!(matches!(s.ui.screen, Screen::Cockpit { .. }));
        s.handle(Intent::Back);
        assert_eq!(s.ui.screen, Screen::Main);
    }
}
