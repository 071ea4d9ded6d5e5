//! The demo's Argo CD API server: each application's managed resources as live and desired
//! objects (a service's Rollout runs the image its last sync or an undo left; Git says the
//! image its last detected commit names), diffed as the live provider diffs them, and
//! `argocd app rollback` to a history entry (refused while automated sync is on, as there).

use super::Sim;
#[cfg(test)]
use super::argo::tag_before;
use crate::model::diff::{AppDiff, Judged, diff_resource};
use crate::model::*;
use serde_json::{Value, json};

fn object(api: &str, kind: &str, ns: &str, name: &str, labels: Value, body: Value) -> Value {
    let mut o = json!({
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels,
            "uid": format!("{:08x}", name.len() * 7919), "resourceVersion": "48213",
            "generation": 3, "managedFields": [{"manager": "argocd-controller", "operation": "Apply"}]},
    });
    if let (Some(o), Some(b)) = (o.as_object_mut(), body.as_object()) {
        o.extend(b.clone());
    }
    o
}

impl Sim {
    /// A service's objects with `image` in its Rollout; an infrastructure app's with its chart
    /// at `version`.
    fn managed_objects(&self, a: &super::argo::SimApp, image: &str, version: &str) -> Vec<Value> {
        let ns = a.app.destination_namespace.as_str();
        match a.svc {
            Some(si) => {
                let s = &self.svcs[si];
                let n = s.def.name;
                let labels = json!({"app.kubernetes.io/name": n, "app.kubernetes.io/part-of": self.platform.name});
                vec![
                    object("v1", "ServiceAccount", ns, n, labels.clone(), json!({})),
                    object(
                        "v1",
                        "ConfigMap",
                        ns,
                        &format!("{n}-config"),
                        labels.clone(),
                        json!({"data": {"SPRING_PROFILES_ACTIVE": ns, "SERVER_PORT": "8080"}}),
                    ),
                    object(
                        "v1",
                        "Service",
                        ns,
                        n,
                        labels.clone(),
                        json!({"spec": {
                        "selector": {"app.kubernetes.io/name": n},
                        "ports": [{"name": "http", "port": 8080, "targetPort": "http"}]}}),
                    ),
                    object(
                        "argoproj.io/v1alpha1",
                        "Rollout",
                        ns,
                        n,
                        labels,
                        json!({"spec": {
                        "replicas": s.def.replicas,
                        "selector": {"matchLabels": {"app.kubernetes.io/name": n}},
                        "template": {"metadata": {"labels": {"app.kubernetes.io/name": n}},
                            "spec": {"serviceAccountName": n, "containers": [{
                                "name": n, "image": image,
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "envFrom": [{"configMapRef": {"name": format!("{n}-config")}}],
                                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}}}]}}},
                        "status": {"readyReplicas": s.def.replicas}}),
                    ),
                ]
            }
            None => {
                let n = a.app.name.as_str();
                let labels = json!({"app.kubernetes.io/name": n, "app.kubernetes.io/managed-by": "Helm",
                    "helm.sh/chart": format!("{}-{version}", a.app.source), "app.kubernetes.io/version": version});
                let images: Vec<Value> = a
                    .app
                    .images
                    .iter()
                    .enumerate()
                    .map(|(i, img)| json!({"name": format!("{n}-{i}"), "image": img}))
                    .collect();
                vec![
                    object("v1", "ServiceAccount", ns, n, labels.clone(), json!({})),
                    object(
                        "apps/v1",
                        "Deployment",
                        ns,
                        n,
                        labels.clone(),
                        json!({"spec": {
                        "replicas": 1,
                        "selector": {"matchLabels": {"app.kubernetes.io/name": n}},
                        "template": {"metadata": {"labels": labels.clone()},
                            "spec": {"containers": images}}}}),
                    ),
                    object(
                        "v1",
                        "Service",
                        ns,
                        n,
                        labels,
                        json!({"spec": {
                        "selector": {"app.kubernetes.io/name": n},
                        "ports": [{"name": "http", "port": 80}]}}),
                    ),
                ]
            }
        }
    }

    /// What runs now: a service's Rollout template's image, an app's deployed revision.
    fn live_of(&self, a: &super::argo::SimApp) -> (String, String) {
        match a.svc {
            Some(si) => (self.svcs[si].rollout.canary_image.clone(), String::new()),
            None => (String::new(), a.app.revision.clone()),
        }
    }

    /// What Git says now: the detected commit's image, else the last synced one.
    fn desired_of(&self, a: &super::argo::SimApp) -> (String, String) {
        match a.svc {
            Some(si) => {
                let image = match &a.pending {
                    Some((_, v)) if a.app.sync == SyncStatus::OutOfSync => self.svcs[si].image(v),
                    _ => a.app.images.first().cloned().unwrap_or_default(),
                };
                (image, String::new())
            }
            None => (
                String::new(),
                a.git_revision
                    .clone()
                    .unwrap_or_else(|| a.app.revision.clone()),
            ),
        }
    }

    /// The diff an Argo CD API server would give for the ask.
    pub fn app_diff(&self, ask: &DiffAsk) -> Result<AppDiff, String> {
        let a = self
            .apps
            .iter()
            .find(|a| a.app.namespace == ask.namespace && a.app.name == ask.name)
            .ok_or_else(|| {
                format!(
                    "Argo CD: applications.argoproj.io \"{}\" not found",
                    ask.name
                )
            })?;
        let (live_image, live_version) = self.live_of(a);
        let (target, label) = match &ask.against {
            DiffAgainst::Desired => (self.desired_of(a), "desired state".to_string()),
            DiffAgainst::Revision { id, revision } => {
                let image = a.images_at.get(id).cloned().unwrap_or_default();
                (
                    (image, revision.clone()),
                    format!("#{id} {}", app::short_rev(revision)),
                )
            }
        };
        let live = self.managed_objects(a, &live_image, &live_version);
        let want = self.managed_objects(a, &target.0, &target.1);
        let mut d = AppDiff {
            target: label,
            ..Default::default()
        };
        for (l, t) in live.into_iter().zip(want) {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            let (kind, ns, name) = (
                s(&l["kind"]),
                s(&l["metadata"]["namespace"]),
                s(&l["metadata"]["name"]),
            );
            let group = diff::group_of(l["apiVersion"].as_str().unwrap_or("")).to_string();
            d.resources.push(diff_resource(
                [&group, &kind, &ns, &name],
                false,
                Some(l),
                Some(t),
                Judged::default(),
            ));
        }
        d.finish();
        Ok(d)
    }

    /// `argocd app rollback NAME ID`, as the API server runs it.
    pub(super) fn rollback(&mut self, req: &ActionRequest) -> Result<String, String> {
        let now = self.now;
        let a = self
            .apps
            .iter_mut()
            .find(|a| a.app.name == req.target.name && a.app.namespace == req.target.namespace)
            .ok_or_else(|| format!("application {} not found", req.target))?;
        if a.app.auto_sync {
            return Err("rollback cannot be initiated when auto-sync is enabled".into());
        }
        if a.app.operation_in_progress() {
            return Err("another operation is already in progress".into());
        }
        let id = req.to_revision.ok_or("a rollback needs a history id")?;
        let entry = a
            .app
            .history
            .iter()
            .find(|h| h.id == id)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "application {} does not have history id {id}",
                    req.target.name
                )
            })?;
        if req.sync.dry_run {
            return Ok(format!("dry-run rollback to #{id}: nothing changed"));
        }
        // Git still says what it said: a later sync goes back to it.
        if a.git_revision.is_none() {
            a.git_revision = Some(a.app.revision.clone());
        }
        // The API server runs it as a sync of that revision; it is done when it answers here.
        a.app.operation = Some(Operation {
            phase: OperationPhase::Succeeded,
            message: format!("successfully synced to #{id} (rollback)"),
            started_at: now,
            finished_at: Some(now),
            initiated_by: req.user.clone(),
        });
        a.app.revision = entry.revision.clone();
        a.app.sync = SyncStatus::OutOfSync;
        let next = a.app.history.last().map(|h| h.id + 1).unwrap_or(1);
        a.app.history.push(HistoryEntry {
            id: next,
            revision: entry.revision.clone(),
            deployed_at: now,
        });
        if a.app.history.len() > 10 {
            a.app.history.remove(0);
        }
        if let Some(img) = a.images_at.get(&id).cloned() {
            a.images_at.insert(next, img);
        }
        self.dirty_apps = true;
        Ok(format!(
            "rolling back to #{id} ({})",
            app::short_rev(&entry.revision)
        ))
    }
}

impl Sim {
    /// An object as the API server would answer for the YAML view, or its `not found`.
    pub fn object(&self, t: &ObjectRef) -> Result<Value, String> {
        let not_found = || {
            let what = if t.group.is_empty() {
                t.plural.clone()
            } else {
                format!("{}.{}", t.plural, t.group)
            };
            format!("{what} \"{}\" not found", t.name)
        };
        let managed = |uid: &str| {
            json!([{"manager": "argocd-controller", "operation": "Apply", "apiVersion": format!("{}/{}", t.group, t.version), "fieldsType": "FieldsV1", "time": self.now.to_rfc3339()},
                   {"manager": uid, "operation": "Update", "subresource": "status"}])
        };
        match t.kind.as_str() {
            "Application" => {
                let a = self
                    .apps
                    .iter()
                    .find(|a| a.app.namespace == t.namespace && a.app.name == t.name)
                    .ok_or_else(not_found)?;
                let app = &a.app;
                let mut policy = json!({"syncOptions": ["CreateNamespace=true"]});
                if app.auto_sync {
                    policy["automated"] = json!({"prune": true, "selfHeal": true});
                }
                let history: Vec<Value> = app
                    .history
                    .iter()
                    .map(|h| json!({"id": h.id, "revision": h.revision, "deployedAt": h.deployed_at.to_rfc3339()}))
                    .collect();
                Ok(json!({
                    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                    "metadata": {"name": app.name, "namespace": app.namespace,
                        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"metadata\":{{\"name\":\"{}\"}}}}", app.name)},
                        "managedFields": managed("argocd-application-controller")},
                    "spec": {"project": app.project,
                        "source": {"repoURL": app.repo, "path": app.source, "targetRevision": app.target_revision},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": app.destination_namespace},
                        "syncPolicy": policy},
                    "status": {"sync": {"status": app.sync.as_str(), "revision": app.revision},
                        "health": {"status": app.health.as_str()},
                        "history": history,
                        "reconciledAt": app.reconciled_at.map(|t| t.to_rfc3339())},
                }))
            }
            "Rollout" => {
                let a = self
                    .apps
                    .iter()
                    .find(|a| {
                        a.svc.is_some_and(|si| {
                            self.svcs[si].rollout.name == t.name
                                && self.svcs[si].rollout.namespace == t.namespace
                        })
                    })
                    .ok_or_else(not_found)?;
                let (image, version) = self.live_of(a);
                let mut o = self
                    .managed_objects(a, &image, &version)
                    .into_iter()
                    .find(|o| o["kind"] == "Rollout")
                    .ok_or_else(not_found)?;
                let r = a
                    .svc
                    .map(|si| &self.svcs[si].rollout)
                    .ok_or_else(not_found)?;
                o["metadata"]["managedFields"] = managed("rollouts-controller");
                o["status"] = json!({
                    "phase": r.phase.as_str(), "message": r.message,
                    "currentStepIndex": r.current_step_index,
                    "stableRS": r.stable_hash, "currentPodHash": r.canary_hash,
                    "canary": {"weights": {"canary": {"weight": r.actual_weight, "podTemplateHash": r.canary_hash},
                        "stable": {"weight": 100 - r.actual_weight.min(100), "podTemplateHash": r.stable_hash}}},
                    "pauseConditions": if r.pause.is_some() { json!([{"reason": "CanaryPauseStep"}]) } else { Value::Null },
                    "abort": r.aborted,
                });
                Ok(o)
            }
            "Pod" => {
                let s = self
                    .svcs
                    .iter()
                    .filter(|s| {
                        s.rollout.namespace == t.namespace
                            && t.name.starts_with(&format!("{}-", s.rollout.name))
                    })
                    // The longest name the pod's starts with: store-admin's pods are not store's.
                    .max_by_key(|s| s.rollout.name.len())
                    .ok_or_else(not_found)?;
                let scope = PodScope {
                    namespace: t.namespace.clone(),
                    rollout: s.rollout.name.clone(),
                    ..Default::default()
                };
                let pod = self
                    .below(&scope)
                    .into_iter()
                    .find_map(|u| match u {
                        crate::state::Update::Pods { pods: Ok(p), .. } => {
                            p.into_iter().find(|p| p.name == t.name)
                        }
                        _ => None,
                    })
                    .ok_or_else(not_found)?;
                let image = s.rollout.canary_image.clone();
                let containers: Vec<Value> = pod
                    .container_names
                    .iter()
                    .map(|c| json!({"name": c, "image": if *c == pod.default_container { image.clone() } else { format!("proxy/{c}:stable") }}))
                    .collect();
                let statuses: Vec<Value> = pod
                    .container_names
                    .iter()
                    .map(|c| {
                        let main = *c == pod.default_container;
                        let state = match (&pod.reason, main) {
                            (Some(r), true) => json!({"waiting": {"reason": r, "message": pod.message}}),
                            _ => json!({"running": {"startedAt": pod.created.map(|t| t.to_rfc3339())}}),
                        };
                        let last = match (&pod.last_exit, main) {
                            (Some(e), true) => {
                                // The model's words `Error (exit 143)` back into the API's fields.
                                let (reason, code) = e
                                    .split_once(" (exit ")
                                    .map(|(r, c)| (r.to_string(), c.trim_end_matches(')').parse::<i64>().unwrap_or(1)))
                                    .unwrap_or((e.clone(), 1));
                                json!({"terminated": {"reason": reason, "exitCode": code, "finishedAt": pod.last_restart.map(|t| t.to_rfc3339())}})
                            }
                            _ => json!({}),
                        };
                        json!({"name": c, "ready": !main || pod.ready == pod.containers, "restartCount": if main { pod.restarts } else { 0 }, "state": state, "lastState": last})
                    })
                    .collect();
                Ok(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod.name, "namespace": t.namespace,
                        "labels": {"app.kubernetes.io/name": s.rollout.name, "rollouts-pod-template-hash": pod.hash},
                        "creationTimestamp": pod.created.map(|t| t.to_rfc3339()),
                        "managedFields": managed("kubelet")},
                    "spec": {"nodeName": pod.node, "containers": containers},
                    "status": {"phase": pod.phase, "qosClass": "Burstable", "podIP": "10.42.0.17",
                        "conditions": [{"type": "Ready", "status": if pod.ready == pod.containers { "True" } else { "False" }}],
                        "containerStatuses": statuses},
                }))
            }
            "VirtualService" => {
                let vs = self
                    .virtual_services
                    .iter()
                    .find(|v| v.namespace == t.namespace && v.name == t.name)
                    .ok_or_else(not_found)?;
                let ms = |v: u64| format!("{}ms", v);
                let http: Vec<Value> = vs
                    .http
                    .iter()
                    .map(|r| {
                        let mut h = json!({
                            "name": r.name,
                            "route": r.destinations.iter().map(|d| json!({
                                "destination": {"host": d.host, "subset": d.subset},
                                "weight": d.weight,
                            })).collect::<Vec<_>>(),
                        });
                        if let Some(x) = &r.retries {
                            h["retries"] = json!({"attempts": x.attempts, "retryOn": x.retry_on});
                            if let Some(p) = x.per_try_timeout_ms {
                                h["retries"]["perTryTimeout"] = ms(p).into();
                            }
                        }
                        if let Some(to) = r.timeout_ms {
                            h["timeout"] = ms(to).into();
                        }
                        h
                    })
                    .collect();
                Ok(json!({
                    "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                    "metadata": {"name": vs.name, "namespace": vs.namespace, "managedFields": managed("argo-rollouts")},
                    "spec": {"hosts": vs.hosts, "http": http},
                }))
            }
            _ => Err(not_found()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_tags_count_back_patch_releases() {
        assert_eq!(tag_before("1.4.2", 2), "1.4.0");
        assert_eq!(tag_before("1.4.1", 2), "1.3.9");
        assert_eq!(tag_before("2.0.0", 1), "2.0.0");
        assert_eq!(tag_before("v0.14.0", 1), "v0.13.9");
    }
}
