//! One trace as a tree of spans on one time axis, whatever store it came from (Jaeger's v1
//! query API, OTLP JSON from Jaeger v3 or Tempo): ids normalised, children under their parent
//! (`CHILD_OF` or `parentSpanId`; `FOLLOWS_FROM` counts as a parent too), spans whose parent
//! has not arrived kept under a marked placeholder rather than dropped, and the critical path
//! (the chain of spans that decides the trace's end) marked.

use std::collections::{BTreeMap, HashMap};

/// A span, in the words the view needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub span_id: String,
    /// The parent's id (empty for a root).
    pub parent: String,
    pub service: String,
    pub name: String,
    /// Microseconds since the epoch.
    pub start_us: i64,
    pub duration_us: i64,
    /// `error=true`, an OTLP error status, or an HTTP 5xx status attribute.
    pub error: bool,
    /// Tags / attributes as `key = value`, in the store's order.
    pub attributes: Vec<(String, String)>,
    /// Logs / events: (microseconds since the epoch, what they say).
    pub events: Vec<(i64, String)>,
    /// The process's (Jaeger) or the resource's (OTLP) attributes.
    pub resource: Vec<(String, String)>,
}

impl Span {
    pub fn end_us(&self) -> i64 {
        self.start_us.saturating_add(self.duration_us.max(0))
    }
}

/// One row of the waterfall: a span (or a missing parent's placeholder) at its depth.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Index into [`Trace::spans`]; None for the placeholder of a parent not (yet) received.
    pub span: Option<usize>,
    /// The missing parent's id, for a placeholder.
    pub missing: String,
    pub depth: usize,
    pub children: usize,
    pub critical: bool,
}

/// A trace ready to draw: spans, rows in tree order, and its extent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub trace_id: String,
    pub spans: Vec<Span>,
    pub rows: Vec<Row>,
    pub start_us: i64,
    pub end_us: i64,
    /// Spans whose parent is not in the trace (still arriving, or dropped by a sampler).
    pub orphans: usize,
    /// How many services its spans come from.
    pub services: usize,
}

impl Trace {
    pub fn duration_us(&self) -> i64 {
        self.end_us.saturating_sub(self.start_us).max(0)
    }

    pub fn errors(&self) -> usize {
        self.spans.iter().filter(|s| s.error).count()
    }
}

/// A trace id as the stores write it: lower-case hex, 32 digits (a 64-bit id left-padded).
/// Hex of 16 or 32 digits or base64 of 8 or 16 bytes; anything else is refused.
pub fn normalise_trace_id(id: &str) -> Result<String, String> {
    let id = id.trim();
    // Hex, perhaps with its leading zeros dropped (as Jaeger prints a 64-bit id).
    if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(format!("{:0>32}", id.to_ascii_lowercase()));
    }
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(id)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(id));
    match decoded {
        Ok(b) if b.len() == 16 || b.len() == 8 => {
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Ok(format!("{h:0>32}"))
        }
        _ => Err(format!(
            "\"{id}\" is not a trace id (hex of 16 or 32 digits, or base64)"
        )),
    }
}

/// A span id as hex (OTLP JSON may carry base64); empty stays empty.
pub fn normalise_span_id(id: &str) -> String {
    let id = id.trim();
    if id.is_empty() || id.chars().all(|c| c.is_ascii_hexdigit()) {
        return id.to_ascii_lowercase();
    }
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(id) {
        Ok(b) if !b.is_empty() => b.iter().map(|x| format!("{x:02x}")).collect(),
        _ => id.to_string(),
    }
}

/// Builds the tree: children in start order under their parent, a placeholder for each
/// missing parent with its orphans under it, roots first by start; then the critical path.
pub fn build(trace_id: String, mut spans: Vec<Span>) -> Trace {
    spans.sort_by(|a, b| (a.start_us, &a.span_id).cmp(&(b.start_us, &b.span_id)));
    let start_us = spans.iter().map(|s| s.start_us).min().unwrap_or(0);
    let end_us = spans.iter().map(Span::end_us).max().unwrap_or(0);
    let index: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    // Missing parents in the order their first orphan starts.
    let mut missing: BTreeMap<(i64, String), Vec<usize>> = BTreeMap::new();
    let mut missing_first: HashMap<String, i64> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        if s.parent.is_empty() || s.parent == s.span_id {
            roots.push(i);
        } else if let Some(&p) = index.get(s.parent.as_str()) {
            children[p].push(i);
        } else {
            let first = *missing_first.entry(s.parent.clone()).or_insert(s.start_us);
            missing
                .entry((first, s.parent.clone()))
                .or_default()
                .push(i);
        }
    }
    let orphans = missing.values().map(Vec::len).sum();
    let critical = critical_path(&spans, &children, &roots);
    let mut rows = Vec::with_capacity(spans.len() + missing.len());
    // Iterative depth-first walk (a 10,000-span trace must not recurse that deep).
    let mut seen = vec![false; spans.len()];
    let mut walk = |rows: &mut Vec<Row>, top: usize, depth: usize| {
        let mut stack = vec![(top, depth)];
        while let Some((i, d)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue; // a cycle of parents: each span once
            }
            rows.push(Row {
                span: Some(i),
                missing: String::new(),
                depth: d,
                children: children[i].len(),
                critical: critical[i],
            });
            for &c in children[i].iter().rev() {
                stack.push((c, d + 1));
            }
        }
    };
    for &r in &roots {
        walk(&mut rows, r, 0);
    }
    for ((_, parent), kids) in &missing {
        rows.push(Row {
            span: None,
            missing: parent.clone(),
            depth: 0,
            children: kids.len(),
            critical: false,
        });
        for &k in kids {
            walk(&mut rows, k, 1);
        }
    }
    // Spans in a cycle of parents (no root reaches them) still show.
    for i in 0..spans.len() {
        walk(&mut rows, i, 0);
    }
    let services = spans
        .iter()
        .map(|s| s.service.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    Trace {
        trace_id,
        spans,
        rows,
        start_us,
        end_us,
        orphans,
        services,
    }
}

/// The critical path, as Jaeger's UI draws it: from the root that ends last, its child that
/// ends last (children starting after their parent ended, a `FOLLOWS_FROM`, do not hold it
/// up), then the child that ended before that one started, and so on; each chosen child's
/// own path likewise. Children starting before their parent (clock skew between hosts) are
/// taken as they are. Marked per span.
fn critical_path(spans: &[Span], children: &[Vec<usize>], roots: &[usize]) -> Vec<bool> {
    let mut on = vec![false; spans.len()];
    let Some(top) = roots.iter().copied().max_by_key(|&r| spans[r].end_us()) else {
        return on;
    };
    let mut stack = vec![top];
    while let Some(cur) = stack.pop() {
        if std::mem::replace(&mut on[cur], true) {
            continue; // a cycle of parents
        }
        let mut kids: Vec<usize> = children[cur].clone();
        kids.sort_by_key(|&c| std::cmp::Reverse(spans[c].end_us()));
        let end = spans[cur].end_us();
        let mut limit: Option<i64> = None;
        for c in kids {
            let sp = &spans[c];
            let fits = match limit {
                // The last to finish of those that started while the parent ran.
                None => sp.start_us <= end,
                // Then one that had finished before the chosen one started.
                Some(l) => sp.end_us() <= l,
            };
            if fits {
                stack.push(c);
                limit = Some(sp.start_us);
            }
        }
    }
    on
}

/// Why a trace is not on screen.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceMiss {
    /// The store answered and has no such trace (not yet flushed, or past its retention).
    NotFound(String),
    /// The store did not answer, or refused (down, 403): what it said.
    Failed(String),
    /// No trace store is configured or found: how to give one.
    NoStore(String),
}

impl TraceMiss {
    pub fn text(&self) -> &str {
        match self {
            TraceMiss::NotFound(s) | TraceMiss::Failed(s) | TraceMiss::NoStore(s) => s,
        }
    }
}

/// The cockpit's search: one service's recent traces, told apart canary / stable by their
/// pods' template hash or version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceSearch {
    pub namespace: String,
    pub service: String,
    pub canary_hash: String,
    pub stable_hash: String,
    pub canary_version: String,
    pub stable_version: String,
    /// How far back to look.
    pub window_secs: u32,
    /// Slow means slower than this (the stable's p95, coarsened so a new scrape does not make
    /// a new search); 0: the slowest whatever they took.
    pub min_duration_ms: u32,
}

impl TraceSearch {
    /// Which track a pod name (`store-6d8f9c7b5-x2x9k`) or version attribute belongs to.
    pub fn track(&self, pod: &str, version: &str) -> Option<crate::model::Track> {
        use crate::model::Track;
        let has_hash = |h: &str| !h.is_empty() && pod.split('-').any(|part| part == h);
        if has_hash(&self.canary_hash) {
            return Some(Track::Canary);
        }
        if has_hash(&self.stable_hash) {
            return Some(Track::Stable);
        }
        if !version.is_empty() {
            if version == self.canary_version {
                return Some(Track::Canary);
            }
            if version == self.stable_version {
                return Some(Track::Stable);
            }
        }
        None
    }
}

/// One trace a search found: enough to list it and open it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceHit {
    pub trace_id: String,
    /// The root span's service and operation (`gateway: GET /api/store/products`).
    pub root: String,
    pub start_us: i64,
    pub duration_us: i64,
    pub error: bool,
    /// The service's pod and version in the trace (what told its track).
    pub pod: String,
    pub version: String,
    pub track: Option<crate::model::Track>,
}

/// Worst traces kept per track in the cockpit.
pub const WORST_PER_TRACK: usize = 3;

/// The canary's first (what the decision is about), then the stable's, then traces of
/// neither; in each, errors first, then the slowest; at most `keep` of each.
pub fn worst(mut hits: Vec<TraceHit>, keep: usize) -> Vec<TraceHit> {
    use crate::model::Track;
    let rank = |t: Option<Track>| match t {
        Some(Track::Canary) => 0,
        Some(Track::Stable) => 1,
        None => 2,
    };
    hits.sort_by(|a, b| {
        (rank(a.track), b.error, b.duration_us, &a.trace_id).cmp(&(
            rank(b.track),
            a.error,
            a.duration_us,
            &b.trace_id,
        ))
    });
    let mut seen = std::collections::HashSet::new();
    let mut per_track: HashMap<Option<crate::model::Track>, usize> = HashMap::new();
    hits.retain(|h| {
        let n = per_track.entry(h.track).or_default();
        let keep_it = *n < keep && seen.insert(h.trace_id.clone());
        *n += usize::from(keep_it);
        keep_it
    });
    hits
}

/// The trace id in a log line's trace field: `TRACE`, `TRACE-SPAN` (as opsdeck joins them),
/// Sleuth's `TRACE,SPAN`, or a W3C `traceparent` (`00-TRACE-SPAN-01`).
pub fn log_trace_id(field: &str) -> Option<String> {
    let f = field.trim();
    let parts: Vec<&str> = f.split(['-', ',', ' ']).filter(|p| !p.is_empty()).collect();
    let candidate = match parts.as_slice() {
        ["00", t, _, _] if t.len() == 32 => t,
        [t, ..] => t,
        [] => return None,
    };
    // From a log, hex means 16 or 32 digits (a shorter number is something else); never all
    // zeros (W3C's invalid id).
    let hex = candidate.chars().all(|c| c.is_ascii_hexdigit());
    if hex && !matches!(candidate.len(), 16 | 32) {
        return None;
    }
    normalise_trace_id(candidate)
        .ok()
        .filter(|id| id.chars().any(|c| c != '0'))
}

impl Trace {
    /// The rows to show, as indices into [`Trace::rows`]: none under a collapsed row (by
    /// index), and with a filter only the spans whose service, name or attributes contain it
    /// (lower-case) and the rows above them.
    pub fn visible(
        &self,
        collapsed: &std::collections::BTreeSet<usize>,
        filter: &str,
    ) -> Vec<usize> {
        let matches = |r: &Row| -> bool {
            let Some(i) = r.span else {
                return r.missing.contains(filter);
            };
            let s = &self.spans[i];
            s.service.to_lowercase().contains(filter)
                || s.name.to_lowercase().contains(filter)
                || s.attributes.iter().any(|(k, v)| {
                    k.to_lowercase().contains(filter) || v.to_lowercase().contains(filter)
                })
        };
        let keep: Vec<bool> = if filter.is_empty() {
            vec![true; self.rows.len()]
        } else {
            // A match keeps its ancestors: walk back up the depths from each match.
            let mut keep = vec![false; self.rows.len()];
            let mut path: Vec<usize> = Vec::new();
            for (i, r) in self.rows.iter().enumerate() {
                path.truncate(r.depth);
                if matches(r) {
                    keep[i] = true;
                    // Those above were kept by an earlier match as far as one is kept.
                    for &a in path.iter().rev() {
                        if std::mem::replace(&mut keep[a], true) {
                            break;
                        }
                    }
                }
                path.push(i);
            }
            keep
        };
        let mut out = Vec::new();
        let mut hide_below: Option<usize> = None;
        for (i, r) in self.rows.iter().enumerate() {
            if let Some(d) = hide_below {
                if r.depth > d {
                    continue;
                }
                hide_below = None;
            }
            if !keep[i] {
                continue;
            }
            out.push(i);
            if collapsed.contains(&i) {
                hide_below = Some(r.depth);
            }
        }
        out
    }
}

/// A span of service `store` named `op-ID`, for tests.
#[cfg(test)]
pub(crate) fn test_span(id: &str, parent: &str, start: i64, dur: i64) -> Span {
    Span {
        span_id: id.into(),
        parent: parent.into(),
        service: "store".into(),
        name: format!("op-{id}"),
        start_us: start,
        duration_us: dur,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: &str, start: i64, dur: i64) -> Span {
        test_span(id, parent, start, dur)
    }

    #[test]
    fn ids_are_hex_of_32_digits_whatever_they_came_as() {
        assert_eq!(
            normalise_trace_id("4bf92f3577b34da6").as_deref(),
            Ok("00000000000000004bf92f3577b34da6")
        );
        assert_eq!(
            normalise_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736").as_deref(),
            Ok("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        // Base64 of the same 16 bytes, as OTLP JSON from some exporters carries it.
        assert_eq!(
            normalise_trace_id("S/kvNXezTaajzpKdDg5HNg==").as_deref(),
            Ok("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert!(normalise_trace_id("not a trace").is_err());
        assert!(normalise_trace_id("").is_err());
        assert_eq!(normalise_span_id("APBnqgupArc="), "00f067aa0ba902b7");
    }

    #[test]
    fn children_sit_under_parents_orphans_under_a_placeholder_and_the_critical_path_is_marked() {
        // root 0..100: a (10..40), b (35..95: the one that ends last), b's child c (40..90);
        // x's parent never arrived.
        let t = build(
            "t".into(),
            vec![
                span("c", "b", 40, 50),
                span("root", "", 0, 100),
                span("a", "root", 10, 30),
                span("b", "root", 35, 60),
                span("x", "gone", 20, 5),
            ],
        );
        let order: Vec<(String, usize, bool)> = t
            .rows
            .iter()
            .map(|r| {
                let name = r
                    .span
                    .map_or(format!("? {}", r.missing), |i| t.spans[i].span_id.clone());
                (name, r.depth, r.critical)
            })
            .collect();
        assert_eq!(
            order,
            [
                ("root".to_string(), 0, true),
                ("a".to_string(), 1, false),
                ("b".to_string(), 1, true),
                ("c".to_string(), 2, true),
                ("? gone".to_string(), 0, false),
                ("x".to_string(), 1, false),
            ]
        );
        assert_eq!(t.orphans, 1);
        assert_eq!((t.start_us, t.end_us, t.duration_us()), (0, 100, 100));
        // Collapsing b hides c; a filter keeps a match's ancestors.
        let collapsed = [2].into_iter().collect();
        assert_eq!(t.visible(&collapsed, ""), [0, 1, 2, 4, 5]);
        assert_eq!(t.visible(&Default::default(), "op-c"), [0, 2, 3]);
    }

    #[test]
    fn log_fields_give_their_trace_id_and_worst_traces_come_first_per_track() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            log_trace_id(&format!("{id}-00f067aa0ba902b7")).as_deref(),
            Some(id)
        );
        assert_eq!(
            log_trace_id(&format!("00-{id}-00f067aa0ba902b7-01")).as_deref(),
            Some(id)
        );
        assert_eq!(
            log_trace_id("463ac35c9f6413ad,a2fb4a1d1a96d312").as_deref(),
            Some("0000000000000000463ac35c9f6413ad"),
            "Sleuth's 64-bit id, left-padded"
        );
        assert_eq!(log_trace_id("12345"), None, "a number, not a trace id");
        assert_eq!(log_trace_id("00000000000000000000000000000000"), None);
        assert_eq!(
            normalise_trace_id("S/kvNXezTaajzpKdDg5HNg").as_deref(),
            Ok("4bf92f3577b34da6a3ce929d0e0e4736"),
            "base64 without its padding"
        );
        assert_eq!(log_trace_id(""), None);
        assert_eq!(log_trace_id("not-a-trace"), None);
        use crate::model::Track;
        let hit = |id: &str, error, d, track| TraceHit {
            trace_id: id.into(),
            error,
            duration_us: d,
            track: Some(track),
            ..Default::default()
        };
        let w = worst(
            vec![
                hit("slow", false, 900, Track::Canary),
                hit("err", true, 10, Track::Canary),
                hit("fast", false, 5, Track::Canary),
                hit("s1", false, 50, Track::Stable),
            ],
            2,
        );
        let ids: Vec<&str> = w.iter().map(|h| h.trace_id.as_str()).collect();
        assert_eq!(ids, ["err", "slow", "s1"]);
        let ask = TraceSearch {
            canary_hash: "6d8f9c7b5".into(),
            stable_hash: "5c7d8e9f1".into(),
            canary_version: "1.5.1".into(),
            ..Default::default()
        };
        assert_eq!(ask.track("store-6d8f9c7b5-x2x9k", ""), Some(Track::Canary));
        assert_eq!(ask.track("store-5c7d8e9f1-abcde", ""), Some(Track::Stable));
        assert_eq!(ask.track("", "1.5.1"), Some(Track::Canary));
        assert_eq!(ask.track("other", "9"), None);
    }

    #[test]
    fn sequential_calls_are_all_on_the_critical_path_overlapping_ones_are_not() {
        // The root calls A then B one after the other, and C alongside B.
        let t = build(
            "t".into(),
            vec![
                span("r", "", 0, 100),
                span("A", "r", 0, 40),
                span("B", "r", 50, 50),
                span("C", "r", 45, 30),
            ],
        );
        let critical: Vec<&str> = t
            .rows
            .iter()
            .filter(|r| r.critical)
            .filter_map(|r| r.span.map(|i| t.spans[i].span_id.as_str()))
            .collect();
        assert_eq!(critical, ["r", "A", "B"]);
    }

    #[test]
    fn a_child_that_starts_before_its_parent_and_a_cycle_do_not_lose_spans() {
        // Clock skew: the child starts 5 µs before its parent on another host.
        let t = build(
            "t".into(),
            vec![span("p", "", 100, 50), span("k", "p", 95, 20)],
        );
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].depth, 1);
        assert_eq!(t.start_us, 95);
        // A cycle of parents (a broken store): each span once, none dropped.
        let t = build("t".into(), vec![span("a", "b", 0, 1), span("b", "a", 1, 1)]);
        assert_eq!(t.rows.iter().filter(|r| r.span.is_some()).count(), 2);
    }

    #[test]
    fn ten_thousand_spans_in_one_chain_build_without_recursion() {
        let spans: Vec<Span> = (0..10_000)
            .map(|i| {
                let parent = if i == 0 {
                    String::new()
                } else {
                    format!("s{}", i - 1)
                };
                span(&format!("s{i}"), &parent, i, 20_000 - i)
            })
            .collect();
        let t = build("t".into(), spans);
        assert_eq!(t.rows.len(), 10_000);
        assert_eq!(t.rows[9_999].depth, 9_999);
        assert!(t.rows.iter().all(|r| r.critical));
    }
}
