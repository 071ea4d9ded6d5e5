//! One container's log, every level: `kubectl logs -f POD -c CONTAINER [--previous]` in the
//! terminal, with the logs pane's follow, search highlight, wrap and stack traces.
//!
//! ```text
//! ╔ store-7c9d8f6b5c-x2x9k · store · previous run · following ═══════════════════╗
//! ║09:41:05.210 INFO  o.s.b.w.e.tomcat.TomcatWebServer: Tomcat started on port 8080║
//! ║09:41:06.001 ERROR c.e.store.ProductController: Request processing failed ▸+12 ║
//! ╚══════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::View;
use super::logs::{highlight, level_style, wrap_split};
use super::text::put;
use crate::model::{LogLine, PodLogTarget};
use crate::state::Fetch;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// Columns before the message: `HH:MM:SS.mmm LEVEL `.
const PREFIX: u16 = 19;

fn logger_of(l: &LogLine) -> &str {
    // `c.e.store.ProductController` → `ProductController`: the class says enough here.
    l.logger.rsplit('.').next().unwrap_or(&l.logger)
}

pub fn draw(
    frame: &mut Frame,
    body: Rect,
    v: &View,
    target: &PodLogTarget,
    selected: usize,
    follow: bool,
    expanded: bool,
) {
    let t = v.theme;
    let s = v.state;
    let held = s.pod_log(target);
    let mut title = vec![
        Span::styled(format!(" {} ", target.pod), t.title),
        Span::styled(format!("· {} ", target.container), t.text),
    ];
    if target.previous {
        title.push(Span::styled("· previous run ", t.warn));
    }
    if s.pod_log_via_store() {
        title.push(Span::styled(format!("· from {} ", s.log_store), t.muted));
    }
    title.push(if follow && target.previous {
        // A previous run's log is whole: nothing more comes.
        Span::styled("· at its end ", t.muted)
    } else if follow {
        Span::styled("· following ", t.ok)
    } else {
        Span::styled("· paused (f follows) ", t.warn)
    });
    if !s.ui.logs.search.is_empty() || s.typing() == Some(crate::state::Typing::Search) {
        let cursor = if s.typing() == Some(crate::state::Typing::Search) {
            "▌"
        } else {
            ""
        };
        title.push(Span::styled(
            format!("· search: {}{cursor} (n/N) ", &*s.ui.logs.search),
            t.highlight,
        ));
    }
    if let Some(h) = held
        && h.lines.dropped() > 0
    {
        title.push(Span::styled(
            format!("· {} oldest dropped ", h.lines.dropped()),
            t.warn,
        ));
    }
    let Some(inner) = super::view_frame(frame, body, v, title, PREFIX + 10) else {
        return;
    };
    let buf = frame.buffer_mut();
    let mut y = inner.y;
    // How the read stands, above the lines when it is not simply flowing.
    let what = format!("{}/{}", target.pod, target.container);
    let n = held.map_or(0, |h| h.lines.len());
    let note = match held.map(|h| &h.fetch) {
        None => super::fetch_note(&what, &Fetch::Waiting, 0).map(|(s, _)| (s, t.muted)),
        Some(f @ (Fetch::Waiting | Fetch::Failed(_) | Fetch::Absent(_))) => {
            super::fetch_note(&what, f, n).map(|(s, bad)| (s, if bad { t.error } else { t.muted }))
        }
        Some(Fetch::Listed) if n == 0 => Some((
            if target.previous {
                "the previous run wrote nothing (p: the current run)".to_string()
            } else {
                "no lines yet".to_string()
            },
            t.muted,
        )),
        Some(Fetch::Listed) => None,
    };
    if let Some((text, st)) = note {
        put(buf, inner.x, y, &text, inner.width, st);
        y += 1;
    }
    let Some(held) = held else { return };
    let lines = &held.lines;
    let n = lines.len();
    if n == 0 {
        return;
    }
    let rows = inner.bottom().saturating_sub(y) as usize;
    let wrap = s.ui.logs.wrap;
    let msg_w = inner.width.saturating_sub(PREFIX) as usize;
    // Rows a record takes: its first row, wrapped rows, and, expanded, its details and stack.
    let height = |k: usize, open: bool| -> usize {
        let Some(l) = lines.get(k) else { return 1 };
        let mut h = 1;
        if wrap {
            // The first row has the logger and `: ` before the message.
            let first = if l.logger.is_empty() {
                msg_w
            } else {
                msg_w.saturating_sub(unicode_width::UnicodeWidthStr::width(logger_of(l)) + 2)
            };
            let mut rest = wrap_split(&l.message, first.max(1)).1;
            while !rest.is_empty() {
                rest = wrap_split(rest, msg_w.max(1)).1;
                h += 1;
            }
        }
        if open {
            h += 1 + l.stack.len();
        }
        h
    };
    let sel = if follow { n - 1 } else { selected.min(n - 1) };
    // From the selected (or newest) record upwards while the rows last.
    let mut first = sel;
    let mut used = height(sel, expanded);
    while first > 0 && used + height(first - 1, false) <= rows {
        first -= 1;
        used += height(first, false);
    }
    let right = inner.right();
    for k in first..n {
        if y >= inner.bottom() {
            break;
        }
        let Some(l) = lines.get(k) else { break };
        let is_sel = k == sel && !follow;
        if is_sel {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selection);
        }
        let tm = if s.ui.logs.utc {
            l.ts.format("%H:%M:%S%.3f").to_string()
        } else {
            l.ts.with_timezone(&chrono::Local)
                .format("%H:%M:%S%.3f")
                .to_string()
        };
        put(buf, inner.x, y, &tm, 12, t.muted);
        put(
            buf,
            inner.x + 13,
            y,
            l.level.as_str(),
            5,
            level_style(t, l.level),
        );
        let mut x = inner.x + PREFIX;
        if !l.logger.is_empty() && x < right {
            x += put(buf, x, y, logger_of(l), right - x, t.muted);
            x += put(buf, x, y, ": ", right.saturating_sub(x), t.muted);
        }
        let room = right.saturating_sub(x) as usize;
        let (head, mut rest) = if wrap {
            wrap_split(&l.message, room.max(1))
        } else {
            (l.message.as_str(), "")
        };
        let msg_x = x;
        x += put(buf, x, y, head, right.saturating_sub(x), t.text);
        highlight(buf, msg_x, y, right, head, &s.ui.logs.search, t.highlight);
        if !l.stack.is_empty() && x + 2 < right {
            let mark = if is_sel && expanded {
                " ▾".to_string()
            } else {
                format!(" ▸+{}", l.stack.len())
            };
            put(buf, x, y, &mark, right - x, t.accent);
        }
        y += 1;
        while !rest.is_empty() && y < inner.bottom() {
            let (row, more) = wrap_split(rest, msg_w.max(1));
            put(
                buf,
                inner.x + PREFIX,
                y,
                row,
                right.saturating_sub(inner.x + PREFIX),
                t.text,
            );
            highlight(
                buf,
                inner.x + PREFIX,
                y,
                right,
                row,
                &s.ui.logs.search,
                t.highlight,
            );
            rest = more;
            y += 1;
        }
        if is_sel && expanded {
            if y < inner.bottom() {
                let meta = format!(
                    "thread {} · trace {}",
                    if l.thread.is_empty() {
                        "—"
                    } else {
                        &l.thread
                    },
                    if l.trace_id.is_empty() {
                        "—"
                    } else {
                        &l.trace_id
                    }
                );
                put(
                    buf,
                    inner.x + PREFIX,
                    y,
                    &meta,
                    right.saturating_sub(inner.x + PREFIX),
                    t.accent,
                );
                y += 1;
            }
            for st in &l.stack {
                if y >= inner.bottom() {
                    break;
                }
                put(
                    buf,
                    inner.x + PREFIX,
                    y,
                    st,
                    right.saturating_sub(inner.x + PREFIX),
                    t.muted,
                );
                y += 1;
            }
        }
    }
}
