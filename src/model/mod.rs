//! Domain types shared by sources, State and ui, in the words of Argo, Linkerd and the on-call engineer.

pub mod alert;
pub mod app;
pub mod cpu;
pub mod log;
pub mod rollout;
pub mod route;

pub use alert::{Alert, AlertState, Severity};
pub use app::{ArgoApp, HealthStatus, HistoryEntry, Operation, OperationPhase, SyncStatus};
pub use cpu::{CpuData, CpuSeries};
pub use log::{Level, LogLine, LogRing, parse_spring};
pub use rollout::{
    AnalysisPhase, AnalysisRun, CanaryStep, MetricResult, Pause, Replicas, Rollout, RolloutPhase,
};
pub use route::{MeshNote, RetryBudget, RouteSample, RouteStats};

/// Which set of pods of a canary rollout a number or a log line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Track {
    Stable,
    Canary,
}

impl Track {
    pub fn as_str(self) -> &'static str {
        match self {
            Track::Stable => "stable",
            Track::Canary => "canary",
        }
    }
}
