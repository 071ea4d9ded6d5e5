//! What the audit log records of an action: one entry per action, accepted or refused, built
//! here with typed constructors from the same values the confirmation showed (the equivalent
//! CLI command included). The log stamps each entry with its own clock when it writes it
//! (`ops::audit`), so every line's time comes from one place.

use super::Context;
use crate::model::{ActionError, ActionKind, ActionOutcome, ActionRequest};
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

    /// An action the operator ran: [`done`](Self::done) or [`failed`](Self::failed).
    pub fn outcome(ctx: &Context, o: &ActionOutcome) -> Self {
        match &o.result {
            Ok(after) => Self::done(ctx, &o.request, after),
            Err(e) => Self::failed(ctx, &o.request, e),
        }
    }

    /// An action that ran, with the state after it in words.
    pub fn done(ctx: &Context, r: &ActionRequest, after: &str) -> Self {
        Self::ran(ctx, r, after.to_string(), "ok".to_string())
    }

    /// An action the server or the platform did not carry out, and why.
    pub fn failed(ctx: &Context, r: &ActionRequest, e: &ActionError) -> Self {
        let result = match e {
            // Not a failure: nobody knows whether it was applied.
            ActionError::Unanswered(m) => format!("unanswered: {m}"),
            e => format!("error: {e}"),
        };
        Self::ran(ctx, r, String::new(), result)
    }

    fn ran(ctx: &Context, r: &ActionRequest, after: String, result: String) -> Self {
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
