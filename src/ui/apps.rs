//! Argo CD applications: sync, health, revision, wave and the last operation.

use super::{View, fmt_age, pane_block, window};
use crate::layout::Pane;
use crate::model::{ArgoApp, HealthStatus, OperationPhase, SyncStatus};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

pub fn sync_cell(t: &Theme, s: SyncStatus) -> (String, Style) {
    match s {
        SyncStatus::Synced => ("✓ Synced".into(), t.ok),
        SyncStatus::OutOfSync => ("≠ OutOfSync".into(), t.warn),
        SyncStatus::Unknown => ("? Unknown".into(), t.muted),
    }
}

pub fn health_cell(t: &Theme, h: HealthStatus) -> (String, Style) {
    match h {
        HealthStatus::Healthy => ("♥ Healthy".into(), t.ok),
        HealthStatus::Progressing => ("◐ Progressing".into(), t.info),
        HealthStatus::Suspended => ("⏸ Suspended".into(), t.warn),
        HealthStatus::Degraded => ("✗ Degraded".into(), t.error),
        HealthStatus::Missing => ("∅ Missing".into(), t.warn),
        HealthStatus::Unknown => ("? Unknown".into(), t.muted),
    }
}

fn op_cell(v: &View, a: &ArgoApp) -> (String, Style) {
    let t = v.theme;
    let now = v.state.now;
    match &a.operation {
        None => ("—".into(), t.muted),
        Some(op) => {
            let st = match op.phase {
                OperationPhase::Succeeded => t.muted,
                OperationPhase::Running | OperationPhase::Terminating => t.info,
                OperationPhase::Failed | OperationPhase::Error => t.error,
                OperationPhase::Unknown => t.muted,
            };
            let when = op.finished_at.unwrap_or(op.started_at);
            let by = if op.initiated_by == "automated" {
                "auto"
            } else {
                op.initiated_by.as_str()
            };
            (
                format!(
                    "{} {} ago ({by})",
                    op.phase.as_str(),
                    fmt_age((now - when).num_seconds())
                ),
                st,
            )
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Apps);
    let out_of_sync = s
        .apps
        .iter()
        .filter(|a| a.sync != SyncStatus::Synced)
        .count();
    let unhealthy = s
        .apps
        .iter()
        .filter(|a| a.health != HealthStatus::Healthy)
        .count();
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Apps,
        idx.is_empty(),
        "no Argo CD applications in reach",
    ) {
        return;
    }
    let extra = vec![
        Span::styled(format!("{} ", s.apps.len()), t.muted),
        Span::styled(
            format!("{out_of_sync} out of sync "),
            if out_of_sync > 0 { t.warn } else { t.muted },
        ),
        Span::styled(
            format!("{unhealthy} not healthy "),
            if unhealthy > 0 { t.warn } else { t.muted },
        ),
    ];
    let block = pane_block(v, Pane::Apps, extra);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 90;
    let pos = &s.ui.lists[Pane::Apps.index()];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Apps;
    let rows: Vec<Row> = window(pos.offset, rows_h, idx.len())
        .filter_map(|k| idx.get(k).map(|i| (k, &s.apps[i])))
        .map(|(k, a)| {
            let (sync, sync_st) = sync_cell(t, a.sync);
            let (health, health_st) = health_cell(t, a.health);
            let mut cells = vec![
                Cell::from(a.name.as_str()),
                Cell::from(sync).style(sync_st),
                Cell::from(health).style(health_st),
                Cell::from(a.short_revision().to_string()).style(t.muted),
            ];
            if wide {
                let (op, op_st) = op_cell(v, a);
                cells.push(Cell::from(a.sync_wave.to_string()).style(t.muted));
                cells.push(Cell::from(op).style(op_st));
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
        Constraint::Min(14),
        Constraint::Length(11),
        Constraint::Length(13),
        Constraint::Length(9),
    ];
    let mut header = vec!["APP", "SYNC", "HEALTH", "REV"];
    if wide {
        widths.push(Constraint::Length(5));
        widths.push(Constraint::Min(18));
        header.extend(["WAVE", "LAST OPERATION"]);
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.muted))
        .column_spacing(1);
    frame.render_widget(table, inner);
}
