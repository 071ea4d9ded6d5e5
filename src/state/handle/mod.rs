//! `State::handle(Intent)`: typed text goes to what is being typed; any other intent goes to
//! the overlay that is open, then to the pane that owns it, then to the global handlers — each
//! a small function in its own file. Anything that needs I/O comes back as a [`Command`].

mod act;
mod global;
mod lists;
mod logs;
mod open;
mod overlay;
mod text;

pub(in crate::state) use logs::record_text;

use super::{AuditEntry, Intent, KeyContext, Overlay, Screen, State, Typing};
use crate::model::{ActionKind, ActionRequest};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Quit,
    Run(ActionRequest),
    Audit(AuditEntry),
    /// Watch another context and/or other namespaces (None keeps the current one).
    Switch {
        context: Option<String>,
        namespaces: Option<Vec<String>>,
    },
    /// Put text on the user's clipboard (OSC 52: the terminal does it, even over SSH).
    Copy(String),
    /// Switch to another colour theme (`:theme NAME`).
    Theme(String),
    /// Show another cluster of the fleet (its context's name), and there what a row of the
    /// all-clusters view was about.
    FocusCluster {
        name: String,
        reveal: Option<super::Reveal>,
    },
    /// Watch one more kubeconfig context beside the others (`:fleet add NAME`).
    AddCluster(String),
}

impl State {
    /// True while keys are text for an input rather than bindings.
    pub fn text_input_active(&self) -> bool {
        self.ui.typing.is_some()
            || matches!(&self.ui.overlay, Some(Overlay::Confirm(p)) if p.needs_typing())
    }

    /// What is being typed into, for the footer: the filter of which pane, the search, the
    /// command line.
    pub fn typing(&self) -> Option<Typing> {
        self.ui.typing
    }

    /// The keymap contexts in force, most specific first.
    pub fn key_contexts(&self) -> Vec<KeyContext> {
        use KeyContext as K;
        match &self.ui.overlay {
            Some(Overlay::Confirm(p)) if p.kind == ActionKind::Sync => {
                return vec![K::Confirm, K::SyncOptions];
            }
            Some(Overlay::Confirm(_)) => return vec![K::Confirm],
            Some(Overlay::Help { .. }) => return vec![K::Help, K::Global],
            Some(Overlay::AppDetail { .. }) => return vec![K::AppDetail, K::Global],
            Some(Overlay::InternalLog) => return vec![K::InternalLog, K::Global],
            Some(Overlay::Timeline { .. }) => return vec![K::Timeline, K::Global],
            Some(Overlay::Pods { .. }) => return vec![K::Pods, K::Global],
            Some(Overlay::Diff { .. }) => return vec![K::Diff, K::Global],
            Some(Overlay::Object { .. }) => return vec![K::Object, K::Global],
            Some(Overlay::Trace(_)) => return vec![K::Trace, K::Global],
            Some(Overlay::Platform { .. }) => return vec![K::Platform, K::Global],
            Some(Overlay::Fleet { .. }) => return vec![K::Fleet, K::Global],
            Some(Overlay::PodLog { .. }) => return vec![K::PodLog, K::Global],
            None => {}
        }
        if matches!(self.ui.screen, Screen::Cockpit { .. }) {
            return vec![K::Cockpit, K::Global];
        }
        vec![KeyContext::of_pane(self.ui.focus), K::List, K::Global]
    }

    pub fn handle(&mut self, intent: Intent) -> Vec<super::Command> {
        let following = self.ui.logs.follow;
        let out = match intent {
            Intent::Text(key) => self.on_text(key),
            intent => self
                .on_overlay(&intent)
                .or_else(|| self.on_pane(&intent))
                .unwrap_or_else(|| self.on_global(intent)),
        };
        // Where the logs were paused, for the title's count of the lines that came since.
        if following && !self.ui.logs.follow {
            self.ui.logs.paused_at = self.next_log_seq;
        }
        out
    }
}
