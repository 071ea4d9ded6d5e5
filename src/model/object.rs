//! One object's YAML, as `kubectl get -o yaml` prints it but for a person at 3 a.m.:
//! `managedFields` and kubectl's last-applied annotation folded to one line each, and for a
//! pod a describe-like summary first (containers with image, state, readiness and restarts;
//! conditions; node, IP and QoS class). Read-only: opsdeck never writes what it shows here.

use serde_json::Value;

/// Lines kept of one object's YAML (a ConfigMap-sized CR is far under it).
pub const OBJECT_LINES_KEPT: usize = 20_000;

/// An object to show, by its API resource and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectRef {
    /// API group (`""` for the core group).
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    fn new(group: &str, version: &str, kind: &str, plural: &str, ns: &str, name: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespace: ns.into(),
            name: name.into(),
        }
    }

    pub fn application(ns: &str, name: &str) -> Self {
        Self::new(
            "argoproj.io",
            "v1alpha1",
            "Application",
            "applications",
            ns,
            name,
        )
    }

    pub fn rollout(ns: &str, name: &str) -> Self {
        Self::new("argoproj.io", "v1alpha1", "Rollout", "rollouts", ns, name)
    }

    pub fn analysis_run(ns: &str, name: &str) -> Self {
        Self::new(
            "argoproj.io",
            "v1alpha1",
            "AnalysisRun",
            "analysisruns",
            ns,
            name,
        )
    }

    pub fn pod(ns: &str, name: &str) -> Self {
        Self::new("", "v1", "Pod", "pods", ns, name)
    }

    pub fn service_profile(ns: &str, name: &str) -> Self {
        Self::new(
            "linkerd.io",
            "v1alpha2",
            "ServiceProfile",
            "serviceprofiles",
            ns,
            name,
        )
    }

    pub fn virtual_service(ns: &str, name: &str) -> Self {
        Self::new(
            "networking.istio.io",
            "v1",
            "VirtualService",
            "virtualservices",
            ns,
            name,
        )
    }

    /// `Rollout dev/store`.
    pub fn label(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// The kubectl command that prints the same object.
    pub fn kubectl(&self) -> String {
        let what = if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        };
        format!(
            "kubectl get {what} {} -n {} -o yaml",
            self.name, self.namespace
        )
    }
}

/// What the view shows of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectView {
    /// A pod's describe-like summary (empty for other kinds).
    pub summary: Vec<String>,
    pub yaml: Vec<String>,
    /// Lines were left out past [`OBJECT_LINES_KEPT`].
    pub truncated: bool,
}

impl ObjectView {
    /// Rows before the YAML: the summary and a blank line after it (none without one).
    pub fn top_rows(&self) -> usize {
        self.summary.len() + usize::from(!self.summary.is_empty())
    }

    /// Rows of the view: the summary's, the YAML's, and the note that lines were cut.
    pub fn rows(&self) -> usize {
        self.top_rows() + self.yaml.len() + usize::from(self.truncated)
    }
}

/// The object as the view shows it: folded, as YAML lines, with a pod's summary.
pub fn object_view(mut v: Value) -> ObjectView {
    let summary = if v.get("kind").and_then(Value::as_str) == Some("Pod") {
        pod_summary(&v)
    } else {
        Vec::new()
    };
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(n) = meta
            .get("managedFields")
            .and_then(Value::as_array)
            .map(Vec::len)
        {
            meta.insert(
                "managedFields".into(),
                Value::from(format!("‹{n} entries folded›")),
            );
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            let key = "kubectl.kubernetes.io/last-applied-configuration";
            if let Some(n) = ann.get(key).and_then(Value::as_str).map(str::len) {
                ann.insert(key.into(), Value::from(format!("‹{n} bytes folded›")));
            }
        }
    }
    let text = super::diff::yaml(&v);
    let mut yaml: Vec<String> = text.lines().map(str::to_string).collect();
    let truncated = yaml.len() > OBJECT_LINES_KEPT;
    yaml.truncate(OBJECT_LINES_KEPT);
    ObjectView {
        summary,
        yaml,
        truncated,
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn list<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A container state in `kubectl describe`'s words: `Running since …`, `Waiting:
/// CrashLoopBackOff`, `Terminated: OOMKilled (exit 137)`.
fn state_words(st: &Value) -> String {
    if let Some(r) = st.get("running") {
        return format!("Running since {}", s(r, &["startedAt"]));
    }
    if let Some(w) = st.get("waiting") {
        return format!("Waiting: {}", s(w, &["reason"]));
    }
    if let Some(t) = st.get("terminated") {
        let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
        return format!("Terminated: {} (exit {code})", s(t, &["reason"]));
    }
    "unknown".into()
}

/// `kubectl describe pod`'s first screen, in a few lines.
pub fn pod_summary(v: &Value) -> Vec<String> {
    let mut out = vec![format!(
        "Status {}  Node {}  IP {}  QoS {}",
        s(v, &["status", "phase"]),
        s(v, &["spec", "nodeName"]),
        s(v, &["status", "podIP"]),
        s(v, &["status", "qosClass"]),
    )];
    let statuses: Vec<&Value> = list(v, &["status", "initContainerStatuses"])
        .iter()
        .chain(list(v, &["status", "containerStatuses"]))
        .collect();
    for c in list(v, &["spec", "initContainers"])
        .iter()
        .chain(list(v, &["spec", "containers"]))
    {
        let name = s(c, &["name"]);
        let st = statuses.iter().find(|x| s(x, &["name"]) == name);
        let ready = st.and_then(|x| x.get("ready")).and_then(Value::as_bool);
        let restarts = st
            .and_then(|x| x.get("restartCount"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let state = st
            .and_then(|x| x.get("state"))
            .map_or("not started".into(), state_words);
        out.push(format!(
            "Container {name}  {}  {state}  ready {}  restarts {restarts}",
            s(c, &["image"]),
            match ready {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            },
        ));
        if let Some(last) = st
            .and_then(|x| x.get("lastState"))
            .filter(|l| l.as_object().is_some_and(|o| !o.is_empty()))
        {
            out.push(format!("  last state: {}", state_words(last)));
        }
    }
    let conditions: Vec<String> = list(v, &["status", "conditions"])
        .iter()
        .map(|c| format!("{}={}", s(c, &["type"]), s(c, &["status"])))
        .collect();
    if !conditions.is_empty() {
        out.push(format!("Conditions {}", conditions.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn managed_fields_and_last_applied_fold_to_one_line_each() {
        let v = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "store", "namespace": "dev",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"a\":1}"},
                "managedFields": [{"manager": "a"}, {"manager": "b"}]},
            "spec": {"replicas": 3}});
        let view = object_view(v);
        let all = view.yaml.join("\n");
        assert!(all.contains("managedFields: ‹2 entries folded›"), "{all}");
        assert!(all.contains("‹7 bytes folded›"), "{all}");
        assert!(!all.contains("manager"), "{all}");
        assert!(view.summary.is_empty());
        assert_eq!(
            ObjectRef::rollout("dev", "store").kubectl(),
            "kubectl get rollouts.argoproj.io store -n dev -o yaml"
        );
    }

    #[test]
    fn a_pods_summary_says_what_describe_says_first() {
        let v = json!({"kind": "Pod", "metadata": {"name": "store-7d9f-abcde"},
            "spec": {"nodeName": "k3d-agent-0", "containers": [
                {"name": "store", "image": "registry/store:1.5.0"},
                {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge"}]},
            "status": {"phase": "Running", "podIP": "10.42.0.7", "qosClass": "Burstable",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [
                    {"name": "store", "ready": false, "restartCount": 4,
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                     "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
                    {"name": "linkerd-proxy", "ready": true, "restartCount": 0,
                     "state": {"running": {"startedAt": "2026-12-01T10:00:00Z"}}, "lastState": {}}]}});
        let sum = pod_summary(&v);
        assert_eq!(
            sum,
            [
                "Status Running  Node k3d-agent-0  IP 10.42.0.7  QoS Burstable",
                "Container store  registry/store:1.5.0  Waiting: CrashLoopBackOff  ready no  restarts 4",
                "  last state: Terminated: OOMKilled (exit 137)",
                "Container linkerd-proxy  cr.l5d.io/linkerd/proxy:edge  Running since 2026-12-01T10:00:00Z  ready yes  restarts 0",
                "Conditions Ready=False",
            ]
        );
        // Remote shapes that are wrong give words, not a panic.
        assert_eq!(pod_summary(&json!({"spec": {"containers": 3}})).len(), 1);
    }
}
