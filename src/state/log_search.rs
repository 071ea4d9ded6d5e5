//! The log search's count: how many lines in view match (`47`), and which of them is selected
//! (`3/47`) after `n`/`N`. Counted once when the search, the filter or the narrowing changes,
//! then kept by each line that comes in or goes, so a flood never rescans the ring per frame.

use super::State;
use crate::layout::Pane;
use crate::model::LogLine;

/// Matches of the search in the logs in view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchHits {
    pub total: usize,
    /// The selected match's place among them, counted from the oldest (1-based), when the
    /// selection is on one.
    pub at: Option<usize>,
}

/// Whether a line matches a lower-cased search.
pub fn line_matches(l: &LogLine, q: &str) -> bool {
    !q.is_empty()
        && (l.message.to_lowercase().contains(q)
            || l.logger.to_lowercase().contains(q)
            || l.service.to_lowercase().contains(q)
            || l.stack.iter().any(|s| s.to_lowercase().contains(q)))
}

impl State {
    /// Whether a line is in the logs pane's view: its narrowing, then its filter (lower-cased).
    pub(super) fn log_in_view(&self, l: &LogLine, filter: &str) -> bool {
        if let Some((svc, track)) = &self.ui.logs.narrow
            && (*l.service != **svc || track.is_some_and(|t| l.track != Some(t)))
        {
            return false;
        }
        filter.is_empty()
            || [
                &*l.service,
                &*l.pod,
                &*l.logger,
                &l.message,
                l.level.as_str(),
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(filter))
    }

    /// Whether a line counts for the search now: in view, and matching.
    pub(super) fn is_hit(&self, l: &LogLine) -> bool {
        let q = self.ui.logs.search.to_lowercase();
        !q.is_empty()
            && self.log_in_view(l, &self.ui.lists[Pane::Logs].filter.to_lowercase())
            && line_matches(l, &q)
    }

    /// Counts the matches again: the search, the filter or the narrowing changed.
    pub(super) fn recount_hits(&mut self) {
        let q = self.ui.logs.search.to_lowercase();
        let total = if q.is_empty() {
            0
        } else {
            let idx = self.indices(Pane::Logs);
            (0..idx.len())
                .filter(|&k| {
                    idx.get(k)
                        .and_then(|i| self.logs.get(i))
                        .is_some_and(|l| line_matches(l, &q))
                })
                .count()
        };
        self.ui.logs.hits = SearchHits { total, at: None };
    }

    /// The selected row `k` (in view) is a match: its place among them.
    pub(super) fn hit_selected(&mut self, k: usize) {
        let q = self.ui.logs.search.to_lowercase();
        let idx = self.indices(Pane::Logs);
        let before = (0..k)
            .filter(|&j| {
                idx.get(j)
                    .and_then(|i| self.logs.get(i))
                    .is_some_and(|l| line_matches(l, &q))
            })
            .count();
        self.ui.logs.hits.at = Some(before + 1);
    }

    /// A line came in at ring index `at` of `len` (`hit`: it counts), and maybe one went
    /// from the front (`gone_hit`: it counted).
    pub(super) fn hits_follow(&mut self, hit: bool, appended: bool, gone_hit: bool) {
        let h = &mut self.ui.logs.hits;
        if hit {
            h.total += 1;
            // A match placed before the end may be before the selected one: its place is
            // no longer known.
            if !appended {
                h.at = None;
            }
        }
        if gone_hit {
            h.total = h.total.saturating_sub(1);
            // The oldest match went: the selected one moves up one, or was it.
            h.at = h.at.and_then(|r| r.checked_sub(1)).filter(|r| *r > 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    fn line(i: i64, msg: &str) -> LogLine {
        error_line(i, "store", "store-5f6b8d9c7-wv5mn", msg)
    }

    fn search(s: &mut State, q: &str) {
        s.handle(Intent::Focus(Pane::Logs));
        s.handle(Intent::Search);
        for c in q.chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter));
    }

    #[test]
    fn the_count_follows_lines_in_and_out_and_the_selected_match_keeps_its_place() {
        let mut s = State::new(context(false), start(), 100);
        s.set_size(120, 40);
        let lines = (0..100)
            .map(|i| line(i, if i % 10 == 0 { "timeout" } else { "boom" }))
            .collect();
        s.apply(Update::Logs(lines));
        search(&mut s, "TimeOut");
        // Enter goes to the newest match: the last of 10.
        assert_eq!((s.ui.logs.hits.total, s.ui.logs.hits.at), (10, Some(10)));
        s.handle(Intent::SearchPrev);
        s.handle(Intent::SearchPrev);
        assert_eq!(s.ui.logs.hits.at, Some(8));
        // New lines at the end: one more match, the selected keeps its place; the oldest
        // line (a match) leaves the full ring: one fewer before it.
        s.apply(Update::Logs(vec![line(200, "timeout again")]));
        assert_eq!((s.ui.logs.hits.total, s.ui.logs.hits.at), (10, Some(7)));
        s.apply(Update::Logs(vec![line(201, "boom")]));
        assert_eq!((s.ui.logs.hits.total, s.ui.logs.hits.at), (10, Some(7)));
        // A filter changes what is in view: counted again.
        s.handle(Intent::Filter);
        for c in "again".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter));
        assert_eq!(s.ui.logs.hits.total, 1);
    }
}
