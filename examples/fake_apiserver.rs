//! A fake Kubernetes API server loaded with many Argo CD Applications and Rollouts, for
//! measuring opsdeck at scale (scripts/measure-live.sh). Writes a kubeconfig pointing at it.
//!
//!   cargo run --release --example fake_apiserver -- --apps 5000 --rollouts 1000 --kubeconfig kc.yaml
//!
//! With `--control` it reads commands from stdin, one a line, and answers `ok COMMAND` once
//! done (scripts/measure-recovery.sh injects faults with them):
//! `stop`, `start` (the same port and data), `compact` (history forgotten: a watch from an old
//! resourceVersion gets 410 Gone in its stream), `compact-http` (… as the HTTP status),
//! `storage-down` / `storage-up` (`/readyz` fails `etcd`, writes hang), `app NAME`,
//! `rollout NAME` (created as a controller would), `bad-rollout NAME` (its steps a string).
//!
//! `--context NAME` names the kubeconfig's context and cluster (default `fake`), so several
//! fakes can be merged into one kubeconfig as a fleet. `--log-requests` prints every request
//! it answered, a line each (`REQ GET /apis/...?watch=true...`), once a second
//! (scripts/measure-fleet.sh counts the LISTs). `--proxy NS/NAME:PORT=URL` (repeatable)
//! forwards the service proxy of that Service to a real server, such as a Prometheus on
//! loopback.
//!
//! `--pods N` adds N pods to `dev`: four of them the first rollout's (one canary, three stable,
//! selected by its `app` label), the rest another workload's — for measuring that the pods of
//! the rollout on screen cost what they are, however many the namespace holds
//! (scripts/measure-pods.sh).

#[path = "../tests/integration/support/fake_kube.rs"]
mod fake_kube;

use serde_json::Value;

fn load(path: &str) -> Value {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() {
    let apps: usize = arg("--apps", "5000").parse().unwrap_or(5000);
    let rollouts: usize = arg("--rollouts", "1000").parse().unwrap_or(1000);
    let kubeconfig = arg("--kubeconfig", "kubeconfig.yaml");
    let pods: usize = arg("--pods", "0").parse().unwrap_or(0);
    let mut fake = fake_kube::FakeKube::start().await;
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2).filter(|w| w[0] == "--proxy") {
        match pair[1].split_once('=') {
            Some((service, url)) => fake.proxy(service, fake_kube::Proxy::To(url.to_string())),
            None => panic!("--proxy wants NS/NAME:PORT=URL, not {:?}", pair[1]),
        }
    }
    let t = Templates {
        app: load("argo-cd/application-synced-healthy-with-history.yaml"),
        rollout: load("argo-rollouts/kubectl-plugin-canary-set/rollout.yaml"),
        canary: load("argo-rollouts/kubectl-plugin-canary-set/canary-rs.yaml"),
        stable: load("argo-rollouts/kubectl-plugin-canary-set/stable-rs.yaml"),
    };
    let pod = load("kubernetes/pod-crashloop.json");
    for i in 0..pods {
        let mut p = pod.clone();
        let (app, hash) = match i {
            0 => ("ro-0000", "65fb5ffc84"),
            1..=3 => ("ro-0000", "877894d5b"),
            _ => ("batch", "5d4c3b2a1"),
        };
        p["metadata"]["name"] = format!("{app}-{hash}-{i:05}").into();
        p["metadata"]["namespace"] = "dev".into();
        p["metadata"]["labels"] =
            serde_json::json!({"app": app, "rollouts-pod-template-hash": hash});
        fake.put("pods", p);
    }
    for i in 0..apps {
        t.put_app(&fake, &format!("app-{i:05}"));
    }
    for i in 0..rollouts {
        t.put_rollout(&fake, &format!("ro-{i:04}"), false);
    }
    let ctx = arg("--context", "fake");
    let kc = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {ctx}\nclusters:\n- name: {ctx}\n  cluster:\n    server: {}\ncontexts:\n- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n",
        fake.url()
    );
    std::fs::write(&kubeconfig, kc).unwrap_or_else(|e| panic!("{kubeconfig}: {e}"));
    println!(
        "serving {apps} applications and {rollouts} rollouts at {}",
        fake.url()
    );
    if std::env::args().any(|a| a == "--log-requests") {
        let requests = fake.request_log();
        tokio::spawn(async move {
            let mut seen = 0;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let all = requests();
                for r in all.iter().skip(seen) {
                    println!("REQ {} {}?{}", r.method, r.path, r.query);
                }
                seen = all.len();
            }
        });
    }
    if std::env::args().any(|a| a == "--control") {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
        std::thread::spawn(move || {
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if tx.blocking_send(line).is_err() {
                    return;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            let (cmd, name) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            match cmd {
                "stop" => fake.stop(),
                "start" => fake.resume().await,
                "compact" => fake.compact(),
                "compact-http" => fake.compact_gone_as_http(),
                "storage-down" => fake.storage_down(true),
                "storage-up" => fake.storage_down(false),
                "app" => t.put_app(&fake, name),
                "rollout" => t.put_rollout(&fake, name, false),
                "bad-rollout" => t.put_rollout(&fake, name, true),
                "" => continue,
                other => {
                    println!("unknown command {other:?}");
                    continue;
                }
            }
            println!("ok {}", line.trim());
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

struct Templates {
    app: Value,
    rollout: Value,
    canary: Value,
    stable: Value,
}

impl Templates {
    fn put_app(&self, fake: &fake_kube::FakeKube, name: &str) {
        let mut a = self.app.clone();
        a["metadata"]["name"] = name.into();
        a["metadata"]["namespace"] = "argocd".into();
        a["metadata"]["uid"] = format!("app-uid-{name}").into();
        fake.put("applications", a);
    }

    /// A rollout with its canary and stable ReplicaSets; `malformed`: its steps a string.
    fn put_rollout(&self, fake: &fake_kube::FakeKube, name: &str, malformed: bool) {
        let uid = format!("ro-uid-{name}");
        let mut r = self.rollout.clone();
        r["metadata"]["name"] = name.into();
        r["metadata"]["namespace"] = "dev".into();
        r["metadata"]["uid"] = uid.clone().into();
        r["spec"]["selector"] = serde_json::json!({"matchLabels": {"app": name}});
        if malformed {
            r["spec"]["strategy"]["canary"]["steps"] = "setWeight: 20".into();
        }
        fake.put("rollouts", r);
        for (base, tag) in [(&self.canary, "c"), (&self.stable, "s")] {
            let mut rs = base.clone();
            rs["metadata"]["name"] = format!("{name}-{tag}").into();
            rs["metadata"]["namespace"] = "dev".into();
            rs["metadata"]["ownerReferences"][0]["uid"] = uid.clone().into();
            fake.put("replicasets", rs);
        }
    }
}
