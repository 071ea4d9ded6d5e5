//! Rollback through the Argo CD API server, as `argocd app rollback NAME ID` does it:
//! `POST /api/v1/applications/{name}/rollback` with `{name, id, prune, dryRun, appNamespace}`
//! (`server/application/application.proto`, `ApplicationRollbackRequest`). The server refuses
//! it while automated sync is on (State refuses it first, in the same words), runs the
//! history entry's revision and source as a sync, and leaves automated sync off.

use crate::model::{ActionError, ActionKind, ActionRequest, Operator};
use crate::net::http::{Endpoint, HttpError};
use futures::future::BoxFuture;
use serde_json::{Value, json};

/// Runs rollbacks on one Argo CD API server.
#[derive(Clone, Debug)]
pub struct ArgoCdOperator {
    pub endpoint: Endpoint,
}

fn refused(e: HttpError) -> ActionError {
    let m = e.server_said("Argo CD");
    match e.status {
        None => ActionError::Unreachable(m),
        Some(401 | 403) => ActionError::Forbidden(m),
        Some(404) => ActionError::Conflict(m),
        // gRPC's FailedPrecondition (auto-sync on, an operation running) comes as 400.
        Some(400) => ActionError::Refused(m),
        Some(_) => ActionError::Rejected(m),
    }
}

/// The body `argocd app rollback` sends.
pub fn rollback_body(req: &ActionRequest, id: i64) -> Value {
    json!({
        "name": req.target.name,
        "id": id,
        "prune": req.sync.prune,
        "dryRun": req.sync.dry_run,
        "appNamespace": req.target.namespace,
    })
}

impl Operator for ArgoCdOperator {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        let me = self.clone();
        Box::pin(async move {
            if req.kind != ActionKind::Rollback {
                return Err(ActionError::Unsupported(format!(
                    "{} is not an Argo CD API server action",
                    req.kind.as_str()
                )));
            }
            let Some(id) = req.to_revision else {
                return Err(ActionError::Refused(
                    "a rollback needs the history entry to go back to".into(),
                ));
            };
            let path = format!("api/v1/applications/{}/rollback", req.target.name);
            me.endpoint
                .post_json(&path, &rollback_body(&req, id))
                .await
                .map_err(refused)?;
            Ok(if req.sync.dry_run {
                format!("Argo CD ran a dry-run rollback to #{id}")
            } else {
                format!("Argo CD is rolling back to #{id}: its sync runs now")
            })
        })
    }
}
