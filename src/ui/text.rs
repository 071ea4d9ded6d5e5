//! Fast text into the buffer: the table and log panes write cells directly, with an ASCII
//! fast path, instead of going through ratatui's Table and Paragraph (column solving,
//! grapheme segmentation and reflow cost ~5× more per frame; see docs/performance.md).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Writes `s` at (x, y) in `w` columns; returns the columns used. Text that does not fit is
/// cut with `…` in its last column, so a cut never passes for the whole.
///
/// Text whose every character is one column wide (ASCII and our status glyphs) is written a
/// character per cell; anything else (wide or combining characters) goes through ratatui's
/// grapheme-aware `set_stringn`.
pub fn put(buf: &mut Buffer, x: u16, y: u16, s: &str, w: u16, style: Style) -> u16 {
    // Never outside the buffer, whatever the caller's arithmetic on a tiny terminal.
    let a = buf.area;
    if y < a.y || y >= a.bottom() || x < a.x || x >= a.right() {
        return 0;
    }
    let w = w.min(a.right() - x);
    if w == 0 || s.is_empty() {
        return 0;
    }
    // Printable ASCII, or characters one column wide; controls (ESC, BEL, …) have no width and
    // take the slow path, where ratatui drops them, so remote text can never emit a sequence.
    let narrow = s.bytes().all(|b| (0x20..0x7f).contains(&b))
        || s.chars()
            .all(|c| !c.is_control() && UnicodeWidthChar::width(c) == Some(1));
    if narrow {
        // Every character is one column: the text is cut when it has more than `w`, and then
        // its last column says so.
        let cut = if s.is_ascii() {
            s.len() > w as usize
        } else {
            s.chars().nth(w as usize).is_some()
        };
        let keep = if cut { w - 1 } else { w };
        let mut n = 0;
        for c in s.chars().take(keep as usize) {
            let cell = &mut buf[(x + n, y)];
            cell.set_char(c);
            cell.set_style(style);
            n += 1;
        }
        if cut {
            let cell = &mut buf[(x + n, y)];
            cell.set_char('…');
            cell.set_style(style);
            n += 1;
        }
        n
    } else if s.width() > w as usize {
        let (end, _) = buf.set_stringn(x, y, s, w.saturating_sub(1) as usize, style);
        buf[(end, y)].set_char('…').set_style(style);
        end.saturating_sub(x) + 1
    } else {
        let (end, _) = buf.set_stringn(x, y, s, w as usize, style);
        end.saturating_sub(x)
    }
}

/// Border glyphs: plain ─│┌┐└┘, thick ━┃┏┓┗┛.
pub fn border(buf: &mut Buffer, area: Rect, thick: bool, style: Style, title: &[Span]) {
    if area.width < 2 || area.height < 2 {
        return;
    }
    let (h, v, tl, tr, bl, br) = if thick {
        ('━', '┃', '┏', '┓', '┗', '┛')
    } else {
        ('─', '│', '┌', '┐', '└', '┘')
    };
    let (x0, y0, x1, y1) = (area.x, area.y, area.right() - 1, area.bottom() - 1);
    for x in x0 + 1..x1 {
        buf[(x, y0)].set_char(h).set_style(style);
        buf[(x, y1)].set_char(h).set_style(style);
    }
    for y in y0 + 1..y1 {
        buf[(x0, y)].set_char(v).set_style(style);
        buf[(x1, y)].set_char(v).set_style(style);
    }
    buf[(x0, y0)].set_char(tl).set_style(style);
    buf[(x1, y0)].set_char(tr).set_style(style);
    buf[(x0, y1)].set_char(bl).set_style(style);
    buf[(x1, y1)].set_char(br).set_style(style);
    put_spans(buf, x0 + 1, y0, title, area.width.saturating_sub(2));
}

/// Writes spans one after another from (x, y) within `w` columns; returns the columns used.
pub fn put_spans(buf: &mut Buffer, x: u16, y: u16, spans: &[Span], w: u16) -> u16 {
    let mut used = 0;
    for s in spans {
        if used >= w {
            break;
        }
        used += put(buf, x + used, y, &s.content, w - used, s.style);
    }
    used
}

/// A table column: a fixed width, or a share of what is left (at least `min`).
#[derive(Clone, Copy)]
pub enum Col {
    Fixed(u16),
    Flex(u16),
}

/// Column x offsets and widths for an area; columns that do not fit get width 0.
pub fn columns(area: Rect, cols: &[Col], spacing: u16) -> Vec<(u16, u16)> {
    let fixed: u16 = cols
        .iter()
        .map(|c| match c {
            Col::Fixed(w) => *w,
            Col::Flex(m) => *m,
        })
        .sum::<u16>()
        + spacing * cols.len().saturating_sub(1) as u16;
    let flex_n = cols.iter().filter(|c| matches!(c, Col::Flex(_))).count() as u16;
    let extra = area.width.saturating_sub(fixed);
    let mut x = area.x;
    let right = area.x + area.width;
    let mut out = Vec::with_capacity(cols.len());
    let mut flex_i = 0;
    for c in cols {
        let want = match c {
            Col::Fixed(w) => *w,
            Col::Flex(m) => {
                flex_i += 1;
                let share = extra.checked_div(flex_n).unwrap_or(0);
                // The last flexible column also takes the remainder of the division.
                if flex_i == flex_n {
                    m + extra - share * (flex_n - 1)
                } else {
                    m + share
                }
            }
        };
        let w = want.min(right.saturating_sub(x));
        out.push((x, w));
        x = (x + w + spacing).min(right);
    }
    out
}

/// One table row: fills the row with `row_style`, then writes each cell on top.
pub fn row(
    buf: &mut Buffer,
    y: u16,
    area: Rect,
    cols: &[(u16, u16)],
    cells: &[Span],
    row_style: Option<Style>,
) {
    if let Some(st) = row_style {
        buf.set_style(Rect::new(area.x, y, area.width, 1), st);
    }
    for ((x, w), cell) in cols.iter().zip(cells) {
        put(buf, *x, y, &cell.content, *w, cell.style);
    }
}

/// The header row of a table: column names in one style.
pub fn header(buf: &mut Buffer, area: Rect, cols: &[(u16, u16)], names: &[&str], style: Style) {
    if area.height == 0 {
        return;
    }
    for ((x, w), name) in cols.iter().zip(names) {
        put(buf, *x, area.y, name, *w, style);
    }
}

/// A header row with the column the list is sorted on marked `▾` (the first of `sorted` that
/// is shown: the sync wave when the WAVE column is, else the name).
pub fn sorted_header(
    buf: &mut Buffer,
    area: Rect,
    cols: &[(u16, u16)],
    names: &[&str],
    sorted: &[&str],
    style: Style,
) {
    header(buf, area, cols, names, style);
    let shown = &names[..names.len().min(cols.len())];
    let Some(k) = sorted
        .iter()
        .find_map(|s| shown.iter().position(|n| n == s))
    else {
        return;
    };
    let (x, w) = cols[k];
    let n = names[k].width() as u16;
    if n < w {
        put(buf, x + n, area.y, "▾", 1, style);
    }
}

/// A row whose cells are each several spans.
pub fn row_spans(
    buf: &mut Buffer,
    y: u16,
    area: Rect,
    cols: &[(u16, u16)],
    cells: &[Vec<Span>],
    row_style: Option<Style>,
) {
    if let Some(st) = row_style {
        buf.set_style(Rect::new(area.x, y, area.width, 1), st);
    }
    for ((x, w), spans) in cols.iter().zip(cells) {
        put_spans(buf, *x, y, spans, *w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fill_the_width_and_clip_what_does_not_fit() {
        let c = columns(
            Rect::new(2, 0, 40, 1),
            &[Col::Fixed(10), Col::Flex(5), Col::Fixed(8)],
            1,
        );
        assert_eq!(c, vec![(2, 10), (13, 20), (34, 8)]);
        let c = columns(Rect::new(0, 0, 12, 1), &[Col::Fixed(10), Col::Fixed(8)], 1);
        assert_eq!(c, vec![(0, 10), (11, 1)]);
        let c = columns(
            Rect::new(0, 0, 31, 1),
            &[Col::Flex(2), Col::Fixed(4), Col::Flex(2)],
            1,
        );
        assert_eq!(c, vec![(0, 12), (13, 4), (18, 13)]);
    }

    #[test]
    fn control_characters_never_reach_the_buffer() {
        let mut b = Buffer::empty(Rect::new(0, 0, 40, 1));
        put(
            &mut b,
            0,
            0,
            "a\x1b[2J\x1b]0;title\x07b\u{9b}c\u{85}",
            40,
            Style::default(),
        );
        for x in 0..40 {
            let sym = b[(x, 0)].symbol();
            assert!(
                !sym.chars().any(char::is_control),
                "control in cell {x}: {sym:?}"
            );
        }
    }

    #[test]
    fn put_clips_ascii_and_wide_text() {
        let mut b = Buffer::empty(Rect::new(0, 0, 12, 1));
        assert_eq!(put(&mut b, 0, 0, "abcdefgh", 4, Style::default()), 4);
        assert_eq!(put(&mut b, 4, 0, "✓✓✓", 2, Style::default()), 2);
        // What fits exactly is whole; wide text is cut on a character with the mark.
        assert_eq!(put(&mut b, 6, 0, "ab", 2, Style::default()), 2);
        assert_eq!(put(&mut b, 8, 0, "日本語", 4, Style::default()), 3);
        let line: String = (0..12).map(|x| b[(x, 0)].symbol().to_string()).collect();
        // (日 takes two cells; the second reads as blank in the buffer.)
        assert_eq!(line, "abc…✓…ab日 … ");
    }
}
