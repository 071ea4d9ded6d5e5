//! A simulated Argo Rollouts controller for one service: canary steps, pauses, analysis,
//! abort, retry, restart, promote and promote-full, as the real controller behaves.

use super::catalog::{Platform, ServiceDef};
use crate::model::*;
use chrono::{DateTime, Duration, Utc};

/// One build of a service.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub tag: String,
    pub hash: String,
    /// A bad build fails requests (the bad-canary scenario).
    pub bad: bool,
    pub pods: Vec<String>,
}

/// Seconds a new set of canary pods needs before traffic shifts.
const WEIGHT_SHIFT_SECS: i64 = 6;
const ANALYSIS_INTERVAL_SECS: i64 = 10;
const ANALYSIS_COUNT: u32 = 3;
const ANALYSIS_FAILURE_LIMIT: u32 = 1;
pub const ANALYSIS_THRESHOLD: f64 = 0.95;

pub struct CanarySim {
    pub def: &'static ServiceDef,
    registry: &'static str,
    pub rollout: Rollout,
    pub stable: Version,
    /// The stable version before the last promotion: what `undo` goes back to.
    pub previous: Option<Version>,
    pub canary: Option<Version>,
    weight_ready_at: Option<DateTime<Utc>>,
    analysis_next: Option<DateTime<Utc>>,
    pub restart_until: Option<DateTime<Utc>>,
    /// When the canary's pods and the stable's were created (None: before the simulation).
    pub canary_since: Option<DateTime<Utc>>,
    pub stable_since: Option<DateTime<Utc>>,
    /// When the canary was last aborted (its `RolloutAborted` event).
    pub aborted_at: Option<DateTime<Utc>>,
}

fn steps_for(def: &ServiceDef) -> Vec<CanaryStep> {
    let mut s = vec![
        CanaryStep::SetWeight(20),
        CanaryStep::Pause(None),
        CanaryStep::SetWeight(50),
    ];
    if def.analysis {
        s.push(CanaryStep::Analysis(vec!["success-rate".to_string()]));
    }
    s.push(CanaryStep::Pause(Some(60)));
    s.push(CanaryStep::SetWeight(100));
    s
}

impl CanarySim {
    pub fn new(platform: &'static Platform, def: &'static ServiceDef, stable: Version) -> Self {
        let steps = steps_for(def);
        let n = steps.len();
        let image = format!("{}/{}:{}", platform.registry, def.name, stable.tag);
        let rollout = Rollout {
            name: def.name.to_string(),
            namespace: platform.namespace_of(def).to_string(),
            steps,
            current_step_index: Some(n),
            phase: RolloutPhase::Healthy,
            message: String::new(),
            set_weight: 100,
            actual_weight: 100,
            pause: None,
            aborted: false,
            stable_hash: stable.hash.clone(),
            canary_hash: stable.hash.clone(),
            replicas: Replicas {
                desired: def.replicas,
                current: def.replicas,
                updated: def.replicas,
                ready: def.replicas,
                available: def.replicas,
            },
            analysis: None,
            stable_image: image.clone(),
            canary_image: image,
            revision: 4,
            selector: format!("app={}", def.name),
            istio: platform.istio_routing(def.name),
            ..Default::default()
        };
        Self {
            def,
            registry: platform.registry,
            rollout,
            stable,
            previous: None,
            canary: None,
            weight_ready_at: None,
            analysis_next: None,
            restart_until: None,
            canary_since: None,
            stable_since: None,
            aborted_at: None,
        }
    }

    pub fn image(&self, v: &Version) -> String {
        format!("{}/{}:{}", self.registry, self.def.name, v.tag)
    }

    /// Share of traffic the canary pods serve now (0–1).
    pub fn canary_share(&self) -> f64 {
        if self.canary.is_some() && !self.rollout.aborted {
            f64::from(self.rollout.actual_weight) / 100.0
        } else {
            0.0
        }
    }

    /// Canary pods running now.
    pub fn canary_pods(&self) -> u32 {
        if self.canary.is_none() || self.rollout.aborted {
            return 0;
        }
        let w = self.rollout.set_weight.max(self.rollout.actual_weight);
        (self.def.replicas * w).div_ceil(100).max(1)
    }

    /// A new revision arrives (auto-sync applied a new image): the canary starts at step 0.
    pub fn start(&mut self, v: Version, now: DateTime<Utc>) {
        self.rollout.canary_hash = v.hash.clone();
        self.rollout.canary_image = self.image(&v);
        self.canary = Some(v);
        self.canary_since = Some(now);
        self.rollout.revision += 1;
        self.rollout.aborted = false;
        self.rollout.analysis = None;
        self.rollout.actual_weight = 0;
        self.enter(0, now);
    }

    fn enter(&mut self, i: usize, now: DateTime<Utc>) {
        let r = &mut self.rollout;
        r.current_step_index = Some(i);
        r.pause = None;
        self.weight_ready_at = None;
        self.analysis_next = None;
        match r.steps.get(i).cloned() {
            None => return self.complete(),
            Some(CanaryStep::SetWeight(w)) => {
                r.set_weight = w;
                self.weight_ready_at = Some(now + Duration::seconds(WEIGHT_SHIFT_SECS));
                r.phase = RolloutPhase::Progressing;
                r.message = "updated replicas are still becoming available".to_string();
            }
            Some(CanaryStep::Pause(d)) => {
                r.pause = Some(Pause {
                    reason: "CanaryPauseStep".to_string(),
                    started_at: now,
                    duration: d,
                });
                r.phase = RolloutPhase::Paused;
                r.message = "CanaryPauseStep".to_string();
            }
            Some(CanaryStep::Analysis(templates)) => {
                let hash = self.rollout.canary_hash.clone();
                let rev = self.rollout.revision;
                let r = &mut self.rollout;
                r.analysis = Some(AnalysisRun {
                    kind: AnalysisKind::Step,
                    step: u32::try_from(i).ok(),
                    name: format!("{}-{hash}-{rev}-{i}", r.name),
                    phase: AnalysisPhase::Running,
                    message: String::new(),
                    metrics: templates
                        .iter()
                        .map(|t| MetricResult {
                            name: t.clone(),
                            phase: AnalysisPhase::Running,
                            condition: format!("result[0] >= {ANALYSIS_THRESHOLD}"),
                            failure_limit: ANALYSIS_FAILURE_LIMIT,
                            consecutive_error_limit: 4,
                            interval_secs: Some(ANALYSIS_INTERVAL_SECS as u64),
                            planned: Some(ANALYSIS_COUNT),
                            provider: "prometheus".into(),
                            resolved_query: format!(
                                "sum(rate(response_total{{namespace=\"{}\",rollouts_pod_template_hash=\"{hash}\",classification=\"success\",direction=\"inbound\"}}[1m])) / sum(rate(response_total{{namespace=\"{}\",rollouts_pod_template_hash=\"{hash}\",direction=\"inbound\"}}[1m]))",
                                r.namespace, r.namespace
                            ),
                            ..MetricResult::default()
                        })
                        .collect(),
                });
                self.analysis_next = Some(now + Duration::seconds(ANALYSIS_INTERVAL_SECS));
                r.phase = RolloutPhase::Progressing;
                r.message = String::new();
            }
            Some(_) => {
                let next = i + 1;
                return self.enter(next, now);
            }
        }
        self.update_replicas();
    }

    fn complete(&mut self) {
        if let Some(v) = self.canary.take() {
            self.stable_since = self.canary_since.take();
            self.rollout.stable_image = self.image(&v);
            self.previous = Some(std::mem::replace(&mut self.stable, v));
        }
        let r = &mut self.rollout;
        r.stable_hash = self.stable.hash.clone();
        r.canary_hash = self.stable.hash.clone();
        r.current_step_index = Some(r.steps.len());
        r.set_weight = 100;
        r.actual_weight = 100;
        r.pause = None;
        r.phase = RolloutPhase::Healthy;
        r.message = String::new();
        self.update_replicas();
    }

    fn update_replicas(&mut self) {
        let d = self.def.replicas;
        let canary = self.canary_pods();
        let r = &mut self.rollout.replicas;
        r.desired = d;
        if self.canary.is_some() && !self.rollout.aborted {
            r.current = d + canary;
            r.updated = canary;
        } else {
            r.current = d;
            r.updated = d;
        }
        r.ready = r.current;
        r.available = r.current;
    }

    /// One simulated second. `canary_success` measures the canary for the analysis.
    pub fn step(&mut self, now: DateTime<Utc>, canary_success: f64) {
        if let Some(until) = self.restart_until {
            if now >= until {
                self.restart_until = None;
                if !self.rollout.aborted && self.canary.is_none() {
                    self.rollout.phase = RolloutPhase::Healthy;
                    self.rollout.message.clear();
                } else {
                    self.refresh_phase_message();
                }
            } else {
                self.rollout.phase = RolloutPhase::Progressing;
                self.rollout.message = "rollout is restarting".to_string();
                return;
            }
        }
        // A user's pause holds every step where it is (the controller reconciles nothing on).
        if self.canary.is_none() || self.rollout.aborted || self.rollout.user_paused {
            return;
        }
        let i = self.rollout.current_step_index.unwrap_or(0);
        match self.rollout.steps.get(i).cloned() {
            Some(CanaryStep::SetWeight(w)) if self.weight_ready_at.is_some_and(|t| now >= t) => {
                self.rollout.actual_weight = w;
                self.enter(i + 1, now);
            }
            Some(CanaryStep::Pause(Some(d))) => {
                if let Some(p) = &self.rollout.pause
                    && (now - p.started_at).num_seconds() >= d as i64
                {
                    self.enter(i + 1, now);
                }
            }
            Some(CanaryStep::Analysis(_)) if self.analysis_next.is_some_and(|t| now >= t) => {
                self.measure(canary_success, now, i);
            }
            _ => {}
        }
    }

    fn measure(&mut self, value: f64, now: DateTime<Utc>, i: usize) {
        let Some(run) = self.rollout.analysis.as_mut() else {
            return;
        };
        let Some(m) = run.metrics.first_mut() else {
            return;
        };
        m.count += 1;
        m.last_value = format!("[{value:.3}]");
        let passed = value >= ANALYSIS_THRESHOLD;
        if passed {
            m.successful += 1;
        } else {
            m.failed += 1;
        }
        m.measurements.push(Measurement {
            value: m.last_value.clone(),
            phase: if passed {
                AnalysisPhase::Successful
            } else {
                AnalysisPhase::Failed
            },
            finished_at: Some(now),
            message: String::new(),
        });
        if m.measurements.len() > MEASUREMENTS_KEPT {
            m.measurements.remove(0);
        }
        if m.failed > ANALYSIS_FAILURE_LIMIT {
            m.phase = AnalysisPhase::Failed;
            run.phase = AnalysisPhase::Failed;
            run.message = format!(
                "Metric \"{}\" assessed Failed due to failed ({}) > failureLimit ({ANALYSIS_FAILURE_LIMIT})",
                m.name, m.failed
            );
            let msg = run.message.clone();
            self.abort_with(&msg);
        } else if m.count >= ANALYSIS_COUNT {
            m.phase = AnalysisPhase::Successful;
            run.phase = AnalysisPhase::Successful;
            self.enter(i + 1, now);
        } else {
            self.analysis_next = Some(now + Duration::seconds(ANALYSIS_INTERVAL_SECS));
        }
    }

    fn abort_with(&mut self, why: &str) {
        let r = &mut self.rollout;
        r.aborted = true;
        r.pause = None;
        r.set_weight = 0;
        r.actual_weight = 0;
        r.phase = RolloutPhase::Degraded;
        r.message = if why.is_empty() {
            format!(
                "RolloutAborted: Rollout aborted update to revision {}",
                r.revision
            )
        } else {
            format!(
                "RolloutAborted: Rollout aborted update to revision {}: {why}",
                r.revision
            )
        };
        if let Some(a) = r.analysis.as_mut()
            && a.phase == AnalysisPhase::Running
        {
            a.phase = AnalysisPhase::Error;
            a.message = "run terminated".to_string();
        }
        self.update_replicas();
    }

    fn refresh_phase_message(&mut self) {
        if self.rollout.aborted {
            return;
        }
        let r = &mut self.rollout;
        if r.user_paused {
            r.phase = RolloutPhase::Paused;
            r.message = "manually paused".to_string();
        } else if r.pause.is_some() {
            r.phase = RolloutPhase::Paused;
            r.message = "CanaryPauseStep".to_string();
        } else if self.canary.is_some() {
            r.phase = RolloutPhase::Progressing;
            r.message.clear();
        }
    }

    pub fn promote(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        self.next_step(now, "promote", "rollout is fully promoted")?;
        Ok(self.describe())
    }

    /// Leaves the current step for the next, a running analysis counted as passed (`by` says
    /// who skipped it); refused when aborted or with no canary (`done` says so).
    fn next_step(&mut self, now: DateTime<Utc>, by: &str, done: &str) -> Result<(), String> {
        if self.rollout.aborted {
            return Err("rollout is aborted; retry it first".to_string());
        }
        if self.canary.is_none() {
            return Err(done.to_string());
        }
        let i = self.rollout.current_step_index.unwrap_or(0);
        if let Some(a) = self.rollout.analysis.as_mut()
            && a.phase == AnalysisPhase::Running
        {
            a.phase = AnalysisPhase::Successful;
            a.message = format!("skipped by {by}");
        }
        self.enter(i + 1, now);
        Ok(())
    }

    pub fn promote_full(&mut self) -> Result<String, String> {
        if self.canary.is_none() {
            return Err("rollout is fully promoted".to_string());
        }
        self.rollout.aborted = false;
        self.complete();
        Ok(self.describe())
    }

    pub fn abort(&mut self) -> Result<String, String> {
        if self.rollout.aborted {
            return Err("rollout is already aborted".to_string());
        }
        if self.canary.is_none() {
            return Err("no canary in progress".to_string());
        }
        self.abort_with("");
        Ok(self.describe())
    }

    pub fn retry(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        if !self.rollout.aborted {
            return Err("rollout is not aborted".to_string());
        }
        self.rollout.aborted = false;
        self.rollout.analysis = None;
        self.enter(0, now);
        Ok(self.describe())
    }

    /// `spec.paused = true`: every step holds until resumed.
    pub fn pause(&mut self) -> Result<String, String> {
        if self.rollout.user_paused {
            return Err("rollout is already paused".to_string());
        }
        self.rollout.user_paused = true;
        self.refresh_phase_message();
        Ok(self.describe())
    }

    /// `spec.paused = false`: the steps go on (a timed pause's clock ran meanwhile).
    pub fn resume(&mut self) -> Result<String, String> {
        if !self.rollout.user_paused {
            return Err("rollout is not paused by a user".to_string());
        }
        self.rollout.user_paused = false;
        self.refresh_phase_message();
        Ok(self.describe())
    }

    /// The next step, whatever the current one waits for (Argo CD's `skip-current-step`).
    pub fn skip_step(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        self.next_step(
            now,
            "skip-current-step",
            "no step left to skip: rollout is fully promoted",
        )?;
        self.refresh_phase_message();
        Ok(self.describe())
    }

    pub fn restart(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        let pods = self.rollout.replicas.current.max(1) as i64;
        self.restart_until = Some(now + Duration::seconds(4 * pods));
        self.rollout.phase = RolloutPhase::Progressing;
        self.rollout.message = "rollout is restarting".to_string();
        Ok(format!("restarting {pods} pods"))
    }

    /// `undo --to-revision N`: the demo keeps its newest two revisions' ReplicaSets, so N is
    /// the second-newest (as `undo`), the newest (already running), or not found — the live
    /// operator's words for each.
    pub fn undo_to(&mut self, to: Option<i64>, now: DateTime<Utc>) -> Result<String, String> {
        let newest = i64::from(self.rollout.revision);
        let (ns, n) = (&self.rollout.namespace, &self.rollout.name);
        match to {
            None => self.undo(now),
            Some(r) if r == newest - 1 => self.undo(now),
            Some(r) if r == newest => Err(format!("{ns}/{n} already runs revision {r}'s template")),
            Some(r) => Err(format!("{ns}/{n} has no ReplicaSet of revision {r}")),
        }
    }

    /// `kubectl argo rollouts undo`: the second-newest revision's template back — stable's
    /// while a canary runs (the controller is at once fully promoted to it), else the one
    /// before the last promotion, which goes through the steps as a canary.
    pub fn undo(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        if self.canary.is_some() {
            self.canary = None;
            self.rollout.revision += 1;
            self.rollout.aborted = false;
            self.rollout.analysis = None;
            self.rollout.user_paused = false;
            self.rollout.canary_image = self.rollout.stable_image.clone();
            self.complete();
            return Ok(self.describe());
        }
        let Some(v) = self.previous.take() else {
            return Err("no earlier revision to go back to".to_string());
        };
        self.start(v, now);
        Ok(self.describe())
    }

    /// The state in the words of the audit log: `step 2/5 setWeight: 50`.
    pub fn describe(&self) -> String {
        let r = &self.rollout;
        if r.aborted {
            return format!("aborted, weight 0%, stable {}", r.stable_hash);
        }
        if r.is_fully_promoted() {
            return format!("fully promoted to {} ({})", r.stable_hash, r.stable_image);
        }
        crate::model::rollout_before(r)
    }
}
