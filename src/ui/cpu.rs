//! CPU: a braille line chart of node busy % with axes and legend, then a sparkline and the
//! current value per service.

use super::fmt_window;
use super::text;
use super::{View, pane_frame};
use crate::layout::Pane;
use crate::model::CpuSeries;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Cpu,
        s.cpu.nodes.is_empty() && s.cpu.services.is_empty(),
        "no CPU series",
    ) {
        return;
    }
    let window = s.ui.cpu.secs();
    let mut extra = vec![Span::styled(format!("{} ", fmt_window(window)), t.muted)];
    if s.cpu.step_secs > 0 {
        extra.push(Span::styled(format!("step {}s ", s.cpu.step_secs), t.muted));
    }
    let inner = pane_frame(frame, area, v, Pane::Cpu, extra);
    let since = s.now.timestamp() - i64::from(window);
    let services: Vec<&CpuSeries> = {
        let idx = s.indices(Pane::Cpu);
        (0..idx.len())
            .filter_map(|k| idx.get(k))
            .map(|i| &s.cpu.services[i])
            .filter(|x| x.track.is_none())
            .collect()
    };
    let svc_rows = (services.len() as u16).min(inner.height.saturating_sub(1) / 2);
    let [chart_area, legend_area, svc_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(svc_rows),
    ])
    .areas(inner);
    draw_chart(frame, chart_area, v);
    let mut legend = vec![Span::styled("nodes ", t.muted)];
    // What the node names share (the cluster's prefix, the cloud's domain) goes; what tells
    // them apart stays.
    let node_names: Vec<&str> = s.cpu.nodes.iter().map(|n| n.name.as_str()).collect();
    let shorts = super::names::without_shared(&node_names);
    for (i, (n, short)) in s.cpu.nodes.iter().zip(&shorts).enumerate() {
        legend.push(Span::styled(
            format!("━ {short} {:.0}%  ", n.last().unwrap_or(0.0)),
            t.series(i),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(legend)), legend_area);
    // The longest service name (within 9 to 17 characters), and a space.
    let name_w = services
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 17) as u16
        + 1;
    // A service of the same name in two namespaces (production and stage): `prod/user`.
    let shared = super::names::in_two_namespaces(
        services
            .iter()
            .map(|x| (x.namespace.as_str(), x.name.as_str())),
    );
    let labels: Vec<String> = services
        .iter()
        .map(|x| super::names::qualified(&shared, &x.namespace, &x.name))
        .collect();
    let svc_names: Vec<&str> = labels.iter().map(String::as_str).collect();
    let shown = super::names::fit_distinct(&svc_names, name_w as usize - 1);
    for (i, svc) in services.iter().take(svc_rows as usize).enumerate() {
        let row = Rect::new(svc_area.x, svc_area.y + i as u16, svc_area.width, 1);
        let [name, spark, value] = Layout::horizontal([
            Constraint::Length(name_w),
            Constraint::Min(4),
            Constraint::Length(11),
        ])
        .areas(row);
        frame.render_widget(
            Paragraph::new(Span::styled(shown[i].as_str(), t.text)),
            name,
        );
        let w = spark.width as usize;
        let first = svc.points.partition_point(|p| p.0 < since);
        let pts: Vec<u64> = svc.points[first..]
            .iter()
            .rev()
            .take(w)
            .rev()
            .map(|p| (p.1 * 1000.0).max(0.0) as u64)
            .collect();
        // Fewer points than columns: the newest at the right edge, blanks on the left.
        let pts: Vec<u64> = std::iter::repeat_n(0, w.saturating_sub(pts.len()))
            .chain(pts)
            .collect();
        // Scale from the series' own floor so a busy but steady service is not a flat block.
        let (lo, hi) = svc.points.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let floor = ((lo * 0.8).max(0.0) * 1000.0) as u64;
        let pts: Vec<u64> = pts.into_iter().map(|p| p.saturating_sub(floor)).collect();
        frame.render_widget(
            Sparkline::default()
                .data(pts)
                .max(((hi * 1000.0) as u64).saturating_sub(floor).max(10))
                .style(t.series(i)),
            spark,
        );
        let cur = svc.last().unwrap_or(0.0);
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {cur:.2} cores"), t.text)),
            value,
        );
    }
}

fn draw_chart(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    if area.height < 3 || area.width < 12 || s.cpu.nodes.is_empty() {
        return;
    }
    let now = s.now.timestamp() as f64;
    let window = f64::from(s.ui.cpu.secs());
    let buf = frame.buffer_mut();
    let plot = Rect::new(area.x + 5, area.y, area.width - 5, area.height - 2);
    // Y axis with labels, X axis with labels.
    for y in plot.y..plot.bottom() {
        buf[(area.x + 4, y)].set_char('│').set_style(t.muted);
    }
    text::put(buf, area.x, plot.y, "100%", 4, t.muted);
    if plot.height >= 5 {
        text::put(buf, area.x + 1, plot.y + plot.height / 2, " 50", 3, t.muted);
    }
    text::put(buf, area.x + 2, plot.bottom() - 1, "0%", 2, t.muted);
    let axis_y = plot.bottom();
    buf[(area.x + 4, axis_y)].set_char('└').set_style(t.muted);
    for x in plot.x..plot.right() {
        buf[(x, axis_y)].set_char('─').set_style(t.muted);
    }
    let ly = axis_y + 1;
    let (full, half) = (
        format!("-{}", fmt_window(window as u32)),
        format!("-{}", fmt_window(window as u32 / 2)),
    );
    text::put(buf, plot.x, ly, &full, 6, t.muted);
    if plot.width > 24 {
        text::put(buf, plot.x + plot.width / 2 - 3, ly, &half, 6, t.muted);
    }
    text::put(buf, plot.right().saturating_sub(3), ly, "now", 3, t.muted);
    let series: Vec<(Vec<(f64, f64)>, ratatui::style::Style)> = s
        .cpu
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let pts = n
                .points
                .iter()
                .filter(|p| p.0 as f64 >= now - window)
                .map(|p| ((p.0 as f64 - now + window) / window, p.1 / 100.0))
                .collect();
            (pts, t.series(i))
        })
        .collect();
    braille_lines(buf, plot, &series);
}

/// Plots series of (x, y) in 0..=1 as braille lines (2×4 dots a cell); where series cross,
/// the later one's colour wins.
fn braille_lines(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    series: &[(Vec<(f64, f64)>, ratatui::style::Style)],
) {
    let (w, h) = (area.width as usize, area.height as usize);
    if w == 0 || h == 0 {
        return;
    }
    let (dw, dh) = (w * 2, h * 4);
    let mut dots = vec![0u8; w * h];
    let mut owner = vec![usize::MAX; w * h];
    const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
    let to_dot = |(x, y): (f64, f64)| -> (i64, i64) {
        let dx = (x.clamp(0.0, 1.0) * (dw - 1) as f64).round() as i64;
        let dy = ((1.0 - y.clamp(0.0, 1.0)) * (dh - 1) as f64).round() as i64;
        (dx, dy)
    };
    for (si, (pts, _)) in series.iter().enumerate() {
        let mut prev: Option<(i64, i64)> = None;
        for p in pts {
            let cur = to_dot(*p);
            let (mut x0, mut y0) = prev.unwrap_or(cur);
            let (x1, y1) = cur;
            // Bresenham from the previous dot to this one.
            let (ddx, ddy) = ((x1 - x0).abs(), -(y1 - y0).abs());
            let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
            let mut err = ddx + ddy;
            loop {
                let (cx, cy) = (x0 as usize / 2, y0 as usize / 4);
                if cx < w && cy < h {
                    let i = cy * w + cx;
                    dots[i] |= BITS[x0 as usize % 2][y0 as usize % 4];
                    owner[i] = si;
                }
                if x0 == x1 && y0 == y1 {
                    break;
                }
                let e2 = 2 * err;
                if e2 >= ddy {
                    err += ddy;
                    x0 += sx;
                }
                if e2 <= ddx {
                    err += ddx;
                    y0 += sy;
                }
            }
            prev = Some(cur);
        }
    }
    for (i, bits) in dots.iter().enumerate() {
        if *bits == 0 {
            continue;
        }
        let c = char::from_u32(0x2800 + u32::from(*bits)).unwrap_or(' ');
        let (x, y) = (area.x + (i % w) as u16, area.y + (i / w) as u16);
        buf[(x, y)].set_char(c).set_style(series[owner[i]].1);
    }
}
