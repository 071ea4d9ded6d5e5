//! Enter on the focused pane: a rollout's cockpit, an application's details, a log line's
//! details, the service an alert is about — and going to what a name is about.

use super::Command;
use crate::layout::Pane;
use crate::model::Alert;
use crate::state::{FlashKind, Overlay, Screen, State};

impl State {
    pub(super) fn open(&mut self) -> Vec<Command> {
        match self.ui.focus {
            Pane::Rollouts => {
                if let Some(r) = self.selected_rollout() {
                    self.ui.screen = Screen::Cockpit {
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                    };
                }
            }
            Pane::Apps => {
                if let Some(a) = self.selected_app() {
                    self.ui.overlay = Some(Overlay::AppDetail {
                        namespace: a.namespace.clone(),
                        name: a.name.clone(),
                        scroll: 0,
                    });
                }
            }
            Pane::Logs => self.toggle_expand(),
            Pane::Alerts => match self.selected_alert().map(alert_service) {
                Some(Some(svc)) => self.jump_to(&svc),
                Some(None) => self.flash(
                    FlashKind::Info,
                    "this alert names no service (it is about a node or the platform)",
                ),
                None => {}
            },
            Pane::Routes | Pane::Cpu => {}
        }
        Vec::new()
    }

    /// Goes to what a name is about: its rollout's cockpit, else its app, else says so.
    pub(in crate::state) fn jump_to(&mut self, name: &str) {
        self.ui.overlay = None;
        if let Some(r) = self.rollouts.iter().find(|r| r.name == name) {
            self.ui.screen = Screen::Cockpit {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
            };
        } else if let Some(a) = self.apps.iter().find(|a| a.name == name) {
            self.ui.screen = Screen::Main;
            self.ui.overlay = Some(Overlay::AppDetail {
                namespace: a.namespace.clone(),
                name: a.name.clone(),
                scroll: 0,
            });
        } else {
            self.flash(
                FlashKind::Info,
                format!("nothing on screen is called {name}"),
            );
        }
    }
}

/// The service an alert is about: its `service`/`app` label, or the owner of its pod.
fn alert_service(a: &Alert) -> Option<String> {
    for k in [
        "service",
        "app",
        "app_kubernetes_io_name",
        "deployment",
        "rollout",
    ] {
        if let Some(v) = a.labels.get(k).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
    }
    a.labels
        .get("pod")
        .map(|p| crate::model::service_of_pod(p).0)
}
