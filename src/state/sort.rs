//! Each list's order. Problems first by default — Apps Degraded / Missing / failed / OutOfSync
//! before healthy ones, Rollouts aborted / Degraded / worse canary / paused before the rest,
//! Routes by worst success rate and the canary's gap to stable, Alerts firing by severity — and
//! a key (`sort`) cycles the focused list through its other orders. The selected object stays
//! selected when the order changes under it, so a key press never lands on another row.

use super::State;
use crate::layout::Pane;
use crate::model::*;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum SortKey {
    #[default]
    Problems,
    /// Apps: sync wave (the order Argo CD applies them), then name.
    Wave,
    Name,
    /// Routes: busiest first.
    Rps,
    /// Alerts: the most recent to start first.
    Newest,
}

impl SortKey {
    /// The orders a pane offers, its default first; none for the logs (time) and the CPU chart.
    pub fn choices(p: Pane) -> &'static [SortKey] {
        use SortKey::*;
        match p {
            Pane::Apps => &[Problems, Wave, Name],
            Pane::Rollouts => &[Problems, Name],
            Pane::Routes => &[Problems, Rps, Name],
            Pane::Alerts => &[Problems, Newest, Name],
            Pane::Cpu | Pane::Logs => &[],
        }
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The order in words, as the flash and the help say it.
    pub fn about(self, p: Pane) -> &'static str {
        match (self, p) {
            (SortKey::Problems, Pane::Routes) => "worst success rate first",
            (SortKey::Problems, Pane::Alerts) => "firing first, by severity",
            (SortKey::Problems, _) => "problems first",
            (SortKey::Wave, _) => "by sync wave",
            (SortKey::Name, _) => "by name",
            (SortKey::Rps, _) => "busiest first",
            (SortKey::Newest, _) => "newest first",
        }
    }

    /// The table columns the order is on (the first shown is marked in the header row).
    pub fn columns(self, p: Pane) -> &'static [&'static str] {
        match (self, p) {
            (SortKey::Name, Pane::Apps) => &["APP"],
            (SortKey::Name, Pane::Rollouts) => &["ROLLOUT"],
            (SortKey::Name, Pane::Routes) => &["SERVICE"],
            (SortKey::Name, Pane::Alerts) => &["ALERT"],
            (SortKey::Problems, Pane::Apps) => &["HEALTH"],
            (SortKey::Problems, Pane::Rollouts) => &["STATUS"],
            (SortKey::Problems, Pane::Routes) => &["SUCC"],
            (SortKey::Problems, Pane::Alerts) => &["SEVERITY"],
            (SortKey::Wave, _) => &["WAVE", "APP"],
            (SortKey::Rps, _) => &["RPS"],
            (SortKey::Newest, _) => &["FOR"],
            _ => &[],
        }
    }
}

/// `--sort PANE=KEY` (`apps=wave`, `routes=rps`), checked against what the pane offers.
pub fn parse_sort(s: &str) -> Result<(Pane, SortKey), String> {
    let (pane, key) = s
        .split_once('=')
        .ok_or_else(|| format!("\"{s}\" is not PANE=ORDER (for example apps=wave)"))?;
    let sortable: Vec<Pane> = Pane::ALL
        .into_iter()
        .filter(|p| !SortKey::choices(*p).is_empty())
        .collect();
    let words: Vec<&str> = sortable.iter().map(|p| p.word()).collect();
    let p = sortable
        .iter()
        .copied()
        .find(|p| p.word() == pane.trim())
        .ok_or_else(|| format!("no sortable pane \"{pane}\" (panes: {})", words.join(", ")))?;
    let choices = SortKey::choices(p);
    let names: Vec<&str> = choices.iter().map(|k| k.name()).collect();
    key.trim()
        .parse::<SortKey>()
        .ok()
        .filter(|k| choices.contains(k))
        .map(|k| (p, k))
        .ok_or_else(|| {
            format!(
                "{} cannot be sorted by \"{key}\" (orders: {})",
                p.word(),
                names.join(", ")
            )
        })
}

/// How bad an application looks: the lower, the earlier it is listed.
pub fn app_rank(a: &ArgoApp) -> u8 {
    let failed = a
        .operation
        .as_ref()
        .is_some_and(|o| matches!(o.phase, OperationPhase::Failed | OperationPhase::Error));
    match (a.health, a.sync) {
        _ if a.invalid.is_some() => 0,
        (HealthStatus::Degraded, _) => 0,
        _ if failed => 0,
        (HealthStatus::Missing, _) => 1,
        (_, SyncStatus::OutOfSync) => 2,
        (HealthStatus::Healthy, SyncStatus::Synced) => 4,
        _ => 3,
    }
}

/// How bad a rollout looks, given whether its canary is judged worse than stable.
pub fn rollout_rank(r: &Rollout, worse: bool) -> u8 {
    if r.aborted || r.invalid.is_some() {
        0
    } else if r.phase == RolloutPhase::Degraded {
        1
    } else if worse {
        2
    } else if r.phase == RolloutPhase::Paused || r.pause.is_some() {
        3
    } else if r.phase == RolloutPhase::Progressing {
        4
    } else {
        5
    }
}

/// A route's worst success (its own or its canary's), `None` without requests, and the
/// canary's gap below stable.
fn route_badness(r: &RouteStats) -> (Option<f64>, f64) {
    let canary = r.canary.as_ref().and_then(|c| c.effective_success);
    let stable = r.stable.as_ref().and_then(|c| c.effective_success);
    let worst = match (r.overall.effective_success, canary) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let gap = match (canary, stable) {
        (Some(c), Some(s)) => s - c,
        _ => 0.0,
    };
    (worst, gap)
}

fn routes_order(key: SortKey, a: &RouteStats, b: &RouteStats) -> Ordering {
    let by_name =
        || (&a.service, &a.route, &a.namespace).cmp(&(&b.service, &b.route, &b.namespace));
    match key {
        SortKey::Problems => {
            let (wa, ga) = route_badness(a);
            let (wb, gb) = route_badness(b);
            // No requests: last. Then the lowest success, then the widest gap.
            let wa = wa.unwrap_or(f64::INFINITY);
            let wb = wb.unwrap_or(f64::INFINITY);
            wa.total_cmp(&wb).then(gb.total_cmp(&ga)).then_with(by_name)
        }
        SortKey::Rps => b.overall.rps.total_cmp(&a.overall.rps).then_with(by_name),
        _ => by_name(),
    }
}

/// Where an alert goes: firing first by severity (problems), newest first, or by name; then
/// by name and subject.
fn alerts_key(
    key: SortKey,
    a: &Alert,
) -> (bool, Option<Severity>, std::cmp::Reverse<i64>, &str, &str) {
    let (firing, severity, newest) = match key {
        SortKey::Newest => (false, None, a.starts_at.timestamp_millis()),
        SortKey::Name => (false, None, 0),
        _ => (a.state != AlertState::Firing, Some(a.severity), 0),
    };
    (
        firing,
        severity,
        std::cmp::Reverse(newest),
        a.name.as_str(),
        a.subject(),
    )
}

/// The order of `list` by a key computed once for each element, not once for each comparison
/// (a rank that judges a canary, an alert's subject looked up in its labels). Stable: the
/// index breaks ties.
fn order_by<'a, T, K: Ord>(list: &'a [T], key: impl FnMut(&'a T) -> K) -> Vec<usize> {
    let mut keyed: Vec<(K, usize)> = list.iter().map(key).zip(0..).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Puts `list` in `order` (indices into it, each once).
fn permute<T>(list: &mut Vec<T>, order: Vec<usize>) {
    if order.iter().enumerate().all(|(k, i)| k == *i) {
        return;
    }
    let mut slots: Vec<Option<T>> = std::mem::take(list).into_iter().map(Some).collect();
    *list = order.into_iter().filter_map(|i| slots[i].take()).collect();
}

impl State {
    /// What the selected row of a list is, to find it again after the order changes.
    pub(super) fn selected_id(&self, pane: Pane) -> Option<String> {
        let i = self.selected_index(pane)?;
        row_id(self, pane, i)
    }

    /// Puts a list in its order and keeps `keep` (what was selected before) selected.
    pub(super) fn resort(&mut self, pane: Pane, keep: Option<String>) {
        let key = self.ui.sort[pane];
        match pane {
            Pane::Apps => {
                let order = order_by(&self.apps, |a| {
                    let rank = if key == SortKey::Problems {
                        app_rank(a)
                    } else {
                        0
                    };
                    let wave = if key == SortKey::Name { 0 } else { a.sync_wave };
                    (rank, wave, a.name.as_str(), a.namespace.as_str())
                });
                permute(&mut self.apps, order);
            }
            Pane::Rollouts => {
                let problems = key == SortKey::Problems;
                let order = order_by(&self.rollouts, |r| {
                    let rank = if problems {
                        rollout_rank(r, self.canary_worse(r).is_some())
                    } else {
                        0
                    };
                    (rank, r.name.as_str(), r.namespace.as_str())
                });
                permute(&mut self.rollouts, order);
            }
            Pane::Routes => {
                self.routes.sort_by(|a, b| routes_order(key, a, b));
                self.index_routes();
            }
            Pane::Alerts => {
                let order = order_by(&self.alerts, |a| alerts_key(key, a));
                permute(&mut self.alerts, order);
            }
            Pane::Cpu | Pane::Logs => return,
        }
        let found = keep.and_then(|id| {
            let idx = self.indices(pane);
            (0..idx.len()).find(|&k| idx.get(k).is_some_and(|i| row_is(self, pane, i, &id)))
        });
        match found {
            Some(k) => self.set_pos(pane, k),
            None => self.clamp(pane),
        }
    }

    /// The focused list's next order; says which, or that the pane keeps its own.
    pub(super) fn cycle_sort(&mut self) {
        let pane = self.ui.focus;
        let choices = SortKey::choices(pane);
        if choices.is_empty() {
            let why = match pane {
                Pane::Logs => "the logs keep time order",
                _ => "the CPU chart has no rows to sort",
            };
            self.flash(super::FlashKind::Info, why);
            return;
        }
        let at = choices
            .iter()
            .position(|k| *k == self.ui.sort[pane])
            .unwrap_or(0);
        self.ui.sort[pane] = choices[(at + 1) % choices.len()];
        let keep = self.selected_id(pane);
        self.resort(pane, keep);
        let text = format!("{}: {}", pane.title(), self.ui.sort[pane].about(pane));
        self.flash(super::FlashKind::Info, text);
    }
}

impl State {
    fn index_routes(&mut self) {
        self.route_index.clear();
        for (i, r) in self.routes.iter().enumerate() {
            self.route_index
                .entry(r.namespace.clone())
                .or_default()
                .entry(r.service.clone())
                .or_default()
                .push(i);
        }
    }

    /// A service's routes, in the list's order.
    pub fn routes_of(&self, namespace: &str, service: &str) -> Vec<&RouteStats> {
        self.route_index
            .get(namespace)
            .and_then(|by| by.get(service))
            .map(|ix| ix.iter().filter_map(|i| self.routes.get(*i)).collect())
            .unwrap_or_default()
    }
}

/// Whether row `i` is the one [`row_id`] called `id` (without making an id for every row).
fn row_is(s: &State, pane: Pane, i: usize, id: &str) -> bool {
    let two = |a: &str, b: &str| {
        id.strip_prefix(a)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|r| r == b)
    };
    match pane {
        Pane::Apps => s.apps.get(i).is_some_and(|a| two(&a.namespace, &a.name)),
        Pane::Rollouts => s
            .rollouts
            .get(i)
            .is_some_and(|r| two(&r.namespace, &r.name)),
        Pane::Alerts => s.alerts.get(i).is_some_and(|a| a.fingerprint == id),
        _ => row_id(s, pane, i).as_deref() == Some(id),
    }
}

fn row_id(s: &State, pane: Pane, i: usize) -> Option<String> {
    match pane {
        Pane::Apps => s.apps.get(i).map(|a| format!("{}/{}", a.namespace, a.name)),
        Pane::Rollouts => s
            .rollouts
            .get(i)
            .map(|r| format!("{}/{}", r.namespace, r.name)),
        Pane::Routes => s
            .routes
            .get(i)
            .map(|r| format!("{}/{}/{}", r.namespace, r.service, r.route)),
        Pane::Alerts => s.alerts.get(i).map(|a| a.fingerprint.clone()),
        Pane::Cpu | Pane::Logs => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    fn names(s: &State, pane: Pane) -> Vec<String> {
        match pane {
            Pane::Apps => s.apps.iter().map(|a| a.name.clone()).collect(),
            Pane::Rollouts => s.rollouts.iter().map(|r| r.name.clone()).collect(),
            Pane::Routes => s.routes.iter().map(|r| r.route.clone()).collect(),
            _ => s.alerts.iter().map(|a| a.name.clone()).collect(),
        }
    }

    #[test]
    fn a_failing_app_goes_first_and_the_selection_stays_on_its_object() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.handle(Intent::Focus(Pane::Apps));
        s.handle(Intent::Down);
        s.handle(Intent::Down);
        let chosen = s.selected_app().map(|a| a.name.clone());
        // The last app (in the order shown) degrades: it moves to the top.
        let mut broken = s.apps.last().cloned().unwrap_or_else(|| panic!("apps"));
        broken.health = HealthStatus::Degraded;
        let name = broken.name.clone();
        s.apply(Update::AppUpserted(broken));
        assert_eq!(s.apps.first().map(|a| a.name.clone()), Some(name.clone()));
        assert_eq!(s.selected_app().map(|a| a.name.clone()), chosen);
        // Out of sync comes after broken, before healthy.
        let mut drift = s.apps[5].clone();
        drift.sync = SyncStatus::OutOfSync;
        let drift_name = drift.name.clone();
        s.apply(Update::AppUpserted(drift));
        let order = names(&s, Pane::Apps);
        assert_eq!(order.first(), Some(&name));
        let at = |n: &str| order.iter().position(|x| x == n).unwrap_or(usize::MAX);
        let healthy_first = s
            .apps
            .iter()
            .position(|a| super::app_rank(a) == 4)
            .unwrap_or(0);
        assert!(at(&drift_name) < healthy_first, "{order:?}");
        assert_eq!(s.selected_app().map(|a| a.name.clone()), chosen);
    }

    #[test]
    fn rollouts_open_aborted_then_degraded_then_worse_then_paused() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let pick = |s: &State, n: &str| {
            s.rollouts
                .iter()
                .find(|r| r.name == n)
                .cloned()
                .unwrap_or_else(|| panic!("{n}"))
        };
        let mut a = pick(&s, "study");
        a.aborted = true;
        let mut d = pick(&s, "store");
        d.phase = RolloutPhase::Degraded;
        s.apply(Update::RolloutUpserted(Box::new(d)));
        s.apply(Update::RolloutUpserted(Box::new(a)));
        let order = names(&s, Pane::Rollouts);
        assert_eq!(order[..2], ["study", "store"], "{order:?}");
        // The paused canary (user) comes next, the healthy ones by name after it.
        assert_eq!(order[2], "user", "{order:?}");
        assert_eq!(order[3..], ["community", "gateway"], "{order:?}");
    }

    #[test]
    fn routes_worst_success_first_then_busiest_on_demand() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let mut routes = s.routes.clone();
        assert!(routes.len() >= 3);
        routes[1].overall.effective_success = Some(0.42);
        routes[2].overall.effective_success = Some(0.9);
        let (worst, next) = (routes[1].route.clone(), routes[2].route.clone());
        s.apply(Update::Routes(routes));
        assert_eq!(names(&s, Pane::Routes)[..2], [worst, next]);
        // By RPS on demand: busiest first.
        s.handle(Intent::Focus(Pane::Routes));
        s.handle(Intent::Sort);
        assert_eq!(s.ui.sort[Pane::Routes], SortKey::Rps);
        let rps: Vec<f64> = s.routes.iter().map(|r| r.overall.rps).collect();
        assert!(rps.windows(2).all(|w| w[0] >= w[1]), "{rps:?}");
        assert_eq!(
            s.flash.as_ref().map(|f| f.text.as_str()),
            Some("Routes: busiest first")
        );
    }

    #[test]
    fn the_sort_key_cycles_and_keeps_the_selected_app() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.handle(Intent::Focus(Pane::Apps));
        for _ in 0..4 {
            s.handle(Intent::Down);
        }
        let chosen = s.selected_app().map(|a| a.name.clone());
        s.handle(Intent::Sort);
        assert_eq!(s.ui.sort[Pane::Apps], SortKey::Wave);
        assert_eq!(s.selected_app().map(|a| a.name.clone()), chosen);
        s.handle(Intent::Sort);
        assert_eq!(s.ui.sort[Pane::Apps], SortKey::Name);
        let order = names(&s, Pane::Apps);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        assert_eq!(s.selected_app().map(|a| a.name.clone()), chosen);
        s.handle(Intent::Sort);
        assert_eq!(s.ui.sort[Pane::Apps], SortKey::Problems);
        // The logs keep time order and say so.
        s.handle(Intent::Focus(Pane::Logs));
        s.handle(Intent::Sort);
        assert_eq!(
            s.flash.as_ref().map(|f| f.text.as_str()),
            Some("the logs keep time order")
        );
    }

    #[test]
    fn sort_flags_name_what_a_pane_offers() {
        assert_eq!(parse_sort("apps=wave"), Ok((Pane::Apps, SortKey::Wave)));
        assert_eq!(
            parse_sort("alerts=newest"),
            Ok((Pane::Alerts, SortKey::Newest))
        );
        assert_eq!(
            parse_sort("rollouts=rps"),
            Err("rollouts cannot be sorted by \"rps\" (orders: problems, name)".into())
        );
        assert_eq!(
            parse_sort("logs=name"),
            Err("no sortable pane \"logs\" (panes: apps, rollouts, routes, alerts)".into())
        );
        assert!(parse_sort("wave").is_err());
    }
}
