//! A drawn frame as text: `opsdeck --once` for reports, and the render tests' snapshots.
//! Plain, or with SGR colour sequences (`--color always`); the text itself was cleaned when
//! it entered State, so the only escapes in the output are the ones written here.

use super::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use std::fmt::Write;

/// The whole dashboard drawn at `width`×`height`.
pub fn frame(v: &View, width: u16, height: u16) -> Buffer {
    let area = ratatui::layout::Rect::new(0, 0, width.max(1), height.max(1));
    match Terminal::new(TestBackend::new(area.width, area.height)) {
        Ok(mut t) => match t.draw(|f| super::draw(f, v)) {
            Ok(_) => t.backend().buffer().clone(),
            Err(_) => Buffer::empty(area),
        },
        Err(_) => Buffer::empty(area),
    }
}

/// One line per row; wide characters once (the cells they cover are skipped). `trim` drops
/// trailing blanks; `colour` writes each change of style as an SGR sequence and resets at
/// every line's end, so a line cut out of the report keeps no stray colour.
pub fn buffer_text(buf: &Buffer, colour: bool, trim: bool) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut blank_from = 0;
        let mut style = Style::default();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            if colour {
                let s = cell.style();
                let now = Style::default()
                    .fg(s.fg.unwrap_or(Color::Reset))
                    .bg(s.bg.unwrap_or(Color::Reset))
                    .add_modifier(s.add_modifier);
                if now != style {
                    line.push_str(&sgr(now));
                    style = now;
                }
            }
            line.push_str(sym);
            if !(sym.trim().is_empty() && style.bg.is_none_or(|b| b == Color::Reset)) {
                blank_from = line.len();
            }
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        if trim {
            line.truncate(blank_from);
        }
        if colour && style != Style::default() {
            line.push_str("\x1b[0m");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The SGR sequence that sets `s` from a reset.
fn sgr(s: Style) -> String {
    let mut codes = vec!["0".to_string()];
    for (m, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if s.add_modifier.contains(m) {
            codes.push(code.into());
        }
    }
    if let Some(c) = s.fg.and_then(|c| colour_code(c, false)) {
        codes.push(c);
    }
    if let Some(c) = s.bg.and_then(|c| colour_code(c, true)) {
        codes.push(c);
    }
    let mut out = String::from("\x1b[");
    let _ = write!(out, "{}m", codes.join(";"));
    out
}

fn colour_code(c: Color, bg: bool) -> Option<String> {
    let base = |n: u8| Some((if bg { 40 + n } else { 30 + n }).to_string());
    let bright = |n: u8| Some((if bg { 100 + n } else { 90 + n }).to_string());
    let lead = if bg { 48 } else { 38 };
    match c {
        Color::Reset => None,
        Color::Black => base(0),
        Color::Red => base(1),
        Color::Green => base(2),
        Color::Yellow => base(3),
        Color::Blue => base(4),
        Color::Magenta => base(5),
        Color::Cyan => base(6),
        Color::Gray => base(7),
        Color::DarkGray => bright(0),
        Color::LightRed => bright(1),
        Color::LightGreen => bright(2),
        Color::LightYellow => bright(3),
        Color::LightBlue => bright(4),
        Color::LightMagenta => bright(5),
        Color::LightCyan => bright(6),
        Color::White => bright(7),
        Color::Indexed(i) => Some(format!("{lead};5;{i}")),
        Color::Rgb(r, g, b) => Some(format!("{lead};2;{r};{g};{b}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn wide_characters_are_written_once_and_trailing_blanks_go() {
        let mut b = Buffer::empty(Rect::new(0, 0, 6, 2));
        b.set_string(0, 0, "界x", Style::default());
        b.set_string(0, 1, "ab", Style::default());
        assert_eq!(buffer_text(&b, false, true), "界x\nab\n");
        assert_eq!(buffer_text(&b, false, false), "界x   \nab    \n");
    }

    #[test]
    fn colour_changes_are_sgr_sequences_reset_at_each_line_end() {
        let mut b = Buffer::empty(Rect::new(0, 0, 4, 1));
        b.set_string(0, 0, "ok", Style::default().fg(Color::Green));
        b.set_string(
            2,
            0,
            "!!",
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::BOLD),
        );
        assert_eq!(
            buffer_text(&b, true, true),
            "\x1b[0;32mok\x1b[0;1;38;2;255;0;0m!!\x1b[0m\n"
        );
        // Without colour, no escape at all.
        assert_eq!(buffer_text(&b, false, true), "ok!!\n");
    }
}
