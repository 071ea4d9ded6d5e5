//! The footer: the filter being typed, a flash message, or key hints from the keymap.

use super::View;
use crate::state::{FlashKind, Typing};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let w = area.width as usize;
    let line = if let Some(cmd) = s.command_line() {
        suggestions(frame, area, v, cmd);
        Line::from(vec![
            Span::styled(format!(":{cmd}▌"), t.text),
            Span::styled(
                "  Tab complete · ↑↓ history · Enter run · Esc cancel",
                t.muted,
            ),
        ])
    } else if let Some(Typing::Filter(p)) = s.typing() {
        Line::from(vec![
            Span::styled(" filter ", t.badge),
            Span::styled(format!(" /{}▌", s.ui.lists[p].filter), t.text),
            Span::styled("  Enter keep · Esc clear", t.muted),
        ])
    } else if let Some(f) = &s.flash {
        let st = match f.kind {
            FlashKind::Ok => t.ok,
            FlashKind::Error => t.error,
            FlashKind::Info => t.info,
        };
        Line::from(Span::styled(
            format!(" {}", super::ellipsize(&f.text, w.saturating_sub(1))),
            st,
        ))
    } else {
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        for (key, label) in v.keymap.hints(&s.key_contexts()) {
            let piece = key.width() + label.width() + 3;
            if used + piece > w {
                break;
            }
            spans.push(Span::styled(key, t.accent));
            spans.push(Span::styled(format!(" {label}  "), t.muted));
            used += piece;
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The palette's best matches, in a box just above the footer.
fn suggestions(frame: &mut Frame, footer: Rect, v: &View, cmd: &str) {
    let s = v.state;
    let t = v.theme;
    let list = s.suggestions(cmd, 8);
    if list.is_empty() || footer.y < 3 {
        return;
    }
    let h = (list.len() as u16 + 2).min(footer.y);
    let w = footer.width.min(64);
    let area = Rect::new(footer.x, footer.y - h, w, h);
    frame.render_widget(ratatui::widgets::Clear, area);
    let block = ratatui::widgets::Block::bordered()
        .border_style(t.border_focus)
        .title(Span::styled(" commands ", t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    for (i, sug) in list.iter().enumerate().take(inner.height as usize) {
        let st = if i == 0 { t.selection } else { t.text };
        let line = Line::from(vec![
            Span::styled(format!(":{:<28}", sug.line), st),
            Span::styled(format!(" {}", sug.about), t.muted),
        ]);
        frame.render_widget(
            Paragraph::new(line),
            Rect::new(inner.x, inner.y + i as u16, inner.width, 1),
        );
    }
}
