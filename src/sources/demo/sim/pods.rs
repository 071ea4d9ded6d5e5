//! The simulated pods of a rollout and the events the kubelet, the ReplicaSet controller and
//! the rollouts controller would write about them: a bad canary's app container fails its
//! liveness probe every few minutes and is restarted, and its readiness probe answers 503.

use super::Sim;
use crate::model::{KubeEvent, Pod, PodScope};
use crate::state::Update;
use chrono::{DateTime, Duration, Utc};

/// A bad build's container is killed by its liveness probe this often…
pub(super) const RESTART_EVERY_SECS: i64 = 240;
/// …and is not ready for this long after each restart.
const NOT_READY_SECS: i64 = 25;
/// Events last an hour on the API server (its default `--event-ttl`).
const EVENT_TTL_SECS: i64 = 3600;

impl Sim {
    /// What the pods and events watches would send for `scope`.
    pub fn below(&self, scope: &PodScope) -> Vec<Update> {
        let Some(s) = self
            .svcs
            .iter()
            .find(|s| s.rollout.name == scope.rollout && s.rollout.namespace == scope.namespace)
        else {
            return vec![
                Update::Pods {
                    scope: scope.clone(),
                    pods: Ok(Vec::new()),
                },
                Update::Events {
                    scope: scope.clone(),
                    events: Ok(Vec::new()),
                },
            ];
        };
        let now = self.now;
        let nodes: Vec<&str> = self.platform.nodes.iter().map(|n| n.name).collect();
        let canary_nodes: Vec<&str> = self
            .platform
            .nodes
            .iter()
            .filter(|n| n.hosts_canaries)
            .map(|n| n.name)
            .collect();
        let long_ago = self.start - Duration::hours(20);
        // The mesh's proxy is injected first, as Linkerd and Istio do.
        let sidecar = match self.platform.mesh {
            super::catalog::Mesh::Linkerd => "linkerd-proxy",
            super::catalog::Mesh::Istio => "istio-proxy",
        };
        let names = vec![sidecar.to_string(), s.def.name.to_string()];
        let mut pods = Vec::new();
        let mut events = Vec::new();
        let svc = s.def.name;
        let stable_since = s.stable_since.unwrap_or(long_ago);
        for (i, suffix) in s.stable.pods.iter().enumerate() {
            pods.push(Pod {
                name: format!("{svc}-{}-{suffix}", s.stable.hash),
                hash: s.stable.hash.clone(),
                phase: "Running".into(),
                ready: 2,
                containers: 2,
                container_names: names.clone(),
                default_container: svc.to_string(),
                created: Some(stable_since),
                node: nodes.get(i % nodes.len().max(1)).unwrap_or(&"").to_string(),
                ..Default::default()
            });
        }
        if let (Some(c), Some(since)) = (&s.canary, s.canary_since) {
            let n = s.canary_pods() as usize;
            for (i, suffix) in c.pods.iter().take(n).enumerate() {
                let name = format!("{svc}-{}-{suffix}", c.hash);
                let place = if canary_nodes.is_empty() {
                    &nodes
                } else {
                    &canary_nodes
                };
                // Pods after the first come with a later step's weight.
                let created = since + Duration::seconds(i as i64 * 40);
                if created > now {
                    continue;
                }
                let node = place.get(i % place.len().max(1)).unwrap_or(&"").to_string();
                let mut p = Pod {
                    name: name.clone(),
                    hash: c.hash.clone(),
                    phase: "Running".into(),
                    ready: 2,
                    containers: 2,
                    container_names: names.clone(),
                    default_container: svc.to_string(),
                    created: Some(created),
                    node: node.clone(),
                    ..Default::default()
                };
                let at = format!("{}/{name}", scope.namespace);
                events.extend(started(&at, &node, svc, &s.image(c), created));
                if c.bad {
                    // Staggered: the pods do not restart in step.
                    let age = (now - created).num_seconds() + i as i64 * 97;
                    let restarts = (age / RESTART_EVERY_SECS) as u32;
                    p.restarts = restarts;
                    if restarts > 0 {
                        let last = now - Duration::seconds(age % RESTART_EVERY_SECS);
                        p.last_restart = Some(last);
                        p.last_exit = Some("Error (exit 143)".into());
                        if (now - last).num_seconds() < NOT_READY_SECS {
                            p.ready = 1;
                        }
                        events.push(KubeEvent {
                            id: format!("{name}.liveness"),
                            warning: true,
                            reason: "Unhealthy".into(),
                            note: "Liveness probe failed: HTTP probe failed with statuscode: 500"
                                .into(),
                            kind: "Pod".into(),
                            object: name.clone(),
                            count: restarts * 3,
                            first: Some(created + Duration::seconds(RESTART_EVERY_SECS - 20)),
                            last: Some(last),
                            source: "kubelet".into(),
                        });
                        events.push(KubeEvent {
                            id: format!("{name}.killing"),
                            warning: false,
                            reason: "Killing".into(),
                            note: format!(
                                "Container {svc} failed liveness probe, will be restarted"
                            ),
                            kind: "Pod".into(),
                            object: name.clone(),
                            count: restarts,
                            first: Some(created + Duration::seconds(RESTART_EVERY_SECS)),
                            last: Some(last),
                            source: "kubelet".into(),
                        });
                    }
                    // The readiness probe answers 503 about a third of the time.
                    let probes = ((now - created).num_seconds() / 10 / 3).max(1) as u32;
                    events.push(KubeEvent {
                        id: format!("{name}.readiness"),
                        warning: true,
                        reason: "Unhealthy".into(),
                        note: "Readiness probe failed: HTTP probe failed with statuscode: 503"
                            .into(),
                        kind: "Pod".into(),
                        object: name.clone(),
                        count: probes,
                        first: Some(created + Duration::seconds(15)),
                        last: Some(now - Duration::seconds((now - created).num_seconds() % 30)),
                        source: "kubelet".into(),
                    });
                }
                pods.push(p);
            }
            let rs = format!("{svc}-{}", c.hash);
            let rev = s.rollout.revision;
            events.push(controller_event(
                svc,
                "RolloutUpdated",
                format!("Rollout updated to revision {rev}"),
                since,
            ));
            events.push(controller_event(
                svc,
                "ScalingReplicaSet",
                format!(
                    "Scaled up ReplicaSet {rs} (revision {rev}) from 0 to {}",
                    n.max(1)
                ),
                since,
            ));
            if let Some(p) = &s.rollout.pause {
                events.push(controller_event(
                    svc,
                    "RolloutPaused",
                    format!("Rollout is paused ({})", p.reason),
                    p.started_at,
                ));
            }
        }
        if let (true, Some(at)) = (s.rollout.aborted, s.aborted_at) {
            let rev = s.rollout.revision;
            events.push(KubeEvent {
                warning: true,
                ..controller_event(
                    svc,
                    "RolloutAborted",
                    format!("Rollout aborted update to revision {rev}"),
                    at,
                )
            });
        }
        events.retain(|e| {
            (scope.normal || e.warning)
                && e.last
                    .is_some_and(|t| (now - t).num_seconds() < EVENT_TTL_SECS)
        });
        vec![
            Update::Pods {
                scope: scope.clone(),
                pods: Ok(pods),
            },
            Update::Events {
                scope: scope.clone(),
                events: Ok(events),
            },
        ]
    }
}

/// What a pod's start writes: scheduled, image present, container created and started.
/// One event of the rollouts controller about the Rollout `svc` (Normal; its id from the
/// reason and the time, so a second pause is another event).
fn controller_event(svc: &str, reason: &str, note: String, at: DateTime<Utc>) -> KubeEvent {
    KubeEvent {
        id: format!("{svc}.{}.{}", reason.to_lowercase(), at.timestamp()),
        reason: reason.into(),
        note,
        kind: "Rollout".into(),
        object: svc.into(),
        count: 1,
        first: Some(at),
        last: Some(at),
        source: "rollouts-controller".into(),
        ..Default::default()
    }
}

/// `pod` is `namespace/name`, as the scheduler writes it.
fn started(pod: &str, node: &str, svc: &str, image: &str, at: DateTime<Utc>) -> Vec<KubeEvent> {
    let name = pod.rsplit('/').next().unwrap_or(pod);
    let ev = |reason: &str, note: String, source: &str, secs: i64| KubeEvent {
        id: format!("{name}.{}", reason.to_lowercase()),
        reason: reason.into(),
        note,
        kind: "Pod".into(),
        object: name.into(),
        count: 1,
        first: Some(at + Duration::seconds(secs)),
        last: Some(at + Duration::seconds(secs)),
        source: source.into(),
        ..Default::default()
    };
    vec![
        ev(
            "Scheduled",
            format!("Successfully assigned {pod} to {node}"),
            "default-scheduler",
            0,
        ),
        ev(
            "Pulled",
            format!("Container image \"{image}\" already present on machine"),
            "kubelet",
            1,
        ),
        ev("Created", format!("Created container {svc}"), "kubelet", 1),
        ev("Started", format!("Started container {svc}"), "kubelet", 2),
    ]
}
