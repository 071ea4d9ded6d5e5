//! A fake Kubernetes API server loaded with many Argo CD Applications and Rollouts, for
//! measuring opsdeck at scale (scripts/measure-live.sh). Writes a kubeconfig pointing at it.
//!
//!   cargo run --release --example fake_apiserver -- --apps 5000 --rollouts 1000 --kubeconfig kc.yaml

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
    let fake = fake_kube::FakeKube::start().await;
    let app = load("argo-cd/application-synced-healthy-with-history.yaml");
    for i in 0..apps {
        let mut a = app.clone();
        a["metadata"]["name"] = format!("app-{i:05}").into();
        a["metadata"]["namespace"] = "argocd".into();
        a["metadata"]["uid"] = format!("app-uid-{i}").into();
        fake.put("applications", a);
    }
    let dir = "argo-rollouts/kubectl-plugin-canary-set";
    let (ro, canary, stable) = (
        load(&format!("{dir}/rollout.yaml")),
        load(&format!("{dir}/canary-rs.yaml")),
        load(&format!("{dir}/stable-rs.yaml")),
    );
    for i in 0..rollouts {
        let uid = format!("ro-uid-{i}");
        let mut r = ro.clone();
        r["metadata"]["name"] = format!("ro-{i:04}").into();
        r["metadata"]["namespace"] = "dev".into();
        r["metadata"]["uid"] = uid.clone().into();
        fake.put("rollouts", r);
        for (base, tag) in [(&canary, "c"), (&stable, "s")] {
            let mut rs = base.clone();
            rs["metadata"]["name"] = format!("ro-{i:04}-{tag}").into();
            rs["metadata"]["namespace"] = "dev".into();
            rs["metadata"]["ownerReferences"][0]["uid"] = uid.clone().into();
            fake.put("replicasets", rs);
        }
    }
    let kc = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n",
        fake.url()
    );
    std::fs::write(&kubeconfig, kc).unwrap_or_else(|e| panic!("{kubeconfig}: {e}"));
    println!(
        "serving {apps} applications and {rollouts} rollouts at {}",
        fake.url()
    );
    let _ = tokio::signal::ctrl_c().await;
}
