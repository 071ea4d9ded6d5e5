//! The fleet: several clusters watched at once. Each cluster has its own `State` (its own
//! sources, health and actions); the loop keeps them and hands the focused one the strip's
//! cells, one per cluster with its problem summary, so the strip under the header answers
//! "is anything wrong anywhere?". Moving the focus (`]`/`[`, `:ctx NAME`) shows that cluster.
//! The all-clusters view (`F`, `:fleet`) lists every cluster's applications, rollouts and
//! alerts in one table with a cluster column, problems first; Enter shows a row in its cluster.

use super::{Command, FlashKind, Health, Intent, Overlay, Problems, Screen, State};
use crate::layout::Pane;

/// One cluster in the strip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetCell {
    /// The context's name.
    pub name: String,
    pub problems: Problems,
    /// Sources failing (unreachable, 403, expired token), and the first one's reason.
    pub sources_down: usize,
    pub down_reason: String,
    /// Nothing heard from it yet.
    pub connecting: bool,
    pub focused: bool,
    pub protected: bool,
}

impl FleetCell {
    /// Worst first: 3 severe, 2 a problem or a source down, 1 connecting, 0 fine.
    pub fn rank(&self) -> u8 {
        if self.problems.severe() {
            3
        } else if !self.problems.is_empty() || self.sources_down > 0 {
            2
        } else if self.connecting {
            1
        } else {
            0
        }
    }
}

impl State {
    /// This cluster could not be reached, for `why`: every source says so.
    pub fn mark_unreachable(&mut self, why: &str) {
        let text = format!("{} could not be reached: {why}", self.context.name);
        for source in super::SourceId::ALL {
            self.apply(super::Update::SourceHealth {
                source,
                health: Health::Error(text.clone()),
            });
        }
        self.unreachable = Some(why.to_string());
    }

    /// This cluster's cell in the strip.
    pub fn fleet_cell(&self, focused: bool) -> FleetCell {
        let down: Vec<&str> = self
            .sources
            .iter()
            .filter_map(|s| match &s.health {
                Health::Error(e) => Some(e.as_str()),
                _ => None,
            })
            .collect();
        FleetCell {
            name: self.context.name.clone(),
            problems: self.problems(),
            sources_down: down.len(),
            down_reason: down.first().map(|s| s.to_string()).unwrap_or_default(),
            connecting: self
                .sources
                .iter()
                .all(|s| matches!(s.health, Health::Connecting)),
            focused,
            protected: self.context.protected,
        }
    }

    /// The strip's cells (the loop's, every cluster's); a strip row while there are two or
    /// more. Returns whether the screen changed.
    pub fn set_fleet(&mut self, cells: Vec<FleetCell>) -> bool {
        if cells == self.fleet {
            return false;
        }
        let rows = u16::from(cells.len() > 1);
        self.fleet = cells;
        if rows != self.ui.layout_spec.strip {
            self.ui.layout_spec.strip = rows;
            self.relayout();
        }
        true
    }
}

/// What a row of the all-clusters view is, in the order the view lists them within a rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    Alert,
    Rollout,
    App,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Alert => "alert",
            RowKind::Rollout => "rollout",
            RowKind::App => "app",
        }
    }
}

/// What Enter on a row of the all-clusters view shows once its cluster has the focus.
#[derive(Clone, Debug, PartialEq)]
pub enum Reveal {
    App {
        namespace: String,
        name: String,
    },
    Rollout {
        namespace: String,
        name: String,
    },
    Alert {
        fingerprint: String,
    },
    /// What a timeline entry is about (an app, a rollout, an alert's service).
    Subject(String),
}

/// One application, rollout or alert of one cluster, in the all-clusters view.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetRow {
    pub cluster: String,
    /// The cluster's place in the strip: rows of one rank keep the strip's order.
    pub cluster_pos: usize,
    pub kind: RowKind,
    pub namespace: String,
    pub name: String,
    /// Its state in the panes' words (`OutOfSync Degraded`, `Paused step 2/5 20%`).
    pub status: String,
    /// Why: the health or operation message, the canary's worst finding, the alert's summary.
    pub detail: String,
    /// 3 severe, 2 a problem, 1 on its way (progressing, paused, info), 0 fine.
    pub rank: u8,
    pub reveal: Reveal,
}

/// A row's identity across refreshes: the selection stays on it when the order changes.
type RowKey = (String, RowKind, String, String);

impl FleetRow {
    fn key(&self) -> RowKey {
        // Alerts of one name (one per pod) are told apart by their fingerprint.
        let name = match &self.reveal {
            Reveal::Alert { fingerprint } => fingerprint,
            _ => &self.name,
        };
        (
            self.cluster.clone(),
            self.kind,
            self.namespace.clone(),
            name.clone(),
        )
    }
}

/// Problems first (worst rank), then by the strip's order of clusters, alerts before rollouts
/// before applications, then by namespace and name.
pub fn order_rows(rows: &mut [FleetRow]) {
    rows.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then(a.cluster_pos.cmp(&b.cluster_pos))
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Rows at or above rank 2 (what the strip counts as a problem).
pub fn problem_rows(rows: &[FleetRow]) -> usize {
    rows.iter().filter(|r| r.rank >= 2).count()
}

impl State {
    /// This cluster's applications, rollouts and alerts as rows of the all-clusters view.
    pub fn fleet_rows(&self, cluster_pos: usize) -> Vec<FleetRow> {
        use crate::model::{AlertState, Severity, SyncStatus};
        let cluster = &self.context.name;
        let row =
            |kind, namespace: &str, name: &str, status: String, detail: String, rank, reveal| {
                FleetRow {
                    cluster: cluster.clone(),
                    cluster_pos,
                    kind,
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    status,
                    detail,
                    rank,
                    reveal,
                }
            };
        let mut out = Vec::with_capacity(self.apps.len() + self.rollouts.len() + self.alerts.len());
        for a in &self.alerts {
            let rank = match (a.state, a.severity) {
                (AlertState::Firing, Severity::Critical) => 3,
                (AlertState::Firing, Severity::Warning) => 2,
                (AlertState::Firing, _) => 1,
                _ => 0,
            };
            let status = match a.state {
                AlertState::Firing => a.severity.as_str().to_string(),
                AlertState::Suppressed => format!("{} silenced", a.severity.as_str()),
                AlertState::Unprocessed => format!("{} pending", a.severity.as_str()),
            };
            let ns = a.labels.get("namespace").map_or("", String::as_str);
            out.push(row(
                RowKind::Alert,
                ns,
                &a.name,
                status,
                a.summary.clone(),
                rank,
                Reveal::Alert {
                    fingerprint: a.fingerprint.clone(),
                },
            ));
        }
        for r in &self.rollouts {
            let worse = self.canary_worse(r);
            let rank = match super::sort::rollout_rank(r, worse.is_some()) {
                0..=2 => 3,
                3 | 4 => 1,
                _ => 0,
            };
            let mut status = if r.aborted {
                "Aborted".to_string()
            } else {
                r.phase.as_str().to_string()
            };
            // The step as the Rollouts pane and the plugin write it.
            if let Some(step) = r
                .step_text()
                .filter(|_| !r.aborted && !r.is_fully_promoted())
            {
                status.push_str(&format!(" step {step} {}%", r.set_weight));
            }
            let detail = match (&r.invalid, worse) {
                (Some(why), _) => why.clone(),
                (None, Some(w)) => format!("canary worse: {w}"),
                (None, None) => r.message.clone(),
            };
            out.push(row(
                RowKind::Rollout,
                &r.namespace,
                &r.name,
                status,
                detail,
                rank,
                Reveal::Rollout {
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                },
            ));
        }
        for a in &self.apps {
            let rank = match super::sort::app_rank(a) {
                0 | 1 => 3,
                2 => 2,
                3 => 1,
                _ => 0,
            };
            let status = if a.invalid.is_some() {
                "Invalid".to_string()
            } else {
                format!("{} {}", a.sync.as_str(), a.health.as_str())
            };
            let failed = a.operation.as_ref().filter(|o| {
                matches!(
                    o.phase,
                    crate::model::OperationPhase::Failed | crate::model::OperationPhase::Error
                )
            });
            let detail = match (&a.invalid, failed) {
                (Some(why), _) => why.clone(),
                (None, Some(o)) => o.message.clone(),
                (None, None) if a.sync == SyncStatus::OutOfSync && a.health_message.is_empty() => {
                    format!("at {}", short_rev(&a.revision))
                }
                (None, None) => a.health_message.clone(),
            };
            out.push(row(
                RowKind::App,
                &a.namespace,
                &a.name,
                status,
                detail,
                rank,
                Reveal::App {
                    namespace: a.namespace.clone(),
                    name: a.name.clone(),
                },
            ));
        }
        out
    }

    /// Whether the all-clusters view is open (the loop then hands it every cluster's rows).
    pub fn fleet_view_open(&self) -> bool {
        matches!(self.ui.overlay, Some(Overlay::Fleet { .. }))
    }

    /// The all-clusters view's rows, ordered (the loop's, every cluster's); the selection
    /// stays on its row. Returns whether the screen changed.
    pub fn set_fleet_rows(&mut self, mut rows: Vec<FleetRow>) -> bool {
        order_rows(&mut rows);
        if rows == self.fleet_rows {
            return false;
        }
        if let Some(Overlay::Fleet { selected }) = &mut self.ui.overlay {
            let key = self.fleet_rows.get(*selected).map(FleetRow::key);
            *selected = key
                .and_then(|k| rows.iter().position(|r| r.key() == k))
                .unwrap_or(*selected)
                .min(rows.len().saturating_sub(1));
        }
        self.fleet_rows = rows;
        true
    }

    /// Whether the timeline is open on every cluster's entries (the loop then hands them).
    pub fn fleet_timeline_open(&self) -> bool {
        self.ui.timeline_all && matches!(self.ui.overlay, Some(Overlay::Timeline { .. }))
    }

    /// How many entries the timeline lists: this cluster's, or every cluster's.
    pub fn timeline_len(&self) -> usize {
        if self.ui.timeline_all {
            self.fleet_timeline.len()
        } else {
            self.timeline.len()
        }
    }

    /// Every cluster's timeline entries, put in time order; the selection stays on its entry,
    /// or on the newest when it was there. Returns whether the screen changed.
    pub fn set_fleet_timeline(&mut self, mut entries: Vec<(String, crate::state::Change)>) -> bool {
        entries.sort_by_key(|(_, c)| c.at);
        if entries == self.fleet_timeline {
            return false;
        }
        if let Some(Overlay::Timeline { selected }) = &mut self.ui.overlay {
            let newest = *selected + 1 >= self.fleet_timeline.len();
            let was = self.fleet_timeline.get(*selected).cloned();
            *selected = match was {
                Some(w) if !newest => entries.iter().position(|e| *e == w).unwrap_or(*selected),
                _ => entries.len().saturating_sub(1),
            }
            .min(entries.len().saturating_sub(1));
        }
        self.fleet_timeline = entries;
        true
    }

    /// `F` in the timeline: every cluster's entries, or this cluster's again.
    pub(super) fn toggle_timeline_all(&mut self) {
        self.ui.timeline_all = !self.ui.timeline_all;
        self.fleet_timeline.clear();
        let last = self.timeline_len().saturating_sub(1);
        if let Some(Overlay::Timeline { selected }) = &mut self.ui.overlay {
            *selected = last;
        }
    }

    /// Opens the all-clusters view on its first row (the worst, once the loop hands it the
    /// rows), or closes it.
    pub(super) fn toggle_fleet_view(&mut self) {
        if self.fleet_view_open() {
            self.ui.overlay = None;
        } else {
            self.fleet_rows.clear();
            self.ui.overlay = Some(Overlay::Fleet { selected: 0 });
        }
    }

    /// The all-clusters view takes motion and Enter (which shows the row in its cluster).
    pub(super) fn on_fleet_view(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        let Some(Overlay::Fleet { selected }) = &mut self.ui.overlay else {
            return None;
        };
        let last = self.fleet_rows.len().saturating_sub(1);
        let page = self.ui.layout.body.height.saturating_sub(3).max(1) as isize;
        let step = |d: isize, s: &mut usize| *s = s.saturating_add_signed(d).min(last);
        match intent {
            Intent::Up => step(-1, selected),
            Intent::Down => step(1, selected),
            Intent::PageUp => step(-page, selected),
            Intent::PageDown => step(page, selected),
            Intent::Top => *selected = 0,
            Intent::Bottom => *selected = last,
            Intent::Open => {
                let Some(row) = self.fleet_rows.get(*selected) else {
                    return Some(Vec::new());
                };
                let cmd = Command::FocusCluster {
                    name: row.cluster.clone(),
                    reveal: Some(row.reveal.clone()),
                };
                self.ui.overlay = None;
                return Some(vec![cmd]);
            }
            Intent::Back | Intent::AllClusters => self.ui.overlay = None,
            _ => return None,
        }
        Some(Vec::new())
    }

    /// Shows what a row of the all-clusters view was about, in this (now focused) cluster.
    pub fn reveal(&mut self, what: &Reveal) {
        self.ui.overlay = None;
        match what {
            Reveal::Rollout { namespace, name } => {
                self.ui.screen = Screen::Cockpit {
                    namespace: namespace.clone(),
                    name: name.clone(),
                };
            }
            Reveal::App { namespace, name } => {
                self.ui.screen = Screen::Main;
                self.ui.overlay = Some(Overlay::AppDetail {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    scroll: 0,
                });
            }
            Reveal::Subject(name) => self.jump_to(name),
            Reveal::Alert { fingerprint } => {
                self.ui.screen = Screen::Main;
                self.focus(Pane::Alerts);
                if !self.select_alert(fingerprint) {
                    self.flash(FlashKind::Info, "that alert is no longer listed");
                }
            }
        }
    }
}

fn short_rev(rev: &str) -> &str {
    rev.get(..7).unwrap_or(rev)
}

impl State {
    /// Selects an alert in the alerts pane by its fingerprint, if it is listed there.
    fn select_alert(&mut self, fingerprint: &str) -> bool {
        let Some(i) = self
            .alerts
            .iter()
            .position(|a| a.fingerprint == fingerprint)
        else {
            return false;
        };
        let shown = self.indices(Pane::Alerts);
        let Some(pos) = (0..shown.len()).position(|k| shown.get(k) == Some(i)) else {
            return false;
        };
        self.ui.lists[Pane::Alerts].selected = pos;
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;
    use crate::state::{Health, SourceId, Update};

    #[test]
    fn a_cell_says_what_is_wrong_and_the_strip_takes_a_row_only_for_two_clusters() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.set_size(120, 40);
        let rows = s.ui.layout.body.height;
        let mine = s.fleet_cell(true);
        assert!(mine.problems.worse > 0, "{mine:?}");
        assert_eq!(mine.rank(), 3);
        assert!(!s.set_fleet(vec![]), "nothing changed");
        assert!(s.set_fleet(vec![mine.clone()]));
        assert_eq!(s.ui.layout.body.height, rows, "one cluster: no strip");
        let mut other = mine.clone();
        other.name = "stage".into();
        other.focused = false;
        assert!(s.set_fleet(vec![mine.clone(), other]));
        assert_eq!(s.ui.layout.body.height, rows - 1);
        assert_eq!(s.ui.layout.strip.height, 1);
        // A source down counts even without problems.
        s.apply(Update::SourceHealth {
            source: SourceId::Alerts,
            health: Health::Error("403 Forbidden".into()),
        });
        let cell = s.fleet_cell(true);
        assert_eq!(
            (cell.sources_down, cell.down_reason.as_str()),
            (1, "403 Forbidden")
        );
    }

    fn alert(name: &str, severity: crate::model::Severity, fp: &str) -> crate::model::Alert {
        crate::model::Alert {
            name: name.into(),
            severity,
            state: crate::model::AlertState::Firing,
            summary: format!("{name} is firing"),
            labels: [("namespace".to_string(), "store".to_string())].into(),
            starts_at: start(),
            fingerprint: fp.into(),
            description: String::new(),
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            silences: Vec::new(),
        }
    }

    #[test]
    fn the_all_clusters_view_puts_problems_first_keeps_its_selection_and_enter_shows_the_row() {
        use crate::model::Severity;
        use crate::state::{Command, Overlay, Reveal, RowKind, Screen};
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.apply(Update::Alerts(vec![
            alert("StoreLatencyHigh", Severity::Warning, "fp-warn"),
            alert("StoreErrors", Severity::Critical, "fp-crit"),
        ]));
        let mut stage = s.fleet_rows(1);
        for r in &mut stage {
            r.cluster = "stage".into();
        }
        let mut rows = s.fleet_rows(0);
        rows.extend(stage);
        assert!(!s.fleet_view_open());
        s.handle(Intent::AllClusters);
        assert!(s.fleet_view_open());
        assert!(s.set_fleet_rows(rows.clone()));
        assert!(
            !s.set_fleet_rows(rows.clone()),
            "the same rows: nothing to draw"
        );
        let got = s.fleet_rows.clone();
        // Worst first; within a rank the strip's order of clusters, then alerts, rollouts, apps.
        assert!(got.windows(2).all(|w| w[0].rank >= w[1].rank), "{got:#?}");
        let (first, second) = (got[0].clone(), &got[1]);
        assert_eq!((first.cluster_pos, first.kind), (0, RowKind::Alert));
        assert_eq!(first.name, "StoreErrors");
        assert_eq!(
            second.kind,
            RowKind::Rollout,
            "the bad canary, after its cluster's alert"
        );
        assert!(second.detail.starts_with("canary worse"), "{second:?}");
        let stage_at = got.iter().position(|r| r.cluster == "stage").unwrap_or(0);
        assert!(
            got[stage_at].rank == 3 && stage_at > 1,
            "stage's problems follow the first's"
        );
        assert!(got.last().is_some_and(|r| r.rank == 0));
        // The selection stays on its row when the rows come again in another order.
        s.handle(Intent::Down);
        s.handle(Intent::Down);
        let Some(Overlay::Fleet { selected }) = s.ui.overlay else {
            panic!("open")
        };
        let picked = s.fleet_rows[selected].clone();
        let mut again = rows.clone();
        again.retain(|r| !(r.cluster_pos == 0 && r.name == "StoreErrors"));
        again.reverse();
        assert!(s.set_fleet_rows(again));
        let Some(Overlay::Fleet { selected }) = s.ui.overlay else {
            panic!("open")
        };
        assert_eq!(s.fleet_rows[selected], picked);
        // Enter: the loop is to focus its cluster and show it there.
        let cmds = s.handle(Intent::Open);
        assert_eq!(
            cmds,
            [Command::FocusCluster {
                name: picked.cluster.clone(),
                reveal: Some(picked.reveal.clone()),
            }]
        );
        assert!(!s.fleet_view_open());
        // What each kind of row shows.
        s.reveal(&Reveal::Rollout {
            namespace: first.namespace.clone(),
            name: "store".into(),
        });
        assert!(matches!(&s.ui.screen, Screen::Cockpit { name, .. } if name == "store"));
        s.reveal(&Reveal::Alert {
            fingerprint: "fp-crit".into(),
        });
        assert_eq!(s.ui.screen, Screen::Main);
        assert_eq!(s.ui.focus, Pane::Alerts);
        assert_eq!(
            s.selected_alert().map(|a| a.fingerprint.as_str()),
            Some("fp-crit")
        );
        let app = s.apps[0].clone();
        s.reveal(&Reveal::App {
            namespace: app.namespace.clone(),
            name: app.name.clone(),
        });
        assert!(
            matches!(&s.ui.overlay, Some(Overlay::AppDetail { name, .. }) if *name == app.name)
        );
        // `F` again (or Esc) closes it.
        s.handle(Intent::AllClusters);
        s.handle(Intent::AllClusters);
        assert!(!s.fleet_view_open());
    }

    #[test]
    fn the_timeline_shows_every_clusters_entries_with_f_and_enter_goes_to_the_entrys_cluster() {
        use crate::state::{Change, ChangeKind, Command, Overlay, Reveal};
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        let at = start();
        s.timeline
            .record(at, ChangeKind::Sync, "store", "synced to 8822e4c".into());
        let here = s.context.name.clone();
        let mine: Vec<(String, Change)> = s
            .timeline
            .iter()
            .map(|c| (here.clone(), c.clone()))
            .collect();
        s.handle(Intent::Timeline);
        s.handle(Intent::AllClusters);
        assert!(s.fleet_timeline_open() && s.fleet_timeline.is_empty());
        let theirs = Change {
            at: at + chrono::Duration::minutes(2),
            kind: ChangeKind::AlertFiring,
            subject: "blog-service".into(),
            text: "BlogErrors (critical)".into(),
        };
        let mut all = vec![("solid-titanium".to_string(), theirs.clone())];
        all.extend(mine.clone());
        assert!(s.set_fleet_timeline(all.clone()));
        assert_eq!(s.timeline_len(), mine.len() + 1);
        // In time order: the newest (the other cluster's alert) last, and selected.
        assert_eq!(
            s.fleet_timeline.last(),
            Some(&("solid-titanium".to_string(), theirs))
        );
        assert!(
            matches!(s.ui.overlay, Some(Overlay::Timeline { selected }) if selected == mine.len())
        );
        // The same entries again: nothing to draw.
        assert!(!s.set_fleet_timeline(all));
        let cmds = s.handle(Intent::Open);
        assert_eq!(
            cmds,
            [Command::FocusCluster {
                name: "solid-titanium".into(),
                reveal: Some(Reveal::Subject("blog-service".into())),
            }]
        );
        // `F` again: this cluster's own entries.
        s.handle(Intent::Timeline);
        s.handle(Intent::AllClusters);
        assert!(!s.ui.timeline_all);
        assert_eq!(s.timeline_len(), mine.len());
    }
}
