//! What sources and operators tell State, and the health of each source.

use crate::layout::Pane;
use crate::model::*;
use chrono::{DateTime, Utc};

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
    /// Serving, but part of what it reads is failing (ServiceProfiles cannot be listed, so the
    /// routes' policy columns are stale); the reason, in words. Shown `!`, never `✓`.
    Degraded(String),
    /// Not configured or not available in this build; the reason, in words.
    Off(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceStatus {
    pub health: Health,
    /// When the source last delivered good data.
    pub last_ok: Option<DateTime<Utc>>,
}

impl SourceStatus {
    pub const CONNECTING: SourceStatus = SourceStatus {
        health: Health::Connecting,
        last_ok: None,
    };
}

/// How the API server fares beyond what the watches see: with its storage down, reads from
/// the watch caches go on while writes hang.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiServerHealth {
    /// The checks `/readyz` reports failing (`etcd`); empty when it passes or is not read.
    pub failing_checks: Vec<String>,
    /// When an action on it last went unanswered by its deadline; cleared by the next answer.
    pub writes_unanswered: Option<DateTime<Utc>>,
}

impl ApiServerHealth {
    /// Why it is degraded, in words (`etcd failing, writes unanswered`); None when it is not.
    pub fn degraded(&self) -> Option<String> {
        let mut why = Vec::new();
        if !self.failing_checks.is_empty() {
            why.push(format!("{} failing", self.failing_checks.join(", ")));
        }
        if self.writes_unanswered.is_some() {
            why.push("writes unanswered".to_string());
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
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
    /// Boxed: a Rollout is the largest object an update carries.
    RolloutUpserted(Box<Rollout>),
    RolloutDeleted {
        namespace: String,
        name: String,
    },
    Routes(Vec<RouteStats>),
    /// The mesh (or meshes, `linkerd+istio`) the routes come from.
    MeshInUse(String),
    /// The log store the lines come from, with its version (`opensearch 2.11.0`), and the
    /// query it is asked in its own syntax.
    LogStore {
        name: String,
        query: crate::query::LogQuery,
    },
    /// Every VirtualService in scope (a watch's snapshot after each change).
    VirtualServices(Vec<VirtualService>),
    /// Every DestinationRule in scope.
    DestinationRules(Vec<DestinationRule>),
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
    /// The pods of the rollout on screen (its selector's), or why they cannot be read.
    Pods {
        scope: super::PodScope,
        pods: Result<Vec<Pod>, String>,
    },
    /// The events about it (Warnings only unless the scope asks for Normal ones too).
    Events {
        scope: super::PodScope,
        events: Result<Vec<KubeEvent>, String>,
    },
    /// The meshes' trust bundles found (none for a mesh not installed), read again each minute.
    TrustBundles(Vec<TrustBundle>),
    /// Argo CD Image Updater's `ImageUpdater` resources (all of them, at each change), or why
    /// they cannot be read (none served: v0.x).
    ImageUpdaters(Result<Vec<crate::model::ImageUpdater>, super::Unread>),
    /// cert-manager's Certificates (all of them, at each change), or why they cannot be read.
    Certificates(Result<Vec<Certificate>, super::Unread>),
    /// The resource tree of the application whose details are open, or why it cannot be read.
    AppTree {
        namespace: String,
        name: String,
        tree: Result<AppTree, String>,
    },
    /// The object whose YAML view is open, or why it cannot be read.
    Object {
        target: crate::model::ObjectRef,
        view: Result<crate::model::ObjectView, String>,
    },
    /// The diff whose view is open, as asked, or why it cannot be read.
    AppDiff {
        ask: crate::model::DiffAsk,
        diff: Result<crate::model::AppDiff, String>,
    },
    /// Lines of the container log on screen (`reset`: a new read's first answer, replacing
    /// what was held), or why it cannot be read.
    PodLog {
        target: PodLogTarget,
        lines: Result<Vec<LogLine>, String>,
        reset: bool,
    },
    /// The trace whose view is open (`store`: which answered, in words), or why it is not.
    Trace {
        id: String,
        trace: Result<crate::model::trace::Trace, crate::model::trace::TraceMiss>,
        store: String,
    },
    /// The cockpit's worst recent traces, as asked, or why they cannot be searched.
    TraceHits {
        ask: crate::model::trace::TraceSearch,
        hits: Result<Vec<crate::model::trace::TraceHit>, String>,
    },
    /// The cockpit's analysis queries, run again now.
    Replay(Vec<crate::model::replay::Replay>),
    /// The checks the API server's `/readyz` reports failing; empty when it is ready.
    ApiReadiness(Vec<String>),
    /// The data clock: simulated time in the demo.
    Clock(DateTime<Utc>),
    ActionDone(ActionOutcome),
}
