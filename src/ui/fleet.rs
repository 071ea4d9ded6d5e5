//! The fleet strip under the header: one cell per watched cluster, the focused one marked
//! `▶`, each with the worst of its state as a glyph that reads without colour (`✗` severe, `!`
//! a problem or a source down, `…` connecting, `✓` fine) and its problems in short words.
//!
//! ```text
//! ▶ ✗ k3d-dev 1worse 2warn 1cert! │ ✓ titanium-prod │ ! stage 2 sources down   ] [ cluster
//! ```

use super::View;
use super::text::put_spans;
use crate::state::FleetCell;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// A cell's words: its problems in short, or its sources down, or that it is fine.
fn summary(c: &FleetCell) -> String {
    let mut parts: Vec<String> = c.problems.items().into_iter().map(|i| i.short).collect();
    if c.sources_down > 0 {
        let s = if c.sources_down == 1 { "" } else { "s" };
        parts.push(format!("{} source{s} down", c.sources_down));
    }
    if parts.is_empty() && c.connecting {
        parts.push("connecting".into());
    }
    parts.join(" ")
}

/// Each cell's width in `room` columns: all it wants when that fits; else each a share, and
/// what a cell does not need goes to the worst ones first.
fn widths(cells: &[FleetCell], room: usize) -> Vec<usize> {
    use unicode_width::UnicodeWidthStr;
    let want: Vec<usize> = cells
        .iter()
        .map(|c| {
            let words = summary(c);
            4 + c.name.width()
                + if words.is_empty() {
                    0
                } else {
                    1 + words.width()
                }
        })
        .collect();
    if want.iter().sum::<usize>() <= room {
        return want;
    }
    let share = room / cells.len().max(1);
    let mut out: Vec<usize> = want.iter().map(|&w| w.min(share)).collect();
    let mut spare = room.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(cells[i].rank()), !cells[i].focused));
    for i in order {
        let more = want[i].saturating_sub(out[i]).min(spare);
        out[i] += more;
        spare -= more;
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let t = v.theme;
    let cells = &v.state.fleet;
    if cells.len() < 2 || area.height == 0 {
        return;
    }
    let hint = "  ] [ cluster";
    let hint_w = if area.width >= 120 {
        hint.len() as u16
    } else {
        0
    };
    let seps = cells.len().saturating_sub(1) * 3;
    let room = usize::from(area.width.saturating_sub(hint_w)).saturating_sub(seps);
    let widths = widths(cells, room);
    let mut spans: Vec<Span> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.border));
        }
        let (glyph, st) = match c.rank() {
            3 => ("✗", t.error),
            2 => ("!", t.warn),
            1 => ("…", t.muted),
            _ => ("✓", t.ok),
        };
        let lead = if c.focused { "▶ " } else { "  " };
        let name_st = if c.focused { t.title } else { t.text };
        let words = summary(c);
        let each = widths[i];
        // The name keeps what room it needs first; the words get the rest.
        let fixed = 4;
        let name = super::ellipsize(&c.name, each.saturating_sub(fixed).max(1));
        let rest =
            each.saturating_sub(fixed + unicode_width::UnicodeWidthStr::width(name.as_str()) + 1);
        spans.push(Span::styled(lead, t.accent));
        spans.push(Span::styled(format!("{glyph} "), st));
        spans.push(Span::styled(name, name_st));
        if rest > 1 && !words.is_empty() {
            spans.push(Span::styled(
                format!(" {}", super::ellipsize(&words, rest)),
                st,
            ));
        }
    }
    let used = put_spans(frame.buffer_mut(), area.x, area.y, &spans, area.width);
    if hint_w > 0 && used + hint_w <= area.width {
        let x = area.x + area.width - hint_w;
        super::text::put(frame.buffer_mut(), x, area.y, hint, hint_w, t.muted);
    }
}
