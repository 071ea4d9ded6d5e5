//! Operators run the actions State prepared and report how they ended (PROTOCOLS §1.5, §1.6,
//! §2.6, §6): [`kube::KubeOperator`] against the cluster, [`alertmanager::Silencer`] against
//! Alertmanager, composed by action in [`router::ActionRouter`]; and the [`audit::AuditLog`]
//! that records every action, accepted or refused. The demo's operator lives with the
//! simulation it drives (`sources::demo`). The action types and the [`Operator`] interface are
//! the model's ([`crate::model::action`]).

pub mod alertmanager;
pub mod argocd;
pub mod audit;
pub mod clipboard;
pub mod kube;
pub mod router;

pub use crate::model::action::Operator;

/// The operator of a cluster that could not be reached (at start, or by `:fleet add`): every
/// action is refused with
/// why, so nothing is sent anywhere else.
pub struct Unreachable(pub String);

impl Operator for Unreachable {
    fn run(
        &self,
        _req: crate::model::ActionRequest,
    ) -> futures::future::BoxFuture<'static, Result<String, ActionError>> {
        let why = self.0.clone();
        Box::pin(async move { Err(ActionError::Unreachable(why)) })
    }
}

use crate::model::ActionError;

/// An action's answer, or — after `deadline` without one — [`ActionError::Unanswered`]: no
/// action stays silently pending (a storage outage behind the API server can hold a write for
/// minutes).
pub async fn answer_within(
    deadline: std::time::Duration,
    server: &str,
    run: impl std::future::Future<Output = Result<String, ActionError>>,
) -> Result<String, ActionError> {
    match tokio::time::timeout(deadline, run).await {
        Ok(r) => r,
        Err(_) => Err(ActionError::Unanswered(format!(
            "no answer from {server} after {}s; the request may still be applied (check before sending it again)",
            deadline.as_secs()
        ))),
    }
}

/// The server an action is sent to, as its messages name it.
pub fn server_of(kind: crate::model::ActionKind) -> &'static str {
    if kind.on_alert() {
        "Alertmanager"
    } else {
        "the API server"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn an_action_without_an_answer_is_reported_at_its_deadline() {
        let never = std::future::pending::<Result<String, ActionError>>();
        let r = answer_within(Duration::from_secs(30), "the API server", never).await;
        assert_eq!(
            r,
            Err(ActionError::Unanswered(
                "no answer from the API server after 30s; the request may still be applied (check before sending it again)"
                    .into()
            ))
        );
        let quick = async { Ok::<_, ActionError>("synced".to_string()) };
        assert_eq!(
            answer_within(Duration::from_secs(30), "Alertmanager", quick).await,
            Ok("synced".into())
        );
    }
}
