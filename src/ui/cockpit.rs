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
use crate::model::{AnalysisPhase, CanaryStep, CpuSeries, PauseState, Rollout, fmt_requests};
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
            Span::styled(format!("{} ", version(&r.canary_image)), t.canary),
            Span::styled(format!("{} ", r.canary_hash), t.muted),
            Span::styled("vs ", t.muted),
        ]);
    }
    title.extend([
        Span::styled("stable ", t.stable),
        Span::styled(format!("{} ", version(&r.stable_image)), t.stable),
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
    // Narrow: the routes take the row and the steps go (STEP in the status line says where).
    let steps_w = if inner.width >= 24 + 72 { 24 } else { 0 };
    let mid_h = if steps_w > 0 {
        (r.steps.len().max(cv.routes.len()) as u16 + 2).max(4)
    } else {
        cv.routes.len().max(1) as u16 + 1
    };
    // What gives way on a small screen, first to last: the charts, the analysis, then the
    // steps and routes; the status line and the verdict stay.
    // The status line, the pods line, the verdict.
    let mut room = inner.height.saturating_sub(2 + concerns);
    let mid_h = mid_h.min(room);
    room -= mid_h;
    // The analysis: its lines (the run, each metric, its query) and the rule above them.
    let wanted = analysis_lines(v, r).len() as u16 + 1;
    let mut analysis_h = if room >= 3 {
        wanted.clamp(3, 8).min(room)
    } else {
        0
    };
    room -= analysis_h;
    // The worst traces: a rule and a row each (at most six), while the charts keep five rows
    // (the traces come before the charts' extra height), or in what the charts would not use.
    let traces_wanted = s.cockpit_hits().map_or(1, |h| {
        h.hits.len().max(1) + usize::from(h.error.is_some() && !h.hits.is_empty())
    }) as u16
        + 1;
    let traces_h = if room >= 7 {
        traces_wanted.min(7).min(room - 5)
    } else if (2..5).contains(&room) {
        traces_wanted.min(room)
    } else {
        0
    };
    room -= traces_h;
    let charts_h = if room >= 5 { room } else { 0 };
    if charts_h == 0 {
        // No room for the charts: the analysis takes what is left.
        analysis_h += room;
    }
    let [status, pods, verdict, mid, bottom, analysis, traces] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(concerns),
        Constraint::Length(mid_h),
        Constraint::Length(charts_h),
        Constraint::Length(analysis_h),
        Constraint::Length(traces_h),
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
        // Held by a user, a timed pause does not end by itself: its clock says nothing.
        Some(PauseState::Timed { .. }) if r.user_paused => {}
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
    if pods.height > 0 {
        let pod_line = super::pods::summary_spans(v, r);
        super::text::put_spans(frame.buffer_mut(), pods.x, pods.y, &pod_line, pods.width);
    }

    let verdict_lines = if let Some(why) = &r.invalid {
        vec![Line::styled(
            ellipsize(
                &format!("✗ this Rollout cannot be read: {why}"),
                verdict.width as usize,
            ),
            t.error,
        )]
    } else if !r.canary_active() {
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
        Layout::horizontal([Constraint::Length(steps_w), Constraint::Min(20)]).areas(mid);
    if steps_w > 0 {
        draw_steps(frame, steps_area, v, r);
    }
    draw_routes(frame, routes_area, v, &cv.routes);

    if bottom.height > 0 {
        let [cpu_area, err_area] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .spacing(2)
                .areas(bottom);
        let cpu_window = i64::from(s.ui.cpu.secs());
        let now = s.now.timestamp();
        draw_pair(
            frame,
            cpu_area,
            v,
            Pair {
                title: "CPU cores per pod",
                window: cpu_window,
                canary: cpu_columns(cv.cpu_canary, now, cpu_window, chart_width(cpu_area)),
                stable: cpu_columns(cv.cpu_stable, now, cpu_window, chart_width(cpu_area)),
                now: (
                    cv.cpu_canary.and_then(CpuSeries::last),
                    cv.cpu_stable.and_then(CpuSeries::last),
                ),
                now_label: "now",
                unit: "",
                decimals: 2,
                floor: 0.05,
                verdict: None,
            },
        );
        let (ec, es) = error_buckets(v, r);
        let errors_verdict = cv.errors.as_ref().map(|e| {
            use crate::model::stats::Verdict;
            match e.verdict {
                Verdict::Worse => (
                    format!(
                        "canary worse: {:.0} vs {:.0} lines ({})",
                        e.canary,
                        e.stable,
                        crate::state::fmt_p(e.p)
                    ),
                    t.error,
                ),
                Verdict::NoEvidence => (
                    format!(
                        "no evidence of harm: {:.0} vs {:.0} lines",
                        e.canary, e.stable
                    ),
                    t.ok,
                ),
                Verdict::NotEnough { .. } => (
                    format!(
                        "{:.0} vs {:.0} lines: too few to compare",
                        e.canary, e.stable
                    ),
                    t.warn,
                ),
            }
        });
        let per_min = |b: Vec<u64>| b.into_iter().map(|n| Some(n as f64)).collect();
        draw_pair(
            frame,
            err_area,
            v,
            Pair {
                title: "Errors/min",
                window: 300,
                canary: per_min(ec),
                stable: per_min(es),
                now: (Some(cv.errors_canary), Some(cv.errors_stable)),
                now_label: "5m avg",
                unit: "/min",
                decimals: 1,
                // One error in a 10 s bar is 6/min: a fifth of the height at most.
                floor: 30.0,
                verdict: errors_verdict,
            },
        );
    }
    if analysis.height > 0 {
        draw_analysis(frame, analysis, v, r);
    }
    if traces.height > 0 {
        draw_traces(frame, traces, v);
    }
}

/// The worst recent traces of the service, canary and stable: errors first, then the
/// slowest; j/k choose one (the list scrolls to it), Enter opens it.
fn draw_traces(frame: &mut Frame, area: Rect, v: &View) {
    use super::text::put;
    let s = v.state;
    let t = v.theme;
    let buf = frame.buffer_mut();
    let (x, w) = (area.x, area.width);
    let held = s.cockpit_hits();
    let slow = held
        .map(|h| h.ask.min_duration_ms)
        .filter(|&ms| ms > 0)
        .map_or(String::new(), |ms| format!(" over {ms}ms"));
    let head = format!("─ worst traces: errors, then slowest{slow}, last 15 min · j/k Enter ");
    let fill = usize::from(w).saturating_sub(head.chars().count());
    put(
        buf,
        x,
        area.y,
        &format!("{head}{}", "─".repeat(fill)),
        w,
        t.muted,
    );
    let mut y = area.y + 1;
    let Some(h) = held.filter(|h| h.searched) else {
        put(buf, x, y, "searching the trace store…", w, t.muted);
        return;
    };
    if let Some(e) = &h.error {
        let text = if h.hits.is_empty() {
            format!("✗ {e}")
        } else {
            format!("✗ cannot search now ({e}): these were found before")
        };
        put(buf, x, y, &text, w, t.error);
        y += 1;
    }
    if h.hits.is_empty() && h.error.is_none() {
        put(
            buf,
            x,
            y,
            &format!("✓ no failing or slow traces of {}", h.ask.service),
            w,
            t.ok,
        );
        return;
    }
    // The rows there is room for, scrolled so the selected one is among them.
    let room = usize::from(area.bottom().saturating_sub(y)).max(1);
    let first = s.ui.cockpit_trace.saturating_sub(room - 1);
    for (i, hit) in h.hits.iter().enumerate().skip(first) {
        if y >= area.bottom() {
            break;
        }
        let selected = i == s.ui.cockpit_trace;
        let base = if selected {
            t.selection
        } else {
            ratatui::style::Style::default()
        };
        let (track, track_st) = match hit.track {
            Some(crate::model::Track::Canary) => ("canary", t.canary),
            Some(crate::model::Track::Stable) => ("stable", t.stable),
            None => ("?     ", t.muted),
        };
        let spans = [
            Span::styled(if selected { "▶ " } else { "  " }, t.accent.patch(base)),
            Span::styled(if hit.error { "✗ " } else { "  " }, t.error.patch(base)),
            Span::styled(format!("{track} "), track_st.patch(base)),
            Span::styled(
                format!("{:>7} ", super::trace::fmt_us(hit.duration_us)),
                t.text.patch(base),
            ),
            Span::styled(format!("{}  ", hit.root), t.text.patch(base)),
            Span::styled(format!("{} ", hit.pod), t.muted.patch(base)),
            Span::styled(
                hit.trace_id.get(..8).unwrap_or(&hit.trace_id),
                t.muted.patch(base),
            ),
        ];
        if selected {
            buf.set_style(Rect::new(x, y, w, 1), t.selection);
        }
        super::text::put_spans(buf, x, y, &spans, w);
        y += 1;
    }
}

fn version(image: &str) -> String {
    crate::model::image_version(image).unwrap_or_default()
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
    let window = v.state.ui.routes.secs();
    let route_w = routes
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.route.as_str()))
        .max()
        .unwrap_or(5)
        .max(5) as u16;
    // Columns by importance: the route, its success, the sample behind it, then latency and
    // rate; what does not fit goes, the route is cut last (with …).
    const SUCCESS: usize = 0;
    const REQS: usize = 1;
    const P95: usize = 2;
    const RPS: usize = 3;
    const VERDICT: usize = 4;
    let widths = [15u16, 13, 13, 11, 24];
    let mut shown = [false; 5];
    // The route keeps up to 20 columns before latency and rate give way; below that it is
    // cut only for success, the sample and the verdict.
    let keep = |k: usize| if k == P95 || k == RPS { 20 } else { 12 };
    let mut used = 0;
    for k in [SUCCESS, VERDICT, REQS, P95, RPS] {
        if used + route_w.min(keep(k)) + 1 + widths[k] <= area.width {
            used += 1 + widths[k];
            shown[k] = true;
        }
    }
    let route_w = route_w.min(area.width.saturating_sub(used));
    let order = [SUCCESS, REQS, VERDICT, P95, RPS];
    let pair = |c: String, cst, s: String, sst| {
        Cell::from(Line::from(vec![
            Span::styled(c, cst),
            Span::styled(" / ", t.muted),
            Span::styled(s, sst),
        ]))
    };
    let rows: Vec<Row> = routes
        .iter()
        .map(|r| {
            let (c, s) = (r.canary.as_ref(), r.stable.as_ref().unwrap_or(&r.overall));
            let cs = c.and_then(|c| c.effective_success);
            // Once per row: the P95 and verdict cells both read it.
            let latency = v.state.latency_comparison(r);
            let dash = || "—".to_string();
            let cell = |k: usize| match k {
                SUCCESS => pair(
                    c.map(|_| fmt_pct(cs)).unwrap_or_else(dash),
                    success_style(t, cs).patch(t.canary),
                    fmt_pct(s.effective_success),
                    success_style(t, s.effective_success),
                ),
                P95 => pair(
                    c.map(|c| fmt_ms(c.p95_ms)).unwrap_or_else(dash),
                    if latency
                        .as_ref()
                        .is_some_and(|l| l.verdict == crate::model::stats::Verdict::Worse)
                    {
                        t.error
                    } else {
                        t.canary
                    },
                    fmt_ms(s.p95_ms),
                    t.stable,
                ),
                RPS => pair(
                    c.map(|c| fmt_rps(c.rps)).unwrap_or_else(dash),
                    t.canary,
                    fmt_rps(s.rps),
                    t.stable,
                ),
                VERDICT => verdict_cell(v, r, latency.as_ref()),
                // The sample behind the rates: requests in the window.
                _ => pair(
                    c.map(|c| fmt_requests(c.rps, window)).unwrap_or_else(dash),
                    t.canary,
                    fmt_requests(s.rps, window),
                    t.stable,
                ),
            };
            let mut cells = vec![Cell::from(ellipsize(&r.route, route_w as usize))];
            cells.extend(order.iter().filter(|k| shown[**k]).map(|k| cell(*k)));
            Row::new(cells)
        })
        .collect();
    let names = [
        "SUCCESS c / s".to_string(),
        format!("REQS/{}", super::fmt_window(window)),
        "P95 ms c / s".to_string(),
        "RPS c / s".to_string(),
        "CANARY VS STABLE".to_string(),
    ];
    let mut header = vec!["ROUTE".to_string()];
    let mut constraints = vec![Constraint::Length(route_w)];
    for k in order.iter().filter(|k| shown[**k]) {
        header.push(names[*k].clone());
        constraints.push(Constraint::Length(widths[*k]));
    }
    let table = Table::new(rows, constraints)
        .header(Row::new(header).style(t.muted))
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// What the counts say of the canary on a route: `worse +7.8 pts (6.4–9.3)`, `slower 66% of
/// pairs` (latency), `no harm +0.1 pts`, `need 1511 more`, or `—` without a canary/stable
/// split.
fn verdict_cell<'a>(
    v: &View,
    r: &crate::model::RouteStats,
    latency: Option<&crate::model::latency::LatencyComparison>,
) -> Cell<'a> {
    use crate::model::stats::Verdict;
    let t = v.theme;
    let Some(c) = v.state.route_comparison(r) else {
        return Cell::from(Span::styled("—", t.muted));
    };
    // Success first; then latency, judged on the histograms.
    if c.verdict != Verdict::Worse
        && let Some(l) = latency.filter(|l| l.verdict == Verdict::Worse)
    {
        return Cell::from(Span::styled(
            format!("slower {:.0}% of pairs", l.a * 100.0),
            t.error,
        ));
    }
    let verdict = crate::model::stats::both(&c.verdict, latency.map(|l| &l.verdict));
    let (text, st) = match verdict {
        Verdict::Worse => (
            format!(
                "worse {:+.1} ({:.1}–{:.1})",
                c.diff * 100.0,
                c.low * 100.0,
                c.high * 100.0
            ),
            t.error,
        ),
        Verdict::NoEvidence => (format!("no harm {:+.1} pts", c.diff * 100.0), t.ok),
        Verdict::NotEnough { more_requests, .. } => {
            (format!("need {more_requests} more req"), t.warn)
        }
    };
    Cell::from(Span::styled(text, st))
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

/// The columns a chart of `area` plots (its label column aside).
fn chart_width(area: Rect) -> usize {
    area.width.saturating_sub(LABEL_W) as usize
}

const LABEL_W: u16 = 14;

/// A CPU series on the chart's time axis: `width` columns over the `window` seconds before
/// `now`, the newest at the right edge; a column without a sample is absent (not zero), so a
/// canary that started two minutes ago draws only its last two minutes.
fn cpu_columns(s: Option<&CpuSeries>, now: i64, window: i64, width: usize) -> Vec<Option<f64>> {
    let mut cols = vec![None; width];
    let Some(s) = s else {
        return cols;
    };
    if width == 0 || window <= 0 {
        return cols;
    }
    for (ts, val) in &s.points {
        let age = now - ts;
        if !(0..window).contains(&age) {
            continue;
        }
        let k = width - 1 - ((age as i128 * width as i128) / window as i128) as usize;
        let c = &mut cols[k.min(width - 1)];
        *c = Some(c.map_or(*val, |x: f64| x.max(*val)));
    }
    // Columns finer than the samples: each sample holds until the next one is due.
    if let (Some(a), Some(b)) = (s.points.first(), s.points.last())
        && s.points.len() > 1
    {
        let step = (b.0 - a.0) as f64 / (s.points.len() - 1) as f64;
        let hold = (step * width as f64 / window as f64).ceil() as usize;
        let mut last: Option<(usize, f64)> = None;
        for (k, c) in cols.iter_mut().enumerate() {
            match (*c, last) {
                (Some(x), _) => last = Some((k, x)),
                (None, Some((at, x))) if k - at < hold => *c = Some(x),
                _ => {}
            }
        }
    }
    cols
}

/// ERROR lines per minute in thirty 10-second buckets over the last five minutes, per track
/// (counted as the lines arrived: nothing here scans the log ring).
fn error_buckets(v: &View, r: &Rollout) -> (Vec<u64>, Vec<u64>) {
    let (c, st) = v.state.log_counts.buckets(&r.name, v.state.now, 10, 30);
    let per_min = |b: Vec<u64>| b.into_iter().map(|n| n * 6).collect();
    (per_min(c), per_min(st))
}

/// `vals` (evenly spaced in time) over `w` columns: each column shows the largest value of
/// the ones that fall in it, a value covering several columns fills them all.
fn spread(vals: &[Option<f64>], w: usize) -> Vec<Option<f64>> {
    let n = vals.len();
    if n == w || n == 0 || w == 0 {
        return vals
            .iter()
            .copied()
            .chain(std::iter::repeat(None))
            .take(w)
            .collect();
    }
    (0..w)
        .map(|k| {
            let (a, b) = (k * n / w, ((k + 1) * n).div_ceil(w).max(k * n / w + 1));
            vals[a..b.min(n)].iter().flatten().copied().reduce(f64::max)
        })
        .collect()
}

/// Canary above stable on one time axis (the window's start at the left, now at the right)
/// and one y scale, which the title states.
struct Pair<'a> {
    title: &'a str,
    window: i64,
    /// Oldest first, the newest at the right edge; fewer values than columns are right-aligned.
    canary: Vec<Option<f64>>,
    stable: Vec<Option<f64>>,
    /// The number beside each chart, and what it is (`now`, `5m avg`).
    now: (Option<f64>, Option<f64>),
    now_label: &'a str,
    unit: &'a str,
    decimals: usize,
    /// The least the scale reaches, so a trickle does not draw full-height bars.
    floor: f64,
    /// What the counts say of canary against stable, beside the title.
    verdict: Option<(String, ratatui::style::Style)>,
}

fn draw_pair(frame: &mut Frame, area: Rect, v: &View, p: Pair) {
    let t = v.theme;
    let max = p
        .canary
        .iter()
        .chain(&p.stable)
        .flatten()
        .fold(p.floor, |a, b| a.max(*b));
    // The verdict before the scale: a narrow chart cuts the scale first.
    let head = format!("{} · {} ", p.title, super::fmt_window(p.window as u32));
    let scale = format!("scale 0–{:.prec$}{} ", max, p.unit, prec = p.decimals);
    let mut parts = vec![(head, t.title)];
    if let Some((text, st)) = &p.verdict {
        parts.push(("· ".into(), t.title));
        parts.push((format!("{text} "), *st));
    }
    parts.push((format!("· {scale}"), t.title));
    let mut room = area.width as usize;
    let mut spans = Vec::new();
    for (text, st) in parts {
        if room < 2 {
            break;
        }
        let w = unicode_width::UnicodeWidthStr::width(text.as_str());
        spans.push(Span::styled(ellipsize(&text, room), st));
        room = room.saturating_sub(w);
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border)
        .title(Line::from(spans));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    // The last row is the shared time axis.
    let charts = Rect {
        height: inner.height - 1,
        ..inner
    };
    let axis = Rect {
        y: inner.bottom() - 1,
        height: 1,
        ..inner
    };
    let halves = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).split(charts);
    for (i, (label, vals, cur, style)) in [
        ("canary", &p.canary, p.now.0, t.canary),
        ("stable", &p.stable, p.now.1, t.stable),
    ]
    .into_iter()
    .enumerate()
    {
        let half = halves[i];
        if half.height == 0 {
            continue;
        }
        let [l, sp] =
            Layout::horizontal([Constraint::Length(LABEL_W), Constraint::Min(3)]).areas(half);
        let text = match cur {
            Some(x) => format!("{x:.prec$}{}", p.unit, prec = p.decimals),
            None => "—".to_string(),
        };
        let lines = if half.height == 1 {
            vec![Line::styled(format!("{label} {text}"), style)]
        } else {
            vec![
                Line::styled(label, style),
                Line::styled(text, style),
                Line::styled(p.now_label, t.muted),
            ]
        };
        frame.render_widget(Paragraph::new(lines), l);
        let w = sp.width as usize;
        // The whole window over the whole width, oldest at the left, newest at the right, so
        // the axis below (`-5m … now`) is true whatever the width.
        let data: Vec<Option<u64>> = spread(vals, w)
            .into_iter()
            .map(|x| x.map(|x| (x * 1000.0) as u64))
            .collect();
        frame.render_widget(
            Sparkline::default()
                .data(data)
                .max(((max * 1000.0) as u64).max(1))
                .absent_value_symbol(" ")
                .style(style),
            sp,
        );
    }
    let plot_x = axis.x + LABEL_W;
    let plot_w = axis.width.saturating_sub(LABEL_W);
    let buf = frame.buffer_mut();
    let left = format!("-{}", super::fmt_window(p.window as u32));
    super::text::put(buf, plot_x, axis.y, &left, plot_w, t.muted);
    if plot_w >= 10 {
        super::text::put(buf, plot_x + plot_w - 3, axis.y, "now", 3, t.muted);
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
    let lines = analysis_lines(v, r);
    let buf = frame.buffer_mut();
    for (i, spans) in lines.iter().take(inner.height as usize).enumerate() {
        super::text::put_spans(buf, inner.x, inner.y + i as u16, spans, inner.width);
    }
}

/// `  now: canary 0.46 ✗ · stable 0.01 ✓ (the same query for stable)`: the metric's query run
/// again now, judged by its conditions where they are simple.
fn replay_line<'a>(
    v: &View,
    m: &crate::model::MetricResult,
    rp: &crate::model::replay::Replay,
    q: &crate::model::replay::ReplayQuery,
) -> Vec<Span<'a>> {
    use crate::model::replay::holds;
    let t = v.theme;
    let judged = |a: &crate::model::replay::Answer, who: &str, st| -> Vec<Span<'a>> {
        match a {
            Err(e) => vec![Span::styled(format!("{who} ✗ {e}"), t.error)],
            Ok(vals) if vals.is_empty() => vec![Span::styled(format!("{who} no data"), t.muted)],
            Ok(vals) => {
                let shown: Vec<String> = vals.iter().take(3).map(|x| format!("{x:.3}")).collect();
                let pass = holds(&m.condition, vals);
                let fail = holds(&m.failure_condition, vals);
                let (mark, mst) = match (pass, fail) {
                    (_, Some(true)) | (Some(false), None) => (" ✗ would fail", t.error),
                    (Some(true), _) => (" ✓ would pass", t.ok),
                    (Some(false), Some(false)) => (" ? inconclusive", t.warn),
                    _ => ("", t.muted),
                };
                vec![
                    Span::styled(format!("{who} {}", shown.join(" ")), st),
                    Span::styled(mark, mst),
                ]
            }
        }
    };
    let mut out = vec![Span::styled("  now: ", t.muted)];
    out.extend(judged(&rp.canary, "canary", t.canary));
    out.push(Span::styled(" · ", t.muted));
    match &rp.stable {
        Some(a) => out.extend(judged(a, "stable", t.stable)),
        None => {
            let why = q
                .stable
                .as_ref()
                .err()
                .map_or("no query for stable", String::as_str);
            out.push(Span::styled(format!("stable: {why}"), t.muted));
        }
    }
    out
}

fn phase_style(t: &crate::theme::Theme, p: AnalysisPhase) -> ratatui::style::Style {
    match p {
        AnalysisPhase::Successful => t.ok,
        AnalysisPhase::Failed | AnalysisPhase::Error => t.error,
        AnalysisPhase::Inconclusive => t.warn,
        _ => t.info,
    }
}

/// The glyphs of a one-row chart, lowest to highest.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A measurement's number: `0.97`, `[0.97]`, `[0.97 0.5]` (the first); None for others.
fn measured(value: &str) -> Option<f64> {
    let v = value.trim().trim_start_matches('[').trim_end_matches(']');
    v.split([' ', ','])
        .next()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// `  ▃▅▇█▇▂ against ▆ 0.95 (passes ≥)`: the metric's measurements, oldest first, each a bar
/// as high as its value and coloured by its phase, beside the bar its threshold would be;
/// none without two numbers or a simple condition to draw.
fn chart_line<'a>(v: &View, m: &crate::model::MetricResult) -> Option<Vec<Span<'a>>> {
    use crate::model::replay::threshold;
    let t = v.theme;
    let (rule, (op, limit)) = threshold(&m.condition)
        .map(|x| ("passes", x))
        .or_else(|| threshold(&m.failure_condition).map(|x| ("fails", x)))?;
    let points: Vec<(f64, AnalysisPhase)> = m
        .measurements
        .iter()
        .filter_map(|x| measured(&x.value).map(|n| (n, x.phase)))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let lo = points.iter().map(|p| p.0).fold(limit, f64::min);
    let hi = points.iter().map(|p| p.0).fold(limit, f64::max);
    let level = |x: f64| {
        let i = if hi > lo {
            ((x - lo) / (hi - lo) * 7.0).round() as usize
        } else {
            3
        };
        LEVELS[i.min(7)].to_string()
    };
    let mut out = vec![Span::styled("  ", t.muted)];
    for (x, phase) in &points {
        out.push(Span::styled(level(*x), phase_style(t, *phase)));
    }
    out.push(Span::styled(" against ", t.muted));
    out.push(Span::styled(level(limit), t.text));
    out.push(Span::styled(
        format!(" {limit} ({rule} {op}) · {lo:.3}–{hi:.3}"),
        t.muted,
    ));
    Some(out)
}

/// Every run of the revision, the one the status names first; per run its kind, name and
/// phase, then per metric: its measurements (newest last, coloured by phase) against its
/// condition, its counters against their limits in words, when the next is due; the chart of
/// its history against its threshold; the resolved query; an errored measurement's message.
fn analysis_lines<'a>(v: &View, r: &Rollout) -> Vec<Vec<Span<'a>>> {
    let t = v.theme;
    if r.analysis.is_none() && r.more_analyses.is_empty() {
        let has = r.steps.iter().any(|s| matches!(s, CanaryStep::Analysis(_)));
        return vec![vec![Span::styled(
            if has {
                "analysis has not run for this revision yet"
            } else {
                "no analysis step in this rollout"
            },
            t.muted,
        )]];
    }
    let mut out = Vec::new();
    // Replays of what is asked now only (none once the canary is gone).
    let asked = v.state.replay_queries();
    for a in r.analyses() {
        let mut head = vec![
            Span::styled(format!("{} ", a.kind.words(a.step)), t.muted),
            Span::styled(
                format!("{} {}", a.name, a.phase.as_str()),
                phase_style(t, a.phase),
            ),
        ];
        if !a.message.is_empty() {
            head.push(Span::styled(format!("  {}", a.message), t.muted));
        }
        out.push(head);
        let current = r.analysis.as_ref().is_some_and(|c| c.name == a.name);
        for m in &a.metrics {
            metric_lines(v, r, m, current.then_some(&asked[..]), &mut out);
        }
    }
    out
}

/// One metric's lines; `asked` the replays asked for (the current run's only).
fn metric_lines<'a>(
    v: &View,
    r: &Rollout,
    m: &crate::model::MetricResult,
    asked: Option<&[crate::model::replay::ReplayQuery]>,
    out: &mut Vec<Vec<Span<'a>>>,
) {
    let t = v.theme;
    let mut line = vec![Span::styled(format!("{} ", m.name), t.text)];
    if m.dry_run {
        line.push(Span::styled("dry run ", t.muted));
    }
    if !m.provider.is_empty() {
        line.push(Span::styled(format!("({}) ", m.provider), t.muted));
    }
    for x in m.measurements.iter().rev().take(8).rev() {
        let value = x.value.trim_start_matches('[').trim_end_matches(']');
        let mark = match x.phase {
            AnalysisPhase::Successful => "✓",
            AnalysisPhase::Failed => "✗",
            AnalysisPhase::Error => "!",
            AnalysisPhase::Inconclusive => "?",
            _ => "·",
        };
        line.push(Span::styled(
            format!("{mark}{} ", if value.is_empty() { "—" } else { value }),
            phase_style(t, x.phase),
        ));
    }
    if m.measurements.is_empty() && !m.last_value.is_empty() {
        line.push(Span::styled(format!("last {} ", m.last_value), t.text));
    }
    let mut needs = Vec::new();
    if !m.condition.is_empty() {
        needs.push(format!("passes when {}", m.condition));
    }
    if !m.failure_condition.is_empty() {
        needs.push(format!("fails when {}", m.failure_condition));
    }
    if !needs.is_empty() {
        line.push(Span::styled(format!("· {} ", needs.join(", ")), t.muted));
    }
    line.push(Span::styled(
        format!("· {}", m.standing()),
        phase_style(t, m.phase),
    ));
    if let Some(s) = m.next_due(v.state.now) {
        line.push(Span::styled(format!(" · next in {s}s"), t.muted));
    }
    out.push(line);
    if let Some(chart) = chart_line(v, m) {
        out.push(chart);
    }
    let replay = v
        .state
        .replays
        .iter()
        .find(|x| x.namespace == r.namespace && x.rollout == r.name && x.metric == m.name);
    if let Some(rp) = replay
        && let Some(q) = asked.and_then(|a| a.iter().find(|q| q.metric == m.name))
    {
        out.push(replay_line(v, m, rp, q));
    }
    if !m.resolved_query.is_empty() {
        let q: String = m
            .resolved_query
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(vec![Span::styled(format!("  query: {q}"), t.muted)]);
    }
    let errored = m
        .measurements
        .iter()
        .rev()
        .find(|x| x.phase == AnalysisPhase::Error && !x.message.is_empty());
    if let Some(x) = errored {
        out.push(vec![Span::styled(
            format!("  error: {}", x.message),
            t.error,
        )]);
    } else if !m.message.is_empty() {
        out.push(vec![Span::styled(format!("  {}", m.message), t.muted)]);
    }
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn buckets_spread_over_the_whole_width() {
        let v: Vec<Option<f64>> = (0..30).map(|i| Some(f64::from(i))).collect();
        let wide = spread(&v, 60);
        assert_eq!(wide.len(), 60);
        assert_eq!(
            (wide[0], wide[1], wide[59]),
            (Some(0.0), Some(0.0), Some(29.0))
        );
        let narrow = spread(&v, 10);
        assert_eq!(narrow.len(), 10);
        assert_eq!((narrow[0], narrow[9]), (Some(2.0), Some(29.0)));
        assert_eq!(spread(&v, 30), v);
        assert!(spread(&[], 5).iter().all(Option::is_none));
    }
}
