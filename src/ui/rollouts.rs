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
    if r.invalid.is_some() {
        return ("✗ Invalid".into(), t.error);
    }
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

/// `held` while a user's pause holds it, `promote?` for a pause that waits for a promote,
/// `42s` left of a timed one, empty otherwise.
pub fn pause_text(r: &Rollout, now: DateTime<Utc>) -> String {
    if r.user_paused {
        return "held".into();
    }
    match r.pause_state(now) {
        None => String::new(),
        Some(PauseState::UntilPromoted) => "promote?".into(),
        Some(PauseState::Timed { remaining_secs }) => format!("{remaining_secs}s"),
    }
}

pub fn weight_text(r: &Rollout) -> String {
    if r.invalid.is_some() {
        // Unreadable: its weights are not known (no borrowed 100/100%).
        return "—".into();
    }
    format!("{}/{}%", r.set_weight, r.actual_weight)
}

/// `20/20%`, or with the mesh's weight `20/20/20%`, marked `≠` when the VirtualService gives
/// the canary another weight than the rollout's status says (the controller could not update
/// it, or someone edited it by hand).
pub fn weight_spans<'a>(v: &View, r: &Rollout) -> Vec<Span<'a>> {
    let t = v.theme;
    let st = if r.canary_active() { t.canary } else { t.muted };
    match v.state.mesh_weight(r).filter(|_| r.canary_active()) {
        None => vec![Span::styled(weight_text(r), st)],
        Some(m) if r.canary_active() && (m.weight != r.actual_weight || m.inconsistent) => vec![
            Span::styled(format!("{}/{}/", r.set_weight, r.actual_weight), st),
            Span::styled(format!("{}%≠", m.weight), t.error),
        ],
        Some(m) => vec![Span::styled(
            format!("{}/{}/{}%", r.set_weight, r.actual_weight, m.weight),
            st,
        )],
    }
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
    let aborted = s.rollouts.iter().filter(|r| r.aborted).count();
    let degraded = s
        .rollouts
        .iter()
        .filter(|r| r.phase == RolloutPhase::Degraded && !r.aborted)
        .count();
    let mut extra = vec![Span::styled(format!("{} · ", s.rollouts.len()), t.muted)];
    for (n, what) in [(aborted, "aborted"), (degraded, "degraded")] {
        if n > 0 {
            extra.push(Span::styled(format!("{n} {what}"), t.error));
            extra.push(Span::styled(" · ", t.muted));
        }
    }
    extra.extend([
        Span::styled(
            format!("{canaries} canary · "),
            if canaries > 0 { t.canary } else { t.muted },
        ),
        Span::styled(
            format!("{paused} paused "),
            if paused > 0 { t.warn } else { t.muted },
        ),
    ]);
    let inner = pane_frame(frame, area, v, Pane::Rollouts, extra);
    let pos = &s.ui.lists[Pane::Rollouts];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Rollouts;
    let name_w = s.rollout_name_chars().clamp(7, 30) as u16 + 1;
    // With Istio routing, the weight the VirtualService gives the canary beside set/actual.
    let meshed =
        !s.virtual_services.is_empty() && s.rollouts.iter().any(|r| s.mesh_weight(r).is_some());
    let weight_w = if meshed { 13 } else { 8 };
    // Too narrow for every column up to PAUSE: the step bar goes (STEP still says where).
    let bar = name_w + 14 + 6 + 8 + weight_w + 1 + 8 <= inner.width;
    let mut spec = vec![Col::Fixed(name_w), Col::Fixed(13), Col::Fixed(5)];
    let mut names = vec!["ROLLOUT", "STATUS", "STEP"];
    if bar {
        spec.push(Col::Fixed(7));
        names.push("STEPS");
    }
    spec.extend([Col::Fixed(weight_w), Col::Fixed(8), Col::Flex(0)]);
    names.extend([
        if meshed { "SET/ACT/MESH" } else { "SET/ACT" },
        "PAUSE",
        "MESSAGE",
    ]);
    let cols = text::columns(inner, &spec, 1);
    let msg_w = cols.last().map_or(0, |c| c.1 as usize);
    let buf = frame.buffer_mut();
    super::list_header(buf, inner, &cols, &names, v, Pane::Rollouts);
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(r) = idx.get(k).map(|i| &s.rollouts[i]) else {
            continue;
        };
        let (phase, phase_st) = phase_cell(t, r);
        let mut cells = vec![
            vec![Span::styled(r.name.as_str(), t.text)],
            vec![Span::styled(phase, phase_st)],
            vec![Span::styled(
                r.step_text().unwrap_or_else(|| "—".into()),
                t.text,
            )],
        ];
        if bar {
            cells.push(timeline(t, r));
        }
        // A canary the cockpit judges worse says so here: not `promote?`, and its evidence
        // before the rollout's own message.
        let worse = s.canary_worse(r);
        let (pause, pause_st) = match (&worse, r.pause_state(s.now)) {
            (Some(_), Some(PauseState::UntilPromoted)) => ("✗ worse".to_string(), t.error),
            _ => (pause_text(r, s.now), t.warn),
        };
        let (msg, msg_st) = match &worse {
            Some(why) => (format!("✗ {why}"), t.error),
            None => (r.message.clone(), t.muted),
        };
        cells.extend([
            weight_spans(v, r),
            vec![Span::styled(pause, pause_st)],
            vec![Span::styled(
                if msg_w >= 6 {
                    ellipsize(&msg, msg_w)
                } else {
                    String::new()
                },
                msg_st,
            )],
        ]);
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row_spans(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}
