//! What is wrong right now, counted for the header and the pane strip: firing alerts by
//! severity, applications degraded or out of sync, rollouts aborted or degraded, canaries
//! judged worse than stable, routes failing (callers' success, all tracks together).

use super::State;
use crate::layout::Pane;
use crate::model::*;

/// Below this success rate a route counts as failing (the tables draw it in the error colour).
pub const FAILING_SUCCESS: f64 = 0.95;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub critical: usize,
    pub warning: usize,
    /// Firing alerts of severity info or none.
    pub other_alerts: usize,
    /// Degraded or Missing, or the last operation failed.
    pub apps_unhealthy: usize,
    pub apps_out_of_sync: usize,
    pub aborted: usize,
    /// Degraded and not aborted, or unreadable (a field of the wrong type).
    pub degraded: usize,
    /// Canaries the cockpit judges worse than stable.
    pub worse: usize,
    pub routes_failing: usize,
    /// Why the API server is degraded (`etcd failing`): reads go on, writes may hang.
    pub api_degraded: Option<String>,
    /// Certificates expired, not ready, or overdue for renewal.
    pub certs_failing: usize,
    /// Certificates expiring inside the horizon that will not be renewed in time.
    pub certs_expiring: usize,
}

/// One thing to say in the header: its words, its short form, and whether it is severe
/// (an error) or a warning.
pub struct Item {
    pub long: String,
    pub short: String,
    pub severe: bool,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub fn total(&self) -> usize {
        self.critical
            + self.warning
            + self.other_alerts
            + self.apps_unhealthy
            + self.apps_out_of_sync
            + self.aborted
            + self.degraded
            + self.worse
            + self.routes_failing
            + self.certs_failing
            + self.certs_expiring
            + usize::from(self.api_degraded.is_some())
    }

    /// Whether any problem is severe: a critical alert, a broken app, rollout or canary, a
    /// failing route.
    pub fn severe(&self) -> bool {
        self.items().iter().any(|i| i.severe)
    }

    /// Whether a pane holds one of the problems.
    pub fn in_pane(&self, p: Pane) -> bool {
        match p {
            Pane::Apps => self.apps_unhealthy + self.apps_out_of_sync > 0,
            Pane::Rollouts => self.aborted + self.degraded + self.worse > 0,
            Pane::Routes => self.routes_failing > 0,
            Pane::Alerts => self.critical + self.warning + self.other_alerts > 0,
            Pane::Cpu | Pane::Logs => false,
        }
    }

    /// The problems worst first, as the header says them.
    pub fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        if let Some(why) = &self.api_degraded {
            out.push(Item {
                long: format!("API server degraded: {why}"),
                short: "API!".into(),
                severe: true,
            });
        }
        let mut add = |n: usize, long: &str, short: &str, severe: bool| {
            if n > 0 {
                out.push(Item {
                    long: format!("{n} {long}"),
                    short: format!("{n}{short}"),
                    severe,
                });
            }
        };
        add(self.critical, "critical", "crit", true);
        add(self.aborted, "aborted", "abort", true);
        add(self.worse, "canary worse", "worse", true);
        add(self.degraded, "rollout degraded", "degr", true);
        add(self.apps_unhealthy, "app unhealthy", "app✗", true);
        add(self.routes_failing, "route failing", "route✗", true);
        add(self.certs_failing, "cert failing", "cert✗", true);
        add(self.warning, "warning", "warn", false);
        add(self.apps_out_of_sync, "out of sync", "≠sync", false);
        add(self.certs_expiring, "cert expiring", "cert!", false);
        add(self.other_alerts, "info alert", "info", false);
        out
    }
}

impl State {
    pub fn problems(&self) -> Problems {
        let mut p = Problems {
            api_degraded: self.api_server.degraded(),
            ..Problems::default()
        };
        for a in self.alerts.iter().filter(|a| a.state == AlertState::Firing) {
            match a.severity {
                Severity::Critical => p.critical += 1,
                Severity::Warning => p.warning += 1,
                Severity::Info | Severity::None => p.other_alerts += 1,
            }
        }
        for a in &self.apps {
            if super::sort::app_rank(a) <= 1 {
                p.apps_unhealthy += 1;
            } else if a.sync == SyncStatus::OutOfSync {
                p.apps_out_of_sync += 1;
            }
        }
        for r in &self.rollouts {
            if r.invalid.is_some() {
                p.degraded += 1;
            } else if r.aborted {
                p.aborted += 1;
            } else if r.phase == RolloutPhase::Degraded {
                p.degraded += 1;
            } else if self.canary_worse(r).is_some() {
                p.worse += 1;
            }
        }
        for b in &self.trust {
            let (severe, warn) = b.counts(self.now, self.cert_horizon_secs);
            p.certs_failing += severe;
            p.certs_expiring += warn;
        }
        for c in &self.certs {
            match c.state(self.now, self.cert_horizon_secs) {
                s if s.severe() => p.certs_failing += 1,
                CertState::Expiring => p.certs_expiring += 1,
                _ => {}
            }
        }
        p.routes_failing = self
            .routes
            .iter()
            .filter(|r| {
                r.overall
                    .effective_success
                    .is_some_and(|s| s < FAILING_SUCCESS)
            })
            .count();
        p
    }
}
