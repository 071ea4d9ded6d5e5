//! Below the rollout on screen: its pods and the Kubernetes events about it. They are read
//! only for the rollout the cockpit or the pods view shows (its label selector), so a large
//! cluster's pods are never pulled into memory; what was shown stays when a read fails.

use super::{Overlay, Screen, State};
use crate::model::{EVENTS_KEPT, KubeEvent, Pod, PodRole, PodScope, Rollout};

/// How a read stands: not answered yet, answered, or failed (with the reason).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Fetch {
    #[default]
    Waiting,
    Listed,
    Failed(String),
    /// The cluster does not serve it at all (cert-manager not installed): said, muted, and
    /// not a problem.
    Absent(String),
}

pub use crate::model::Unread;

impl From<Unread> for Fetch {
    fn from(u: Unread) -> Fetch {
        match u {
            Unread::Failed(e) => Fetch::Failed(e),
            Unread::Absent(e) => Fetch::Absent(e),
        }
    }
}

/// The pods and events State holds for one scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Below {
    pub scope: PodScope,
    /// Canary first, then stable, then older revisions; troubled pods first within each.
    pub pods: Vec<(PodRole, Pod)>,
    /// Newest first, at most [`EVENTS_KEPT`].
    pub events: Vec<KubeEvent>,
    pub pods_fetch: Fetch,
    pub events_fetch: Fetch,
}

/// The cockpit's one line about the pods: each role's ready count, the troubled ones, the
/// restarts, and the newest Warning.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodsSummary<'a> {
    /// (role, ready, total, restarts) for each role with pods.
    pub roles: Vec<(PodRole, u32, u32, u32)>,
    /// The first troubled pods with their status (CrashLoopBackOff, OOMKilled …).
    pub troubled: Vec<&'a (PodRole, Pod)>,
    pub troubled_count: usize,
    pub newest_warning: Option<&'a KubeEvent>,
}

fn order(r: &Rollout, pods: Vec<Pod>) -> Vec<(PodRole, Pod)> {
    let mut out: Vec<(PodRole, Pod)> = pods
        .into_iter()
        .map(|p| (PodRole::of(&p.hash, &r.canary_hash, &r.stable_hash), p))
        .collect();
    out.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb)
            .then(b.troubled().cmp(&a.troubled()))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

impl State {
    /// The rollout whose pods are on screen: the cockpit's, or the pods view's.
    pub fn pods_rollout(&self) -> Option<&Rollout> {
        let (ns, name) = match (&self.ui.overlay, &self.ui.screen) {
            (
                Some(Overlay::Pods {
                    namespace, name, ..
                }),
                _,
            ) => (namespace, name),
            (None, Screen::Cockpit { namespace, name }) => (namespace, name),
            // An application's details show its rollout's Warning events.
            (
                Some(Overlay::AppDetail {
                    namespace, name, ..
                }),
                _,
            ) => {
                return self.app_rollout(namespace, name);
            }
            _ => return None,
        };
        self.rollout(ns, name)
    }

    /// The rollout an application deploys: its name, in the app's destination namespace.
    pub fn app_rollout(&self, namespace: &str, name: &str) -> Option<&Rollout> {
        let dest = self
            .apps
            .iter()
            .find(|a| a.namespace == namespace && a.name == name)
            .map(|a| a.destination_namespace.as_str());
        self.rollouts
            .iter()
            .find(|r| r.name == name && dest.is_none_or(|d| d.is_empty() || r.namespace == d))
    }

    /// What the pods and events sources are asked for now.
    pub fn pod_scope(&self) -> Option<PodScope> {
        let r = self.pods_rollout()?;
        (!r.selector.is_empty()).then(|| PodScope {
            namespace: r.namespace.clone(),
            rollout: r.name.clone(),
            selector: r.selector.clone(),
            normal: self.ui.normal_events,
        })
    }

    /// What State holds for the rollout `r`, if it is what is held.
    pub fn below(&self, r: &Rollout) -> Option<&Below> {
        self.below
            .as_ref()
            .filter(|b| b.scope.namespace == r.namespace && b.scope.rollout == r.name)
    }

    /// A new answer for `scope`'s pods; answers for a scope no longer wanted are dropped.
    pub(super) fn apply_pods(&mut self, scope: PodScope, pods: Result<Vec<Pod>, String>) -> bool {
        let Some(want) = self.pod_scope().filter(|w| w.same_pods(&scope)) else {
            return false;
        };
        let Some(r) = self.pods_rollout().cloned() else {
            return false;
        };
        let b = self.below_for(want);
        let before = (b.pods.len(), b.pods_fetch.clone());
        match pods {
            Ok(p) => {
                let p = order(&r, p);
                let changed = p != b.pods || b.pods_fetch != Fetch::Listed;
                b.pods = p;
                b.pods_fetch = Fetch::Listed;
                return changed;
            }
            // What was shown stays; the view says why it may be old.
            Err(e) => b.pods_fetch = Fetch::Failed(e),
        }
        (b.pods.len(), b.pods_fetch.clone()) != before
    }

    pub(super) fn apply_events(
        &mut self,
        scope: PodScope,
        events: Result<Vec<KubeEvent>, String>,
    ) -> bool {
        let Some(want) = self.pod_scope().filter(|w| *w == scope) else {
            return false;
        };
        let before = self.below_for(want.clone()).events_fetch.clone();
        match events {
            Ok(mut e) => {
                e.sort_by(|a, b| b.last.cmp(&a.last).then_with(|| a.id.cmp(&b.id)));
                e.truncate(EVENTS_KEPT);
                // Warnings enter the timeline once each (again when they recur), the last
                // half hour's on a first read.
                let since = self.now - chrono::Duration::minutes(super::LOOKBACK_MINUTES);
                for ev in e.iter().filter(|ev| ev.warning) {
                    if ev.last.is_some_and(|t| t >= since) {
                        self.timeline.note_event(&scope.rollout, ev);
                    }
                }
                let b = self.below_for(want);
                let changed = e != b.events || b.events_fetch != Fetch::Listed;
                b.events = e;
                b.events_fetch = Fetch::Listed;
                changed
            }
            Err(e) => {
                let b = self.below_for(want);
                b.events_fetch = Fetch::Failed(e);
                b.events_fetch != before
            }
        }
    }

    /// The held pods and events for `want`: kept if they are its rollout's, else started anew
    /// (events too when their filter changed: Warnings only must not show Normal ones).
    fn below_for(&mut self, want: PodScope) -> &mut Below {
        let keep = self
            .below
            .as_ref()
            .is_some_and(|b| b.scope.same_pods(&want));
        let b = self.below.get_or_insert_with(Below::default);
        if !keep {
            *b = Below::default();
        } else if b.scope.normal != want.normal {
            b.events.clear();
            b.events_fetch = Fetch::Waiting;
        }
        b.scope = want;
        b
    }

    /// Pods and events are re-ranked when the rollout's hashes change (a promotion makes the
    /// canary's pods stable).
    pub(super) fn rerank_pods(&mut self) {
        let Some(r) = self.pods_rollout().cloned() else {
            return;
        };
        if let Some(b) = self.below.as_mut().filter(|b| b.scope.rollout == r.name) {
            let pods = std::mem::take(&mut b.pods).into_iter().map(|(_, p)| p);
            b.pods = order(&r, pods.collect());
        }
    }
}

impl Below {
    pub fn summary(&self) -> PodsSummary<'_> {
        let mut s = PodsSummary::default();
        for rp @ (role, p) in &self.pods {
            match s.roles.last_mut() {
                Some((r, ready, total, restarts)) if r == role => {
                    *ready += u32::from(p.ready == p.containers && p.containers > 0);
                    *total = total.saturating_add(1);
                    *restarts = restarts.saturating_add(p.restarts);
                }
                _ => s.roles.push((
                    *role,
                    u32::from(p.ready == p.containers && p.containers > 0),
                    1,
                    p.restarts,
                )),
            }
            if p.troubled() {
                s.troubled_count += 1;
                if s.troubled.len() < 2 {
                    s.troubled.push(rp);
                }
            }
        }
        s.newest_warning = self.events.iter().find(|e| e.warning);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::*;
    use crate::state::{Screen, Update};

    fn pod(name: &str, hash: &str, ready: u32, reason: Option<&str>) -> Pod {
        Pod {
            name: name.into(),
            hash: hash.into(),
            phase: "Running".into(),
            ready,
            containers: 1,
            reason: reason.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn pods_are_held_for_the_rollout_on_screen_only_and_kept_when_a_read_fails() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        let r = s.rollout("dev", "store").cloned().expect("store");
        assert!(!r.selector.is_empty(), "the demo's rollouts have selectors");
        assert_eq!(s.pod_scope(), None, "nothing on screen asks for pods");
        let scope = PodScope {
            namespace: "dev".into(),
            rollout: "store".into(),
            selector: r.selector.clone(),
            normal: false,
        };
        let pods = vec![
            pod("store-s-1", &r.stable_hash, 1, None),
            pod("store-c-2", &r.canary_hash, 1, None),
            pod("store-c-1", &r.canary_hash, 0, Some("CrashLoopBackOff")),
            pod("store-o-1", "old", 1, None),
        ];
        assert!(!s.apply(Update::Pods {
            scope: scope.clone(),
            pods: Ok(pods.clone())
        }));
        s.ui.screen = Screen::Cockpit {
            namespace: "dev".into(),
            name: "store".into(),
        };
        assert_eq!(s.pod_scope(), Some(scope.clone()));
        assert!(s.apply(Update::Pods {
            scope: scope.clone(),
            pods: Ok(pods)
        }));
        let b = s.below(&r).expect("held");
        let names: Vec<&str> = b.pods.iter().map(|(_, p)| p.name.as_str()).collect();
        assert_eq!(names, ["store-c-1", "store-c-2", "store-s-1", "store-o-1"]);
        let sum = b.summary();
        assert_eq!(
            sum.roles,
            [
                (PodRole::Canary, 1, 2, 0),
                (PodRole::Stable, 1, 1, 0),
                (PodRole::Other, 1, 1, 0)
            ]
        );
        assert_eq!(sum.troubled_count, 1);
        assert!(s.apply(Update::Pods {
            scope: scope.clone(),
            pods: Err("pods is forbidden".into())
        }));
        let b = s.below(&r).expect("held");
        assert_eq!(b.pods.len(), 4, "what was shown stays");
        assert_eq!(b.pods_fetch, Fetch::Failed("pods is forbidden".into()));
        // Another rollout's answer, or an old one, is not taken.
        let other = PodScope {
            rollout: "user".into(),
            ..scope.clone()
        };
        assert!(!s.apply(Update::Pods {
            scope: other,
            pods: Ok(Vec::new())
        }));
    }

    #[test]
    fn events_are_newest_first_and_follow_their_filter() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.ui.screen = Screen::Cockpit {
            namespace: "dev".into(),
            name: "store".into(),
        };
        let scope = s.pod_scope().expect("scope");
        let t = s.now;
        let ev = |id: &str, secs: i64, warning: bool| KubeEvent {
            id: id.into(),
            warning,
            last: Some(t - chrono::Duration::seconds(secs)),
            ..Default::default()
        };
        assert!(s.apply(Update::Events {
            scope: scope.clone(),
            events: Ok(vec![
                ev("a", 300, true),
                ev("b", 10, true),
                ev("c", 60, true)
            ]),
        }));
        let r = s.rollout("dev", "store").cloned().expect("store");
        let ids: Vec<&str> = s
            .below(&r)
            .expect("held")
            .events
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids, ["b", "c", "a"]);
        // Normal events asked for: Warnings-only answers no longer count, and what was held
        // (Warnings only) is not shown as if it were everything.
        s.ui.normal_events = true;
        assert!(!s.apply(Update::Events {
            scope: scope.clone(),
            events: Ok(vec![ev("z", 1, true)]),
        }));
        let wide = s.pod_scope().expect("scope");
        assert!(s.apply(Update::Events {
            scope: wide,
            events: Ok(vec![ev("n", 5, false)]),
        }));
        let b = s.below(&r).expect("held");
        assert_eq!(b.events.len(), 1);
        assert!(!b.events[0].warning);
    }

    #[test]
    fn d_on_a_route_opens_its_services_rollout_and_app_details_watch_its_events() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.handle(Intent::Focus(crate::layout::Pane::Routes));
        s.handle(Intent::Top);
        for _ in 0..s.routes.len() {
            let svc = s
                .selected_index(crate::layout::Pane::Routes)
                .and_then(|i| s.routes.get(i))
                .map(|r| r.service.clone());
            if svc.as_deref() == Some("store") {
                break;
            }
            s.handle(Intent::Down);
        }
        s.handle(Intent::Pods);
        assert!(
            matches!(&s.ui.overlay, Some(Overlay::Pods { name, .. }) if name == "store"),
            "{:?}",
            s.ui.overlay
        );
        // An application's details ask for its rollout's pods and events too.
        s.ui.overlay = Some(Overlay::AppDetail {
            namespace: "argocd".into(),
            name: "store".into(),
            scroll: 0,
        });
        assert_eq!(
            s.demand().pods.map(|p| p.rollout),
            Some("store".to_string())
        );
    }
}
