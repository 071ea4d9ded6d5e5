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
    } else if s.typing() == Some(Typing::TraceFilter) {
        Line::from(vec![
            Span::styled(" filter spans ", t.badge),
            Span::styled(
                "  service, operation or attribute · Enter keep · Esc clear",
                t.muted,
            ),
        ])
    } else if let Some(f) = s
        .flash
        .as_ref()
        .filter(|f| f.kind != FlashKind::Info || s.in_flight.is_empty())
    {
        let st = match f.kind {
            FlashKind::Ok => t.ok,
            FlashKind::Error => t.error,
            FlashKind::Info => t.info,
        };
        Line::from(Span::styled(
            format!(" {}", super::ellipsize(&f.text, w.saturating_sub(1))),
            st,
        ))
    } else if !s.in_flight.is_empty() {
        // What is on its way, until its outcome: never a silent wait.
        let parts: Vec<String> = s
            .in_flight
            .iter()
            .map(|f| {
                format!(
                    "{} {} ({}s)",
                    f.request.kind.as_str(),
                    f.request.target.name,
                    (s.wall - f.since).num_seconds().max(0)
                )
            })
            .collect();
        Line::from(Span::styled(
            format!(
                " … {}",
                super::ellipsize(
                    &format!("waiting for the answer: {}", parts.join(", ")),
                    w.saturating_sub(3)
                )
            ),
            t.info,
        ))
    } else {
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        // Read-only: actions that would be refused are not offered.
        let shown = |a: crate::state::Action| !s.context.read_only || a.kind().is_none();
        for (key, label) in v.keymap.hints(&s.key_contexts(), shown) {
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
