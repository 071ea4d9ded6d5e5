//! Error logs: a tail with level colours, source labels (service, canary/stable, pod),
//! follow/pause, scroll, and stack traces folded under their first line.

use super::{View, pane_block};
use crate::layout::Pane;
use crate::model::{Level, LogLine, Track};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn level_style(t: &Theme, l: Level) -> Style {
    match l {
        Level::Error => t.log_error,
        Level::Warn => t.log_warn,
        Level::Info => t.log_info,
        _ => t.log_debug,
    }
}

fn short_logger(l: &str) -> &str {
    l.rsplit('.').next().unwrap_or(l)
}

fn record_line(v: &View, l: &LogLine, selected: bool, expanded: bool) -> Line<'static> {
    let t = v.theme;
    let pod = l.pod.rsplit('-').next().unwrap_or(&l.pod);
    let (track, tst) = match l.track {
        Some(Track::Canary) => ("canary", t.canary),
        Some(Track::Stable) => ("stable", t.stable),
        None => ("", t.muted),
    };
    let mut spans = vec![
        Span::styled(l.ts.format("%H:%M:%S ").to_string(), t.muted),
        Span::styled(format!("{:<9} ", l.service), t.text),
        Span::styled(format!("{track:<6} "), tst),
        Span::styled(format!("{pod:<5} "), t.muted),
        Span::styled(format!("{:<5} ", l.level.as_str()), level_style(t, l.level)),
    ];
    if !l.logger.is_empty() {
        spans.push(Span::styled(
            format!("{}: ", short_logger(&l.logger)),
            t.muted,
        ));
    }
    spans.push(Span::styled(l.message.clone(), t.text));
    if !l.stack.is_empty() {
        let mark = if expanded {
            " ▾".to_string()
        } else {
            format!(" ▸+{}", l.stack.len())
        };
        spans.push(Span::styled(mark, t.accent));
    }
    let line = Line::from(spans);
    if selected {
        line.style(t.selection)
    } else {
        line
    }
}

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Logs);
    let mut extra = vec![Span::styled(format!("{} ", s.context.log_query), t.muted)];
    let dropped = s.logs.dropped() + s.logs.server_dropped;
    if dropped > 0 {
        extra.push(Span::styled(format!("{dropped} dropped "), t.warn));
    }
    extra.push(if s.ui.log_follow {
        Span::styled("following ", t.ok)
    } else {
        Span::styled("paused (f follows) ", t.warn)
    });
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Logs,
        idx.is_empty(),
        "no error lines in the window",
    ) {
        return;
    }
    let block = pane_block(v, Pane::Logs, extra);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    if rows == 0 {
        return;
    }
    let pos = &s.ui.lists[Pane::Logs.index()];
    let focused = s.ui.focus == Pane::Logs;
    let render = |k: usize, out: &mut Vec<Line>| {
        let Some(i) = idx.get(k) else { return };
        let Some(l) = s.logs.get(i) else { return };
        let expanded = s.ui.expanded_logs.contains(&s.log_seq(i));
        out.push(record_line(v, l, focused && k == pos.selected, expanded));
        if expanded {
            for st in &l.stack {
                out.push(Line::from(Span::styled(
                    format!("           {st}"),
                    t.muted,
                )));
            }
        }
    };
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    if s.ui.log_follow {
        // Fill from the newest upwards.
        let mut k = idx.len();
        let mut blocks: Vec<Vec<Line>> = Vec::new();
        let mut used = 0;
        while k > 0 && used < rows {
            k -= 1;
            let mut b = Vec::new();
            render(k, &mut b);
            used += b.len();
            blocks.push(b);
        }
        for b in blocks.into_iter().rev() {
            lines.extend(b);
        }
        let skip = lines.len().saturating_sub(rows);
        lines.drain(..skip);
    } else {
        let mut k = pos.offset;
        while k < idx.len() && lines.len() < rows {
            render(k, &mut lines);
            k += 1;
        }
        lines.truncate(rows);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
