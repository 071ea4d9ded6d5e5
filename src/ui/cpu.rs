//! CPU: a braille line chart of node busy % with axes and legend, then a sparkline and the
//! current value per service.

use super::{View, pane_block};
use crate::layout::Pane;
use crate::model::CpuSeries;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline};

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
    let block = pane_block(v, Pane::Cpu, vec![]);
    let inner = block.inner(area);
    frame.render_widget(block, area);
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
    for (i, n) in s.cpu.nodes.iter().enumerate() {
        let short = n.name.trim_start_matches("k3d-").trim_start_matches("dev-");
        legend.push(Span::styled(
            format!("━ {short} {:.0}%  ", n.last().unwrap_or(0.0)),
            t.series(i),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(legend)), legend_area);
    for (i, svc) in services.iter().take(svc_rows as usize).enumerate() {
        let row = Rect::new(svc_area.x, svc_area.y + i as u16, svc_area.width, 1);
        let [name, spark, value] = Layout::horizontal([
            Constraint::Length(10),
            Constraint::Min(4),
            Constraint::Length(11),
        ])
        .areas(row);
        frame.render_widget(
            Paragraph::new(Span::styled(svc.name.as_str(), t.text)),
            name,
        );
        let w = spark.width as usize;
        let pts: Vec<u64> = svc
            .points
            .iter()
            .rev()
            .take(w)
            .rev()
            .map(|p| (p.1 * 1000.0).max(0.0) as u64)
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
    if area.height < 3 || s.cpu.nodes.is_empty() {
        return;
    }
    let now = s.now.timestamp() as f64;
    let window = 30.0 * 60.0;
    let data: Vec<Vec<(f64, f64)>> = s
        .cpu
        .nodes
        .iter()
        .map(|n| {
            n.points
                .iter()
                .filter(|p| p.0 as f64 >= now - window)
                .map(|p| (p.0 as f64 - now, p.1))
                .collect()
        })
        .collect();
    let datasets: Vec<Dataset> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.series(i))
                .data(d)
        })
        .collect();
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([-window, 0.0])
                .labels(vec![
                    Line::from("-30m"),
                    Line::from("-15m"),
                    Line::from("now"),
                ])
                .style(t.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, 100.0])
                .labels(vec![Line::from("0%"), Line::from("50"), Line::from("100")])
                .style(t.muted),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
}
