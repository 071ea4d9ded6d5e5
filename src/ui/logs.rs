//! Error logs: a tail with level colours, source labels (service, canary/stable, pod),
//! follow/pause, scroll, and stack traces folded under their first line.

use super::{View, pane_frame, text};
use crate::layout::Pane;
use crate::model::{Level, LogLine, Track};
use crate::theme::Theme;
use chrono::Timelike;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

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

/// Writes one record at row y: time, service, track, pod, level, logger, message, fold mark.
fn put_record(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    v: &View,
    l: &LogLine,
    selected: bool,
    expanded: bool,
) {
    let t = v.theme;
    if selected {
        buf.set_style(Rect::new(area.x, y, area.width, 1), t.selection);
    }
    let (track, tst) = match l.track {
        Some(Track::Canary) => ("canary", t.canary),
        Some(Track::Stable) => ("stable", t.stable),
        None => ("", t.muted),
    };
    let pod = l.pod.rsplit('-').next().unwrap_or(&l.pod);
    let tm = l.ts.time();
    let mut clock = [b'0'; 8];
    for (i, n) in [tm.hour(), tm.minute(), tm.second()]
        .into_iter()
        .enumerate()
    {
        clock[i * 3] = b'0' + (n / 10) as u8;
        clock[i * 3 + 1] = b'0' + (n % 10) as u8;
    }
    clock[2] = b':';
    clock[5] = b':';
    let fields: [(&str, u16, ratatui::style::Style); 5] = [
        (std::str::from_utf8(&clock).unwrap_or(""), 9, t.muted),
        (&l.service, 10, t.text),
        (track, 7, tst),
        (pod, 6, t.muted),
        (l.level.as_str(), 6, level_style(t, l.level)),
    ];
    let mut x = area.x;
    let right = area.right();
    for (text, width, st) in fields {
        if x >= right {
            return;
        }
        text::put(buf, x, y, text, width.min(right - x).saturating_sub(1), st);
        x = (x + width).min(right);
    }
    if !l.logger.is_empty() {
        let logger = short_logger(&l.logger);
        x += text::put(buf, x, y, logger, right - x, t.muted);
        x += text::put(buf, x, y, ": ", right - x, t.muted);
    }
    x += text::put(buf, x, y, &l.message, right - x, t.text);
    if !l.stack.is_empty() && x + 2 < right {
        let mark = if expanded {
            " ▾".to_string()
        } else {
            format!(" ▸+{}", l.stack.len())
        };
        text::put(buf, x, y, &mark, right - x, t.accent);
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
    let inner = pane_frame(frame, area, v, Pane::Logs, extra);
    let rows = inner.height as usize;
    if rows == 0 {
        return;
    }
    let pos = &s.ui.lists[Pane::Logs.index()];
    let focused = s.ui.focus == Pane::Logs;
    // Rows each record needs: 1, plus its details and stack when expanded.
    let height = |k: usize| -> usize {
        idx.get(k)
            .filter(|&i| s.ui.expanded_logs.contains(&s.log_seq(i)))
            .and_then(|i| s.logs.get(i))
            .map_or(1, |l| 2 + l.stack.len())
    };
    let first = if s.ui.log_follow {
        let mut k = idx.len();
        let mut used = 0;
        while k > 0 && used + height(k - 1) <= rows {
            k -= 1;
            used += height(k);
        }
        k
    } else {
        // Scroll just enough that the selected record, expanded or not, fits.
        let mut first = pos.offset.min(pos.selected);
        let mut used: usize = (first..=pos.selected).map(height).sum();
        while used > rows && first < pos.selected {
            used -= height(first);
            first += 1;
        }
        first
    };
    let buf = frame.buffer_mut();
    let mut y = inner.y;
    let mut k = first;
    while k < idx.len() && y < inner.bottom() {
        let Some(i) = idx.get(k) else { break };
        let Some(l) = s.logs.get(i) else { break };
        let expanded = s.ui.expanded_logs.contains(&s.log_seq(i));
        put_record(buf, inner, y, v, l, focused && k == pos.selected, expanded);
        y += 1;
        if expanded {
            if (!l.thread.is_empty() || !l.trace_id.is_empty()) && y < inner.bottom() {
                let meta = format!("thread {} · trace {} · pod {}", l.thread, l.trace_id, l.pod);
                text::put(
                    buf,
                    inner.x + 11,
                    y,
                    &meta,
                    inner.width.saturating_sub(11),
                    t.accent,
                );
                y += 1;
            }
            for st in &l.stack {
                if y >= inner.bottom() {
                    break;
                }
                text::put(
                    buf,
                    inner.x + 11,
                    y,
                    st,
                    inner.width.saturating_sub(11),
                    t.muted,
                );
                y += 1;
            }
        }
        k += 1;
    }
}
