//! Linkerd routes: effective and actual success (retries are the difference), RPS,
//! p50/p95/p99, timeout and retryability, and the canary's success next to stable's.

use super::{View, fmt_ms, fmt_pct, fmt_rps, pane_block, success_style, window};
use crate::layout::Pane;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Routes);
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Routes,
        idx.is_empty(),
        "no ServiceProfile routes with traffic",
    ) {
        return;
    }
    let mut extra = Vec::new();
    if let Some(b) = s.routes.first().and_then(|r| r.budget.as_ref())
        && s.routes.iter().all(|r| r.budget.as_ref() == Some(b))
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
    let block = pane_block(v, Pane::Routes, extra);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 86;
    let any_canary = s.routes.iter().any(|r| r.canary.is_some());
    let pos = &s.ui.lists[Pane::Routes.index()];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Routes;
    let rows: Vec<Row> = window(pos.offset, rows_h, idx.len())
        .filter_map(|k| idx.get(k).map(|i| (k, &s.routes[i])))
        .map(|(k, r)| {
            let o = &r.overall;
            let retry = if r.retryable { "↻" } else { " " };
            let mut cells = vec![
                Cell::from(r.service.as_str()),
                Cell::from(r.route.as_str()),
                Cell::from(fmt_pct(o.effective_success))
                    .style(success_style(t, o.effective_success)),
                Cell::from(fmt_pct(o.actual_success)).style(success_style(t, o.actual_success)),
                Cell::from(fmt_rps(o.rps)),
                Cell::from(fmt_ms(o.p95_ms)),
            ];
            if wide {
                cells.insert(5, Cell::from(fmt_ms(o.p50_ms)).style(t.muted));
                cells.push(Cell::from(fmt_ms(o.p99_ms)).style(t.muted));
                cells.push(Cell::from(format!("{retry}{}s", r.timeout_ms / 1000)).style(t.muted));
            }
            if any_canary {
                let c = match (&r.canary, &r.stable) {
                    (Some(c), Some(st)) => Line::from(vec![
                        Span::styled(
                            pct_num(c.effective_success),
                            success_style(t, c.effective_success).patch(t.canary),
                        ),
                        Span::styled("/", t.muted),
                        Span::styled(pct_num(st.effective_success), t.stable),
                    ]),
                    _ => Line::from(""),
                };
                cells.push(Cell::from(c));
            }
            let row = Row::new(cells);
            if focused && k == pos.selected {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Min(16),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(5),
    ];
    let mut header = vec!["SERVICE", "ROUTE", "SUCC", "ACTUAL", "RPS", "P95"];
    if wide {
        widths.insert(5, Constraint::Length(5));
        header.insert(5, "P50");
        widths.push(Constraint::Length(5));
        widths.push(Constraint::Length(5));
        header.extend(["P99", "T/O"]);
    }
    if any_canary {
        widths.push(Constraint::Length(11));
        header.push("CANARY/STBL");
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.muted))
        .column_spacing(1);
    frame.render_widget(table, inner);
}

/// `92.1` for the narrow canary/stable column (the header says it is %).
fn pct_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 0.9995 => "100".to_string(),
        Some(x) => format!("{:.1}", x * 100.0),
        None => "—".to_string(),
    }
}
