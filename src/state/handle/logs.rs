//! The logs pane's intents: follow, a line's details, search (n/N), wrap, UTC/local, copy, and
//! narrowing to a service, then its canary, then its stable pods.

use super::Command;
use crate::layout::Pane;
use crate::model::Track;
use crate::state::{FlashKind, Intent, Screen, State, Typing};

impl State {
    pub(super) fn on_logs(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        match intent {
            Intent::Follow => {
                self.ui.logs.follow = !self.ui.logs.follow;
                if self.ui.logs.follow {
                    let n = self.filtered_len(Pane::Logs);
                    self.set_pos(Pane::Logs, n.saturating_sub(1));
                }
            }
            Intent::Expand => self.toggle_expand(),
            Intent::Search => {
                let pod_log = matches!(self.ui.overlay, Some(crate::state::Overlay::PodLog { .. }));
                if pod_log || (self.ui.focus == Pane::Logs && self.ui.screen == Screen::Main) {
                    self.ui.typing = Some(Typing::Search);
                    self.ui.logs.search.clear();
                }
            }
            Intent::SearchNext => self.search_step(true),
            Intent::SearchPrev => self.search_step(false),
            Intent::ToggleWrap => {
                self.ui.logs.wrap = !self.ui.logs.wrap;
                let on = if self.ui.logs.wrap {
                    "wrapped"
                } else {
                    "cut at the edge"
                };
                self.flash(FlashKind::Info, format!("long lines {on}"));
            }
            Intent::ToggleUtc => {
                self.ui.logs.utc = !self.ui.logs.utc;
                let z = if self.ui.logs.utc {
                    "UTC"
                } else {
                    "local time"
                };
                self.flash(FlashKind::Info, format!("log times in {z}"));
            }
            Intent::Copy => return Some(self.copy_line()),
            Intent::Narrow => self.narrow(),
            _ => return None,
        }
        Some(Vec::new())
    }

    pub(super) fn toggle_expand(&mut self) {
        if let Some(i) = self.selected_index(Pane::Logs) {
            let seq = self.log_seq(i);
            if !self.ui.logs.expanded.remove(&seq) {
                self.ui.logs.expanded.insert(seq);
            }
        }
    }

    fn copy_line(&mut self) -> Vec<Command> {
        let Some(l) = self
            .selected_index(Pane::Logs)
            .and_then(|i| self.logs.get(i))
        else {
            return Vec::new();
        };
        let text = record_text(l, &format!("{} {}", l.service, l.pod));
        // Where the copy went is said once it is made (the loop knows the terminal).
        vec![Command::Copy(text)]
    }

    fn narrow(&mut self) {
        let selected = self
            .selected_index(Pane::Logs)
            .and_then(|i| self.logs.get(i))
            .map(|l| l.service.to_string());
        self.ui.logs.narrow = match (self.ui.logs.narrow.take(), selected) {
            (None, Some(svc)) if !svc.is_empty() => Some((svc, None)),
            (None, _) => {
                self.flash(FlashKind::Info, "select a line to narrow to its service");
                None
            }
            (Some((svc, None)), _) => Some((svc, Some(Track::Canary))),
            (Some((svc, Some(Track::Canary))), _) => Some((svc, Some(Track::Stable))),
            (Some((_, Some(Track::Stable))), _) => None,
        };
        let q = self.effective_log_query();
        self.flash(FlashKind::Info, format!("logs: {q}"));
        if !self.context.demo {
            // The log store starts over with the new query (and its backfill): what the ring
            // held belongs to the old one.
            self.clear_logs();
        }
        let n = self.filtered_len(Pane::Logs);
        self.ui.logs.follow = true;
        self.set_pos(Pane::Logs, n.saturating_sub(1));
        self.recount_hits();
    }

    /// Whether the log row `k` (after the filter) matches the search.
    pub(super) fn log_matches(&self, k: usize) -> bool {
        let q = self.ui.logs.search.to_lowercase();
        let idx = self.indices(Pane::Logs);
        self.row_matches(&idx, k, &q)
    }

    fn row_matches(&self, idx: &crate::state::view::Indices, k: usize, q: &str) -> bool {
        idx.get(k)
            .and_then(|i| self.logs.get(i))
            .is_some_and(|l| crate::state::log_search::line_matches(l, q))
    }

    /// Moves to the next (newer) or previous (older) matching line, with lines around it.
    pub(super) fn search_step(&mut self, newer: bool) {
        if self.ui.logs.search.is_empty() {
            self.flash(FlashKind::Info, "no search: s searches the logs");
            return;
        }
        let idx = self.indices(Pane::Logs);
        let q = self.ui.logs.search.to_lowercase();
        let n = idx.len();
        let cur = self.ui.lists[Pane::Logs].selected;
        let found = if newer {
            (cur + 1..n).find(|&k| self.row_matches(&idx, k, &q))
        } else {
            (0..cur).rev().find(|&k| self.row_matches(&idx, k, &q))
        };
        match found {
            Some(k) => {
                self.ui.logs.follow = false;
                self.set_pos(Pane::Logs, k);
                self.hit_selected(k);
                // Keep a few lines of context around the match.
                let rows = self.ui.layout.viewport_rows(Pane::Logs).max(1);
                let l = &mut self.ui.lists[Pane::Logs];
                l.offset = k.saturating_sub(rows / 2).min(n.saturating_sub(rows));
            }
            None => {
                let q = self.ui.logs.search.to_string();
                let dir = if newer { "below" } else { "above" };
                self.flash(FlashKind::Info, format!("no more \"{q}\" {dir}"));
            }
        }
    }
}

/// A record as copied: its time, level, whose it is, logger and message, then its stack.
pub(in crate::state) fn record_text(l: &crate::model::LogLine, who: &str) -> String {
    let mut text = format!(
        "{} {} {who} {}: {}",
        l.ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        l.level.as_str(),
        l.logger,
        l.message
    );
    for st in &l.stack {
        text.push('\n');
        text.push_str(st);
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn logs_follow_until_the_user_scrolls_up() {
        let (mut s, mut sim) = demo(Scenario::BadCanary, false);
        s.handle(Intent::Focus(Pane::Logs));
        assert!(s.ui.logs.follow);
        s.handle(Intent::Up);
        assert!(!s.ui.logs.follow);
        let sel = s.ui.lists[Pane::Logs].selected;
        for _ in 0..5 {
            sim.step();
        }
        for u in sim.drain() {
            s.apply(u);
        }
        assert_eq!(
            s.ui.lists[Pane::Logs].selected,
            sel,
            "paused view must not move"
        );
        s.handle(Intent::Follow);
        assert_eq!(s.ui.lists[Pane::Logs].selected, s.logs.len() - 1);
    }
}
