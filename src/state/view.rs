//! Views derived from State: filtered lists, the selected objects, the cockpit comparison.

use super::State;
use crate::layout::Pane;
use crate::model::*;
use crate::query::LogScope;

/// Indices into a list after the pane's filter: all of them, or a subset.
pub enum Indices {
    All(usize),
    Some(Vec<usize>),
}

impl Indices {
    pub fn len(&self) -> usize {
        match self {
            Indices::All(n) => *n,
            Indices::Some(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, k: usize) -> Option<usize> {
        match self {
            Indices::All(n) => (k < *n).then_some(k),
            Indices::Some(v) => v.get(k).copied(),
        }
    }
}

fn matches(filter: &str, fields: &[&str]) -> bool {
    fields.iter().any(|f| f.to_lowercase().contains(filter))
}

impl State {
    fn filter_of(&self, pane: Pane) -> String {
        self.ui.lists[pane].filter.to_lowercase()
    }

    /// The rows of a pane after its filter, as indices into the underlying list.
    pub fn indices(&self, pane: Pane) -> Indices {
        let f = self.filter_of(pane);
        let total = match pane {
            Pane::Apps => self.apps.len(),
            Pane::Rollouts => self.rollouts.len(),
            Pane::Routes => self.routes.len(),
            Pane::Logs => self.logs.len(),
            Pane::Alerts => self.alerts.len(),
            Pane::Cpu => self.cpu.services.len(),
        };
        let narrow = match (&self.ui.logs.narrow, pane) {
            (Some(n), Pane::Logs) => Some(n),
            _ => None,
        };
        let hide_muted = pane == Pane::Alerts
            && !self.ui.alerts.show_suppressed
            && self
                .alerts
                .iter()
                .any(|a| a.state == AlertState::Suppressed);
        if f.is_empty() && !hide_muted && narrow.is_none() {
            return Indices::All(total);
        }
        let keep: Vec<usize> = (0..total)
            .filter(|&i| match pane {
                Pane::Apps => {
                    let a = &self.apps[i];
                    matches(
                        &f,
                        &[&a.name, a.sync.as_str(), a.health.as_str(), &a.project],
                    )
                }
                Pane::Rollouts => {
                    let r = &self.rollouts[i];
                    matches(&f, &[&r.name, r.phase.as_str(), &r.message])
                }
                Pane::Routes => {
                    let r = &self.routes[i];
                    matches(&f, &[&r.service, &r.route])
                }
                Pane::Logs => self.logs.get(i).is_some_and(|l| {
                    if let Some((svc, track)) = narrow
                        && (*l.service != **svc || track.is_some_and(|t| l.track != Some(t)))
                    {
                        return false;
                    }
                    f.is_empty()
                        || matches(
                            &f,
                            &[&l.service, &l.pod, &l.logger, &l.message, l.level.as_str()],
                        )
                }),
                Pane::Alerts => {
                    let a = &self.alerts[i];
                    if hide_muted && a.state == AlertState::Suppressed {
                        return false;
                    }
                    f.is_empty()
                        || matches(&f, &[&a.name, &a.summary, a.subject(), a.severity.as_str()])
                }
                Pane::Cpu => matches(&f, &[&self.cpu.services[i].name]),
            })
            .collect();
        Indices::Some(keep)
    }

    pub fn filtered_len(&self, pane: Pane) -> usize {
        self.indices(pane).len()
    }

    pub fn selected_index(&self, pane: Pane) -> Option<usize> {
        self.indices(pane).get(self.ui.lists[pane].selected)
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.selected_index(Pane::Alerts)
            .and_then(|i| self.alerts.get(i))
    }

    pub fn selected_app(&self) -> Option<&ArgoApp> {
        self.selected_index(Pane::Apps)
            .and_then(|i| self.apps.get(i))
    }

    pub fn selected_rollout(&self) -> Option<&Rollout> {
        self.selected_index(Pane::Rollouts)
            .and_then(|i| self.rollouts.get(i))
    }

    /// The rollout the cockpit shows, if it is open.
    /// The cockpit's case against a running canary, its worst finding first (`None`: no
    /// finding, or no canary).
    pub fn canary_worse(&self, r: &Rollout) -> Option<String> {
        if !r.canary_active() {
            return None;
        }
        cockpit_view(self, r).concerns.into_iter().next()
    }

    /// Lines that arrived since the logs were paused (0 while following).
    pub fn logs_since_pause(&self) -> u64 {
        if self.ui.logs.follow {
            0
        } else {
            self.next_log_seq.saturating_sub(self.ui.logs.paused_at)
        }
    }

    pub fn cockpit_rollout(&self) -> Option<&Rollout> {
        match &self.ui.screen {
            super::Screen::Cockpit { namespace, name } => self.rollout(namespace, name),
            super::Screen::Main => None,
        }
    }
}

/// What the rollout cockpit shows besides the rollout itself.
pub struct CockpitView<'a> {
    pub rollout: &'a Rollout,
    pub routes: Vec<&'a RouteStats>,
    pub cpu_canary: Option<&'a CpuSeries>,
    pub cpu_stable: Option<&'a CpuSeries>,
    pub errors_canary: f64,
    pub errors_stable: f64,
    /// Canary against stable on their ERROR lines (None without a canary or a share).
    pub errors: Option<stats::EventComparison>,
    /// Findings that argue for abort, worst first; empty when the canary looks as good as stable.
    pub concerns: Vec<String>,
    /// Why canary cannot be compared with stable yet (no metrics, no split, no canary
    /// traffic): then no concerns do not mean "as good as stable".
    pub blind: Option<Blind>,
}

/// Why canary cannot be judged against stable, and whether waiting may change that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blind {
    pub why: String,
    /// The sample is short (no canary requests yet, or too few): time will tell. Otherwise
    /// the metrics themselves are missing or do not split canary from stable.
    pub waiting: bool,
}

impl std::fmt::Display for Blind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// `95% CI 6.4–9.3` (failure rate points).
pub fn fmt_interval(c: &stats::Comparison, judge: stats::Judge) -> String {
    format!(
        "{}% CI {:.1}–{:.1}",
        (1.0 - judge.alpha) * 100.0,
        c.low * 100.0,
        c.high * 100.0
    )
}

/// `1,511 more canary requests (~13m at its rate)`.
pub fn fmt_more(more: u64, secs: Option<u64>) -> String {
    let when = secs.map_or_else(
        || " (it gets none now)".to_string(),
        |s| format!(" (~{} at its rate)", crate::model::time::fmt_age(s as i64)),
    );
    format!("{more} more canary requests{when}")
}

/// `p < 0.001`, `p = 0.012`.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

/// When every route with canary traffic lacks the sample to judge: which needs most.
fn not_enough(judged: &[(&RouteStats, stats::Verdict)]) -> Option<String> {
    let mut worst: Option<(u64, Option<u64>, String)> = None;
    for (r, v) in judged {
        match v {
            stats::Verdict::NotEnough {
                more_requests,
                more_secs,
            } => {
                if worst.as_ref().is_none_or(|w| *more_requests > w.0) {
                    worst = Some((*more_requests, *more_secs, r.label().to_string()));
                }
            }
            // One route judged is a judgement.
            _ => return None,
        }
    }
    let (more, secs, label) = worst?;
    Some(format!("{label} needs {}", fmt_more(more, secs)))
}

pub fn cockpit_view<'a>(state: &'a State, rollout: &'a Rollout) -> CockpitView<'a> {
    let svc = rollout.name.as_str();
    let routes: Vec<&RouteStats> = state.routes_of(&rollout.namespace, svc);
    let (errors_canary, errors_stable) = state.track_error_rates(svc, ERROR_WINDOW_SECS);
    let mut concerns = Vec::new();
    let errors = state.error_comparison(rollout, &routes, (errors_canary, errors_stable));
    // Each route's verdict on both tests, judged once (the concerns and "not enough" read it).
    let mut judged: Vec<(&RouteStats, stats::Verdict)> = Vec::new();
    if rollout.canary_active() {
        for r in &routes {
            let (Some(c), Some(s)) = (&r.canary, &r.stable) else {
                continue;
            };
            let cmp = state.route_comparison(r);
            let latency = state.latency_comparison(r);
            if let Some(cmp) = &cmp {
                let lv = latency.as_ref().map(|l| &l.verdict);
                judged.push((r, stats::both(&cmp.verdict, lv)));
            }
            if let (Some(cs), Some(ss), Some(cmp)) = (c.effective_success, s.effective_success, cmp)
                && cmp.verdict == stats::Verdict::Worse
            {
                // The flag that explains it, when the mesh reports one (Istio).
                let why = c
                    .flags
                    .first()
                    .map(|(f, n)| format!(" ({f} {}: {})", fmt_rate(*n), flag_meaning(f)))
                    .unwrap_or_default();
                let w = state.ui.routes.secs();
                concerns.push(format!(
                    "{}: canary fails {:.1} pts more often ({}): {:.1}% of {} vs stable {:.1}% of {} in {}{why}",
                    r.label(),
                    cmp.diff * 100.0,
                    fmt_interval(&cmp, state.judge),
                    cs * 100.0,
                    fmt_requests(c.rps, w),
                    ss * 100.0,
                    fmt_requests(s.rps, w),
                    crate::model::time::fmt_window(w),
                ));
            }
            if let Some(lc) = latency
                && lc.verdict == stats::Verdict::Worse
            {
                let w = state.ui.routes.secs();
                concerns.push(format!(
                    "{}: canary slower: p95 {:.0} vs {:.0} ms, slower in {:.0}% of request pairs ({}, {} vs {} requests in {})",
                    r.label(),
                    c.p95_ms,
                    s.p95_ms,
                    lc.a * 100.0,
                    fmt_p(lc.p),
                    fmt_requests(c.rps, w),
                    fmt_requests(s.rps, w),
                    crate::model::time::fmt_window(w),
                ));
            }
        }
        if let Some(e) = &errors
            && e.verdict == stats::Verdict::Worse
        {
            concerns.push(format!(
                "errors: canary {errors_canary:.1}/min vs stable {errors_stable:.1}/min ({:.0} vs {:.0} lines in 5m with {:.0}% of the traffic, {})",
                e.canary,
                e.stable,
                e.share * 100.0,
                fmt_p(e.p)
            ));
        }
        // Every run of the revision that failed, errored or is inconclusive, with why.
        for a in rollout.analyses().filter(|a| a.stopped_the_rollout()) {
            concerns.push(a.why());
        }
    }
    let blind = |why: String, waiting: bool| Some(Blind { why, waiting });
    let blind = if !rollout.canary_active() {
        None
    } else if routes.is_empty() {
        blind(
            state
                .mesh_notes
                .iter()
                .find(|n| n.service == svc && n.namespace == rollout.namespace)
                .map_or_else(
                    || format!("no route metrics for {svc}"),
                    |n| n.reason.clone(),
                ),
            false,
        )
    } else if routes.iter().all(|r| r.canary.is_none()) {
        blind(
            "the metrics do not tell canary pods from stable ones (see docs/istio.md)".into(),
            false,
        )
    } else if routes
        .iter()
        .all(|r| r.canary.as_ref().is_none_or(|c| c.rps <= 0.0))
    {
        blind(
            "no requests have reached the canary in the window yet".into(),
            true,
        )
    } else if concerns.is_empty()
        && let Some(short) = not_enough(&judged)
    {
        // No concern, but no evidence either: say what the sample lacks.
        blind(short, true)
    } else {
        None
    };
    CockpitView {
        blind,
        rollout,
        routes,
        cpu_canary: state
            .cpu
            .service(&rollout.namespace, svc, Some(Track::Canary)),
        cpu_stable: state
            .cpu
            .service(&rollout.namespace, svc, Some(Track::Stable)),
        errors_canary,
        errors_stable,
        errors,
        concerns,
    }
}

/// The error lines' window in the cockpit (the Errors/min chart's).
pub const ERROR_WINDOW_SECS: i64 = 300;

impl State {
    /// Canary against stable on their ERROR lines in the last five minutes, each side's
    /// exposure its share of the requests on the rollout's routes (its weight without them);
    /// None without a canary or a share to judge by.
    /// `per_min` is each track's ERROR lines per minute over the window.
    fn error_comparison(
        &self,
        rollout: &Rollout,
        routes: &[&RouteStats],
        (canary_per_min, stable_per_min): (f64, f64),
    ) -> Option<stats::EventComparison> {
        if !rollout.canary_active() {
            return None;
        }
        let lines = |per_min: f64| per_min * ERROR_WINDOW_SECS as f64 / 60.0;
        let rps = |f: fn(&RouteStats) -> Option<&RouteSample>| -> f64 {
            routes
                .iter()
                .filter_map(|r| f(r))
                .map(|x| x.rps.max(0.0))
                .sum()
        };
        let (c, st) = (rps(|r| r.canary.as_ref()), rps(|r| r.stable.as_ref()));
        let share = if c + st > 0.0 {
            c / (c + st)
        } else {
            f64::from(rollout.actual_weight.min(100)) / 100.0
        };
        // The floor: a line a minute, as the chart's scale reads.
        let floor = ERROR_WINDOW_SECS as f64 / 60.0;
        stats::compare_events(
            lines(canary_per_min),
            lines(stable_per_min),
            share,
            floor,
            self.judge,
        )
    }

    /// Canary against stable on a route's latency histograms of the window; None without
    /// both tracks' buckets.
    pub fn latency_comparison(
        &self,
        r: &RouteStats,
    ) -> Option<crate::model::latency::LatencyComparison> {
        let (c, s) = (r.canary.as_ref()?, r.stable.as_ref()?);
        if c.latency_buckets.is_empty() || s.latency_buckets.is_empty() {
            return None;
        }
        crate::model::latency::compare(
            &c.latency_buckets,
            &s.latency_buckets,
            f64::from(self.ui.routes.secs()),
            c.rps,
            self.judge,
        )
    }

    /// Canary against stable on a route, on the counts of the window; None without both.
    pub fn route_comparison(&self, r: &RouteStats) -> Option<stats::Comparison> {
        let (c, s) = (r.canary.as_ref()?, r.stable.as_ref()?);
        let (cs, ss) = (c.effective_success?, s.effective_success?);
        let w = f64::from(self.ui.routes.secs());
        let counts = |rps: f64, success: f64| {
            let n = (rps * w).max(0.0);
            (n, n * (1.0 - success.clamp(0.0, 1.0)))
        };
        Some(stats::compare(
            counts(c.rps, cs),
            counts(s.rps, ss),
            c.rps,
            self.judge,
        ))
    }

    /// The analysis queries of the cockpit's rollout, for canary and (where the query names
    /// the canary whole) stable; none unless the cockpit is open on a running canary.
    pub fn replay_queries(&self) -> Vec<crate::model::replay::ReplayQuery> {
        use crate::model::replay::{ReplayQuery, Tracks, stable_query};
        let Some(r) = self.cockpit_rollout().filter(|r| r.canary_active()) else {
            return Vec::new();
        };
        let Some(a) = &r.analysis else {
            return Vec::new();
        };
        let tracks = Tracks {
            canary_hash: &r.canary_hash,
            stable_hash: &r.stable_hash,
            canary_service: &r.canary_service,
            stable_service: &r.stable_service,
            canary_version: &r.canary_version,
            stable_version: &r.stable_version,
        };
        a.metrics
            .iter()
            .filter(|m| m.provider == "prometheus" && !m.resolved_query.is_empty())
            .map(|m| ReplayQuery {
                namespace: r.namespace.clone(),
                rollout: r.name.clone(),
                metric: m.name.clone(),
                canary: m.resolved_query.clone(),
                stable: stable_query(&m.resolved_query, &tracks),
            })
            .collect()
    }

    /// What the logs are narrowed to (`=`): a service, then its canary or its stable pods.
    pub fn log_scope(&self) -> Option<LogScope> {
        let (svc, track) = self.ui.logs.narrow.as_ref()?;
        let pod_hash = track.and_then(|t| {
            let r = self.rollouts.iter().find(|r| &r.name == svc)?;
            Some(match t {
                Track::Canary => r.canary_hash.clone(),
                Track::Stable => r.stable_hash.clone(),
            })
        });
        Some(LogScope {
            service: svc.clone(),
            track: *track,
            pod_hash,
        })
    }

    /// The query in force, in the log store's own syntax: the configured one, narrowed.
    pub fn effective_log_query(&self) -> String {
        self.context.log_query.narrowed(self.log_scope().as_ref())
    }

    /// What a cluster out of focus asks of its pollers: nothing on screen but what its
    /// canaries' verdicts read (the strip shows them): the routes, and the error logs while a
    /// canary runs; no CPU, window, pod, log view or other view.
    pub fn background_demand(&self) -> crate::state::Demand {
        crate::state::Demand {
            cpu: false,
            routes: true,
            logs: self.rollouts.iter().any(|r| r.canary_active()),
            replay: Vec::new(),
            pods: None,
            pod_log: None,
            pod_log_store: false,
            app_tree: None,
            app_diff: None,
            object: None,
            trace: None,
            trace_search: None,
            log_scope: None,
            ..self.demand()
        }
    }

    /// What the polling sources should fetch for the screen as it is now.
    pub fn demand(&self) -> crate::state::Demand {
        use super::Demand;
        use super::Screen;
        let layout = &self.ui.layout;
        let cockpit = matches!(self.ui.screen, Screen::Cockpit { .. });
        let cpu_rect = layout.rect(Pane::Cpu).filter(|_| !cockpit);
        let namespaces = if self.context.namespace == "all" || self.context.namespace.is_empty() {
            Vec::new()
        } else {
            self.context
                .namespace
                .split(',')
                .map(str::to_string)
                .collect()
        };
        Demand {
            cpu: cockpit || cpu_rect.is_some(),
            routes: cockpit || layout.rect(Pane::Routes).is_some(),
            logs: cockpit || layout.rect(Pane::Logs).is_some(),
            cpu_window_secs: self.ui.cpu.secs(),
            route_window_secs: self.ui.routes.secs(),
            // Braille: two dots per cell, less the y-axis labels and the border.
            cpu_points: u32::from(
                cpu_rect
                    .map_or(self.ui.size.0 / 2, |r| r.width)
                    .saturating_sub(7),
            ) * 2,
            namespaces,
            log_scope: self.log_scope(),
            rollouts: self.tracked.clone(),
            replay: self.replay_queries(),
            pods: self.pod_scope(),
            pod_log: self.pod_log_target(),
            pod_log_store: self.pod_log_via_store(),
            app_tree: self.app_tree_wanted(),
            app_diff: self.app_diff_wanted(),
            object: self.object_wanted(),
            trace: self.trace_wanted(),
            trace_search: self.trace_search_wanted(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn both_tracks_error_rates_at_once_are_each_tracks() {
        let (s, _sim) = demo(Scenario::BadCanary, false);
        let (c, st) = s.track_error_rates("store", 300);
        assert!(c > 1.0, "the bad canary logs errors: {c}");
        assert_eq!(c, s.error_rate("store", Some(Track::Canary), 300));
        assert_eq!(st, s.error_rate("store", Some(Track::Stable), 300));
        assert_eq!(s.track_error_rates("nosuch", 300), (0.0, 0.0));
    }

    #[test]
    fn the_verdict_is_blind_not_green_when_canary_cannot_be_compared() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        let store = s.rollout("dev", "store").cloned().unwrap_or_default();
        assert!(store.canary_active());
        let cv = cockpit_view(&s, &store);
        assert!(!cv.concerns.is_empty() && cv.blind.is_none());
        // The split is lost (no pod labels on the series): no concerns, but not "as good".
        let mut routes = s.routes.clone();
        for r in &mut routes {
            r.canary = None;
            r.stable = None;
        }
        s.apply(Update::Routes(routes.clone()));
        let cv = cockpit_view(&s, &store);
        assert!(
            cv.concerns.iter().all(|c| c.starts_with("errors")),
            "{:?}",
            cv.concerns
        );
        assert_eq!(
            cv.blind.as_ref().map(|b| b.why.as_str()),
            Some("the metrics do not tell canary pods from stable ones (see docs/istio.md)")
        );
        // Split, but nothing reached the canary yet.
        for r in &mut routes {
            r.canary = Some(RouteSample::default());
            r.stable = Some(r.overall.clone());
        }
        s.apply(Update::Routes(routes));
        let cv = cockpit_view(&s, &store);
        assert_eq!(
            cv.blind.as_ref().map(|b| b.why.as_str()),
            Some("no requests have reached the canary in the window yet")
        );
        // No route metrics at all: the mesh's note says why.
        s.apply(Update::Routes(Vec::new()));
        s.apply(Update::MeshNotes(vec![MeshNote {
            namespace: "dev".into(),
            service: "store".into(),
            reason: "not meshed: no linkerd-proxy metrics from its pods".into(),
        }]));
        let cv = cockpit_view(&s, &store);
        assert_eq!(
            cv.blind.as_ref().map(|b| b.why.as_str()),
            Some("not meshed: no linkerd-proxy metrics from its pods")
        );
    }
}
