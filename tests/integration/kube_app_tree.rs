//! The resource tree of the application whose details are open, against the fake API server:
//! that one Application watched by name while its details are open, its `status.resources`
//! and last sync's results parsed from Argo CD's real object, Argo CD 3.0's missing health said.

use crate::support;
use crate::support::fake_kube::{FakeKube, decoded_param};
use crate::support::fixture as load;
use opsdeck::model::{HealthStatus, SyncStatus};
use opsdeck::sources::kube::app_tree;
use opsdeck::sources::kube::parse::parse_app_tree;
use opsdeck::sources::kube::watch::{self, WatchConfig};
use opsdeck::state::{Demand, Fetch, Overlay, State};
use std::time::Duration;
use tokio::sync::{mpsc, watch as tokio_watch};

const FIXTURE: &str = "argo-cd/application-synced-healthy-with-history.yaml";

#[test]
fn the_tree_of_argo_cds_own_application_and_of_one_without_resource_health() {
    let app = load(FIXTURE);
    let tree = parse_app_tree(&app).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(&str, &str, Option<HealthStatus>)> = tree
        .resources
        .iter()
        .map(|r| (r.kind.as_str(), r.group.as_str(), r.health))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Service", "", Some(HealthStatus::Healthy)),
            ("Deployment", "apps", Some(HealthStatus::Healthy))
        ]
    );
    assert!(tree.resources.iter().all(|r| r.sync == SyncStatus::Synced));
    assert!(tree.health_kept());
    let dep = &tree.resources[1];
    let last = tree.result_of(dep).expect("its last sync");
    assert_eq!(last.message, "deployment.apps/test-lla serverside-applied");
    assert_eq!(
        (last.status.as_str(), last.sync_phase.as_str()),
        ("Synced", "Sync")
    );
    assert_eq!(
        tree.hooks().count(),
        0,
        "hookPhase without hookType is no hook"
    );
    // Argo CD 3.0's default: health kept in its cache, not in the CR.
    let mut v3 = app.clone();
    v3["status"]["resourceHealthSource"] = "appTree".into();
    for r in v3["status"]["resources"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if let Some(o) = r.as_object_mut() {
            o.remove("health");
        }
    }
    let t = parse_app_tree(&v3).unwrap_or_else(|e| panic!("{e}"));
    assert!(!t.health_kept());
    assert!(t.resources.iter().all(|r| r.health.is_none()));
    // A hook, as the sync result lists it.
    let mut hooked = app.clone();
    hooked["status"]["operationState"]["syncResult"]["resources"][0]["hookType"] = "PreSync".into();
    let t = parse_app_tree(&hooked).unwrap_or_else(|e| panic!("{e}"));
    let h: Vec<(&str, &str)> = t
        .hooks()
        .map(|h| (h.hook_type.as_str(), h.hook_phase.as_str()))
        .collect();
    assert_eq!(h, [("PreSync", "Running")]);
    // Odd shapes read as absent, never a panic.
    let odd = serde_json::json!({"metadata": {"name": "x", "namespace": "argocd"},
        "status": {"resources": "nope", "operationState": {"syncResult": {"resources": [1, "x"]}}}});
    let t = parse_app_tree(&odd).unwrap_or_else(|e| panic!("{e}"));
    assert!(t.resources.is_empty());
    assert_eq!(t.results.len(), 2);
}

#[tokio::test]
async fn the_open_applications_tree_is_watched_by_name_while_open_only() {
    let fake = FakeKube::start().await;
    let app = load(FIXTURE);
    fake.put("applications", app.clone());
    let mut other = app.clone();
    other["metadata"]["name"] = "another".into();
    fake.put("applications", other);
    let (tx, mut rx) = mpsc::channel(1024);
    let cfg = WatchConfig {
        namespaces: Vec::new(),
        argocd_namespace: "argo-cd".into(),
    };
    let (demand, demand_rx) = tokio_watch::channel(Demand::default());
    let mut tasks = watch::spawn(fake.client(), cfg, tx.clone());
    tasks.push(app_tree::spawn(fake.client(), demand_rx, tx));
    let mut ctx = support::context();
    ctx.demo = false;
    ctx.argocd_namespace = "argo-cd".into();
    let mut state = State::new(ctx, support::start(), 1000);
    state.set_size(120, 40);
    let mut until = async |state: &mut State, what: &str, pred: &dyn Fn(&State) -> bool| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            demand.send_if_modified(|d| {
                let now = state.demand();
                let changed = *d != now;
                *d = now;
                changed
            });
            if pred(state) {
                return;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(u)) => {
                    state.apply(u);
                }
                _ => panic!("timed out waiting for {what}: {:?}", state.app_tree),
            }
        }
    };
    until(&mut state, "the apps", &|s| s.apps.len() == 2).await;
    let tree_reqs = |f: &FakeKube| -> Vec<String> {
        f.requests()
            .into_iter()
            .filter(|r| decoded_param(&r.query, "fieldSelector").is_some())
            .map(|r| r.query)
            .collect()
    };
    assert!(
        tree_reqs(&fake).is_empty(),
        "nothing read while no details are open"
    );
    state.ui.overlay = Some(Overlay::AppDetail {
        namespace: "argo-cd".into(),
        name: "velero-test".into(),
        scroll: 0,
    });
    until(&mut state, "its tree", &|s| {
        s.app_tree("argo-cd", "velero-test")
            .is_some_and(|t| t.fetch == Fetch::Listed && t.tree.resources.len() == 2)
    })
    .await;
    for q in tree_reqs(&fake) {
        assert_eq!(
            decoded_param(&q, "fieldSelector").as_deref(),
            Some("metadata.name=velero-test"),
            "{q}"
        );
    }
    // A change to it arrives: the Deployment goes Degraded.
    let mut changed = app.clone();
    changed["status"]["resources"][1]["health"] = serde_json::json!({"status": "Degraded", "message": "Deployment exceeded its progress deadline"});
    fake.put("applications", changed);
    until(&mut state, "the change", &|s| {
        s.app_tree("argo-cd", "velero-test").is_some_and(|t| {
            t.tree
                .resources
                .iter()
                .any(|r| r.health == Some(HealthStatus::Degraded))
        })
    })
    .await;
    // Closed: nothing more is asked for.
    state.ui.overlay = None;
    until(&mut state, "the demand to drop it", &|s| {
        s.demand().app_tree.is_none()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.clear_requests();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(tree_reqs(&fake).is_empty());
    tasks.iter().for_each(|t| t.abort());
}
