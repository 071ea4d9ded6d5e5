//! opsdeck against a (fake) cluster as a user runs it: through a kubeconfig, in tmux.

use crate::support::fake_kube::FakeKube;
use crate::support::temp_dir;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

fn kubeconfig(dir: &std::path::Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: k3d-test\nclusters:\n- name: k3d-test\n  cluster:\n    server: {server}\ncontexts:\n- name: k3d-test\n  context:\n    cluster: k3d-test\n    user: dev\nusers:\n- name: dev\n  user:\n    token: test-token\n"
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

use crate::support::fixture as load;

/// opsdeck with `args` and its state in `dir`: its exit status and what it wrote to stderr.
fn run_opsdeck(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("XDG_STATE_HOME", dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unreachable_cluster_is_named_and_the_demo_offered_without_hanging() {
    let dir = temp_dir("unreachable");
    // Nothing listens on port 9 of loopback.
    let kc = kubeconfig(&dir, "https://127.0.0.1:9");
    let t0 = Instant::now();
    let kc_path = kc.to_string_lossy().to_string();
    let (code, err) = run_opsdeck(&dir, &["--kubeconfig", &kc_path]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "context \"k3d-test\": cannot connect to https://127.0.0.1:9/: connection refused"
        ),
        "{err}"
    );
    assert!(!err.contains("ServiceError"), "{err}");
    assert!(err.contains("opsdeck --demo"), "{err}");
    // A gate in a pipeline: it cannot decide (3), and says why.
    let (code, err) = run_opsdeck(&dir, &["--kubeconfig", &kc_path, "gate", "store"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    // A context the kubeconfig does not have: the ones it has are named.
    let (_, err) = run_opsdeck(&dir, &["--kubeconfig", &kc_path, "--context", "k3d-prod"]);
    assert!(
        err.contains(&format!(
            "context \"k3d-prod\" is not in the kubeconfig {}; its contexts: k3d-test",
            kc.display()
        )),
        "{err}"
    );
    // A kubeconfig that is not there: its path once, without quotes inside quotes.
    let missing = dir.join("nope");
    let (_, err) = run_opsdeck(&dir, &["--kubeconfig", &missing.to_string_lossy()]);
    assert!(
        err.contains(&format!(
            "cannot read the kubeconfig {}: No such file",
            missing.display()
        )) && !err.contains("'\""),
        "{err}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
}

struct Tmux(String);

/// opsdeck on the kubeconfig `kc`, in a 160×45 tmux pane on its own server.
fn launch(tag: &str, tmp: &std::path::Path, kc: &std::path::Path) -> Tmux {
    launch_with(tag, tmp, kc, "")
}

/// … with more arguments.
fn launch_with(tag: &str, tmp: &std::path::Path, kc: &std::path::Path, args: &str) -> Tmux {
    let tmux = Tmux(format!("{tag}-{}", std::process::id()));
    let cmd = format!(
        "env XDG_STATE_HOME='{}' '{}' --kubeconfig '{}' {args}",
        tmp.display(),
        env!("CARGO_BIN_EXE_opsdeck"),
        kc.display()
    );
    let ok = Command::new("tmux")
        .args([
            "-L",
            &tmux.0,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            "160",
            "-y",
            "45",
            &cmd,
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "tmux is needed for this test");
    tmux
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "app"])
    }
    async fn wait_for(&self, what: &str) -> String {
        self.wait_for_all(&[what]).await
    }

    /// Waits until the screen shows all of `what`: the data a test asserts, not a title.
    async fn wait_for_all(&self, what: &[&str]) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if what.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what:?}:\n{s}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_show_and_promote_on_a_live_cluster() {
    let fake = FakeKube::start().await;
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    for f in ["canary-rs", "stable-rs", "old-rs"] {
        fake.put("replicasets", load(&format!("{dir}/{f}.yaml")));
    }
    let mut paused = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    paused["metadata"]["namespace"] = "dev".into();
    paused["metadata"]["name"] = "store".into();
    fake.put("rollouts", paused);
    fake.put("rollouts", load(&format!("{dir}/rollout.yaml")));
    let mut app = load("argo-cd/application-synced-healthy-with-history.yaml");
    app["metadata"]["namespace"] = "argocd".into();
    fake.put("applications", app);

    let tmp = temp_dir("e2e");
    let kc = kubeconfig(&tmp, &fake.url());
    let tmux = launch("opsdeck-live", &tmp, &kc);
    // Applications and Rollouts are separate watches: wait for what both show.
    let screen = tmux
        .wait_for_all(&["canary-demo", "velero-test", "0/8", "Degraded"])
        .await;
    assert!(
        screen.contains("k3d-test") && !screen.contains("DEMO"),
        "{screen}"
    );
    assert!(
        screen.contains("velero-test"),
        "the Application shows:\n{screen}"
    );
    assert!(
        screen.contains("0/8") && screen.contains("Degraded"),
        "as the plugin shows it:\n{screen}"
    );
    // No Prometheus, Loki or Alertmanager in this cluster: the panes say where they looked.
    tmux.wait_for("alertmanager-operated").await;
    let screen = tmux
        .wait_for("no Prometheus found through the API server")
        .await;
    assert!(
        screen.contains("prometheus-operated") && screen.contains("not found"),
        "{screen}"
    );
    tmux.wait_for("Loki answered 404").await;

    // Promote `store` (second row, paused): confirmation, then the PATCH the plugin sends.
    fake.clear_requests();
    tmux.run(&["send-keys", "-t", "app", "2", "g", "j", "p"]);
    tmux.wait_for("$ kubectl argo rollouts promote store -n dev")
        .await;
    tmux.run(&["send-keys", "-t", "app", "Enter"]);
    tmux.wait_for("✓ promote store").await;
    let patches: Vec<(String, Value)> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path, r.body))
        .collect();
    assert_eq!(
        patches,
        vec![(
            "/apis/argoproj.io/v1alpha1/namespaces/dev/rollouts/store/status".to_string(),
            serde_json::json!({"status": {"pauseConditions": null}})
        )]
    );
    tmux.run(&["send-keys", "-t", "app", "q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_namespace_and_context_inside_the_app() {
    let fake = FakeKube::start().await;
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    fake.put("rollouts", load(&format!("{dir}/rollout.yaml")));
    let mut store = load("argo-rollouts/rollout-canary-paused-at-pause-step.yaml");
    store["metadata"]["namespace"] = "dev".into();
    store["metadata"]["name"] = "store".into();
    fake.put("rollouts", store);
    let tmp = temp_dir("switch");
    let kc = kubeconfig(&tmp, &fake.url());
    let tmux = launch("opsdeck-switch", &tmp, &kc);
    let screen = tmux.wait_for_all(&["canary-demo", "store"]).await;
    assert!(screen.contains("ns all"), "{screen}");
    tmux.run(&[
        "send-keys",
        "-t",
        "app",
        ":",
        "n",
        "s",
        " ",
        "d",
        "e",
        "v",
        "Enter",
    ]);
    let screen = tmux.wait_for("ns dev").await;
    let t0 = Instant::now();
    let mut screen = screen;
    while screen.contains("canary-demo") || !screen.contains("store") {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "only dev should show:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        screen = tmux.screen();
    }
    let watches: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/namespaces/dev/rollouts"))
        .map(|r| r.query)
        .collect();
    assert!(
        !watches.is_empty(),
        "new watches are scoped to the namespace"
    );
    tmux.run(&[
        "send-keys",
        "-t",
        "app",
        ":",
        "c",
        "t",
        "x",
        " ",
        "n",
        "o",
        "p",
        "e",
        "Enter",
    ]);
    let screen = tmux
        .wait_for("✗ switch failed, still watching k3d-test · ns dev")
        .await;
    assert!(
        screen.contains("context \"nope\""),
        "names the context that failed:\n{screen}"
    );
    assert!(screen.contains("store"), "{screen}");
    tmux.run(&["send-keys", "-t", "app", "q"]);
}

/// Three contexts at start: `prod` healthy, `stage` refusing Rollouts (403), `dev` not there at
/// all. Each says so in its own cell and panes and none disturbs another; moving the focus
/// lists nothing again; the unreachable one refuses actions and `:fleet add dev` tries it
/// again in its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_starts_with_one_cluster_down_one_refusing_rollouts_and_one_healthy() {
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let (prod, stage) = (FakeKube::start().await, FakeKube::start().await);
    prod.put("rollouts", load(&format!("{dir}/rollout.yaml")));
    let mut app = load("argo-cd/application-synced-healthy-with-history.yaml");
    app["metadata"]["namespace"] = "argocd".into();
    stage.put("applications", app);
    stage.forbid("GET", "/apis/argoproj.io/v1alpha1/rollouts");
    let tmp = temp_dir("fleet-start");
    let kc = tmp.join("kubeconfig");
    let mut text = String::from("apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters:\n");
    let servers = [
        ("prod", prod.url()),
        ("stage", stage.url()),
        ("dev", "https://127.0.0.1:9".to_string()),
    ];
    for (name, url) in &servers {
        text.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
    }
    text.push_str("contexts:\n");
    for (name, _) in &servers {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: dev\n"
        ));
    }
    text.push_str("users:\n- name: dev\n  user:\n    token: test-token\n");
    std::fs::write(&kc, text).unwrap_or_else(|e| panic!("{e}"));
    let tmux = launch_with("opsdeck-fleet", &tmp, &kc, "--context prod,dev,stage");
    // The healthy cluster on screen, the strip with all three in order.
    let screen = tmux
        .wait_for_all(&["canary-demo", "▶", "stage", "dev"])
        .await;
    let strip = screen.lines().nth(1).unwrap_or_default().to_string();
    let at = |name: &str| strip.find(name).unwrap_or(usize::MAX);
    assert!(
        at("prod") < at("dev") && at("dev") < at("stage") && at("stage") < usize::MAX,
        "{strip}"
    );
    assert!(strip.contains("sources down"), "{strip}");
    let lists = |f: &FakeKube| {
        f.requests()
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && r.path.ends_with("/rollouts")
                    && !r.query.contains("watch=true")
            })
            .count()
    };
    let before = lists(&prod);
    // dev: down from the start, every source says why.
    tmux.run(&["send-keys", "-t", "app", "]"]);
    let screen = tmux.wait_for("could not be reached").await;
    assert!(screen.contains("▶ ! dev"), "{screen}");
    // stage: its Applications are there, its Rollouts refused with why.
    tmux.run(&["send-keys", "-t", "app", "]"]);
    let screen = tmux
        .wait_for_all(&["▶ ! stage", "velero-test", "403"])
        .await;
    assert!(
        !screen.contains("canary-demo"),
        "prod's rollout is not stage's:\n{screen}"
    );
    // Back to prod: what it showed is still there, and nothing was listed again.
    tmux.run(&["send-keys", "-t", "app", "]"]);
    tmux.wait_for_all(&["▶ ", "canary-demo"]).await;
    assert_eq!(lists(&prod), before, "a focus change lists nothing again");
    assert!(
        stage.requests().iter().all(|r| r.method == "GET"),
        "nothing but reads went to stage"
    );
    // `:fleet add dev` tries the unreachable one again, in its place in the strip.
    tmux.run(&[
        "send-keys",
        "-t",
        "app",
        ":",
        "f",
        "l",
        "e",
        "e",
        "t",
        " ",
        "a",
        "d",
        "d",
        " ",
        "d",
        "e",
        "v",
        "Enter",
    ]);
    let screen = tmux.wait_for("still cannot reach dev").await;
    let strip = screen.lines().nth(1).unwrap_or_default().to_string();
    let at = |name: &str| strip.find(name).unwrap_or(usize::MAX);
    assert!(
        at("prod") < at("dev") && at("dev") < at("stage") && at("stage") < usize::MAX,
        "in its place, not at the end: {strip}"
    );
    assert_eq!(strip.matches("dev").count(), 1, "once: {strip}");
    tmux.run(&["send-keys", "-t", "app", "q"]);
}

/// `opsdeck status -o json` with its exit status and stdout.
async fn status_json(args: &[&str], dir: &std::path::Path) -> (Option<i32>, Value) {
    let mut all = strings(args);
    all.extend(strings(&["status", "-o", "json", "--wait", "10"]));
    headless_json(all, dir, "opsdeck.status/v1", "opsdeck.status-v1.json").await
}

/// opsdeck with `args` and its state in `dir`, its stdout read as JSON of `schema` and held
/// to the published JSON Schema `file`: its exit status and the answer.
async fn headless_json(
    args: Vec<String>,
    dir: &std::path::Path,
    schema: &str,
    file: &str,
) -> (Option<i32>, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(&args).env("XDG_STATE_HOME", dir);
    // Off the runtime's threads: the fake API server answers on them meanwhile.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["schema"], schema, "{v}");
    conforms(&v, file);
    (out.status.code(), v)
}

/// What is wrong with `v` under the published JSON Schema `docs/schemas/NAME`.
fn violations(v: &Value, name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
    validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn conforms(v: &Value, name: &str) {
    let errors = violations(v, name);
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{v}");
}

/// The headless gate on the demo: the bad canary is `worse` with its evidence, exit 3; the
/// steady platform has nothing wrong (exit 0) and its canary on little traffic cannot be
/// judged yet; the table says the same for people.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_the_verdicts_and_gates_by_its_exit_status() {
    let tmp = temp_dir("status-demo");
    let (code, v) = status_json(&["--demo", "--scenario", "bad-canary"], &tmp).await;
    assert_eq!(code, Some(3), "{v}");
    let store = v["rollouts"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "store"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(store["verdict"], "worse");
    assert!(
        store["concerns"][0]
            .as_str()
            .is_some_and(|c| c.starts_with("GET /products: canary fails")),
        "{store}"
    );
    let products = v["routes"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|r| r["service"] == "store" && r["route"] == "GET /products")
        })
        .unwrap_or_else(|| panic!("{v}"));
    let cmp = &products["comparison"];
    assert_eq!(cmp["verdict"], "worse", "{cmp}");
    assert!(
        cmp["low"].as_f64().is_some_and(|l| l > 0.0)
            && cmp["canary_requests"].as_f64().is_some_and(|n| n > 100.0),
        "{cmp}"
    );
    assert!(v["problems"]["canaries_worse"] == 1, "{v}");

    // Steady: its one problem is the certificate whose renewal keeps failing.
    let (code, v) = status_json(&["--demo"], &tmp).await;
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["problems"]["certificates_expiring"], 1, "{v}");
    assert_eq!(v["problems"]["total"], 1, "{v}");
    let user = v["rollouts"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "user"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(user["verdict"], "cannot_judge", "{user}");
    assert!(
        user["cannot_judge"]
            .as_str()
            .is_some_and(|w| w.contains("more canary requests")),
        "{user}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--demo", "--scenario", "bad-canary", "status"])
        .env("XDG_STATE_HOME", &tmp)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("⚠ 1 canary worse"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("dev/store") && l.ends_with("worse")),
        "{table}"
    );
}

/// Against a cluster: a malformed rollout is `Invalid` with no weights or verdict, and an
/// Alertmanager that cannot be reached makes the snapshot unreliable: exit 4, the source named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_on_a_cluster_names_what_it_could_not_read() {
    let fake = FakeKube::start().await;
    let mut bad = load("argo-rollouts/kubectl-plugin-canary-set/rollout.yaml");
    bad["spec"]["strategy"]["canary"]["steps"] = "setWeight: 20".into();
    fake.put("rollouts", bad);
    let mut app = load("argo-cd/application-synced-healthy-with-history.yaml");
    app["metadata"]["namespace"] = "argocd".into();
    fake.put("applications", app);
    let tmp = temp_dir("status-live");
    let kc = kubeconfig(&tmp, &fake.url());
    let dead = format!("http://127.0.0.1:{}", crate::support::servers::free_port());
    let kc = kc.display().to_string();
    let args = [
        "--kubeconfig",
        kc.as_str(),
        "--alertmanager",
        dead.as_str(),
        "--prometheus",
        dead.as_str(),
    ];
    let (code, v) = status_json(&args, &tmp).await;
    assert_eq!(code, Some(4), "{v}");
    assert_eq!(v["sources"]["alerts"]["health"], "error", "{v}");
    assert_eq!(v["sources"]["argocd"]["health"], "ok", "{v}");
    let ro = &v["rollouts"][0];
    assert!(
        ro["invalid"]
            .as_str()
            .is_some_and(|w| w.contains("spec.strategy.canary.steps")),
        "{ro}"
    );
    assert!(
        ro["verdict"].is_null() && ro["set_weight"].is_null(),
        "{ro}"
    );
    assert_eq!(v["apps"][0]["name"], "velero-test", "{v}");
}

/// `opsdeck gate` with `args`: its exit status and its JSON answer (schema opsdeck.gate/v1),
/// whose `exit` is the process's.
async fn gate_json(args: Vec<String>, dir: &std::path::Path) -> (Option<i32>, Value) {
    let (code, v) = headless_json(args, dir, "opsdeck.gate/v1", "opsdeck.gate-v1.json").await;
    assert_eq!(v["exit"].as_i64(), code.map(i64::from), "{v}");
    (code, v)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The gate on the demo, one run per outcome: the bad canary is worse (1) with its route's
/// counts; the steady canary on little traffic is not enough data by a short deadline (2),
/// and no evidence of harm (0) on the 15-minute window's sample unless a floor of requests
/// holds it back; a rollout that is not there, or has no canary, cannot be decided (3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_exits_by_the_verdict_on_the_demo() {
    let tmp = temp_dir("gate-demo");
    let gate = |pre: &[&str], post: &[&str]| {
        let mut a = strings(&["--demo"]);
        a.extend(strings(pre));
        a.extend(strings(&["gate", "-o", "json"]));
        a.extend(strings(post));
        a
    };
    let (code, v) = gate_json(gate(&["--scenario", "bad-canary"], &["store"]), &tmp).await;
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        (v["verdict"].as_str(), v["rollout"].as_str()),
        (Some("worse"), Some("dev/store"))
    );
    let products = v["routes"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["route"] == "GET /products"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(products["verdict"], "worse", "{products}");
    assert!(
        products["canary_requests"]
            .as_f64()
            .is_some_and(|n| n > 100.0),
        "{products}"
    );
    assert!(
        v["why"]
            .as_str()
            .is_some_and(|w| w.starts_with("GET /products: canary fails")),
        "{v}"
    );

    let started = Instant::now();
    let (code, v) = gate_json(gate(&[], &["user", "--wait", "3s"]), &tmp).await;
    assert_eq!(code, Some(2), "{v}");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it waited for the evidence"
    );
    assert!(
        v["why"]
            .as_str()
            .is_some_and(|w| w.contains("more canary requests")),
        "{v}"
    );
    assert!(
        v["routes"][0]["more_canary_requests"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{v}"
    );

    let (code, v) = gate_json(gate(&["--route-window", "15m"], &["dev/user"]), &tmp).await;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verdict"], "no_evidence", "{v}");
    assert!(
        v["waited_secs"].as_u64().is_some_and(|s| s < 10),
        "decided without waiting out the 5m: {v}"
    );
    let floor = gate(
        &["--route-window", "15m"],
        &["user", "--wait", "2s", "--min-requests", "100000"],
    );
    let (code, v) = gate_json(floor, &tmp).await;
    assert_eq!(
        (code, v["min_requests"].as_f64()),
        (Some(2), Some(100000.0)),
        "{v}"
    );

    // The schema holds the exit status to the verdict, and the verdicts to their words.
    let mut wrong = v.clone();
    wrong["exit"] = 0.into();
    assert!(!violations(&wrong, "opsdeck.gate-v1.json").is_empty());
    wrong["exit"] = 2.into();
    wrong["verdict"] = "fine".into();
    assert!(!violations(&wrong, "opsdeck.gate-v1.json").is_empty());

    let (code, v) = gate_json(gate(&[], &["nosuch"]), &tmp).await;
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(
        v["why"], "no rollout nosuch in the namespaces watched",
        "{v}"
    );
    let (code, v) = gate_json(gate(&[], &["gateway"]), &tmp).await;
    assert_eq!(
        (code, v["why"].as_str()),
        (Some(3), Some("no canary is running (Healthy)")),
        "{v}"
    );

    // For people: the decision first, each route's counts after it.
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--demo", "--scenario", "bad-canary", "gate", "store"])
        .env("XDG_STATE_HOME", &tmp)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("✗ dev/store: canary worse — GET /products"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("GET /products") && l.ends_with("· worse")),
        "{text}"
    );
}

/// `--once`: one frame of the dashboard on stdout, plain text unless colours are asked for,
/// at the size `COLUMNS`×`LINES` gives when stdout is no terminal.
#[test]
fn once_draws_one_frame_as_text() {
    let tmp = temp_dir("once");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(["--demo", "--once"])
            .args(extra)
            .env("XDG_STATE_HOME", &tmp)
            .env("COLUMNS", "120")
            .env("LINES", "40")
            .env_remove("NO_COLOR")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = run(&[]);
    assert_eq!(plain.lines().count(), 40, "{plain}");
    assert!(
        plain
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 120),
        "{plain}"
    );
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.starts_with(" opsdeck  DEMO "), "{plain}");
    for pane in [
        "Rollouts",
        "Apps",
        "Routes",
        "CPU",
        "Alerts",
        "user",
        "⏸ Paused",
    ] {
        assert!(plain.contains(pane), "{pane}:\n{plain}");
    }
    let colour = run(&["--color", "always"]);
    assert!(colour.contains("\x1b[0;"), "{colour}");
    assert!(
        colour
            .lines()
            .all(|l| !l.contains('\x1b') || l.ends_with("\x1b[0m")),
        "every coloured line ends reset"
    );
}

/// The gate against a cluster: the rollouts from the (fake) API server, the routes from a real
/// Prometheus. `store`'s canary fails 20 % of GET /products where stable fails none: worse
/// (1); `user`'s canary is as clean as stable on enough requests: no evidence of harm (0);
/// `study`'s gets too few requests to tell by the deadline (2); a rollout that is not there
/// cannot be decided (3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_on_a_cluster_judges_the_route_metrics_prometheus_holds() {
    use crate::support::promgen::Gen;
    const STABLE: &str = "5f7d9c8b6";
    const CANARY: &str = "8b6c5d4f7";
    let mut g = Gen::new();
    // (service, route, track hash, successes/s, failures/s)
    for (svc, route, hash, ok, fail) in [
        ("store", "GET /products", STABLE, 9.0, 0.0),
        ("store", "GET /products", CANARY, 0.8, 0.2),
        ("user", "GET /users", STABLE, 40.0, 0.0),
        ("user", "GET /users", CANARY, 20.0, 0.0),
        ("study", "GET /courses", STABLE, 2.0, 0.0),
        ("study", "GET /courses", CANARY, 0.5, 0.0),
    ] {
        let dst = format!("{svc}.dev.svc.cluster.local:8080");
        for (class, rate) in [("success", ok), ("failure", fail)] {
            g.counter(
                "route_response_total",
                &format!(
                    r#"classification="{class}",direction="inbound",dst="{dst}",namespace="dev",pod="{svc}-{hash}-x2x9k",rollouts_pod_template_hash="{hash}",rt_route="{route}""#
                ),
                rate,
            );
        }
    }
    let prom = crate::support::servers::prometheus("gate-live", &g.finish());
    let fake = FakeKube::start().await;
    fake.serve_group("linkerd.io", &["v1alpha2"], "v1alpha2");
    for svc in ["store", "user", "study"] {
        let path = "argo-rollouts/rollout-canary-paused-at-pause-step.yaml";
        let mut r = crate::support::rollout_with_status(path, "dev", STABLE, CANARY, 21);
        r["metadata"]["name"] = svc.into();
        fake.put("rollouts", r);
        let mut sp = load("linkerd/serviceprofile-store.yaml");
        sp["metadata"]["name"] = format!("{svc}.dev.svc.cluster.local").into();
        sp["spec"]["routes"][1]["name"] = if svc == "study" {
            "GET /courses".into()
        } else {
            "GET /users".into()
        };
        fake.put("serviceprofiles", sp);
    }
    let tmp = temp_dir("gate-live");
    let kc = kubeconfig(&tmp, &fake.url());
    let gate = |target: &str| {
        strings(&[
            "--kubeconfig",
            &kc.display().to_string(),
            "-n",
            "dev",
            "--prometheus",
            &prom.url(),
            "--mesh",
            "linkerd",
            "gate",
            target,
            "-o",
            "json",
            "--wait",
            "30s",
        ])
    };
    let (code, v) = gate_json(gate("store"), &tmp).await;
    assert_eq!(code, Some(1), "{v}");
    let products = v["routes"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["route"] == "GET /products"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(products["verdict"], "worse", "{products}");
    // 1 req/s to the canary, 20 % failing, over the 1m window.
    assert_eq!(
        products["canary_requests"].as_f64(),
        Some(60.0),
        "{products}"
    );
    assert_eq!(
        products["stable_requests"].as_f64(),
        Some(540.0),
        "{products}"
    );
    assert!(
        products["canary_success"]
            .as_f64()
            .is_some_and(|x| (x - 0.8).abs() < 1e-6),
        "{products}"
    );

    let (code, v) = gate_json(gate("dev/user"), &tmp).await;
    assert_eq!(code, Some(0), "{v}");
    let users = &v["routes"][0];
    assert_eq!(
        (users["route"].as_str(), users["verdict"].as_str()),
        (Some("GET /users"), Some("no_evidence")),
        "{v}"
    );
    assert_eq!(users["canary_requests"].as_f64(), Some(1200.0), "{users}");
    assert_eq!(
        v["position"].as_str().map(|p| p.starts_with("step 1/")),
        Some(true),
        "{v}"
    );

    // 30 clean canary requests a minute cannot rule out a point more failures: not enough
    // data by the deadline (2), which it waited out.
    let mut short = gate("study");
    let n = short.len();
    short[n - 1] = "4s".into();
    let (code, v) = gate_json(short, &tmp).await;
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(2), Some("not_enough_data")),
        "{v}"
    );
    assert!(v["waited_secs"].as_u64().is_some_and(|w| w >= 4), "{v}");
    assert_eq!(
        v["routes"][0]["canary_requests"].as_f64(),
        Some(30.0),
        "{v}"
    );
    // No such rollout in the cluster: cannot decide (3), at once.
    let (code, v) = gate_json(gate("dev/nosuch"), &tmp).await;
    assert_eq!(
        (code, v["why"].as_str()),
        (Some(3), Some("no rollout nosuch in dev")),
        "{v}"
    );
    assert!(v["waited_secs"].as_u64().is_some_and(|w| w < 10), "{v}");
}
