//! The pods behind a rollout and the Kubernetes events about it, in the words `kubectl get
//! pods` and `kubectl events` use.

use chrono::{DateTime, Utc};

/// One pod, as much of it as the pods view shows. Every text came from the cluster cleaned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    pub name: String,
    /// Its `rollouts-pod-template-hash` label (empty without one).
    pub hash: String,
    /// `status.phase`: Pending, Running, Succeeded, Failed, Unknown.
    pub phase: String,
    pub ready: u32,
    pub containers: u32,
    pub restarts: u32,
    /// What `kubectl get pods` shows in STATUS when it is not the phase: a waiting or
    /// terminated container's reason (`CrashLoopBackOff`, `OOMKilled`, `ImagePullBackOff`,
    /// `ExitCode:1`), `Init:…`, `Terminating`.
    pub reason: Option<String>,
    /// The waiting or terminated container's message (`back-off 5m0s restarting failed
    /// container…`), for the view's detail line.
    pub message: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub node: String,
    /// When a container last ended before its current run (`lastState.terminated.finishedAt`).
    pub last_restart: Option<DateTime<Utc>>,
    /// How it ended: `OOMKilled (exit 137)`, `Error (exit 1)`.
    pub last_exit: Option<String>,
    /// Its containers' names, in the spec's order.
    pub container_names: Vec<String>,
    /// The one `kubectl logs` reads without `-c`: the `kubectl.kubernetes.io/default-container`
    /// annotation's, else the first that is not a mesh's sidecar, else the first.
    pub default_container: String,
}

/// The sidecars meshes inject: not what one means by "the pod's logs".
pub const SIDECARS: [&str; 2] = ["linkerd-proxy", "istio-proxy"];

/// The container `kubectl logs` reads by default, by the rule of [`Pod::default_container`].
pub fn default_container(annotated: &str, names: &[String]) -> String {
    if !annotated.is_empty() && names.iter().any(|n| n == annotated) {
        return annotated.to_string();
    }
    names
        .iter()
        .find(|n| !SIDECARS.contains(&n.as_str()))
        .or(names.first())
        .cloned()
        .unwrap_or_default()
}

/// One container's log to read: `kubectl logs POD -c CONTAINER [--previous]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodLogTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The container's previous run (the one that crashed), not the current one.
    pub previous: bool,
}

/// How many lines of one pod's log are kept.
pub const POD_LOG_LINES: usize = 10_000;

impl Pod {
    /// The STATUS column: the reason when there is one, else the phase.
    pub fn status(&self) -> &str {
        self.reason.as_deref().unwrap_or(if self.phase.is_empty() {
            "Unknown"
        } else {
            &self.phase
        })
    }

    /// Whether the pod needs a look: not ready while running, waiting on a bad reason, failed.
    pub fn troubled(&self) -> bool {
        match self.reason.as_deref() {
            Some("Terminating" | "ContainerCreating" | "PodInitializing" | "Completed") => false,
            Some(_) => true,
            None => {
                self.phase == "Failed"
                    || self.phase == "Unknown"
                    || (self.phase == "Running" && self.ready < self.containers)
            }
        }
    }
}

/// Whose pods and events are wanted: the sources' demand and the key of what State holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodScope {
    pub namespace: String,
    pub rollout: String,
    /// The rollout's pod selector (`app=store`).
    pub selector: String,
    /// Normal events too, not only Warnings.
    pub normal: bool,
}

impl PodScope {
    /// The same pods (whatever the events' filter).
    pub fn same_pods(&self, o: &PodScope) -> bool {
        self.namespace == o.namespace && self.rollout == o.rollout && self.selector == o.selector
    }
}

/// Where a pod stands in its rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodRole {
    Canary,
    Stable,
    /// Neither: an older revision still scaling down, or a pod without the hash label.
    Other,
}

impl PodRole {
    pub fn of(hash: &str, canary_hash: &str, stable_hash: &str) -> PodRole {
        if hash.is_empty() {
            PodRole::Other
        } else if hash == stable_hash {
            // Fully promoted, canary and stable are one: the pods are stable.
            PodRole::Stable
        } else if hash == canary_hash {
            PodRole::Canary
        } else {
            PodRole::Other
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodRole::Canary => "canary",
            PodRole::Stable => "stable",
            PodRole::Other => "older",
        }
    }
}

/// One Kubernetes event (`events.k8s.io/v1`), its series folded into a count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KubeEvent {
    /// `metadata.name`: the key a watch updates.
    pub id: String,
    pub warning: bool,
    pub reason: String,
    pub note: String,
    /// What it is about: `Pod`, `store-7c9d8f6b5-x2x9k`.
    pub kind: String,
    pub object: String,
    /// How many times it happened (`series.count`, or the deprecated count; at least 1).
    pub count: u32,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Who reported it (`kubelet`, `rollouts-controller`).
    pub source: String,
}

/// How many events the view keeps, newest first: more than a screen's worth, far less than a
/// busy namespace's hour.
pub const EVENTS_KEPT: usize = 200;

/// Whether an event is about `rollout` or what it owns: the Rollout itself, its ReplicaSets
/// (`<rollout>-<hash>`), their pods (`<rollout>-<hash>-<suffix>`) and AnalysisRuns
/// (`<rollout>-<hash>-<revision>[-<step>]`) and Experiments. A rollout named `store` does not
/// take `store-api`'s: their ReplicaSets' names differ in what follows the hash.
pub fn event_is_about(kind: &str, object: &str, rollout: &str, pods: &[&str]) -> bool {
    if kind == "Pod" && pods.contains(&object) {
        return true;
    }
    let rest = match object.strip_prefix(rollout) {
        Some("") => return kind == "Rollout",
        Some(r) => match r.strip_prefix('-') {
            Some(r) => r,
            None => return false,
        },
        None => return false,
    };
    let parts: Vec<&str> = rest.split('-').collect();
    // The hash and pod suffixes use Kubernetes' alphabet: lowercase letters and digits.
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !parts.iter().all(|p| word(p)) {
        return false;
    }
    match kind {
        "ReplicaSet" => parts.len() == 1,
        "Pod" => parts.len() == 2,
        // `<hash>-<revision>[-<step>]`: the revision and step are numbers.
        "AnalysisRun" | "Experiment" => {
            (2..=3).contains(&parts.len())
                && parts[1..]
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_column_is_the_reason_or_the_phase() {
        let mut p = Pod {
            phase: "Running".into(),
            ready: 1,
            containers: 2,
            ..Default::default()
        };
        assert_eq!(p.status(), "Running");
        assert!(p.troubled(), "running but not ready");
        p.ready = 2;
        assert!(!p.troubled());
        p.reason = Some("CrashLoopBackOff".into());
        assert_eq!(p.status(), "CrashLoopBackOff");
        assert!(p.troubled());
        p.reason = Some("Terminating".into());
        assert!(!p.troubled());
        assert_eq!(Pod::default().status(), "Unknown");
    }

    #[test]
    fn roles_come_from_the_hash() {
        assert_eq!(PodRole::of("c1", "c1", "s1"), PodRole::Canary);
        assert_eq!(PodRole::of("s1", "c1", "s1"), PodRole::Stable);
        assert_eq!(PodRole::of("s1", "s1", "s1"), PodRole::Stable);
        assert_eq!(PodRole::of("o1", "c1", "s1"), PodRole::Other);
        assert_eq!(PodRole::of("", "", ""), PodRole::Other);
    }

    #[test]
    fn events_about_a_rollout_and_what_it_owns_only() {
        let pods = ["store-7c9d8f6b5-x2x9k"];
        assert!(event_is_about("Rollout", "store", "store", &pods));
        assert!(!event_is_about("Rollout", "store-api", "store", &pods));
        assert!(event_is_about(
            "ReplicaSet",
            "store-7c9d8f6b5",
            "store",
            &pods
        ));
        assert!(!event_is_about(
            "ReplicaSet",
            "store-api-6b5f4d",
            "store",
            &pods
        ));
        assert!(event_is_about(
            "Pod",
            "store-7c9d8f6b5-x2x9k",
            "store",
            &pods
        ));
        assert!(event_is_about("Pod", "store-5f6b7c8d9-abcde", "store", &[]));
        assert!(!event_is_about(
            "Pod",
            "store-api-6b5f4d-abcde",
            "store",
            &[]
        ));
        assert!(event_is_about(
            "AnalysisRun",
            "store-7c9d8f6b5-5-2",
            "store",
            &pods
        ));
        assert!(!event_is_about(
            "AnalysisRun",
            "store-api-6b5f4d-3",
            "store",
            &pods
        ));
        assert!(!event_is_about("Service", "store", "store", &pods));
    }

    #[test]
    fn the_default_container_is_kubectls() {
        let names: Vec<String> = ["linkerd-proxy", "store", "migrate"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(default_container("", &names), "store");
        assert_eq!(default_container("migrate", &names), "migrate");
        assert_eq!(default_container("gone", &names), "store");
        assert_eq!(default_container("", &names[..1]), "linkerd-proxy");
        assert_eq!(default_container("", &[]), "");
        assert!(!event_is_about("Pod", "storefront-abc-def", "store", &[]));
    }
}
