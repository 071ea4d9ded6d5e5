//! `opsdeck gate`: the cockpit's verdict on one rollout as a decision a pipeline can act on,
//! from the same State and the same judgement (`cockpit_view`) the TUI shows.

use super::view::{cockpit_view, fmt_interval};
use super::{Health, SourceId, State};
use crate::model::route::fmt_requests;
use crate::model::stats::{self, Verdict};
use crate::model::*;

/// What the gate decides; the exit status is the pipeline's branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Enough requests on every judged route, and no sign of harm.
    NoEvidence,
    /// A route fails significantly more often, an analysis failed, or the rollout aborted.
    Worse,
    /// The sample is still short (time would tell).
    NotEnough,
    /// Nothing can be said: a source down, no such rollout, no canary, no split metrics.
    Undecided,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::NoEvidence => 0,
            Outcome::Worse => 1,
            Outcome::NotEnough => 2,
            Outcome::Undecided => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoEvidence => "no_evidence",
            Outcome::Worse => "worse",
            Outcome::NotEnough => "not_enough_data",
            Outcome::Undecided => "undecided",
        }
    }

    /// The words a person reads first.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::NoEvidence => "no evidence of harm",
            Outcome::Worse => "canary worse",
            Outcome::NotEnough => "not enough data",
            Outcome::Undecided => "cannot decide",
        }
    }
}

/// One route's counts and verdict, as the cockpit's statistics section shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteEvidence {
    pub route: String,
    pub canary_requests: f64,
    pub stable_requests: f64,
    pub canary_success: Option<f64>,
    pub stable_success: Option<f64>,
    /// `+7.8 pts (95% CI 6.4–9.3)`.
    pub difference: String,
    /// The latency histograms' comparison, where both tracks' buckets were read.
    pub latency: Option<crate::model::latency::LatencyComparison>,
    /// Success and latency together (`stats::both`).
    pub verdict: Verdict,
}

/// The decision with what it rests on.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub outcome: Outcome,
    /// `dev/store`, or the name asked for when no such rollout is known.
    pub rollout: String,
    /// One line: the first concern, or what is missing.
    pub why: String,
    /// Every concern, worst first (empty unless worse).
    pub concerns: Vec<String>,
    pub routes: Vec<RouteEvidence>,
    /// `step 1/5 · weight 20% (actual 20%) · 1.4.2 → 1.5.0`, when the rollout is known.
    pub position: Option<String>,
    /// Waiting longer cannot change it (the gate may stop before its deadline).
    pub settled: bool,
}

/// `NAME` or `NAMESPACE/NAME`.
pub fn parse_target(target: &str) -> (Option<&str>, &str) {
    match target.split_once('/') {
        Some((ns, name)) if !ns.is_empty() => (Some(ns), name),
        Some((_, name)) => (None, name),
        None => (None, target),
    }
}

fn failing(s: &State, id: SourceId) -> Option<String> {
    match &s.source(id).health {
        Health::Error(e) | Health::Off(e) => Some(format!("{}: {e}", id.label())),
        Health::Connecting => Some(format!("{}: no answer yet", id.label())),
        Health::Ok | Health::Degraded(_) => None,
    }
}

/// The gate's decision on `target` (`NAME` or `NAMESPACE/NAME`) in what State holds now.
pub fn decide(s: &State, target: &str) -> Report {
    let (ns, name) = parse_target(target);
    let report = |outcome, rollout: String, why: String, settled| Report {
        outcome,
        rollout,
        why,
        concerns: Vec::new(),
        routes: Vec::new(),
        position: None,
        settled,
    };
    let found: Vec<&Rollout> = s
        .rollouts
        .iter()
        .filter(|r| r.name == name && ns.is_none_or(|n| r.namespace == n))
        .collect();
    let r = match found.as_slice() {
        [r] => *r,
        [] => {
            let (why, settled) = match failing(s, SourceId::Rollouts) {
                Some(f) => (format!("the rollouts could not be read ({f})"), false),
                None => (
                    format!(
                        "no rollout {name} in {}",
                        ns.map_or_else(|| "the namespaces watched".to_string(), |n| n.to_string())
                    ),
                    true,
                ),
            };
            return report(Outcome::Undecided, target.to_string(), why, settled);
        }
        many => {
            let where_: Vec<String> = many.iter().map(|r| r.namespace.clone()).collect();
            return report(
                Outcome::Undecided,
                target.to_string(),
                format!(
                    "{name} is in several namespaces ({}): name one, NAMESPACE/{name}",
                    where_.join(", ")
                ),
                true,
            );
        }
    };
    let id = format!("{}/{}", r.namespace, r.name);
    if let Some(bad) = &r.invalid {
        return report(
            Outcome::Undecided,
            id,
            format!("the rollout cannot be read: {bad}"),
            true,
        );
    }
    let position = Some(format!(
        "step {} · weight {}% (actual {}%) · {}",
        r.step_text().unwrap_or_else(|| "—".into()),
        r.set_weight,
        r.actual_weight,
        r.version_change()
    ));
    if r.aborted {
        let mut out = report(
            Outcome::Worse,
            id,
            if r.message.is_empty() {
                "the rollout was aborted".to_string()
            } else {
                format!("the rollout was aborted: {}", r.message)
            },
            true,
        );
        out.position = position;
        return out;
    }
    if !r.canary_active() {
        let mut out = report(
            Outcome::Undecided,
            id,
            format!("no canary is running ({})", r.phase.as_str()),
            true,
        );
        out.position = position;
        return out;
    }
    let cv = cockpit_view(s, r);
    let window = s.ui.routes.secs();
    let routes = cv
        .routes
        .iter()
        .filter_map(|rt| {
            let (c, st) = (rt.canary.as_ref()?, rt.stable.as_ref()?);
            let cmp = s.route_comparison(rt)?;
            let latency = s.latency_comparison(rt);
            Some(RouteEvidence {
                route: rt.label().to_string(),
                canary_requests: cmp.canary_requests,
                stable_requests: cmp.stable_requests,
                canary_success: c.effective_success,
                stable_success: st.effective_success,
                difference: format!(
                    "{:+.1} pts ({})",
                    // -0.0 reads as a difference.
                    (cmp.diff * 1000.0).round() / 10.0 + 0.0,
                    fmt_interval(&cmp, s.judge)
                ),
                verdict: stats::both(&cmp.verdict, latency.as_ref().map(|l| &l.verdict)),
                latency,
            })
        })
        .collect();
    let mesh_down = failing(s, SourceId::Mesh);
    let (outcome, why, settled) = if let Some(first) = cv.concerns.first() {
        (Outcome::Worse, first.clone(), true)
    } else if let Some(down) = mesh_down {
        // Routes from before the mesh failed are no evidence of anything now.
        (
            Outcome::Undecided,
            format!("the route metrics could not be read ({down})"),
            false,
        )
    } else if let Some(b) = &cv.blind {
        let outcome = if b.waiting {
            Outcome::NotEnough
        } else {
            Outcome::Undecided
        };
        (outcome, b.why.clone(), false)
    } else {
        (
            Outcome::NoEvidence,
            format!(
                "every route judged on enough requests in {}, none worse",
                crate::model::time::fmt_window(window)
            ),
            true,
        )
    };
    Report {
        outcome,
        rollout: id,
        why,
        concerns: cv.concerns,
        routes,
        position,
        settled,
    }
}

/// `1.2k req 92.2%`.
pub fn fmt_side(requests: f64, success: Option<f64>) -> String {
    let n = fmt_requests(requests, 1);
    match success {
        Some(x) => format!("{n} req {:.1}%", x * 100.0),
        None => format!("{n} req"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::*;

    #[test]
    fn the_bad_canary_is_worse_and_names_its_route() {
        let (s, _sim) = demo(Scenario::BadCanary, false);
        let r = decide(&s, "store");
        assert_eq!(r.outcome, Outcome::Worse, "{r:?}");
        assert_eq!(r.rollout, "dev/store");
        assert!(r.why.starts_with("GET /products: canary fails"), "{r:?}");
        assert!(r.settled);
        let products = r.routes.iter().find(|e| e.route == "GET /products");
        assert!(
            products.is_some_and(|e| e.verdict == Verdict::Worse && e.canary_requests > 100.0),
            "{r:?}"
        );
    }

    #[test]
    fn what_cannot_be_judged_says_why_and_whether_to_wait() {
        let (mut s, _sim) = demo(Scenario::Steady, false);
        let r = decide(&s, "dev/nosuch");
        assert_eq!(
            (r.outcome, r.why.as_str(), r.settled),
            (Outcome::Undecided, "no rollout nosuch in dev", true)
        );
        assert_eq!(decide(&s, "prod/user").outcome, Outcome::Undecided);
        // The steady canary on little traffic: time would tell.
        let r = decide(&s, "user");
        assert_eq!((r.outcome, r.settled), (Outcome::NotEnough, false), "{r:?}");
        assert!(r.why.contains("more canary requests"), "{r:?}");
        // A rollout at rest has no canary to judge.
        let r = decide(&s, "gateway");
        assert_eq!(
            (r.outcome, r.why.as_str(), r.settled),
            (Outcome::Undecided, "no canary is running (Healthy)", true)
        );
        // The split is lost: undecided, and waiting may bring it back.
        let mut routes = s.routes.clone();
        for r in &mut routes {
            r.canary = None;
            r.stable = None;
        }
        s.apply(Update::Routes(routes));
        let r = decide(&s, "user");
        assert_eq!((r.outcome, r.settled), (Outcome::Undecided, false), "{r:?}");
        assert!(
            r.why.contains("do not tell canary pods from stable"),
            "{r:?}"
        );
        // The mesh failing makes old routes no evidence.
        s.apply(Update::SourceHealth {
            source: SourceId::Mesh,
            health: Health::Error("connection refused".into()),
        });
        let r = decide(&s, "user");
        assert_eq!(r.outcome, Outcome::Undecided);
        assert!(r.why.contains("connection refused"), "{r:?}");
    }

    #[test]
    fn enough_clean_traffic_is_no_evidence_of_harm_until_the_floor_says_otherwise() {
        let (mut s, _sim) = demo(Scenario::Steady, false);
        // The widest window: the steady canary's sample is then enough.
        s.ui.routes.index = crate::state::ROUTE_WINDOWS.len() - 1;
        let r = decide(&s, "user");
        assert_eq!((r.outcome, r.settled), (Outcome::NoEvidence, true), "{r:?}");
        assert!(
            r.routes.iter().all(|e| e.verdict == Verdict::NoEvidence),
            "{r:?}"
        );
        s.judge.min_requests = 1e9;
        let r = decide(&s, "user");
        assert_eq!(r.outcome, Outcome::NotEnough, "{r:?}");
    }

    #[test]
    fn a_target_is_a_name_or_a_namespace_and_name() {
        assert_eq!(parse_target("store"), (None, "store"));
        assert_eq!(parse_target("dev/store"), (Some("dev"), "store"));
        assert_eq!(parse_target("/store"), (None, "store"));
    }
}
