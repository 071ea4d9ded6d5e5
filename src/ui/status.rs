//! `opsdeck status`: one snapshot of what the dashboard shows, as a table for people or as
//! JSON for pipelines (schema `opsdeck.status/v1`, docs/status-json.md), and an exit status
//! that gates: 0 nothing wrong, 3 problems, 4 a source could not be read.

use crate::model::stats::Verdict;
use crate::model::*;
use crate::state::{Health, SourceId, State, cockpit_view, gate};
use serde_json::{Value, json};

/// The schema of the JSON; a change that removes or retypes a field is a new version.
pub const SCHEMA: &str = "opsdeck.status/v1";

/// The exit status: 0 nothing wrong, 3 a problem the header would show, 4 a source that
/// could not be read (nothing can be promised then), problems or not.
pub fn exit_code(s: &State) -> i32 {
    if failing_sources(s).next().is_some() {
        4
    } else if !s.problems().is_empty() {
        3
    } else {
        0
    }
}

/// The sources a snapshot rests on (argocd, rollouts, mesh, alerts) that failed.
fn failing_sources(s: &State) -> impl Iterator<Item = SourceId> + '_ {
    [
        SourceId::Apps,
        SourceId::Rollouts,
        SourceId::Mesh,
        SourceId::Alerts,
    ]
    .into_iter()
    .filter(|id| matches!(s.source(*id).health, Health::Error(_) | Health::Connecting))
}

fn health(h: &Health) -> (&'static str, Option<&str>) {
    match h {
        Health::Connecting => ("unread", None),
        Health::Ok => ("ok", None),
        Health::Error(e) => ("error", Some(e)),
        Health::Degraded(e) => ("degraded", Some(e)),
        Health::Off(e) => ("off", Some(e)),
    }
}

/// A rollout's verdict: `worse` (with the concerns), `cannot_judge` (with why), `no_evidence`,
/// or null when no canary runs.
fn verdict(s: &State, r: &Rollout) -> (Value, Vec<String>, Option<String>) {
    if !r.canary_active() || r.invalid.is_some() {
        return (Value::Null, Vec::new(), None);
    }
    let v = cockpit_view(s, r);
    if !v.concerns.is_empty() {
        (json!("worse"), v.concerns, None)
    } else if let Some(b) = v.blind {
        (json!("cannot_judge"), Vec::new(), Some(b.why))
    } else {
        (json!("no_evidence"), Vec::new(), None)
    }
}

fn sample(x: &RouteSample) -> Value {
    json!({
        "success": x.effective_success,
        "actual_success": x.actual_success,
        "rps": x.rps,
        "p50_ms": x.p50_ms,
        "p95_ms": x.p95_ms,
        "p99_ms": x.p99_ms,
    })
}

pub fn json(s: &State) -> Value {
    let sources: serde_json::Map<String, Value> = SourceId::ALL
        .iter()
        .map(|id| {
            let (h, msg) = health(&s.source(*id).health);
            (id.label().to_string(), json!({"health": h, "message": msg}))
        })
        .collect();
    let p = s.problems();
    let apps: Vec<Value> = s
        .apps
        .iter()
        .map(|a| {
            json!({
                "namespace": a.namespace, "name": a.name, "project": a.project,
                "sync": a.sync.as_str(), "health": a.health.as_str(),
                "revision": a.revision, "invalid": a.invalid,
            })
        })
        .collect();
    let rollouts: Vec<Value> = s
        .rollouts
        .iter()
        .map(|r| {
            let (v, concerns, why) = verdict(s, r);
            json!({
                "namespace": r.namespace, "name": r.name,
                "phase": r.phase.as_str(), "aborted": r.aborted,
                "step": r.step_text(),
                "set_weight": r.invalid.is_none().then_some(r.set_weight),
                "actual_weight": r.invalid.is_none().then_some(r.actual_weight),
                "canary_version": r.canary_version, "stable_version": r.stable_version,
                "verdict": v, "concerns": concerns, "cannot_judge": why,
                "invalid": r.invalid,
            })
        })
        .collect();
    let window = s.ui.routes.secs();
    let routes: Vec<Value> = s
        .routes
        .iter()
        .map(|r| {
            let cmp = s.route_comparison(r).map(|c| {
                let (verdict, more, secs) = match c.verdict {
                    Verdict::Worse => ("worse", None, None),
                    Verdict::NoEvidence => ("no_evidence", None, None),
                    Verdict::NotEnough {
                        more_requests,
                        more_secs,
                    } => ("not_enough_traffic", Some(more_requests), more_secs),
                };
                json!({
                    "canary_requests": c.canary_requests.round(),
                    "stable_requests": c.stable_requests.round(),
                    "difference": c.diff, "low": c.low, "high": c.high,
                    "confidence": 1.0 - s.judge.alpha,
                    "verdict": verdict,
                    "more_canary_requests": more, "more_secs": secs,
                })
            });
            json!({
                "namespace": r.namespace, "service": r.service, "route": r.route,
                "overall": sample(&r.overall),
                "canary": r.canary.as_ref().map(sample),
                "stable": r.stable.as_ref().map(sample),
                "comparison": cmp,
            })
        })
        .collect();
    let alerts: Vec<Value> = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .map(|a| {
            json!({
                "name": a.name, "severity": a.severity.as_str(), "subject": a.subject(),
                "summary": a.summary, "starts_at": a.starts_at.to_rfc3339(),
                "fingerprint": a.fingerprint,
            })
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "at": s.now.to_rfc3339(),
        "context": s.context.name,
        "namespace": s.context.namespace,
        "route_window_secs": window,
        "sources": sources,
        "api_server_degraded": s.api_server.degraded(),
        "problems": {
            "total": p.total(),
            "critical": p.critical, "warning": p.warning, "other_alerts": p.other_alerts,
            "apps_unhealthy": p.apps_unhealthy, "apps_out_of_sync": p.apps_out_of_sync,
            "rollouts_aborted": p.aborted, "rollouts_degraded": p.degraded,
            "canaries_worse": p.worse, "routes_failing": p.routes_failing,
            "certificates_failing": p.certs_failing, "certificates_expiring": p.certs_expiring,
            "items": p.items().into_iter().map(|i| i.long).collect::<Vec<_>>(),
        },
        "apps": apps,
        "rollouts": rollouts,
        "routes": routes,
        "alerts": alerts,
    })
}

/// The same, as text for a terminal or a CI log: problems first, then each list.
pub fn table(s: &State) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let p = s.problems();
    let _ = writeln!(
        out,
        "{} · ns {} · {}",
        s.context.name,
        s.context.namespace,
        s.now.format("%Y-%m-%d %H:%M UTC")
    );
    let items: Vec<String> = p.items().into_iter().map(|i| i.long).collect();
    let _ = writeln!(
        out,
        "{}",
        if items.is_empty() {
            "✓ nothing wrong".to_string()
        } else {
            format!("⚠ {}", items.join(", "))
        }
    );
    for id in SourceId::ALL {
        let (h, msg) = health(&s.source(id).health);
        if h != "ok" {
            let _ = writeln!(
                out,
                "  {} {h}{}",
                id.label(),
                msg.map(|m| format!(": {m}")).unwrap_or_default()
            );
        }
    }
    let _ = writeln!(
        out,
        "\nROLLOUT{:24} PHASE        STEP  WEIGHT    VERDICT",
        ""
    );
    for r in &s.rollouts {
        let (v, concerns, why) = verdict(s, r);
        let name = format!("{}/{}", r.namespace, r.name);
        let weight = if r.invalid.is_some() {
            "—".to_string()
        } else {
            format!("{}/{}%", r.set_weight, r.actual_weight)
        };
        let phase = if r.invalid.is_some() {
            "Invalid"
        } else if r.aborted {
            "Aborted"
        } else {
            r.phase.as_str()
        };
        let _ = writeln!(
            out,
            "{name:30} {phase:12} {:5} {weight:9} {}",
            r.step_text().unwrap_or_else(|| "—".into()),
            v.as_str().unwrap_or("—")
        );
        for c in concerns.iter().chain(why.iter()) {
            let _ = writeln!(out, "{:32}{c}", "");
        }
    }
    let _ = writeln!(out, "\nAPP{:28} SYNC        HEALTH", "");
    for a in &s.apps {
        let _ = writeln!(
            out,
            "{:30} {:11} {}",
            format!("{}/{}", a.namespace, a.name),
            a.sync.as_str(),
            if a.invalid.is_some() {
                "Invalid"
            } else {
                a.health.as_str()
            }
        );
    }
    let firing: Vec<&Alert> = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    if !firing.is_empty() {
        let _ = writeln!(out, "\nALERT{:26} SEVERITY  SUBJECT", "");
        for a in firing {
            let _ = writeln!(
                out,
                "{:30} {:9} {}",
                a.name,
                a.severity.as_str(),
                a.subject()
            );
        }
    }
    out
}

/// The schema of `opsdeck gate -o json`.
pub const GATE_SCHEMA: &str = "opsdeck.gate/v1";

fn route_verdict(v: &Verdict) -> &'static str {
    match v {
        Verdict::Worse => "worse",
        Verdict::NoEvidence => "no_evidence",
        Verdict::NotEnough { .. } => "not_enough_traffic",
    }
}

/// `opsdeck gate`'s answer for pipelines: the decision, its exit status and its evidence.
pub fn gate_json(s: &State, g: &gate::Report, waited_secs: u64) -> Value {
    let routes: Vec<Value> = g
        .routes
        .iter()
        .map(|e| {
            let (more, secs) = match e.verdict {
                Verdict::NotEnough {
                    more_requests,
                    more_secs,
                } => (Some(more_requests), more_secs),
                _ => (None, None),
            };
            json!({
                "route": e.route,
                "canary_requests": e.canary_requests.round(),
                "stable_requests": e.stable_requests.round(),
                "canary_success": e.canary_success,
                "stable_success": e.stable_success,
                "difference": e.difference,
                "latency": e.latency.as_ref().map(|l| json!({
                    "a": l.a, "z": l.z, "p": l.p,
                    "canary_requests": l.canary_requests.round(),
                    "stable_requests": l.stable_requests.round(),
                    "verdict": route_verdict(&l.verdict),
                })),
                "verdict": route_verdict(&e.verdict),
                "more_canary_requests": more, "more_secs": secs,
            })
        })
        .collect();
    json!({
        "schema": GATE_SCHEMA,
        "at": s.now.to_rfc3339(),
        "context": s.context.name,
        "rollout": g.rollout,
        "verdict": g.outcome.as_str(),
        "exit": g.outcome.exit_code(),
        "why": g.why,
        "position": g.position,
        "concerns": g.concerns,
        "routes": routes,
        "level": s.judge.alpha,
        "min_effect_points": s.judge.min_effect * 100.0,
        "min_requests": s.judge.min_requests,
        "route_window_secs": s.ui.routes.secs(),
        "waited_secs": waited_secs,
    })
}

/// The same for people: the decision first, then what it rests on.
pub fn gate_text(s: &State, g: &gate::Report, waited_secs: u64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mark = match g.outcome {
        gate::Outcome::NoEvidence => "✓",
        gate::Outcome::Worse => "✗",
        gate::Outcome::NotEnough | gate::Outcome::Undecided => "?",
    };
    let _ = writeln!(
        out,
        "{mark} {}: {} — {}",
        g.rollout,
        g.outcome.words(),
        g.why
    );
    if let Some(p) = &g.position {
        let _ = writeln!(out, "  {p}");
    }
    for c in g.concerns.iter().skip(1) {
        let _ = writeln!(out, "  also: {c}");
    }
    if !g.routes.is_empty() {
        let _ = writeln!(
            out,
            "  routes in {} ({}% level, {} pt minimum effect):",
            crate::model::time::fmt_window(s.ui.routes.secs()),
            (1.0 - s.judge.alpha) * 100.0,
            s.judge.min_effect * 100.0
        );
        for e in &g.routes {
            let verdict = match e.verdict {
                Verdict::NotEnough {
                    more_requests,
                    more_secs,
                } => format!(
                    "not enough traffic: {}",
                    crate::state::fmt_more(more_requests, more_secs)
                ),
                ref v => route_verdict(v).replace('_', " "),
            };
            let latency = e
                .latency
                .as_ref()
                .map(|l| {
                    format!(
                        " · slower {:.0}% of pairs ({})",
                        l.a * 100.0,
                        crate::state::fmt_p(l.p)
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:24} canary {} · stable {} · {}{latency} · {verdict}",
                e.route,
                gate::fmt_side(e.canary_requests, e.canary_success),
                gate::fmt_side(e.stable_requests, e.stable_success),
                e.difference
            );
        }
    }
    let _ = writeln!(
        out,
        "  exit {} after {waited_secs}s · {} · ns {}",
        g.outcome.exit_code(),
        s.context.name,
        s.context.namespace
    );
    out
}
