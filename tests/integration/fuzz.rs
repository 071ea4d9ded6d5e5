//! Mutation tests over every parser of remote or user data: real objects and answers (the
//! fixtures, and the answer shapes of PROTOCOLS) with values replaced by hostile ones, keys
//! dropped, text cut and bytes flipped. For each: no panic, and what reaches State and the
//! frame holds no control character, escape or bidi override — whatever came in.
//!
//! A few dozen cases per target in CI (seconds); `OPSDECK_FUZZ_CASES=N` runs N per target.
//! docs/reliability.md records the long runs.

use crate::support;
use opsdeck::layout::Pane;
use opsdeck::sources::logs::{Interner, to_log_line};
use opsdeck::state::{Overlay, Screen, State, Tracked, Update};
use opsdeck::theme::Theme;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("OPSDECK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Shrinking a failure is worth its time; hunting one for minutes is the env var's job.
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Values a hostile or broken server sends where something else was expected.
fn hostile() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(""),
        json!(-1),
        json!(0),
        json!(537),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.5),
        json!("NaN"),
        json!("+Inf"),
        json!("-12"),
        json!("9999999999999999999999"),
        json!("213503982334602d"),
        json!("1h2x"),
        json!([]),
        json!({}),
        json!([[[[["deep"]]]]]),
        json!({"a": {"b": null}}),
        json!("\u{1b}[31mred\u{1b}[0m\u{1b}]0;owned\u{7}"),
        json!("\u{9b}2J\u{9d}0;t\u{9c}"),
        json!("a\u{202e}txt.exe\u{2066}\u{2069}\u{61c}\u{200f}"),
        json!("line\nbreak\r\nand\ttab\u{0}nul"),
        json!("💥\u{fe0f}👩\u{200d}🚀 日本語 é\u{301}"),
        json!("x".repeat(70_000)),
        json!("}\"{pod=~\"a{5}\"}"),
        json!("2026-13-45T99:99:99Z"),
        json!("1970-01-01T00:00:00Z"),
    ]
}

/// Every path to a node of `v`, root first.
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Value::String(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(json!(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Value::String(k) => cur.get_mut(k.as_str())?,
            Value::Number(n) => cur.get_mut(usize::try_from(n.as_u64()?).ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// One change to a JSON document: at the node `at`, what `how` says with value `with`.
#[derive(Clone, Debug)]
struct Mutation {
    at: Index,
    how: u8,
    with: Index,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (any::<Index>(), 0u8..6, any::<Index>()).prop_map(|(at, how, with)| Mutation { at, how, with })
}

fn mutate(mut v: Value, ms: &[Mutation]) -> Value {
    let values = hostile();
    for m in ms {
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let path = m.at.get(&all).clone();
        let with = m.with.get(&values).clone();
        let Some(n) = node(&mut v, &path) else {
            continue;
        };
        match m.how {
            // Replace the value.
            0..=2 => *n = with,
            // Drop a key, or empty a list.
            3 => match n {
                Value::Object(o) => {
                    if let Some(k) = o.keys().next().cloned() {
                        o.remove(&k);
                    }
                }
                Value::Array(a) => a.clear(),
                _ => *n = Value::Null,
            },
            // Repeat a list many times over (a large answer of the same shape).
            4 => {
                if let Value::Array(a) = n
                    && let Some(first) = a.first().cloned()
                {
                    a.extend(std::iter::repeat_n(first, 200));
                } else {
                    *n = json!([with.clone(), with]);
                }
            }
            // Wrap the value in a list.
            _ => *n = json!([n.clone()]),
        }
    }
    v
}

/// A change to text: cut it, flip a byte, or put hostile text in.
#[derive(Clone, Debug)]
struct TextCut {
    at: Index,
    how: u8,
    byte: u8,
}

fn text_cut() -> impl Strategy<Value = TextCut> {
    (any::<Index>(), 0u8..4, any::<u8>()).prop_map(|(at, how, byte)| TextCut { at, how, byte })
}

fn cut_text(text: &str, cuts: &[TextCut]) -> String {
    let mut b = text.as_bytes().to_vec();
    for c in cuts {
        if b.is_empty() {
            break;
        }
        let i = c.at.index(b.len());
        match c.how {
            0 => b.truncate(i),
            1 => b[i] = c.byte,
            2 => {
                let bad = "\u{1b}[2J\u{202e}\"}]{\u{0}";
                b.splice(i..i, bad.bytes());
            }
            _ => {
                b.remove(i);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn theme() -> Theme {
    Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

fn state() -> State {
    let mut ctx = support::context();
    ctx.demo = false;
    let mut s = State::new(ctx, support::start(), 200);
    s.set_size(120, 40);
    s
}

/// Draws every pane (and the cockpit when a rollout is there) at two sizes; the frame must
/// hold no forbidden character. Returns the failure, if any.
fn frames_clean(s: &mut State) -> Result<(), String> {
    let theme = theme();
    let mut screens = Vec::new();
    for pane in [
        Pane::Apps,
        Pane::Rollouts,
        Pane::Routes,
        Pane::Alerts,
        Pane::Logs,
    ] {
        s.ui.focus = pane;
        screens.push(support::render(s, &theme, 120, 40));
    }
    if let Some(r) = s.rollouts.first() {
        s.ui.screen = Screen::Cockpit {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        };
        screens.push(support::render(s, &theme, 200, 60));
        screens.push(support::render(s, &theme, 80, 24));
        s.ui.screen = Screen::Main;
    }
    screens.push(support::render(s, &theme, 80, 24));
    for text in screens {
        if let Some(c) = text.chars().find(|c| *c != '\n' && forbidden(*c)) {
            return Err(format!("{c:?} reached the frame:\n{text}"));
        }
    }
    Ok(())
}

/// What these updates show, drawn: clean, or the character that got through.
fn shown_clean(updates: Vec<Update>) -> Result<(), TestCaseError> {
    let mut s = state();
    for u in updates {
        s.apply(u);
    }
    frames_clean(&mut s).map_err(TestCaseError::fail)
}

/// Log entries as the log sources make lines of them, shown.
fn lines_clean(entries: &[opsdeck::sources::logs::Entry]) -> Result<(), TestCaseError> {
    let mut names = Interner::default();
    let lines = entries
        .iter()
        .map(|e| to_log_line(e, &tracked(), &mut names))
        .collect();
    shown_clean(vec![Update::Logs(lines)])
}

fn fixtures(paths: &[&str]) -> Vec<Value> {
    paths.iter().map(|p| support::fixture(p)).collect()
}

use support::ROLLOUTS;

const APPS: &[&str] = &[
    "argo-cd/application-helm-automated-no-status.yaml",
    "argo-cd/application-minimal-degraded.yaml",
    "argo-cd/application-synced-healthy-with-history.yaml",
];

/// A Prometheus instant-vector answer of Linkerd's route metrics (PROTOCOLS §3.3, §4).
fn route_vector() -> Value {
    let sample = |class: &str, hash: &str, v: &str| {
        json!({"metric": {"dst": "store.dev.svc.cluster.local:8080", "rt_route": "GET /products",
            "classification": class, "namespace": "dev", "rollouts_pod_template_hash": hash,
            "deployment": "store"}, "value": [1764558245.123, v]})
    };
    json!({"status": "success", "data": {"resultType": "vector", "result": [
        sample("success", "c1", "9.5"), sample("failure", "c1", "0.5"),
        sample("success", "s1", "10"), sample("failure", "s1", "NaN")]}})
}

/// A range answer of node CPU (PROTOCOLS §4).
fn cpu_matrix() -> Value {
    json!({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"instance": "k3d-dev-server-0", "nodename": "k3d-dev-server-0"},
         "values": [[1764558000, "12.5"], [1764558005, "+Inf"], [1764558010, "13"]]}]}})
}

/// `GET /api/v2/alerts` (Alertmanager v2, PROTOCOLS §5).
fn alerts_answer() -> Value {
    json!([{"labels": {"alertname": "KubePodCrashLooping", "severity": "warning",
        "namespace": "dev", "pod": "store-7c9f-abcde"},
        "annotations": {"summary": "Pod is crash looping.", "description": "Pod dev/store is restarting 2.1 times / 10 minutes."},
        "startsAt": "2026-11-30T23:58:00.000Z", "endsAt": "2026-12-01T00:08:00.000Z",
        "fingerprint": "5f1e2d3c4b5a6978", "receivers": [{"name": "null"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []},
        "updatedAt": "2026-12-01T00:04:00.000Z", "generatorURL": "http://prometheus/graph"}])
}

/// `GET /api/v2/silences`.
fn silences_answer() -> Value {
    json!([{"id": "b1a4f0c2-0d4e-4c3b-9f57-0c1d2e3f4a5b", "status": {"state": "active"},
        "matchers": [{"name": "alertname", "value": "KubePodCrashLooping", "isRegex": false, "isEqual": true}],
        "startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-12-01T02:00:00Z",
        "createdBy": "alice", "comment": "deploying a fix", "updatedAt": "2026-12-01T00:00:00Z"}])
}

/// A Loki `/loki/api/v1/tail` frame (PROTOCOLS §6).
fn tail_frame() -> Value {
    json!({"streams": [{"stream": {"namespace": "dev", "pod": "store-7c9f-abcde", "app": "store",
        "container": "store", "level": "error"},
        "values": [["1764558245123456789", "2026-12-01T03:04:05.123Z ERROR 1 --- [nio-8080-exec-1] c.e.store.ProductController : Request processing failed\njava.lang.IllegalStateException: boom\n\tat com.example.Store.get(Store.java:42)"]]}],
        "dropped_entries": [{"labels": {"app": "store"}, "timestamp": "1764558245000000000"}]})
}

/// A config.toml as docs/usage.md shows it, read-only and with a protected context.
const CONFIG: &str = r#"theme = "colorblind"
keymap = "vim"
read-only = true
namespace = ["dev"]
prometheus = "http://prometheus.monitoring:9090"
log-query = '{namespace="dev"} |= "ERROR"'
log-lines = 100000
sort = ["apps=wave"]

[contexts.k3d-prod]
protected = true
read-only = true
"#;

fn tracked() -> Vec<Tracked> {
    vec![Tracked {
        namespace: "dev".into(),
        name: "store".into(),
        stable_hash: "s1".into(),
        canary_hash: "c1".into(),
        ..Default::default()
    }]
}

proptest! {
    #![proptest_config(config())]

    /// Rollouts with their ReplicaSets and AnalysisRuns, mutated: parsed or refused, never a
    /// panic; what is shown (list, cockpit) is clean.
    #[test]
    fn kube_rollouts(pick in any::<Index>(), ms in prop::collection::vec(mutation(), 1..6)) {
        let seeds = fixtures(ROLLOUTS);
        let ro = mutate(pick.get(&seeds).clone(), &ms);
        let set = "argo-rollouts/kubectl-plugin-canary-set";
        let rs = fixtures(&[&format!("{set}/canary-rs.yaml"), &format!("{set}/stable-rs.yaml")]);
        let rs: Vec<Value> = rs.into_iter().map(|r| mutate(r, &ms[..1])).collect();
        let runs = [
            mutate(support::fixture("argo-rollouts/analysisrun-failed-background.yaml"), &ms[..1]),
            mutate(support::fixture("argo-rollouts/analysisrun-prometheus-step.yaml"), &ms[..1]),
        ];
        let parsed = opsdeck::sources::kube::parse::parse_rollout(&ro, rs.iter(), runs.iter());
        let run = opsdeck::sources::kube::parse::parse_analysis_run(&runs[1]);
        let other = opsdeck::sources::kube::parse::parse_analysis_run(&runs[0]);
        if let Ok(mut r) = parsed {
            // The analyses drawn in full in the cockpit, whichever run the status names: the
            // step's as the current one, the background one beside it.
            if let Ok(a) = run {
                r.analysis = Some(a);
            }
            r.more_analyses.extend(other);
            shown_clean(vec![Update::Rollouts(vec![r])])?;
        }
    }

    #[test]
    fn kube_applications(pick in any::<Index>(), ms in prop::collection::vec(mutation(), 1..6)) {
        let seeds = fixtures(APPS);
        let app = mutate(pick.get(&seeds).clone(), &ms);
        if let Ok(a) = opsdeck::sources::kube::parse::parse_application(&app) {
            shown_clean(vec![Update::Apps(vec![a])])?;
        }
    }

    /// Below the rollout and around the platform: pods, events, an application's resource
    /// tree and cert-manager Certificates, mutated; each drawn in its own view (the pods view,
    /// the application's details, the Platform view) with no forbidden character.
    #[test]
    fn below_and_platform(ms in prop::collection::vec(mutation(), 1..6)) {
        use opsdeck::sources::kube::{certs, parse, pods};
        let pod = mutate(support::fixture("kubernetes/pod-crashloop.json"), &ms);
        let events = mutate(support::fixture("kubernetes/events-store.json"), &ms[..1]);
        let app = mutate(support::fixture("argo-cd/application-synced-healthy-with-history.yaml"), &ms);
        let cert = mutate(serde_json::json!({"metadata": {"name": "gateway-tls", "namespace": "dev"},
            "spec": {"issuerRef": {"name": "ca", "kind": "ClusterIssuer"}, "secretName": "gateway-tls"},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Failed",
                "message": "The certificate request has failed"}],
                "notAfter": "2026-11-25T00:00:00Z", "renewalTime": "2026-11-20T00:00:00Z",
                "failedIssuanceAttempts": 2}}), &ms);
        let mut s = state();
        let set = "argo-rollouts/kubectl-plugin-canary-set";
        let rs = fixtures(&[&format!("{set}/canary-rs.yaml"), &format!("{set}/stable-rs.yaml")]);
        if let Ok(r) = parse::parse_rollout(&support::fixture(&format!("{set}/rollout.yaml")), rs.iter(), std::iter::empty()) {
            s.apply(Update::Rollouts(vec![r]));
        }
        let Some(r) = s.rollouts.first().cloned() else { return Ok(()) };
        s.ui.overlay = Some(Overlay::Pods { namespace: r.namespace.clone(), name: r.name.clone(), selected: 0 });
        if let Some(scope) = s.pod_scope() {
            let parsed: Vec<_> = pods::parse_pod(&pod).into_iter().collect();
            s.apply(Update::Pods { scope: scope.clone(), pods: Ok(parsed) });
            let evs = events["items"].as_array().map(|a| a.iter().filter_map(pods::parse_event).collect()).unwrap_or_default();
            s.apply(Update::Events { scope, events: Ok(evs) });
        }
        frames_clean(&mut s).map_err(TestCaseError::fail)?;
        let ns = app["metadata"]["namespace"].as_str().unwrap_or("").to_string();
        let name = app["metadata"]["name"].as_str().unwrap_or("").to_string();
        s.ui.overlay = Some(Overlay::AppDetail { namespace: ns.clone(), name: name.clone(), scroll: 0 });
        if let Ok(a) = parse::parse_application(&app) {
            s.apply(Update::Apps(vec![a]));
        }
        s.apply(Update::AppTree { namespace: ns, name, tree: parse::parse_app_tree(&app) });
        frames_clean(&mut s).map_err(TestCaseError::fail)?;
        s.ui.overlay = Some(Overlay::Platform { selected: 0 });
        s.apply(Update::Certificates(Ok(certs::parse_certificate(&cert).into_iter().collect())));
        frames_clean(&mut s).map_err(TestCaseError::fail)?;
    }

    /// ServiceProfiles and Istio's VirtualServices and DestinationRules.
    #[test]
    fn mesh_objects(pick in any::<Index>(), ms in prop::collection::vec(mutation(), 1..6)) {
        let mut seeds = vec![support::fixture("linkerd/serviceprofile-store.yaml")];
        for f in ["istio/istio-host-split.yaml", "istio/istio-subset-split.yaml", "istio/multipleVirtualsvc.yaml"] {
            seeds.extend(support::fixture_docs(f));
        }
        let obj = mutate(pick.get(&seeds).clone(), &ms);
        let _ = opsdeck::sources::mesh::linkerd::profiles::parse_service_profile(&obj);
        let mut shown = Vec::new();
        if let Ok(vs) = opsdeck::sources::mesh::istio::objects::parse_virtual_service(&obj) {
            shown.push(Update::VirtualServices(vec![vs]));
        }
        if let Ok(dr) = opsdeck::sources::mesh::istio::objects::parse_destination_rule(&obj) {
            shown.push(Update::DestinationRules(vec![dr]));
        }
        shown_clean(shown)?;
    }

    /// Prometheus answers, as JSON mutated and as text cut: route rows assembled from them
    /// (Linkerd's) and CPU series; success never outside 0–100 %.
    #[test]
    fn prometheus_answers(
        ms in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(text_cut(), 0..3),
    ) {
        use opsdeck::sources::mesh::linkerd::assemble::{MeshInputs, assemble};
        use opsdeck::sources::prometheus::api::{parse_matrix, parse_vector};
        let body = cut_text(&mutate(route_vector(), &ms).to_string(), &cuts);
        let _ = parse_matrix(&cut_text(&mutate(cpu_matrix(), &ms).to_string(), &cuts));
        if let Ok(v) = parse_vector(&body) {
            let inputs = MeshInputs {
                inbound: v.clone(),
                effective: v.clone(),
                actual: v.clone(),
                latency: vec![(0.95, v.clone())],
                latency_by_hash: vec![(0.95, v)],
                ..Default::default()
            };
            let (routes, notes) = assemble(&inputs, &[], &tracked(), 60);
            for r in &routes {
                for s in [r.overall.effective_success, r.overall.actual_success].into_iter().flatten() {
                    prop_assert!((0.0..=1.0).contains(&s), "{r:?}");
                }
            }
            shown_clean(vec![Update::Routes(routes), Update::MeshNotes(notes)])?;
        }
    }

    #[test]
    fn alertmanager_answers(
        ms in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(text_cut(), 0..3),
    ) {
        use opsdeck::sources::alertmanager::{parse_alerts, parse_silences};
        let _ = parse_silences(&cut_text(&mutate(silences_answer(), &ms).to_string(), &cuts));
        if let Ok(alerts) = parse_alerts(&cut_text(&mutate(alerts_answer(), &ms).to_string(), &cuts)) {
            shown_clean(vec![Update::Alerts(alerts)])?;
        }
    }

    /// Loki tail frames: entries become log lines (Spring Boot parsing included) and are shown
    /// clean, expanded or not.
    #[test]
    fn loki_frames(
        ms in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(text_cut(), 0..3),
    ) {
        let frame = cut_text(&mutate(tail_frame(), &ms).to_string(), &cuts);
        if let Ok((entries, _)) = opsdeck::sources::logs::loki::parse_tail(&frame) {
            lines_clean(&entries)?;
        }
    }

    /// OpenSearch `_search` answers (Fluentd's shapes) and its errors.
    #[test]
    fn opensearch_answers(
        pick in any::<Index>(),
        ms in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(text_cut(), 0..3),
    ) {
        use opsdeck::sources::logs::opensearch::{Labels, Seen, parse_search};
        use opsdeck::sources::logs::opensearch::wire::reason;
        let seeds = [
            "opensearch/fluentd-cri.json",
            "opensearch/fluentd-docker-json.json",
            "opensearch/shard-failure.json",
            "opensearch/error-429.json",
            "opensearch/error-401.json",
        ];
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/{}",
            env!("CARGO_MANIFEST_DIR"),
            pick.get(&seeds)
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let body = cut_text(&mutate(v, &ms).to_string(), &cuts);
        let _ = reason(&body);
        let mut labels = Labels::default();
        if let Ok(answer) = parse_search(&body, "logs", &mut labels) {
            let entries = Seen::new(1000).admit(answer.hits);
            lines_clean(&entries)?;
        }
    }

    /// Application log lines of every shape the parser knows, cut and flipped.
    #[test]
    fn app_lines(pick in any::<Index>(), cuts in prop::collection::vec(text_cut(), 1..4)) {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/logs/spring-boot.log",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        let line = cut_text(lines[pick.index(lines.len())], &cuts);
        let _ = opsdeck::model::app_line::parse_app_line(&line);
    }

    /// The user's files: config.toml, a theme, a keymap, cut and flipped: an error names the
    /// file, never a panic; and a broken config.toml never widens what opsdeck may do — while
    /// its `read-only = true` line is intact, the salvaged settings are read-only.
    #[test]
    fn user_files(which in 0usize..3, cuts in prop::collection::vec(text_cut(), 1..4)) {
        let root = env!("CARGO_MANIFEST_DIR");
        let text = match which {
            0 => CONFIG.to_string(),
            1 => std::fs::read_to_string(format!("{root}/themes/dark.toml")).unwrap_or_default(),
            _ => std::fs::read_to_string(format!("{root}/keymaps/vim.toml")).unwrap_or_default(),
        };
        prop_assume!(!text.is_empty());
        let cut = cut_text(&text, &cuts);
        match which {
            0 => {
                let path = std::path::Path::new("config.toml");
                if let Err(e) = opsdeck::config_file::parse(path, &cut) {
                    prop_assert!(e.starts_with("config.toml"), "{e}");
                    let (kept, _) = opsdeck::config_file::salvage(path, Some(&cut));
                    let top = cut.split("\n[").next().unwrap_or("");
                    if top.lines().any(|l| l == "read-only = true") {
                        prop_assert!(kept.args.iter().any(|(id, _)| id == "read_only"), "{cut}");
                    }
                    if cut.contains("\n[contexts.k3d-prod]\nprotected = true\n") {
                        let prod = kept.contexts.get("k3d-prod");
                        let forced = kept.args.iter().any(|(id, _)| id == "read_only");
                        prop_assert!(forced || prod.is_some_and(|p| p.protected), "{cut}");
                    }
                }
            }
            1 => { let _ = Theme::parse("dark.toml", &cut); }
            _ => { let _ = opsdeck::keymap::Keymap::parse("keymap.toml", &cut); }
        }
    }

    /// LogQL narrowing (the user's `--log-query` and a pod's labels): the result, when there is
    /// one, reads as a query again, with the pod's matcher in its selector and the user's
    /// pipeline after it unchanged.
    #[test]
    fn logql_narrowing(q in "[{}a-z=~!\"|\\\\ .*+?()\\[\\]0-9,]{0,60}", pod in "[a-z0-9{}\"\\\\-]{0,12}") {
        use opsdeck::query::logql::{narrow, quote, selector};
        if let Some(n) = narrow(&q, &[("pod", pod.as_str())]) {
            let (Some(before), Some(after)) = (selector(&q), selector(&n)) else {
                return Err(TestCaseError::fail(format!("{n:?} has no selector")));
            };
            prop_assert_eq!(&q[before.close + 1..], &n[after.close + 1..]);
            let matcher = format!("pod={}", quote(&pod));
            prop_assert!(n[after.open..after.close].ends_with(&matcher), "{n:?}");
        }
    }
}
