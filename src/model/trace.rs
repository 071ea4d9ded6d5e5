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
}

impl Trace {
    pub fn duration_us(&self) -> i64 {
        (self.end_us - self.start_us).max(0)
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
    match base64::engine::general_purpose::STANDARD.decode(id) {
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
                critical: critical.contains(&i),
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
    Trace {
        trace_id,
        spans,
        rows,
        start_us,
        end_us,
        orphans,
    }
}

/// The critical path: from the root that ends last, down through the child that ends last
/// before its parent resumes, repeatedly (children starting before their parent — clock skew
/// between hosts — are taken as they are).
fn critical_path(spans: &[Span], children: &[Vec<usize>], roots: &[usize]) -> Vec<usize> {
    let mut path = Vec::new();
    let Some(mut cur) = roots.iter().copied().max_by_key(|&r| spans[r].end_us()) else {
        return path;
    };
    loop {
        path.push(cur);
        let limit = spans[cur].end_us();
        let next = children[cur]
            .iter()
            .copied()
            // A child that starts after its parent ended (a FOLLOWS_FROM) does not hold it up.
            .filter(|&c| spans[c].start_us <= limit)
            .max_by_key(|&c| spans[c].end_us().min(limit));
        match next {
            Some(n) if !path.contains(&n) => cur = n,
            _ => return path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: &str, start: i64, dur: i64) -> Span {
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
