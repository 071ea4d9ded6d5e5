//! Every action a key or the `:` palette can ask for, and every key context, as types: one
//! table says what each action does (for help), whether and where the footer offers it, what
//! argument the palette takes for it, and the [`Intent`] it becomes. The keymap files are data
//! checked against this table; help, footer hints and the palette are generated from it.

use super::Intent;
use crate::layout::Pane;
use crate::model::ActionKind;

/// What a palette command takes after its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    None,
    App,
    Rollout,
    Pane,
    Theme,
    /// Free text (a context or namespace name).
    Name,
}

/// An action's entry in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionInfo {
    /// What it does, in help and in the footer.
    pub about: &'static str,
    /// Its place among the footer hints (lower first); `None`: never hinted.
    pub hint: Option<u8>,
    /// Hinted only while this context is the innermost (the timeline's own close key, not the
    /// `t` that opens it from everywhere).
    pub hint_only_in: Option<KeyContext>,
    /// As a palette command: what it takes, and what it does there.
    pub palette: Option<(Arg, &'static str)>,
}

const fn info(about: &'static str) -> ActionInfo {
    ActionInfo {
        about,
        hint: None,
        hint_only_in: None,
        palette: None,
    }
}

impl ActionInfo {
    const fn hint(mut self, order: u8) -> Self {
        self.hint = Some(order);
        self
    }
    const fn hint_in(mut self, order: u8, ctx: KeyContext) -> Self {
        self.hint = Some(order);
        self.hint_only_in = Some(ctx);
        self
    }
    const fn palette(mut self, arg: Arg, about: &'static str) -> Self {
        self.palette = Some((arg, about));
        self
    }
}

/// Everything a key can be bound to (`keymap.toml` names them in kebab-case). Palette commands
/// come first, in the order the palette offers them.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Action {
    Sync,
    Refresh,
    HardRefresh,
    Promote,
    PromoteFull,
    Abort,
    Retry,
    Restart,
    Pause,
    Resume,
    SkipStep,
    Undo,
    /// An application's history revision deployed again (the Argo CD API server).
    Rollback,
    /// What a sync of an application would change (or a rollback to a history entry).
    Diff,
    /// The selected object's YAML.
    Yaml,
    /// The cockpit's analysis run's YAML.
    AnalysisYaml,
    /// The trace of the selected log line or worst trace (palette: by id).
    Trace,
    Open,
    /// A rollout's pods and the events about it.
    Pods,
    /// The platform's certificates.
    Platform,
    /// Palette: an application's details.
    App,
    /// Palette: focus a pane by name.
    Pane,
    Theme,
    Ctx,
    Ns,
    /// The next / previous cluster of the fleet.
    NextCluster,
    PrevCluster,
    /// Every cluster's applications, rollouts and alerts in one view (`:fleet add NAME` adds a
    /// context).
    Fleet,
    Timeline,
    Help,
    Quit,
    Back,
    FocusNext,
    FocusPrev,
    PaneApps,
    PaneRollouts,
    PaneRoutes,
    PaneCpu,
    PaneLogs,
    PaneAlerts,
    Zoom,
    InternalLog,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Filter,
    Command,
    GoTo,
    Follow,
    Expand,
    Window,
    Search,
    SearchNext,
    SearchPrev,
    Wrap,
    Utc,
    Copy,
    Narrow,
    ToggleSilenced,
    Sort,
    Confirm,
    Cancel,
    TogglePrune,
    ToggleDryRun,
    Silence,
    ExpireSilence,
    NormalEvents,
    Previous,
    Container,
    /// The selected pod's log (the pods view).
    Logs,
}

impl Action {
    /// Every action, in declaration order.
    pub fn all() -> impl Iterator<Item = Action> {
        <Action as strum::IntoEnumIterator>::iter()
    }

    /// The name keymap files and the palette use (`promote-full`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Action> {
        name.parse().ok()
    }

    /// The action's entry in the catalogue.
    pub fn info(self) -> ActionInfo {
        use Action::*;
        match self {
            Sync => info("sync")
                .hint(18)
                .palette(Arg::App, "sync an application"),
            Refresh => info("refresh")
                .hint(20)
                .palette(Arg::App, "refresh an application"),
            HardRefresh => info("hard-refresh").palette(Arg::App, "hard refresh an application"),
            Promote => info("promote")
                .hint(8)
                .palette(Arg::Rollout, "promote a rollout one step"),
            PromoteFull => info("promote-full")
                .hint(10)
                .palette(Arg::Rollout, "promote a rollout fully"),
            Abort => info("abort")
                .hint(12)
                .palette(Arg::Rollout, "abort a rollout"),
            Retry => info("retry")
                .hint(14)
                .palette(Arg::Rollout, "retry an aborted rollout"),
            Restart => info("restart")
                .hint(16)
                .palette(Arg::Rollout, "restart a rollout's pods"),
            Pause => info("pause").palette(Arg::Rollout, "hold a rollout where it is"),
            Resume => info("resume").palette(Arg::Rollout, "resume a paused rollout"),
            SkipStep => info("skip-step").palette(Arg::Rollout, "skip a rollout's current step"),
            Undo => info("undo").palette(Arg::Rollout, "roll a rollout back a revision"),
            Yaml => info("YAML").hint(45),
            AnalysisYaml => info("analysis run YAML"),
            Trace => info("its trace")
                .hint(35)
                .palette(Arg::Name, "open a trace by id (hex or base64)"),
            Rollback => info("rollback").palette(
                Arg::App,
                "deploy an application's history entry again (NAME ID)",
            ),
            Diff => info("diff").hint(21).palette(
                Arg::App,
                "what a sync would change (NAME, or NAME ID: a history entry)",
            ),
            Open => info("cockpit")
                .hint(22)
                .palette(Arg::Rollout, "open a rollout's cockpit"),
            Platform => info("certificates").palette(Arg::None, "the platform's certificates"),
            Pods => info("pods")
                .hint(23)
                .palette(Arg::Rollout, "a rollout's pods and events"),
            App => {
                info("an application's details").palette(Arg::App, "show an application's details")
            }
            Pane => info("focus a pane").palette(Arg::Pane, "focus a pane"),
            Theme => info("colour theme").palette(Arg::Theme, "switch the colour theme"),
            Ctx => info("another context").palette(Arg::Name, "watch another kubeconfig context"),
            Ns => {
                info("other namespaces").palette(Arg::Name, "watch other namespaces (a,b or all)")
            }
            NextCluster => {
                info("next cluster").palette(Arg::None, "show the next cluster of the fleet")
            }
            PrevCluster => info("previous cluster"),
            Fleet => info("all clusters")
                .hint_in(31, KeyContext::Fleet)
                .palette(Arg::Name, "all clusters at once (add NAME: watch one more)"),
            Timeline => info("change timeline")
                .hint_in(54, KeyContext::Timeline)
                .palette(Arg::None, "the change timeline"),
            Help => info("help")
                .hint(50)
                .palette(Arg::None, "keys and commands"),
            Quit => info("quit").hint(52).palette(Arg::None, "leave opsdeck"),
            Back => info("back").hint(44),
            FocusNext => info("next pane").hint(46),
            FocusPrev => info("previous pane"),
            PaneApps => info("Apps pane"),
            PaneRollouts => info("Rollouts pane"),
            PaneRoutes => info("Routes pane"),
            PaneCpu => info("CPU pane"),
            PaneLogs => info("Error logs pane"),
            PaneAlerts => info("Alerts pane"),
            Zoom => info("zoom pane").hint(48),
            InternalLog => info("opsdeck's own log"),
            Up => info("up"),
            Down => info("down"),
            Top => info("first"),
            Bottom => info("last"),
            PageUp => info("page up"),
            PageDown => info("page down"),
            Filter => info("filter").hint(42),
            Command => info("command (:ctx, :ns)"),
            GoTo => info("go to its service").hint(24),
            Follow => info("follow").hint(30),
            Expand => info("stack trace").hint(36),
            Window => info("time window").hint(38),
            Search => info("search").hint(32),
            SearchNext => info("next match"),
            SearchPrev => info("previous match"),
            Wrap => info("wrap lines"),
            Utc => info("UTC/local"),
            Copy => info("copy line"),
            Narrow => info("narrow to service").hint(34),
            ToggleSilenced => info("show silenced alerts").hint(28),
            Sort => info("sort").hint(40),
            Confirm => info("confirm").hint(0),
            Cancel => info("cancel").hint(2),
            TogglePrune => info("prune").hint(4),
            ToggleDryRun => info("dry run").hint(6),
            Silence => info("silence").hint(26),
            ExpireSilence => info("expire-silence"),
            NormalEvents => info("Normal events too").hint(1),
            Previous => info("previous run").hint(3),
            Container => info("next container").hint(5),
            Logs => info("its log").hint(7),
        }
    }

    /// What the action asks of State when a key is pressed.
    pub fn intent(self) -> Intent {
        use Action::*;
        match self {
            Sync => Intent::Act(ActionKind::Sync),
            Refresh => Intent::Act(ActionKind::Refresh),
            HardRefresh => Intent::Act(ActionKind::HardRefresh),
            Promote => Intent::Act(ActionKind::Promote),
            PromoteFull => Intent::Act(ActionKind::PromoteFull),
            Abort => Intent::Act(ActionKind::Abort),
            Retry => Intent::Act(ActionKind::Retry),
            Restart => Intent::Act(ActionKind::Restart),
            Pause => Intent::Act(ActionKind::Pause),
            Resume => Intent::Act(ActionKind::Resume),
            SkipStep => Intent::Act(ActionKind::SkipStep),
            Undo => Intent::Act(ActionKind::Undo),
            Rollback => Intent::Act(ActionKind::Rollback),
            Diff => Intent::Diff,
            Yaml => Intent::Yaml,
            AnalysisYaml => Intent::AnalysisYaml,
            Trace => Intent::Trace,
            Silence => Intent::Act(ActionKind::Silence),
            ExpireSilence => Intent::Act(ActionKind::Expire),
            Open | GoTo => Intent::Open,
            Pods => Intent::Pods,
            Platform => Intent::Platform,
            NormalEvents => Intent::ToggleNormalEvents,
            Previous => Intent::TogglePrevious,
            Container => Intent::NextContainer,
            Logs => Intent::Open,
            // Commands that take a name open the command line with the command typed.
            App | Pane | Theme | Ctx | Ns => Intent::CommandWith(self.name()),
            NextCluster => Intent::Cluster(1),
            PrevCluster => Intent::Cluster(-1),
            Fleet => Intent::AllClusters,
            Timeline => Intent::Timeline,
            Help => Intent::Help,
            Quit => Intent::Quit,
            Back => Intent::Back,
            FocusNext => Intent::FocusNext,
            FocusPrev => Intent::FocusPrev,
            PaneApps => Intent::Focus(crate::layout::Pane::Apps),
            PaneRollouts => Intent::Focus(crate::layout::Pane::Rollouts),
            PaneRoutes => Intent::Focus(crate::layout::Pane::Routes),
            PaneCpu => Intent::Focus(crate::layout::Pane::Cpu),
            PaneLogs => Intent::Focus(crate::layout::Pane::Logs),
            PaneAlerts => Intent::Focus(crate::layout::Pane::Alerts),
            Zoom => Intent::Zoom,
            InternalLog => Intent::InternalLog,
            Up => Intent::Up,
            Down => Intent::Down,
            Top => Intent::Top,
            Bottom => Intent::Bottom,
            PageUp => Intent::PageUp,
            PageDown => Intent::PageDown,
            Filter => Intent::Filter,
            Command => Intent::CommandLine,
            Follow => Intent::Follow,
            Expand => Intent::Expand,
            Window => Intent::Window,
            Search => Intent::Search,
            SearchNext => Intent::SearchNext,
            SearchPrev => Intent::SearchPrev,
            Wrap => Intent::ToggleWrap,
            Utc => Intent::ToggleUtc,
            Copy => Intent::Copy,
            Narrow => Intent::Narrow,
            ToggleSilenced => Intent::ToggleSuppressed,
            Sort => Intent::Sort,
            Confirm => Intent::Confirm,
            Cancel => Intent::Cancel,
            TogglePrune => Intent::TogglePrune,
            ToggleDryRun => Intent::ToggleDryRun,
        }
    }

    /// The operator action this is, if it is one.
    pub fn kind(self) -> Option<ActionKind> {
        match self.intent() {
            Intent::Act(k) => Some(k),
            _ => None,
        }
    }

    /// The palette's commands, in the order it offers them.
    pub fn commands() -> impl Iterator<Item = (Action, Arg, &'static str)> {
        Self::all().filter_map(|a| a.info().palette.map(|(arg, about)| (a, arg, about)))
    }
}

/// Where keys are read: an overlay, the focused pane or the cockpit, then lists, then
/// everywhere. `keymap.toml`'s `[sections]` are these names.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum KeyContext {
    Global,
    List,
    Apps,
    Rollouts,
    Routes,
    Cpu,
    Logs,
    Alerts,
    Cockpit,
    Help,
    AppDetail,
    InternalLog,
    Timeline,
    Pods,
    PodLog,
    Platform,
    Diff,
    Object,
    Trace,
    /// The all-clusters view.
    Fleet,
    Confirm,
    SyncOptions,
}

impl KeyContext {
    pub fn all() -> impl Iterator<Item = KeyContext> {
        <KeyContext as strum::IntoEnumIterator>::iter()
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<KeyContext> {
        name.parse().ok()
    }

    /// The context of a focused pane.
    pub fn of_pane(p: Pane) -> KeyContext {
        match p {
            Pane::Apps => KeyContext::Apps,
            Pane::Rollouts => KeyContext::Rollouts,
            Pane::Routes => KeyContext::Routes,
            Pane::Cpu => KeyContext::Cpu,
            Pane::Logs => KeyContext::Logs,
            Pane::Alerts => KeyContext::Alerts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_both_ways() {
        for a in Action::all() {
            assert_eq!(Action::parse(a.name()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", a.name()),
                "serde and the table agree"
            );
        }
        assert_eq!(Action::PromoteFull.name(), "promote-full");
        assert_eq!(Action::ExpireSilence.name(), "expire-silence");
        assert_eq!(Action::parse("teleport"), None);
        for c in KeyContext::all() {
            assert_eq!(KeyContext::parse(c.name()), Some(c));
        }
        assert_eq!(KeyContext::AppDetail.name(), "app-detail");
    }

    #[test]
    fn every_operator_action_is_an_action_of_the_same_name() {
        for k in ActionKind::ALL {
            let a = Action::parse(k.as_str()).unwrap();
            assert_eq!(a.kind(), Some(k));
        }
    }

    #[test]
    fn hints_have_distinct_places() {
        let mut seen = std::collections::BTreeSet::new();
        for a in Action::all() {
            if let Some(h) = a.info().hint {
                assert!(seen.insert(h), "two hints at {h}");
            }
        }
    }
}
