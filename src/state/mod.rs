//! State: plain data plus `apply(Update)` and `handle(Intent)`. No I/O, no async, no terminal.
//!
//! Everything the screen shows is derived from here, so behaviour is tested by driving State.
//! Updates go through [`State::apply`] (`apply.rs`); intents are routed overlay → focused pane
//! → global (`handle/`); each pane's own state is in [`ui`].

mod actions;
mod app_diff;
mod app_tree;
mod apply;
mod audit;
mod below;
pub mod catalogue;
mod demand;
mod editor;
mod fleet;
pub mod gate;
mod handle;
mod intent;
mod keyed;
mod log_counts;
mod log_search;
mod object;
mod palette;
mod pending;
mod pod_log;
mod problems;
mod sort;
mod timeline;
mod trace;
mod ui;
mod update;
mod view;

pub use crate::model::PodScope;
pub use app_diff::HeldDiff;
pub use app_tree::HeldTree;
pub use audit::AuditEntry;
pub use below::{Below, Fetch, PodsSummary, Unread};
pub use catalogue::{Action, ActionInfo, Arg, KeyContext};
pub use demand::{Demand, Tracked};
pub use editor::LineEditor;
pub use fleet::{FleetCell, FleetRow, Reveal, RowKind, order_rows, problem_rows};
pub use handle::Command;
pub use intent::{Intent, TextKey};
pub use log_search::SearchHits;
pub use object::HeldObject;
pub use palette::{Suggestion, fuzzy};
pub use pending::{PendingAction, SILENCE_DURATIONS, SilenceForm, parse_silence_duration};
pub use pod_log::PodLog;
pub use problems::{FAILING_SUCCESS, Item as ProblemItem, Problems};
pub use sort::{SortKey, parse_sort};
pub use timeline::{Change, ChangeKind, LOOKBACK_MINUTES, Timeline, changes_before};
pub use trace::{HeldHits, HeldTrace, TraceView};
pub use ui::{
    AlertsView, CPU_WINDOWS, Flash, FlashKind, ListView, LogsView, Overlay, PaletteView, PaneMap,
    ROUTE_WINDOWS, Screen, Typing, Ui, Windowed,
};
pub use update::{ApiServerHealth, Health, SourceId, SourceStatus, Update};
pub use view::{Blind, CockpitView, Indices, cockpit_view, fmt_more, fmt_p};

use crate::layout;
use crate::model::*;
use crate::query::LogQuery;
use chrono::{DateTime, Utc};
use log_counts::LogCounts;
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::sync::Arc;

/// Who we are talking to, for the header and the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    pub name: String,
    pub namespace: String,
    pub argocd_namespace: String,
    /// The Argo CD API server, in words (its URL, or its Service through the API server),
    /// when there is one: diffs and rollbacks need it.
    pub argocd_server: Option<String>,
    pub demo: bool,
    pub read_only: bool,
    /// The query behind the logs pane, in its store's language (LogQL in the demo and on Loki).
    pub log_query: LogQuery,
    /// A production-like context: a red banner, and every action needs the name typed.
    pub protected: bool,
    /// The OS account opsdeck runs as, read once at start: Argo's `initiatedBy`, a silence's
    /// `createdBy` and the audit log's user.
    pub user: String,
}

/// An action on its way: shown as pending until its outcome, refused if sent again meanwhile.
#[derive(Clone, Debug, PartialEq)]
pub struct InFlight {
    pub request: ActionRequest,
    pub since: DateTime<Utc>,
}

pub struct State {
    /// The data clock (simulated time in the demo, wall time live).
    pub now: DateTime<Utc>,
    /// Wall time of the last tick, for flashes.
    pub wall: DateTime<Utc>,
    pub context: Context,
    pub apps: Vec<ArgoApp>,
    pub rollouts: Vec<Rollout>,
    pub routes: Vec<RouteStats>,
    /// Where each (namespace, service)'s routes are in `routes`, in order: the cockpit's
    /// verdict for every canary (the header's, each frame) looks them up, not through all.
    /// Each service's routes by namespace then service (looked up without building a key).
    route_index: std::collections::HashMap<String, std::collections::HashMap<String, Vec<usize>>>,
    pub mesh_notes: Vec<MeshNote>,
    /// The mesh the routes come from (`linkerd`, `istio`, `linkerd+istio`); empty until known.
    pub mesh: String,
    /// The log store the lines come from (`loki`, `opensearch 2.11.0`); empty until known.
    pub log_store: String,
    /// Istio's traffic objects in scope: the canaries' mesh weights, the timeline.
    pub virtual_services: Vec<VirtualService>,
    pub destination_rules: Vec<DestinationRule>,
    pub cpu: CpuData,
    pub logs: LogRing,
    pub alerts: Vec<Alert>,
    pub sources: [SourceStatus; 6],
    /// What `/readyz` and the answers to actions say of the API server.
    pub api_server: ApiServerHealth,
    pub ui: Ui,
    pub flash: Option<Flash>,
    /// Actions sent and not yet answered, with when they were sent (wall clock).
    pub in_flight: Vec<InFlight>,
    next_action_id: u64,
    next_log_seq: u64,
    /// The stable id of each line in the ring, in ring order.
    pub log_seqs: VecDeque<u64>,
    /// What changed and what broke, oldest first.
    pub timeline: Timeline,
    /// ERROR lines counted as they arrive: the sparklines' minutes, the cockpit's rates.
    pub log_counts: LogCounts,
    /// The rollouts' pod hashes for the pollers' demand, rebuilt when rollouts change.
    tracked: Arc<Vec<Tracked>>,
    /// The longest rollout name in characters (column widths), kept with `tracked`.
    rollout_name_chars: usize,
    /// Theme names `:theme` offers (set by the loop from the built-in and user themes).
    pub theme_names: Vec<String>,
    /// How canary is judged against stable (`--significance`, `--min-effect`).
    pub judge: crate::model::stats::Judge,
    /// The cockpit's analysis queries as they answer now.
    pub replays: Vec<crate::model::replay::Replay>,
    /// The pods and events of the rollout on screen.
    pub below: Option<Below>,
    /// The container log on screen.
    pub pod_log: Option<PodLog>,
    /// The resource tree of the application whose details are open.
    pub app_tree: Option<HeldTree>,
    /// The diff whose view is open (from the Argo CD API server).
    pub app_diff: Option<HeldDiff>,
    /// The object whose YAML view is open.
    pub object: Option<HeldObject>,
    /// The trace whose view is open.
    pub trace: Option<HeldTrace>,
    /// Every watched cluster's cell for the strip (empty or one: no strip).
    pub fleet: Vec<FleetCell>,
    /// The all-clusters view's rows, every cluster's, ordered (set by the loop while open).
    pub fleet_rows: Vec<FleetRow>,
    /// Every cluster's timeline entries with their cluster, by time (set by the loop while
    /// the timeline shows all clusters).
    pub fleet_timeline: Vec<(String, Change)>,
    /// The cockpit's worst recent traces of its service.
    pub trace_hits: Option<HeldHits>,
    /// Why this cluster could not be reached (at start, or when `:fleet add` tried it): its
    /// sources are down with it and its actions refused, until it is connected again.
    pub unreachable: Option<String>,
    /// cert-manager's Certificates, by namespace and name, and how their read stands.
    /// Argo CD Image Updater's resources (empty without: v0.x, or none).
    pub image_updaters: Vec<crate::model::ImageUpdater>,
    pub certs: Vec<Certificate>,
    pub certs_fetch: Fetch,
    /// The meshes' trust anchors, as X.509.
    pub trust: Vec<crate::model::TrustBundle>,
    /// A certificate expiring within this many seconds, not to be renewed in time, is a
    /// warning (`--cert-horizon`).
    pub cert_horizon_secs: i64,
}

impl State {
    pub fn new(context: Context, now: DateTime<Utc>, log_capacity: usize) -> Self {
        Self {
            now,
            wall: now,
            context,
            apps: Vec::new(),
            rollouts: Vec::new(),
            routes: Vec::new(),
            route_index: Default::default(),
            mesh_notes: Vec::new(),
            mesh: String::new(),
            log_store: String::new(),
            virtual_services: Vec::new(),
            destination_rules: Vec::new(),
            cpu: CpuData::default(),
            logs: LogRing::new(log_capacity),
            alerts: Vec::new(),
            sources: [SourceStatus::CONNECTING; 6],
            ui: Ui::default(),
            flash: None,
            in_flight: Vec::new(),
            replays: Vec::new(),
            below: None,
            pod_log: None,
            app_tree: None,
            app_diff: None,
            object: None,
            trace: None,
            trace_hits: None,
            unreachable: None,
            fleet: Vec::new(),
            fleet_rows: Vec::new(),
            fleet_timeline: Vec::new(),
            image_updaters: Vec::new(),
            certs: Vec::new(),
            certs_fetch: Fetch::Waiting,
            trust: Vec::new(),
            cert_horizon_secs: crate::model::CERT_HORIZON_SECS,
            judge: crate::model::stats::Judge::default(),
            api_server: ApiServerHealth::default(),
            next_action_id: 1,
            next_log_seq: 1,
            log_seqs: VecDeque::new(),
            timeline: Timeline::default(),
            log_counts: LogCounts::default(),
            tracked: Arc::default(),
            rollout_name_chars: 0,
            theme_names: Vec::new(),
        }
    }

    pub fn source(&self, id: SourceId) -> &SourceStatus {
        &self.sources[id as usize]
    }

    /// The `:` command line being typed, if it is open.
    pub fn command_line(&self) -> Option<&str> {
        (self.ui.typing == Some(Typing::Command)).then(|| self.ui.palette.line.as_str())
    }

    /// The stable id of the log line at ring index `i`.
    pub fn log_seq(&self, i: usize) -> u64 {
        self.log_seqs.get(i).copied().unwrap_or(0)
    }

    /// ERROR lines per minute of one service's canary and stable over the last `window_secs`.
    pub fn track_error_rates(&self, service: &str, window_secs: i64) -> (f64, f64) {
        self.log_counts.track_rates(service, self.now, window_secs)
    }

    /// ERROR lines per minute of one service and track over the last `window_secs` of data time.
    pub fn error_rate(&self, service: &str, track: Option<Track>, window_secs: i64) -> f64 {
        self.log_counts.rate(service, track, self.now, window_secs)
    }

    /// Something on screen counts seconds: a timed pause, an error age, a flash.
    pub fn has_second_resolution_content(&self) -> bool {
        self.flash.is_some()
            || self
                .rollouts
                .iter()
                .any(|r| r.pause.as_ref().is_some_and(|p| p.duration.is_some()))
            || self
                .sources
                .iter()
                .any(|s| matches!(s.health, Health::Error(_)))
    }

    /// The 1 s wall tick; returns whether the screen must be drawn again.
    pub fn tick(&mut self, wall: DateTime<Utc>) -> bool {
        use chrono::Timelike;
        self.wall = wall;
        let mut changed = false;
        if self.flash.as_ref().is_some_and(|f| f.until <= wall) {
            self.flash = None;
            changed = true;
        }
        if !self.context.demo {
            let minute_changed =
                wall.minute() != self.now.minute() || wall.hour() != self.now.hour();
            changed |= minute_changed || self.has_second_resolution_content();
            self.now = wall;
        }
        changed |= matches!(self.ui.overlay, Some(Overlay::InternalLog));
        // The seconds an action has waited are on screen.
        changed |= !self.in_flight.is_empty();
        // A canary judged worse on its error rate alone moves up the list within a second.
        if self.ui.sort[crate::layout::Pane::Rollouts] == SortKey::Problems {
            let before: Vec<(String, String)> = self
                .rollouts
                .iter()
                .map(|r| (r.namespace.clone(), r.name.clone()))
                .collect();
            let keep = self.selected_id(crate::layout::Pane::Rollouts);
            self.resort(crate::layout::Pane::Rollouts, keep);
            changed |= self
                .rollouts
                .iter()
                .map(|r| (r.namespace.clone(), r.name.clone()))
                .ne(before);
        }
        changed
    }

    pub fn set_size(&mut self, width: u16, height: u16) {
        self.ui.size = (width, height);
        self.relayout();
    }

    fn relayout(&mut self) {
        let (w, h) = self.ui.size;
        self.ui.layout = layout::compute_with(
            Rect::new(0, 0, w, h),
            self.ui.focus,
            self.ui.zoom,
            &self.ui.layout_spec,
        );
        self.clamp_lists();
    }

    pub fn next_action_id(&mut self) -> u64 {
        let id = self.next_action_id;
        self.next_action_id += 1;
        id
    }

    pub fn flash(&mut self, kind: FlashKind, text: impl Into<String>) {
        let secs = if kind == FlashKind::Error { 12 } else { 6 };
        self.flash = Some(Flash {
            text: text.into(),
            kind,
            until: self.wall + chrono::Duration::seconds(secs),
        });
    }

    /// Empties the ring (another context, another query): the lines were the old source's.
    fn clear_logs(&mut self) {
        self.logs = LogRing::new(self.logs.capacity());
        self.log_seqs.clear();
        self.log_counts.clear();
        self.ui.logs.expanded.clear();
        self.ui.logs.follow = true;
        self.ui.logs.hits = SearchHits::default();
    }

    /// Another context or namespaces: what was shown of the old one goes, its sources restart.
    pub fn switch_context(&mut self, context: Context) {
        self.flash(
            FlashKind::Ok,
            format!("✓ watching {} · ns {}", context.name, context.namespace),
        );
        self.context = context;
        self.unreachable = None;
        self.apps.clear();
        self.rollouts.clear();
        self.tracked = Arc::default();
        self.rollout_name_chars = 0;
        self.routes.clear();
        self.route_index.clear();
        self.mesh_notes.clear();
        self.mesh.clear();
        self.virtual_services.clear();
        self.destination_rules.clear();
        self.cpu = CpuData::default();
        self.alerts.clear();
        self.clear_logs();
        // What came from the old cluster's stores and views is not the new one's.
        self.log_store.clear();
        self.image_updaters.clear();
        self.object = None;
        self.trace = None;
        self.trace_hits = None;
        self.app_diff = None;
        self.app_tree = None;
        self.below = None;
        self.pod_log = None;
        self.certs.clear();
        self.certs_fetch = Fetch::Waiting;
        self.trust.clear();
        self.sources = [SourceStatus::CONNECTING; 6];
        self.ui.screen = Screen::Main;
        for p in layout::Pane::ALL {
            let l = &mut self.ui.lists[p];
            l.selected = 0;
            l.offset = 0;
        }
        self.clamp_lists();
    }

    /// The weight the mesh gives a rollout's canary, from the VirtualServices it drives.
    pub fn mesh_weight(&self, r: &Rollout) -> Option<MeshWeight> {
        mesh_weight(r, &self.virtual_services)
    }

    /// The longest rollout name, in characters.
    pub fn rollout_name_chars(&self) -> usize {
        self.rollout_name_chars
    }

    pub fn rollout(&self, namespace: &str, name: &str) -> Option<&Rollout> {
        self.rollouts
            .iter()
            .find(|r| r.name == name && r.namespace == namespace)
    }
}

#[cfg(test)]
mod tests;
