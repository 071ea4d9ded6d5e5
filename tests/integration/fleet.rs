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
    assert_eq!(cmds, [Command::FocusCluster("stage".into())]);
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
    assert_eq!(cmds, [Command::FocusCluster("prod".into())]);
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
