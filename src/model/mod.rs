//! Domain types shared by sources, State and ui, in the words of Argo, Linkerd and the on-call engineer.

pub mod action;
pub mod alert;
pub mod app;
pub mod app_line;
pub mod cert;
pub mod cpu;
pub mod diff;
pub mod latency;
pub mod log;
pub mod mesh;
pub mod object;
pub mod pod;
pub mod replay;
pub mod rollout;
pub mod route;
pub mod stats;
pub mod time;
pub mod trace;

pub use action::{
    ActionError, ActionKind, ActionOutcome, ActionRequest, Operator, SilenceSpec, SyncOptions,
    Target, cli_equivalent,
};
pub use alert::{Alert, AlertState, Severity, Silence};
pub use app::{
    AppResource, AppTree, ArgoApp, HealthStatus, HistoryEntry, ImageRule, ImageUpdateRecord,
    ImageUpdater, Operation, OperationPhase, ResourceResult, SyncStatus,
};
pub use app_line::{AppLine, parse_app_line};
pub use cert::{
    CERT_HORIZON_SECS, CERT_MANAGER_ABSENT, CertState, Certificate, IssuerCheck, TrustBundle,
    X509Info,
};
pub use cpu::{CpuData, CpuSeries};
pub use diff::{AppDiff, Change, DiffAgainst, DiffAsk, DiffLine, LineKind, ResourceDiff};
pub use log::{Level, LogLine, LogRing, REORDER, place};
pub use mesh::{DestinationRule, IstioRouting, MeshWeight, VirtualService, VsRef, mesh_weight};
pub use object::{OBJECT_LINES_KEPT, ObjectRef, ObjectView};
pub use pod::{
    EVENTS_KEPT, KubeEvent, POD_LOG_LINES, Pod, PodLogTarget, PodRole, PodScope, default_container,
    event_is_about,
};
pub use rollout::{
    AnalysisKind, AnalysisPhase, AnalysisRun, CanaryStep, MEASUREMENTS_KEPT, Measurement,
    MetricResult, Pause, PauseState, Replicas, Rollout, RolloutPhase, image_version,
    rollout_before,
};
pub use route::{
    ALL_REQUESTS, MeshNote, RetryBudget, RoutePolicy, RouteSample, RouteStats, RowKind,
    flag_meaning, fmt_rate, fmt_requests,
};

/// Why a watched list could not be had: it failed (the reason), or the cluster does not serve
/// the kind at all (the words for it: cert-manager not installed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unread {
    Failed(String),
    Absent(String),
}

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

/// The workload a pod belongs to, and its pod template hash: pod names are
/// `<workload>-<template hash>-<suffix>` for Deployments and Rollouts, `<workload>-<n>` for
/// StatefulSets. Metrics, logs and alerts name pods; the screen speaks of services.
/// `store-6d8f9c7b4-x2x9k` → (`store`, Some(`6d8f9c7b4`)); `db-0` → (`db`, None).
pub fn service_of_pod(pod: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = pod.split('-').collect();
    let n = parts.len();
    // Kubernetes makes hashes and pod suffixes from an alphabet without vowels (SafeEncodeString).
    let alnum =
        |s: &str| !s.is_empty() && s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c));
    if n >= 3
        && parts[n - 1].len() == 5
        && alnum(parts[n - 1])
        && (5..=10).contains(&parts[n - 2].len())
        && alnum(parts[n - 2])
    {
        return (parts[..n - 2].join("-"), Some(parts[n - 2].to_string()));
    }
    if n >= 2
        && (parts[n - 1].chars().all(|c| c.is_ascii_digit())
            || parts[n - 1].len() == 5 && alnum(parts[n - 1]))
    {
        return (parts[..n - 1].join("-"), None);
    }
    (pod.to_string(), None)
}
