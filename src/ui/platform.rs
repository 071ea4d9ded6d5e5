//! The platform's certificates: what expires when, what cert-manager will renew and when, and
//! what is failing — worst first.
//!
//! ```text
//! ╔ Platform · certificates 4 · 1 expiring ════════════════════════════════════════╗
//! ║ CERTIFICATE                     READY  EXPIRES   RENEWS    ISSUER               ║
//! ║ dev/gateway-tls                 ✓      in 5d     in 20m    ClusterIssuer/…      ║
//! ║   └ expires in 5d; the last 2 issuances failed (40m ago)                         ║
//! ╚══════════════════════════════════════════════════════════════════════════════════╝
//! ```

use super::View;
use super::text::{Col, columns, put};
use crate::model::time::fmt_age;
use crate::model::{CertState, Certificate};
use crate::state::Fetch;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// The certificates worst first, then by namespace and name.
pub fn ordered<'a>(v: &View<'a>) -> Vec<(&'a Certificate, CertState)> {
    let s = v.state;
    let mut out: Vec<(&Certificate, CertState)> = s
        .certs
        .iter()
        .map(|c| (c, c.state(s.now, s.cert_horizon_secs)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

pub fn draw(frame: &mut Frame, body: Rect, v: &View, selected: usize) {
    let t = v.theme;
    let s = v.state;
    let certs = ordered(v);
    let failing = certs.iter().filter(|(_, st)| st.severe()).count();
    let expiring = certs
        .iter()
        .filter(|(_, st)| *st == CertState::Expiring)
        .count();
    let mut title = vec![Span::styled(
        format!(" Platform · certificates {} ", certs.len()),
        t.title,
    )];
    if failing > 0 {
        title.push(Span::styled(format!("· {failing} failing "), t.error));
    }
    if expiring > 0 {
        title.push(Span::styled(format!("· {expiring} expiring "), t.warn));
    }
    let Some(inner) = super::view_frame(frame, body, v, title, 10) else {
        return;
    };
    let buf = frame.buffer_mut();
    let mut y = inner.y;
    let note = match &s.certs_fetch {
        Fetch::Absent(e) => Some((e.clone(), t.muted)),
        f @ (Fetch::Waiting | Fetch::Failed(_)) => {
            super::fetch_note("cert-manager's Certificates", f, certs.len())
                .map(|(s, bad)| (s, if bad { t.error } else { t.muted }))
        }
        Fetch::Listed if certs.is_empty() => Some((
            "cert-manager manages no Certificate here".to_string(),
            t.muted,
        )),
        Fetch::Listed => None,
    };
    if let Some((text, st)) = note {
        put(buf, inner.x, y, &text, inner.width, st);
        y += 1;
    }
    // The trust anchors go last, in the rows the certificates leave.
    let trust_rows: u16 = s
        .trust
        .iter()
        .map(|b| {
            1 + b.anchors.len().max(1) as u16
                + u16::from(b.issuer.is_some())
                + u16::from(b.stale.is_some())
        })
        .sum::<u16>()
        + u16::from(!s.trust.is_empty());
    // Right under the certificates (their header, rows, the selected one's line, a gap), or
    // as low as they must go for the certificates to keep their rows.
    let after_certs = if certs.is_empty() {
        y.saturating_add(1)
    } else {
        y.saturating_add(certs.len() as u16 + 3)
    };
    let bottom = after_certs
        .min(inner.bottom().saturating_sub(trust_rows))
        .max(y);
    draw_trust(
        buf,
        Rect::new(inner.x, bottom, inner.width, inner.bottom() - bottom),
        v,
    );
    let inner = Rect::new(inner.x, inner.y, inner.width, bottom - inner.y);
    if certs.is_empty() {
        return;
    }
    let name_w = certs
        .iter()
        .map(|(c, _)| c.namespace.chars().count() + 1 + c.name.chars().count())
        .max()
        .unwrap_or(12)
        .clamp(12, 44) as u16;
    let cols = columns(
        Rect::new(inner.x, y, inner.width, 1),
        &[
            Col::Fixed(name_w),
            Col::Fixed(5),
            Col::Fixed(11),
            Col::Fixed(11),
            Col::Fixed(3),
            Col::Flex(8),
        ],
        1,
    );
    for ((x, w), h) in
        cols.iter()
            .zip(["CERTIFICATE", "READY", "EXPIRES", "RENEWS", "CA", "ISSUER"])
    {
        put(buf, *x, y, h, *w, t.header);
    }
    y += 1;
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| match at {
        None => "—".to_string(),
        Some(at) if at >= s.now => format!("in {}", fmt_age((at - s.now).num_seconds())),
        Some(at) => format!("{} ago", fmt_age((s.now - at).num_seconds())),
    };
    let rows = inner.bottom().saturating_sub(y) as usize;
    let sel = selected.min(certs.len() - 1);
    // The selected one's line under it: keep both in view.
    let first = (sel + 2).saturating_sub(rows);
    for (i, (c, st)) in certs.iter().enumerate().skip(first) {
        if y >= inner.bottom() {
            break;
        }
        let style = if st.severe() {
            t.error
        } else if *st == CertState::Expiring {
            t.warn
        } else {
            t.text
        };
        if i == sel {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selection);
        }
        let pick = |s| if i == sel { t.selection } else { s };
        let ready = match c.ready {
            Some(true) => ("✓", t.ok),
            Some(false) => ("✗", t.error),
            None => ("?", t.muted),
        };
        let renews_st = if *st == CertState::RenewalOverdue {
            t.error
        } else {
            t.muted
        };
        let cells = [
            (format!("{}/{}", c.namespace, c.name), pick(style)),
            (ready.0.to_string(), pick(ready.1)),
            (when(c.not_after), pick(style)),
            (when(c.renewal_time), pick(renews_st)),
            (if c.is_ca { "CA" } else { "" }.to_string(), pick(t.muted)),
            (c.issuer.clone(), pick(t.muted)),
        ];
        for ((x, w), (text, st)) in cols.iter().zip(cells.iter()) {
            put(buf, *x, y, text, *w, *st);
        }
        y += 1;
        if i == sel && y < inner.bottom() {
            let detail = format!(
                "  └ {}{}",
                c.why(s.now, s.cert_horizon_secs),
                if c.secret.is_empty() {
                    String::new()
                } else {
                    format!(" · secret {}", c.secret)
                }
            );
            put(buf, inner.x, y, &detail, inner.width, style);
            y += 1;
        }
    }
}

/// The meshes' trust anchors as X.509, and whether the identity issuer chains to one.
fn draw_trust(buf: &mut ratatui::buffer::Buffer, area: Rect, v: &View) {
    let t = v.theme;
    let s = v.state;
    let mut y = area.y;
    let end = area.bottom();
    let mut line = |y: &mut u16, text: &str, st| {
        if *y < end {
            put(buf, area.x, *y, text, area.width, st);
            *y += 1;
        }
    };
    if s.trust.is_empty() {
        return;
    }
    line(&mut y, "TRUST ANCHORS", t.header);
    let expires = |at: Option<chrono::DateTime<chrono::Utc>>| match at {
        Some(at) if at > s.now => format!("expires in {}", fmt_age((at - s.now).num_seconds())),
        Some(at) => format!("EXPIRED {} ago", fmt_age((s.now - at).num_seconds())),
        None => "expiry unknown".to_string(),
    };
    for b in &s.trust {
        let st = match b.counts(s.now, s.cert_horizon_secs) {
            (0, 0) => t.text,
            (0, _) => t.warn,
            _ => t.error,
        };
        line(
            &mut y,
            &format!(
                "{}/{} ({}, {}) · {} anchor{}",
                b.namespace,
                b.name,
                b.mesh,
                b.key,
                b.anchors.len(),
                if b.anchors.len() == 1 { "" } else { "s" }
            ),
            st,
        );
        if let Some(e) = &b.error {
            line(&mut y, &format!("  ✗ {e}"), t.error);
        }
        if let Some(e) = &b.stale {
            line(
                &mut y,
                &format!("  ? cannot be read now ({e}): what is shown was read before"),
                t.warn,
            );
        }
        for a in &b.anchors {
            let near = a
                .not_after
                .is_some_and(|n| (n - s.now).num_seconds() < s.cert_horizon_secs);
            line(
                &mut y,
                &format!(
                    "  {} · {}{}",
                    a.subject,
                    expires(a.not_after),
                    if a.is_ca { "" } else { " · not a CA" }
                ),
                if near { t.warn } else { t.muted },
            );
        }
        if let Some(i) = &b.issuer {
            let (text, st) = match (&i.chains_to, i.unchecked.is_empty()) {
                (_, false) => (format!("  ? issuer not checked: {}", i.unchecked), t.muted),
                (Some(a), true) => (
                    format!(
                        "  ✓ issuer {} ({}) chains to {a}",
                        i.issuer.as_ref().map_or("?", |c| c.subject.as_str()),
                        i.from
                    ),
                    t.ok,
                ),
                (None, true) => (
                    format!(
                        "  ✗ issuer {} ({}) is signed by no anchor here: workloads will not trust it",
                        i.issuer.as_ref().map_or("?", |c| c.subject.as_str()),
                        i.from
                    ),
                    t.error,
                ),
            };
            line(&mut y, &text, st);
        }
    }
}
