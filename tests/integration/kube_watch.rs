//! The watch source against the fake API server: initial list, live changes, relist after
//! 410 Gone without duplicates or leftovers, reconnect after a restart, bookmarks, and a
//! malformed object beside good ones.

use crate::support;

use crate::support::fake_kube::FakeKube;
use opsdeck::sources::kube::watch::{self, WatchConfig};
use opsdeck::state::{Health, SourceId, State, Update};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::support::fixture as load;

struct Live {
    fake: FakeKube,
    rx: mpsc::Receiver<Update>,
    state: State,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Live {
    async fn start(fake: FakeKube) -> Live {
        Live::start_in(fake, &[]).await
    }

    /// Watching Rollouts in `namespaces` only (all when empty).
    async fn start_in(fake: FakeKube, namespaces: &[&str]) -> Live {
        let (tx, rx) = mpsc::channel(1024);
        let cfg = WatchConfig {
            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
            argocd_namespace: "argo-cd".into(),
        };
        let tasks = watch::spawn(fake.client(), cfg, tx);
        let mut ctx = support::context();
        ctx.demo = false;
        let mut state = State::new(ctx, support::start(), 1000);
        state.set_size(120, 40);
        Live {
            fake,
            rx,
            state,
            tasks,
        }
    }

    /// Applies updates until `pred` holds (or fails after 15 s).
    async fn until(&mut self, what: &str, pred: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !pred(&self.state) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => {
                    self.state.apply(u);
                }
                _ => {
                    for r in self
                        .fake
                        .requests()
                        .iter()
                        .filter(|r| r.path.contains("rollouts"))
                    {
                        eprintln!("{} {}?{}", r.method, r.path, r.query);
                    }
                    panic!(
                        "timed out waiting for {what}; rollouts {:?} health {:?}",
                        self.state
                            .rollouts
                            .iter()
                            .map(|r| &r.name)
                            .collect::<Vec<_>>(),
                        self.state.source(SourceId::Rollouts)
                    )
                }
            }
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

async fn canary_set() -> FakeKube {
    let fake = FakeKube::start().await;
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    for f in ["canary-rs", "stable-rs", "old-rs"] {
        fake.put("replicasets", load(&format!("{dir}/{f}.yaml")));
    }
    fake.put("rollouts", load(&format!("{dir}/rollout.yaml")));
    fake.put(
        "applications",
        load("argo-cd/application-synced-healthy-with-history.yaml"),
    );
    fake
}

fn actual(s: &State) -> Option<u32> {
    s.rollout("jesse-test", "canary-demo")
        .map(|r| r.actual_weight)
}

#[tokio::test]
async fn lists_then_follows_changes_of_rollouts_and_their_replica_sets() {
    let mut l = Live::start(canary_set().await).await;
    l.until("the first list", |s| {
        s.rollouts.len() == 1 && s.apps.len() == 1
    })
    .await;
    let r = &l.state.rollouts[0];
    assert_eq!(
        (r.step_text().as_deref(), r.set_weight, r.actual_weight),
        (Some("0/8"), 20, 0)
    );
    assert_eq!(l.state.source(SourceId::Rollouts).health, Health::Ok);
    let lists = l
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && !r.query.contains("watch"))
        .count();

    // Two canary pods become available: the ReplicaSet event recomputes its rollout.
    let mut rs = load("argo-rollouts/kubectl-plugin-canary-set/canary-rs.yaml");
    rs["status"]["availableReplicas"] = 2.into();
    l.fake.put("replicasets", rs);
    l.until("the canary weight to follow the ReplicaSet", |s| {
        actual(s) == Some(40)
    })
    .await;
    l.fake.bookmark("rollouts");
    l.fake.delete("rollouts", "jesse-test", "canary-demo");
    l.until("the delete", |s| s.rollouts.is_empty()).await;
    let lists_after = l
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && !r.query.contains("watch"))
        .count();
    assert_eq!(lists, lists_after, "steady state makes no LIST calls");
}

#[tokio::test]
async fn after_410_gone_it_relists_without_duplicates_or_leftovers() {
    let mut l = Live::start(canary_set().await).await;
    l.until("the first list", |s| s.rollouts.len() == 1).await;
    // While no watch is open: a rollout is deleted, another created, history compacted.
    l.fake.freeze_watches();
    tokio::time::sleep(Duration::from_millis(200)).await;
    l.fake.delete("rollouts", "jesse-test", "canary-demo");
    let mut other = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    other["metadata"]["namespace"] = "dev".into();
    l.fake.put("rollouts", other);
    l.fake.compact();
    l.fake.thaw();
    l.until("the relist", |s| {
        s.rollouts.len() == 1 && s.rollout("jesse-test", "canary-demo").is_none()
    })
    .await;
    let watches_410 = l
        .fake
        .requests()
        .iter()
        .any(|r| r.query.contains("watch") && r.query.contains("resourceVersion"));
    assert!(
        watches_410,
        "the watch resumed from a resourceVersion first"
    );
    assert_eq!(l.state.rollouts.len(), 1, "no duplicates");
}

#[tokio::test]
async fn reconnects_after_a_restart_and_catches_up() {
    let mut l = Live::start(canary_set().await).await;
    l.until("the first list", |s| s.rollouts.len() == 1).await;
    l.fake.restart().await;
    let mut rs = load("argo-rollouts/kubectl-plugin-canary-set/canary-rs.yaml");
    rs["status"]["availableReplicas"] = 5.into();
    l.fake.put("replicasets", rs);
    l.until("the change made after the restart", |s| {
        actual(s) == Some(100)
    })
    .await;
}

#[tokio::test]
async fn a_malformed_object_does_not_hide_the_good_ones() {
    let fake = canary_set().await;
    let mut bad = load("argo-rollouts/rollout-canary-smi-with-weights.yaml");
    bad["metadata"]["name"] = "odd".into();
    bad["spec"]["strategy"] = "not an object".into();
    bad["status"] =
        serde_json::json!({"currentStepIndex": "x", "pauseConditions": 7, "abort": "yes"});
    fake.put("rollouts", bad);
    let mut bad_app = load("argo-cd/application-synced-healthy-with-history.yaml");
    bad_app["metadata"]["name"] = "odd-app".into();
    bad_app["status"] = serde_json::json!([1, 2, 3]);
    bad_app["spec"] = serde_json::json!("nope");
    fake.put("applications", bad_app);
    let mut l = Live::start(fake).await;
    l.until("both rollouts and both apps", |s| {
        s.rollouts.len() == 2 && s.apps.len() == 2
    })
    .await;
    assert_eq!(
        actual(&l.state),
        Some(0),
        "the good rollout is computed as before"
    );
    // Shown, but as what it is: unreadable, with why — not a healthy-looking default.
    let odd = l
        .state
        .rollout("jesse-test", "odd")
        .unwrap_or_else(|| panic!("odd"));
    assert_eq!(
        odd.invalid.as_deref(),
        Some(
            "spec.strategy: expected an object, found a string; status.currentStepIndex: expected a number, found a string; status.pauseConditions: expected a list, found a number; status.abort: expected true or false, found a string"
        )
    );
    let app = l
        .state
        .apps
        .iter()
        .find(|a| a.name == "odd-app")
        .unwrap_or_else(|| panic!("odd-app"));
    assert_eq!(
        app.invalid.as_deref(),
        Some("spec: expected an object, found a string; status: expected an object, found a list")
    );
    assert_eq!(app.health, opsdeck::model::HealthStatus::Unknown);
    let dark = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let text = support::render(&l.state, &dark, 200, 60);
    assert!(text.contains("✗ Invalid"), "{text}");
    assert!(!text.contains("odd        ♥"), "{text}");
    // Nor borrowed weights: its row says none are known.
    let row = text
        .lines()
        .flat_map(|l| l.split(['│', '┃']))
        .find(|c| c.starts_with("odd "))
        .unwrap_or_else(|| panic!("no row for odd: {text}"));
    assert!(row.contains("✗ Invalid") && !row.contains('%'), "{row}");
}

#[tokio::test]
async fn a_watch_answered_410_as_its_http_status_relists_at_once() {
    let mut l = Live::start(canary_set().await).await;
    l.until("the first list", |s| s.rollouts.len() == 1).await;
    l.fake.freeze_watches();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut other = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    other["metadata"]["namespace"] = "dev".into();
    l.fake.put("rollouts", other);
    l.fake.compact_gone_as_http();
    l.fake.clear_requests();
    l.fake.thaw();
    // kube-runtime alone retries the same resourceVersion for ever; opsdeck lists again.
    l.until("the relist", |s| s.rollouts.len() == 2).await;
    let lists = l
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/rollouts") && !r.query.contains("watch=true"))
        .count();
    assert!(lists >= 1, "a new list was asked for");
    assert_eq!(l.state.source(SourceId::Rollouts).health, Health::Ok);
}

#[tokio::test]
async fn rollouts_of_two_namespaces_both_stay_when_one_of_them_relists() {
    let fake = canary_set().await;
    let mut other = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    other["metadata"]["namespace"] = "dev".into();
    fake.put("rollouts", other);
    let mut l = Live::start_in(fake, &["jesse-test", "dev"]).await;
    l.until("both namespaces' rollouts", |s| s.rollouts.len() == 2)
        .await;
    // One namespace's history goes: its watch relists, the other namespace's rollout stays.
    l.fake.freeze_watches();
    tokio::time::sleep(Duration::from_millis(200)).await;
    l.fake.delete("rollouts", "jesse-test", "canary-demo");
    l.fake.compact();
    l.fake.thaw();
    l.until("the relist of jesse-test", |s| {
        s.rollout("jesse-test", "canary-demo").is_none()
    })
    .await;
    // Give the other stream's events time to land too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(u) = l.rx.try_recv() {
        l.state.apply(u);
    }
    assert_eq!(
        l.state
            .rollouts
            .iter()
            .map(|r| r.namespace.as_str())
            .collect::<Vec<_>>(),
        ["dev"]
    );
}

#[tokio::test]
async fn a_namespace_that_cannot_be_listed_does_not_hold_back_the_others() {
    let fake = canary_set().await;
    // RBAC refuses the Rollouts of "stage"; "jesse-test" is readable.
    fake.forbid(
        "GET",
        "/apis/argoproj.io/v1alpha1/namespaces/stage/rollouts",
    );
    let mut l = Live::start_in(fake, &["jesse-test", "stage"]).await;
    l.until("jesse-test's rollout", |s| {
        s.rollout("jesse-test", "canary-demo").is_some()
    })
    .await;
}
