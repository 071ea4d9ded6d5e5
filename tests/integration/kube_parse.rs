//! The real upstream objects in tests/fixtures parse without panic and show what `argocd`
//! and the Argo Rollouts kubectl plugin show for them.

use opsdeck::model::{
    AnalysisKind, AnalysisPhase, CanaryStep, HealthStatus, OperationPhase, RolloutPhase, SyncStatus,
};
use opsdeck::sources::kube::parse::{
    image_updater, parse_analysis_run, parse_application, parse_rollout,
};
use serde_json::Value;

use crate::support::fixture as load;

#[test]
fn every_fixture_parses() {
    for app in [
        "argo-cd/application-helm-automated-no-status.yaml",
        "argo-cd/application-synced-healthy-with-history.yaml",
    ] {
        let a = parse_application(&load(app)).unwrap_or_else(|e| panic!("{app}: {e}"));
        assert_eq!(a.invalid, None, "{app}: a real object reads as valid");
    }

    for ro in crate::support::ROLLOUTS {
        let r = parse_rollout(&load(ro), &[], &[]).unwrap_or_else(|e| panic!("{ro}: {e}"));
        assert_eq!(r.invalid, None, "{ro}: a real object reads as valid");
    }
    // A steps field that is not a list: invalid, not "stable serves all traffic".
    let mut obj = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    obj["spec"]["strategy"]["canary"]["steps"] = serde_json::json!("setWeight: 20");
    let r = parse_rollout(&obj, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.invalid.as_deref(),
        Some("spec.strategy.canary.steps: expected a list, found a string")
    );
    assert_eq!(r.phase, opsdeck::model::RolloutPhase::Unknown);
    parse_analysis_run(&load("argo-rollouts/analysisrun-failed-background.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_object_without_a_name_is_refused_with_a_reason_not_a_panic() {
    let r = parse_application(&load("argo-cd/application-minimal-degraded.yaml"));
    assert_eq!(
        r.err().as_deref(),
        Some("Application without metadata.name")
    );
    for junk in [
        serde_json::json!(null),
        serde_json::json!([1, 2]),
        serde_json::json!({"metadata": 5}),
    ] {
        assert!(parse_application(&junk).is_err());
        assert!(parse_rollout(&junk, &[], &[]).is_err());
    }
}

fn canary_set() -> (Value, Vec<Value>) {
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let rs = ["canary-rs", "stable-rs", "old-rs"]
        .map(|f| load(&format!("{dir}/{f}.yaml")))
        .to_vec();
    (load(&format!("{dir}/rollout.yaml")), rs)
}

#[test]
fn the_plugin_canary_set_shows_what_the_plugin_shows() {
    // fixtures README: Step 0/8, SetWeight 20, ActualWeight 0, Degraded with the condition.
    let (ro, rs) = canary_set();
    let r = parse_rollout(&ro, &rs, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.step_text().as_deref(), Some("0/8"));
    assert_eq!((r.set_weight, r.actual_weight), (20, 0));
    assert_eq!(r.phase, RolloutPhase::Degraded);
    assert_eq!(
        r.message,
        "ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has timed out progressing."
    );
    assert_eq!(r.canary_hash, "65fb5ffc84");
    assert_eq!(r.stable_hash, "877894d5b");
    assert_eq!(
        r.current_step().map(|s| s.label()),
        Some("setWeight: 20".into())
    );
}

#[test]
fn actual_weight_without_traffic_routing_is_the_canary_share_of_available_pods() {
    let (ro, mut rs) = canary_set();
    // Two of the rollout's five available pods are canary pods: 2 * 100 / 5.
    rs[0]["status"]["availableReplicas"] = 2.into();
    let r = parse_rollout(&ro, &rs, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.actual_weight, 40);
    // A ReplicaSet owned by another rollout does not count.
    rs[0]["metadata"]["ownerReferences"][0]["uid"] = "someone-else".into();
    let r = parse_rollout(&ro, &rs, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.actual_weight, 0);
}

#[test]
fn with_traffic_routing_actual_weight_comes_from_status_weights() {
    let r = parse_rollout(
        &load("argo-rollouts/rollout-canary-smi-with-weights.yaml"),
        &[],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.set_weight, r.actual_weight), (20, 20));
    // A status weight beyond the whole (broken or hostile) is shown as at most 100 %.
    let mut obj = load("argo-rollouts/rollout-canary-smi-with-weights.yaml");
    obj["status"]["canary"]["weights"]["canary"]["weight"] = serde_json::json!(537);
    let r = parse_rollout(&obj, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.actual_weight, 100);
}

#[test]
fn paused_rollouts() {
    let r = parse_rollout(
        &load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml"),
        &[],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.phase, r.message.as_str()),
        (RolloutPhase::Paused, "CanaryPauseStep")
    );
    assert_eq!(r.step_text().as_deref(), Some("1/8"));
    assert_eq!(r.set_weight, 21);
    assert_eq!(r.steps[3], CanaryStep::Pause(Some(10)), "integer duration");
    let p = r.pause.as_ref().map(|p| (p.reason.as_str(), p.duration));
    assert_eq!(
        p,
        Some(("CanaryPauseStep", None)),
        "an indefinite pause waits for promote"
    );

    let r = parse_rollout(
        &load("argo-rollouts/rollout-canary-paused-step0-after-restart.yaml"),
        &[],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.phase, r.step_text().as_deref(), r.set_weight),
        (RolloutPhase::Paused, Some("0/2"), 0)
    );
}

#[test]
fn observed_generation_behind_means_progressing() {
    let mut ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    ro["metadata"]["generation"] = 6.into();
    let r = parse_rollout(&ro, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.phase, RolloutPhase::Progressing);
    assert_eq!(r.message, "waiting for rollout spec update to be observed");
    // controllerPause with no pause conditions: the user resumed, the controller has not.
    let mut ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    ro["status"]["pauseConditions"] = serde_json::json!([]);
    let r = parse_rollout(&ro, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.message, "waiting for rollout to unpause");
}

#[test]
fn an_aborted_canary_and_its_failed_analysis() {
    let ro = load("argo-rollouts/rollout-canary-aborted-by-background-analysis.yaml");
    let ar = load("argo-rollouts/analysisrun-failed-background.yaml");
    let r = parse_rollout(&ro, &[], std::slice::from_ref(&ar)).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.aborted);
    assert_eq!((r.set_weight, r.phase), (0, RolloutPhase::Degraded));
    assert!(r.message.starts_with("RolloutAborted: "), "{}", r.message);
    let a = r.analysis.unwrap_or_else(|| panic!("no analysis"));
    assert_eq!(a.phase, AnalysisPhase::Failed);
    assert!(
        !a.metrics.is_empty(),
        "measurements come from the AnalysisRun object"
    );
    assert!(a.metrics.iter().any(|m| m.failed > 0));
}

#[test]
fn applications() {
    let a = parse_application(&load(
        "argo-cd/application-synced-healthy-with-history.yaml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (a.sync, a.health),
        (SyncStatus::Synced, HealthStatus::Healthy)
    );
    assert_eq!(
        a.history.last().map(|h| h.id),
        Some(23),
        "history is oldest first"
    );
    assert_eq!(
        a.operation.as_ref().map(|o| o.phase),
        Some(OperationPhase::Succeeded)
    );
    assert!(!a.operation_in_progress());
    assert!(!a.images.is_empty());
    assert!(a.reconciled_at.is_some());

    let h = parse_application(&load("argo-cd/application-helm-automated-no-status.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(h.auto_sync);
    assert_eq!(
        (h.sync, h.health),
        (SyncStatus::Unknown, HealthStatus::Unknown)
    );
    assert!(h.operation.is_none());
    assert!(!h.source.is_empty(), "the chart name");
}

#[test]
fn absurd_numbers_do_not_overflow() {
    let (mut ro, mut rs) = {
        let dir = "argo-rollouts/kubectl-plugin-canary-set";
        let rs = ["canary-rs", "stable-rs"]
            .map(|f| load(&format!("{dir}/{f}.yaml")))
            .to_vec();
        (load(&format!("{dir}/rollout.yaml")), rs)
    };
    ro["spec"]["strategy"]["canary"]["trafficRouting"] = serde_json::json!(null);
    ro["status"]["availableReplicas"] = serde_json::json!(i64::MAX);
    rs[0]["status"]["availableReplicas"] = serde_json::json!(i64::MAX);
    ro["status"]["currentStepIndex"] = serde_json::json!(-5);
    let r = parse_rollout(&ro, &rs, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.actual_weight <= 100,
        "a weight stays a percentage: {}",
        r.actual_weight
    );
    assert_eq!(r.replicas.available, u32::MAX);
    assert_eq!(r.step_text().as_deref(), Some("0/8"));
}

/// An AnalysisRun in full: each metric's limits, interval, provider and resolved query beside
/// its counters and measurements, the counters in words, an errored measurement's message, a
/// dry-run metric marked, and when the next measurement is due.
#[test]
fn an_analysis_run_reads_in_full() {
    use chrono::TimeZone;
    let run = parse_analysis_run(&load("argo-rollouts/analysisrun-prometheus-step.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.phase, AnalysisPhase::Failed);
    let [err, ok, p99] = run.metrics.as_slice() else {
        panic!("{:?}", run.metrics)
    };
    assert_eq!(
        (
            err.name.as_str(),
            err.failure_limit,
            err.interval_secs,
            err.planned
        ),
        ("error-rate", 1, Some(20), Some(3))
    );
    assert_eq!(err.provider, "prometheus");
    assert!(
        err.resolved_query
            .starts_with("(\n  sum(rate(gateway_requests_total{rs_hash=\"58c4999c86\""),
        "{}",
        err.resolved_query
    );
    let values: Vec<&str> = err.measurements.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(values, ["[0.4432989690721649]", "[0.47619047619047616]"]);
    assert_eq!(err.standing(), "failed 2 > limit 1: the analysis failed");
    assert!(!err.dry_run);

    assert_eq!(
        (ok.condition.as_str(), ok.failure_condition.as_str()),
        ("result[0] >= 0.95", "result[0] < 0.90")
    );
    assert_eq!(ok.consecutive_error_limit, 2);
    assert_eq!(
        ok.standing(),
        "1 more failure fails the analysis; 1 error in a row of 2 allowed"
    );
    let last = ok.measurements.last().unwrap_or_else(|| panic!("{ok:?}"));
    assert_eq!(last.phase, AnalysisPhase::Error);
    assert!(
        last.message.ends_with("connect: connection refused"),
        "{last:?}"
    );
    // Measured at 21:09:46 every 30 s: due 21:10:16, so 6 s after 21:10:10.
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 7, 1, 21, 10, 10)
        .single()
        .unwrap_or_default();
    assert_eq!(ok.next_due(now), Some(6));
    assert_eq!(err.next_due(now), None, "a failed metric measures no more");

    assert!(p99.dry_run);
    assert_eq!(
        p99.standing(),
        "failed 1 > limit 0: the analysis failed (dry run: it never fails the rollout)"
    );
}

/// Every AnalysisRun of the revision at once: the background run the status names, a step's
/// run found by owner and pod-template hash, and neither an older revision's run nor another
/// rollout's. The failed one says why in the cockpit's verdict; each shows with its kind, and
/// a metric's history is drawn against its threshold.
#[test]
fn every_analysis_run_of_the_revision_shows_at_once() {
    let ro = load("argo-rollouts/rollout-canary-aborted-by-background-analysis.yaml");
    let background = load("argo-rollouts/analysisrun-failed-background.yaml");
    let step = |name: &str, hash: &str, uid: &str| {
        let mut r = load("argo-rollouts/analysisrun-prometheus-step.yaml");
        r["metadata"]["name"] = name.into();
        r["metadata"]["namespace"] = "default".into();
        r["metadata"]["labels"]["rollouts-pod-template-hash"] = hash.into();
        r["metadata"]["labels"]["step-index"] = "1".into();
        r["metadata"]["ownerReferences"][0]["uid"] = uid.into();
        r
    };
    let uid = "aeddde25-f8bd-4a68-a4a1-523a559bdb83";
    let runs = [
        step(
            "rollout-background-analysis-db976bc44-2-1",
            "db976bc44",
            uid,
        ),
        background,
        step(
            "rollout-background-analysis-5d9f8c7b6-1-1",
            "5d9f8c7b6",
            uid,
        ),
        step("someone-else-db976bc44-2-1", "db976bc44", "0000-other"),
    ];
    let r = parse_rollout(&ro, &[], &runs).unwrap_or_else(|e| panic!("{e}"));
    let named: Vec<(AnalysisKind, Option<u32>, &str)> = r
        .analyses()
        .map(|a| (a.kind, a.step, a.name.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (
                AnalysisKind::Background,
                None,
                "rollout-background-analysis-db976bc44-2"
            ),
            (
                AnalysisKind::Step,
                Some(1),
                "rollout-background-analysis-db976bc44-2-1"
            ),
        ]
    );
    // Both failed: each is a concern, with the metric that failed it.
    let why: Vec<String> = r
        .analyses()
        .filter(|a| a.stopped_the_rollout())
        .map(|a| a.why())
        .collect();
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(
        why[0].starts_with("background analysis rollout-background-analysis-db976bc44-2 Failed: "),
        "{why:?}"
    );
    assert!(
        why[1].contains("step 1 analysis rollout-background-analysis-db976bc44-2-1 Failed: error-rate failed 2 > limit 1"),
        "{why:?}"
    );

    // On screen: the cockpit opened on it lists both runs and charts the step's error rate
    // against its threshold.
    let mut s = opsdeck::state::State::new(crate::support::context(), crate::support::start(), 100);
    s.set_size(160, 60);
    s.apply(opsdeck::state::Update::Rollouts(vec![r]));
    s.ui.screen = opsdeck::state::Screen::Cockpit {
        namespace: "default".into(),
        name: "rollout-background-analysis".into(),
    };
    let theme = opsdeck::theme::Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    let text = crate::support::render(&s, &theme, 160, 60);
    assert!(
        text.contains("background rollout-background-analysis-db976bc44-2 Failed"),
        "{text}"
    );
    assert!(
        text.contains("step 1 rollout-background-analysis-db976bc44-2-1 Failed"),
        "{text}"
    );
    // error-rate measured 0.443 then 0.476; it passes below 0.05.
    assert!(
        text.contains("▇█ against ▁ 0.05 (passes <) · 0.050–0.476"),
        "{text}"
    );
}

/// Argo CD Image Updater's annotations, as its docs write them: aliases, a registry with a
/// port, constraints, each alias's strategy (the old names read as the new), the write-back.
#[test]
fn image_updater_annotations_read_as_image_updater_reads_them() {
    let mut app = load("argo-cd/application-synced-healthy-with-history.yaml");
    let p = "argocd-image-updater.argoproj.io";
    app["metadata"]["annotations"] = serde_json::json!({
        format!("{p}/image-list"): "store=registry.dev.local:5000/store:~1.5, web=nginx:1.27.x ,plain=ghcr.io/org/app",
        format!("{p}/web.update-strategy"): "latest",
        format!("{p}/plain.update-strategy"): "digest",
        format!("{p}/write-back-method"): "git:secret:argocd/git-creds",
    });
    let (rules, write_back) = image_updater(&app);
    let got: Vec<(&str, &str, &str, &str)> = rules
        .iter()
        .map(|r| {
            (
                r.alias.as_str(),
                r.image.as_str(),
                r.constraint.as_str(),
                r.strategy.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("store", "registry.dev.local:5000/store", "~1.5", "semver"),
            ("web", "nginx", "1.27.x", "newest-build"),
            ("plain", "ghcr.io/org/app", "", "digest"),
        ]
    );
    assert_eq!(write_back, "git:secret:argocd/git-creds");
    let a = parse_application(&app).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.image_updater.len(), 3);
    // Without annotations: nothing, and no write-back claimed.
    let plain = load("argo-cd/application-synced-healthy-with-history.yaml");
    assert_eq!(image_updater(&plain), (Vec::new(), String::new()));
}
