//! Argo CD applications: sync, health, revision, wave and the last operation.

use super::text::{self, Col};
use super::{View, fmt_age, pane_frame, window};
use crate::layout::Pane;
use crate::model::{ArgoApp, HealthStatus, OperationPhase, SyncStatus};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

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
        Span::styled(format!("{} · ", s.apps.len()), t.muted),
        Span::styled(
            format!("{out_of_sync} out of sync · "),
            if out_of_sync > 0 { t.warn } else { t.muted },
        ),
        Span::styled(
            format!("{unhealthy} not healthy "),
            if unhealthy > 0 { t.warn } else { t.muted },
        ),
    ];
    let inner = pane_frame(frame, area, v, Pane::Apps, extra);
    let wide = inner.width >= 90;
    let pos = &s.ui.lists[Pane::Apps];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Apps;
    let mut spec = vec![Col::Flex(14), Col::Fixed(11), Col::Fixed(13), Col::Fixed(9)];
    let mut header = vec!["APP", "SYNC", "HEALTH", "REV"];
    if wide {
        spec.extend([Col::Fixed(5), Col::Flex(18)]);
        header.extend(["WAVE", "LAST OPERATION"]);
    }
    let cols = text::columns(inner, &spec, 1);
    let buf = frame.buffer_mut();
    super::list_header(buf, inner, &cols, &header, v, Pane::Apps);
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(a) = idx.get(k).map(|i| &s.apps[i]) else {
            continue;
        };
        let (sync, sync_st) = sync_cell(t, a.sync);
        let (health, health_st) = match &a.invalid {
            Some(_) => ("✗ Invalid".to_string(), t.error),
            None => health_cell(t, a.health),
        };
        let mut cells = vec![
            Span::styled(a.name.as_str(), t.text),
            Span::styled(sync, sync_st),
            Span::styled(health, health_st),
            Span::styled(a.short_revision(), t.muted),
        ];
        if wide {
            let (op, op_st) = op_cell(v, a);
            cells.push(Span::styled(a.sync_wave.to_string(), t.muted));
            cells.push(Span::styled(op, op_st));
        }
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}
