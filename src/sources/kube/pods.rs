//! The pods of the rollout on screen and the events about it, watched only while it is on
//! screen: pods with the rollout's label selector (a namespace of thousands costs only the
//! selected ones), events (`events.k8s.io/v1`) in its namespace with `type=Warning` unless
//! Normal ones are asked for, kept only when they are about the rollout or what it owns.

use super::watch::{describe, resilient, resource};
use crate::model::{EVENTS_KEPT, KubeEvent, Pod, event_is_about};
use crate::net::json::*;
use crate::state::{Demand, PodScope, Update};
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

/// An event's note is at most 1 KB by the API's rules, but clients are told to expect 64 KB.
const NOTE_KEPT: usize = 2048;

fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `Error (exit 1)`, `OOMKilled (exit 137)`, `ExitCode:2`, as kubectl words a terminated
/// container.
fn terminated(t: &Value, with_code: bool) -> String {
    let code = int_at(t, &["exitCode"]).unwrap_or(0);
    match (str_at(t, &["reason"]), int_at(t, &["signal"])) {
        ("", Some(sig)) if sig != 0 => format!("Signal:{sig}"),
        ("", _) => format!("ExitCode:{code}"),
        (r, _) if with_code => format!("{r} (exit {code})"),
        (r, _) => r.to_string(),
    }
}

/// One pod as `kubectl get pods` shows it (`printPod` in kubectl's printers, simplified): the
/// first unfinished init container's state, else a waiting or terminated container's reason,
/// else the phase; `Terminating` while it is being deleted.
pub fn parse_pod(v: &Value) -> Option<Pod> {
    let name = str_at(v, &["metadata", "name"]);
    if name.is_empty() {
        return None;
    }
    let statuses = array_at(v, &["status", "containerStatuses"]);
    let inits = array_at(v, &["status", "initContainerStatuses"]);
    let containers = array_at(v, &["spec", "containers"])
        .len()
        .max(statuses.len()) as u32;
    let names: Vec<String> = array_at(v, &["spec", "containers"])
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let mut reason: Option<String> = Some(str_at(v, &["status", "reason"]))
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let mut message: Option<String> = Some(str_at(v, &["status", "message"]))
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let mut initializing = false;
    for (i, c) in inits.iter().enumerate() {
        let st = &c["state"];
        if let Some(t) = at(st, &["terminated"]) {
            if int_at(t, &["exitCode"]).unwrap_or(0) == 0 {
                continue;
            }
            reason = Some(format!("Init:{}", terminated(t, false)));
            message = Some(str_at(t, &["message"]).to_string()).filter(|m| !m.is_empty());
        } else if let Some(w) = at(st, &["waiting"]).filter(|w| {
            let r = str_at(w, &["reason"]);
            !r.is_empty() && r != "PodInitializing"
        }) {
            reason = Some(format!("Init:{}", str_at(w, &["reason"])));
            message = Some(str_at(w, &["message"]).to_string()).filter(|m| !m.is_empty());
        } else {
            reason = Some(format!("Init:{i}/{}", inits.len()));
        }
        initializing = true;
        break;
    }
    if !initializing {
        // kubectl reads the containers last to first, so the first one's state wins.
        for c in statuses.iter().rev() {
            let st = &c["state"];
            if let Some(w) = at(st, &["waiting"]).filter(|w| !str_at(w, &["reason"]).is_empty()) {
                reason = Some(str_at(w, &["reason"]).to_string());
                message = Some(str_at(w, &["message"]).to_string()).filter(|m| !m.is_empty());
            } else if let Some(t) = at(st, &["terminated"]) {
                reason = Some(terminated(t, false));
                message = Some(str_at(t, &["message"]).to_string()).filter(|m| !m.is_empty());
            }
        }
    }
    if at(v, &["metadata", "deletionTimestamp"]).is_some()
        && str_at(v, &["status", "reason"]) != "NodeLost"
    {
        reason = Some("Terminating".into());
    }
    // The most recent earlier run's end, over the containers.
    let last = statuses
        .iter()
        .filter_map(|c| {
            let t = at(c, &["lastState", "terminated"])?;
            Some((time_at(t, &["finishedAt"]), t))
        })
        .max_by_key(|(at, _)| *at);
    Some(Pod {
        name: name.to_string(),
        hash: str_at(v, &["metadata", "labels", "rollouts-pod-template-hash"]).to_string(),
        phase: str_at(v, &["status", "phase"]).to_string(),
        ready: statuses.iter().filter(|c| bool_at(c, &["ready"])).count() as u32,
        containers,
        restarts: statuses
            .iter()
            .map(|c| u32_at(c, &["restartCount"], 0))
            .fold(0u32, u32::saturating_add),
        reason,
        message: message.map(|m| cut(&m, NOTE_KEPT)),
        created: time_at(v, &["metadata", "creationTimestamp"]),
        node: str_at(v, &["spec", "nodeName"]).to_string(),
        last_restart: last.and_then(|(t, _)| t),
        last_exit: last.map(|(_, t)| terminated(t, true)),
        default_container: crate::model::default_container(
            str_at(
                v,
                &[
                    "metadata",
                    "annotations",
                    "kubectl.kubernetes.io/default-container",
                ],
            ),
            &names,
        ),
        container_names: names,
    })
}

/// One `events.k8s.io/v1` Event, its series folded into a count; the deprecated core fields
/// fill in for events written through the old API.
pub fn parse_event(v: &Value) -> Option<KubeEvent> {
    let id = str_at(v, &["metadata", "name"]);
    if id.is_empty() {
        return None;
    }
    let first = time_at(v, &["eventTime"])
        .or_else(|| time_at(v, &["deprecatedFirstTimestamp"]))
        .or_else(|| time_at(v, &["metadata", "creationTimestamp"]));
    let last = time_at(v, &["series", "lastObservedTime"])
        .or_else(|| time_at(v, &["deprecatedLastTimestamp"]))
        .or(first);
    let count = int_at(v, &["series", "count"])
        .or_else(|| int_at(v, &["deprecatedCount"]))
        .unwrap_or(1)
        .clamp(1, i64::from(u32::MAX)) as u32;
    let source = match str_at(v, &["reportingController"]) {
        "" => str_at(v, &["deprecatedSource", "component"]),
        s => s,
    };
    Some(KubeEvent {
        id: id.to_string(),
        warning: str_at(v, &["type"]) == "Warning",
        reason: str_at(v, &["reason"]).to_string(),
        note: cut(str_at(v, &["note"]), NOTE_KEPT),
        kind: str_at(v, &["regarding", "kind"]).to_string(),
        object: str_at(v, &["regarding", "name"]).to_string(),
        count,
        first,
        last,
        source: source.to_string(),
    })
}

/// Watches what the demand's [`PodScope`] names, starting again whenever it changes.
pub fn spawn(
    client: kube::Client,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    crate::sources::spawn_on_demand!(client, demand, tx, |d| d.pods.clone(), follow)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Pods,
    Events,
}

/// One namespace's objects are told apart by name.
fn name_key(v: &Value) -> String {
    str_at(v, &["metadata", "name"]).to_string()
}

/// Watches one scope until the demand asks for another (true) or the app is gone (false).
async fn follow(
    client: &kube::Client,
    scope: PodScope,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let pods_ar = resource("", "v1", "Pod", "pods");
    let events_ar = resource("events.k8s.io", "v1", "Event", "events");
    let pods_cfg = watcher::Config::default()
        .labels(&scope.selector)
        .page_size(100);
    let mut pods = Box::pin(resilient(
        Api::<DynamicObject>::namespaced_with(client.clone(), &scope.namespace, &pods_ar),
        pods_cfg,
    ));
    let namespace = scope.namespace.clone();
    let events_of = |normal: bool| {
        let mut cfg = watcher::Config::default().page_size(100);
        if !normal {
            cfg = cfg.fields("type=Warning");
        }
        Box::pin(resilient(
            Api::<DynamicObject>::namespaced_with(client.clone(), &namespace, &events_ar),
            cfg,
        ))
    };
    let mut events = events_of(scope.normal);
    let mut scope = scope;
    let mut held_pods: super::Held<Pod> = super::Held::default();
    let mut held_events: super::Held<KubeEvent> = super::Held::default();
    let rollout = scope.rollout.clone();
    loop {
        let (kind, ev) = tokio::select! {
            changed = demand.changed() => {
                if changed.is_err() {
                    return false;
                }
                let now = demand.borrow().pods.clone();
                match now {
                    Some(n) if n == scope => {}
                    // Normal events on or off: the events watch alone starts again.
                    Some(n) if n.same_pods(&scope) => {
                        events = events_of(n.normal);
                        held_events = super::Held::default();
                        scope = n;
                    }
                    _ => return true,
                }
                continue;
            }
            item = pods.next() => match item {
                Some(ev) => (Kind::Pods, ev),
                None => return true,
            },
            item = events.next() => match item {
                Some(ev) => (Kind::Events, ev),
                None => return true,
            },
        };
        let update = match (kind, ev) {
            (Kind::Pods, Ok(ev)) => {
                held_pods
                    .apply(ev, name_key, parse_pod)
                    .then(|| Update::Pods {
                        scope: scope.clone(),
                        pods: Ok(held_pods.items.values().cloned().collect()),
                    })
            }
            (Kind::Events, Ok(ev)) => {
                let names: Vec<String> = held_pods.items.keys().cloned().collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let about = |e: &KubeEvent| {
                    // Warnings only: a server that ignores the field selector still
                    // shows none of the Normal ones.
                    (scope.normal || e.warning)
                        && event_is_about(&e.kind, &e.object, &rollout, &names)
                };
                let changed =
                    held_events.apply(ev, name_key, |v| parse_event(v).filter(|e| about(e)));
                // Bounded: the newest are kept.
                if held_events.items.len() > EVENTS_KEPT * 2 {
                    let mut by_age: Vec<(Option<chrono::DateTime<chrono::Utc>>, String)> =
                        held_events
                            .items
                            .values()
                            .map(|e| (e.last, e.id.clone()))
                            .collect();
                    by_age.sort();
                    for (_, id) in by_age.iter().take(held_events.items.len() - EVENTS_KEPT) {
                        held_events.items.remove(id);
                    }
                }
                changed.then(|| Update::Events {
                    scope: scope.clone(),
                    events: Ok(held_events.items.values().cloned().collect()),
                })
            }
            (Kind::Pods, Err(e)) => Some(Update::Pods {
                scope: scope.clone(),
                pods: Err(describe(&e)),
            }),
            (Kind::Events, Err(e)) => Some(Update::Events {
                scope: scope.clone(),
                events: Err(describe(&e)),
            }),
        };
        if let Some(u) = update
            && tx.send(u).await.is_err()
        {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crash_looping_pod_reads_as_kubectl_shows_it() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/kubernetes/pod-crashloop.json"
        ))
        .expect("fixture");
        let p = parse_pod(&v).expect("a pod");
        assert_eq!(p.name, "store-7c9d8f6b5c-x2x9k");
        assert_eq!(p.hash, "7c9d8f6b5c");
        assert_eq!(p.status(), "CrashLoopBackOff");
        assert_eq!((p.ready, p.containers, p.restarts), (1, 2, 7));
        assert_eq!(p.node, "k3d-checkmate-agent-1");
        assert_eq!(p.last_exit.as_deref(), Some("Error (exit 1)"));
        assert_eq!(p.container_names, ["linkerd-proxy", "store"]);
        assert_eq!(p.default_container, "store", "not the mesh's sidecar");
        assert_eq!(
            p.last_restart.map(|t| t.to_rfc3339()),
            Some("2026-12-01T09:41:07+00:00".to_string())
        );
        assert!(
            p.message
                .as_deref()
                .unwrap_or("")
                .starts_with("back-off 5m0s")
        );
        assert!(p.troubled());
    }

    #[test]
    fn init_oom_terminating_and_missing_fields() {
        let init = json!({"metadata": {"name": "a"}, "status": {"phase": "Pending",
            "initContainerStatuses": [
                {"name": "migrate", "state": {"terminated": {"exitCode": 0}}},
                {"name": "wait", "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        assert_eq!(
            parse_pod(&init).map(|p| p.status().to_string()).as_deref(),
            Some("Init:1/2")
        );
        let init_crash = json!({"metadata": {"name": "a"}, "status": {
            "initContainerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(
            parse_pod(&init_crash)
                .map(|p| p.status().to_string())
                .as_deref(),
            Some("Init:CrashLoopBackOff")
        );
        let oom = json!({"metadata": {"name": "a"}, "status": {"phase": "Running",
            "containerStatuses": [{"ready": false, "restartCount": 3,
              "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
              "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                 "finishedAt": "2026-12-01T10:00:00Z"}}}]}});
        let p = parse_pod(&oom).expect("pod");
        assert_eq!(p.status(), "OOMKilled");
        assert_eq!(p.last_exit.as_deref(), Some("OOMKilled (exit 137)"));
        let going = json!({"metadata": {"name": "a", "deletionTimestamp": "2026-12-01T10:00:00Z"},
            "status": {"phase": "Running"}});
        assert_eq!(
            parse_pod(&going).map(|p| p.status().to_string()).as_deref(),
            Some("Terminating")
        );
        let odd = json!({"metadata": {"name": "a"}, "status": {"containerStatuses": "x",
            "phase": 3}, "spec": {"containers": {"a": 1}}});
        let p = parse_pod(&odd).expect("a name is enough");
        assert_eq!((p.ready, p.containers, p.status()), (0, 0, "Unknown"));
        assert!(parse_pod(&json!({"metadata": {}})).is_none());
    }

    #[test]
    fn events_fold_their_series_and_fall_back_to_the_deprecated_fields() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/kubernetes/events-store.json"
        ))
        .expect("fixture");
        let items = array_at(&v, &["items"]);
        let evs: Vec<KubeEvent> = items.iter().filter_map(parse_event).collect();
        assert_eq!(evs.len(), items.len());
        let probe = &evs[0];
        assert!(probe.warning);
        assert_eq!(probe.reason, "Unhealthy");
        assert_eq!(
            (probe.kind.as_str(), probe.object.as_str()),
            ("Pod", "store-7c9d8f6b5c-x2x9k")
        );
        assert_eq!(probe.count, 12);
        assert_eq!(probe.source, "kubelet");
        assert_eq!(
            probe.last.map(|t| t.to_rfc3339()),
            Some("2026-12-01T09:44:52+00:00".to_string())
        );
        // Written through the core API: the deprecated count and times.
        let old = &evs[2];
        assert_eq!(old.count, 3);
        assert_eq!(old.source, "rollouts-controller");
        assert_eq!(
            old.last.map(|t| t.to_rfc3339()),
            Some("2026-12-01T09:40:00+00:00".to_string())
        );
        let long = json!({"metadata": {"name": "e"}, "note": "x".repeat(100_000)});
        assert!(parse_event(&long).expect("event").note.chars().count() <= NOTE_KEPT + 1);
    }
}
