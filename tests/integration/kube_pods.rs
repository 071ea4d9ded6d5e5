//! The pods and events of the rollout on screen against the fake API server: watched with the
//! rollout's label selector and `type=Warning` only while it is on screen, the exact requests
//! asserted; what is shown kept when a read is refused.

use crate::support;
use crate::support::fake_kube::{FakeKube, decoded_param};
use crate::support::fixture as load;
use opsdeck::sources::kube::watch::{self, WatchConfig};
use opsdeck::sources::kube::{pod_logs, pods};
use opsdeck::state::{Demand, Fetch, Intent, Screen, State, Update};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::{mpsc, watch as tokio_watch};

const NS: &str = "jesse-test";
const ROLLOUT: &str = "canary-demo";
const CANARY: &str = "65fb5ffc84";
const STABLE: &str = "877894d5b";

/// The crash-looping pod fixture as another pod of `app` with `hash`.
fn pod(name: &str, app: &str, hash: &str) -> Value {
    let mut p = load("kubernetes/pod-crashloop.json");
    p["metadata"]["name"] = name.into();
    p["metadata"]["namespace"] = NS.into();
    p["metadata"]["labels"] = json!({"app": app, "rollouts-pod-template-hash": hash});
    p
}

/// A running, ready pod.
fn healthy(name: &str, app: &str, hash: &str) -> Value {
    let mut p = pod(name, app, hash);
    p["status"]["containerStatuses"][1]["state"] =
        json!({"running": {"startedAt": "2026-12-01T09:30:14Z"}});
    p["status"]["containerStatuses"][1]["ready"] = true.into();
    p["status"]["containerStatuses"][1]["restartCount"] = 0.into();
    p["status"]["containerStatuses"][1]["lastState"] = json!({});
    p
}

fn event(name: &str, kind: &str, object: &str, warning: bool, reason: &str) -> Value {
    let mut e = load("kubernetes/events-store.json")["items"][0].clone();
    e["metadata"]["name"] = name.into();
    e["metadata"]["namespace"] = NS.into();
    e["regarding"]["kind"] = kind.into();
    e["regarding"]["name"] = object.into();
    e["type"] = if warning { "Warning" } else { "Normal" }.into();
    e["reason"] = reason.into();
    e
}

struct Live {
    fake: FakeKube,
    rx: mpsc::Receiver<Update>,
    tx: mpsc::Sender<Update>,
    demand: tokio_watch::Sender<Demand>,
    state: State,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

impl Live {
    async fn start(fake: FakeKube) -> Live {
        let (tx, rx) = mpsc::channel(1024);
        let cfg = WatchConfig {
            namespaces: vec![NS.into()],
            argocd_namespace: "argo-cd".into(),
        };
        let (demand, demand_rx) = tokio_watch::channel(Demand::default());
        let mut tasks = watch::spawn(fake.client(), cfg, tx.clone());
        tasks.push(pods::spawn(fake.client(), demand_rx, tx.clone()));
        let mut ctx = support::context();
        ctx.demo = false;
        ctx.namespace = NS.into();
        let mut state = State::new(ctx, support::start(), 1000);
        state.set_size(120, 40);
        Live {
            fake,
            rx,
            tx,
            demand,
            state,
            tasks,
        }
    }

    /// Applies updates (publishing the demand after each, as the loop does) until `pred` holds.
    async fn until(&mut self, what: &str, pred: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            self.demand.send_if_modified(|d| {
                let now = self.state.demand();
                let changed = *d != now;
                *d = now;
                changed
            });
            if pred(&self.state) {
                return;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => {
                    self.state.apply(u);
                }
                _ => {
                    for r in self.fake.requests() {
                        eprintln!("{} {}?{}", r.method, r.path, r.query);
                    }
                    panic!("timed out waiting for {what}: {:?}", self.state.below);
                }
            }
        }
    }

    fn held_pods(&self) -> Vec<String> {
        self.state
            .below
            .as_ref()
            .map(|b| b.pods.iter().map(|(_, p)| p.name.clone()).collect())
            .unwrap_or_default()
    }

    fn requests_of(&self, plural: &str) -> Vec<(String, String)> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with(&format!("/{plural}")))
            .map(|r| (r.path, r.query))
            .collect()
    }
}

async fn platform() -> FakeKube {
    let fake = FakeKube::start().await;
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    for f in ["canary-rs", "stable-rs", "old-rs"] {
        fake.put("replicasets", load(&format!("{dir}/{f}.yaml")));
    }
    fake.put("rollouts", load(&format!("{dir}/rollout.yaml")));
    fake.put("pods", pod("canary-demo-65fb5ffc84-x2x9k", ROLLOUT, CANARY));
    for s in ["a1b2c", "d3e4f"] {
        fake.put(
            "pods",
            healthy(&format!("canary-demo-877894d5b-{s}"), ROLLOUT, STABLE),
        );
    }
    // The rest of a busy namespace: none of it is the rollout's.
    for i in 0..300 {
        fake.put(
            "pods",
            healthy(&format!("batch-{i}-zz9x"), "batch", "5d4c3b2a1"),
        );
    }
    fake.put(
        "events",
        event(
            "canary-demo-65fb5ffc84-x2x9k.1",
            "Pod",
            "canary-demo-65fb5ffc84-x2x9k",
            true,
            "BackOff",
        ),
    );
    fake.put(
        "events",
        event("batch-1-zz9x.1", "Pod", "batch-1-zz9x", true, "FailedMount"),
    );
    fake.put(
        "events",
        event("canary-demo.1", "Rollout", ROLLOUT, false, "RolloutUpdated"),
    );
    fake
}

#[tokio::test]
async fn the_rollout_on_screen_has_its_pods_and_warnings_watched_with_its_selector_only() {
    let mut l = Live::start(platform().await).await;
    l.until("the rollout", |s| s.rollout(NS, ROLLOUT).is_some())
        .await;
    assert!(
        l.requests_of("pods").is_empty(),
        "no pods are read while no rollout is on screen"
    );
    l.state.ui.screen = Screen::Cockpit {
        namespace: NS.into(),
        name: ROLLOUT.into(),
    };
    l.until("its pods and events", |s| {
        s.below
            .as_ref()
            .is_some_and(|b| b.pods_fetch == Fetch::Listed && b.events_fetch == Fetch::Listed)
    })
    .await;
    assert_eq!(
        l.held_pods(),
        [
            "canary-demo-65fb5ffc84-x2x9k",
            "canary-demo-877894d5b-a1b2c",
            "canary-demo-877894d5b-d3e4f"
        ],
        "canary first, then stable; the 300 others never arrive"
    );
    let b = l.state.below.as_ref().expect("held");
    assert_eq!(b.pods[0].1.status(), "CrashLoopBackOff");
    let reasons: Vec<&str> = b.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["BackOff"], "the rollout's Warnings only");
    // The exact requests: the rollout's namespace, its selector, Warnings only.
    let pod_reqs = l.requests_of("pods");
    assert!(!pod_reqs.is_empty());
    for (path, query) in &pod_reqs {
        assert_eq!(path, &format!("/api/v1/namespaces/{NS}/pods"));
        assert_eq!(
            decoded_param(query, "labelSelector").as_deref(),
            Some("app=canary-demo"),
            "{query}"
        );
    }
    for (path, query) in l.requests_of("events") {
        assert_eq!(
            path,
            format!("/apis/events.k8s.io/v1/namespaces/{NS}/events")
        );
        assert_eq!(
            decoded_param(&query, "fieldSelector").as_deref(),
            Some("type=Warning"),
            "{query}"
        );
    }

    // Live: a stable pod starts crash-looping; a new Warning comes.
    l.fake
        .put("pods", pod("canary-demo-877894d5b-a1b2c", ROLLOUT, STABLE));
    l.until("the stable pod's crash loop", |s| {
        s.below.as_ref().is_some_and(|b| {
            b.pods
                .iter()
                .filter(|(_, p)| p.status() == "CrashLoopBackOff")
                .count()
                == 2
        })
    })
    .await;

    // Normal events asked for: a watch without the field selector, and the rollout's own;
    // the pods watch goes on as it was.
    let pod_reads = l.requests_of("pods").len();
    l.state.handle(Intent::ToggleNormalEvents);
    l.until("the Normal events", |s| {
        s.below
            .as_ref()
            .is_some_and(|b| b.events.iter().any(|e| e.reason == "RolloutUpdated"))
    })
    .await;
    assert_eq!(
        l.requests_of("pods").len(),
        pod_reads,
        "the pods are not read again for Normal events"
    );
    assert!(
        l.requests_of("events")
            .iter()
            .any(|(_, q)| decoded_param(q, "fieldSelector").is_none()),
        "Normal events need a watch without type=Warning"
    );
    let b = l.state.below.as_ref().expect("held");
    assert!(
        b.events.iter().all(|e| e.object != "batch-1-zz9x"),
        "another workload's events are not the rollout's"
    );

    // Refused: what was shown stays, and says why it may be old.
    l.fake
        .forbid("GET", &format!("/api/v1/namespaces/{NS}/pods"));
    l.fake.restart().await;
    l.until("the refusal", |s| {
        s.below
            .as_ref()
            .is_some_and(|b| matches!(b.pods_fetch, Fetch::Failed(_)))
    })
    .await;
    assert_eq!(l.held_pods().len(), 3, "nothing shown is lost");

    // Off screen: nothing more is read.
    l.state.ui.screen = Screen::Main;
    l.until("the demand to drop the pods", |s| s.demand().pods.is_none())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    l.fake.clear_requests();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        l.requests_of("pods").is_empty() && l.requests_of("events").is_empty(),
        "{:?}",
        l.requests_of("pods")
    );
}

/// A Spring Boot 3 console line of the store, as the kubelet keeps it (its time first).
fn spring(at: chrono::DateTime<chrono::Utc>, level: &str, logger: &str, msg: &str) -> String {
    let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let local = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
    format!("{stamp} {local} {level:>5} 1 --- [store] [nio-8080-exec-3] {logger} : {msg}")
}

fn stamped(at: chrono::DateTime<chrono::Utc>, text: &str) -> String {
    format!(
        "{} {text}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    )
}

#[tokio::test]
async fn a_pods_log_is_read_from_the_api_server_followed_over_a_broken_stream_and_its_previous_run()
{
    let fake = platform().await;
    let pod = "canary-demo-65fb5ffc84-x2x9k";
    let now = chrono::Utc::now();
    let ago = |s: i64| now - chrono::Duration::seconds(s);
    for l in [
        spring(
            ago(40),
            "INFO",
            "c.e.store.StoreApplication",
            "Started StoreApplication in 6.412 seconds",
        ),
        spring(
            ago(30),
            "ERROR",
            "c.e.store.web.ProductController",
            "Request processing failed: GET /products/7",
        ),
        stamped(
            ago(30),
            "java.lang.IllegalStateException: Product price is null for sku 7",
        ),
        stamped(
            ago(30),
            "\tat com.example.store.web.ProductController.get(ProductController.java:41)",
        ),
        stamped(ago(20), &"x".repeat(10 * 1024 * 1024)),
        spring(
            ago(10),
            "INFO",
            "c.e.store.web.RequestLogger",
            "GET /badges 200 in 12 ms",
        ),
    ] {
        fake.log_line(NS, pod, "store", &l);
    }
    let mut l = Live::start(fake).await;
    l.tasks.push(pod_logs::spawn(
        l.fake.client(),
        l.demand.subscribe(),
        l.tx.clone(),
    ));
    l.until("the rollout", |s| s.rollout(NS, ROLLOUT).is_some())
        .await;
    l.state.ui.screen = Screen::Cockpit {
        namespace: NS.into(),
        name: ROLLOUT.into(),
    };
    l.state.handle(Intent::Pods);
    l.until("its pods", |s| {
        s.below
            .as_ref()
            .is_some_and(|b| b.pods_fetch == Fetch::Listed)
    })
    .await;
    l.state.handle(Intent::Open);
    let target = l.state.pod_log_target().expect("the pod's log");
    assert_eq!(
        (target.pod.as_str(), target.container.as_str()),
        (pod, "store")
    );
    let messages = |s: &State| -> Vec<String> {
        s.pod_log_target()
            .and_then(|t| s.pod_log(&t))
            .map(|p| {
                (0..p.lines.len())
                    .filter_map(|i| p.lines.get(i))
                    .map(|l| l.message.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    l.until("the log's tail", |s| messages(s).len() == 4).await;
    let log = l.state.pod_log(&target).expect("held");
    let err = log.lines.get(1).expect("the error");
    assert_eq!(err.level, opsdeck::model::Level::Error);
    assert_eq!(
        err.stack.len(),
        2,
        "its exception and frame fold under it: {err:?}"
    );
    let big = log.lines.get(2).expect("the long line");
    assert!(big.message.len() < 70 * 1024, "{}", big.message.len());
    assert!(big.message.ends_with("bytes more, not shown)"));
    // The exact request, as `kubectl logs -f --tail=1000 --timestamps -c store` sends it.
    let reqs: Vec<(String, String)> = l
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/log"))
        .map(|r| (r.path, r.query))
        .collect();
    let (path, query) = reqs.first().expect("a log request");
    assert_eq!(path, &format!("/api/v1/namespaces/{NS}/pods/{pod}/log"));
    for (k, v) in [
        ("container", "store"),
        ("follow", "true"),
        ("tailLines", "1000"),
        ("timestamps", "true"),
    ] {
        assert_eq!(
            decoded_param(query, k).as_deref(),
            Some(v),
            "{k} in {query}"
        );
    }
    assert_eq!(decoded_param(query, "previous"), None);

    // Followed: a new line comes; the stream breaks (the server restarts) and the log is read
    // again from the last line's second without showing anything twice.
    let write_and_see = async |l: &mut Live, what: &str, logger: &str, msg: &str| {
        let line = spring(chrono::Utc::now(), what, logger, msg);
        l.fake.log_line(NS, pod, "store", &line);
        l.until(msg, |s| messages(s).iter().any(|m| m == msg)).await;
    };
    write_and_see(&mut l, "WARN", "c.e.store.StockClient", "stock slow").await;
    l.fake.restart().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    write_and_see(
        &mut l,
        "INFO",
        "c.e.store.web.RequestLogger",
        "after the break",
    )
    .await;
    let all = messages(&l.state);
    assert_eq!(
        all.iter().filter(|m| *m == "stock slow").count(),
        1,
        "{all:?}"
    );
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(
        l.fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/log") && decoded_param(&r.query, "sinceTime").is_some()),
        "the re-read starts where the log was"
    );

    // The previous run: none yet is the API server's 400, in its words, and the lines stay.
    l.state.handle(Intent::TogglePrevious);
    let prev = l.state.pod_log_target().expect("target");
    assert!(prev.previous);
    l.until("the refusal", |s| {
        s.pod_log(&prev).is_some_and(
            |p| matches!(&p.fetch, Fetch::Failed(e) if e.contains("previous terminated container")),
        )
    })
    .await;
    // After a restart it is there, whole, and not followed.
    l.fake.restart_container(NS, pod, "store");
    l.state.handle(Intent::TogglePrevious);
    l.state.handle(Intent::TogglePrevious);
    l.until("the previous run", |s| {
        messages(s).iter().any(|m| m == "after the break")
    })
    .await;
    let last = l
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/log"))
        .expect("request");
    assert_eq!(
        decoded_param(&last.query, "previous").as_deref(),
        Some("true")
    );
    assert_eq!(decoded_param(&last.query, "follow"), None);
}
