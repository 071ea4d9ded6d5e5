//! The header: who (context, namespace), the DEMO / READ-ONLY badges, source health,
//! pane tabs in the compact layout, and the clock at minute resolution.

use super::View;
use crate::layout::Pane;
use crate::state::{Health, SourceId};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, v: &View, compact: bool) {
    let s = v.state;
    let t = v.theme;
    let width = area.width as usize;
    let problems = s.problems();
    let mut badges = Vec::new();
    if s.context.demo {
        badges.push(Span::styled(" DEMO ", t.badge));
        badges.push(Span::raw(" "));
    }
    if s.context.protected {
        badges.push(Span::styled(" PROTECTED ", t.badge_danger));
        badges.push(Span::raw(" "));
    }
    if s.context.read_only {
        badges.push(Span::styled(" READ-ONLY ", t.badge_danger));
        badges.push(Span::raw(" "));
    }
    let badges_w = spans_width(&badges);
    let forms = summary_forms(v, &problems);
    let tabs: Vec<Vec<Span>> = if compact {
        vec![
            tab_spans(v, &problems, true),
            tab_spans(v, &problems, false),
        ]
    } else {
        vec![Vec::new()]
    };
    let tabs_min = tabs.last().map_or(0, |x| spans_width(x));
    let who_full = format!("{} · ns {} ", s.context.name, s.context.namespace);
    // Problems first: the widest summary that leaves the narrowest tabs and the name (up to
    // 28 columns of it).
    let name_min = who_full.width().min(28);
    // Give way in this order before the summary shrinks to a count: opsdeck's own name, then
    // the context beyond 12 columns.
    let fits = |title: &str, name: usize| {
        forms[..forms.len().saturating_sub(1).max(1)]
            .iter()
            .position(|f| title.len() + badges_w + spans_width(f) + tabs_min + name <= width)
    };
    let (title, pick) = fits(" opsdeck ", name_min)
        .map(|i| (" opsdeck ", i))
        .or_else(|| fits("", name_min).map(|i| ("", i)))
        .or_else(|| fits("", name_min.min(12)).map(|i| ("", i)))
        .unwrap_or(("", forms.len() - 1));
    let summary = &forms[pick];
    let mut used = title.len() + badges_w + spans_width(summary);
    let tab = tabs
        .iter()
        .find(|x| used + spans_width(x) + name_min <= width)
        .or(tabs.last())
        .cloned()
        .unwrap_or_default();
    used += spans_width(&tab);
    let rest = width.saturating_sub(used);
    let clock = format!(" {} UTC ", s.now.format("%H:%M"));
    let health = health_spans(v, width > 150 && !compact);
    let hw = spans_width(&health);
    // A long context (an EKS ARN) or namespace list is cut so the source health still shows;
    // short ones read whole while they fit.
    let mut who_w = who_full.width();
    // Cut only when that makes room for the source health to show (the clock goes first).
    if who_w > 28 && who_w + hw > rest && rest >= 24 + hw {
        who_w = rest - hw;
    }
    who_w = who_w.min(rest);
    let who = if who_w >= who_full.width() {
        who_full
    } else {
        who_cut(&s.context.name, &s.context.namespace, who_w)
    };
    let mut room = rest.saturating_sub(who.width());
    let mut spans = vec![Span::styled(title, t.title)];
    spans.extend(badges);
    spans.extend(summary.iter().cloned());
    spans.push(Span::styled(who, t.text));
    spans.extend(tab);
    let show_health = hw <= room;
    if show_health {
        room -= hw;
    }
    let show_clock = clock.width() <= room;
    if show_clock {
        room -= clock.width();
    }
    spans.push(Span::raw(" ".repeat(room)));
    if show_health {
        spans.extend(health);
    }
    if show_clock {
        spans.push(Span::styled(clock, t.title));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|x| x.content.width()).sum()
}

/// The problem summary, widest first: every item in words, every item short, the worst
/// items short with a count of the rest, then only the count. Nothing wrong reads `✓`; with
/// a source failing, nothing is claimed (the health says which).
fn summary_forms<'a>(v: &View, p: &crate::state::Problems) -> Vec<Vec<Span<'a>>> {
    let t = v.theme;
    let items = p.items();
    if items.is_empty() {
        let blind = SourceId::ALL
            .iter()
            .any(|id| !matches!(v.state.source(*id).health, Health::Ok | Health::Off(_)));
        if blind {
            return vec![Vec::new()];
        }
        return vec![
            vec![Span::styled("✓ all clear  ", t.ok)],
            vec![Span::styled("✓ ", t.ok)],
        ];
    }
    let style = |severe: bool| if severe { t.badge_danger } else { t.badge };
    let lead = style(p.severe());
    let mut forms = Vec::new();
    let join = |texts: Vec<(String, bool)>| {
        let mut out = vec![Span::styled("⚠", lead)];
        for (x, severe) in texts {
            out.push(Span::styled(format!(" {x}"), style(severe)));
        }
        out.push(Span::styled(" ", lead));
        out.push(Span::raw(" "));
        out
    };
    forms.push(join(
        items.iter().map(|i| (i.long.clone(), i.severe)).collect(),
    ));
    forms.push(join(
        items.iter().map(|i| (i.short.clone(), i.severe)).collect(),
    ));
    for keep in (1..items.len()).rev() {
        let mut texts: Vec<(String, bool)> = items[..keep]
            .iter()
            .map(|i| (i.short.clone(), i.severe))
            .collect();
        let more = items[keep..].iter().any(|i| i.severe);
        texts.push((format!("+{}", items.len() - keep), more));
        forms.push(join(texts));
    }
    forms.push(join(vec![(p.total().to_string(), p.severe())]));
    forms
}

/// The compact layout's pane strip: `1Apps 2Roll! …`, or digits only; a pane holding a
/// problem is marked `!` in the error colour.
fn tab_spans<'a>(v: &View, p: &crate::state::Problems, words: bool) -> Vec<Span<'a>> {
    let s = v.state;
    let t = v.theme;
    let mut out = Vec::new();
    for pane in Pane::ALL {
        let shown = s.ui.layout.rect(pane).is_some() || s.ui.focus == pane;
        let st = if s.ui.focus == pane {
            t.selection
        } else if shown {
            t.text
        } else {
            t.muted
        };
        let label = if words {
            format!("{}{}", pane.index() + 1, short(pane))
        } else {
            format!("{}", pane.index() + 1)
        };
        out.push(Span::styled(label, st));
        if p.in_pane(pane) {
            out.push(Span::styled(
                "!",
                if s.ui.focus == pane { st } else { t.error },
            ));
        }
        out.push(Span::raw(" "));
    }
    out
}

/// `context · ns namespaces` in `w` columns: the context keeps its end (`…cluster/shop-prod`,
/// what tells clusters apart), then the namespaces their start.
fn who_cut(name: &str, namespace: &str, w: usize) -> String {
    let tail = |s: &str, n: usize| -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() <= n {
            return s.to_string();
        }
        let kept: String = chars[chars.len() - n.saturating_sub(1)..].iter().collect();
        format!("…{kept}")
    };
    let ns = format!(" · ns {namespace} ");
    // The namespaces go first when there is no room for them beside a readable name.
    if w < 12 + 10 {
        return format!("{} ", tail(name, w.saturating_sub(1)));
    }
    let name_w = w.saturating_sub(ns.width()).max(12).min(name.width());
    let name = tail(name, name_w);
    let ns_w = w.saturating_sub(name.width());
    let ns = if ns.width() > ns_w {
        format!(
            "{} ",
            super::ellipsize(ns.trim_end(), ns_w.saturating_sub(1))
        )
    } else {
        ns
    };
    format!("{name}{ns}")
}

fn short(p: Pane) -> &'static str {
    match p {
        Pane::Apps => "Apps",
        Pane::Rollouts => "Roll",
        Pane::Routes => "Routes",
        Pane::Cpu => "CPU",
        Pane::Logs => "Logs",
        Pane::Alerts => "Alerts",
    }
}

/// A source's name in the header: the mesh's own name (`istio`, `linkerd+istio`) and the log
/// store with its version (`opensearch 2.11.0`) once known.
fn label(s: &crate::state::State, id: SourceId) -> &str {
    match id {
        SourceId::Mesh if !s.mesh.is_empty() => &s.mesh,
        SourceId::Logs if !s.log_store.is_empty() => &s.log_store,
        _ => id.label(),
    }
}

/// Each source with ✓ / … / ✗ when wide; otherwise a count and the failing names.
fn health_spans<'a>(v: &View, wide: bool) -> Vec<Span<'a>> {
    let s = v.state;
    let t = v.theme;
    if wide {
        let mut out = Vec::new();
        for id in SourceId::ALL {
            let (sym, st) = match s.source(id).health {
                Health::Ok => ("✓", t.ok),
                Health::Connecting => ("…", t.muted),
                Health::Error(_) => ("✗", t.error),
                Health::Degraded(_) => ("!", t.warn),
                Health::Off(_) => ("–", t.muted),
            };
            out.push(Span::styled(format!("{} {sym} ", label(s, id)), st));
        }
        return out;
    }
    // A failing source with the age of its last good data: `✗ rollouts 2m`.
    let failing: Vec<String> = SourceId::ALL
        .iter()
        .filter(|id| {
            matches!(
                s.source(**id).health,
                Health::Error(_) | Health::Degraded(_)
            )
        })
        .map(|id| match s.source(*id).last_ok {
            Some(t0) if matches!(s.source(*id).health, Health::Error(_)) => format!(
                "{} {}",
                label(s, *id),
                super::fmt_age((s.now - t0).num_seconds())
            ),
            _ => label(s, *id).to_string(),
        })
        .collect();
    let ok = SourceId::ALL
        .iter()
        .filter(|id| s.source(**id).health == Health::Ok)
        .count();
    let off = SourceId::ALL
        .iter()
        .filter(|id| matches!(s.source(**id).health, Health::Off(_)))
        .count();
    if failing.is_empty() {
        let off_text = if off > 0 {
            format!(", {off} off")
        } else {
            String::new()
        };
        vec![Span::styled(
            format!("sources {ok}/6 ✓{off_text} "),
            if ok == 6 { t.ok } else { t.muted },
        )]
    } else if SourceId::ALL
        .iter()
        .all(|id| !matches!(s.source(*id).health, Health::Error(_)))
    {
        // Only degraded ones: serving, part of it stale.
        vec![Span::styled(format!("! {} ", failing.join(",")), t.warn)]
    } else {
        vec![Span::styled(format!("✗ {} ", failing.join(",")), t.error)]
    }
}
