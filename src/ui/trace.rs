//! One trace as a waterfall: each span a bar on the trace's time axis (offset and width from
//! its start and duration), indented under its parent, its service coloured, errors marked
//! `✗`, the critical path drawn solid (`█`) and the rest shaded (`▒`) so it reads without
//! colour. Only the rows on screen are drawn; Enter shows the selected span's details below.
//!
//! ```text
//! ╔ trace 4bf92f35…0e4736 · 182 ms · 3 spans · 1 error · jaeger at http://jaeger:16686/ ═╗
//! ║ span                                 0        45ms      91ms     136ms     182ms    ║
//! ║▾ gateway GET /api/store/products  ✗ ████████████████████████████████████████ 182ms ║
//! ║  ▾ store GET /products/{id}       ✗  ██████████████████████████████████████ 170ms  ║
//! ║    · store SELECT products        ✗   ▒▒▒▒▒▒▒▒▒▒▒▒▒▒ 80ms                          ║
//! ╚══════════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::View;
use super::text::{put, put_spans};
use crate::model::trace::{Row, Span as TraceSpan, Trace, TraceMiss};
use crate::state::TraceView;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

/// A duration in µs, as people read it: `850µs`, `12.5ms`, `182ms`, `2.41s`.
pub fn fmt_us(us: i64) -> String {
    let us = us.max(0);
    if us < 1000 {
        format!("{us}µs")
    } else if us < 10_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else if us < 1_000_000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// A short trace id for titles: its first and last six digits.
fn short_id(id: &str) -> String {
    // By characters: an id the store sent may be anything.
    let n = id.chars().count();
    if n > 16 {
        let head: String = id.chars().take(8).collect();
        let tail: String = id.chars().skip(n - 6).collect();
        format!("{head}…{tail}")
    } else {
        id.to_string()
    }
}

/// A service's colour, the same every time it is drawn.
fn service_style(v: &View, service: &str) -> Style {
    let series = &v.theme.series;
    if series.is_empty() {
        return v.theme.text;
    }
    let h = service
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    series[h as usize % series.len()]
}

pub fn draw(frame: &mut Frame, body: Rect, v: &View, tv: &TraceView) {
    let t = v.theme;
    let s = v.state;
    let held = s.held_trace();
    let trace = held.and_then(|h| h.trace.as_ref());
    let mut title = vec![Span::styled(
        format!(" trace {} ", short_id(&tv.id)),
        t.title,
    )];
    if let Some(tr) = trace {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        title.push(Span::styled(
            format!(
                "· {} · {} · {} ",
                fmt_us(tr.duration_us()),
                plural(tr.spans.len(), "span", "spans"),
                plural(tr.services, "service", "services")
            ),
            t.text,
        ));
        let errors = tr.errors();
        if errors > 0 {
            let word = if errors == 1 { "error" } else { "errors" };
            title.push(Span::styled(format!("· ✗ {errors} {word} "), t.error));
        }
    }
    if let Some(store) = held.map(|h| h.store.as_str()).filter(|s| !s.is_empty()) {
        title.push(Span::styled(format!("· {store} "), t.muted));
    }
    if !tv.filter.is_empty() || s.typing() == Some(crate::state::Typing::TraceFilter) {
        let cursor = if s.typing() == Some(crate::state::Typing::TraceFilter) {
            "▌"
        } else {
            ""
        };
        title.push(Span::styled(format!("· /{}{cursor} ", tv.filter), t.accent));
    }
    let Some(inner) = super::view_frame(frame, body, v, title, 20) else {
        return;
    };
    let buf = frame.buffer_mut();
    let (x, w) = (inner.x, inner.width);
    let mut y = inner.y;
    let bottom = inner.bottom();
    // What the read says, above the spans.
    let note = match (held.and_then(|h| h.miss.as_ref()), trace) {
        (None, None) => Some((format!("reading trace {}…", tv.id), t.muted)),
        (Some(TraceMiss::NotFound(m)), None) => Some((
            format!(
                "✗ {m}: asked again every 5 s for half a minute (a trace can take a while to \
                 reach the store, or may be past its retention)"
            ),
            t.warn,
        )),
        (Some(TraceMiss::NoStore(m)), _) => Some((format!("no trace store: {m}"), t.warn)),
        (Some(m), None) => Some((format!("✗ {}", m.text()), t.error)),
        (Some(m), Some(_)) => Some((
            format!(
                "✗ the trace cannot be read now ({}): what is shown was read before",
                m.text()
            ),
            t.error,
        )),
        (None, Some(tr)) if tr.orphans > 0 => Some((
            format!(
                "⚠ incomplete: {} span{} whose parent has not arrived (still arriving, or \
                 dropped by a sampler): under ⋯ rows",
                tr.orphans,
                if tr.orphans == 1 { "" } else { "s" }
            ),
            t.warn,
        )),
        (None, Some(_)) => None,
    };
    if let Some((text, st)) = note {
        put(buf, x, y, &text, w, st);
        y += 1;
    }
    let Some(tr) = trace else {
        return;
    };
    if y >= bottom {
        return;
    }
    let rows = s.trace_rows();
    if rows.is_empty() {
        put(
            buf,
            x,
            y,
            &format!(
                "no span matches /{} (Esc in the filter clears it)",
                tv.filter
            ),
            w,
            t.muted,
        );
        return;
    }
    // The details take the lower half when open.
    let detail_h = if tv.detail { (bottom - y) / 2 } else { 0 };
    let list_bottom = bottom - detail_h;
    let cols = Columns::of(w);
    axis(buf, x, y, &cols, tr, t);
    y += 1;
    let shown = usize::from(list_bottom.saturating_sub(y));
    // State keeps the selection in view; after a resize the drawing does until the next key.
    let pos = rows.iter().position(|&r| r == tv.selected).unwrap_or(0);
    let mut offset = tv.offset.min(rows.len().saturating_sub(shown.max(1)));
    if pos < offset {
        offset = pos;
    } else if shown > 0 && pos >= offset + shown {
        offset = pos + 1 - shown;
    }
    for &ri in rows.iter().skip(offset).take(shown) {
        let Some(row) = tr.rows.get(ri) else {
            continue;
        };
        let collapsed = tv.collapsed.contains(&ri);
        draw_row(buf, x, y, &cols, v, tr, row, ri == tv.selected, collapsed);
        y += 1;
    }
    if tv.detail && detail_h > 0 {
        let area = Rect::new(x, list_bottom, w, detail_h);
        match tr.rows.get(tv.selected).and_then(|r| r.span) {
            Some(i) => details(buf, area, v, tr, &tr.spans[i]),
            None => {
                let missing = tr.rows.get(tv.selected).map_or("", |r| r.missing.as_str());
                put(
                    buf,
                    x,
                    list_bottom,
                    &format!(
                        "span {missing} was not received: the spans below name it their parent"
                    ),
                    w,
                    t.muted,
                );
            }
        }
    }
}

/// Where the name, the bar and the duration go across the width.
struct Columns {
    width: u16,
    name_w: u16,
    bar_x: u16,
    bar_w: u16,
}

impl Columns {
    fn of(w: u16) -> Columns {
        // Names get two fifths (at least 18, at most 60); the bars the rest but a duration.
        let name_w = (w * 2 / 5).clamp(18.min(w), 60);
        let bar_x = name_w + 1;
        let bar_w = w.saturating_sub(bar_x + 8).max(1);
        Columns {
            width: w,
            name_w,
            bar_x,
            bar_w,
        }
    }
}

/// The axis: ticks at 0, ¼, ½, ¾ and the end of the trace.
fn axis(buf: &mut Buffer, x: u16, y: u16, c: &Columns, tr: &Trace, t: &crate::theme::Theme) {
    put(buf, x, y, "span", c.name_w, t.muted);
    let d = tr.duration_us();
    let ticks = if c.bar_w >= 40 { 4 } else { 2 };
    for k in 0..=ticks {
        let label = if k == 0 {
            "0".to_string()
        } else {
            fmt_us(d.saturating_mul(k) / ticks)
        };
        let at = u32::from(c.bar_w) * k as u32 / ticks as u32;
        let lx = (u32::from(x + c.bar_x) + at).saturating_sub(if k == ticks {
            label.len() as u32 / 2
        } else {
            0
        });
        put(buf, lx as u16, y, &label, 10, t.muted);
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    c: &Columns,
    v: &View,
    tr: &Trace,
    row: &Row,
    selected: bool,
    collapsed: bool,
) {
    let t = v.theme;
    let base = if selected {
        t.selection
    } else {
        Style::default()
    };
    if selected {
        buf.set_style(Rect::new(x, y, c.name_w, 1), t.selection);
    }
    // Indent by depth, but never so deep the name has no room: past that, the depth is said.
    let cap = usize::from(c.name_w.saturating_sub(14) / 2);
    let depth = row.depth.min(cap);
    let mut lead = " ".repeat(depth * 2);
    if row.depth > cap {
        lead = format!(
            "{}{:>2}",
            " ".repeat(depth.saturating_sub(2) * 2),
            row.depth
        );
    }
    let marker = if row.children == 0 {
        "· "
    } else if collapsed {
        "▸ "
    } else {
        "▾ "
    };
    let Some(i) = row.span else {
        let text = format!(
            "{lead}⋯ missing parent {} ({} span{})",
            short_id(&row.missing),
            row.children,
            if row.children == 1 { "" } else { "s" }
        );
        put(buf, x, y, &text, c.name_w, t.warn.patch(base));
        return;
    };
    let sp = &tr.spans[i];
    let err = if sp.error { "✗ " } else { "" };
    let spans = [
        Span::styled(format!("{lead}{marker}"), t.muted.patch(base)),
        Span::styled(err, t.error.patch(base)),
        Span::styled(
            format!("{} ", sp.service),
            service_style(v, &sp.service).patch(base),
        ),
        Span::styled(sp.name.as_str(), t.text.patch(base)),
    ];
    put_spans(buf, x, y, &spans, c.name_w);
    if collapsed && row.children > 0 {
        // The fold says how much it hides, at the name column's end.
        let n = format!(" +{}", row.children);
        let nx = x + c.name_w.saturating_sub(n.len() as u16);
        put(buf, nx, y, &n, n.len() as u16, t.muted.patch(base));
    }
    // The bar, on the trace's axis.
    let d = tr.duration_us().max(1) as f64;
    let bw = f64::from(c.bar_w);
    let off = ((sp.start_us.saturating_sub(tr.start_us).max(0) as f64 / d) * bw).floor() as u16;
    let off = off.min(c.bar_w.saturating_sub(1));
    let len = ((sp.duration_us.max(0) as f64 / d) * bw).round().max(1.0) as u16;
    let len = len.min(c.bar_w - off);
    let glyph = if row.critical { "█" } else { "▒" };
    let mut bar_style = if sp.error {
        t.error
    } else {
        service_style(v, &sp.service)
    };
    if row.critical {
        bar_style = bar_style.add_modifier(Modifier::BOLD);
    }
    let bar = glyph.repeat(usize::from(len));
    let bx = x + c.bar_x + off;
    put(
        buf,
        bx,
        y,
        &bar,
        len.min((x + c.width).saturating_sub(bx)),
        bar_style,
    );
    let label = fmt_us(sp.duration_us);
    let lx = bx + len + 1;
    // Never past the view's edge, however narrow.
    let room = (x + c.bar_x + c.bar_w + 8)
        .min(x + c.width)
        .saturating_sub(lx);
    if room as usize >= label.chars().count() {
        put(buf, lx, y, &label, room, t.muted);
    } else if off as usize > label.chars().count() + 1 {
        // No room after the bar: before it.
        let lx = bx - label.chars().count() as u16 - 1;
        put(buf, lx, y, &label, label.chars().count() as u16, t.muted);
    }
}

/// The selected span: what it is, when, its attributes, events and resource.
fn details(buf: &mut Buffer, area: Rect, v: &View, tr: &Trace, sp: &TraceSpan) {
    let t = v.theme;
    let (x, w) = (area.x, area.width);
    let mut y = area.y;
    let bottom = area.bottom();
    put(buf, x, y, &"─".repeat(usize::from(w)), w, t.border);
    y += 1;
    let mut head = vec![
        Span::styled(format!("{} ", sp.service), service_style(v, &sp.service)),
        Span::styled(format!("{} ", sp.name), t.text),
        Span::styled(
            format!(
                "· {} at +{} · span {}",
                fmt_us(sp.duration_us),
                fmt_us(sp.start_us.saturating_sub(tr.start_us)),
                sp.span_id
            ),
            t.muted,
        ),
    ];
    if sp.error {
        head.push(Span::styled(" · ✗ error", t.error));
    }
    if y < bottom {
        put_spans(buf, x, y, &head, w);
        y += 1;
    }
    let mut lines: Vec<(String, Style)> = Vec::new();
    for (k, val) in &sp.attributes {
        lines.push((format!("  {k} = {val}"), t.text));
    }
    if !sp.events.is_empty() {
        lines.push(("events".into(), t.muted));
        for (at, what) in &sp.events {
            let st = if what.contains("error") || what.contains("exception") {
                t.error
            } else {
                t.text
            };
            lines.push((
                format!("  +{} {what}", fmt_us(at.saturating_sub(tr.start_us))),
                st,
            ));
        }
    }
    if !sp.resource.is_empty() {
        lines.push(("process".into(), t.muted));
        for (k, val) in &sp.resource {
            lines.push((format!("  {k} = {val}"), t.muted));
        }
    }
    if !lines.is_empty() {
        lines.insert(0, ("attributes".into(), t.muted));
    }
    let room = usize::from(bottom.saturating_sub(y));
    let more = lines.len().saturating_sub(room);
    for (i, (text, st)) in lines.iter().take(room).enumerate() {
        if more > 0 && i + 1 == room {
            put(
                buf,
                x,
                y,
                &format!("  … {} more lines", more + 1),
                w,
                t.muted,
            );
            break;
        }
        put(buf, x, y, text, w, *st);
        y += 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(super::fmt_us(850), "850µs");
        assert_eq!(super::fmt_us(12_500), "12ms");
        assert_eq!(super::fmt_us(2_500), "2.5ms");
        assert_eq!(super::fmt_us(182_000), "182ms");
        assert_eq!(super::fmt_us(2_410_000), "2.41s");
        assert_eq!(
            super::short_id("4bf92f3577b34da6a3ce929d0e0e4736"),
            "4bf92f35…0e4736"
        );
        assert_eq!(super::short_id("€€€€€€€€€€€€€€€€€€"), "€€€€€€€€…€€€€€€");
    }
}
