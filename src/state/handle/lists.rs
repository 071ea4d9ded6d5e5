//! Moving in the focused list: a row, a page, to the top or bottom; scrolling just enough to
//! keep the selection visible; keeping selections inside lists that shrink; the filter.

use super::Command;
use crate::layout::Pane;
use crate::state::{Intent, State, Typing};

impl State {
    /// Motion and the filter, for the focused pane's list.
    pub(super) fn on_list(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        match intent {
            Intent::Up => self.move_by(-1),
            Intent::Down => self.move_by(1),
            Intent::PageUp => self.move_by(-(self.page() as isize)),
            Intent::PageDown => self.move_by(self.page() as isize),
            Intent::Top => self.move_to(0),
            Intent::Bottom => {
                let n = self.filtered_len(self.ui.focus);
                self.move_to(n.saturating_sub(1));
                if self.ui.focus == Pane::Logs {
                    self.ui.logs.follow = true;
                }
            }
            Intent::Filter => {
                if self.ui.screen == crate::state::Screen::Main {
                    self.ui.typing = Some(Typing::Filter(self.ui.focus));
                }
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    /// Rows in a page of the focused pane.
    pub(in crate::state) fn page(&self) -> usize {
        self.ui.layout.viewport_rows(self.ui.focus).max(1)
    }

    fn move_by(&mut self, delta: isize) {
        let pane = self.ui.focus;
        let cur = self.ui.lists[pane].selected as isize;
        let n = self.filtered_len(pane) as isize;
        let to = (cur + delta).clamp(0, (n - 1).max(0));
        if pane == Pane::Logs && delta < 0 {
            self.ui.logs.follow = false;
        }
        self.set_pos(pane, to as usize);
        if pane == Pane::Logs && to == n - 1 && delta > 0 {
            self.ui.logs.follow = true;
        }
    }

    fn move_to(&mut self, i: usize) {
        if self.ui.focus == Pane::Logs && i == 0 {
            self.ui.logs.follow = false;
        }
        self.set_pos(self.ui.focus, i);
    }

    /// Selects row `i` of a pane and scrolls just enough to show it.
    pub(in crate::state) fn set_pos(&mut self, pane: Pane, i: usize) {
        let rows = self.ui.layout.viewport_rows(pane).max(1);
        let n = self.filtered_len(pane);
        // A move off the match makes its place among the matches unknown (n/N set it again).
        if pane == Pane::Logs && i != self.ui.lists[pane].selected {
            self.ui.logs.hits.at = None;
        }
        let l = &mut self.ui.lists[pane];
        l.selected = i.min(n.saturating_sub(1));
        if l.selected < l.offset {
            l.offset = l.selected;
        } else if l.selected >= l.offset + rows {
            l.offset = l.selected + 1 - rows;
        }
        l.offset = l.offset.min(n.saturating_sub(rows));
    }

    /// Keeps one pane's selection inside its list after the list changed.
    pub(in crate::state) fn clamp(&mut self, pane: Pane) {
        let selected = self.ui.lists[pane].selected;
        self.set_pos(pane, selected);
    }

    /// Keeps every selection inside its list after the viewports changed.
    pub(in crate::state) fn clamp_lists(&mut self) {
        for pane in Pane::ALL {
            if pane != Pane::Logs || !self.ui.logs.follow {
                self.clamp(pane);
            }
        }
        if self.ui.logs.follow {
            self.follow_logs();
        }
    }

    /// Selects the newest line and scrolls to it.
    pub(in crate::state) fn follow_logs(&mut self) {
        let n = self.filtered_len(Pane::Logs);
        let rows = self.ui.layout.viewport_rows(Pane::Logs).max(1);
        let l = &mut self.ui.lists[Pane::Logs];
        if l.selected != n.saturating_sub(1) {
            self.ui.logs.hits.at = None;
        }
        let l = &mut self.ui.lists[Pane::Logs];
        l.selected = n.saturating_sub(1);
        l.offset = n.saturating_sub(rows);
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn filter_narrows_the_focused_pane_and_esc_clears_it() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.handle(Intent::Focus(Pane::Apps));
        s.handle(Intent::Filter);
        assert!(s.text_input_active());
        for c in "linkerd".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter));
        assert_eq!(s.filtered_len(Pane::Apps), 5);
        assert!(!s.text_input_active());
        s.handle(Intent::Back);
        assert_eq!(s.filtered_len(Pane::Apps), 18);
    }

    #[test]
    fn scrolling_keeps_the_selection_visible() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.set_size(80, 24);
        s.handle(Intent::Focus(Pane::Apps));
        let rows = s.ui.layout.viewport_rows(Pane::Apps);
        assert!(rows > 0 && rows < 18, "{rows}");
        s.handle(Intent::Bottom);
        let l = &s.ui.lists[Pane::Apps];
        assert_eq!(l.selected, 17);
        assert_eq!(l.offset, 18 - rows);
        s.handle(Intent::Top);
        assert_eq!(s.ui.lists[Pane::Apps].offset, 0);
    }
}
