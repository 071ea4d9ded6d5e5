//! Several clusters at once: each its own State, operator and channel. Moving the focus
//! shows another cluster without dropping either; an action in the focused cluster is sent
//! to that cluster's API server only (asserted from each fake's request log); the strip
//! keeps its order whatever has the focus, and draws at 80, 120 and 200 columns.

use crate::support::fake_kube::FakeKube;
use crate::support::{context, fixture as load, render};
use opsdeck::app::{App, Member};
use opsdeck::model::{ActionKind, ActionRequest, Operator};
use opsdeck::ops::kube::KubeOperator;
use opsdeck::state::{Command, Demand, FleetCell, Health, Intent, SourceId, State, Update};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const STORE: &str = "/apis/argoproj.io/v1alpha1/namespaces/dev/rollouts/store";

async fn cluster() -> FakeKube {
    let fake = FakeKube::start().await;
    let mut ro = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    ro["metadata"]["namespace"] = "dev".into();
    ro["metadata"]["name"] = "store".into();
    fake.put("rollouts", ro);
    fake
}

fn state(name: &str) -> State {
    let mut c = context();
    c.name = name.into();
    c.demo = false;
    let mut s = State::new(c, chrono::Utc::now(), 1000);
    s.set_size(120, 40);
    s
}

fn promote() -> ActionRequest {
    crate::support::request(ActionKind::Promote, "dev", "store")
}

fn patches(fake: &FakeKube) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.starts_with(STORE))
        .count()
}

async fn until(what: impl Fn() -> bool) {
    for _ in 0..100 {
        if what() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out");
}

fn app(prod: &FakeKube, stage: &FakeKube, dir: &std::path::Path) -> App {
    let (tx, rx) = mpsc::channel(64);
    let (dtx, _) = watch::channel(Demand::default());
    let (mtx, mrx) = mpsc::channel(64);
    let (mdtx, _) = watch::channel(Demand::default());
    let op = |f: &FakeKube| -> Arc<dyn Operator> { Arc::new(KubeOperator { client: f.client() }) };
    App {
        state: state("prod"),
        theme: opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}")),
        keymap: opsdeck::keymap::Keymap::default_map().unwrap_or_else(|e| panic!("{e}")),
        operator: op(prod),
        audit: Arc::new(opsdeck::ops::audit::AuditLog::new(dir.join("audit.jsonl"))),
        updates_tx: tx,
        updates_rx: rx,
        tasks: Vec::new(),
        switcher: None,
        demand: dtx,
        action_timeout: Duration::from_secs(10),
        fleet: vec![Member {
            state: state("stage"),
            operator: op(stage),
            updates_tx: mtx,
            updates_rx: mrx,
            tasks: Vec::new(),
            switcher: None,
            demand: mdtx,
        }],
        focus_pos: 0,
        switching: false,
        fleet_turn: 0,
        fleet_ctl: Default::default(),
    }
}

#[tokio::test]
async fn an_action_goes_to_the_focused_clusters_server_only_and_focus_keeps_both() {
    let (prod, stage) = (cluster().await, cluster().await);
    let dir = crate::support::temp_dir("fleet");
    let mut app = app(&prod, &stage, &dir);
    let (switched, _rx) = mpsc::channel(1);
    app.refresh_strip();
    let names: Vec<String> = app.fleet_cells().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["prod", "stage"]);
    assert!(
        app.state.ui.layout.strip.height == 1,
        "two clusters: a strip"
    );
    // `]` names the next cluster; the loop moves the focus.
    let cmds = app.state.handle(Intent::Cluster(1));
    assert_eq!(
        cmds,
        [Command::FocusCluster {
            name: "stage".into(),
            reveal: None
        }]
    );
    app.run_commands(cmds, &switched);
    assert_eq!(app.state.context.name, "stage");
    assert_eq!(app.state.ui.size, (120, 40), "the size goes with the focus");
    let cells = app.fleet_cells();
    assert_eq!(
        cells
            .iter()
            .map(|c| (c.name.as_str(), c.focused))
            .collect::<Vec<_>>(),
        [("prod", false), ("stage", true)],
        "the strip keeps its order"
    );
    assert!(app.run_commands(vec![Command::Run(promote())], &switched));
    until(|| patches(&stage) > 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        patches(&prod),
        0,
        "nothing sent to the cluster out of focus"
    );
    // Back to prod with `:ctx prod`: a fleet member is focused, not connected to again.
    let cmds = app.state.handle(Intent::CommandLine);
    assert!(cmds.is_empty());
    for c in "ctx prod".chars() {
        app.state
            .handle(Intent::Text(opsdeck::state::TextKey::Char(c)));
    }
    let cmds = app
        .state
        .handle(Intent::Text(opsdeck::state::TextKey::Enter));
    assert_eq!(
        cmds,
        [Command::FocusCluster {
            name: "prod".into(),
            reveal: None
        }]
    );
    app.run_commands(cmds, &switched);
    assert_eq!(app.state.context.name, "prod");
    assert!(app.run_commands(vec![Command::Run(promote())], &switched));
    until(|| patches(&prod) > 0).await;
    assert_eq!(patches(&stage), 1);
}

#[test]
fn contexts_are_trimmed_deduplicated_and_never_empty() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        opsdeck::config::contexts(&v(&["prod", "", " stage", "prod"]), &v(&["dev", "stage"])),
        ["prod", "stage", "dev"]
    );
    assert!(opsdeck::config::contexts(&v(&[""]), &[]).is_empty());
}

#[test]
fn the_strip_at_80_120_and_200_columns() {
    let cell = |name: &str, focused: bool| FleetCell {
        name: name.into(),
        focused,
        ..Default::default()
    };
    let mut s = state("k3d-prod");
    let mut bad = s.fleet_cell(true);
    bad.problems.worse = 1;
    bad.problems.critical = 2;
    let mut down = cell("stage-eu-west-1", false);
    down.sources_down = 2;
    down.down_reason = "403 Forbidden".into();
    let connecting = FleetCell {
        connecting: true,
        ..cell("dev", false)
    };
    s.set_fleet(vec![bad, cell("titanium-prod", false), down, connecting]);
    // Its sources answered: not "connecting" in its own cell.
    for source in SourceId::ALL {
        s.apply(Update::SourceHealth {
            source,
            health: Health::Ok,
        });
    }
    let theme = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        s.set_size(w, h);
        let text = render(&s, &theme, w, h);
        let strip = text.lines().nth(1).unwrap_or_default().to_string();
        assert!(strip.contains("▶ ✗ k3d-prod"), "{strip}");
        assert!(strip.contains("! stage"), "{strip}");
        insta::assert_snapshot!(format!("fleet_strip_{w}x{h}"), strip);
    }
}

/// Two alerts as Alertmanager's `GET /api/v2/alerts` answers them (kube-prometheus-stack's
/// rules: the labels and annotations they carry).
const ALERTS: &str = r#"[
 {"labels": {"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "store",
   "pod": "store-7c9f8b6d5-x2x9q", "container": "store", "job": "kube-state-metrics"},
  "annotations": {"summary": "Pod is crash looping.",
   "description": "Pod store/store-7c9f8b6d5-x2x9q (store) is in waiting state (reason: \"CrashLoopBackOff\")."},
  "startsAt": "2026-12-01T09:30:00.000Z", "endsAt": "2026-12-01T10:30:00.000Z",
  "fingerprint": "3c2a6f9e1b7d4a05", "receivers": [{"name": "null"}],
  "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []},
  "updatedAt": "2026-12-01T09:41:00.000Z", "generatorURL": "http://prometheus/graph"},
 {"labels": {"alertname": "TargetDown", "severity": "critical", "namespace": "monitoring",
   "job": "store", "service": "store"},
  "annotations": {"summary": "One or more targets are unreachable.",
   "description": "100% of the store/store targets in monitoring namespace are down."},
  "startsAt": "2026-12-01T09:35:00.000Z", "endsAt": "2026-12-01T10:35:00.000Z",
  "fingerprint": "9e8d7c6b5a493827", "receivers": [{"name": "null"}],
  "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []},
  "updatedAt": "2026-12-01T09:41:00.000Z", "generatorURL": "http://prometheus/graph"}
]"#;

#[test]
fn the_all_clusters_view_at_80_120_and_200_columns() {
    use opsdeck::sources::kube::parse::{parse_application, parse_rollout};
    let named = |f: &str, name: &str| {
        let mut v = load(f);
        v["metadata"]["name"] = name.into();
        v["metadata"]["namespace"] = "argocd".into();
        parse_application(&v).unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    let app = |f: &str| named(f, "velero-test");
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let rollout = parse_rollout(
        &load(&format!("{dir}/rollout.yaml")),
        &[
            load(&format!("{dir}/canary-rs.yaml")),
            load(&format!("{dir}/stable-rs.yaml")),
        ],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut prod = state("k3d-prod");
    prod.apply(Update::Apps(vec![
        app("argo-cd/application-synced-healthy-with-history.yaml"),
        named("argo-cd/application-minimal-degraded.yaml", "payments"),
        named(
            "argo-cd/application-helm-automated-no-status.yaml",
            "ingress-nginx",
        ),
    ]));
    prod.apply(Update::Rollouts(vec![rollout]));
    let alerts =
        opsdeck::sources::alertmanager::parse_alerts(ALERTS).unwrap_or_else(|e| panic!("{e}"));
    prod.apply(Update::Alerts(alerts));
    let mut stage = state("stage-eu-west-1");
    stage.apply(Update::Apps(vec![app(
        "argo-cd/application-synced-healthy-with-history.yaml",
    )]));
    let cells = vec![prod.fleet_cell(true), stage.fleet_cell(false)];
    let mut rows = prod.fleet_rows(0);
    rows.extend(stage.fleet_rows(1));
    prod.set_fleet(cells);
    prod.handle(Intent::AllClusters);
    prod.set_fleet_rows(rows);
    let order: Vec<(String, String)> = prod
        .fleet_rows
        .iter()
        .map(|r| (r.cluster.clone(), r.name.clone()))
        .collect();
    // The critical alert, then the degraded rollout and application, then the warning; the
    // healthy ones of both clusters last.
    assert_eq!(
        order[0],
        ("k3d-prod".into(), "TargetDown".into()),
        "{order:?}"
    );
    assert_eq!(order[1].1, "canary-demo", "{order:?}");
    assert!(
        order.last().is_some_and(|(c, _)| c == "stage-eu-west-1"),
        "{order:?}"
    );
    let theme = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        prod.set_size(w, h);
        let text = render(&prod, &theme, w, h);
        assert!(text.contains("All clusters · 2 clusters"), "{text}");
        // Without the header's clock.
        let body: Vec<&str> = text.lines().skip(1).collect();
        insta::assert_snapshot!(format!("fleet_all_{w}x{h}"), body.join("\n"));
    }
}

/// `:fleet add NAME` on a cluster that could not be reached connects it again in its place; on
/// one that answers, it only moves the focus there (nothing connected, nothing dropped).
#[tokio::test]
async fn fleet_add_retries_an_unreachable_cluster_in_place_and_keeps_one_that_answers() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (prod, stage) = (cluster().await, cluster().await);
    let dir = crate::support::temp_dir("fleet-add");
    let mut app = app(&prod, &stage, &dir);
    let down = "stage could not be reached: connection refused";
    app.fleet[0].state.mark_unreachable("connection refused");
    let joins = Arc::new(AtomicUsize::new(0));
    let (count, client) = (joins.clone(), stage.client());
    let joiner: opsdeck::app::Joiner = Arc::new(move |name: String| {
        count.fetch_add(1, Ordering::SeqCst);
        let client = client.clone();
        Box::pin(async move {
            let (tx, rx) = mpsc::channel(64);
            let (dtx, _) = watch::channel(Demand::default());
            let mut s = state(&name);
            for source in SourceId::ALL {
                s.apply(Update::SourceHealth {
                    source,
                    health: Health::Ok,
                });
            }
            Ok(Member {
                state: s,
                operator: Arc::new(KubeOperator { client }),
                updates_tx: tx,
                updates_rx: rx,
                tasks: Vec::new(),
                switcher: None,
                demand: dtx,
            })
        })
    });
    app.fleet_ctl = opsdeck::app::FleetCtl::new(Some(joiner));
    let (switched, _rx) = mpsc::channel(1);
    app.refresh_strip();
    assert_eq!(app.fleet_cells()[1].down_reason, down);
    app.run_commands(vec![Command::AddCluster("stage".into())], &switched);
    app.next_join().await;
    assert_eq!(joins.load(Ordering::SeqCst), 1);
    let names: Vec<String> = app.fleet_cells().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["prod", "stage"], "in its place, once");
    assert_eq!(app.fleet_cells()[1].sources_down, 0, "reached this time");
    assert!(
        app.state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("watching stage"))
    );
    // Asked again: it answers, so it is shown, not connected again.
    app.run_commands(vec![Command::AddCluster("stage".into())], &switched);
    assert_eq!(joins.load(Ordering::SeqCst), 1);
    assert_eq!(app.state.context.name, "stage");
    // A cluster of the fleet is not added twice, and the one on screen not at all.
    app.run_commands(vec![Command::AddCluster("stage".into())], &switched);
    assert_eq!(joins.load(Ordering::SeqCst), 1);
    assert_eq!(app.fleet_cells().len(), 2);
}
