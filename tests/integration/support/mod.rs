//! Shared helpers: a seeded demo platform driven into a State, and buffer-to-text rendering.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::keymap::Keymap;
use opsdeck::model::{ActionKind, ActionRequest, Target};
use opsdeck::sources::demo::{Scenario, Sim};
use opsdeck::state::{Context, State, Update};
use opsdeck::theme::Theme;
use opsdeck::ui::{self, View};

/// A fresh, empty directory for one test.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("opsdeck-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// Every real Rollout among the fixtures.
pub const ROLLOUTS: &[&str] = &[
    "argo-rollouts/rollout-canary-aborted-by-background-analysis.yaml",
    "argo-rollouts/rollout-canary-paused-at-pause-step.yaml",
    "argo-rollouts/rollout-canary-paused-inconclusive-analysis.yaml",
    "argo-rollouts/rollout-canary-paused-step0-after-restart.yaml",
    "argo-rollouts/rollout-canary-smi-with-weights.yaml",
    "argo-rollouts/kubectl-plugin-canary-set/rollout.yaml",
];

/// A fixture from tests/fixtures (YAML) as JSON.
pub fn fixture(path: &str) -> serde_json::Value {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Every document of a multi-document YAML fixture, as JSON.
pub fn fixture_docs(path: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).unwrap_or_else(|e| panic!("{p}: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

/// The document of `kind` in a multi-document fixture, placed in `namespace`.
pub fn fixture_object(path: &str, kind: &str, namespace: &str) -> serde_json::Value {
    let mut v = fixture_docs(path)
        .into_iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("{path}: no {kind}"));
    v["metadata"]["namespace"] = namespace.into();
    v
}

/// The Rollout of `path` in `namespace`, paused at its first step with `weight` on the canary
/// (pod-template hash `canary`) and the rest on `stable`, as the controller reports it.
pub fn rollout_with_status(
    path: &str,
    namespace: &str,
    stable: &str,
    canary: &str,
    weight: u32,
) -> serde_json::Value {
    let mut r = fixture_object(path, "Rollout", namespace);
    r["status"] = serde_json::json!({
        "phase": "Paused",
        "stableRS": stable,
        "currentPodHash": canary,
        "currentStepIndex": 1,
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-12-01T03:00:00Z"}],
        "canary": {"weights": {
            "canary": {"podTemplateHash": canary, "weight": weight},
            "stable": {"podTemplateHash": stable, "weight": 100 - weight}}},
        "replicas": 2, "readyReplicas": 2, "updatedReplicas": 1, "availableReplicas": 2
    });
    r
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An action as State would prepare it, by alice, with no options.
pub fn request(kind: ActionKind, namespace: &str, name: &str) -> ActionRequest {
    ActionRequest {
        id: 1,
        kind,
        target: Target {
            namespace: namespace.into(),
            name: name.into(),
        },
        sync: Default::default(),
        before: String::new(),
        effect: String::new(),
        command: String::new(),
        silence: None,
        user: "alice".into(),
        to_revision: None,
    }
}

pub fn context() -> Context {
    Context {
        name: "k3d-dev (demo)".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        argocd_server: Some("the demo's Argo CD".into()),
        demo: true,
        read_only: false,
        log_query: r#"{namespace="dev"} |~ "ERROR|WARN""#.into(),
        protected: false,
        user: "alice".into(),
    }
}

pub struct Demo {
    pub sim: Sim,
    pub state: State,
    /// The namespace of the platform's services.
    pub namespace: &'static str,
}

impl Demo {
    pub fn new(seed: u64, scenario: Scenario) -> Demo {
        Demo::on("checkmate", seed, scenario)
    }

    /// The demo platform named `platform` (`checkmate`, `titanium`).
    pub fn on(platform: &str, seed: u64, scenario: Scenario) -> Demo {
        let p = opsdeck::sources::demo::platform(platform)
            .unwrap_or_else(|| panic!("no demo platform {platform}"));
        let mut sim = Sim::on(p, seed, scenario, start());
        let mut ctx = context();
        ctx.name = p.context.into();
        ctx.namespace = p.namespace.into();
        ctx.log_query = p.log_query.into();
        let mut state = State::new(ctx, start(), 50_000);
        state.set_size(120, 40);
        for u in sim.snapshot() {
            state.apply(u);
        }
        Demo {
            sim,
            state,
            namespace: p.namespace,
        }
    }

    /// Advances the platform by `secs` simulated seconds and feeds State.
    pub fn run(&mut self, secs: u32) {
        for _ in 0..secs {
            self.sim.step();
            for u in self.sim.drain() {
                self.state.apply(u);
            }
            self.answer_demand();
        }
    }

    /// As the demo task does: the cockpit's analysis queries answered, and the pods and
    /// events of the rollout on screen.
    pub fn answer_demand(&mut self) {
        let demand = self.state.demand();
        if !demand.replay.is_empty() {
            self.state
                .apply(Update::Replay(self.sim.replay(&demand.replay)));
        }
        if let Some(scope) = demand.pods {
            for u in self.sim.below(&scope) {
                self.state.apply(u);
            }
        }
        if let Some((namespace, name)) = demand.app_tree {
            let tree = self.sim.app_tree(&namespace, &name);
            self.state.apply(Update::AppTree {
                namespace,
                name,
                tree,
            });
        }
        if let Some(target) = demand.object {
            let view = self
                .sim
                .object(&target)
                .map(opsdeck::model::object::object_view);
            self.state.apply(Update::Object { target, view });
        }
        if let Some(ask) = demand.app_diff {
            let diff = self.sim.app_diff(&ask);
            self.state.apply(Update::AppDiff { ask, diff });
        }
        if let Some(id) = demand.trace {
            let trace = self.sim.trace(&id);
            self.state.apply(Update::Trace {
                id,
                trace,
                store: "the demo's Jaeger".into(),
            });
        }
        if let Some(ask) = demand.trace_search {
            let hits = Ok(self.sim.trace_search(&ask));
            self.state.apply(Update::TraceHits { ask, hits });
        }
        if let Some(target) = demand.pod_log {
            let lines = self
                .sim
                .pod_log(&target, self.sim.now - chrono::Duration::minutes(30));
            self.state.apply(Update::PodLog {
                target,
                lines,
                reset: true,
            });
        }
    }

    pub fn act(&mut self, kind: ActionKind, name: &str) -> Result<String, String> {
        self.act_to(kind, name, None)
    }

    /// An action with undo's `--to-revision`.
    pub fn act_to(
        &mut self,
        kind: ActionKind,
        name: &str,
        to_revision: Option<i64>,
    ) -> Result<String, String> {
        let namespace = if kind.on_app() {
            "argocd"
        } else {
            self.namespace
        };
        let req = ActionRequest {
            to_revision,
            ..request(kind, namespace, name)
        };
        let r = self.sim.act(&req).map_err(|e| e.to_string());
        for u in self.sim.drain() {
            self.state.apply(u);
        }
        r
    }

    /// The rollout named `name` in whichever of the platform's namespaces it runs.
    pub fn rollout(&self, name: &str) -> &opsdeck::model::Rollout {
        self.state
            .rollouts
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no rollout {name}"))
    }

    pub fn route(&self, service: &str, route: &str) -> &opsdeck::model::RouteStats {
        self.state
            .routes
            .iter()
            .find(|r| r.service == service && r.route == route)
            .unwrap_or_else(|| panic!("no route {service} {route}"))
    }
}

/// Renders a frame and returns it as text, one line per row, trailing spaces kept.
pub fn render(state: &State, theme: &Theme, w: u16, h: u16) -> String {
    let keymap = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let view = View {
        state,
        theme,
        keymap: &keymap,
    };
    ui::plain::buffer_text(&ui::plain::frame(&view, w, h), false, false)
}

/// The numbers of the `request N failed` lines in the ring, in order (the log sources' tests
/// number their lines so).
pub fn numbers(s: &State) -> Vec<usize> {
    s.logs
        .iter()
        .filter_map(|l| {
            l.message
                .strip_prefix("request ")?
                .strip_suffix(" failed")?
                .parse()
                .ok()
        })
        .collect()
}

/// Log lines that would take over a terminal if printed as they are: a title change, a screen
/// clear, an OSC 52 clipboard write, colours, a C1 CSI and a bidi override.
pub const HOSTILE: [&str; 4] = [
    "\u{1b}]0;pwned title\u{7}ERROR title change",
    "\u{1b}[2J\u{1b}[HERROR clear screen",
    "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}ERROR clipboard write",
    "ERROR \u{1b}[31mred\u{1b}[0m and \u{9b}1;1H C1 CSI and \u{202e}bidi",
];

/// An ERROR line of `service`'s pod `pod` at `ts`.
pub fn error_line(
    ts: DateTime<Utc>,
    service: &str,
    pod: &str,
    message: String,
) -> opsdeck::model::LogLine {
    opsdeck::model::LogLine {
        ts,
        level: opsdeck::model::Level::Error,
        service: service.into(),
        pod: pod.into(),
        track: None,
        logger: "".into(),
        message,
        trace_id: String::new(),
        thread: "".into(),
        stack: vec![],
    }
}

/// A request as a fake HTTP server saw it (the fake OpenSearch and the fake Argo CD).
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query string as sent (empty where the fake does not keep it).
    pub query: String,
    pub body: serde_json::Value,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub mod fake_argocd;
pub mod fake_kube;
pub mod fake_loki;
pub mod fake_opensearch;
pub mod fake_traces;
pub mod promgen;
pub mod servers;

/// A Rollout with nothing set, to fill with `..rollout_template()`.
pub fn rollout_template() -> opsdeck::model::Rollout {
    opsdeck::model::Rollout {
        phase: opsdeck::model::RolloutPhase::Paused,
        set_weight: 20,
        actual_weight: 20,
        revision: 2,
        ..Default::default()
    }
}
