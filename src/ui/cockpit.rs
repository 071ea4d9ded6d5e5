//! The rollout cockpit: the screen on which to promote or abort.
//!
//! ```text
//! ┌ store: canary 7c9d… (1.5.0) vs stable 5f6b… (1.4.2) ───────────────────────┐
//! │ status · step · weight · pause                                              │
//! │ verdict: the concerns that argue for abort, or "no difference"              │
//! │ Steps          │ Routes: success, p95, RPS canary vs stable                 │
//! │                ├ CPU per pod canary/stable ─┬ Errors/min canary/stable ─────┤
//! │                ├ Analysis ──────────────────────────────────────────────────┤
//! └ keys ───────────────────────────────────────────────────────────────────────┘
//! ```

use super::rollouts::{phase_cell, weight_text};
use super::{View, ellipsize, fmt_ms, fmt_pct, fmt_rps, success_style};
use crate::model::{AnalysisPhase, CanaryStep, CpuSeries, PauseState, Rollout};
use crate::state::cockpit_view;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Paragraph, Row, Sparkline, Table};

pub fn draw(frame: &mut Frame, area: Rect, v: &View, namespace: &str, name: &str) {
    let s = v.state;
    let t = v.theme;
    let Some(r) = s.rollout(namespace, name) else {
        let block = Block::bordered()
            .border_type(BorderType::Thick)
            .border_style(t.border_focus);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "rollout {namespace}/{name} is gone (deleted or out of reach) — Esc goes back"
                ),
                t.error,
            )),
            inner,
        );
        return;
    };
    let cv = cockpit_view(s, r);
    let mut title = vec![Span::styled(format!(" {} ", r.name), t.title)];
    if !r.is_fully_promoted() {
        title.extend([
            Span::styled("canary ", t.canary),
            Span::styled(format!("{} ", tag_of(&r.canary_image)), t.canary),
            Span::styled(format!("{} ", r.canary_hash), t.muted),
            Span::styled("vs ", t.muted),
        ]);
    }
    title.extend([
        Span::styled("stable ", t.stable),
        Span::styled(format!("{} ", tag_of(&r.stable_image)), t.stable),
        Span::styled(format!("{} ", r.stable_hash), t.muted),
    ]);
    let title = Line::from(title);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(t.border_focus)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let concerns = cv.concerns.len().clamp(1, 3) as u16;
    let mid_h = (r.steps.len().max(cv.routes.len()) as u16 + 2).max(4);
    let [status, verdict, mid, bottom, analysis] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(concerns),
        Constraint::Length(mid_h),
        Constraint::Min(4),
        Constraint::Length(3),
    ])
    .areas(inner);

    let (phase, phase_st) = phase_cell(t, r);
    let mut st = vec![
        Span::styled(phase, phase_st),
        Span::styled(
            format!("  Step {}", r.step_text().unwrap_or_else(|| "—".into())),
            t.text,
        ),
        Span::styled(format!("  weight set/actual {}", weight_text(r)), t.canary),
        mesh_span(v, r),
        Span::styled(
            format!(
                "  pods {}/{} available, {} updated",
                r.replicas.available,
                r.replicas.current.max(r.replicas.desired),
                r.replicas.updated
            ),
            t.text,
        ),
    ];
    match r.pause_state(s.now) {
        Some(PauseState::UntilPromoted) => {
            st.push(Span::styled("  paused until promoted", t.warn));
        }
        Some(PauseState::Timed { remaining_secs }) => {
            st.push(Span::styled(
                format!("  resumes in {remaining_secs}s"),
                t.warn,
            ));
        }
        None => {}
    }
    if !r.message.is_empty() {
        st.push(Span::styled(format!("  {}", r.message), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(st)), status);

    let verdict_lines = if !r.canary_active() {
        vec![Line::styled(
            if r.aborted {
                "canary aborted: all traffic on stable (T retries the canary)"
            } else {
                "no canary in progress: stable serves all traffic"
            },
            t.muted,
        )]
    } else if let (true, Some(why)) = (cv.concerns.is_empty(), &cv.blind) {
        vec![Line::styled(
            ellipsize(
                &format!("? cannot judge the canary yet: {why}"),
                verdict.width as usize,
            ),
            t.warn,
        )]
    } else if cv.concerns.is_empty() {
        vec![Line::styled(
            "✓ canary looks like stable: no success, latency or error-rate difference",
            t.ok,
        )]
    } else {
        cv.concerns
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, c)| {
                Line::from(vec![
                    Span::styled(
                        if i == 0 {
                            "✗ canary worse: "
                        } else {
                            "                "
                        },
                        t.error,
                    ),
                    Span::styled(
                        ellipsize(c, verdict.width.saturating_sub(16) as usize),
                        t.error,
                    ),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(verdict_lines), verdict);

    let [steps_area, routes_area] =
        Layout::horizontal([Constraint::Length(24), Constraint::Min(20)]).areas(mid);
    draw_steps(frame, steps_area, v, r);
    draw_routes(frame, routes_area, v, &cv.routes);

    let [cpu_area, err_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(bottom);
    draw_pair(
        frame,
        cpu_area,
        v,
        "CPU cores per pod",
        series_values(cv.cpu_canary),
        series_values(cv.cpu_stable),
        "",
        2,
    );
    let (ec, es) = error_buckets(v, r);
    draw_pair(
        frame,
        err_area,
        v,
        "Errors/min (5m)",
        (
            ec.iter().map(|x| *x as f64).collect(),
            Some(cv.errors_canary),
        ),
        (
            es.iter().map(|x| *x as f64).collect(),
            Some(cv.errors_stable),
        ),
        "/min",
        1,
    );
    draw_analysis(frame, analysis, v, r);
}

fn tag_of(image: &str) -> &str {
    image.rsplit(':').next().unwrap_or(image)
}

fn draw_steps(frame: &mut Frame, area: Rect, v: &View, r: &Rollout) {
    let t = v.theme;
    let block = Block::default()
        .borders(Borders::RIGHT)
        .border_style(t.border)
        .title(Span::styled("Steps", t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cur = r.current_step_index.unwrap_or(0);
    let mut lines = Vec::new();
    for (i, step) in r.steps.iter().enumerate() {
        let (mark, st) = if i < cur || r.is_fully_promoted() {
            ("✓", t.ok)
        } else if i == cur && r.aborted {
            ("✗", t.error)
        } else if i == cur {
            (
                match step {
                    CanaryStep::Pause(_) => "⏸",
                    CanaryStep::Analysis(_) => "◆",
                    _ => "▶",
                },
                t.canary,
            )
        } else {
            ("·", t.muted)
        };
        let label = format!("{mark} {i} {}", step.label());
        let line = if i == cur && !r.is_fully_promoted() {
            Line::from(vec![Span::styled(label, st), Span::styled(" ◀", t.canary)])
        } else {
            Line::styled(label, if i < cur { t.muted } else { st })
        };
        lines.push(line);
    }
    if r.is_fully_promoted() {
        lines.push(Line::styled("✓ fully promoted", t.ok));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_routes(frame: &mut Frame, area: Rect, v: &View, routes: &[&crate::model::RouteStats]) {
    let t = v.theme;
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    if routes.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no route metrics for this service", t.muted)),
            area,
        );
        return;
    }
    let rows: Vec<Row> = routes
        .iter()
        .map(|r| {
            let (c, s) = (r.canary.as_ref(), r.stable.as_ref().unwrap_or(&r.overall));
            let cs = c.and_then(|c| c.effective_success);
            Row::new(vec![
                Cell::from(r.route.as_str()),
                Cell::from(Line::from(vec![
                    Span::styled(
                        c.map(|_| fmt_pct(cs)).unwrap_or_else(|| "—".into()),
                        success_style(t, cs).patch(t.canary),
                    ),
                    Span::styled(" / ", t.muted),
                    Span::styled(
                        fmt_pct(s.effective_success),
                        success_style(t, s.effective_success),
                    ),
                ])),
                Cell::from(Line::from(vec![
                    Span::styled(
                        c.map(|c| fmt_ms(c.p95_ms)).unwrap_or_else(|| "—".into()),
                        t.canary,
                    ),
                    Span::styled(" / ", t.muted),
                    Span::styled(fmt_ms(s.p95_ms), t.stable),
                ])),
                Cell::from(Line::from(vec![
                    Span::styled(
                        c.map(|c| fmt_rps(c.rps)).unwrap_or_else(|| "—".into()),
                        t.canary,
                    ),
                    Span::styled(" / ", t.muted),
                    Span::styled(fmt_rps(s.rps), t.stable),
                ])),
            ])
        })
        .collect();
    let route_w = routes
        .iter()
        .map(|r| r.route.len())
        .max()
        .unwrap_or(5)
        .max(5) as u16;
    let table = Table::new(
        rows,
        [
            Constraint::Length(route_w),
            Constraint::Length(15),
            Constraint::Length(13),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(["ROUTE", "SUCCESS c / s", "P95 ms c / s", "RPS c / s"]).style(t.muted))
    .column_spacing(1);
    frame.render_widget(table, area);
}

/// The mesh's own weight for the canary, when a VirtualService carries it.
fn mesh_span<'a>(v: &View, r: &Rollout) -> Span<'a> {
    let t = v.theme;
    match v.state.mesh_weight(r) {
        None => Span::raw(""),
        Some(_) if !r.canary_active() => Span::raw(""),
        Some(m) if m.weight != r.actual_weight => Span::styled(
            format!(
                "  ≠ mesh {}% in {} (the VirtualService disagrees)",
                m.weight, m.virtual_service
            ),
            t.error,
        ),
        Some(m) if m.inconsistent => Span::styled(
            format!("  ≠ mesh {}%: the VirtualServices disagree", m.weight),
            t.error,
        ),
        Some(m) => Span::styled(format!("  mesh {}%", m.weight), t.canary),
    }
}

fn series_values(s: Option<&CpuSeries>) -> (Vec<f64>, Option<f64>) {
    match s {
        Some(s) => (s.points.iter().map(|p| p.1).collect(), s.last()),
        None => (Vec::new(), None),
    }
}

/// ERROR lines per minute in thirty 10-second buckets over the last five minutes, per track
/// (counted as the lines arrived: nothing here scans the log ring).
fn error_buckets(v: &View, r: &Rollout) -> (Vec<u64>, Vec<u64>) {
    let (c, st) = v.state.log_counts.buckets(&r.name, v.state.now, 10, 30);
    let per_min = |b: Vec<u64>| b.into_iter().map(|n| n * 6).collect();
    (per_min(c), per_min(st))
}

#[allow(clippy::too_many_arguments)]
fn draw_pair(
    frame: &mut Frame,
    area: Rect,
    v: &View,
    title: &str,
    canary: (Vec<f64>, Option<f64>),
    stable: (Vec<f64>, Option<f64>),
    unit: &str,
    decimals: usize,
) {
    let t = v.theme;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border)
        .title(Span::styled(title.to_string(), t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let max = canary
        .0
        .iter()
        .chain(&stable.0)
        .fold(0.0_f64, |a, b| a.max(*b));
    let halves = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(inner);
    for (i, (label, (vals, cur), style)) in
        [("canary", canary, t.canary), ("stable", stable, t.stable)]
            .into_iter()
            .enumerate()
    {
        let half = halves[i];
        if half.height == 0 {
            continue;
        }
        let [l, sp] = Layout::horizontal([Constraint::Length(14), Constraint::Min(3)]).areas(half);
        let text = match cur {
            Some(x) => format!("{x:.decimals$}{unit}"),
            None => "—".to_string(),
        };
        frame.render_widget(
            Paragraph::new(vec![Line::styled(label, style), Line::styled(text, style)]),
            l,
        );
        let w = sp.width as usize;
        let data: Vec<u64> = vals
            .iter()
            .rev()
            .take(w)
            .rev()
            .map(|x| (x * 1000.0) as u64)
            .collect();
        frame.render_widget(
            Sparkline::default()
                .data(data)
                .max(((max * 1000.0) as u64).max(1))
                .style(style),
            sp,
        );
    }
}

fn draw_analysis(frame: &mut Frame, area: Rect, v: &View, r: &Rollout) {
    let t = v.theme;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border)
        .title(Span::styled("Analysis", t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let line = match &r.analysis {
        None => {
            let has = r.steps.iter().any(|s| matches!(s, CanaryStep::Analysis(_)));
            Line::styled(
                if has {
                    "analysis has not run for this revision yet"
                } else {
                    "no analysis step in this rollout"
                },
                t.muted,
            )
        }
        Some(a) => {
            let st = match a.phase {
                AnalysisPhase::Successful => t.ok,
                AnalysisPhase::Failed | AnalysisPhase::Error => t.error,
                AnalysisPhase::Inconclusive => t.warn,
                _ => t.info,
            };
            let mut spans = vec![Span::styled(
                format!("{} {} ", a.name, a.phase.as_str()),
                st,
            )];
            for m in &a.metrics {
                spans.push(Span::styled(
                    format!(
                        "· {}: {} measured {}✓ {}✗, last {} (needs {}) ",
                        m.name,
                        m.count,
                        m.successful,
                        m.failed,
                        if m.last_value.is_empty() {
                            "—"
                        } else {
                            &m.last_value
                        },
                        m.condition
                    ),
                    t.text,
                ));
            }
            if !a.message.is_empty() {
                spans.push(Span::styled(a.message.clone(), t.muted));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(
        Paragraph::new(line).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}
