//! Argo Rollouts: status, `Step n/N` with a step timeline, set vs actual weight, the pause
//! countdown and the message.

use super::text::{self, Col};
use super::{View, ellipsize, pane_frame, window};
use crate::layout::Pane;
use crate::model::{CanaryStep, PauseState, Rollout, RolloutPhase};
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

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

/// `promote?` for a pause that waits for a promote, `42s` left of a timed one, empty otherwise.
pub fn pause_text(r: &Rollout, now: DateTime<Utc>) -> String {
    match r.pause_state(now) {
        None => String::new(),
        Some(PauseState::UntilPromoted) => "promote?".into(),
        Some(PauseState::Timed { remaining_secs }) => format!("{remaining_secs}s"),
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
        Span::styled(format!("{} · ", s.rollouts.len()), t.muted),
        Span::styled(
            format!("{canaries} canary · "),
            if canaries > 0 { t.canary } else { t.muted },
        ),
        Span::styled(
            format!("{paused} paused "),
            if paused > 0 { t.warn } else { t.muted },
        ),
    ];
    let inner = pane_frame(frame, area, v, Pane::Rollouts, extra);
    let pos = &s.ui.lists[Pane::Rollouts];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Rollouts;
    let name_w = s
        .rollouts
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(7)
        .clamp(7, 30) as u16
        + 1;
    let spec = [
        Col::Fixed(name_w),
        Col::Fixed(13),
        Col::Fixed(5),
        Col::Fixed(7),
        Col::Fixed(8),
        Col::Fixed(8),
        Col::Flex(0),
    ];
    let cols = text::columns(inner, &spec, 1);
    let msg_w = cols[6].1 as usize;
    let buf = frame.buffer_mut();
    let names = [
        "ROLLOUT", "STATUS", "STEP", "STEPS", "SET/ACT", "PAUSE", "MESSAGE",
    ];
    text::header(buf, inner, &cols, &names, t.muted);
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(r) = idx.get(k).map(|i| &s.rollouts[i]) else {
            continue;
        };
        let (phase, phase_st) = phase_cell(t, r);
        let cells = vec![
            vec![Span::styled(r.name.as_str(), t.text)],
            vec![Span::styled(phase, phase_st)],
            vec![Span::styled(
                r.step_text().unwrap_or_else(|| "—".into()),
                t.text,
            )],
            timeline(t, r),
            vec![Span::styled(
                weight_text(r),
                if r.canary_active() { t.canary } else { t.muted },
            )],
            vec![Span::styled(pause_text(r, s.now), t.warn)],
            vec![Span::styled(
                if msg_w >= 6 {
                    ellipsize(&r.message, msg_w)
                } else {
                    String::new()
                },
                t.muted,
            )],
        ];
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row_spans(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}
