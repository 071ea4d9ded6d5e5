//! What a sync would change (or a rollback to a history entry): each managed resource that
//! would change with its unified diff, coloured, then those in sync, one per row.
//!
//! ```text
//! ╔ Diff · argocd/store → desired state · 1 modified · 4 in sync ═══════════════════╗
//! ║ ▸ Rollout dev/store · modified · +1 −1                                            ║
//! ║   @@ -21,7 +21,7 @@                                                              ║
//! ║           containers:                                                             ║
//! ║   -       - image: ghcr.io/checkmate/store:1.4.2                                  ║
//! ║   +       - image: ghcr.io/checkmate/store:1.5.0                                  ║
//! ║ ✓ in sync · ServiceAccount dev/store                                              ║
//! ╚═══════════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::View;
use super::text::put;
use crate::model::{Change, DiffAgainst, LineKind, ResourceDiff};
use crate::state::Fetch;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// A resource as its header names it: `Rollout dev/store`.
fn resource_name(r: &ResourceDiff) -> String {
    if r.namespace.is_empty() {
        format!("{} {}", r.kind, r.name)
    } else {
        format!("{} {}/{}", r.kind, r.namespace, r.name)
    }
}

pub fn draw(
    frame: &mut Frame,
    body: Rect,
    v: &View,
    (namespace, name): (&str, &str),
    against: &DiffAgainst,
    scroll: usize,
) {
    let t = v.theme;
    let s = v.state;
    let held = s.app_diff();
    let target = match (against, held) {
        (_, Some(h)) if !h.diff.target.is_empty() => h.diff.target.clone(),
        (DiffAgainst::Desired, _) => "desired state".to_string(),
        (DiffAgainst::Revision { id, revision }, _) => {
            format!("#{id} {}", crate::model::app::short_rev(revision))
        }
    };
    let mut title = vec![Span::styled(
        format!(" Diff · {namespace}/{name} → {target} "),
        t.title,
    )];
    if let Some(h) = held {
        let (modified, create, prune, same) = h.diff.counts();
        for (n, what, st) in [
            (modified, "modified", t.warn),
            (create, "to create", t.ok),
            (prune, "to prune", t.error),
            (h.diff.unreadable(), "cannot be read", t.error),
            (same, "in sync", t.muted),
        ] {
            if n > 0 {
                title.push(Span::styled(format!("· {n} {what} "), st));
            }
        }
    }
    let Some(inner) = super::view_frame(frame, body, v, title, 10) else {
        return;
    };
    let buf = frame.buffer_mut();
    let (x, w) = (inner.x, inner.width);
    let mut y = inner.y;
    let Some(server) = &s.context.argocd_server else {
        let lines = [
            (
                "The diff comes from the Argo CD API server, and none is configured.".to_string(),
                t.text,
            ),
            (
                "Start opsdeck with ARGOCD_AUTH_TOKEN set (an API token: argocd account generate-token):".to_string(),
                t.muted,
            ),
            (
                format!(
                    "its Service is then reached through the API server ({}/https:argocd-server:443),",
                    s.context.argocd_namespace
                ),
                t.muted,
            ),
            (
                "or give --argocd-server URL, or --argocd-server-service NS/NAME:PORT.".to_string(),
                t.muted,
            ),
            (format!("Meanwhile: argocd app diff {name}"), t.accent),
        ];
        for (text, st) in lines {
            if y >= inner.bottom() {
                break;
            }
            put(buf, x, y, &text, w, st);
            y += 1;
        }
        return;
    };
    let fetch = held.map_or(&Fetch::Waiting, |h| &h.fetch);
    let count = held.map_or(0, |h| h.diff.resources.len());
    if let Some((text, bad)) = super::fetch_note(&format!("the diff from {server}"), fetch, count) {
        put(buf, x, y, &text, w, if bad { t.error } else { t.muted });
        y += 1;
    }
    let Some(h) = held else {
        return;
    };
    if h.fetch == Fetch::Listed && h.diff.resources.is_empty() {
        put(buf, x, y, "Argo CD manages no resource for it", w, t.muted);
        return;
    }
    let (modified, create, prune, _) = h.diff.counts();
    if modified + create + prune + h.diff.unreadable() == 0 && y < inner.bottom() {
        let text = match against {
            DiffAgainst::Desired => "Nothing to change: every resource is as Git says",
            DiffAgainst::Revision { .. } => {
                "Nothing to change: every resource is as that revision says"
            }
        };
        put(buf, x, y, text, w, t.ok);
        y += 1;
    }
    let bottom = inner.bottom();
    // Never scrolled past the last screenful (a shorter diff read again comes back into view).
    let rows = h.diff.rows();
    let scroll = scroll.min(rows.saturating_sub(usize::from(bottom.saturating_sub(y))));
    let mut row = 0usize;
    let changed = h
        .diff
        .resources
        .iter()
        .filter(|r| r.change != Change::InSync);
    for r in changed {
        // A resource wholly above the scroll is skipped without drawing a cell.
        let own = 1 + usize::from(r.problem.is_some()) + r.lines.len();
        if row + own <= scroll {
            row += own;
            continue;
        }
        if row >= scroll && y < bottom {
            let st = match r.change {
                Change::Create => t.ok,
                Change::Prune | Change::Unreadable => t.error,
                _ => t.warn,
            };
            let mut cx = x + put(buf, x, y, "▸ ", w, st);
            cx += put(
                buf,
                cx,
                y,
                &resource_name(r),
                w.saturating_sub(cx - x),
                t.title,
            );
            let mut what = format!(" · {}", r.change.as_str());
            if r.hook {
                what.push_str(" · hook");
            }
            if r.added + r.removed > 0 {
                what.push_str(&format!(" · +{} −{}", r.added, r.removed));
            }
            put(buf, cx, y, &what, w.saturating_sub(cx - x), st);
            y += 1;
        }
        row += 1;
        if let Some(p) = &r.problem {
            if row >= scroll && y < bottom {
                put(
                    buf,
                    x + 2,
                    y,
                    &format!("✗ {p}"),
                    w.saturating_sub(2),
                    t.error,
                );
                y += 1;
            }
            row += 1;
        }
        for l in &r.lines {
            if row >= scroll && y < bottom {
                let (sign, st) = match l.kind {
                    LineKind::Added => ("+ ", t.ok),
                    LineKind::Removed => ("- ", t.error),
                    LineKind::Hunk => ("", t.accent),
                    LineKind::Context => ("  ", t.muted),
                };
                let cx = x + 2 + put(buf, x + 2, y, sign, w.saturating_sub(2), st);
                put(buf, cx, y, &l.text, w.saturating_sub(cx - x), st);
                y += 1;
            }
            row += 1;
            if y >= bottom {
                break;
            }
        }
        if y >= bottom {
            break;
        }
    }
    for r in h
        .diff
        .resources
        .iter()
        .filter(|r| r.change == Change::InSync)
    {
        if y >= bottom {
            break;
        }
        if row >= scroll {
            let cx = x + put(buf, x, y, "✓ in sync · ", w, t.ok);
            put(
                buf,
                cx,
                y,
                &resource_name(r),
                w.saturating_sub(cx - x),
                t.muted,
            );
            y += 1;
        }
        row += 1;
    }
    if h.diff.truncated && y < bottom {
        put(
            buf,
            x,
            y,
            &format!(
                "… cut at {} lines: argocd app diff {name} shows the rest",
                crate::model::diff::DIFF_LINES_KEPT
            ),
            w,
            t.warn,
        );
    }
}
