//! Traces: the one whose view is open (`Demand.trace`: from a log line's trace id, a pod log's
//! record, the cockpit's worst traces or `:trace ID`), and the cockpit's worst recent traces of
//! its service, canary and stable (`Demand.trace_search`). The view moves span by span,
//! collapses subtrees, filters (`/`) and shows a span's details; what was shown stays when a
//! read fails.

use super::{Command, FlashKind, Intent, LineEditor, Overlay, Screen, State, TextKey, Typing};
use crate::layout::Pane;
use crate::model::trace::{Trace, TraceHit, TraceMiss, TraceSearch, log_trace_id};
use std::collections::BTreeSet;

/// The trace State holds, and how its read stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldTrace {
    pub id: String,
    pub trace: Option<Trace>,
    /// Why the last read gave no trace (what was shown before stays).
    pub miss: Option<TraceMiss>,
    /// The store that answered, in words.
    pub store: String,
}

/// The cockpit's worst traces, as last found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldHits {
    pub ask: TraceSearch,
    pub hits: Vec<TraceHit>,
    pub error: Option<String>,
    pub searched: bool,
}

/// The trace view's own state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceView {
    pub id: String,
    /// The selected row, as an index into [`Trace::rows`].
    pub selected: usize,
    /// The first visible row shown (a position among the visible rows).
    pub offset: usize,
    /// Rows whose subtrees are folded.
    pub collapsed: BTreeSet<usize>,
    /// The selected span's attributes, events and resource are shown.
    pub detail: bool,
    pub filter: LineEditor,
    /// The view it was opened from, back when it closes.
    pub back: Option<Box<Overlay>>,
}

/// What a row is, whatever its place: its span's id, or its missing parent's.
fn row_key(t: &Trace, i: usize) -> Option<(bool, &str)> {
    let r = t.rows.get(i)?;
    Some(match r.span {
        Some(s) => (true, t.spans.get(s)?.span_id.as_str()),
        None => (false, r.missing.as_str()),
    })
}

/// The view's selection and folds, from the rows of `old` to the same spans' rows in `new`.
fn remap(v: &mut TraceView, old: &Trace, new: &Trace) {
    if old.rows == new.rows && old.spans.len() == new.spans.len() {
        return;
    }
    let index: std::collections::HashMap<(bool, &str), usize> = (0..new.rows.len())
        .filter_map(|i| row_key(new, i).map(|k| (k, i)))
        .collect();
    let find = |i: usize| row_key(old, i).and_then(|k| index.get(&k).copied());
    v.selected = find(v.selected).unwrap_or(0);
    v.collapsed = v.collapsed.iter().filter_map(|&i| find(i)).collect();
}

/// Coarse steps for "slower than the stable's p95": a new scrape does not make a new search.
fn coarse_ms(ms: f64) -> u32 {
    const STEPS: [u32; 12] = [
        10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000,
    ];
    STEPS
        .iter()
        .copied()
        .take_while(|&s| f64::from(s) <= ms)
        .last()
        .unwrap_or(0)
}

impl State {
    /// The trace whose view is open.
    pub fn trace_wanted(&self) -> Option<String> {
        match &self.ui.overlay {
            Some(Overlay::Trace(v)) => Some(v.id.clone()),
            _ => None,
        }
    }

    /// What is held for the trace on screen.
    pub fn held_trace(&self) -> Option<&HeldTrace> {
        let want = self.trace_wanted()?;
        self.trace.as_ref().filter(|t| t.id == want)
    }

    /// The rows of the trace view in order, as indices into its trace's rows.
    pub fn trace_rows(&self) -> Vec<usize> {
        match (
            &self.ui.overlay,
            self.held_trace().and_then(|h| h.trace.as_ref()),
        ) {
            (Some(Overlay::Trace(v)), Some(t)) => {
                t.visible(&v.collapsed, &v.filter.as_str().to_lowercase())
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn apply_trace(
        &mut self,
        id: String,
        trace: Result<Trace, TraceMiss>,
        store: String,
    ) -> bool {
        if self.trace_wanted().as_ref() != Some(&id) {
            return false;
        }
        let held = match self.trace.as_mut() {
            Some(t) if t.id == id => t,
            _ => self.trace.insert(HeldTrace {
                id,
                ..Default::default()
            }),
        };
        let before = held.clone();
        if !store.is_empty() {
            held.store = store;
        }
        match trace {
            Ok(t) => {
                // A read again (spans arrived) moves rows: the selection and the folds stay
                // on their spans.
                let old = held.trace.replace(t);
                held.miss = None;
                if let (Some(old), Some(new), Some(Overlay::Trace(v))) =
                    (old.as_ref(), held.trace.as_ref(), self.ui.overlay.as_mut())
                {
                    remap(v, old, new);
                }
            }
            Err(m) => held.miss = Some(m),
        }
        let changed = self.trace.as_ref() != Some(&before);
        self.keep_trace_selection_in_view();
        changed
    }

    /// The cockpit's search: its service, canary and stable told apart, slow meaning slower
    /// than the stable's p95 on its busiest route.
    pub fn trace_search_wanted(&self) -> Option<TraceSearch> {
        // Kept behind a trace opened from the cockpit, so closing it does not search again.
        if !matches!(self.ui.overlay, None | Some(Overlay::Trace(_))) {
            return None;
        }
        let Screen::Cockpit { namespace, name } = &self.ui.screen else {
            return None;
        };
        let r = self.rollout(namespace, name)?;
        let p95 = self
            .routes_of(namespace, name)
            .into_iter()
            .max_by(|a, b| a.overall.rps.total_cmp(&b.overall.rps))
            .map(|rt| rt.stable.as_ref().unwrap_or(&rt.overall).p95_ms)
            .unwrap_or(0.0);
        Some(TraceSearch {
            namespace: namespace.clone(),
            service: name.clone(),
            canary_hash: if r.canary_active() {
                r.canary_hash.clone()
            } else {
                String::new()
            },
            stable_hash: r.stable_hash.clone(),
            canary_version: r.canary_version.clone(),
            stable_version: r.stable_version.clone(),
            window_secs: 900,
            min_duration_ms: coarse_ms(p95),
        })
    }

    /// The worst traces found for the cockpit on screen (the last search of its service).
    pub fn cockpit_hits(&self) -> Option<&HeldHits> {
        let Screen::Cockpit { namespace, name } = &self.ui.screen else {
            return None;
        };
        self.trace_hits
            .as_ref()
            .filter(|h| &h.ask.namespace == namespace && &h.ask.service == name)
    }

    pub(super) fn apply_trace_hits(
        &mut self,
        ask: TraceSearch,
        hits: Result<Vec<TraceHit>, String>,
    ) -> bool {
        let same_service =
            |h: &TraceSearch| h.namespace == ask.namespace && h.service == ask.service;
        // A late answer for a cockpit no longer open is not this one's.
        if !self.trace_search_wanted().is_some_and(|w| same_service(&w)) {
            return false;
        }
        let held = match self.trace_hits.as_mut() {
            Some(h) if same_service(&h.ask) => h,
            _ => self.trace_hits.insert(HeldHits::default()),
        };
        let before = held.clone();
        held.ask = ask;
        held.searched = true;
        match hits {
            Ok(h) => {
                held.hits = h;
                held.error = None;
            }
            Err(e) => held.error = Some(e),
        }
        let n = held.hits.len();
        let changed = *held != before;
        self.ui.cockpit_trace = self.ui.cockpit_trace.min(n.saturating_sub(1));
        changed
    }

    /// Opens the trace view of `raw` (any id form a store or a log writes).
    pub(super) fn open_trace(&mut self, raw: &str) {
        let Some(id) = log_trace_id(raw) else {
            self.flash(
                FlashKind::Info,
                format!("\"{raw}\" is not a trace id (hex of 16 or 32 digits, or base64)"),
            );
            return;
        };
        let back = match self.ui.overlay.take() {
            Some(Overlay::Trace(v)) => v.back,
            Some(o) => Some(Box::new(o)),
            None => None,
        };
        self.ui.typing = None;
        self.ui.overlay = Some(Overlay::Trace(Box::new(TraceView {
            id,
            back,
            ..Default::default()
        })));
    }

    /// `x`: the trace of what is selected: the log line, the pod log's record, the cockpit's
    /// worst trace.
    pub(super) fn open_trace_here(&mut self) {
        let field = match (&self.ui.overlay, &self.ui.screen) {
            (Some(Overlay::PodLog { selected, .. }), _) => self
                .pod_log_target()
                .and_then(|t| self.pod_log(&t))
                .and_then(|l| l.lines.get(*selected))
                .map(|l| l.trace_id.clone()),
            (None, Screen::Cockpit { .. }) => self
                .cockpit_hits()
                .and_then(|h| h.hits.get(self.ui.cockpit_trace))
                .map(|h| h.trace_id.clone()),
            (None, Screen::Main) if self.ui.focus == Pane::Logs => self
                .selected_index(Pane::Logs)
                .and_then(|i| self.logs.get(i))
                .map(|l| l.trace_id.clone()),
            _ => None,
        };
        match field {
            Some(f) if !f.is_empty() => self.open_trace(&f),
            Some(_) => self.flash(FlashKind::Info, "this line carries no trace id"),
            None => self.flash(
                FlashKind::Info,
                "select a log line or one of the cockpit's traces to see its trace",
            ),
        }
    }

    /// The cockpit's own keys for its worst traces: j/k choose, Enter opens.
    pub(super) fn on_cockpit_traces(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        if self.ui.overlay.is_some() || !matches!(self.ui.screen, Screen::Cockpit { .. }) {
            return None;
        }
        let n = self.cockpit_hits().map_or(0, |h| h.hits.len());
        match intent {
            Intent::Up => self.ui.cockpit_trace = self.ui.cockpit_trace.saturating_sub(1),
            Intent::Down => {
                self.ui.cockpit_trace = (self.ui.cockpit_trace + 1).min(n.saturating_sub(1))
            }
            Intent::Open => self.open_trace_here(),
            _ => return None,
        }
        Some(Vec::new())
    }

    /// What the trace view does with an intent; None: not its own.
    pub(super) fn on_trace(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        if !matches!(self.ui.overlay, Some(Overlay::Trace(_))) {
            return None;
        }
        let rows = self.trace_rows();
        let page = self.trace_list_rows();
        let children = |i: usize| {
            self.held_trace()
                .and_then(|h| h.trace.as_ref())
                .and_then(|t| t.rows.get(i))
                .map_or(0, |r| r.children)
        };
        let sel_children = match &self.ui.overlay {
            Some(Overlay::Trace(v)) => children(v.selected),
            _ => 0,
        };
        let Some(Overlay::Trace(v)) = &mut self.ui.overlay else {
            return None;
        };
        let pos = rows.iter().position(|&r| r == v.selected).unwrap_or(0);
        let last = rows.len().saturating_sub(1);
        let to = |p: usize| rows.get(p.min(last)).copied().unwrap_or(0);
        match intent {
            Intent::Up => v.selected = to(pos.saturating_sub(1)),
            Intent::Down => v.selected = to(pos + 1),
            Intent::PageUp => v.selected = to(pos.saturating_sub(page)),
            Intent::PageDown => v.selected = to(pos + page),
            Intent::Top => v.selected = to(0),
            Intent::Bottom => v.selected = to(last),
            Intent::Open => v.detail = !v.detail,
            Intent::Expand => {
                if sel_children > 0 && !v.collapsed.remove(&v.selected) {
                    v.collapsed.insert(v.selected);
                }
            }
            Intent::Search => {
                self.ui.typing = Some(Typing::TraceFilter);
                return Some(Vec::new());
            }
            Intent::Copy => return Some(vec![Command::Copy(v.id.clone())]),
            Intent::Back | Intent::Trace => {
                self.ui.overlay = v.back.take().map(|b| *b);
                return Some(Vec::new());
            }
            _ => return None,
        }
        self.keep_trace_selection_in_view();
        Some(Vec::new())
    }

    /// The trace view's offset follows its selection (and a filter's narrower rows).
    fn keep_trace_selection_in_view(&mut self) {
        let rows = self.trace_rows();
        // The rows under the title, the axis and the detail pane when it is open.
        let shown = self.trace_list_rows();
        let Some(Overlay::Trace(v)) = &mut self.ui.overlay else {
            return;
        };
        let pos = match rows.iter().position(|&r| r == v.selected) {
            Some(p) => p,
            None => {
                // The selection went under a fold or out of the filter: its nearest row above.
                let p = rows.iter().rposition(|&r| r < v.selected).unwrap_or(0);
                v.selected = rows.get(p).copied().unwrap_or(0);
                p
            }
        };
        if pos < v.offset {
            v.offset = pos;
        } else if pos >= v.offset + shown {
            v.offset = pos + 1 - shown;
        }
        v.offset = v.offset.min(rows.len().saturating_sub(shown));
    }

    /// Span rows the trace view shows at once: the body less its axis, and half of it for the
    /// details when they are open.
    pub fn trace_list_rows(&self) -> usize {
        // As the drawing lays it out: a note on the read, the axis, the details' half.
        let note = self
            .held_trace()
            .is_none_or(|h| h.miss.is_some() || h.trace.as_ref().is_none_or(|t| t.orphans > 0));
        let avail = self.view_rows().saturating_sub(usize::from(note));
        let detail = match &self.ui.overlay {
            Some(Overlay::Trace(v)) if v.detail => avail / 2,
            _ => 0,
        };
        avail.saturating_sub(detail + 1).max(1)
    }

    /// Keys typed into the trace view's filter.
    pub(super) fn trace_filter_key(&mut self, key: TextKey) {
        let Some(Overlay::Trace(v)) = &mut self.ui.overlay else {
            self.ui.typing = None;
            return;
        };
        match key {
            TextKey::Enter => self.ui.typing = None,
            TextKey::Esc => {
                v.filter.clear();
                self.ui.typing = None;
            }
            k => {
                v.filter.edit(&k);
            }
        }
        self.keep_trace_selection_in_view();
    }
}

#[cfg(test)]
mod tests {
    use crate::model::trace::{Span, TraceHit, TraceMiss, build};
    use crate::state::tests::*;
    use crate::state::{Overlay, Screen, TextKey, Update};

    fn span(id: &str, parent: &str, start: i64, dur: i64) -> Span {
        crate::model::trace::test_span(id, parent, start, dur)
    }

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn x_on_a_log_line_opens_its_trace_which_folds_filters_and_keeps_what_it_showed() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.set_size(120, 30);
        s.handle(Intent::Focus(crate::layout::Pane::Logs));
        let line = s
            .selected_index(crate::layout::Pane::Logs)
            .and_then(|i| s.logs.get(i))
            .cloned()
            .expect("a line");
        s.handle(Intent::Trace);
        let want = crate::model::trace::log_trace_id(&line.trace_id).expect("an id");
        assert_eq!(s.demand().trace, Some(want.clone()));
        let t = build(
            want.clone(),
            vec![
                span("r", "", 0, 100),
                span("a", "r", 1, 50),
                span("b", "a", 2, 10),
                span("c", "r", 60, 30),
            ],
        );
        assert!(s.apply(Update::Trace {
            id: want.clone(),
            trace: Ok(t.clone()),
            store: "jaeger at http://j/".into()
        }));
        s.handle(Intent::Down);
        s.handle(Intent::Expand);
        assert_eq!(s.trace_rows(), [0, 1, 3], "a's subtree folded");
        s.handle(Intent::Down);
        let Some(Overlay::Trace(v)) = &s.ui.overlay else {
            panic!("{:?}", s.ui.overlay)
        };
        assert_eq!(v.selected, 3);
        // The filter narrows to c and its root.
        s.handle(Intent::Search);
        for c in "op-c".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter));
        assert_eq!(s.trace_rows(), [0, 3]);
        // The store going down keeps the trace and says why.
        s.apply(Update::Trace {
            id: want.clone(),
            trace: Err(TraceMiss::Failed("down".into())),
            store: String::new(),
        });
        let h = s.held_trace().expect("held");
        assert_eq!(h.trace.as_ref(), Some(&t));
        assert_eq!(h.miss, Some(TraceMiss::Failed("down".into())));
        assert_eq!(h.store, "jaeger at http://j/");
        // The parent arrives (a read again): the selection and the folds stay on their spans.
        let mut more = t.spans.clone();
        more.push(span("early", "r", 0, 1));
        s.apply(Update::Trace {
            id: want.clone(),
            trace: Ok(build(want.clone(), more)),
            store: String::new(),
        });
        let Some(Overlay::Trace(v)) = &s.ui.overlay else {
            panic!("{:?}", s.ui.overlay)
        };
        let held = s
            .held_trace()
            .and_then(|h| h.trace.as_ref())
            .expect("trace");
        let sel = held.rows[v.selected]
            .span
            .map(|i| held.spans[i].span_id.clone());
        assert_eq!(sel.as_deref(), Some("c"), "still on c");
        let folded: Vec<String> = v
            .collapsed
            .iter()
            .filter_map(|&i| held.rows[i].span.map(|k| held.spans[k].span_id.clone()))
            .collect();
        assert_eq!(folded, ["a"]);
        s.handle(Intent::Back);
        assert!(s.ui.overlay.is_none());
        assert_eq!(s.demand().trace, None);
    }

    #[test]
    fn the_cockpit_searches_its_service_and_opens_a_worst_trace() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.set_size(120, 40);
        s.ui.screen = Screen::Cockpit {
            namespace: "dev".into(),
            name: "store".into(),
        };
        let ask = s.demand().trace_search.expect("searched");
        assert_eq!(ask.service, "store");
        assert!(!ask.canary_hash.is_empty() && ask.canary_hash != ask.stable_hash);
        // A new scrape with a slightly different p95 asks the same search.
        assert!(ask.min_duration_ms > 0, "{ask:?}");
        let hits = vec![
            TraceHit {
                trace_id: ID.into(),
                error: true,
                ..Default::default()
            },
            TraceHit {
                trace_id: "00000000000000000000000000000001".into(),
                ..Default::default()
            },
        ];
        assert!(s.apply(Update::TraceHits {
            ask: ask.clone(),
            hits: Ok(hits.clone())
        }));
        // A failed search again keeps the hits.
        s.apply(Update::TraceHits {
            ask: ask.clone(),
            hits: Err("down".into()),
        });
        assert_eq!(s.cockpit_hits().map(|h| h.hits.clone()), Some(hits));
        s.handle(Intent::Down);
        s.handle(Intent::Up);
        s.handle(Intent::Open);
        assert_eq!(s.demand().trace.as_deref(), Some(ID));
        // The search stays behind the trace, so going back does not search again.
        assert_eq!(s.demand().trace_search, Some(ask.clone()));
        s.handle(Intent::Back);
        assert!(matches!(s.ui.screen, Screen::Cockpit { .. }));
        // A late answer for another service's cockpit is not this one's.
        let mut other = ask.clone();
        other.service = "user".into();
        assert!(!s.apply(Update::TraceHits {
            ask: other,
            hits: Ok(Vec::new())
        }));
        assert_eq!(s.cockpit_hits().map(|h| h.hits.len()), Some(2));
    }

    #[test]
    fn coarse_steps_hold_between_scrapes() {
        assert_eq!(super::coarse_ms(0.0), 0);
        assert_eq!(super::coarse_ms(212.0), 200);
        assert_eq!(super::coarse_ms(287.0), 200);
        assert_eq!(super::coarse_ms(20_000.0), 10_000);
    }
}
