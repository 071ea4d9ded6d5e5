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

/// The all-clusters view over the body: every cluster's alerts, rollouts and applications in
/// one table with a cluster column, problems first (the first rows answer "is anything wrong
/// anywhere?"), each row's state as a glyph that reads without colour. Enter shows the
/// selected row in its cluster.
///
/// ```text
/// ╔ All clusters · 3 clusters · 52 rows · 4 with a problem ═════════════════════╗
/// ║   CLUSTER        KIND     NAME              STATUS                  WHY       ║
/// ║ ✗ k3d-dev        rollout  store             Paused step 2/5 20%     canary…   ║
/// ```
pub fn draw_all(frame: &mut Frame, body: Rect, v: &View, selected: usize) {
    use crate::state::problem_rows;
    use ratatui::widgets::{Block, BorderType, Clear};
    use unicode_width::UnicodeWidthStr;
    let t = v.theme;
    let s = v.state;
    let rows = &s.fleet_rows;
    let clusters = s.fleet.len().max(1);
    let problems = problem_rows(rows);
    let title = format!(
        " All clusters · {clusters} cluster{} · {} rows · {problems} with a problem ",
        if clusters == 1 { "" } else { "s" },
        rows.len()
    );
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.border_focus)
        .title(Span::styled(
            super::ellipsize(&title, body.width as usize),
            t.title,
        ));
    frame.render_widget(Clear, body);
    let inner = block.inner(body);
    frame.render_widget(block, body);
    if inner.height < 2 || inner.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    if rows.is_empty() {
        let text = "no applications, rollouts or alerts in any cluster yet";
        super::text::put(buf, inner.x, inner.y, text, inner.width, t.muted);
        return;
    }
    let w = inner.width as usize;
    // Columns as wide as what is on screen needs, within shares of the width; the reason takes
    // the rest.
    let height = inner.height.saturating_sub(1) as usize;
    let start = selected.saturating_sub(height.saturating_sub(1));
    let end = (start + height).min(rows.len());
    let shown = &rows[start..end];
    let col = |f: &dyn Fn(&crate::state::FleetRow) -> usize, min: usize, max: usize| {
        shown
            .iter()
            .map(f)
            .max()
            .unwrap_or(min)
            .clamp(min, max.max(min))
    };
    let cluster_w = col(&|r| r.cluster.width(), 7, w / 6);
    // At 80 columns the kind in five: `alert`, `roll`, `app`.
    let kind_w = if w >= 100 { 7 } else { 5 };
    let name_w = col(
        &|r| {
            if r.namespace.is_empty() {
                r.name.width()
            } else {
                r.namespace.width() + 1 + r.name.width()
            }
        },
        4,
        w / 4,
    );
    let status_w = col(&|r| r.status.width(), 6, w / 4);
    let fixed = 2 + cluster_w + 1 + kind_w + 1 + name_w + 1 + status_w + 1;
    let why_w = w.saturating_sub(fixed);
    let head = format!(
        "  {:<cluster_w$} {:<kind_w$} {:<name_w$} {:<status_w$} {}",
        "CLUSTER",
        "KIND",
        "NAME",
        "STATUS",
        if why_w >= 3 { "WHY" } else { "" },
    );
    super::text::put(buf, inner.x, inner.y, &head, inner.width, t.header);
    let pad = |text: &str, width: usize| {
        let e = super::ellipsize(text, width);
        let gap = width.saturating_sub(e.width());
        format!("{e}{}", " ".repeat(gap))
    };
    for (line, (i, r)) in shown
        .iter()
        .enumerate()
        .map(|(k, r)| (start + k, r))
        .enumerate()
    {
        let y = inner.y + 1 + line as u16;
        let (glyph, st) = match r.rank {
            3 => ("✗", t.error),
            2 => ("!", t.warn),
            1 => ("…", t.muted),
            _ => ("✓", t.ok),
        };
        let name = if r.namespace.is_empty() {
            r.name.clone()
        } else {
            format!("{}/{}", r.namespace, r.name)
        };
        let kind = match r.kind {
            crate::state::RowKind::Rollout if kind_w < 7 => "roll",
            k => k.as_str(),
        };
        let text = format!(
            "{glyph} {} {} {} {} {}",
            pad(&r.cluster, cluster_w),
            pad(kind, kind_w),
            pad(&name, name_w),
            pad(&r.status, status_w),
            super::ellipsize(&r.detail, why_w),
        );
        let style = if i == selected {
            t.selection
        } else if r.rank >= 2 {
            st
        } else {
            t.text
        };
        super::text::put(buf, inner.x, y, &text, inner.width, style);
        if i != selected {
            // The glyph in its own colour even on a plain row.
            super::text::put(buf, inner.x, y, glyph, 1, st);
        }
    }
}
