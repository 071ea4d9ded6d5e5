//! Operators run the actions (sync, refresh, promote, abort, …) and report the outcome.
//!
//! There is one operator per platform behind [`Operator`]: [`kube::KubeOperator`] here, and the
//! demo's, which lives with the simulation it drives (`sources::demo::DemoOperator`). State only
//! builds [`ActionRequest`]s, and the loop hands them to the operator in a task.

pub mod audit;
pub mod kube;

use futures::future::BoxFuture;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Sync,
    Refresh,
    HardRefresh,
    Promote,
    PromoteFull,
    Abort,
    Retry,
    Restart,
    /// Silence an alert in Alertmanager.
    Silence,
    /// Expire the silences that mute an alert.
    Expire,
}

impl ActionKind {
    pub const ALL: [ActionKind; 10] = [
        Self::Sync,
        Self::Refresh,
        Self::HardRefresh,
        Self::Promote,
        Self::PromoteFull,
        Self::Abort,
        Self::Retry,
        Self::Restart,
        Self::Silence,
        Self::Expire,
    ];

    /// The verb as the audit log and the keymap write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Refresh => "refresh",
            Self::HardRefresh => "hard-refresh",
            Self::Promote => "promote",
            Self::PromoteFull => "promote-full",
            Self::Abort => "abort",
            Self::Retry => "retry",
            Self::Restart => "restart",
            Self::Silence => "silence",
            Self::Expire => "expire-silence",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Sync => "Sync application",
            Self::Refresh => "Refresh application",
            Self::HardRefresh => "Hard refresh application",
            Self::Promote => "Promote rollout",
            Self::PromoteFull => "Promote rollout fully",
            Self::Abort => "Abort rollout",
            Self::Retry => "Retry rollout",
            Self::Restart => "Restart rollout",
            Self::Silence => "Silence alert",
            Self::Expire => "Expire silence",
        }
    }

    /// Acts on an Argo CD Application (else on a Rollout).
    pub fn on_app(self) -> bool {
        matches!(self, Self::Sync | Self::Refresh | Self::HardRefresh)
    }

    /// Acts on an Alertmanager alert.
    pub fn on_alert(self) -> bool {
        matches!(self, Self::Silence | Self::Expire)
    }

    /// Needs the target's name typed before it runs.
    pub fn needs_typed_confirmation(self) -> bool {
        matches!(self, Self::Abort | Self::PromoteFull)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncOptions {
    pub prune: bool,
    pub dry_run: bool,
}

/// What an action acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionRequest {
    pub id: u64,
    pub kind: ActionKind,
    pub target: Target,
    pub sync: SyncOptions,
    /// The state before, in words (`step 1/5 pause`).
    pub before: String,
    /// What it will do, in words (`store: step 1/5 pause → setWeight: 50`).
    pub effect: String,
    /// The equivalent CLI command.
    pub command: String,
    /// For silence and expire: what to silence, or which silences to expire.
    pub silence: Option<SilenceSpec>,
}

/// A silence to create (matchers, how long, why) or the silences to expire.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SilenceSpec {
    /// Equality matchers, label = value.
    pub matchers: Vec<(String, String)>,
    pub duration_secs: u64,
    pub comment: String,
    /// The user, as `createdBy`.
    pub created_by: String,
    /// Silence ids to expire.
    pub ids: Vec<String>,
}

/// What an operator reports back: the state after, or why it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionOutcome {
    pub request: ActionRequest,
    pub result: Result<String, String>,
}

pub trait Operator: Send + Sync {
    /// Runs one action. Never retried automatically by the caller.
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, String>>;
}

/// The CLI command an engineer would type for the same action.
pub fn cli_equivalent(
    kind: ActionKind,
    target: &Target,
    argocd_ns: &str,
    sync: SyncOptions,
) -> String {
    let n = &target.name;
    let ns = &target.namespace;
    match kind {
        ActionKind::Sync => {
            let mut c = format!("argocd app sync {n}");
            if argocd_ns != ns {
                c.push_str(&format!(" --app-namespace {ns}"));
            }
            if sync.prune {
                c.push_str(" --prune");
            }
            if sync.dry_run {
                c.push_str(" --dry-run");
            }
            c
        }
        ActionKind::Refresh => format!("argocd app get {n} --refresh"),
        ActionKind::HardRefresh => format!("argocd app get {n} --hard-refresh"),
        ActionKind::Promote => format!("kubectl argo rollouts promote {n} -n {ns}"),
        ActionKind::PromoteFull => format!("kubectl argo rollouts promote {n} --full -n {ns}"),
        ActionKind::Abort => format!("kubectl argo rollouts abort {n} -n {ns}"),
        ActionKind::Retry => format!("kubectl argo rollouts retry rollout {n} -n {ns}"),
        ActionKind::Restart => format!("kubectl argo rollouts restart {n} -n {ns}"),
        ActionKind::Silence => format!("amtool silence add alertname={n} --duration=… --comment=…"),
        ActionKind::Expire => "amtool silence expire ID…".to_string(),
    }
}
