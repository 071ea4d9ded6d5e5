//! The routes pane's rows when Istio carries them: success with 5xx and no response as
//! failures, 4xx apart, RPS, latency, the retry policy (Istio's default when the
//! VirtualService sets none) and timeout, circuit breaking from the DestinationRule, the
//! response flags that explain failures, mTLS, and canary against stable. Linkerd rows of a
//! mixed mesh fit the same columns.

use super::text::{self, Col};
use super::{View, canary_cell, fmt_ms, fmt_pct, fmt_rps, fmt_timeout, success_style, window};
use crate::layout::Pane;
use crate::model::mesh::DEFAULT_ATTEMPTS;
use crate::model::{RoutePolicy, RouteSample, RouteStats, RowKind, fmt_rate};
use crate::state::Indices;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// `3× 2s/try`, `2× default`, `↻` (Linkerd retryable), or `—`.
pub fn retry_text(r: &RouteStats) -> String {
    match &r.policy {
        RoutePolicy::Istio { attempts: None, .. } => format!("{DEFAULT_ATTEMPTS}× default"),
        RoutePolicy::Istio {
            attempts: Some(0), ..
        } => "none".into(),
        RoutePolicy::Istio {
            attempts: Some(a),
            per_try_timeout_ms: Some(p),
            ..
        } => format!("{a}× {}/try", fmt_timeout(*p)),
        RoutePolicy::Istio {
            attempts: Some(a), ..
        } => format!("{a}×"),
        RoutePolicy::Linkerd { retryable, .. } => if *retryable { "↻" } else { "—" }.into(),
    }
}

/// The DestinationRule's circuit breaking: `eject 5×5xx`, `pending ≤1`, or `—`.
pub fn circuit_text(r: &RouteStats) -> String {
    let RoutePolicy::Istio { outlier, pool, .. } = &r.policy else {
        return "—".into();
    };
    let mut parts = Vec::new();
    if let Some(o) = outlier {
        parts.push(format!("eject {}×5xx", o.consecutive_5xx));
    }
    if let Some(p) = pool.as_ref().and_then(|p| p.max_pending_requests) {
        parts.push(format!("pend ≤{p}"));
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" ")
    }
}

/// The worst response flag with its rate (`UO 4.8/s`), and how many more.
pub fn flags_text(s: &RouteSample) -> String {
    match s.flags.as_slice() {
        [] => "—".into(),
        [(f, n)] => format!("{f} {}", fmt_rate(*n)),
        [(f, n), rest @ ..] => format!("{f} {} +{}", fmt_rate(*n), rest.len()),
    }
}

/// The columns, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum C {
    Service,
    Route,
    Succ,
    Client,
    Rps,
    P50,
    P95,
    P99,
    Retry,
    Flags,
    Timeout,
    Circuit,
    Mtls,
    Canary,
}

impl C {
    const ALL: [C; 14] = [
        C::Service,
        C::Route,
        C::Succ,
        C::Client,
        C::Rps,
        C::P50,
        C::P95,
        C::P99,
        C::Retry,
        C::Flags,
        C::Timeout,
        C::Circuit,
        C::Mtls,
        C::Canary,
    ];
    /// What is dropped last when the pane is narrow: what the promote-or-abort call needs
    /// first (success, traffic, p95, canary against stable, why it fails), policy later.
    const PRIORITY: [C; 14] = [
        C::Service,
        C::Route,
        C::Succ,
        C::Rps,
        C::P95,
        C::Canary,
        C::Flags,
        C::Retry,
        C::Client,
        C::P99,
        C::Circuit,
        C::Timeout,
        C::P50,
        C::Mtls,
    ];
    fn header(self) -> &'static str {
        match self {
            C::Service => "SERVICE",
            C::Route => "ROUTE",
            C::Succ => "SUCC",
            C::Client => "4XX/s",
            C::Rps => "RPS",
            C::P50 => "P50",
            C::P95 => "P95",
            C::P99 => "P99",
            C::Retry => "RETRY",
            C::Flags => "FLAGS",
            C::Timeout => "T/O",
            C::Circuit => "CIRCUIT",
            C::Mtls => "mTLS",
            C::Canary => "CANARY/STBL",
        }
    }
}

/// The columns that fit `width`, in display order: by [`C::PRIORITY`], each taking its width
/// (and a space) while the route keeps `route_min`.
fn fit(width: u16, widths: impl Fn(C) -> u16, route_min: u16, canary: bool) -> Vec<C> {
    let mut used = route_min;
    let mut chosen = vec![C::Route];
    for c in C::PRIORITY {
        if c == C::Route || (c == C::Canary && !canary) {
            continue;
        }
        let w = widths(c) + 1;
        if used + w <= width {
            used += w;
            chosen.push(c);
        }
    }
    C::ALL.into_iter().filter(|c| chosen.contains(c)).collect()
}

pub fn rows(frame: &mut Frame, inner: Rect, v: &View, idx: &Indices) {
    let s = v.state;
    let t = v.theme;
    let any_canary = s.routes.iter().any(|r| r.canary.is_some());
    let pos = &s.ui.lists[Pane::Routes];
    let rows_h = inner.height.saturating_sub(1) as usize;
    let focused = s.ui.focus == Pane::Routes;
    let longest = |f: fn(&RouteStats) -> usize| s.routes.iter().map(f).max().unwrap_or(0) as u16;
    let name_w = longest(|r| r.service.chars().count()).clamp(7, 24);
    let route_min = longest(|r| r.route.chars().count()).clamp(8, 16);
    let widths = |c: C| match c {
        C::Service => name_w,
        C::Route => route_min,
        C::Succ => 6,
        C::Client | C::Rps | C::P50 | C::P95 | C::P99 | C::Timeout => 5,
        C::Retry => 11,
        C::Flags => 15,
        C::Circuit => 19,
        C::Mtls => 4,
        C::Canary => 11,
    };
    let shown = fit(inner.width, widths, route_min, any_canary);
    let spec: Vec<Col> = shown
        .iter()
        .map(|&c| {
            if c == C::Route {
                Col::Flex(route_min)
            } else {
                Col::Fixed(widths(c))
            }
        })
        .collect();
    let header: Vec<&str> = shown.iter().map(|c| c.header()).collect();
    let cols = text::columns(inner, &spec, 1);
    let buf = frame.buffer_mut();
    super::list_header(buf, inner, &cols, &header, v, Pane::Routes);
    let shared = super::names::in_two_namespaces(
        s.routes
            .iter()
            .map(|r| (r.namespace.as_str(), r.service.as_str())),
    );
    for (line, k) in window(pos.offset, rows_h, idx.len()).enumerate() {
        let Some(r) = idx.get(k).map(|i| &s.routes[i]) else {
            continue;
        };
        let o = &r.overall;
        let one = |text: String, st| vec![Span::styled(text, st)];
        let cells: Vec<Vec<Span>> = shown
            .iter()
            .map(|c| match c {
                C::Service => vec![Span::styled(
                    super::names::qualified(&shared, &r.namespace, &r.service),
                    t.text,
                )],
                C::Route => vec![Span::styled(
                    r.route.as_str(),
                    if r.row == RowKind::Service {
                        t.muted
                    } else {
                        t.text
                    },
                )],
                C::Succ => one(
                    fmt_pct(o.effective_success),
                    success_style(t, o.effective_success),
                ),
                C::Client => one(
                    if o.client_error_rps >= 0.005 {
                        fmt_rps(o.client_error_rps)
                    } else {
                        "—".into()
                    },
                    t.muted,
                ),
                C::Rps => one(fmt_rps(o.rps), t.text),
                C::P50 => one(fmt_ms(o.p50_ms), t.muted),
                C::P95 => one(fmt_ms(o.p95_ms), t.text),
                C::P99 => one(fmt_ms(o.p99_ms), t.muted),
                C::Retry => one(retry_text(r), t.muted),
                C::Flags => one(
                    flags_text(o),
                    if o.flags.is_empty() { t.muted } else { t.error },
                ),
                C::Timeout => one(fmt_timeout(r.timeout_ms()), t.muted),
                C::Circuit => one(circuit_text(r), t.muted),
                C::Mtls => one(r.mtls.map_or("—".into(), |m| fmt_pct(Some(m))), t.muted),
                C::Canary => canary_cell(t, r),
            })
            .collect();
        let sel = (focused && k == pos.selected).then_some(t.selection);
        text::row_spans(buf, inner.y + 1 + line as u16, inner, &cols, &cells, sel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_panes_drop_policy_before_what_the_decision_needs() {
        let w = |c: C| match c {
            C::Service => 12,
            C::Route => 15,
            C::Succ => 6,
            C::Retry => 11,
            C::Flags => 15,
            C::Circuit => 17,
            C::Mtls => 4,
            C::Canary => 11,
            _ => 5,
        };
        // 80 columns: the route whole, success, RPS, p95, canary/stable and the flags.
        assert_eq!(
            fit(78, w, 15, true),
            [
                C::Service,
                C::Route,
                C::Succ,
                C::Rps,
                C::P95,
                C::Flags,
                C::Canary
            ]
        );
        // Wide enough for all of it.
        assert_eq!(fit(200, w, 15, true), C::ALL);
        // No canary running: its column is not kept empty.
        assert!(!fit(200, w, 15, false).contains(&C::Canary));
    }
}
