//! Alertmanager API v2 (PROTOCOLS §6): alerts polled for the alerts pane (firing, silenced and
//! inhibited, all of them). Reached by URL or through the API server (kube-prometheus-stack's
//! `alertmanager-operated:9093`); silences are written by `ops::alertmanager` through the same
//! endpoint.

use crate::model::{Alert, AlertState, Severity, Silence};
use crate::net::http::{Endpoint, ServiceRef, backoff};
use crate::state::{Health, SourceId, Update};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often alerts are read.
pub const REFRESH: Duration = Duration::from_secs(10);
/// The longest wait between retries: the alerts feed the header's problem summary, always
/// on screen, so a returning Alertmanager is read again within ~2 s.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct Alertmanager {
    pub endpoint: Endpoint,
}

fn str_map(v: &Value) -> std::collections::BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One element of `GET /api/v2/alerts`; `None` when it has no alertname.
pub fn parse_alert(v: &Value) -> Option<Alert> {
    let labels = str_map(&v["labels"]);
    let annotations = str_map(&v["annotations"]);
    let name = labels.get("alertname").cloned().filter(|n| !n.is_empty())?;
    let silenced_by = strings(&v["status"]["silencedBy"]);
    let inhibited_by = strings(&v["status"]["inhibitedBy"]);
    let muted = !strings(&v["status"]["mutedBy"]).is_empty();
    let state = match v["status"]["state"].as_str().unwrap_or("") {
        "active" => AlertState::Firing,
        "suppressed" => AlertState::Suppressed,
        _ if !silenced_by.is_empty() || !inhibited_by.is_empty() || muted => AlertState::Suppressed,
        _ => AlertState::Unprocessed,
    };
    let starts_at = v["startsAt"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    Some(Alert {
        severity: Severity::parse(labels.get("severity").map_or("", |s| s.as_str())),
        summary: annotations
            .get("summary")
            .or(annotations.get("message"))
            .cloned()
            .unwrap_or_default(),
        description: annotations.get("description").cloned().unwrap_or_default(),
        fingerprint: v["fingerprint"].as_str().unwrap_or("").to_string(),
        name,
        state,
        labels,
        starts_at,
        silenced_by,
        inhibited_by,
        silences: Vec::new(),
    })
}

/// `GET /api/v2/silences`: each silence with an id; a body that is not an array is an error.
pub fn parse_silences(body: &str) -> Result<Vec<Silence>, String> {
    Ok(json_array(body, "silences")?
        .iter()
        .filter_map(|s| {
            Some(Silence {
                id: s["id"].as_str().filter(|i| !i.is_empty())?.to_string(),
                ends_at: s["endsAt"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
                created_by: s["createdBy"].as_str().unwrap_or("").to_string(),
                comment: s["comment"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect())
}

/// The whole answer; an element without an alertname is skipped, a body that is not a JSON
/// array is an error.
pub fn parse_alerts(body: &str) -> Result<Vec<Alert>, String> {
    Ok(json_array(body, "alerts")?
        .iter()
        .filter_map(parse_alert)
        .collect())
}

/// An answer that must be a JSON array of `what`; anything else says what came instead.
fn json_array(body: &str, what: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(format!(
            "not an Alertmanager answer: expected a JSON array of {what}"
        )),
        Err(_) => Err(format!(
            "not an Alertmanager answer: {}",
            crate::net::http::short_body(body)
        )),
    }
}

impl Alertmanager {
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// Every alert: active, silenced, inhibited and unprocessed; a silenced one with its
    /// silences' end, author and comment (read only when something is silenced; without them
    /// the alerts still come).
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        let r = self
            .endpoint
            .get("api/v2/alerts", &[])
            .await
            .map_err(|e| e.server_said("Alertmanager"))?;
        let mut alerts = parse_alerts(&r.body)?;
        if alerts.iter().any(|a| !a.silenced_by.is_empty()) {
            match self.silences().await {
                Ok(silences) => {
                    for a in &mut alerts {
                        a.silences = silences
                            .iter()
                            .filter(|s| a.silenced_by.contains(&s.id))
                            .cloned()
                            .collect();
                    }
                }
                Err(e) => tracing::warn!("alertmanager silences: {e}"),
            }
        }
        Ok(alerts)
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, String> {
        let r = self
            .endpoint
            .get("api/v2/silences", &[])
            .await
            .map_err(|e| e.server_said("Alertmanager"))?;
        parse_silences(&r.body)
    }
}

/// Where Alertmanager is.
#[derive(Clone, Debug)]
pub enum Location {
    Url(Endpoint),
    Service(ServiceRef),
    /// `monitoring/alertmanager-operated:9093` through the API server.
    Discover,
}

/// Resolves a location to an endpoint (discovery only names the service; the first poll
/// tells whether it is there).
pub fn endpoint(
    loc: &Location,
    kube: Option<&kube::Client>,
    monitoring_ns: &str,
    timeout: Duration,
) -> Result<Endpoint, String> {
    let svc = match loc {
        Location::Url(e) => return Ok(e.clone().with_timeout(timeout)),
        Location::Service(s) => s.clone(),
        Location::Discover => ServiceRef::new(monitoring_ns, "alertmanager-operated", "9093"),
    };
    let client = kube.ok_or("no Alertmanager: give --alertmanager URL")?;
    Ok(Endpoint::service(client.clone(), svc).with_timeout(timeout))
}

/// Polls alerts every [`REFRESH`] (or `refresh`), keeping the last good list on errors.
pub fn spawn(
    am: Alertmanager,
    refresh: Duration,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            match am.alerts().await {
                Ok(alerts) => {
                    failures = 0;
                    if tx.send(Update::Alerts(alerts)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures == 1 || failures.is_multiple_of(30) {
                        tracing::warn!(failures, "alertmanager: {e}");
                    }
                    let health = Health::Error(if am.endpoint.is_proxy() && e.contains("404") {
                        format!(
                            "{e} (no Alertmanager there? give --alertmanager URL or --alertmanager-service NS/NAME:PORT)"
                        )
                    } else {
                        e
                    });
                    let u = Update::SourceHealth {
                        source: SourceId::Alerts,
                        health,
                    };
                    if tx.send(u).await.is_err() {
                        return;
                    }
                }
            }
            let wait = if failures > 0 {
                backoff(failures - 1, MAX_BACKOFF).min(refresh.max(Duration::from_millis(100)))
            } else {
                refresh
            };
            tokio::time::sleep(wait).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_parse_as_the_api_answers_them() {
        let body = r#"[{
          "labels": {"alertname": "KubePodCrashLooping", "namespace": "dev", "pod": "orders-5c7d", "severity": "warning"},
          "annotations": {"summary": "Pod is crash looping.", "description": "restarts 5 times", "runbook_url": "https://x"},
          "startsAt": "2024-08-29T11:00:00.000Z", "endsAt": "2024-08-29T11:24:00.000Z", "updatedAt": "2024-08-29T11:20:00.000Z",
          "fingerprint": "8b3b3a2c1d0e4f56", "generatorURL": "http://prometheus:9090/graph",
          "receivers": [{"name": "team-x"}],
          "status": {"state": "suppressed", "silencedBy": ["4f2e…"], "inhibitedBy": [], "mutedBy": []}
        }, {"labels": {}, "status": {"state": "active"}}]"#;
        let a = parse_alerts(body).unwrap();
        assert_eq!(a.len(), 1, "an alert without alertname is skipped");
        assert_eq!(a[0].name, "KubePodCrashLooping");
        assert_eq!(a[0].state, AlertState::Suppressed);
        assert_eq!(a[0].severity, Severity::Warning);
        assert_eq!(a[0].summary, "Pod is crash looping.");
        assert_eq!(a[0].description, "restarts 5 times");
        assert_eq!(a[0].silenced_by, vec!["4f2e…".to_string()]);
        assert_eq!(a[0].starts_at.to_rfc3339(), "2024-08-29T11:00:00+00:00");
        assert!(
            parse_alerts("<html>")
                .unwrap_err()
                .starts_with("not an Alertmanager answer")
        );
        assert!(parse_alerts("{}").is_err());
    }
}
