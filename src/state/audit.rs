//! What the audit log records of an action: one entry per action, accepted or refused, built
//! here with typed constructors from the same values the confirmation showed (the equivalent
//! CLI command included). The log stamps each entry with its own clock when it writes it
//! (`ops::audit`), so every line's time comes from one place.

use super::Context;
use crate::model::{ActionKind, ActionOutcome, ActionRequest};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub user: String,
    pub context: String,
    pub action: &'static str,
    pub target: String,
    pub before: String,
    pub after: String,
    pub result: String,
    pub command: String,
}

impl AuditEntry {
    /// An action refused before it was sent: read-only, nothing to act on, nothing to do.
    /// `req` is the request it would have been, when it got that far.
    pub fn refused(
        ctx: &Context,
        kind: ActionKind,
        target: String,
        req: Option<&ActionRequest>,
        why: &str,
    ) -> Self {
        Self {
            user: ctx.user.clone(),
            context: ctx.name.clone(),
            action: kind.as_str(),
            target,
            before: req.map(|r| r.before.clone()).unwrap_or_default(),
            after: String::new(),
            result: format!("refused: {why}"),
            command: req.map(|r| r.command.clone()).unwrap_or_default(),
        }
    }

    /// An action the operator ran: done (with the state after) or failed (with why).
    pub fn outcome(ctx: &Context, o: &ActionOutcome) -> Self {
        let r = &o.request;
        let (after, result) = match &o.result {
            Ok(after) => (after.clone(), "ok".to_string()),
            Err(e) => (String::new(), format!("error: {e}")),
        };
        Self {
            user: r.user.clone(),
            context: ctx.name.clone(),
            action: r.kind.as_str(),
            target: r.target.to_string(),
            before: r.before.clone(),
            after,
            result,
            command: r.command.clone(),
        }
    }
}
