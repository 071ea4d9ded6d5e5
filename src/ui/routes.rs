//! The routes pane. Linkerd rows: effective and actual success (retries are the difference),
//! RPS, p50/p95/p99, timeout and retryability, and the canary's success next to stable's.
//! Istio rows (and a mixed mesh) are drawn by `routes_istio`.

use super::text::{self, Col};
use super::{
    View, canary_cell, fmt_ms, fmt_pct, fmt_rps, fmt_timeout, pane_frame, success_style, window,
};
use crate::layout::Pane;
use crate::model::RoutePolicy;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Routes);
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Routes,
        idx.is_empty() && s.mesh_notes.is_empty(),
        "no ServiceProfile routes with traffic",
    ) {
        return;
    }
    let w = s.ui.routes.secs();
    let mesh = if s.mesh.is_empty() {
        String::new()
    } else {
        format!("{} · ", s.mesh)
    };
    let mut extra = vec![Span::styled(
        format!("{mesh}{} ", super::fmt_window(w)),
        t.muted,
    )];
    if let Some(b) = s.routes.first().and_then(|r| r.budget())
        && s.routes.iter().all(|r| r.budget() == Some(b))
    {
        extra.push(Span::styled(
            format!(
                "retry budget {:.0}% min {}/s ttl {}s ",
                b.retry_ratio * 100.0,
                b.min_retries_per_second,
                b.ttl_secs
            ),
            t.muted,
        ));
    }
    let inner = pane_frame(frame, area, v, Pane::Routes, extra);
    let rows_h = inner.height.saturating_sub(1) as usize;
    let pos = &s.ui.lists[Pane::Routes];
    if s.routes
        .iter()
        .any(|r| matches!(r.policy, RoutePolicy::Istio { .. }))
    {
        super::routes_istio::rows(frame, inner, v, &idx);
    } else {
        linkerd_rows(frame, inner, v, &idx);
    }
    // Below the rows: why services in scope have none.
    let buf = frame.buffer_mut();
    let shown = window(pos.offset, rows_h, idx.len()).len();
    for (i, n) in s.mesh_notes.iter().enumerate() {
        let line = shown + i;
        if line >= rows_h {
            break;
        }
        let y = inner.y + 1 + line as u16;
        let text = format!("{:<9}– {}", n.service, n.reason);
        text::put(buf, inner.x, y, &text, inner.width, t.muted);
    }
}

fn linkerd_rows(frame: &mut Frame, inner: Rect, v: &View, idx: &crate::state::Indices) {
    let s = v.state;
    let t = v.theme;
    let wide = inner.width >= 86;
    let any_canary = s.routes.iter().any(|r| r.canary.is_some());
    let pos = &s.ui.lists[Pane::Routes];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Routes;
    let mut spec = vec![
        Col::Fixed(9),
        Col::Flex(16),
        Col::Fixed(6),
        Col::Fixed(6),
        Col::Fixed(5),
    ];
    let mut header = vec!["SERVICE", "ROUTE", "SUCC", "ACTUAL", "RPS"];
    if wide {
        spec.push(Col::Fixed(5));
        header.push("P50");
    }
    spec.push(Col::Fixed(5));
    header.push("P95");
    if wide {
        spec.extend([Col::Fixed(5), Col::Fixed(6)]);
        header.extend(["P99", "T/O"]);
    }
    if any_canary {
        spec.push(Col::Fixed(11));
        header.push("CANARY/STBL");
    }
    let cols = text::columns(inner, &spec, 1);
    let buf = frame.buffer_mut();
    super::list_header(buf, inner, &cols, &header, v, Pane::Routes);
    let shared = super::names::in_two_namespaces(
        s.routes
            .iter()
            .map(|r| (r.namespace.as_str(), r.service.as_str())),
    );
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(r) = idx.get(k).map(|i| &s.routes[i]) else {
            continue;
        };
        let o = &r.overall;
        let one = |text: String, st| vec![Span::styled(text, st)];
        let mut cells = vec![
            vec![Span::styled(
                super::names::qualified(&shared, &r.namespace, &r.service),
                t.text,
            )],
            vec![Span::styled(r.route.as_str(), t.text)],
            one(
                fmt_pct(o.effective_success),
                success_style(t, o.effective_success),
            ),
            one(
                fmt_pct(o.actual_success),
                success_style(t, o.actual_success),
            ),
            one(fmt_rps(o.rps), t.text),
        ];
        if wide {
            cells.push(one(fmt_ms(o.p50_ms), t.muted));
        }
        cells.push(one(fmt_ms(o.p95_ms), t.text));
        if wide {
            let retry = if r.retryable() { "↻" } else { " " };
            cells.push(one(fmt_ms(o.p99_ms), t.muted));
            cells.push(one(
                format!("{retry}{}", fmt_timeout(r.timeout_ms())),
                t.muted,
            ));
        }
        if any_canary {
            cells.push(canary_cell(t, r));
        }
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row_spans(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}
