//! State: plain data plus `apply(Update)` and `handle(Intent)`. No I/O, no async, no terminal.
//!
//! Everything the screen shows is derived from here, so behaviour is tested by driving State.

mod actions;
mod audit;
pub mod catalogue;
mod demand;
mod handle;
mod palette;
mod timeline;
mod view;

pub use audit::AuditEntry;
pub use catalogue::{Action, ActionInfo, Arg, KeyContext};
pub use demand::{Demand, Tracked};
pub use handle::Command;
pub use palette::{Suggestion, fuzzy};
pub use timeline::{Change, ChangeKind, LOOKBACK_MINUTES};
pub use view::{CockpitView, cockpit_view};

use crate::layout::{self, Pane, ScreenLayout};
use crate::model::*;
use crate::query::LogQuery;
use chrono::{DateTime, Timelike, Utc};
use ratatui::layout::Rect;
use std::collections::HashSet;

/// A source of data, one per pane, each with its own health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceId {
    Apps,
    Rollouts,
    Mesh,
    Cpu,
    Logs,
    Alerts,
}

impl SourceId {
    pub const ALL: [SourceId; 6] = [
        SourceId::Apps,
        SourceId::Rollouts,
        SourceId::Mesh,
        SourceId::Cpu,
        SourceId::Logs,
        SourceId::Alerts,
    ];
    pub fn label(self) -> &'static str {
        match self {
            SourceId::Apps => "argocd",
            SourceId::Rollouts => "rollouts",
            SourceId::Mesh => "mesh",
            SourceId::Cpu => "cpu",
            SourceId::Logs => "logs",
            SourceId::Alerts => "alerts",
        }
    }
    pub fn for_pane(p: Pane) -> SourceId {
        match p {
            Pane::Apps => SourceId::Apps,
            Pane::Rollouts => SourceId::Rollouts,
            Pane::Routes => SourceId::Mesh,
            Pane::Cpu => SourceId::Cpu,
            Pane::Logs => SourceId::Logs,
            Pane::Alerts => SourceId::Alerts,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Health {
    Connecting,
    Ok,
    Error(String),
    /// Not configured or not available in this build; the reason, in words.
    Off(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceStatus {
    pub health: Health,
    /// When the source last delivered good data.
    pub last_ok: Option<DateTime<Utc>>,
}

/// Everything a source or operator can tell State.
#[derive(Clone, Debug)]
pub enum Update {
    Apps(Vec<ArgoApp>),
    AppUpserted(ArgoApp),
    AppDeleted {
        namespace: String,
        name: String,
    },
    Rollouts(Vec<Rollout>),
    RolloutUpserted(Rollout),
    RolloutDeleted {
        namespace: String,
        name: String,
    },
    Routes(Vec<RouteStats>),
    /// Why services in scope have no route rows.
    MeshNotes(Vec<MeshNote>),
    Cpu(CpuData),
    Logs(Vec<LogLine>),
    LogsDroppedByServer(u64),
    Alerts(Vec<Alert>),
    SourceHealth {
        source: SourceId,
        health: Health,
    },
    /// The data clock: simulated time in the demo.
    Clock(DateTime<Utc>),
    ActionDone(ActionOutcome),
}

/// What keys (through the keymap) and the loop ask of State.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Quit,
    Help,
    Back,
    FocusNext,
    FocusPrev,
    Focus(Pane),
    Zoom,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Filter,
    /// Open the `:` command line.
    CommandLine,
    /// Open the command line with a command typed (`theme `), for a key bound to a command
    /// that takes a name.
    CommandWith(&'static str),
    Follow,
    Expand,
    /// Show or hide silenced and inhibited alerts.
    ToggleSuppressed,
    /// Start typing a search in the logs.
    Search,
    SearchNext,
    SearchPrev,
    /// Wrap long log lines (or cut them at the edge).
    ToggleWrap,
    /// Log times in UTC or local time.
    ToggleUtc,
    /// Copy the selected log line to the clipboard (OSC 52, works over SSH).
    Copy,
    /// Narrow the logs to the selected line's service, then its canary, its stable, then all.
    Narrow,
    /// The change timeline: what changed and what broke, on one time axis.
    Timeline,
    /// The next time window of the focused chart or table (CPU: 5m/15m/1h/6h, routes: 1m/5m/15m).
    Window,
    InternalLog,
    Act(ActionKind),
    Confirm,
    Cancel,
    TogglePrune,
    ToggleDryRun,
    /// Raw text while an input (filter, typed confirmation) is active.
    Text(TextKey),
    Resize {
        width: u16,
        height: u16,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextKey {
    Char(char),
    Backspace,
    Enter,
    Esc,
    Tab,
    Up,
    Down,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Info,
    Ok,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flash {
    pub text: String,
    pub kind: FlashKind,
    pub until: DateTime<Utc>,
}

/// An action waiting for the user's yes.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingAction {
    pub kind: ActionKind,
    pub target: Target,
    pub sync: SyncOptions,
    pub before: String,
    pub effect: String,
    /// The typed name (abort, promote-full) or, for a silence, its comment.
    pub typed: String,
    /// A silence being written, or the silences to expire.
    pub silence: Option<SilenceForm>,
    /// In a protected context every action needs the target's name typed.
    pub protected: bool,
    /// The equivalent CLI command, kept up to date as the form changes: the confirmation
    /// shows it and the audit log records it.
    pub command: String,
}

/// The fields of a silence: matchers from the alert's labels, a duration, a comment (`typed`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SilenceForm {
    pub matchers: Vec<(String, String)>,
    /// As typed: `1h`, `4h`, `90m`, `2d`.
    pub duration: String,
    /// Tab moves between the comment and the duration.
    pub editing_duration: bool,
    /// Silences to expire.
    pub ids: Vec<String>,
}

/// Durations offered for a silence; anything else can be typed.
pub const SILENCE_DURATIONS: [&str; 2] = ["1h", "4h"];

/// `90m`, `4h`, `2d`, `1h30m` in seconds; at least a minute.
pub fn parse_silence_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (days, rest) = match s.split_once('d') {
        Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
        None => (0, s),
    };
    let ms = if rest.is_empty() {
        0
    } else {
        crate::model::time::go_duration_ms(rest)?
    };
    let secs = days.checked_mul(86_400)?.checked_add(ms / 1000)?;
    (60..=366 * 86_400).contains(&secs).then_some(secs)
}

impl PendingAction {
    /// What a silence action sends: the form's matchers, duration and comment.
    pub fn silence_spec(&self) -> Option<SilenceSpec> {
        self.silence.as_ref().map(|f| SilenceSpec {
            matchers: f.matchers.clone(),
            duration_secs: parse_silence_duration(&f.duration).unwrap_or(3600),
            comment: self.typed.trim().to_string(),
            ids: f.ids.clone(),
        })
    }

    /// Recomputes the equivalent CLI command from the form as it is now.
    pub fn refresh_command(&mut self, argocd_namespace: &str) {
        self.command = cli_equivalent(
            self.kind,
            &self.target,
            argocd_namespace,
            self.sync,
            self.silence_spec().as_ref(),
        );
    }

    pub fn needs_typing(&self) -> bool {
        self.kind.needs_typed_confirmation() || self.kind == ActionKind::Silence || self.protected
    }
    pub fn typed_ok(&self) -> bool {
        match (&self.silence, self.kind) {
            (Some(f), ActionKind::Silence) => {
                !self.typed.trim().is_empty() && parse_silence_duration(&f.duration).is_some()
            }
            _ => {
                !(self.kind.needs_typed_confirmation() || self.protected)
                    || self.typed == self.target.name
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// Everything about one Argo CD application.
    AppDetail {
        namespace: String,
        name: String,
    },
    Confirm(PendingAction),
    InternalLog,
    /// The change timeline, with the selected entry (an index into `State::timeline`).
    Timeline {
        selected: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Main,
    Cockpit { namespace: String, name: String },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListPos {
    pub selected: usize,
    pub offset: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ui {
    pub focus: Pane,
    pub zoom: bool,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub lists: [ListPos; 6],
    pub filters: [String; 6],
    /// The pane whose filter is being typed.
    pub filter_input: Option<Pane>,
    /// The `:` command line being typed.
    pub command_input: Option<String>,
    /// Command lines run, oldest first, and where Up/Down is in them.
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    pub log_follow: bool,
    pub expanded_logs: HashSet<u64>,
    /// The log search (highlighted, n/N), and whether it is being typed.
    pub log_search: String,
    pub search_input: bool,
    pub log_wrap: bool,
    /// The logs narrowed to one service (its `app` label) and maybe one track.
    pub log_narrow: Option<(String, Option<Track>)>,
    /// Log times in UTC (else local).
    pub log_utc: bool,
    /// Silenced and inhibited alerts are listed (dimmed) only on demand.
    pub show_suppressed: bool,
    /// Index into [`CPU_WINDOWS`].
    pub cpu_window: usize,
    /// Index into [`ROUTE_WINDOWS`].
    pub route_window: usize,
    pub size: (u16, u16),
    pub layout: ScreenLayout,
    /// The full layout's rows and panes, and the compact threshold (`--layout`).
    pub layout_spec: layout::LayoutSpec,
}

impl Default for Ui {
    fn default() -> Self {
        Self {
            focus: Pane::Rollouts,
            zoom: false,
            screen: Screen::Main,
            overlay: None,
            lists: Default::default(),
            filters: Default::default(),
            filter_input: None,
            command_input: None,
            history: Vec::new(),
            history_pos: None,
            log_follow: true,
            expanded_logs: HashSet::new(),
            show_suppressed: false,
            log_search: String::new(),
            search_input: false,
            log_wrap: false,
            log_narrow: None,
            log_utc: true,
            cpu_window: 1,
            route_window: 0,
            size: (0, 0),
            layout: ScreenLayout::default(),
            layout_spec: layout::LayoutSpec::default(),
        }
    }
}

/// Who we are talking to, for the header and the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    pub name: String,
    pub namespace: String,
    pub argocd_namespace: String,
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

/// CPU chart windows in seconds: 5m, 15m, 1h, 6h.
pub const CPU_WINDOWS: [u32; 4] = [300, 900, 3600, 21_600];
/// Route table windows in seconds: 1m (as `linkerd viz routes`), 5m, 15m.
pub const ROUTE_WINDOWS: [u32; 3] = [60, 300, 900];

pub struct State {
    /// The data clock (simulated time in the demo, wall time live).
    pub now: DateTime<Utc>,
    /// Wall time of the last tick, for flashes.
    pub wall: DateTime<Utc>,
    pub context: Context,
    pub apps: Vec<ArgoApp>,
    pub rollouts: Vec<Rollout>,
    pub routes: Vec<RouteStats>,
    pub mesh_notes: Vec<MeshNote>,
    pub cpu: CpuData,
    pub logs: LogRing,
    pub alerts: Vec<Alert>,
    pub sources: [SourceStatus; 6],
    pub ui: Ui,
    pub flash: Option<Flash>,
    pub in_flight: Vec<ActionRequest>,
    next_action_id: u64,
    next_log_seq: u64,
    pub log_seqs: std::collections::VecDeque<u64>,
    /// What changed and what broke, oldest first.
    pub timeline: std::collections::VecDeque<Change>,
    /// The rollouts' pod hashes for the pollers' demand, rebuilt when rollouts change.
    tracked: std::sync::Arc<Vec<Tracked>>,
    /// Theme names `:theme` offers (set by the loop from the built-in and user themes).
    pub theme_names: Vec<String>,
    /// ERROR lines per service per minute, the last ten minutes, for the logs pane's sparklines.
    pub error_minutes: std::collections::BTreeMap<String, std::collections::VecDeque<(i64, u32)>>,
    error_rate: timeline::ErrorRate,
}

impl State {
    pub fn new(context: Context, now: DateTime<Utc>, log_capacity: usize) -> Self {
        let s = SourceStatus {
            health: Health::Connecting,
            last_ok: None,
        };
        Self {
            now,
            wall: now,
            context,
            apps: Vec::new(),
            rollouts: Vec::new(),
            routes: Vec::new(),
            mesh_notes: Vec::new(),
            cpu: CpuData::default(),
            logs: LogRing::new(log_capacity),
            alerts: Vec::new(),
            sources: [s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s],
            ui: Ui::default(),
            flash: None,
            in_flight: Vec::new(),
            next_action_id: 1,
            next_log_seq: 1,
            log_seqs: Default::default(),
            timeline: Default::default(),
            error_minutes: Default::default(),
            theme_names: Vec::new(),
            tracked: Default::default(),
            error_rate: Default::default(),
        }
    }

    pub fn source(&self, id: SourceId) -> &SourceStatus {
        &self.sources[id as usize]
    }

    fn mark_ok(&mut self, id: SourceId) {
        let s = &mut self.sources[id as usize];
        s.health = Health::Ok;
        s.last_ok = Some(self.now);
    }

    /// Applies one update; returns whether anything on screen may have changed.
    /// Remote text is cleaned of escape and control sequences here, whatever the source.
    pub fn apply(&mut self, mut update: Update) -> bool {
        clean_update(&mut update);
        let rollouts_changed = matches!(
            update,
            Update::Rollouts(_) | Update::RolloutUpserted(_) | Update::RolloutDeleted { .. }
        );
        let changed = self.apply_cleaned(update);
        if rollouts_changed && changed {
            self.tracked = std::sync::Arc::new(
                self.rollouts
                    .iter()
                    .map(|r| Tracked {
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                        stable_hash: r.stable_hash.clone(),
                        canary_hash: r.canary_hash.clone(),
                    })
                    .collect(),
            );
        }
        changed
    }

    fn apply_cleaned(&mut self, update: Update) -> bool {
        match update {
            Update::Apps(apps) => {
                self.mark_ok(SourceId::Apps);
                let old = std::mem::take(&mut self.apps);
                {
                    let by_key: std::collections::HashMap<(&str, &str), &ArgoApp> = old
                        .iter()
                        .map(|a| ((a.namespace.as_str(), a.name.as_str()), a))
                        .collect();
                    for a in &apps {
                        let o = by_key
                            .get(&(a.namespace.as_str(), a.name.as_str()))
                            .copied();
                        self.note_app(o, a);
                    }
                }
                self.apps = old;
                let changed = replace_all(&mut self.apps, apps, sort_apps);
                self.clamp_lists();
                changed
            }
            Update::AppUpserted(app) => {
                self.mark_ok(SourceId::Apps);
                let old = self
                    .apps
                    .iter()
                    .find(|a| a.name == app.name && a.namespace == app.namespace)
                    .cloned();
                self.note_app(old.as_ref(), &app);
                upsert(
                    &mut self.apps,
                    app,
                    |a, b| a.name == b.name && a.namespace == b.namespace,
                    sort_apps,
                )
            }
            Update::AppDeleted { namespace, name } => {
                self.apps
                    .retain(|a| !(a.name == name && a.namespace == namespace));
                self.clamp_lists_changed()
            }
            Update::Rollouts(rollouts) => {
                self.mark_ok(SourceId::Rollouts);
                let old = std::mem::take(&mut self.rollouts);
                for r in &rollouts {
                    let o = old
                        .iter()
                        .find(|x| x.name == r.name && x.namespace == r.namespace);
                    self.note_rollout(o, r);
                }
                self.rollouts = old;
                let changed = replace_all(&mut self.rollouts, rollouts, sort_rollouts);
                self.clamp_lists();
                changed
            }
            Update::RolloutUpserted(r) => {
                self.mark_ok(SourceId::Rollouts);
                let old = self.rollout(&r.namespace, &r.name).cloned();
                self.note_rollout(old.as_ref(), &r);
                upsert(
                    &mut self.rollouts,
                    r,
                    |a, b| a.name == b.name && a.namespace == b.namespace,
                    sort_rollouts,
                )
            }
            Update::RolloutDeleted { namespace, name } => {
                self.rollouts
                    .retain(|r| !(r.name == name && r.namespace == namespace));
                self.clamp_lists_changed()
            }
            Update::Routes(mut routes) => {
                routes.sort_by(|a, b| (&a.service, &a.route).cmp(&(&b.service, &b.route)));
                self.mark_ok(SourceId::Mesh);
                let changed = routes != self.routes;
                self.routes = routes;
                self.clamp_lists();
                changed
            }
            Update::MeshNotes(notes) => {
                let changed = notes != self.mesh_notes;
                self.mesh_notes = notes;
                changed
            }
            Update::Cpu(cpu) => {
                self.mark_ok(SourceId::Cpu);
                let changed = cpu != self.cpu;
                self.cpu = cpu;
                changed
            }
            Update::Logs(lines) => {
                self.mark_ok(SourceId::Logs);
                if lines.is_empty() {
                    return false;
                }
                for l in lines {
                    self.note_log(&l);
                    self.push_log(l);
                }
                self.after_logs_pushed();
                true
            }
            Update::LogsDroppedByServer(n) => {
                self.logs.server_dropped += n;
                true
            }
            Update::Alerts(mut alerts) => {
                alerts.sort_by(|a, b| {
                    (
                        a.state != AlertState::Firing,
                        a.severity,
                        &a.name,
                        a.subject(),
                    )
                        .cmp(&(
                            b.state != AlertState::Firing,
                            b.severity,
                            &b.name,
                            b.subject(),
                        ))
                });
                self.mark_ok(SourceId::Alerts);
                let old = std::mem::take(&mut self.alerts);
                self.note_alerts(&old, &alerts);
                self.alerts = old;
                let changed = alerts != self.alerts;
                self.alerts = alerts;
                self.clamp_lists();
                changed
            }
            Update::SourceHealth { source, health } => {
                let s = &mut self.sources[source as usize];
                if health == Health::Ok {
                    s.last_ok = Some(self.now);
                }
                let changed = s.health != health;
                s.health = health;
                changed
            }
            Update::Clock(t) => {
                let changed = t.minute() != self.now.minute()
                    || t.hour() != self.now.hour()
                    || self.has_second_resolution_content();
                self.now = t;
                changed
            }
            Update::ActionDone(outcome) => {
                self.in_flight.retain(|r| r.id != outcome.request.id);
                let verb = outcome.request.kind.as_str();
                let text = match &outcome.result {
                    Ok(after) => format!("you: {verb} ✓ {after}"),
                    Err(e) => format!("you: {verb} ✗ {e}"),
                };
                let now = self.now;
                self.record(
                    now,
                    ChangeKind::Action,
                    &outcome.request.target.name.clone(),
                    text,
                );
                let name = &outcome.request.target.name;
                let verb = outcome.request.kind.as_str();
                self.flash = Some(match &outcome.result {
                    Ok(after) => Flash {
                        text: format!("✓ {verb} {name}: {after}"),
                        kind: FlashKind::Ok,
                        until: self.wall + chrono::Duration::seconds(8),
                    },
                    Err(e) => Flash {
                        text: format!("✗ {verb} {name} failed: {e}"),
                        kind: FlashKind::Error,
                        until: self.wall + chrono::Duration::seconds(15),
                    },
                });
                true
            }
        }
    }

    fn push_log(&mut self, line: LogLine) {
        if self.logs.len() == self.logs.capacity() {
            if let Some(old) = self.log_seqs.pop_front() {
                self.ui.expanded_logs.remove(&old);
            }
            let l = &mut self.ui.lists[Pane::Logs.index()];
            l.selected = l.selected.saturating_sub(1);
            l.offset = l.offset.saturating_sub(1);
        }
        self.logs.push(line);
        self.log_seqs.push_back(self.next_log_seq);
        self.next_log_seq += 1;
    }

    fn after_logs_pushed(&mut self) {
        if self.ui.log_follow {
            let n = self.filtered_len(Pane::Logs);
            let rows = self.ui.layout.viewport_rows(Pane::Logs).max(1);
            let l = &mut self.ui.lists[Pane::Logs.index()];
            l.selected = n.saturating_sub(1);
            l.offset = n.saturating_sub(rows);
        }
    }

    /// Empties the ring (another context, another query): the lines were the old source's.
    pub(super) fn clear_logs(&mut self) {
        self.logs = LogRing::new(self.logs.capacity());
        self.log_seqs.clear();
        self.ui.expanded_logs.clear();
        self.ui.log_follow = true;
    }

    /// The stable id of the log line at ring index `i`.
    pub fn log_seq(&self, i: usize) -> u64 {
        self.log_seqs.get(i).copied().unwrap_or(0)
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
        changed
    }

    pub fn set_size(&mut self, width: u16, height: u16) {
        self.ui.size = (width, height);
        self.relayout();
    }

    /// Clamps selections after a list changed; true, for use in `apply`.
    fn clamp_lists_changed(&mut self) -> bool {
        self.clamp_lists();
        true
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

    /// Another context or namespaces: what was shown of the old one goes, its sources restart.
    pub fn switch_context(&mut self, context: Context) {
        self.flash(
            FlashKind::Ok,
            format!("✓ watching {} · ns {}", context.name, context.namespace),
        );
        self.context = context;
        self.apps.clear();
        self.rollouts.clear();
        self.tracked = Default::default();
        self.routes.clear();
        self.mesh_notes.clear();
        self.cpu = CpuData::default();
        self.alerts.clear();
        self.clear_logs();
        for id in [
            SourceId::Logs,
            SourceId::Apps,
            SourceId::Rollouts,
            SourceId::Mesh,
            SourceId::Cpu,
            SourceId::Alerts,
        ] {
            self.sources[id as usize] = SourceStatus {
                health: Health::Connecting,
                last_ok: None,
            };
        }
        self.ui.screen = Screen::Main;
        self.ui.lists = Default::default();
        self.clamp_lists();
    }

    pub fn rollout(&self, namespace: &str, name: &str) -> Option<&Rollout> {
        self.rollouts
            .iter()
            .find(|r| r.name == name && r.namespace == namespace)
    }
}

fn clean_update(u: &mut Update) {
    use crate::sanitize::Sanitize;
    match u {
        Update::Apps(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::AppUpserted(a) => a.sanitize(),
        Update::Rollouts(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::RolloutUpserted(r) => r.sanitize(),
        Update::Routes(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::MeshNotes(v) => {
            for n in v {
                n.service = crate::sanitize::clean_owned(&n.service);
                n.namespace = crate::sanitize::clean_owned(&n.namespace);
            }
        }
        Update::Logs(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::Alerts(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::SourceHealth {
            health: Health::Error(e),
            ..
        } => *e = crate::sanitize::clean_owned(e),
        Update::ActionDone(o) => match &mut o.result {
            Ok(e) => *e = crate::sanitize::clean_owned(e),
            Err(e) => {
                let m = e.message_mut();
                *m = crate::sanitize::clean_owned(m);
            }
        },
        _ => {}
    }
}

/// Replaces a whole list (a snapshot); true if it differs from what was shown.
fn replace_all<T: PartialEq>(list: &mut Vec<T>, mut new: Vec<T>, sort: fn(&mut [T])) -> bool {
    sort(&mut new);
    let changed = *list != new;
    *list = new;
    changed
}

/// Inserts or replaces one object; true if the list changed.
fn upsert<T: PartialEq>(
    list: &mut Vec<T>,
    item: T,
    same: fn(&T, &T) -> bool,
    sort: fn(&mut [T]),
) -> bool {
    match list.iter_mut().find(|x| same(x, &item)) {
        Some(x) if *x == item => false,
        Some(x) => {
            *x = item;
            true
        }
        None => {
            list.push(item);
            sort(list);
            true
        }
    }
}

fn sort_rollouts(r: &mut [Rollout]) {
    r.sort_by(|a, b| (&a.name, &a.namespace).cmp(&(&b.name, &b.namespace)));
}

/// Sync wave first (the order Argo CD applies them), then name.
fn sort_apps(apps: &mut [ArgoApp]) {
    apps.sort_by(|a, b| {
        (a.sync_wave, &a.name, &a.namespace).cmp(&(b.sync_wave, &b.name, &b.namespace))
    });
}

#[cfg(test)]
mod tests;
