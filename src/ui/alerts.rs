//! Alertmanager alerts: firing first, by severity; what they are about and for how long.

use super::text::{self, Col};
use super::{View, ellipsize, fmt_age, pane_frame, window};
use crate::layout::Pane;
use crate::model::{AlertState, Severity};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub fn draw(frame: &mut Frame, area: Rect, v: &View) {
    let s = v.state;
    let t = v.theme;
    let idx = s.indices(Pane::Alerts);
    if super::draw_status(
        frame,
        area,
        v,
        Pane::Alerts,
        idx.is_empty() && s.alerts.is_empty(),
        "✓ no alerts firing",
    ) {
        return;
    }
    let firing = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count();
    let muted = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Suppressed)
        .count();
    let mut extra = vec![Span::styled(
        format!("{firing} firing "),
        if firing > 0 { t.error } else { t.muted },
    )];
    if muted > 0 {
        let how = if s.ui.alerts.show_suppressed {
            "shown"
        } else {
            "hidden, i shows"
        };
        extra.push(Span::styled(
            format!("· {muted} silenced/inhibited ({how}) "),
            t.muted,
        ));
    }
    let inner = pane_frame(frame, area, v, Pane::Alerts, extra);
    let pos = &s.ui.lists[Pane::Alerts];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Alerts;
    let wide = inner.width >= 70;
    let subject_w = s
        .alerts
        .iter()
        .map(|a| a.subject().len())
        .max()
        .unwrap_or(7)
        .clamp(7, 40) as u16;
    let mut spec = vec![
        Col::Fixed(10),
        Col::Fixed(16),
        Col::Fixed(subject_w),
        Col::Fixed(4),
    ];
    let mut header = vec!["SEVERITY", "ALERT", "SUBJECT", "FOR"];
    if wide {
        spec.push(Col::Flex(0));
        header.push("SUMMARY");
    }
    let cols = text::columns(inner, &spec, 1);
    let sum_w = cols.get(4).map(|c| c.1 as usize).unwrap_or(0);
    let buf = frame.buffer_mut();
    super::list_header(buf, inner, &cols, &header, v, Pane::Alerts);
    if idx.is_empty() {
        text::put(
            buf,
            inner.x,
            inner.y + 1,
            "✓ no alerts firing (silenced ones are hidden; i shows them)",
            inner.width,
            t.muted,
        );
    }
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(a) = idx.get(k).map(|i| &s.alerts[i]) else {
            continue;
        };
        // Grouped by alertname and severity: the name once, the members under it.
        let same_group = k > 0
            && idx.get(k - 1).map(|p| &s.alerts[p]).is_some_and(|p| {
                p.name == a.name && p.severity == a.severity && p.state == a.state
            });
        let firing = a.state == AlertState::Firing;
        let sev = match a.severity {
            _ if !firing => t.muted,
            Severity::Critical => t.error,
            Severity::Warning => t.warn,
            _ => t.info,
        };
        let state = match a.state {
            AlertState::Firing => "●",
            AlertState::Suppressed => "◌",
            AlertState::Unprocessed => "?",
        };
        let body = if firing { t.text } else { t.muted };
        let mut cells = vec![
            Span::styled(format!("{state} {}", a.severity.as_str()), sev),
            if same_group && line > 0 {
                Span::styled("  ″", t.muted)
            } else {
                Span::styled(a.name.as_str(), body)
            },
            Span::styled(a.subject().to_string(), body),
            Span::styled(fmt_age((s.now - a.starts_at).num_seconds()), t.muted),
        ];
        if wide {
            let text = match (a.summary.is_empty(), a.description.is_empty()) {
                (false, false) => format!("{} — {}", a.summary, a.description),
                (true, _) => a.description.clone(),
                _ => a.summary.clone(),
            };
            // A silenced alert says first until when, by whom and why.
            let text = match silence_text(v, a) {
                Some(why) => format!("{why} · {text}"),
                None => text,
            };
            cells.push(Span::styled(ellipsize(&text, sum_w), t.muted));
        }
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}

/// `silenced until 14:30 by alice: deploying the fix`; inhibited alerts say by what.
fn silence_text(v: &View, a: &crate::model::Alert) -> Option<String> {
    if let Some(si) = a.silences.iter().max_by_key(|x| x.ends_at) {
        let until = if si.ends_at.date_naive() == v.state.now.date_naive() {
            si.ends_at.format("%H:%M").to_string()
        } else {
            si.ends_at.format("%m-%d %H:%M").to_string()
        };
        let by = if si.created_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", si.created_by)
        };
        let why = if si.comment.is_empty() {
            String::new()
        } else {
            format!(": {}", si.comment)
        };
        return Some(format!("silenced until {until} UTC{by}{why}"));
    }
    if !a.silenced_by.is_empty() {
        return Some(format!("silenced by {}", a.silenced_by.join(", ")));
    }
    if !a.inhibited_by.is_empty() {
        return Some("inhibited by another alert".to_string());
    }
    None
}
