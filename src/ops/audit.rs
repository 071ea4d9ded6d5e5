//! The audit log: one JSON line per action, accepted or refused, in the XDG state directory,
//! each stamped with the time it was written.

use crate::state::AuditEntry;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The local user name for the audit log and Argo's `initiatedBy`: the account the process
/// runs as (environment variables can be unset, e.g. in containers and under tmux). Read once
/// at start and handed to State.
pub fn local_user() -> String {
    whoami::username()
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// One line of the file: the time, then the entry.
#[derive(Serialize)]
struct Line<'a> {
    time: String,
    #[serde(flatten)]
    entry: &'a AuditEntry,
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
    /// Writes `entry` stamped with `at` (the caller's one clock: now, when it is written).
    pub fn append_at(&self, entry: &AuditEntry, at: DateTime<Utc>) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let line = Line {
            time: at.to_rfc3339_opts(SecondsFormat::Millis, true),
            entry,
        };
        let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(text.as_bytes())
    }
    /// Writes `entry` stamped now.
    pub fn append(&self, entry: &AuditEntry) -> std::io::Result<()> {
        self.append_at(entry, Utc::now())
    }
}
