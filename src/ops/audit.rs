//! The audit log: one JSON line per action, accepted or refused, in the XDG state directory.

use super::{ActionKind, ActionRequest};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub time: String,
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
    pub fn new(
        now: DateTime<Utc>,
        context: &str,
        kind: ActionKind,
        req: Option<&ActionRequest>,
        target: String,
        after: String,
        result: String,
    ) -> Self {
        Self {
            time: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            user: local_user(),
            context: context.to_string(),
            action: kind.as_str(),
            target,
            before: req.map(|r| r.before.clone()).unwrap_or_default(),
            after,
            result,
            command: req.map(|r| r.command.clone()).unwrap_or_default(),
        }
    }
}

/// The local user name for the audit log and Argo's `initiatedBy`: the account the process
/// runs as (environment variables can be unset, e.g. in containers and under tmux).
pub fn local_user() -> String {
    whoami::username()
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// `$XDG_STATE_HOME/opsdeck`, else `~/.local/state/opsdeck`.
pub fn state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("opsdeck")
}

/// Appends entries to the audit file; creates the directory on first use.
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn append(&self, entry: &AuditEntry) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(line.as_bytes())
    }
}
