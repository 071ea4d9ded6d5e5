//! Applications, Rollouts, ReplicaSets and AnalysisRuns from raw API JSON into `model/`,
//! computed as `argocd` and the Argo Rollouts kubectl plugin compute them (PROTOCOLS §1, §2).
//! Missing fields become Unknown/empty; a field of the wrong type marks the object invalid (shown
//! as `✗ Invalid` with the reason, never as a healthy-looking default, and not acted on); only
//! an object without a name is rejected.

use crate::model::*;
use crate::net::json::*;
use serde_json::Value;

/// A `LabelSelector` (`matchLabels`, `matchExpressions`) in the API's query syntax:
/// `app=store,tier in (web,api),!canary`. None without one, or when a key or value is not a
/// label's characters: a selector opsdeck cannot write exactly is not widened or guessed at.
pub fn label_selector(sel: Option<&Value>) -> Option<String> {
    let sel = sel?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 317
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    };
    let mut parts = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            let v = v.as_str()?;
            // An empty value is a label's allowed value, but `k=` reads badly: kept exact.
            if !ok(k) || !(v.is_empty() || ok(v)) {
                return None;
            }
            parts.push(format!("{k}={v}"));
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let k = e.get("key").and_then(Value::as_str)?;
        if !ok(k) {
            return None;
        }
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if values.iter().any(|v| !ok(v)) {
            return None;
        }
        let list = values.join(",");
        parts.push(match e.get("operator").and_then(Value::as_str)? {
            "In" if !values.is_empty() => format!("{k} in ({list})"),
            "NotIn" if !values.is_empty() => format!("{k} notin ({list})"),
            "Exists" => k.to_string(),
            "DoesNotExist" => format!("!{k}"),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Argo CD Image Updater's annotations: the images (`[alias=]image[:constraint]`, comma
/// separated), each alias's `update-strategy`, and the `write-back-method`.
pub fn image_updater(obj: &Value) -> (Vec<ImageRule>, String) {
    const P: &str = "argocd-image-updater.argoproj.io/";
    let ann = |k: &str| str_at(obj, &["metadata", "annotations", &format!("{P}{k}")]);
    let rules = ann("image-list")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (alias, image) = item.split_once('=').unwrap_or(("", item));
            // `registry:5000/app:~1.5`: a constraint follows the last `:` that no `/` follows
            // (the one before `5000/app` is the registry's port).
            let (image, constraint) = match image.rsplit_once(':') {
                Some((i, c)) if !c.contains('/') => (i, c),
                _ => (image, ""),
            };
            let strategy = match ann(&format!("{alias}.update-strategy")) {
                "" => "semver",
                "latest" => "newest-build",
                "name" => "alphabetical",
                s => s,
            };
            ImageRule {
                alias: alias.to_string(),
                image: image.to_string(),
                constraint: constraint.to_string(),
                strategy: strategy.to_string(),
            }
        })
        .collect::<Vec<_>>();
    let write_back = if rules.is_empty() {
        String::new()
    } else {
        match ann("write-back-method") {
            "" => "argocd".to_string(),
            m => m.to_string(),
        }
    };
    (rules, write_back)
}

/// An Application's resource tree: `status.resources` and the last sync's per-resource results
/// (PROTOCOLS §1.3); read for the application on screen only, so the list keeps none of it.
pub fn parse_app_tree(obj: &Value) -> Result<AppTree, String> {
    name_of(obj, "Application")?;
    let s = |v: &Value, k: &str| str_at(v, &[k]).to_string();
    let resources = array_at(obj, &["status", "resources"])
        .iter()
        .map(|r| AppResource {
            group: s(r, "group"),
            kind: s(r, "kind"),
            namespace: s(r, "namespace"),
            name: s(r, "name"),
            sync: SyncStatus::parse(str_at(r, &["status"])),
            health: at(r, &["health", "status"])
                .and_then(Value::as_str)
                .map(HealthStatus::parse),
            health_message: str_at(r, &["health", "message"]).to_string(),
            hook: bool_at(r, &["hook"]),
            requires_pruning: bool_at(r, &["requiresPruning"]),
            wave: int_at(r, &["syncWave"])
                .unwrap_or(0)
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        })
        .collect();
    let results = array_at(
        obj,
        &["status", "operationState", "syncResult", "resources"],
    )
    .iter()
    .map(|r| ResourceResult {
        group: s(r, "group"),
        kind: s(r, "kind"),
        namespace: s(r, "namespace"),
        name: s(r, "name"),
        status: s(r, "status"),
        message: s(r, "message"),
        hook_type: s(r, "hookType"),
        hook_phase: s(r, "hookPhase"),
        sync_phase: s(r, "syncPhase"),
    })
    .collect();
    Ok(AppTree {
        resources,
        results,
        health_source: str_at(obj, &["status", "resourceHealthSource"]).to_string(),
    })
}

pub fn parse_application(obj: &Value) -> Result<ArgoApp, String> {
    let (namespace, name) = name_of(obj, "Application")?;
    let source = at(obj, &["spec", "source"])
        .or_else(|| array_at(obj, &["spec", "sources"]).first())
        .cloned()
        .unwrap_or(Value::Null);
    let path = str_at(&source, &["path"]);
    let chart = str_at(&source, &["chart"]);
    let target = str_at(&source, &["targetRevision"]);
    let revision = match str_at(obj, &["status", "sync", "revision"]) {
        "" => array_at(obj, &["status", "sync", "revisions"])
            .first()
            .and_then(Value::as_str)
            .unwrap_or(""),
        r => r,
    };
    let op = at(obj, &["status", "operationState"]).map(|o| Operation {
        phase: OperationPhase::parse(str_at(o, &["phase"])),
        message: str_at(o, &["message"]).to_string(),
        started_at: time_at(o, &["startedAt"]).unwrap_or_default(),
        finished_at: time_at(o, &["finishedAt"]),
        initiated_by: if bool_at(o, &["operation", "initiatedBy", "automated"]) {
            "automated".to_string()
        } else {
            str_at(o, &["operation", "initiatedBy", "username"]).to_string()
        },
    });
    let automated = at(obj, &["spec", "syncPolicy", "automated"])
        .is_some_and(|a| at(a, &["enabled"]).and_then(Value::as_bool) != Some(false));
    let invalid = invalid_application(obj);
    if let Some(why) = &invalid {
        tracing::warn!("Application {namespace}/{name} cannot be read: {why}");
    }
    let (image_updater, write_back) = image_updater(obj);
    Ok(ArgoApp {
        name,
        namespace,
        health: if invalid.is_some() {
            HealthStatus::Unknown
        } else {
            HealthStatus::parse(str_at(obj, &["status", "health", "status"]))
        },
        invalid,
        project: match str_at(obj, &["spec", "project"]) {
            "" => "default".to_string(),
            p => p.to_string(),
        },
        sync: SyncStatus::parse(str_at(obj, &["status", "sync", "status"])),
        health_message: str_at(obj, &["status", "health", "message"]).to_string(),
        revision: revision.to_string(),
        target_revision: if target.is_empty() {
            "HEAD".into()
        } else {
            target.into()
        },
        repo: str_at(&source, &["repoURL"]).to_string(),
        source: if chart.is_empty() {
            path.into()
        } else {
            chart.into()
        },
        destination_namespace: str_at(obj, &["spec", "destination", "namespace"]).to_string(),
        sync_wave: str_at(
            obj,
            &["metadata", "annotations", "argocd.argoproj.io/sync-wave"],
        )
        .trim()
        .parse()
        .unwrap_or(0),
        auto_sync: automated,
        operation: op,
        operation_requested: at(obj, &["operation"]).is_some(),
        image_updater,
        write_back,
        images: array_at(obj, &["status", "summary", "images"])
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        history: array_at(obj, &["status", "history"])
            .iter()
            .map(|h| HistoryEntry {
                id: int_at(h, &["id"]).unwrap_or(0),
                revision: match str_at(h, &["revision"]) {
                    "" => array_at(h, &["revisions"])
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    r => r.to_string(),
                },
                deployed_at: time_at(h, &["deployedAt"]).unwrap_or_default(),
            })
            .collect(),
        reconciled_at: time_at(obj, &["status", "reconciledAt"]),
    })
}

fn parse_step(s: &Value) -> CanaryStep {
    if let Some(w) = int_at(s, &["setWeight"]) {
        return CanaryStep::SetWeight(w.clamp(0, 100) as u32);
    }
    if let Some(p) = s.get("pause") {
        return CanaryStep::Pause(p.get("duration").and_then(duration_secs));
    }
    if let Some(a) = at(s, &["analysis"]) {
        let names = array_at(a, &["templates"])
            .iter()
            .map(|t| str_at(t, &["templateName"]).to_string())
            .collect();
        return CanaryStep::Analysis(names);
    }
    if at(s, &["experiment"]).is_some() {
        return CanaryStep::Experiment;
    }
    if let Some(c) = at(s, &["setCanaryScale"]) {
        let what = if let Some(w) = int_at(c, &["weight"]) {
            format!("weight: {w}")
        } else if let Some(r) = int_at(c, &["replicas"]) {
            format!("replicas: {r}")
        } else {
            "matchTrafficWeight: true".to_string()
        };
        return CanaryStep::SetCanaryScale(what);
    }
    if let Some(h) = at(s, &["setHeaderRoute"]) {
        return CanaryStep::Other(format!("setHeaderRoute: {}", str_at(h, &["name"])));
    }
    if let Some(m) = at(s, &["setMirrorRoute"]) {
        return CanaryStep::Other(format!("setMirrorRoute: {}", str_at(m, &["name"])));
    }
    if let Some(p) = at(s, &["plugin"]) {
        return CanaryStep::Other(format!("plugin: {}", str_at(p, &["name"])));
    }
    CanaryStep::Other("unknown step".into())
}

/// `GetRolloutPhase` of the plugin: the status shown by `kubectl argo rollouts get`.
fn displayed_phase(obj: &Value) -> (RolloutPhase, String) {
    let st = at(obj, &["status"]).cloned().unwrap_or(Value::Null);
    let generation = int_at(obj, &["metadata", "generation"]);
    if let (Some(observed), Some(g)) = (int_at(&st, &["observedGeneration"]), generation)
        && observed < g
    {
        return (
            RolloutPhase::Progressing,
            "waiting for rollout spec update to be observed".into(),
        );
    }
    let pause_conditions = array_at(&st, &["pauseConditions"]);
    if bool_at(&st, &["controllerPause"]) && pause_conditions.is_empty() {
        return (
            RolloutPhase::Progressing,
            "waiting for rollout to unpause".into(),
        );
    }
    if at(obj, &["spec", "workloadRef"]).is_some() {
        let want = str_at(
            obj,
            &[
                "metadata",
                "annotations",
                "rollout.argoproj.io/workload-generation",
            ],
        );
        let seen = str_at(&st, &["workloadObservedGeneration"]);
        if want != seen {
            return (
                RolloutPhase::Progressing,
                "waiting for rollout spec update to be observed".into(),
            );
        }
    }
    let phase = str_at(&st, &["phase"]);
    if !phase.is_empty() {
        return (
            RolloutPhase::parse(phase),
            str_at(&st, &["message"]).to_string(),
        );
    }
    // CalculateRolloutPhase, as the controller fills `phase`.
    let conditions = array_at(&st, &["conditions"]);
    for c in conditions {
        if str_at(c, &["type"]) == "InvalidSpec" {
            return (
                RolloutPhase::Degraded,
                format!("InvalidSpec: {}", str_at(c, &["message"])),
            );
        }
    }
    for c in conditions {
        let reason = str_at(c, &["reason"]);
        if reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded" {
            return (
                RolloutPhase::Degraded,
                format!("{reason}: {}", str_at(c, &["message"])),
            );
        }
    }
    if bool_at(obj, &["spec", "paused"]) {
        return (RolloutPhase::Paused, "manually paused".into());
    }
    if let Some(p) = pause_conditions.first() {
        return (RolloutPhase::Paused, str_at(p, &["reason"]).to_string());
    }
    let restart_at = str_at(obj, &["spec", "restartAt"]);
    if !restart_at.is_empty() && restart_at != str_at(&st, &["restartedAt"]) {
        return (RolloutPhase::Progressing, "rollout is restarting".into());
    }
    let desired = int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let updated = int_at(&st, &["updatedReplicas"]).unwrap_or(0);
    let available = int_at(&st, &["availableReplicas"]).unwrap_or(0);
    let replicas = int_at(&st, &["replicas"]).unwrap_or(0);
    if updated < desired {
        return (
            RolloutPhase::Progressing,
            "more replicas need to be updated".into(),
        );
    }
    if available < updated {
        return (
            RolloutPhase::Progressing,
            "updated replicas are still becoming available".into(),
        );
    }
    let traffic_routing = at(obj, &["spec", "strategy", "canary", "trafficRouting"]).is_some();
    if at(obj, &["spec", "strategy", "canary"]).is_some() && !traffic_routing && replicas > updated
    {
        return (
            RolloutPhase::Progressing,
            "old replicas are pending termination".into(),
        );
    }
    let stable = stable_hash(&st);
    if stable.is_empty() || stable != str_at(&st, &["currentPodHash"]) {
        return (
            RolloutPhase::Progressing,
            "waiting for all steps to complete".into(),
        );
    }
    (RolloutPhase::Healthy, String::new())
}

/// `status.stableRS`, or the pre-1.0 `status.canary.stableRS`.
fn stable_hash(st: &Value) -> &str {
    match str_at(st, &["stableRS"]) {
        "" => str_at(st, &["canary", "stableRS"]),
        s => s,
    }
}

fn pod_hash(rs: &Value) -> &str {
    str_at(rs, &["metadata", "labels", "rollouts-pod-template-hash"])
}

fn first_image(v: &Value, path: &[&str]) -> String {
    array_at(v, path)
        .first()
        .map(|c| str_at(c, &["image"]).to_string())
        .unwrap_or_default()
}

/// An AnalysisRun: each metric's spec (conditions, limits, interval, provider, dry run) beside
/// its result (counters, the newest measurements, the resolved query) — PROTOCOLS §13.
pub fn parse_analysis_run(obj: &Value) -> Result<AnalysisRun, String> {
    let (_, name) = name_of(obj, "AnalysisRun")?;
    let specs = array_at(obj, &["spec", "metrics"]);
    let dry: Vec<&str> = array_at(obj, &["spec", "dryRun"])
        .iter()
        .map(|d| str_at(d, &["metricName"]))
        .collect();
    let metrics = array_at(obj, &["status", "metricResults"])
        .iter()
        .map(|m| {
            let mname = str_at(m, &["name"]).to_string();
            let spec = specs.iter().find(|s| str_at(s, &["name"]) == mname);
            let sp = |path: &[&str]| spec.map_or("", |s| str_at(s, path)).to_string();
            let all = array_at(m, &["measurements"]);
            let measurements: Vec<Measurement> = all[all.len().saturating_sub(MEASUREMENTS_KEPT)..]
                .iter()
                .map(|x| Measurement {
                    value: str_at(x, &["value"]).to_string(),
                    phase: AnalysisPhase::parse(str_at(x, &["phase"])),
                    finished_at: time_at(x, &["finishedAt"]),
                    message: str_at(x, &["message"]).to_string(),
                })
                .collect();
            MetricResult {
                condition: sp(&["successCondition"]),
                failure_condition: sp(&["failureCondition"]),
                failure_limit: spec.map_or(0, |s| u32_at(s, &["failureLimit"], 0)),
                inconclusive_limit: spec.map_or(0, |s| u32_at(s, &["inconclusiveLimit"], 0)),
                consecutive_error_limit: spec
                    .map_or(4, |s| u32_at(s, &["consecutiveErrorLimit"], 4)),
                interval_secs: spec
                    .and_then(|s| at(s, &["interval"]))
                    .and_then(duration_secs),
                planned: spec
                    .and_then(|s| int_at(s, &["count"]))
                    .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32),
                provider: spec
                    .and_then(|s| at(s, &["provider"]))
                    .and_then(Value::as_object)
                    .and_then(|p| p.keys().next().cloned())
                    .unwrap_or_default(),
                resolved_query: str_at(m, &["metadata", "ResolvedPrometheusQuery"])
                    .trim()
                    .to_string(),
                dry_run: dry.iter().any(|d| *d == mname || *d == ".*"),
                phase: AnalysisPhase::parse(str_at(m, &["phase"])),
                successful: u32_at(m, &["successful"], 0),
                failed: u32_at(m, &["failed"], 0),
                inconclusive: u32_at(m, &["inconclusive"], 0),
                error: u32_at(m, &["error"], 0),
                consecutive_error: u32_at(m, &["consecutiveError"], 0),
                count: u32_at(m, &["count"], 0),
                last_value: all
                    .last()
                    .map(|l| str_at(l, &["value"]).to_string())
                    .unwrap_or_default(),
                message: str_at(m, &["message"]).to_string(),
                measurements,
                name: mname,
            }
        })
        .collect();
    Ok(AnalysisRun {
        name,
        phase: AnalysisPhase::parse(str_at(obj, &["status", "phase"])),
        message: str_at(obj, &["status", "message"]).to_string(),
        metrics,
        kind: AnalysisKind::parse(str_at(obj, &["metadata", "labels", "rollout-type"])),
        step: str_at(obj, &["metadata", "labels", "step-index"])
            .parse::<u32>()
            .ok(),
    })
}

/// The most AnalysisRuns shown per rollout besides the one its status names.
const MORE_ANALYSES: usize = 8;

/// A Rollout with the ReplicaSets and AnalysisRuns of its namespace, as the plugin shows it.
pub fn parse_rollout<'a>(
    obj: &Value,
    replica_sets: impl IntoIterator<Item = &'a Value>,
    analysis_runs: impl IntoIterator<Item = &'a Value>,
) -> Result<Rollout, String> {
    let (namespace, name) = name_of(obj, "Rollout")?;
    let st = at(obj, &["status"]).cloned().unwrap_or(Value::Null);
    let canary = at(obj, &["spec", "strategy", "canary"]);
    let steps: Vec<CanaryStep> = canary
        .map(|c| array_at(c, &["steps"]).iter().map(parse_step).collect())
        .unwrap_or_default();
    let index = int_at(&st, &["currentStepIndex"]).map(|i| i.max(0) as usize);
    // GetCurrentCanaryStep: none without steps or past the last one.
    let current = if steps.is_empty() {
        None
    } else {
        steps.get(index.unwrap_or(0))
    };
    let max_weight = canary
        .map_or(100, |c| {
            u32_at(c, &["trafficRouting", "maxTrafficWeight"], 100)
        })
        .max(1);
    let aborted = bool_at(&st, &["abort"]);
    let set_weight = if aborted {
        0
    } else if current.is_none() {
        max_weight
    } else {
        let i = index.unwrap_or(0).min(steps.len() - 1);
        steps[..=i]
            .iter()
            .rev()
            .find_map(|s| match s {
                CanaryStep::SetWeight(w) => Some(*w),
                _ => None,
            })
            .unwrap_or(0)
    };
    let stable = stable_hash(&st).to_string();
    let current_hash = str_at(&st, &["currentPodHash"]).to_string();
    let uid = str_at(obj, &["metadata", "uid"]);
    let owned: Vec<&Value> = replica_sets
        .into_iter()
        .filter(|rs| {
            str_at(rs, &["metadata", "namespace"]) == namespace
                && array_at(rs, &["metadata", "ownerReferences"])
                    .iter()
                    .any(|o| !uid.is_empty() && str_at(o, &["uid"]) == uid)
        })
        .collect();
    let available = u32_at(&st, &["availableReplicas"], 0);
    let traffic_routing = canary.and_then(|c| at(c, &["trafficRouting"])).is_some();
    let canary_available = owned
        .iter()
        .find(|rs| pod_hash(rs) == current_hash && pod_hash(rs) != stable)
        .map_or(0, |rs| u32_at(rs, &["status", "availableReplicas"], 0));
    let actual_weight = if current.is_none() {
        max_weight
    } else if available == 0 {
        0
    } else if traffic_routing {
        // A weight is a share of max: more than that is not a weight (a hostile or broken
        // status), shown at most as the whole.
        u32_at(&st, &["canary", "weights", "canary", "weight"], set_weight).min(max_weight)
    } else {
        canary_available
            .saturating_mul(max_weight)
            .checked_div(available)
            .unwrap_or(0)
    };
    let (phase, message) = displayed_phase(obj);
    let pause = array_at(&st, &["pauseConditions"]).first().map(|p| Pause {
        reason: str_at(p, &["reason"]).to_string(),
        started_at: time_at(p, &["startTime"]).unwrap_or_default(),
        duration: match current {
            Some(CanaryStep::Pause(d)) => *d,
            _ => None,
        },
    });
    // The runs of this namespace: the status names the current step's and the background
    // one; the rest of the revision's are found by owner and pod-template hash.
    let runs: Vec<&Value> = analysis_runs
        .into_iter()
        .filter(|r| str_at(r, &["metadata", "namespace"]) == namespace)
        .collect();
    let named = |status: &Value, kind: AnalysisKind| {
        let run_name = str_at(status, &["name"]);
        runs.iter()
            .find(|r| str_at(r, &["metadata", "name"]) == run_name)
            .and_then(|r| parse_analysis_run(r).ok())
            .unwrap_or_else(|| AnalysisRun {
                name: run_name.to_string(),
                phase: AnalysisPhase::parse(str_at(status, &["status"])),
                message: str_at(status, &["message"]).to_string(),
                kind,
                ..AnalysisRun::default()
            })
    };
    let step_run =
        at(&st, &["canary", "currentStepAnalysisRunStatus"]).map(|a| named(a, AnalysisKind::Step));
    let background = at(&st, &["canary", "currentBackgroundAnalysisRunStatus"])
        .map(|a| named(a, AnalysisKind::Background));
    let (analysis, mut more_analyses) = match (step_run, background) {
        (Some(s), b) => (Some(s), b.into_iter().collect::<Vec<_>>()),
        (None, b) => (b, Vec::new()),
    };
    let owned_run = |r: &&&Value| {
        array_at(r, &["metadata", "ownerReferences"])
            .iter()
            .any(|o| {
                str_at(o, &["kind"]) == "Rollout"
                    && if uid.is_empty() {
                        str_at(o, &["name"]) == name
                    } else {
                        str_at(o, &["uid"]) == uid
                    }
            })
            && !current_hash.is_empty()
            && str_at(r, &["metadata", "labels", "rollouts-pod-template-hash"]) == current_hash
    };
    for r in runs.iter().filter(owned_run) {
        let rname = str_at(r, &["metadata", "name"]);
        let known = analysis
            .iter()
            .chain(&more_analyses)
            .any(|a| a.name == rname);
        if !known && let Ok(a) = parse_analysis_run(r) {
            more_analyses.push(a);
        }
    }
    more_analyses.sort_by(|a, b| (a.kind, a.step, &a.name).cmp(&(b.kind, b.step, &b.name)));
    more_analyses.truncate(MORE_ANALYSES);
    let stable_rs = owned.iter().find(|rs| pod_hash(rs) == stable);
    let canary_image = first_image(obj, &["spec", "template", "spec", "containers"]);
    let istio = canary
        .and_then(|c| at(c, &["trafficRouting", "istio"]))
        .map(|i| parse_istio_routing(i, &namespace));
    let invalid = invalid_rollout(obj);
    if let Some(why) = &invalid {
        tracing::warn!("Rollout {namespace}/{name} cannot be read: {why}");
    }
    let (phase, message) = match &invalid {
        Some(why) => (RolloutPhase::Unknown, format!("invalid: {why}")),
        None => (phase, message),
    };
    Ok(Rollout {
        name,
        namespace,
        invalid,
        current_step_index: if steps.is_empty() { None } else { index },
        steps,
        phase,
        message,
        set_weight,
        actual_weight,
        pause,
        user_paused: bool_at(obj, &["spec", "paused"]),
        aborted,
        stable_hash: stable,
        canary_hash: current_hash,
        selector: label_selector(at(obj, &["spec", "selector"]))
            .unwrap_or_else(|| str_at(&st, &["selector"]).to_string()),
        replicas: Replicas {
            desired: u32_at(obj, &["spec", "replicas"], 1),
            current: u32_at(&st, &["replicas"], 0),
            updated: u32_at(&st, &["updatedReplicas"], 0),
            ready: u32_at(&st, &["readyReplicas"], 0),
            available,
        },
        analysis,
        more_analyses,
        stable_image: stable_rs
            .map(|rs| first_image(rs, &["spec", "template", "spec", "containers"]))
            .unwrap_or_else(|| canary_image.clone()),
        canary_image,
        revision: str_at(
            obj,
            &["metadata", "annotations", "rollout.argoproj.io/revision"],
        )
        .parse()
        .unwrap_or(0),
        canary_service: canary
            .map_or("", |c| str_at(c, &["canaryService"]))
            .to_string(),
        stable_service: canary
            .map_or("", |c| str_at(c, &["stableService"]))
            .to_string(),
        canary_version: canary
            .map_or("", |c| str_at(c, &["canaryMetadata", "labels", "version"]))
            .to_string(),
        stable_version: canary
            .map_or("", |c| str_at(c, &["stableMetadata", "labels", "version"]))
            .to_string(),
        istio,
    })
}

/// `trafficRouting.istio`: one `virtualService` or several `virtualServices`, each
/// `name[.namespace]` with the routes the controller writes; the DestinationRule's subsets.
fn parse_istio_routing(i: &Value, namespace: &str) -> IstioRouting {
    let one = at(i, &["virtualService"]).into_iter();
    let many = array_at(i, &["virtualServices"]).iter();
    let virtual_services = one
        .chain(many)
        .filter_map(|v| {
            let full = str_at(v, &["name"]);
            if full.is_empty() {
                return None;
            }
            let (name, ns) = full.split_once('.').unwrap_or((full, namespace));
            Some(VsRef {
                namespace: ns.to_string(),
                name: name.to_string(),
                routes: array_at(v, &["routes"])
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect(),
            })
        })
        .collect();
    IstioRouting {
        virtual_services,
        destination_rule: str_at(i, &["destinationRule", "name"]).to_string(),
        canary_subset: str_at(i, &["destinationRule", "canarySubsetName"]).to_string(),
        stable_subset: str_at(i, &["destinationRule", "stableSubsetName"]).to_string(),
    }
}

/// What of a Rollout is of the wrong type, if anything.
fn invalid_rollout(obj: &Value) -> Option<String> {
    use Shape::*;
    let bad = wrong_shapes(
        obj,
        &[
            (&["spec"], Object),
            (&["spec", "replicas"], Integer),
            (&["spec", "strategy"], Object),
            (&["spec", "strategy", "canary"], Object),
            (&["spec", "strategy", "canary", "steps"], List),
            (&["status"], Object),
            (&["status", "currentStepIndex"], Integer),
            (&["status", "pauseConditions"], List),
            (&["status", "abort"], Bool),
            (&["status", "phase"], Text),
            (&["status", "stableRS"], Text),
            (&["status", "currentPodHash"], Text),
            (&["status", "canary", "weights", "canary", "weight"], Number),
        ],
    );
    (!bad.is_empty()).then(|| bad.join("; "))
}

/// What of an Application is of the wrong type, if anything.
fn invalid_application(obj: &Value) -> Option<String> {
    use Shape::*;
    let bad = wrong_shapes(
        obj,
        &[
            (&["spec"], Object),
            (&["spec", "source"], Object),
            (&["spec", "sources"], List),
            (&["spec", "destination"], Object),
            (&["status"], Object),
            (&["status", "sync"], Object),
            (&["status", "sync", "status"], Text),
            (&["status", "health"], Object),
            (&["status", "health", "status"], Text),
            (&["status", "history"], List),
            (&["status", "operationState"], Object),
        ],
    );
    (!bad.is_empty()).then(|| bad.join("; "))
}
