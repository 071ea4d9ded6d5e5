//! Below the rollout: its pods by role and the Kubernetes events about it, newest first —
//! what `kubectl get pods -l …` and `kubectl events` would say, on one screen; and the
//! cockpit's one line of it.
//!
//! ```text
//! ╔ store · pods and events · app=store ═════════════════════════════════════════╗
//! ║ ROLE   NAME                   READY STATUS           RESTARTS     AGE  NODE    ║
//! ║ canary store-7c9d8f6b5c-x2x9k 1/2   CrashLoopBackOff 7 (2m ago)   9m   k3d-…   ║
//! ║   └ back-off 5m0s restarting failed container · last exit Error (exit 1)       ║
//! ║ Events · Warning only (e: Normal too)                                          ║
//! ║ LAST  TYPE     REASON     OBJECT                      COUNT NOTE               ║
//! ╚════════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::text::{Col, columns, put};
use super::{View, fetch_note};
use crate::model::time::fmt_age;
use crate::model::{KubeEvent, Pod, PodRole, Rollout};
use crate::state::{Below, Fetch};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

fn ago(v: &View, t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "—".to_string(),
        |t| fmt_age((v.state.now - t).num_seconds()),
    )
}

fn role_style(v: &View, role: PodRole) -> Style {
    match role {
        PodRole::Canary => v.theme.canary,
        PodRole::Stable => v.theme.stable,
        PodRole::Other => v.theme.muted,
    }
}

fn pod_style(v: &View, p: &Pod) -> Style {
    if p.troubled() {
        v.theme.error
    } else if p.reason.is_some() {
        v.theme.warn
    } else {
        v.theme.text
    }
}

/// The view's rows: what each line of the scrolling list says, and which selectable row
/// (pods, then events) it belongs to.
enum Line<'a> {
    Heading(String, Style),
    PodHeader,
    Pod(usize, &'a (PodRole, Pod)),
    /// Under the selected row: `└ …`, then its further lines indented.
    PodDetail(String),
    More(String),
    EventHeader,
    Event(usize, &'a KubeEvent),
    Note(String, Style),
}

/// `node_w`: the NODE column's width; a node it cuts is named in full under the selected pod.
fn lines<'a>(v: &View, b: Option<&'a Below>, selected: usize, node_w: u16) -> Vec<Line<'a>> {
    let t = v.theme;
    let mut out = Vec::new();
    let (pods, events): (&[(PodRole, Pod)], &[KubeEvent]) =
        b.map_or((&[], &[]), |b| (&b.pods, &b.events));
    let waiting = Fetch::Waiting;
    let (pf, ef) = b.map_or((&waiting, &waiting), |b| (&b.pods_fetch, &b.events_fetch));
    out.push(Line::Heading(
        format!(
            "Pods · {} (canary {}, stable {}, older {})",
            pods.len(),
            pods.iter().filter(|p| p.0 == PodRole::Canary).count(),
            pods.iter().filter(|p| p.0 == PodRole::Stable).count(),
            pods.iter().filter(|p| p.0 == PodRole::Other).count(),
        ),
        t.header,
    ));
    if let Some((note, bad)) = fetch_note("pods", pf, pods.len()) {
        out.push(Line::Note(note, if bad { t.error } else { t.muted }));
    }
    if !pods.is_empty() {
        out.push(Line::PodHeader);
    } else if *pf == Fetch::Listed {
        out.push(Line::Note(
            "no pods match the rollout's selector".into(),
            t.muted,
        ));
    }
    for (i, rp) in pods.iter().enumerate() {
        out.push(Line::Pod(i, rp));
        let p = &rp.1;
        if i == selected {
            let mut d = Vec::new();
            if let Some(m) = &p.message {
                d.push(m.clone());
            }
            if let Some(e) = &p.last_exit {
                d.push(format!("last exit {e} {} ago", ago(v, p.last_restart)));
            }
            if !p.node.is_empty() && p.node.chars().count() > node_w as usize {
                d.push(format!("on {}", p.node));
            }
            if !d.is_empty() {
                out.push(Line::PodDetail(d.join(" · ")));
            }
        }
    }
    let which = if v.state.ui.normal_events {
        "Warning and Normal (e: Warning only)"
    } else {
        "Warning only (e: Normal too)"
    };
    out.push(Line::Heading(
        format!("Events · {} · {which}", events.len()),
        t.header,
    ));
    if let Some((note, bad)) = fetch_note("events", ef, events.len()) {
        out.push(Line::Note(note, if bad { t.error } else { t.muted }));
    }
    if !events.is_empty() {
        out.push(Line::EventHeader);
    } else if *ef == Fetch::Listed {
        out.push(Line::Note(
            if v.state.ui.normal_events {
                "no events about this rollout, its ReplicaSets or pods (events last an hour)"
            } else {
                "no Warning events about this rollout, its ReplicaSets or pods (events last an hour)"
            }
            .into(),
            t.ok,
        ));
    }
    for (i, e) in events.iter().enumerate() {
        let row = pods.len() + i;
        out.push(Line::Event(row, e));
        if row == selected {
            // The note in full (a few lines of it), and when and by whom.
            let w = (v.state.ui.size.0 as usize).saturating_sub(8).max(20);
            let chars: Vec<char> = e.note.chars().collect();
            for (k, chunk) in chars.chunks(w).take(4).enumerate() {
                let text = chunk.iter().collect();
                out.push(if k == 0 {
                    Line::PodDetail(text)
                } else {
                    Line::More(text)
                });
            }
            out.push(Line::More(format!(
                "first {} ago · last {} ago{}",
                ago(v, e.first),
                ago(v, e.last),
                if e.source.is_empty() {
                    String::new()
                } else {
                    format!(" · by {}", e.source)
                }
            )));
        }
    }
    out
}

pub fn draw(frame: &mut Frame, body: Rect, v: &View, namespace: &str, name: &str, selected: usize) {
    let t = v.theme;
    let s = v.state;
    let area = body;
    let r = s.rollout(namespace, name);
    let title = match r {
        Some(r) => format!(" {} · pods and events · {} ", r.name, r.selector),
        None => format!(" {name} · pods and events "),
    };
    let Some(inner) = super::view_frame(frame, area, v, vec![Span::styled(title, t.title)], 10)
    else {
        return;
    };
    let buf = frame.buffer_mut();
    let Some(r) = r else {
        put(
            buf,
            inner.x,
            inner.y,
            &format!(
                "rollout {namespace}/{name} is gone (deleted or out of reach) — Esc goes back"
            ),
            inner.width,
            t.error,
        );
        return;
    };
    let name_w = r
        .name
        .len()
        .saturating_add(18)
        .min(s.below(r).map_or(0, |b| {
            b.pods.iter().map(|(_, p)| p.name.len()).max().unwrap_or(0)
        }))
        .clamp(12, 40) as u16;
    let pod_cols = columns(
        inner,
        &[
            Col::Fixed(6),
            Col::Fixed(name_w),
            Col::Fixed(5),
            Col::Fixed(16),
            Col::Fixed(12),
            Col::Fixed(4),
            Col::Flex(0),
        ],
        1,
    );
    let all = lines(v, s.below(r), selected, pod_cols.last().map_or(0, |c| c.1));
    let rows = inner.height as usize;
    // Keep the selected row (and a pod's detail under it) in view.
    let at = all
        .iter()
        .position(|l| matches!(l, Line::Pod(i, _) | Line::Event(i, _) if *i == selected))
        .unwrap_or(0);
    // The selected row and the lines under it (a pod's one, an event's note and times).
    let under = all
        .get(at + 1..)
        .unwrap_or(&[])
        .iter()
        .take_while(|l| matches!(l, Line::PodDetail(_) | Line::More(_)))
        .count();
    let start = (at + 1 + under)
        .saturating_sub(rows)
        .min(all.len().saturating_sub(rows));
    // The object and reason columns as wide as their longest entry, within limits: the
    // note, which says what happened, keeps the rest.
    let events = s.below(r).map_or(&[][..], |b| &b.events[..]);
    let obj_w = events
        .iter()
        .map(|e| short_kind(&e.kind).len() + 1 + e.object.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, (inner.width / 4).max(14) as usize) as u16;
    let reason_w = events
        .iter()
        .map(|e| e.reason.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 20) as u16;
    let ev_cols = columns(
        inner,
        &[
            Col::Fixed(4),
            Col::Fixed(7),
            Col::Fixed(reason_w),
            Col::Fixed(obj_w),
            Col::Fixed(5),
            Col::Flex(10),
        ],
        1,
    );
    for (row, l) in all.iter().skip(start).take(rows).enumerate() {
        let y = inner.y + row as u16;
        match l {
            Line::Heading(text, st) | Line::Note(text, st) => {
                put(buf, inner.x, y, text, inner.width, *st);
            }
            Line::PodDetail(text) => {
                put(
                    buf,
                    inner.x,
                    y,
                    &format!("  └ {text}"),
                    inner.width,
                    t.muted,
                );
            }
            Line::More(text) => {
                put(
                    buf,
                    inner.x,
                    y,
                    &format!("    {text}"),
                    inner.width,
                    t.muted,
                );
            }
            Line::PodHeader => cells(
                buf,
                y,
                &pod_cols,
                &["ROLE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"],
                t.header,
            ),
            Line::EventHeader => cells(
                buf,
                y,
                &ev_cols,
                &["LAST", "TYPE", "REASON", "OBJECT", "COUNT", "NOTE"],
                t.header,
            ),
            Line::Pod(i, (role, p)) => {
                let sel = *i == selected;
                if sel {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selection);
                }
                let pick = |st: Style| if sel { t.selection } else { st };
                let texts = [
                    (role.as_str().to_string(), pick(role_style(v, *role))),
                    (p.name.clone(), pick(t.text)),
                    (format!("{}/{}", p.ready, p.containers), pick(t.text)),
                    (p.status().to_string(), pick(pod_style(v, p))),
                    // As kubectl: `7 (2m ago)`.
                    (
                        match p.last_restart {
                            Some(_) if p.restarts > 0 => {
                                format!("{} ({} ago)", p.restarts, ago(v, p.last_restart))
                            }
                            _ => p.restarts.to_string(),
                        },
                        pick(if p.restarts > 0 { t.warn } else { t.text }),
                    ),
                    (ago(v, p.created), pick(t.muted)),
                    (p.node.clone(), pick(t.muted)),
                ];
                for ((x, w), (text, st)) in pod_cols.iter().zip(texts.iter()) {
                    put(buf, *x, y, text, *w, *st);
                }
            }
            Line::Event(i, e) => {
                let sel = *i == selected;
                if sel {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selection);
                }
                let pick = |st: Style| if sel { t.selection } else { st };
                let kind = short_kind(&e.kind);
                let texts = [
                    (ago(v, e.last), pick(t.muted)),
                    (
                        if e.warning { "Warning" } else { "Normal" }.to_string(),
                        pick(if e.warning { t.warn } else { t.muted }),
                    ),
                    (
                        e.reason.clone(),
                        pick(if e.warning { t.warn } else { t.text }),
                    ),
                    (format!("{kind}/{}", e.object), pick(t.text)),
                    (
                        if e.count > 1 {
                            format!("×{}", e.count)
                        } else {
                            String::new()
                        },
                        pick(t.text),
                    ),
                    (e.note.clone(), pick(t.text)),
                ];
                for ((x, w), (text, st)) in ev_cols.iter().zip(texts.iter()) {
                    put(buf, *x, y, text, *w, *st);
                }
            }
        }
    }
}

/// `pod/…`, `rs/…`: the kinds as kubectl abbreviates them.
fn short_kind(kind: &str) -> &str {
    match kind {
        "Pod" => "pod",
        "ReplicaSet" => "rs",
        "Rollout" => "rollout",
        "AnalysisRun" => "analysisrun",
        k => k,
    }
}

fn cells(buf: &mut Buffer, y: u16, cols: &[(u16, u16)], names: &[&str], st: Style) {
    for ((x, w), n) in cols.iter().zip(names) {
        put(buf, *x, y, n, *w, st);
    }
}

/// The cockpit's line about the pods: `pods canary 1/2 ready ↻7 · stable 3/3 · ✗ store-…
/// CrashLoopBackOff · ⚠ 2m Unhealthy: Readiness probe failed… ×12 (d: pods and events)`.
pub fn summary_spans<'a>(v: &View, r: &Rollout) -> Vec<Span<'a>> {
    let t = v.theme;
    let mut out = vec![Span::styled("pods ", t.muted)];
    if r.selector.is_empty() {
        out.push(Span::styled(
            "— the rollout has no pod selector opsdeck can use",
            t.muted,
        ));
        return out;
    }
    let Some(b) = v.state.below(r) else {
        out.push(Span::styled("reading…", t.muted));
        return out;
    };
    let sum = b.summary();
    if sum.roles.is_empty() {
        out.push(Span::styled(
            match &b.pods_fetch {
                Fetch::Waiting => "reading…".to_string(),
                Fetch::Listed => "none match the selector".to_string(),
                Fetch::Failed(e) => format!("✗ {e}"),
                Fetch::Absent(e) => e.clone(),
            },
            if matches!(b.pods_fetch, Fetch::Failed(_)) {
                t.error
            } else {
                t.muted
            },
        ));
    }
    for (i, (role, ready, total, restarts)) in sum.roles.iter().enumerate() {
        if i > 0 {
            out.push(Span::styled(" · ", t.muted));
        }
        out.push(Span::styled(
            format!("{} ", role.as_str()),
            role_style(v, *role),
        ));
        out.push(Span::styled(
            format!("{ready}/{total} ready"),
            if ready < total { t.warn } else { t.text },
        ));
        if *restarts > 0 {
            out.push(Span::styled(format!(" ↻{restarts}"), t.warn));
        }
    }
    if let Fetch::Failed(_) = b.pods_fetch
        && !sum.roles.is_empty()
    {
        out.push(Span::styled(" (old: pods cannot be read now)", t.error));
    }
    for (_, p) in &sum.troubled {
        out.push(Span::styled(" · ", t.muted));
        out.push(Span::styled(
            format!("✗ {} {}", p.name, p.status()),
            t.error,
        ));
    }
    if sum.troubled_count > sum.troubled.len() {
        out.push(Span::styled(
            format!(" +{}", sum.troubled_count - sum.troubled.len()),
            t.error,
        ));
    }
    if let Some(e) = sum.newest_warning {
        out.push(Span::styled(" · ", t.muted));
        let count = if e.count > 1 {
            format!(" ×{}", e.count)
        } else {
            String::new()
        };
        out.push(Span::styled(
            format!("⚠ {} {}: {}{count}", ago(v, e.last), e.reason, e.note),
            t.warn,
        ));
    }
    out
}
