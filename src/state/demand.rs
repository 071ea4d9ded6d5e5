//! What the screen needs from the polling sources right now: which panes are visible, their
//! windows, the chart's width and the canaries to split by. State computes it after every change
//! ([`super::State::demand`]); the loop publishes it on a `watch` channel, so a hidden
//! pane costs no queries and a changed window is fetched at once.

/// A rollout whose pods are told apart by `rollouts_pod_template_hash`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracked {
    pub namespace: String,
    pub name: String,
    pub stable_hash: String,
    pub canary_hash: String,
    /// Host-level traffic routing: the Services of canary and stable (empty without).
    pub canary_service: String,
    pub stable_service: String,
    /// The `version` label of each track's pods, when the rollout sets one.
    pub canary_version: String,
    pub stable_version: String,
    /// Subset-level Istio routing (canary and stable pods behind one Service, told apart by
    /// their pod-template hash).
    pub subsets: bool,
}

impl Tracked {
    /// A canary runs while its pods differ from the stable ones.
    pub fn canary_running(&self) -> bool {
        !self.canary_hash.is_empty()
            && !self.stable_hash.is_empty()
            && self.canary_hash != self.stable_hash
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Demand {
    /// The CPU chart (pane or cockpit) is on screen.
    pub cpu: bool,
    /// The routes (pane or cockpit) are on screen.
    pub routes: bool,
    /// The error logs (pane or cockpit) are on screen: polled log stores stop while not.
    pub logs: bool,
    pub cpu_window_secs: u32,
    pub route_window_secs: u32,
    /// Points across the chart (two per cell: braille).
    pub cpu_points: u32,
    /// Namespaces in scope; empty means all.
    pub namespaces: Vec<String>,
    /// Shared with State, which rebuilds it only when rollouts change (not on every frame).
    pub rollouts: std::sync::Arc<Vec<Tracked>>,
    /// What the logs are narrowed to (none: the configured query as it is).
    pub log_scope: Option<crate::query::LogScope>,
    /// The cockpit's analysis queries to run again now (empty unless it is open on one).
    pub replay: Vec<crate::model::replay::ReplayQuery>,
    /// The pods and events to watch: the rollout on screen's (none: no pods are read).
    pub pods: Option<super::PodScope>,
    /// The container log to read (none: none is on screen).
    pub pod_log: Option<crate::model::PodLogTarget>,
    /// That log is read through the log store in use (its current run, once a store answered);
    /// false: from the API server (a previous run, no store, the demo).
    pub pod_log_store: bool,
    /// The application (namespace, name) whose resource tree to read: its details are open.
    pub app_tree: Option<(String, String)>,
    /// The diff to read from the Argo CD API server: its view is open.
    pub app_diff: Option<crate::model::DiffAsk>,
    /// The object whose YAML to read: its view is open.
    pub object: Option<crate::model::ObjectRef>,
    /// The trace to read (its id, 32 hex digits): its view is open.
    pub trace: Option<String>,
    /// The service whose worst recent traces to find: its rollout's cockpit is open.
    pub trace_search: Option<crate::model::trace::TraceSearch>,
}

impl Demand {
    /// The query step for the CPU chart: one point per braille dot column, never under 5 s.
    pub fn cpu_step(&self) -> u32 {
        (self.cpu_window_secs / self.cpu_points.max(1)).max(5)
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn the_demand_follows_rollouts_and_is_shared_between_frames() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        let d1 = s.demand();
        let names: Vec<&str> = d1.rollouts.iter().map(|t| t.name.as_str()).collect();
        let want: Vec<&str> = s.rollouts.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, want);
        let store = d1
            .rollouts
            .iter()
            .find(|t| t.name == "store")
            .cloned()
            .unwrap_or_default();
        assert!(store.canary_running(), "{store:?}");
        // A frame without rollout changes shares the list instead of rebuilding it.
        s.apply(Update::Clock(start()));
        assert!(std::sync::Arc::ptr_eq(&d1.rollouts, &s.demand().rollouts));
        s.apply(Update::RolloutDeleted {
            namespace: "dev".into(),
            name: "store".into(),
        });
        assert!(s.demand().rollouts.iter().all(|t| t.name != "store"));
    }
}
