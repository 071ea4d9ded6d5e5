//! Argo Rollouts canaries, computed as the kubectl plugin computes them (PROTOCOLS §2.4–2.5).

use super::time::fmt_secs;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RolloutPhase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
    #[default]
    Unknown,
}

impl RolloutPhase {
    pub fn parse(s: &str) -> Self {
        match s {
            "Healthy" => Self::Healthy,
            "Progressing" => Self::Progressing,
            "Paused" => Self::Paused,
            "Degraded" => Self::Degraded,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Progressing => "Progressing",
            Self::Paused => "Paused",
            Self::Degraded => "Degraded",
            Self::Unknown => "Unknown",
        }
    }
}

/// One step of `spec.strategy.canary.steps[]`.
#[derive(Clone, Debug, PartialEq)]
pub enum CanaryStep {
    SetWeight(u32),
    /// `pause: {}` waits for promote; a duration (seconds) pauses that long.
    Pause(Option<u64>),
    Analysis(Vec<String>),
    Experiment,
    SetCanaryScale(String),
    Other(String),
}

impl CanaryStep {
    /// The text the plugin prints for a step (`CanaryStepString`).
    pub fn label(&self) -> String {
        match self {
            Self::SetWeight(w) => format!("setWeight: {w}"),
            Self::Pause(None) => "pause".to_string(),
            Self::Pause(Some(s)) => format!("pause: {}", fmt_secs(*s)),
            Self::Analysis(_) => "analysis".to_string(),
            Self::Experiment => "experiment".to_string(),
            Self::SetCanaryScale(s) => format!("setCanaryScale{{{s}}}"),
            Self::Other(s) => s.clone(),
        }
    }
}

/// How a paused rollout goes on: when someone promotes it, or by itself after a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseState {
    /// `pause: {}`: it waits for a promote.
    UntilPromoted,
    /// `pause: {duration}`: it resumes by itself.
    Timed { remaining_secs: u64 },
}

/// The first of `status.pauseConditions[]` (or a manual pause).
#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    pub reason: String,
    pub started_at: DateTime<Utc>,
    /// Seconds, when the pause step has a duration.
    pub duration: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replicas {
    pub desired: u32,
    pub current: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnalysisPhase {
    Pending,
    Running,
    Successful,
    Failed,
    Error,
    Inconclusive,
    #[default]
    Unknown,
}

impl AnalysisPhase {
    pub fn parse(s: &str) -> Self {
        match s {
            "Pending" => Self::Pending,
            "Running" => Self::Running,
            "Successful" => Self::Successful,
            "Failed" => Self::Failed,
            "Error" => Self::Error,
            "Inconclusive" => Self::Inconclusive,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Successful => "Successful",
            Self::Failed => "Failed",
            Self::Error => "Error",
            Self::Inconclusive => "Inconclusive",
            Self::Unknown => "Unknown",
        }
    }
}

/// One measurement of a metric (`status.metricResults[].measurements[]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    pub value: String,
    pub phase: AnalysisPhase,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why an errored measurement errored.
    pub message: String,
}

/// Measurements kept per metric (the newest).
pub const MEASUREMENTS_KEPT: usize = 20;

/// One metric of an AnalysisRun: its spec (conditions, limits, interval, provider) and its
/// result (counters, the newest measurements, the resolved query) — PROTOCOLS §13.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricResult {
    pub name: String,
    pub phase: AnalysisPhase,
    pub successful: u32,
    pub failed: u32,
    pub inconclusive: u32,
    pub error: u32,
    pub consecutive_error: u32,
    pub count: u32,
    pub last_value: String,
    /// `successCondition`.
    pub condition: String,
    pub failure_condition: String,
    /// `failureLimit` (default 0: the first failure fails the metric).
    pub failure_limit: u32,
    /// `inconclusiveLimit` (default 0).
    pub inconclusive_limit: u32,
    /// `consecutiveErrorLimit` (default 4).
    pub consecutive_error_limit: u32,
    /// `interval` in seconds; None measures once.
    pub interval_secs: Option<u64>,
    /// `count` of the spec: measurements planned (None: until the run ends).
    pub planned: Option<u32>,
    /// The provider (`prometheus`, `web`, `job`, `datadog`, …).
    pub provider: String,
    /// `metadata.ResolvedPrometheusQuery`: the query after argument substitution.
    pub resolved_query: String,
    /// Listed in `spec.dryRun`: measured, never fails the run.
    pub dry_run: bool,
    pub message: String,
    /// The newest measurements, oldest first (at most [`MEASUREMENTS_KEPT`]).
    pub measurements: Vec<Measurement>,
}

impl MetricResult {
    /// The counters against their limits, in words.
    pub fn standing(&self) -> String {
        let dry = if self.dry_run {
            " (dry run: it never fails the rollout)"
        } else {
            ""
        };
        let text = match self.phase {
            AnalysisPhase::Failed => format!(
                "failed {} > limit {}: the analysis failed",
                self.failed, self.failure_limit
            ),
            AnalysisPhase::Inconclusive => format!(
                "inconclusive {} > limit {}: waiting for a decision (promote or abort)",
                self.inconclusive, self.inconclusive_limit
            ),
            AnalysisPhase::Error => format!(
                "{} errors in a row > limit {}: the analysis errored",
                self.consecutive_error, self.consecutive_error_limit
            ),
            AnalysisPhase::Successful => format!("passed {} of {}", self.successful, self.count),
            _ => {
                let left = (self.failure_limit + 1).saturating_sub(self.failed);
                let mut t = if left == 1 {
                    "1 more failure fails the analysis".to_string()
                } else {
                    format!("{left} more failures fail the analysis")
                };
                if self.consecutive_error > 0 {
                    t.push_str(&format!(
                        "; {} error{} in a row of {} allowed",
                        self.consecutive_error,
                        if self.consecutive_error == 1 { "" } else { "s" },
                        self.consecutive_error_limit
                    ));
                }
                t
            }
        };
        format!("{text}{dry}")
    }

    /// Seconds until the next measurement is due, while the metric runs.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<i64> {
        if !matches!(self.phase, AnalysisPhase::Running | AnalysisPhase::Pending) {
            return None;
        }
        let every = i64::try_from(self.interval_secs?).ok()?;
        let last = self.measurements.last()?.finished_at?;
        Some(((last - now).num_seconds() + every).max(0))
    }
}

/// What started an AnalysisRun (its `rollout-type` label).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnalysisKind {
    /// `spec.strategy.canary.analysis`: runs beside the steps from `startingStep` on.
    Background,
    /// Blue-green's `prePromotionAnalysis`.
    PrePromotion,
    /// An `analysis` step (its `step-index` label says which).
    Step,
    /// Blue-green's `postPromotionAnalysis`.
    PostPromotion,
    #[default]
    Unknown,
}

impl AnalysisKind {
    pub fn parse(s: &str) -> Self {
        match s {
            "Background" => Self::Background,
            "PrePromotion" => Self::PrePromotion,
            "Step" => Self::Step,
            "PostPromotion" => Self::PostPromotion,
            _ => Self::Unknown,
        }
    }

    /// `background`, `step 2`, `pre-promotion`…, as the cockpit names a run.
    pub fn words(self, step: Option<u32>) -> String {
        match (self, step) {
            (Self::Background, _) => "background".into(),
            (Self::PrePromotion, _) => "pre-promotion".into(),
            (Self::Step, Some(i)) => format!("step {i}"),
            (Self::Step, None) => "step".into(),
            (Self::PostPromotion, _) => "post-promotion".into(),
            (Self::Unknown, _) => "analysis".into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalysisRun {
    pub name: String,
    pub phase: AnalysisPhase,
    pub message: String,
    pub metrics: Vec<MetricResult>,
    pub kind: AnalysisKind,
    /// The step an analysis step's run belongs to (`step-index`).
    pub step: Option<u32>,
}

impl AnalysisRun {
    /// A run that failed, errored or is inconclusive, and counts (not every metric a dry run).
    pub fn stopped_the_rollout(&self) -> bool {
        matches!(
            self.phase,
            AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
        ) && (self.metrics.is_empty() || self.metrics.iter().any(|m| !m.dry_run))
    }

    /// Why it failed, in one line: `background analysis x Failed: success-rate failed 3 >
    /// limit 2: the analysis failed (last 0.81)`, else its message.
    pub fn why(&self) -> String {
        let head = format!(
            "{} analysis {} {}",
            self.kind.words(self.step),
            self.name,
            self.phase.as_str()
        );
        let culprit = self
            .metrics
            .iter()
            .filter(|m| !m.dry_run)
            .find(|m| m.phase == self.phase)
            .or_else(|| {
                self.metrics.iter().filter(|m| !m.dry_run).find(|m| {
                    matches!(
                        m.phase,
                        AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
                    )
                })
            });
        match culprit {
            Some(m) => {
                let last = if m.last_value.is_empty() {
                    String::new()
                } else {
                    format!(" (last {})", m.last_value)
                };
                format!("{head}: {} {}{last}", m.name, m.standing())
            }
            None if !self.message.is_empty() => format!("{head}: {}", self.message),
            None => head,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rollout {
    pub name: String,
    pub namespace: String,
    /// Fields of the wrong type, in words: the object cannot be read, and is not shown as if
    /// it could.
    pub invalid: Option<String>,
    pub steps: Vec<CanaryStep>,
    pub current_step_index: Option<usize>,
    pub phase: RolloutPhase,
    pub message: String,
    /// Desired canary weight (`GetCurrentSetWeight`).
    pub set_weight: u32,
    /// Weight really served to the canary.
    pub actual_weight: u32,
    pub pause: Option<Pause>,
    /// `spec.paused`: held by a user (`kubectl argo rollouts pause`), until resumed.
    pub user_paused: bool,
    pub aborted: bool,
    pub stable_hash: String,
    /// `status.currentPodHash`: the desired (canary) pod-template-hash.
    pub canary_hash: String,
    /// Its pods' label selector in the API's syntax (`app=store,tier in (web)`), from
    /// `spec.selector` (or `status.selector`); empty when it has none.
    pub selector: String,
    pub replicas: Replicas,
    pub analysis: Option<AnalysisRun>,
    /// The revision's other AnalysisRuns (a background run beside a step's, earlier steps',
    /// pre- and post-promotion), background first, then by step.
    pub more_analyses: Vec<AnalysisRun>,
    pub stable_image: String,
    pub canary_image: String,
    pub revision: u32,
    /// `spec.strategy.canary.canaryService` / `stableService` (host-level traffic routing).
    pub canary_service: String,
    pub stable_service: String,
    /// The `version` label `canaryMetadata` / `stableMetadata` put on each track's pods.
    pub canary_version: String,
    pub stable_version: String,
    /// `trafficRouting.istio`: the VirtualServices the controller writes weights to.
    pub istio: Option<super::mesh::IstioRouting>,
}

/// What an image reference says of its version: its tag (`1.5.0`, not a registry's port),
/// the first 12 hex digits of its digest, or `name:latest` without either; `None` without an
/// image.
pub fn image_version(image: &str) -> Option<String> {
    if image.is_empty() {
        return None;
    }
    let name = image.rsplit('/').next().unwrap_or(image);
    Some(match (name.split_once('@'), name.split_once(':')) {
        (Some((_, digest)), _) => digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect(),
        (None, Some((_, tag))) => tag.to_string(),
        (None, None) => format!("{name}:latest"),
    })
}

impl Rollout {
    /// `1.4.2 → 1.5.0`: the stable's image version to the canary's (pod-template hashes
    /// without images).
    pub fn version_change(&self) -> String {
        let v = |image: &str, hash: &str| image_version(image).unwrap_or_else(|| hash.to_string());
        format!(
            "{} → {}",
            v(&self.stable_image, &self.stable_hash),
            v(&self.canary_image, &self.canary_hash)
        )
    }

    /// `"1/5"`, shown only when the index is set and there are steps.
    pub fn step_text(&self) -> Option<String> {
        match self.current_step_index {
            Some(i) if !self.steps.is_empty() => Some(format!("{i}/{}", self.steps.len())),
            _ => None,
        }
    }

    /// The step being executed; none once every step is done (`GetCurrentCanaryStep`).
    pub fn current_step(&self) -> Option<&CanaryStep> {
        let i = self.current_step_index.unwrap_or(0);
        self.steps.get(i)
    }

    /// Fully promoted ⇔ `stableRS == currentPodHash`.
    pub fn is_fully_promoted(&self) -> bool {
        !self.stable_hash.is_empty() && self.stable_hash == self.canary_hash
    }

    /// Every AnalysisRun of the revision: the one the status names first.
    pub fn analyses(&self) -> impl Iterator<Item = &AnalysisRun> {
        self.analysis.iter().chain(&self.more_analyses)
    }

    /// A canary is in flight: not fully promoted and not aborted.
    pub fn canary_active(&self) -> bool {
        !self.is_fully_promoted() && !self.aborted && !self.canary_hash.is_empty()
    }

    /// How the rollout's pause ends, if it is paused.
    pub fn pause_state(&self, now: DateTime<Utc>) -> Option<PauseState> {
        let p = self.pause.as_ref()?;
        Some(match p.duration {
            None => PauseState::UntilPromoted,
            Some(_) => PauseState::Timed {
                remaining_secs: self.pause_remaining(now).unwrap_or(0),
            },
        })
    }

    /// Seconds left of a timed pause at `now` (0 when it is due).
    pub fn pause_remaining(&self, now: DateTime<Utc>) -> Option<u64> {
        let p = self.pause.as_ref()?;
        let d = p.duration?;
        let elapsed = (now - p.started_at).num_seconds().max(0) as u64;
        Some(d.saturating_sub(elapsed))
    }
}

/// `step 1/5 pause`, `step 5/5 (all steps done)`, or the phase for a rollout without steps.
pub fn rollout_before(r: &Rollout) -> String {
    match (r.step_text(), r.current_step()) {
        (Some(s), Some(step)) => format!("step {s} {}", step.label()),
        (Some(s), None) => format!("step {s} (all steps done)"),
        _ => r.phase.as_str().to_string(),
    }
}
