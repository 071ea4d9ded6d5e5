//! Typed text goes to what is being typed: the command line (Tab completes, ↑/↓ walk the
//! history), the log search, a pane's filter, or the confirmation's typed name or silence
//! form. Every one of them is a [`LineEditor`](crate::state::LineEditor).

use super::Command;
use crate::layout::Pane;
use crate::state::{Intent, Overlay, State, TextKey, Typing};

impl State {
    pub(super) fn on_text(&mut self, key: TextKey) -> Vec<Command> {
        match self.ui.typing {
            Some(Typing::Command) => return self.command_key(key),
            Some(Typing::Search) => {
                self.search_key(key);
                return Vec::new();
            }
            Some(Typing::Filter(pane)) => {
                self.filter_key(pane, key);
                return Vec::new();
            }
            Some(Typing::TraceFilter) => {
                self.trace_filter_key(key);
                return Vec::new();
            }
            None => {}
        }
        if let Some(Overlay::Confirm(p)) = &mut self.ui.overlay {
            match key {
                TextKey::Tab => {
                    if let Some(f) = &mut p.silence {
                        f.editing_duration = !f.editing_duration;
                    }
                }
                TextKey::Enter => return self.confirm(),
                TextKey::Esc => return self.handle(Intent::Cancel),
                k => {
                    p.field_mut().edit(&k);
                }
            }
            let ns = self.context.argocd_namespace.clone();
            if let Some(Overlay::Confirm(p)) = &mut self.ui.overlay {
                p.refresh_command(&ns);
            }
        }
        Vec::new()
    }

    fn command_key(&mut self, key: TextKey) -> Vec<Command> {
        match key {
            TextKey::Esc => self.ui.typing = None,
            TextKey::Tab => self.complete(),
            TextKey::Up => self.history_step(true),
            TextKey::Down => self.history_step(false),
            TextKey::Enter => {
                self.ui.typing = None;
                let line = self.ui.palette.line.to_string();
                self.ui.palette.line.clear();
                return self.run_command_line(&line);
            }
            k => {
                self.ui.palette.line.edit(&k);
            }
        }
        Vec::new()
    }

    fn search_key(&mut self, key: TextKey) {
        match key {
            TextKey::Enter if matches!(self.ui.overlay, Some(Overlay::Object { .. })) => {
                // In an object's YAML: to the first match below.
                self.ui.typing = None;
                self.on_object(&Intent::SearchNext);
            }
            TextKey::Enter => {
                self.ui.typing = None;
                // The match stays put while new lines arrive; f follows again.
                self.ui.logs.follow = false;
                // From the newest line up: the latest match first.
                let n = self.filtered_len(Pane::Logs);
                self.set_pos(Pane::Logs, n.saturating_sub(1));
                self.recount_hits();
                if self.log_matches(n.saturating_sub(1)) {
                    self.hit_selected(n.saturating_sub(1));
                } else {
                    self.search_step(false);
                }
            }
            TextKey::Esc => {
                self.ui.typing = None;
                self.ui.logs.search.clear();
                self.recount_hits();
            }
            k => {
                self.ui.logs.search.edit(&k);
                self.recount_hits();
            }
        }
    }

    fn filter_key(&mut self, pane: Pane, key: TextKey) {
        match key {
            TextKey::Enter => self.ui.typing = None,
            TextKey::Esc => {
                self.ui.lists[pane].filter.clear();
                self.ui.typing = None;
            }
            k => {
                self.ui.lists[pane].filter.edit(&k);
            }
        }
        self.set_pos(pane, 0);
        if pane == Pane::Logs {
            self.ui.logs.follow = true;
            let n = self.filtered_len(Pane::Logs);
            self.set_pos(Pane::Logs, n.saturating_sub(1));
            self.recount_hits();
        }
    }
}
