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

/// The service column's width: the longest rollout name, within 9 to 14 characters, and a
/// space (the same for every record, so the columns line up while scrolling).
fn service_width(s: &crate::state::State) -> u16 {
    s.rollout_name_chars().clamp(9, 14) as u16 + 1
}

/// The columns before the message, the same for every record of a frame. The message comes
/// first in importance: as the pane narrows the pod goes (below 100 columns), then the logger
/// (below 70), then the track and the seconds (below 50). The track is shown while a canary
/// runs.
#[derive(Clone, Copy)]
struct Cols {
    time: u16,
    svc: u16,
    track: u16,
    pod: u16,
    logger: bool,
}

impl Cols {
    fn of(s: &crate::state::State, width: u16) -> Cols {
        Cols {
            time: if width >= 50 { 9 } else { 6 },
            svc: service_width(s),
            // Canary or stable, while a canary runs.
            track: if width >= 50 && s.rollouts.iter().any(|r| r.canary_active()) {
                7
            } else {
                0
            },
            pod: if width >= 100 { 6 } else { 0 },
            logger: width >= 70,
        }
    }
    /// Where the message of a record without a logger starts, from the left edge.
    fn fixed(self) -> u16 {
        self.time + self.svc + self.track + self.pod + 6
    }
}

/// How one record is drawn: selected, expanded, and the frame's columns.
#[derive(Clone, Copy)]
struct Look {
    selected: bool,
    expanded: bool,
    cols: Cols,
}

/// Writes one record at row y: time, service, track, pod, level, logger, message, fold mark.
fn put_record(buf: &mut Buffer, area: Rect, y: u16, v: &View, l: &LogLine, look: Look) {
    let Look {
        selected,
        expanded,
        cols,
    } = look;
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
    let tm = if v.state.ui.logs.utc {
        l.ts.time()
    } else {
        l.ts.with_timezone(&chrono::Local).time()
    };
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
    let clock = std::str::from_utf8(&clock).unwrap_or("");
    let clock = if cols.time < 9 { &clock[..5] } else { clock };
    let fields: [(&str, u16, ratatui::style::Style); 5] = [
        (clock, cols.time, t.muted),
        (&l.service, cols.svc, t.text),
        (track, cols.track, tst),
        (pod, cols.pod, t.muted),
        (l.level.as_str(), 6, level_style(t, l.level)),
    ];
    let mut x = area.x;
    let right = area.right();
    for (text, width, st) in fields {
        if width == 0 {
            continue;
        }
        if x >= right {
            return;
        }
        text::put(buf, x, y, text, width.min(right - x).saturating_sub(1), st);
        x = (x + width).min(right);
    }
    if cols.logger && !l.logger.is_empty() {
        let logger = short_logger(&l.logger);
        x += text::put(buf, x, y, logger, right - x, t.muted);
        x += text::put(buf, x, y, ": ", right - x, t.muted);
    }
    let msg_x = x;
    let (shown, _) = message_cut(
        &l.message,
        right.saturating_sub(msg_x) as usize,
        v.state.ui.logs.wrap,
    );
    x += text::put(buf, x, y, shown, right - x, t.text);
    highlight(
        buf,
        msg_x,
        y,
        right,
        shown,
        &v.state.ui.logs.search,
        t.highlight,
    );
    if !l.stack.is_empty() && x + 2 < right {
        let mark = if expanded {
            " ▾".to_string()
        } else {
            format!(" ▸+{}", l.stack.len())
        };
        text::put(buf, x, y, &mark, right - x, t.accent);
    }
}

/// With wrap on, the part of `msg` that fits `w` columns on the first row, and the rest.
fn message_cut(msg: &str, w: usize, wrap: bool) -> (&str, &str) {
    if !wrap {
        return (msg, "");
    }
    wrap_split(msg, w)
}

/// A row of wrapped text and the rest: cut after the last space when there is one in the
/// row's last two thirds (a word is not split), else at the width; the rest starts at its
/// next word.
pub(super) fn wrap_split(s: &str, w: usize) -> (&str, &str) {
    let (head, tail) = split_at_width(s, w);
    if head.is_empty() {
        // Narrower than one character: it goes alone, so every row makes progress.
        let n = s.chars().next().map_or(0, char::len_utf8);
        return (&s[..n], &s[n..]);
    }
    if tail.is_empty() || tail.starts_with(' ') || head.ends_with(' ') {
        return (head, tail.trim_start_matches(' '));
    }
    match head.rfind(' ') {
        Some(i) if i >= head.len() / 3 => (&s[..i], s[i + 1..].trim_start_matches(' ')),
        _ => (head, tail),
    }
}

fn split_at_width(s: &str, w: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w {
            return (&s[..i], &s[i..]);
        }
        used += cw;
    }
    (s, "")
}

/// Restyles the cells of each case-insensitive match of `q` in `text`, written at `x`.
pub(super) fn highlight(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    right: u16,
    text: &str,
    q: &str,
    st: Style,
) {
    if q.is_empty() || !q.is_ascii() {
        return;
    }
    let lower = text.to_ascii_lowercase();
    let q = q.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(&q) {
        let start = from + p;
        let col = unicode_width::UnicodeWidthStr::width(&text[..start]) as u16;
        let w = unicode_width::UnicodeWidthStr::width(&text[start..start + q.len()]) as u16;
        let x0 = x.saturating_add(col);
        if x0 >= right {
            break;
        }
        buf.set_style(Rect::new(x0, y, w.min(right - x0), 1), st);
        from = start + q.len().max(1);
    }
}

/// Where the message of a record starts (after time, service, track, pod, level and logger).
fn message_x(area: Rect, l: &LogLine, cols: Cols) -> u16 {
    let mut x = area.x.saturating_add(cols.fixed());
    if cols.logger && !l.logger.is_empty() {
        x = x.saturating_add(
            unicode_width::UnicodeWidthStr::width(short_logger(&l.logger)) as u16 + 2,
        );
    }
    x.min(area.right())
}

/// Extra rows a wrapped message needs below its first row.
fn wrap_rows(area: Rect, l: &LogLine, cols: Cols) -> usize {
    let first = area.right().saturating_sub(message_x(area, l, cols)) as usize;
    let cont = area.width.saturating_sub(11).max(1) as usize;
    let (_, mut rest) = wrap_split(&l.message, first);
    let mut rows = 0;
    while !rest.is_empty() {
        rest = wrap_split(rest, cont).1;
        rows += 1;
    }
    rows
}

/// One line of ERROR-rate sparklines, per service over the last ten rolling minutes (each bar
/// the 60 s before a point, the number the last 60 s), busiest first.
fn sparklines(buf: &mut Buffer, area: Rect, v: &View) {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let s = v.state;
    let t = v.theme;
    // Rolling minutes ending now (not clock minutes: the last bar and the number do not drop
    // to nothing as a minute turns).
    let mut rows: Vec<(&String, Vec<u32>)> = s
        .log_counts
        .minutes
        .keys()
        .map(|svc| {
            let (canary, rest) = s.log_counts.buckets(svc, s.now, 60, 10);
            let counts = canary
                .iter()
                .zip(&rest)
                .map(|(a, b)| (a + b).min(u64::from(u32::MAX)) as u32)
                .collect::<Vec<u32>>();
            (svc, counts)
        })
        .filter(|(_, c)| c.iter().any(|n| *n > 0))
        .collect();
    rows.sort_by_key(|(svc, c)| {
        (
            std::cmp::Reverse(c.iter().rev().take(2).sum::<u32>()),
            (*svc).clone(),
        )
    });
    // One scale for every service, said in the label: a service with 2 errors does not draw
    // the bar of one with 141.
    let max = rows
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut x = area.x;
    let y = area.y;
    x += text::put(
        buf,
        x,
        y,
        &format!("errors/min (rolling, scale 0–{max}) "),
        area.right() - x,
        t.muted,
    );
    for (svc, counts) in rows {
        let bars: String = counts
            .iter()
            .map(|n| {
                if *n == 0 {
                    ' '
                } else {
                    BARS[((*n * 7) / max) as usize]
                }
            })
            .collect();
        let last = counts.last().copied().unwrap_or(0);
        let item = format!("{svc} ");
        if x + 20 > area.right() {
            break;
        }
        x += text::put(buf, x, y, &item, area.right() - x, t.text);
        x += text::put(buf, x, y, &bars, area.right() - x, t.log_error);
        x += text::put(buf, x, y, &format!(" {last}  "), area.right() - x, t.muted);
    }
}

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Logs);
    let q = s.effective_log_query();
    let narrowed = s.ui.logs.narrow.is_some();
    // The state first (a narrow title cuts from the right), the query last, cut to its room.
    let mut extra = vec![if s.ui.logs.follow {
        Span::styled("following ", t.ok)
    } else {
        match s.logs_since_pause() {
            0 => Span::styled("paused (f follows) ", t.warn),
            n => Span::styled(format!("paused, {n} new (f follows) "), t.warn),
        }
    }];
    let typing = s.typing() == Some(crate::state::Typing::Search);
    if typing || !s.ui.logs.search.is_empty() {
        let cursor = if typing { "▌" } else { "" };
        let h = s.ui.logs.hits;
        // The count before the words: `3/47`, `47`, or none.
        let count = match (h.total, h.at) {
            _ if s.ui.logs.search.is_empty() => String::new(),
            (0, _) => " no match".to_string(),
            (n, Some(at)) => format!(" {at}/{n}"),
            (n, None) => format!(" {n}"),
        };
        let keys = if typing || h.total == 0 { "" } else { " (n/N)" };
        extra.push(Span::styled(
            format!("search: {}{cursor}{count}{keys} ", s.ui.logs.search),
            t.highlight,
        ));
    }
    let dropped = s.logs.dropped() + s.logs.server_dropped;
    if dropped > 0 {
        extra.push(Span::styled(format!("{dropped} dropped "), t.warn));
    }
    if !s.ui.logs.utc {
        extra.push(Span::styled("local time ", t.muted));
    }
    // The border, ` 5 Error logs `, a health warning: what the pane frame puts first.
    use unicode_width::UnicodeWidthStr;
    let used: usize = extra.iter().map(|x| x.content.width()).sum::<usize>() + 18;
    let room = (area.width as usize).saturating_sub(used);
    if room >= 8 {
        extra.push(Span::styled(
            format!("{} ", super::ellipsize(&q, room - 1)),
            if narrowed { t.accent } else { t.muted },
        ));
    }
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
    let mut inner = pane_frame(frame, area, v, Pane::Logs, extra);
    // A line of per-service error-rate sparklines when there is room.
    if inner.height >= 8 && !s.log_counts.minutes.is_empty() {
        sparklines(
            frame.buffer_mut(),
            Rect::new(inner.x, inner.y, inner.width, 1),
            v,
        );
        inner = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    }
    let rows = inner.height as usize;
    if rows == 0 {
        return;
    }
    let pos = &s.ui.lists[Pane::Logs];
    let focused = s.ui.focus == Pane::Logs;
    // Rows each record needs: 1, plus its details and stack when expanded.
    let wrap = s.ui.logs.wrap;
    let cols = Cols::of(s, inner.width);
    let height = |k: usize| -> usize {
        let Some(i) = idx.get(k) else { return 1 };
        let Some(l) = s.logs.get(i) else { return 1 };
        let extra = if wrap { wrap_rows(inner, l, cols) } else { 0 };
        if s.ui.logs.expanded.contains(&s.log_seq(i)) {
            2 + l.stack.len() + extra
        } else {
            1 + extra
        }
    };
    let first = if s.ui.logs.follow {
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
        let expanded = s.ui.logs.expanded.contains(&s.log_seq(i));
        let look = Look {
            selected: focused && k == pos.selected,
            expanded,
            cols,
        };
        put_record(buf, inner, y, v, l, look);
        y += 1;
        if wrap {
            let first = inner.right().saturating_sub(message_x(inner, l, cols)) as usize;
            let (_, mut rest) = wrap_split(&l.message, first);
            let cont = inner.width.saturating_sub(11);
            while !rest.is_empty() && y < inner.bottom() {
                let (line, more) = wrap_split(rest, cont.max(1) as usize);
                text::put(buf, inner.x + 11, y, line, cont, t.text);
                highlight(
                    buf,
                    inner.x + 11,
                    y,
                    inner.right(),
                    line,
                    &s.ui.logs.search,
                    t.highlight,
                );
                rest = more;
                y += 1;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::wrap_split;

    #[test]
    fn wrapping_cuts_between_words_and_always_makes_progress() {
        assert_eq!(
            wrap_split("Request processing failed: timeout", 20),
            ("Request processing", "failed: timeout")
        );
        // No space late enough in the row: cut at the width.
        assert_eq!(
            wrap_split("a verylongidentifierwithoutspaces", 10),
            ("a verylong", "identifierwithoutspaces")
        );
        assert_eq!(wrap_split("exactly ten", 11), ("exactly ten", ""));
        assert_eq!(wrap_split("日本", 1), ("日", "本"));
        assert_eq!(wrap_split("x", 0), ("x", ""));
    }
}
