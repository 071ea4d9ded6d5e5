//! Actions in the engineer's words: what can be done (sync, promote, abort, silence, …), to
//! what, the request State prepares and an operator runs, and how it ended.
//!
//! There is one operator per platform behind [`Operator`]: the live cluster's (`ops::kube`),
//! Alertmanager's silences (`ops::alertmanager`), composed by action (`ops::router`), and the
//! demo's, which lives with the simulation it drives (`sources::demo`).

use futures::future::BoxFuture;
use std::fmt;

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
    /// Hold the rollout where it is (`spec.paused`), as `kubectl argo rollouts pause` does.
    Pause,
    /// Let a rollout a user paused go on (`spec.paused` off), as Argo CD's `resume` resource
    /// action does.
    Resume,
    /// Go on to the next step, as Argo CD's `skip-current-step` resource action does.
    SkipStep,
    /// Put the previous revision's pod template back, as `kubectl argo rollouts undo` does.
    Undo,
    /// Deploy an application's history revision again, as `argocd app rollback` does (through
    /// the Argo CD API server).
    Rollback,
    /// Silence an alert in Alertmanager.
    Silence,
    /// Expire the silences that mute an alert.
    Expire,
}

impl ActionKind {
    pub const ALL: [ActionKind; 15] = [
        Self::Sync,
        Self::Refresh,
        Self::HardRefresh,
        Self::Promote,
        Self::PromoteFull,
        Self::Abort,
        Self::Retry,
        Self::Restart,
        Self::Pause,
        Self::Resume,
        Self::SkipStep,
        Self::Undo,
        Self::Rollback,
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
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::SkipStep => "skip-step",
            Self::Undo => "undo",
            Self::Rollback => "rollback",
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
            Self::Pause => "Pause rollout",
            Self::Resume => "Resume rollout",
            Self::SkipStep => "Skip the current step",
            Self::Undo => "Roll back rollout",
            Self::Rollback => "Roll back application",
            Self::Silence => "Silence alert",
            Self::Expire => "Expire silence",
        }
    }

    /// Acts on an Argo CD Application (else on a Rollout or an alert).
    pub fn on_app(self) -> bool {
        matches!(
            self,
            Self::Sync | Self::Refresh | Self::HardRefresh | Self::Rollback
        )
    }

    /// Acts on an Alertmanager alert.
    pub fn on_alert(self) -> bool {
        matches!(self, Self::Silence | Self::Expire)
    }

    /// Needs the target's name typed before it runs.
    pub fn needs_typed_confirmation(self) -> bool {
        matches!(
            self,
            Self::Abort | Self::PromoteFull | Self::Undo | Self::Rollback
        )
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncOptions {
    pub prune: bool,
    pub dry_run: bool,
}

/// What an action acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A silence to create (matchers, how long, why) or the silences to expire.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SilenceSpec {
    /// Equality matchers, label = value.
    pub matchers: Vec<(String, String)>,
    pub duration_secs: u64,
    pub comment: String,
    /// Silence ids to expire.
    pub ids: Vec<String>,
}

/// One confirmed action, as State prepared it and the operator runs it.
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
    /// The equivalent CLI command, computed once when the action was prepared: the same text
    /// the confirmation showed and the audit log records.
    pub command: String,
    /// For silence and expire: what to silence, or which silences to expire.
    pub silence: Option<SilenceSpec>,
    /// The OS account that asked: Argo's `initiatedBy`, a silence's `createdBy`, the audit user.
    pub user: String,
    /// Undo: the revision to go back to (`--to-revision`); None: the previous one.
    pub to_revision: Option<i64>,
}

/// Why an action did not happen, in the user's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionError {
    /// The target, as read now, does not allow it (another operation running, nothing to promote).
    Refused(String),
    /// The server refused us: not logged in, or RBAC forbids it.
    Forbidden(String),
    /// The object is gone, or someone else changed it since it was read.
    Conflict(String),
    /// The server rejected the request for another reason.
    Rejected(String),
    /// The server could not be reached, or its answer could not be read.
    Unreachable(String),
    /// This platform cannot do it (no Alertmanager configured, not an action of this target).
    Unsupported(String),
    /// No answer by the deadline: the request may still be applied.
    Unanswered(String),
}

impl ActionError {
    pub fn message(&self) -> &str {
        match self {
            Self::Refused(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::Rejected(m)
            | Self::Unreachable(m)
            | Self::Unsupported(m)
            | Self::Unanswered(m) => m,
        }
    }

    pub fn message_mut(&mut self) -> &mut String {
        match self {
            Self::Refused(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::Rejected(m)
            | Self::Unreachable(m)
            | Self::Unsupported(m)
            | Self::Unanswered(m) => m,
        }
    }
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// What an operator reports back: the state after, in words, or why it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionOutcome {
    pub request: ActionRequest,
    pub result: Result<String, ActionError>,
}

pub trait Operator: Send + Sync {
    /// Runs one action. Never retried automatically by the caller.
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>>;
}

/// The CLI command an engineer would type for the same action.
/// An argocd command's app-namespace, prune and dry-run flags.
fn argocd_flags(mut c: String, ns: &str, argocd_ns: &str, sync: SyncOptions) -> String {
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

pub fn cli_equivalent(
    kind: ActionKind,
    target: &Target,
    argocd_ns: &str,
    sync: SyncOptions,
    silence: Option<&SilenceSpec>,
    to_revision: Option<i64>,
) -> String {
    let n = &target.name;
    let ns = &target.namespace;
    match kind {
        ActionKind::Sync => argocd_flags(format!("argocd app sync {n}"), ns, argocd_ns, sync),
        ActionKind::Refresh => format!("argocd app get {n} --refresh"),
        ActionKind::HardRefresh => format!("argocd app get {n} --hard-refresh"),
        ActionKind::Promote => format!("kubectl argo rollouts promote {n} -n {ns}"),
        ActionKind::PromoteFull => format!("kubectl argo rollouts promote {n} --full -n {ns}"),
        ActionKind::Abort => format!("kubectl argo rollouts abort {n} -n {ns}"),
        ActionKind::Retry => format!("kubectl argo rollouts retry rollout {n} -n {ns}"),
        ActionKind::Restart => format!("kubectl argo rollouts restart {n} -n {ns}"),
        ActionKind::Pause => format!("kubectl argo rollouts pause {n} -n {ns}"),
        // No plugin command for resume: the patch Argo CD's `resume` action makes.
        ActionKind::Resume => format!(
            "kubectl patch rollout {n} -n {ns} --type merge -p '{{\"spec\":{{\"paused\":false}}}}'"
        ),
        ActionKind::SkipStep => {
            format!("kubectl argo rollouts promote {n} -n {ns} --skip-current-step")
        }
        ActionKind::Undo => match to_revision {
            Some(r) => format!("kubectl argo rollouts undo {n} --to-revision {r} -n {ns}"),
            None => format!("kubectl argo rollouts undo {n} -n {ns}"),
        },
        ActionKind::Rollback => {
            let c = format!("argocd app rollback {n} {}", to_revision.unwrap_or(0));
            argocd_flags(c, ns, argocd_ns, sync)
        }
        ActionKind::Silence => {
            let mut c = "amtool silence add".to_string();
            let spec = silence.cloned().unwrap_or_default();
            if spec.matchers.is_empty() {
                c.push_str(&format!(" alertname={}", shell_word(n)));
            }
            for (k, v) in &spec.matchers {
                c.push(' ');
                c.push_str(&shell_word(&format!("{k}={v}")));
            }
            let d = super::time::fmt_secs(spec.duration_secs.max(60));
            c.push_str(&format!(" --duration={d}"));
            c.push_str(&format!(" --comment={}", shell_word(&spec.comment)));
            c
        }
        ActionKind::Expire => {
            let ids = silence.map(|s| s.ids.join(" ")).unwrap_or_default();
            if ids.is_empty() {
                "amtool silence expire".to_string()
            } else {
                format!("amtool silence expire {ids}")
            }
        }
    }
}

/// A word as a POSIX shell reads it back: bare when it is safe, else in single quotes.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@%+".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_read_as_amtool_commands() {
        let target = Target {
            namespace: "dev".into(),
            name: "PodHighCPU".into(),
        };
        let spec = SilenceSpec {
            matchers: vec![
                ("alertname".into(), "PodHighCPU".into()),
                ("pod".into(), "store-6d8f9c7b4-x2x9k".into()),
            ],
            duration_secs: 3600,
            comment: "canary's fault, it's being aborted".into(),
            ids: Vec::new(),
        };
        assert_eq!(
            cli_equivalent(
                ActionKind::Silence,
                &target,
                "argocd",
                SyncOptions::default(),
                Some(&spec),
                None
            ),
            "amtool silence add alertname=PodHighCPU pod=store-6d8f9c7b4-x2x9k --duration=1h \
             --comment='canary'\\''s fault, it'\\''s being aborted'"
        );
        let expire = SilenceSpec {
            ids: vec!["a1-b2".into()],
            ..Default::default()
        };
        assert_eq!(
            cli_equivalent(
                ActionKind::Expire,
                &target,
                "argocd",
                SyncOptions::default(),
                Some(&expire),
                None
            ),
            "amtool silence expire a1-b2"
        );
    }
}
