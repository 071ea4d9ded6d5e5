//! Operators compose: silence and expire go to Alertmanager, rollback to the Argo CD API
//! server (when there is one, else to the platform: the demo's does it), every other action
//! to the platform's operator (the cluster, or the demo), so none knows of the others.

use crate::model::{ActionError, ActionRequest, Operator};
use futures::future::BoxFuture;
use std::sync::Arc;

/// Routes each action to the operator that runs it.
pub struct ActionRouter {
    /// Applications and Rollouts.
    pub platform: Arc<dyn Operator>,
    /// Silences; `None` when no Alertmanager is configured.
    pub alerts: Option<Arc<dyn Operator>>,
    /// Rollbacks; `None` without an Argo CD API server.
    pub argocd: Option<Arc<dyn Operator>>,
}

impl Operator for ActionRouter {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        if req.kind == crate::model::ActionKind::Rollback
            && let Some(op) = &self.argocd
        {
            return op.run(req);
        }
        if !req.kind.on_alert() {
            return self.platform.run(req);
        }
        match &self.alerts {
            Some(op) => op.run(req),
            None => Box::pin(async {
                Err(ActionError::Unsupported(
                    "no Alertmanager is configured".into(),
                ))
            }),
        }
    }
}
