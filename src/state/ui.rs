//! What the screen is doing, apart from the data: focus, zoom, the screen and overlay, and the
//! state each pane owns — a list's position and filter, the logs' follow, search, wrap and
//! narrowing, the alerts' silenced toggle, the charts' windows, the palette's history.

use super::editor::LineEditor;
use super::pending::PendingAction;
use crate::layout::{self, Pane, ScreenLayout};
use crate::model::Track;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// One value per pane, indexed by [`Pane`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaneMap<T>([T; 6]);

impl<T> std::ops::Index<Pane> for PaneMap<T> {
    type Output = T;
    fn index(&self, p: Pane) -> &T {
        &self.0[p as usize]
    }
}

impl<T> std::ops::IndexMut<Pane> for PaneMap<T> {
    fn index_mut(&mut self, p: Pane) -> &mut T {
        &mut self.0[p as usize]
    }
}

impl<T> PaneMap<T> {
    pub fn iter(&self) -> impl Iterator<Item = (Pane, &T)> {
        Pane::ALL.into_iter().zip(self.0.iter())
    }
}

/// A list pane's position (the selected row and the first row shown) and its filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListView {
    pub selected: usize,
    pub offset: usize,
    pub filter: LineEditor,
}

/// The logs pane's own state.
#[derive(Clone, Debug, PartialEq)]
pub struct LogsView {
    /// The newest line stays selected as lines arrive.
    pub follow: bool,
    /// Lines (by their stable id) whose details and stack trace are shown.
    pub expanded: HashSet<u64>,
    /// The search (highlighted, n/N).
    pub search: LineEditor,
    /// Long lines wrap (else they are cut at the edge).
    pub wrap: bool,
    /// Narrowed to one service (its `app` label) and maybe one track.
    pub narrow: Option<(String, Option<Track>)>,
    /// Times in UTC (else local).
    pub utc: bool,
    /// The id the next line had when the logs were paused: lines since are counted.
    pub paused_at: u64,
    /// The search's matches in view.
    pub hits: super::SearchHits,
}

impl Default for LogsView {
    fn default() -> Self {
        Self {
            follow: true,
            expanded: HashSet::new(),
            search: LineEditor::default(),
            wrap: false,
            narrow: None,
            utc: true,
            paused_at: 0,
            hits: super::SearchHits::default(),
        }
    }
}

/// The alerts pane's own state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertsView {
    /// Silenced and inhibited alerts are listed (dimmed) only on demand.
    pub show_suppressed: bool,
}

/// A chart's or table's time window, one of a fixed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windowed {
    pub index: usize,
    pub choices: &'static [u32],
}

impl Windowed {
    /// The window in seconds.
    pub fn secs(self) -> u32 {
        self.choices[self.index % self.choices.len()]
    }
    /// The next window, wrapping round.
    pub fn advance(&mut self) -> u32 {
        self.index = (self.index + 1) % self.choices.len();
        self.secs()
    }
}

/// CPU chart windows in seconds: 5m, 15m, 1h, 6h.
pub const CPU_WINDOWS: [u32; 4] = [300, 900, 3600, 21_600];
/// Route table windows in seconds: 1m (as `linkerd viz routes`), 5m, 15m.
pub const ROUTE_WINDOWS: [u32; 3] = [60, 300, 900];

/// The `:` command line and what was run before.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaletteView {
    pub line: LineEditor,
    /// Command lines run, oldest first, and where Up/Down is in them.
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
}

/// What the keys are typing into, if anything (a typed confirmation is the overlay's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typing {
    Filter(Pane),
    Search,
    Command,
    /// The trace view's span filter.
    TraceFilter,
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

#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// Everything about one Argo CD application, scrolled by `scroll` rows.
    AppDetail {
        namespace: String,
        name: String,
        scroll: usize,
    },
    /// What a sync (or a rollback to a history entry) would change in one application,
    /// scrolled by `scroll` rows.
    Diff {
        namespace: String,
        name: String,
        against: crate::model::DiffAgainst,
        scroll: usize,
    },
    /// One object's YAML, scrolled to `scroll`; `back` is the view it was opened from.
    Object {
        target: crate::model::ObjectRef,
        scroll: usize,
        back: Option<Box<Overlay>>,
    },
    Confirm(Box<PendingAction>),
    InternalLog,
    /// The change timeline, with the selected entry (an index into `State::timeline`).
    Timeline {
        selected: usize,
    },
    /// Every cluster's applications, rollouts and alerts, problems first, with the selected
    /// row (an index into `State::fleet_rows`).
    Fleet {
        selected: usize,
    },
    /// The platform's certificates, with the selected one.
    Platform {
        selected: usize,
    },
    /// A rollout's pods and the events about it, with the selected row (pods, then events).
    Pods {
        namespace: String,
        name: String,
        selected: usize,
    },
    /// One trace's spans as a waterfall (boxed: the view's own state is the largest).
    Trace(Box<super::trace::TraceView>),
    /// One container's log (opened from the pods view of `rollout`): the selected record, and
    /// whether the newest is followed and the selected one's stack shown.
    PodLog {
        rollout: String,
        target: crate::model::PodLogTarget,
        containers: Vec<String>,
        selected: usize,
        follow: bool,
        expanded: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Main,
    Cockpit { namespace: String, name: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ui {
    pub focus: Pane,
    pub zoom: bool,
    /// The timeline lists every cluster's entries (`F` in it), not only this one's.
    pub timeline_all: bool,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub lists: PaneMap<ListView>,
    /// Each list's order (`sort`, `--sort`).
    pub sort: PaneMap<super::SortKey>,
    pub typing: Option<Typing>,
    pub logs: LogsView,
    pub alerts: AlertsView,
    pub cpu: Windowed,
    pub routes: Windowed,
    pub palette: PaletteView,
    pub size: (u16, u16),
    pub layout: ScreenLayout,
    /// The full layout's rows and panes, and the compact threshold (`--layout`).
    pub layout_spec: layout::LayoutSpec,
    /// Normal events shown too, not only Warnings (`e` in the pods view).
    pub normal_events: bool,
    /// The cockpit's selected worst trace.
    pub cockpit_trace: usize,
}

impl Default for Ui {
    fn default() -> Self {
        Self {
            focus: Pane::Rollouts,
            zoom: false,
            timeline_all: false,
            screen: Screen::Main,
            overlay: None,
            lists: PaneMap::default(),
            sort: PaneMap::default(),
            typing: None,
            logs: LogsView::default(),
            alerts: AlertsView::default(),
            cpu: Windowed {
                index: 1,
                choices: &CPU_WINDOWS,
            },
            routes: Windowed {
                index: 0,
                choices: &ROUTE_WINDOWS,
            },
            palette: PaletteView::default(),
            size: (0, 0),
            layout: ScreenLayout::default(),
            layout_spec: layout::LayoutSpec::default(),
            normal_events: false,
            cockpit_trace: 0,
        }
    }
}
