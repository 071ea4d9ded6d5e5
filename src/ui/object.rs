//! One object's YAML: a pod's describe-like summary first, then the YAML with the search's
//! matches marked; `managedFields` and the last-applied annotation are folded by the model.
//!
//! ```text
//! ╔ YAML · Rollout dev/store · 96 lines · / search ═══════════════════════════════════╗
//! ║apiVersion: argoproj.io/v1alpha1                                                    ║
//! ║kind: Rollout                                                                        ║
//! ║metadata:                                                                            ║
//! ║  managedFields: ‹3 entries folded›                                                  ║
//! ╚═════════════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::View;
use super::text::put;
use crate::model::ObjectRef;
use crate::state::Fetch;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub fn draw(frame: &mut Frame, body: Rect, v: &View, target: &ObjectRef, scroll: usize) {
    let t = v.theme;
    let s = v.state;
    let held = s.object();
    let mut title = vec![Span::styled(
        format!(" YAML · {} ", target.label()),
        t.title,
    )];
    if let Some(h) = held.filter(|h| !h.view.yaml.is_empty()) {
        title.push(Span::styled(
            format!("· {} lines ", h.view.yaml.len()),
            t.muted,
        ));
    }
    let query = s.ui.logs.search.as_str();
    if !query.is_empty() {
        title.push(Span::styled(format!("· /{query} "), t.accent));
    }
    let Some(inner) = super::view_frame(frame, body, v, title, 10) else {
        return;
    };
    let buf = frame.buffer_mut();
    let (x, w) = (inner.x, inner.width);
    let mut y = inner.y;
    let bottom = inner.bottom();
    let fetch = held.map_or(&Fetch::Waiting, |h| &h.fetch);
    let count = held.map_or(0, |h| h.view.yaml.len());
    if let Some((text, bad)) = super::fetch_note(&target.label(), fetch, count) {
        put(buf, x, y, &text, w, if bad { t.error } else { t.muted });
        y += 1;
        if count == 0 && y < bottom {
            put(
                buf,
                x,
                y,
                &format!("the same with kubectl: {}", target.kubectl()),
                w,
                t.muted,
            );
            return;
        }
    }
    let Some(h) = held else {
        return;
    };
    let summary = &h.view.summary;
    let (top, rows) = (h.view.top_rows(), h.view.rows());
    let scroll = scroll.min(rows.saturating_sub(usize::from(bottom.saturating_sub(y))));
    let q = query.to_lowercase();
    for row in scroll..rows {
        if y >= bottom {
            break;
        }
        if row < summary.len() {
            put(buf, x, y, &summary[row], w, t.text);
        } else if row >= top {
            match h.view.yaml.get(row - top) {
                Some(line) => {
                    let hit = !q.is_empty() && line.to_lowercase().contains(&q);
                    let st = if hit {
                        t.highlight
                    } else if line.trim_end().ends_with('›') {
                        t.muted
                    } else {
                        t.text
                    };
                    put(buf, x, y, line, w, st);
                }
                None => {
                    put(
                        buf,
                        x,
                        y,
                        &format!(
                            "… cut at {} lines: {}",
                            crate::model::OBJECT_LINES_KEPT,
                            target.kubectl()
                        ),
                        w,
                        t.warn,
                    );
                }
            }
        }
        y += 1;
    }
}
