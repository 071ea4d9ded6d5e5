//! Argo Rollouts: status, `Step n/N` with a step timeline, set vs actual weight, the pause
//! countdown and the message.

use super::{View, ellipsize, pane_block, window};
use crate::layout::Pane;
use crate::model::{CanaryStep, Rollout, RolloutPhase};
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

pub fn phase_cell(t: &Theme, r: &Rollout) -> (String, Style) {
    if r.aborted {
        return ("✗ Aborted".into(), t.error);
    }
    match r.phase {
        RolloutPhase::Healthy => ("♥ Healthy".into(), t.ok),
        RolloutPhase::Progressing => ("◐ Progressing".into(), t.info),
        RolloutPhase::Paused => ("⏸ Paused".into(), t.warn),
        RolloutPhase::Degraded => ("✗ Degraded".into(), t.error),
        RolloutPhase::Unknown => ("? Unknown".into(), t.muted),
    }
}

/// One glyph per step: ✓ done, the current one by kind, · to come.
pub fn timeline<'a>(t: &Theme, r: &Rollout) -> Vec<Span<'a>> {
    let cur = r.current_step_index.unwrap_or(0);
    r.steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            if i < cur || r.is_fully_promoted() {
                Span::styled("■", t.ok)
            } else if i == cur && r.aborted {
                Span::styled("✗", t.error)
            } else if i == cur {
                let g = match step {
                    CanaryStep::Pause(_) => "⏸",
                    CanaryStep::Analysis(_) => "◆",
                    _ => "▶",
                };
                Span::styled(g, t.canary)
            } else {
                Span::styled("·", t.muted)
            }
        })
        .collect()
}

/// `wait` for an indefinite pause, `42s` left of a timed one, empty otherwise.
pub fn pause_text(r: &Rollout, now: DateTime<Utc>) -> String {
    match &r.pause {
        None => String::new(),
        Some(p) if p.duration.is_none() => "promote?".into(),
        Some(_) => format!("{}s", r.pause_remaining(now).unwrap_or(0)),
    }
}

pub fn weight_text(r: &Rollout) -> String {
    format!("{}/{}%", r.set_weight, r.actual_weight)
}

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Rollouts);
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Rollouts,
        idx.is_empty(),
        "no Argo Rollouts in reach",
    ) {
        return;
    }
    let paused = s
        .rollouts
        .iter()
        .filter(|r| r.phase == RolloutPhase::Paused && !r.aborted)
        .count();
    let canaries = s.rollouts.iter().filter(|r| r.canary_active()).count();
    let extra = vec![
        Span::styled(
            format!("{canaries} canary "),
            if canaries > 0 { t.canary } else { t.muted },
        ),
        Span::styled(
            format!("{paused} paused "),
            if paused > 0 { t.warn } else { t.muted },
        ),
    ];
    let block = pane_block(v, Pane::Rollouts, extra);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let pos = &s.ui.lists[Pane::Rollouts.index()];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Rollouts;
    let msg_w = inner.width.saturating_sub(12 + 14 + 5 + 8 + 8 + 9 + 6) as usize;
    let rows: Vec<Row> = window(pos.offset, rows_h, idx.len())
        .filter_map(|k| idx.get(k).map(|i| (k, &s.rollouts[i])))
        .map(|(k, r)| {
            let (phase, phase_st) = phase_cell(t, r);
            let step = r.step_text().unwrap_or_else(|| "—".into());
            let pause = pause_text(r, s.now);
            let row = Row::new(vec![
                Cell::from(r.name.as_str()),
                Cell::from(phase).style(phase_st),
                Cell::from(step),
                Cell::from(Line::from(timeline(t, r))),
                Cell::from(weight_text(r)).style(if r.canary_active() {
                    t.canary
                } else {
                    t.muted
                }),
                Cell::from(pause).style(t.warn),
                Cell::from(if msg_w >= 6 {
                    ellipsize(&r.message, msg_w)
                } else {
                    String::new()
                })
                .style(t.muted),
            ]);
            if focused && k == pos.selected {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Min(10),
            Constraint::Length(13),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new([
            "ROLLOUT", "STATUS", "STEP", "STEPS", "SET/ACT", "PAUSE", "MESSAGE",
        ])
        .style(t.muted),
    )
    .column_spacing(1);
    frame.render_widget(table, inner);
}
