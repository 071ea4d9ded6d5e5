//! Every action plans exactly the requests of PROTOCOLS §1.5, §1.6 and §2.6: method, path,
//! content type and body, and the main-resource fallback when `/status` answers 404.

use chrono::TimeZone;
use opsdeck::model::{ActionError, ActionKind, SyncOptions};
use opsdeck::ops::kube::{MERGE_PATCH, Planned, Request, explain, plan_app, plan_rollout};
use serde_json::{Value, json};

use crate::support::fixture as load;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 4, 5)
        .single()
        .unwrap_or_default()
}

fn patch(path: &str, body: Value) -> Request {
    Request {
        method: "PATCH",
        path: path.into(),
        content_type: MERGE_PATCH,
        body,
    }
}

fn plan(kind: ActionKind, obj: &Value) -> Vec<Planned> {
    plan_rollout(kind, obj, now()).unwrap_or_else(|e| panic!("{e}"))
}

const RO: &str = "/apis/argoproj.io/v1alpha1/namespaces";

#[test]
fn promote_at_a_pause_clears_the_pause_conditions_on_status() {
    let ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    let ns = ro["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = ro["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let p = plan(ActionKind::Promote, &ro);
    let body = json!({"status": {"pauseConditions": null}});
    assert_eq!(
        p,
        vec![Planned {
            request: patch(&format!("{RO}/{ns}/rollouts/{name}/status"), body.clone()),
            fallback_on_404: Some(patch(&format!("{RO}/{ns}/rollouts/{name}"), body)),
        }]
    );
}

#[test]
fn promote_during_a_step_advances_the_index_and_unpauses_a_manual_pause() {
    let mut ro = load("argo-rollouts/kubectl-plugin-canary-set/rollout.yaml");
    let base = format!("{RO}/jesse-test/rollouts/canary-demo");
    let p = plan(ActionKind::Promote, &ro);
    let body = json!({"status": {"pauseConditions": null, "currentStepIndex": 1}});
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].request, patch(&format!("{base}/status"), body.clone()));
    // spec.paused: the status part first, then unpause the spec; on 404 one unified patch.
    ro["spec"]["paused"] = true.into();
    let p = plan(ActionKind::Promote, &ro);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].request, patch(&format!("{base}/status"), body));
    assert_eq!(
        p[0].fallback_on_404,
        Some(patch(
            &base,
            json!({"spec": {"paused": false}, "status": {"pauseConditions": null, "currentStepIndex": 1}})
        ))
    );
    assert_eq!(
        p[1].request,
        patch(&base, json!({"spec": {"paused": false}}))
    );
    // The index never goes past len(steps).
    ro["status"]["currentStepIndex"] = 8.into();
    ro["spec"]["paused"] = false.into();
    let p = plan(ActionKind::Promote, &ro);
    assert_eq!(p[0].request.body["status"]["currentStepIndex"], 8);
}

#[test]
fn promote_after_an_inconclusive_analysis_also_clears_controller_pause() {
    let mut ro = load("argo-rollouts/kubectl-plugin-canary-set/rollout.yaml");
    ro["status"]["pauseConditions"] =
        json!([{"reason": "InconclusiveAnalysisRun", "startTime": "2026-11-22T03:00:00Z"}]);
    ro["status"]["controllerPause"] = true.into();
    ro["status"]["canary"]["currentStepAnalysisRunStatus"] =
        json!({"name": "a", "status": "Inconclusive"});
    let p = plan(ActionKind::Promote, &ro);
    assert_eq!(
        p[0].request.body,
        json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": 1}})
    );
}

#[test]
fn promote_full_abort_retry_restart() {
    let ro = load("argo-rollouts/kubectl-plugin-canary-set/rollout.yaml");
    let base = format!("{RO}/jesse-test/rollouts/canary-demo");
    let p = plan(ActionKind::PromoteFull, &ro);
    assert_eq!(
        p[0].request,
        patch(
            &format!("{base}/status"),
            json!({"status": {"promoteFull": true}})
        )
    );
    assert_eq!(
        p[0].fallback_on_404,
        Some(patch(&base, json!({"status": {"promoteFull": true}})))
    );
    for (kind, abort) in [(ActionKind::Abort, true), (ActionKind::Retry, false)] {
        let p = plan(kind, &ro);
        let body = json!({"status": {"abort": abort}});
        assert_eq!(
            p,
            vec![Planned {
                request: patch(&format!("{base}/status"), body.clone()),
                fallback_on_404: Some(patch(&base, body)),
            }]
        );
    }
    let p = plan(ActionKind::Restart, &ro);
    assert_eq!(
        p,
        vec![Planned {
            request: patch(
                &base,
                json!({"spec": {"restartAt": "2026-11-22T03:04:05Z"}})
            ),
            fallback_on_404: None
        }]
    );
}

#[test]
fn refresh_annotates_the_application() {
    let app = load("argo-cd/application-synced-healthy-with-history.yaml");
    let path = format!(
        "{RO}/{}/applications/{}",
        app["metadata"]["namespace"].as_str().unwrap_or_default(),
        app["metadata"]["name"].as_str().unwrap_or_default()
    );
    for (kind, how) in [
        (ActionKind::Refresh, "normal"),
        (ActionKind::HardRefresh, "hard"),
    ] {
        let p =
            plan_app(kind, &app, SyncOptions::default(), "alice").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p,
            vec![Planned {
                request: patch(
                    &path,
                    json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": how}}})
                ),
                fallback_on_404: None,
            }]
        );
    }
}

#[test]
fn sync_writes_the_operation_and_clears_the_last_state_with_a_put() {
    let app = load("argo-cd/application-synced-healthy-with-history.yaml");
    let sync = SyncOptions {
        prune: true,
        dry_run: false,
    };
    let p = plan_app(ActionKind::Sync, &app, sync, "alice").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.len(), 1);
    let r = &p[0].request;
    assert_eq!((r.method, r.content_type), ("PUT", "application/json"));
    assert_eq!(
        r.body["metadata"]["resourceVersion"], app["metadata"]["resourceVersion"],
        "PUT carries the resourceVersion read"
    );
    assert_eq!(r.body["status"]["operationState"], Value::Null);
    let op = &r.body["operation"];
    assert_eq!(op["initiatedBy"], json!({"username": "alice"}));
    assert_eq!(op["sync"]["prune"], true);
    assert_eq!(op["sync"]["dryRun"], false);
    assert_eq!(op["sync"]["revision"], "");
    assert_eq!(op["sync"]["syncStrategy"], json!({"hook": {}}));
    assert_eq!(
        r.body["spec"], app["spec"],
        "the spec is sent back unchanged"
    );
}

#[test]
fn sync_is_refused_while_an_operation_is_requested_or_running() {
    let mut app = load("argo-cd/application-synced-healthy-with-history.yaml");
    app["status"]["operationState"]["phase"] = "Running".into();
    let e = plan_app(ActionKind::Sync, &app, SyncOptions::default(), "a").err();
    assert_eq!(
        e,
        Some(ActionError::Refused(
            "another operation is already in progress (Running)".into()
        ))
    );
    app["status"]["operationState"]["phase"] = "Succeeded".into();
    app["operation"] = json!({"sync": {}});
    let e = plan_app(ActionKind::Sync, &app, SyncOptions::default(), "a").err();
    assert_eq!(
        e,
        Some(ActionError::Refused(
            "another operation is already in progress".into()
        ))
    );
}

#[test]
fn errors_say_what_was_refused_in_the_users_words() {
    let p = "/apis/argoproj.io/v1alpha1/namespaces/dev/rollouts/store/status";
    assert_eq!(
        explain(403, "PATCH", p, "x"),
        "forbidden: you may not patch rollouts/status in namespace dev (RBAC)"
    );
    assert_eq!(
        explain(404, "PATCH", p, "x"),
        "dev/store is gone: the rollouts object no longer exists"
    );
    assert_eq!(
        explain(
            409,
            "PUT",
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/store",
            "x"
        ),
        "argocd/store was changed by someone else since it was read; look again and retry"
    );
}

/// Pause, resume and skip-current-step as `kubectl argo rollouts pause` and Argo CD's
/// `resume` and `skip-current-step` resource actions write them.
#[test]
fn pause_resume_and_skip_current_step() {
    let mut ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    let base = format!(
        "{RO}/{}/rollouts/{}",
        ro["metadata"]["namespace"].as_str().unwrap_or_default(),
        ro["metadata"]["name"].as_str().unwrap_or_default()
    );
    ro["spec"]["paused"] = false.into();
    assert_eq!(
        plan(ActionKind::Pause, &ro),
        vec![Planned {
            request: patch(&base, json!({"spec": {"paused": true}})),
            fallback_on_404: None,
        }]
    );
    assert!(matches!(
        plan_rollout(ActionKind::Resume, &ro, now()),
        Err(ActionError::Refused(_))
    ));
    ro["spec"]["paused"] = true.into();
    assert!(matches!(
        plan_rollout(ActionKind::Pause, &ro, now()),
        Err(ActionError::Refused(_))
    ));
    assert_eq!(
        plan(ActionKind::Resume, &ro),
        vec![Planned {
            request: patch(&base, json!({"spec": {"paused": false}})),
            fallback_on_404: None,
        }]
    );
    // At the pause step (index 1, a pause condition): the next step, the condition cleared.
    let i = ro["status"]["currentStepIndex"].as_i64().unwrap_or(-1);
    assert_eq!(i, 1, "the fixture pauses at its second step");
    let body = json!({"status": {"pauseConditions": null, "currentStepIndex": 2}});
    assert_eq!(
        plan(ActionKind::SkipStep, &ro),
        vec![Planned {
            request: patch(&format!("{base}/status"), body.clone()),
            fallback_on_404: Some(patch(&base, body)),
        }]
    );
    // During a step without a pause condition: the index alone.
    ro["status"]["pauseConditions"] = json!([]);
    let body = json!({"status": {"currentStepIndex": 2}});
    assert_eq!(
        plan(ActionKind::SkipStep, &ro)[0].request,
        patch(&format!("{base}/status"), body)
    );
    // Past the last step there is nothing to skip.
    let steps = ro["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .map_or(0, Vec::len);
    ro["status"]["currentStepIndex"] = steps.into();
    assert!(matches!(
        plan_rollout(ActionKind::SkipStep, &ro, now()),
        Err(ActionError::Refused(_))
    ));
}

/// `kubectl argo rollouts undo`: the second-newest ReplicaSet's template (its pod-template
/// hash label removed) back with one JSON patch; a chosen revision; nothing to go back to.
#[test]
fn undo_puts_the_previous_revisions_template_back() {
    use opsdeck::ops::kube::{JSON_PATCH, plan_undo};
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let ro = load(&format!("{dir}/rollout.yaml"));
    let rs: Vec<Value> = ["canary-rs", "stable-rs", "old-rs"]
        .iter()
        .map(|f| load(&format!("{dir}/{f}.yaml")))
        .collect();
    let base = format!(
        "{RO}/{}/rollouts/{}",
        ro["metadata"]["namespace"].as_str().unwrap_or_default(),
        ro["metadata"]["name"].as_str().unwrap_or_default()
    );
    let template_of = |rs: &Value| {
        let mut t = rs["spec"]["template"].clone();
        if let Some(l) = t["metadata"]["labels"].as_object_mut() {
            assert!(l.remove("rollouts-pod-template-hash").is_some(), "{t}");
        }
        t
    };
    // Revisions 31 (canary), 30 (stable), 29: the default is 30.
    let p = plan_undo(&ro, &rs, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p,
        vec![Planned {
            request: Request {
                method: "PATCH",
                path: base.clone(),
                content_type: JSON_PATCH,
                body: json!([{"op": "replace", "path": "/spec/template", "value": template_of(&rs[1])}]),
            },
            fallback_on_404: None,
        }]
    );
    let p = plan_undo(&ro, &rs, Some(29)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p[0].request.body[0]["value"], template_of(&rs[2]));
    assert!(matches!(
        plan_undo(&ro, &rs, Some(5)),
        Err(ActionError::Refused(w)) if w.contains("no ReplicaSet of revision 5")
    ));
    // Only its own ReplicaSets count; one alone has nothing before it.
    assert!(matches!(
        plan_undo(&ro, &rs[..1], None),
        Err(ActionError::Refused(_))
    ));
    let mut other = rs[1].clone();
    other["metadata"]["ownerReferences"][0]["uid"] = "someone-else".into();
    assert!(matches!(
        plan_undo(&ro, &[rs[0].clone(), other], None),
        Err(ActionError::Refused(_))
    ));
    // Already that template: refused, nothing sent.
    let mut back = ro.clone();
    back["spec"]["template"] = template_of(&rs[1]);
    assert!(matches!(
        plan_undo(&back, &rs, None),
        Err(ActionError::Refused(w)) if w.contains("already runs revision 30")
    ));
}
