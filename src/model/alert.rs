//! Alertmanager alerts (PROTOCOLS §6).

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Warning,
    Info,
    None,
}

impl Severity {
    pub fn parse(s: &str) -> Self {
        match s {
            "critical" => Self::Critical,
            "warning" => Self::Warning,
            "info" => Self::Info,
            _ => Self::None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    Firing,
    /// Silenced or inhibited.
    Suppressed,
    Unprocessed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub name: String,
    pub severity: Severity,
    pub state: AlertState,
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    pub fingerprint: String,
    /// The `description` annotation.
    pub description: String,
    /// Ids of the silences that mute it.
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts that inhibit it.
    pub inhibited_by: Vec<String>,
    /// The silences that mute it, as Alertmanager describes them (empty until read).
    pub silences: Vec<Silence>,
}

/// A silence: until when, by whom, and why (`GET /api/v2/silences`).
#[derive(Clone, Debug, PartialEq)]
pub struct Silence {
    pub id: String,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl Alert {
    /// The labels a silence for this alert matches on: all but severity-like noise.
    pub fn silence_matchers(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "severity" | "prometheus" | "receive_resolver"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// What the alert is about: the service, pod or node it names.
    pub fn subject(&self) -> &str {
        for key in ["service", "pod", "node", "instance", "app"] {
            if let Some(v) = self.labels.get(key) {
                return v;
            }
        }
        ""
    }
}
