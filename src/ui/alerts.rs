//! Alertmanager alerts: firing first, by severity; what they are about and for how long.

use super::{View, ellipsize, fmt_age, pane_block, window};
use crate::layout::Pane;
use crate::model::{AlertState, Severity};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Alerts);
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Alerts,
        idx.is_empty(),
        "✓ no alerts firing",
    ) {
        return;
    }
    let firing = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count();
    let extra = vec![Span::styled(
        format!("{firing} firing "),
        if firing > 0 { t.error } else { t.muted },
    )];
    let block = pane_block(v, Pane::Alerts, extra);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let pos = &s.ui.lists[Pane::Alerts.index()];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Alerts;
    let wide = inner.width >= 70;
    let rows: Vec<Row> = window(pos.offset, rows_h, idx.len())
        .filter_map(|k| idx.get(k).map(|i| (k, &s.alerts[i])))
        .map(|(k, a)| {
            let sev = match a.severity {
                Severity::Critical => t.error,
                Severity::Warning => t.warn,
                _ => t.info,
            };
            let state = match a.state {
                AlertState::Firing => "●",
                AlertState::Suppressed => "◌",
                AlertState::Unprocessed => "?",
            };
            let mut cells = vec![
                Cell::from(format!("{state} {}", a.severity.as_str())).style(sev),
                Cell::from(a.name.as_str()),
                Cell::from(a.subject()).style(t.text),
                Cell::from(fmt_age((s.now - a.starts_at).num_seconds())).style(t.muted),
            ];
            if wide {
                cells.push(
                    Cell::from(ellipsize(
                        &a.summary,
                        inner.width.saturating_sub(60) as usize,
                    ))
                    .style(t.muted),
                );
            }
            let row = Row::new(cells);
            let row = if a.state != AlertState::Firing {
                row.style(t.muted)
            } else {
                row
            };
            if focused && k == pos.selected {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(16),
        Constraint::Min(12),
        Constraint::Length(4),
    ];
    let mut header = vec!["SEVERITY", "ALERT", "SUBJECT", "FOR"];
    if wide {
        widths.push(Constraint::Fill(1));
        header.push("SUMMARY");
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.muted))
        .column_spacing(1);
    frame.render_widget(table, inner);
}
