//! The live operator: actions sent to the Kubernetes API exactly as `argocd app sync` and
//! `kubectl argo rollouts …` send them (PROTOCOLS §1.5, §1.6, §2.6).
//!
//! [`plan_app`] and [`plan_rollout`] are pure: from the object as read now, the requests to
//! send, in order, each with the fallback the plugin uses when `/status` answers 404 (Rollouts
//! before v0.10). [`KubeOperator`] reads the object, plans, and sends.

use crate::model::{ActionError, ActionKind, ActionRequest, Operator, SyncOptions};
use crate::net::json::{array_at, at, bool_at, int_at, str_at};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};

pub const MERGE_PATCH: &str = "application/merge-patch+json";
pub const JSON_PATCH: &str = "application/json-patch+json";
pub const JSON: &str = "application/json";

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub content_type: &'static str,
    pub body: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub request: Request,
    /// Sent instead when `request` answers 404 (no status subresource).
    pub fallback_on_404: Option<Request>,
}

pub fn app_path(ns: &str, name: &str) -> String {
    format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/applications/{name}")
}

pub fn rollout_path(ns: &str, name: &str) -> String {
    format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts/{name}")
}

fn merge(path: String, body: Value) -> Request {
    Request {
        method: "PATCH",
        path,
        content_type: MERGE_PATCH,
        body,
    }
}

/// Sync, refresh or hard refresh of an Application as read now (`obj`).
pub fn plan_app(
    kind: ActionKind,
    obj: &Value,
    sync: SyncOptions,
    user: &str,
) -> Result<Vec<Planned>, ActionError> {
    let ns = str_at(obj, &["metadata", "namespace"]);
    let name = str_at(obj, &["metadata", "name"]);
    let path = app_path(ns, name);
    match kind {
        ActionKind::Refresh | ActionKind::HardRefresh => {
            let how = if kind == ActionKind::HardRefresh {
                "hard"
            } else {
                "normal"
            };
            Ok(vec![Planned {
                request: merge(
                    path,
                    json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": how}}}),
                ),
                fallback_on_404: None,
            }])
        }
        ActionKind::Sync => {
            // SetAppOperation: refuse while an operation is requested or running.
            if at(obj, &["operation"]).is_some() {
                return Err(ActionError::Refused(
                    "another operation is already in progress".into(),
                ));
            }
            let phase = str_at(obj, &["status", "operationState", "phase"]);
            if at(obj, &["status", "operationState"]).is_some()
                && !matches!(phase, "Succeeded" | "Failed" | "Error")
            {
                return Err(ActionError::Refused(format!(
                    "another operation is already in progress ({phase})"
                )));
            }
            let mut op_sync = json!({
                "revision": "",
                "prune": sync.prune,
                "dryRun": sync.dry_run,
                "syncStrategy": {"hook": {}},
            });
            let options = array_at(obj, &["spec", "syncPolicy", "syncOptions"]);
            if !options.is_empty() {
                op_sync["syncOptions"] = Value::Array(options.to_vec());
            }
            let mut operation = json!({
                "initiatedBy": {"username": user},
                "info": [{"name": "Reason", "value": "triggered from opsdeck"}],
                "sync": op_sync,
            });
            if let Some(retry) = at(obj, &["spec", "syncPolicy", "retry"]) {
                operation["retry"] = retry.clone();
            }
            let mut body = obj.clone();
            body["operation"] = operation;
            if body.get("status").is_some_and(Value::is_object) {
                body["status"]["operationState"] = Value::Null;
            }
            Ok(vec![Planned {
                request: Request {
                    method: "PUT",
                    path,
                    content_type: JSON,
                    body,
                },
                fallback_on_404: None,
            }])
        }
        _ => Err(ActionError::Unsupported(format!(
            "{} is not an application action",
            kind.as_str()
        ))),
    }
}

/// A rollout action on the Rollout as read now (`obj`); `now` for restart.
pub fn plan_rollout(
    kind: ActionKind,
    obj: &Value,
    now: DateTime<Utc>,
) -> Result<Vec<Planned>, ActionError> {
    let ns = str_at(obj, &["metadata", "namespace"]);
    let name = str_at(obj, &["metadata", "name"]);
    let main = rollout_path(ns, name);
    let status = format!("{main}/status");
    let steps = array_at(obj, &["spec", "strategy", "canary", "steps"]).len() as i64;
    let canary = at(obj, &["spec", "strategy", "canary"]).is_some();
    let paused = bool_at(obj, &["spec", "paused"]);
    let index = int_at(obj, &["status", "currentStepIndex"]).unwrap_or(0);
    let next = (index + 1).min(steps);
    let with_fallback = |status_body: Value, spec_paused: bool| -> Vec<Planned> {
        // The plugin sends the status part first; on 404 the unified payload goes to main.
        let mut unified = status_body.clone();
        if spec_paused {
            unified["spec"] = json!({"paused": false});
        }
        let mut out = vec![Planned {
            request: merge(status.clone(), status_body),
            fallback_on_404: Some(merge(main.clone(), unified)),
        }];
        if spec_paused {
            out.push(Planned {
                request: merge(main.clone(), json!({"spec": {"paused": false}})),
                fallback_on_404: None,
            });
        }
        out
    };
    match kind {
        ActionKind::Promote => {
            let pause_conditions = !array_at(obj, &["status", "pauseConditions"]).is_empty();
            let inconclusive = str_at(
                obj,
                &["status", "canary", "currentStepAnalysisRunStatus", "status"],
            ) == "Inconclusive";
            let body = if canary
                && inconclusive
                && pause_conditions
                && bool_at(obj, &["status", "controllerPause"])
            {
                json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": next}})
            } else if pause_conditions {
                json!({"status": {"pauseConditions": null}})
            } else if canary && steps > 0 {
                json!({"status": {"pauseConditions": null, "currentStepIndex": next}})
            } else if paused {
                return Ok(vec![Planned {
                    request: merge(main, json!({"spec": {"paused": false}})),
                    fallback_on_404: None,
                }]);
            } else {
                return Err(ActionError::Refused(
                    "nothing to promote: not paused and no steps".into(),
                ));
            };
            Ok(with_fallback(body, paused))
        }
        ActionKind::PromoteFull => {
            let current = str_at(obj, &["status", "currentPodHash"]);
            let stable = str_at(obj, &["status", "stableRS"]);
            if current == stable && !paused {
                return Err(ActionError::Refused("already fully promoted".into()));
            }
            if current == stable {
                return Ok(vec![Planned {
                    request: merge(main, json!({"spec": {"paused": false}})),
                    fallback_on_404: None,
                }]);
            }
            Ok(with_fallback(
                json!({"status": {"promoteFull": true}}),
                paused,
            ))
        }
        ActionKind::Abort | ActionKind::Retry => {
            let body = json!({"status": {"abort": kind == ActionKind::Abort}});
            Ok(vec![Planned {
                request: merge(status, body.clone()),
                fallback_on_404: Some(merge(main, body)),
            }])
        }
        ActionKind::Restart => Ok(vec![Planned {
            request: merge(
                main,
                json!({"spec": {"restartAt": now.to_rfc3339_opts(SecondsFormat::Secs, true)}}),
            ),
            fallback_on_404: None,
        }]),
        // `kubectl argo rollouts pause` and Argo CD's `pause` action.
        ActionKind::Pause => {
            if paused {
                return Err(ActionError::Refused("already paused".into()));
            }
            Ok(vec![Planned {
                request: merge(main, json!({"spec": {"paused": true}})),
                fallback_on_404: None,
            }])
        }
        // Argo CD's `resume` action: the user's pause lifted; a pause step is promote's.
        ActionKind::Resume => {
            if !paused {
                return Err(ActionError::Refused(
                    "not paused by a user; a pause step is passed with promote".into(),
                ));
            }
            Ok(vec![Planned {
                request: merge(main, json!({"spec": {"paused": false}})),
                fallback_on_404: None,
            }])
        }
        // Argo CD's `skip-current-step` action: the next step, the pause conditions cleared
        // when there are any; on the status subresource (main before Rollouts v0.10).
        ActionKind::SkipStep => {
            if !canary || steps == 0 || index >= steps {
                return Err(ActionError::Refused("no step left to skip".into()));
            }
            let body = if array_at(obj, &["status", "pauseConditions"]).is_empty() {
                json!({"status": {"currentStepIndex": index + 1}})
            } else {
                json!({"status": {"pauseConditions": null, "currentStepIndex": index + 1}})
            };
            Ok(vec![Planned {
                request: merge(status, body.clone()),
                fallback_on_404: Some(merge(main, body)),
            }])
        }
        _ => Err(ActionError::Unsupported(format!(
            "{} is not a rollout action",
            kind.as_str()
        ))),
    }
}

fn revision_of(rs: &Value) -> Option<i64> {
    str_at(
        rs,
        &["metadata", "annotations", "rollout.argoproj.io/revision"],
    )
    .parse()
    .ok()
}

/// `kubectl argo rollouts undo` (`undo.go`): the pod template of the Rollout's ReplicaSet of
/// revision `to` (default the second-newest), its `rollouts-pod-template-hash` label removed,
/// put back with one JSON patch; refused when the template is that one already.
pub fn plan_undo(
    obj: &Value,
    replica_sets: &[Value],
    to: Option<i64>,
) -> Result<Vec<Planned>, ActionError> {
    let ns = str_at(obj, &["metadata", "namespace"]);
    let name = str_at(obj, &["metadata", "name"]);
    let uid = str_at(obj, &["metadata", "uid"]);
    let mut owned: Vec<(i64, &Value)> = replica_sets
        .iter()
        .filter(|rs| {
            str_at(rs, &["metadata", "namespace"]) == ns
                && array_at(rs, &["metadata", "ownerReferences"])
                    .iter()
                    .any(|o| !uid.is_empty() && str_at(o, &["uid"]) == uid)
        })
        .filter_map(|rs| revision_of(rs).map(|r| (r, rs)))
        .collect();
    owned.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    let target = match to {
        Some(n) => owned.iter().find(|(r, _)| *r == n),
        None => owned.get(1),
    };
    let Some((rev, rs)) = target else {
        return Err(ActionError::Refused(match to {
            Some(n) => format!("{ns}/{name} has no ReplicaSet of revision {n}"),
            None => format!("{ns}/{name} has no earlier revision to go back to"),
        }));
    };
    let mut template = at(rs, &["spec", "template"])
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(labels) = template
        .get_mut("metadata")
        .and_then(|m| m.get_mut("labels"))
        .and_then(Value::as_object_mut)
    {
        labels.remove("rollouts-pod-template-hash");
    }
    if at(obj, &["spec", "template"]) == Some(&template) {
        return Err(ActionError::Refused(format!(
            "{ns}/{name} already runs revision {rev}'s template"
        )));
    }
    Ok(vec![Planned {
        request: Request {
            method: "PATCH",
            path: rollout_path(ns, name),
            content_type: JSON_PATCH,
            body: json!([{"op": "replace", "path": "/spec/template", "value": template}]),
        },
        fallback_on_404: None,
    }])
}

/// An API error in the user's language: what was refused, on what, and why.
pub fn explain(code: u16, method: &str, path: &str, server_message: &str) -> String {
    let verb = match method {
        "PATCH" => "patch",
        "PUT" => "update",
        "GET" => "get",
        _ => "change",
    };
    // …/namespaces/{ns}/{resource}/{name}[/status]
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ns_at = parts.iter().position(|p| *p == "namespaces");
    let (ns, resource, name, sub) = match ns_at {
        Some(i) => (
            parts.get(i + 1).copied().unwrap_or(""),
            parts.get(i + 2).copied().unwrap_or(""),
            parts.get(i + 3).copied().unwrap_or(""),
            parts.get(i + 4).copied(),
        ),
        None => ("", "", "", None),
    };
    let res = match sub {
        Some(s) => format!("{resource}/{s}"),
        None => resource.to_string(),
    };
    match code {
        401 => "not logged in to the cluster (401): the credentials in the kubeconfig were refused"
            .into(),
        403 => format!("forbidden: you may not {verb} {res} in namespace {ns} (RBAC)"),
        404 => format!("{ns}/{name} is gone: the {resource} object no longer exists"),
        409 => format!(
            "{ns}/{name} was changed by someone else since it was read; look again and retry"
        ),
        422 => format!("the API server rejected the change to {ns}/{name}: {server_message}"),
        _ => format!("the API server answered {code} to {method} {path}: {server_message}"),
    }
}

/// Runs actions against a live cluster through the Kubernetes API, as the user the request
/// names.
#[derive(Clone)]
pub struct KubeOperator {
    pub client: kube::Client,
}

/// An API call that failed: the HTTP status (0 when the server did not answer) and its message.
type Failure = (u16, String);

async fn call(client: &kube::Client, req: http::Request<Vec<u8>>) -> Result<String, Failure> {
    match client.request_text(req).await {
        Ok(text) => Ok(text),
        Err(kube::Error::Api(s)) => Err((s.code, s.message.clone())),
        Err(e) => Err((0, e.to_string())),
    }
}

async fn send(client: &kube::Client, r: &Request) -> Result<(), Failure> {
    let req = http::Request::builder()
        .method(r.method)
        .uri(&r.path)
        .header("Content-Type", r.content_type)
        .header("Accept", "application/json")
        .body(serde_json::to_vec(&r.body).unwrap_or_default())
        .map_err(|e| (0, e.to_string()))?;
    call(client, req).await.map(|_| ())
}

async fn get(client: &kube::Client, path: &str) -> Result<Value, Failure> {
    let req = http::Request::builder()
        .method("GET")
        .uri(path)
        .header("Accept", "application/json")
        .body(Vec::new())
        .map_err(|e| (0, e.to_string()))?;
    let text = call(client, req).await?;
    serde_json::from_str(&text).map_err(|e| (0, format!("unreadable object: {e}")))
}

/// A failed call in the user's words, typed by what the engineer can do about it.
fn say(method: &str, path: &str, (code, msg): Failure) -> ActionError {
    match code {
        0 => ActionError::Unreachable(format!("cannot reach the API server: {msg}")),
        401 | 403 => ActionError::Forbidden(explain(code, method, path, &msg)),
        404 | 409 => ActionError::Conflict(explain(code, method, path, &msg)),
        _ => ActionError::Rejected(explain(code, method, path, &msg)),
    }
}

impl KubeOperator {
    /// Sends the planned requests in order; the first failure ends it, naming its request.
    async fn run_plan(&self, plan: Vec<Planned>) -> Result<(), (Failure, &'static str, String)> {
        for p in plan {
            match send(&self.client, &p.request).await {
                Ok(()) => {}
                Err((404, _)) if p.fallback_on_404.is_some() => {
                    if let Some(f) = &p.fallback_on_404 {
                        send(&self.client, f)
                            .await
                            .map_err(|e| (e, f.method, f.path.clone()))?;
                    }
                }
                Err(e) => return Err((e, p.request.method, p.request.path.clone())),
            }
        }
        Ok(())
    }

    async fn act(&self, req: ActionRequest) -> Result<String, ActionError> {
        if req.kind == ActionKind::Rollback {
            return Err(ActionError::Unsupported(
                "a rollback goes through the Argo CD API server (--argocd-server), not the Kubernetes API".into(),
            ));
        }
        let (ns, name) = (&req.target.namespace, &req.target.name);
        let path = if req.kind.on_app() {
            app_path(ns, name)
        } else {
            rollout_path(ns, name)
        };
        // A sync is a read-modify-write like SetAppOperation: on 409 read again and re-check
        // (the check refuses if someone else's operation started meanwhile). Nothing else is retried.
        let attempts = if req.kind == ActionKind::Sync { 3 } else { 1 };
        let mut last = ActionError::Conflict(String::new());
        for _ in 0..attempts {
            let obj = get(&self.client, &path)
                .await
                .map_err(|e| say("GET", &path, e))?;
            let plan = if req.kind.on_app() {
                plan_app(req.kind, &obj, req.sync, &req.user)?
            } else if req.kind == ActionKind::Undo {
                // The ReplicaSets of its namespace, the Rollout's found by owner.
                let list = format!("/apis/apps/v1/namespaces/{ns}/replicasets");
                let rs = get(&self.client, &list)
                    .await
                    .map_err(|e| say("GET", &list, e))?;
                plan_undo(&obj, array_at(&rs, &["items"]), req.to_revision)?
            } else {
                plan_rollout(req.kind, &obj, Utc::now())?
            };
            match self.run_plan(plan).await {
                Ok(()) => return Ok(done_text(req.kind, req.sync)),
                Err((e @ (409, _), method, p)) if req.kind == ActionKind::Sync => {
                    last = say(method, &p, e)
                }
                Err((e, method, p)) => return Err(say(method, &p, e)),
            }
        }
        Err(last)
    }
}

fn done_text(kind: ActionKind, sync: SyncOptions) -> String {
    match kind {
        ActionKind::Sync if sync.dry_run => "dry-run sync requested".into(),
        ActionKind::Sync => "sync requested; the controller runs it".into(),
        ActionKind::Refresh => "refresh requested".into(),
        ActionKind::HardRefresh => "hard refresh requested".into(),
        ActionKind::Rollback => "rollback requested".into(),
        ActionKind::Promote => "promoted; the controller moves to the next step".into(),
        ActionKind::PromoteFull => "full promotion requested".into(),
        ActionKind::Abort => "aborted; traffic goes back to stable".into(),
        ActionKind::Retry => "retry requested".into(),
        ActionKind::Restart => "restart requested".into(),
        ActionKind::Pause => "paused; it stays where it is until resumed".into(),
        ActionKind::Resume => "resumed; the controller goes on".into(),
        ActionKind::SkipStep => "step skipped; the controller moves to the next".into(),
        ActionKind::Undo => {
            "the previous revision's template is back; the controller rolls to it".into()
        }
        ActionKind::Silence | ActionKind::Expire => "sent to Alertmanager".into(),
    }
}

impl Operator for KubeOperator {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        let me = self.clone();
        Box::pin(async move {
            if req.kind.on_alert() {
                return Err(ActionError::Unsupported(format!(
                    "{} goes to Alertmanager, not the cluster",
                    req.kind.as_str()
                )));
            }
            me.act(req).await
        })
    }
}
