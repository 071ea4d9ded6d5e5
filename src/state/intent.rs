//! What keys (through the keymap) and the loop ask of State.

use crate::layout::Pane;
use crate::model::ActionKind;

#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Quit,
    Help,
    Back,
    FocusNext,
    FocusPrev,
    /// The next (1) or previous (-1) cluster of the fleet.
    Cluster(i8),
    /// The all-clusters view: every cluster's applications, rollouts and alerts.
    AllClusters,
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
    /// The focused list's next order (problems first, by name, …).
    Sort,
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
    /// The platform's certificates (closes it when open).
    Platform,
    /// The pods of the rollout in view and the events about it (closes it when open).
    Pods,
    /// What a sync of the application in view would change (closes it when open).
    Diff,
    /// The YAML of the object here (closes it when open).
    Yaml,
    /// The YAML of the cockpit's analysis run.
    AnalysisYaml,
    /// The trace of what is selected: a log line's, the cockpit's worst trace (closes the
    /// trace view when open).
    Trace,
    /// Normal events as well as Warnings, or Warnings only again.
    ToggleNormalEvents,
    /// A pod's log: the container's previous run (the one that crashed), or its current one.
    TogglePrevious,
    /// A pod's log: its next container's.
    NextContainer,
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
