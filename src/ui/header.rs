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
    let mut left = vec![Span::styled(" opsdeck ", t.title)];
    if s.context.demo {
        left.push(Span::styled(" DEMO ", t.badge));
        left.push(Span::raw(" "));
    }
    if s.context.protected {
        left.push(Span::styled(" PROTECTED ", t.badge_danger));
        left.push(Span::raw(" "));
    }
    if s.context.read_only {
        left.push(Span::styled(" READ-ONLY ", t.badge_danger));
        left.push(Span::raw(" "));
    }
    let who = left.len();
    left.push(Span::styled(
        format!("{} · ns {} ", s.context.name, s.context.namespace),
        t.text,
    ));
    if compact {
        for p in Pane::ALL {
            let shown = s.ui.layout.rect(p).is_some() || s.ui.focus == p;
            let label = format!("{}{} ", p.index() + 1, short(p));
            left.push(Span::styled(
                label,
                if s.ui.focus == p {
                    t.selection
                } else if shown {
                    t.text
                } else {
                    t.muted
                },
            ));
        }
    }
    let clock = format!(" {} UTC ", s.now.format("%H:%M"));
    let health = health_spans(v, area.width as usize > 150 && !compact);
    let used: usize = left.iter().map(|x| x.content.width()).sum::<usize>() + clock.width();
    let hw: usize = health.iter().map(|x| x.content.width()).sum();
    let mut spans = left;
    let mut room = (area.width as usize).saturating_sub(used);
    // Problems before names: a long context (an EKS ARN) is cut so the health still shows.
    let text = spans[who].content.to_string();
    // Cut for the health if that is enough, else for the pane tabs.
    let width = area.width as usize;
    let over = match (used + hw).saturating_sub(width) {
        o if text.width() >= o + 12 => o,
        _ => used.saturating_sub(width),
    };
    // Only long names (EKS ARNs, GKE's project_zone_cluster) are cut; short ones read whole.
    if over > 0 && s.context.name.width() > 32 && text.width() >= over + 12 {
        let cut = who_cut(&s.context.name, &s.context.namespace, text.width() - over);
        room = width.saturating_sub(used - text.width() + cut.width());
        spans[who] = Span::styled(cut, t.text);
    }
    if hw <= room {
        spans.push(Span::raw(" ".repeat(room - hw)));
        spans.extend(health);
    } else {
        spans.push(Span::raw(" ".repeat(room)));
    }
    spans.push(Span::styled(clock, t.title));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
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
                Health::Off(_) => ("–", t.muted),
            };
            out.push(Span::styled(format!("{} {sym} ", label(s, id)), st));
        }
        return out;
    }
    // A failing source with the age of its last good data: `✗ rollouts 2m`.
    let failing: Vec<String> = SourceId::ALL
        .iter()
        .filter(|id| matches!(s.source(**id).health, Health::Error(_)))
        .map(|id| match s.source(*id).last_ok {
            Some(t0) => format!(
                "{} {}",
                label(s, *id),
                super::fmt_age((s.now - t0).num_seconds())
            ),
            None => label(s, *id).to_string(),
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
    } else {
        vec![Span::styled(format!("✗ {} ", failing.join(",")), t.error)]
    }
}
