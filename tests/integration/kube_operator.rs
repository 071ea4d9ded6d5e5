//! The live operator against the fake API server: the exact requests each action sends,
//! the 404 fallback, conflict re-reads for sync, and errors in the user's words.

use crate::support::fake_kube::FakeKube;
use opsdeck::model::{ActionKind, ActionRequest, Operator, SyncOptions};
use opsdeck::ops::kube::KubeOperator;
use serde_json::{Value, json};

use crate::support::fixture as load;

fn req(kind: ActionKind, ns: &str, name: &str, sync: SyncOptions) -> ActionRequest {
    ActionRequest {
        sync,
        ..crate::support::request(kind, ns, name)
    }
}

async fn act(op: &KubeOperator, kind: ActionKind, ns: &str, name: &str) -> Result<String, String> {
    op.run(req(kind, ns, name, SyncOptions::default()))
        .await
        .map_err(|e| e.to_string())
}

async fn setup() -> (FakeKube, KubeOperator) {
    let fake = FakeKube::start().await;
    let mut ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    ro["metadata"]["namespace"] = "dev".into();
    ro["metadata"]["name"] = "store".into();
    fake.put("rollouts", ro);
    let app = load("argo-cd/application-synced-healthy-with-history.yaml");
    fake.put("applications", app);
    let op = KubeOperator {
        client: fake.client(),
    };
    (fake, op)
}

const STORE: &str = "/apis/argoproj.io/v1alpha1/namespaces/dev/rollouts/store";

#[tokio::test]
async fn promote_patches_status_and_the_pause_is_gone() {
    let (fake, op) = setup().await;
    let r = act(&op, ActionKind::Promote, "dev", "store").await;
    assert!(r.is_ok(), "{r:?}");
    let sent = fake.requests();
    let methods: Vec<(String, String)> = sent
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        methods,
        vec![
            ("GET".into(), STORE.into()),
            ("PATCH".into(), format!("{STORE}/status"))
        ]
    );
    assert_eq!(sent[1].content_type, "application/merge-patch+json");
    assert_eq!(sent[1].body, json!({"status": {"pauseConditions": null}}));
    let now = fake.get("rollouts", "dev", "store").unwrap_or_default();
    assert!(now["status"].get("pauseConditions").is_none());
}

#[tokio::test]
async fn abort_falls_back_to_the_main_resource_without_a_status_subresource() {
    let (fake, op) = setup().await;
    fake.legacy_rollouts();
    let r = act(&op, ActionKind::Abort, "dev", "store").await;
    assert!(r.is_ok(), "{r:?}");
    let sent: Vec<(String, String, Value)> = fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.body))
        .collect();
    assert_eq!(
        &sent[1..],
        &[
            (
                "PATCH".into(),
                format!("{STORE}/status"),
                json!({"status": {"abort": true}})
            ),
            (
                "PATCH".into(),
                STORE.into(),
                json!({"status": {"abort": true}})
            ),
        ]
    );
    assert_eq!(
        fake.get("rollouts", "dev", "store").unwrap_or_default()["status"]["abort"],
        true
    );
}

#[tokio::test]
async fn a_status_change_sent_to_the_main_resource_is_ignored_as_a_real_server_does() {
    let (fake, op) = setup().await;
    let _ = op;
    let client = fake.client();
    let body = serde_json::to_vec(&json!({"status": {"abort": true}})).unwrap_or_default();
    let r = http::Request::patch(STORE)
        .header("Content-Type", "application/merge-patch+json")
        .body(body)
        .unwrap_or_default();
    let _ = client.request_text(r).await;
    assert!(
        fake.get("rollouts", "dev", "store").unwrap_or_default()["status"]
            .get("abort")
            .is_none()
    );
    // Applications have no status subresource at all.
    let body = serde_json::to_vec(&json!({"status": {}})).unwrap_or_default();
    let r = http::Request::patch(
        "/apis/argoproj.io/v1alpha1/namespaces/argo-cd/applications/velero-test/status",
    )
    .header("Content-Type", "application/merge-patch+json")
    .body(body)
    .unwrap_or_default();
    let e = client.request_text(r).await;
    assert!(matches!(e, Err(kube::Error::Api(s)) if s.code == 404));
}

#[tokio::test]
async fn forbidden_says_which_verb_resource_and_namespace() {
    let (fake, op) = setup().await;
    fake.forbid("PATCH", &format!("{STORE}/status"));
    let r = act(&op, ActionKind::Abort, "dev", "store").await;
    assert_eq!(
        r,
        Err("forbidden: you may not patch rollouts/status in namespace dev (RBAC)".into())
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "a destructive action is not retried"
    );
}

#[tokio::test]
async fn a_gone_object_is_said_to_be_gone() {
    let (_fake, op) = setup().await;
    let r = act(&op, ActionKind::Promote, "dev", "nope").await;
    assert_eq!(
        r,
        Err("dev/nope is gone: the rollouts object no longer exists".into())
    );
}

#[tokio::test]
async fn sync_puts_the_operation_rereads_on_conflict_and_refuses_a_second_one() {
    let (fake, op) = setup().await;
    let app = fake.get("applications", "argo-cd", "velero-test");
    let (ns, name) = match &app {
        Some(a) => (
            a["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            a["metadata"]["name"].as_str().unwrap_or("").to_string(),
        ),
        None => panic!("fixture app not stored under argo-cd/velero-test"),
    };
    fake.conflict_once();
    let r = op
        .run(req(
            ActionKind::Sync,
            &ns,
            &name,
            SyncOptions {
                prune: true,
                dry_run: false,
            },
        ))
        .await;
    assert!(r.is_ok(), "{r:?}");
    let path = format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/applications/{name}");
    let sent: Vec<(String, String)> = fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        sent,
        vec![
            ("GET".into(), path.clone()),
            ("PUT".into(), path.clone()),
            ("GET".into(), path.clone()),
            ("PUT".into(), path.clone()),
        ]
    );
    let stored = fake.get("applications", &ns, &name).unwrap_or_default();
    assert_eq!(stored["operation"]["sync"]["prune"], true);
    assert_eq!(stored["operation"]["initiatedBy"]["username"], "alice");
    assert!(
        stored["status"].get("operationState").is_none()
            || stored["status"]["operationState"].is_null()
    );
    fake.clear_requests();
    let r = act(&op, ActionKind::Sync, &ns, &name).await;
    assert_eq!(r, Err("another operation is already in progress".into()));
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "refused before any write"
    );
}

#[tokio::test]
async fn refresh_sends_the_annotation() {
    let (fake, op) = setup().await;
    let r = act(&op, ActionKind::HardRefresh, "argo-cd", "velero-test").await;
    assert!(r.is_ok(), "{r:?}");
    let last = fake
        .requests()
        .pop()
        .unwrap_or_else(|| panic!("no request"));
    assert_eq!(
        (last.method.as_str(), last.content_type.as_str()),
        ("PATCH", "application/merge-patch+json")
    );
    assert_eq!(
        last.body,
        json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
    );
}

#[tokio::test]
async fn the_fake_applies_json_patches_as_the_api_server_does() {
    let (fake, _op) = setup().await;
    let body = serde_json::to_vec(&json!([
        {"op": "replace", "path": "/spec/paused", "value": true},
        {"op": "add", "path": "/metadata/labels/team", "value": "store"}
    ]))
    .unwrap_or_default();
    let r = http::Request::patch(STORE)
        .header("Content-Type", "application/json-patch+json")
        .body(body)
        .unwrap_or_default();
    let out = fake.client().request_text(r).await;
    assert!(out.is_ok(), "{out:?}");
    let now = fake.get("rollouts", "dev", "store").unwrap_or_default();
    assert_eq!(
        (&now["spec"]["paused"], &now["metadata"]["labels"]["team"]),
        (&json!(true), &json!("store"))
    );
}

/// With its storage down the API server goes on answering reads and watches from its cache
/// while writes hang: `/readyz` names the failing check and an action's deadline passes; the
/// header says the API server is degraded until it is ready and a write is answered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_outage_makes_the_api_server_degraded_by_its_checks_and_its_hanging_writes() {
    use opsdeck::model::{ActionError, ActionOutcome};
    use opsdeck::sources::kube::readyz;
    use opsdeck::state::{State, Update};
    use std::time::Duration;
    let (fake, op) = setup().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let every = Duration::from_millis(200);
    let task = tokio::spawn(readyz::poll(fake.client(), tx, every, every));
    let mut s = State::new(crate::support::context(), chrono::Utc::now(), 100);
    let next = async |rx: &mut tokio::sync::mpsc::Receiver<Update>| {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no word from /readyz"))
    };
    let u = next(&mut rx).await;
    assert!(
        matches!(&u, Update::ApiReadiness(c) if c.is_empty()),
        "{u:?}"
    );
    s.apply(u);
    assert_eq!(s.problems().api_degraded, None);

    fake.storage_down(true);
    let u = next(&mut rx).await;
    assert!(
        matches!(&u, Update::ApiReadiness(c) if c == &["etcd", "etcd-readiness"]),
        "{u:?}"
    );
    s.apply(u);
    // A write hangs: reported at its deadline, and the API server counts as degraded by it.
    let request = req(
        ActionKind::Refresh,
        "argo-cd",
        "velero-test",
        SyncOptions::default(),
    );
    let result = opsdeck::ops::answer_within(
        Duration::from_secs(1),
        "the API server",
        op.run(request.clone()),
    )
    .await;
    assert!(
        matches!(result, Err(ActionError::Unanswered(_))),
        "{result:?}"
    );
    s.apply(Update::ActionDone(ActionOutcome {
        request: request.clone(),
        result,
    }));
    assert_eq!(
        s.problems().api_degraded.as_deref(),
        Some("etcd, etcd-readiness failing, writes unanswered")
    );
    let theme = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    for w in [80, 120, 200] {
        let screen = crate::support::render(&s, &theme, w, 30);
        let header = screen.lines().next().unwrap_or_default();
        assert!(
            header.contains("API server degraded: etcd") || header.contains("API!"),
            "{w}: {header}"
        );
    }
    let wide = crate::support::render(&s, &theme, 200, 30);
    assert!(
        wide.contains("API server degraded: etcd, etcd-readiness failing, writes unanswered"),
        "{wide}"
    );

    // Back: ready again, and the next write answered clears it.
    fake.storage_down(false);
    let u = next(&mut rx).await;
    assert!(
        matches!(&u, Update::ApiReadiness(c) if c.is_empty()),
        "{u:?}"
    );
    s.apply(u);
    assert_eq!(
        s.problems().api_degraded.as_deref(),
        Some("writes unanswered")
    );
    let result = opsdeck::ops::answer_within(
        Duration::from_secs(5),
        "the API server",
        op.run(request.clone()),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    s.apply(Update::ActionDone(ActionOutcome { request, result }));
    assert_eq!(s.problems().api_degraded, None);
    let screen = crate::support::render(&s, &theme, 200, 30);
    assert!(!screen.contains("API server degraded"), "{screen}");
    task.abort();
}

/// Pause, then resume, then skip the pause step: each the one request it plans, and the
/// object on the server as the controller would find it; a second pause is refused unsent.
#[tokio::test]
async fn pause_resume_and_skip_step_write_what_they_plan() {
    let (fake, op) = setup().await;
    let status = format!("{STORE}/status");
    let skip = json!({"status": {"pauseConditions": null, "currentStepIndex": 2}});
    for (kind, path, body) in [
        (ActionKind::Pause, STORE, json!({"spec": {"paused": true}})),
        (
            ActionKind::Resume,
            STORE,
            json!({"spec": {"paused": false}}),
        ),
        (ActionKind::SkipStep, status.as_str(), skip),
    ] {
        fake.clear_requests();
        let r = act(&op, kind, "dev", "store").await;
        assert!(r.is_ok(), "{kind:?}: {r:?}");
        let sent: Vec<(String, String, Value)> = fake
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| (r.method, r.path, r.body))
            .collect();
        assert_eq!(
            sent,
            vec![("PATCH".into(), path.to_string(), body)],
            "{kind:?}"
        );
        if kind == ActionKind::Pause {
            let now = fake.get("rollouts", "dev", "store").unwrap_or_default();
            assert_eq!(now["spec"]["paused"], true);
            fake.clear_requests();
            let again = act(&op, ActionKind::Pause, "dev", "store").await;
            assert!(
                again.as_ref().is_err_and(|e| e.contains("already paused")),
                "{again:?}"
            );
            assert!(fake.requests().iter().all(|r| r.method == "GET"));
        }
    }
    let now = fake.get("rollouts", "dev", "store").unwrap_or_default();
    assert_eq!(now["status"]["currentStepIndex"], 2);
    assert!(now["status"].get("pauseConditions").is_none());
}

/// Undo reads the Rollout and its namespace's ReplicaSets, then sends the one JSON patch; the
/// fake applies it as the API server does.
#[tokio::test]
async fn undo_reads_the_replica_sets_and_patches_the_template() {
    let fake = FakeKube::start().await;
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let ro = load(&format!("{dir}/rollout.yaml"));
    let (ns, name) = (
        ro["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        ro["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    fake.put("rollouts", ro);
    for f in ["canary-rs", "stable-rs", "old-rs"] {
        fake.put("replicasets", load(&format!("{dir}/{f}.yaml")));
    }
    let op = KubeOperator {
        client: fake.client(),
    };
    let r = act(&op, ActionKind::Undo, &ns, &name).await;
    assert!(r.is_ok(), "{r:?}");
    let sent: Vec<(String, String, String)> = fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.content_type))
        .collect();
    let path = format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts/{name}");
    assert_eq!(
        sent,
        vec![
            ("GET".into(), path.clone(), String::new()),
            (
                "GET".into(),
                format!("/apis/apps/v1/namespaces/{ns}/replicasets"),
                String::new()
            ),
            ("PATCH".into(), path, "application/json-patch+json".into()),
        ]
    );
    let stable = load(&format!("{dir}/stable-rs.yaml"));
    let now = fake.get("rollouts", &ns, &name).unwrap_or_default();
    assert_eq!(
        now["spec"]["template"]["spec"],
        stable["spec"]["template"]["spec"]
    );
    assert!(
        now["spec"]["template"]["metadata"]["labels"]
            .get("rollouts-pod-template-hash")
            .is_none()
    );
    // Again: it runs that template already, so nothing more is sent.
    fake.clear_requests();
    let r = act(&op, ActionKind::Undo, &ns, &name).await;
    assert!(
        r.as_ref()
            .is_err_and(|e| e.contains("already runs revision 30")),
        "{r:?}"
    );
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
    // `--to-revision 29` (`:undo canary-demo 29`): that ReplicaSet's template, not the newest
    // earlier one; a revision that is not there is refused before anything is written.
    let mut to = req(ActionKind::Undo, &ns, &name, SyncOptions::default());
    to.to_revision = Some(29);
    let r = op.run(to.clone()).await;
    assert!(r.is_ok(), "{r:?}");
    let old = load(&format!("{dir}/old-rs.yaml"));
    let now = fake.get("rollouts", &ns, &name).unwrap_or_default();
    assert_eq!(
        now["spec"]["template"]["spec"],
        old["spec"]["template"]["spec"]
    );
    fake.clear_requests();
    to.to_revision = Some(5);
    let r = op.run(to).await.map_err(|e| e.to_string());
    assert!(
        r.as_ref()
            .is_err_and(|e| e.contains("has no ReplicaSet of revision 5")),
        "{r:?}"
    );
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
}
