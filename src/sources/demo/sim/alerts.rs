//! Alerts in the simulation: rules over ERROR rates, node and pod CPU with their `for`
//! periods, and silences as the demo's Alertmanager keeps them.

use super::Sim;
use crate::model::*;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

const NODE_ALERT_PCT: f64 = 80.0;
const POD_ALERT_CORES: f64 = 0.8;

/// A rule's alert, pending until its `for` period has passed.
pub(super) struct RuleState {
    pub since: DateTime<Utc>,
    pub firing: bool,
    pub alert: Alert,
}

/// A silence in the demo's Alertmanager.
#[derive(Clone, Debug)]
pub(super) struct DemoSilence {
    pub id: String,
    pub matchers: Vec<(String, String)>,
    pub ends: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl Sim {
    pub(super) fn step_alerts(&mut self, now: DateTime<Utc>) {
        let mut active: Vec<(String, Alert, i64)> = Vec::new();
        let window = self.errors.len().max(1) as f64;
        for si in 0..self.svcs.len() {
            let svc = self.svcs[si].def.name;
            let n: u32 = self.errors.iter().map(|(_, c)| c[si]).sum();
            let rate = f64::from(n) / window;
            let style = self.platform.logs;
            if rate > style.alert_per_sec {
                active.push((
                    format!("{}/{svc}", style.alert),
                    self.alert(
                        style.alert,
                        "warning",
                        &[
                            ("service", svc),
                            ("namespace", self.platform.namespace_of_name(svc)),
                        ],
                        format!(
                            "{svc} logs {rate:.1} ERROR lines/s (threshold {}/s over 1m)",
                            style.alert_per_sec
                        ),
                    ),
                    30,
                ));
            }
        }
        for s in &self.cpu.nodes {
            if let Some(v) = s.last()
                && v > NODE_ALERT_PCT
            {
                active.push((
                    format!("NodeHighCPU/{}", s.name),
                    self.alert(
                        "NodeHighCPU",
                        "warning",
                        &[("node", &s.name), ("instance", &format!("{}:9100", s.name))],
                        format!(
                            "{} CPU at {v:.0}% (threshold {NODE_ALERT_PCT:.0}% for 2m)",
                            s.name
                        ),
                    ),
                    120,
                ));
            }
        }
        for s in &self.cpu.services {
            let Some(track) = s.track else { continue };
            if let Some(v) = s.last()
                && v > POD_ALERT_CORES
            {
                let svc = &self.svcs[self.svc_index(&s.name).unwrap_or(0)];
                let ver = match track {
                    Track::Canary => svc.canary.as_ref().unwrap_or(&svc.stable),
                    Track::Stable => &svc.stable,
                };
                let pod = format!(
                    "{}-{}-{}",
                    s.name,
                    ver.hash,
                    ver.pods.first().map(String::as_str).unwrap_or("x")
                );
                active.push((
                    format!("PodHighCPU/{pod}"),
                    self.alert(
                        "PodHighCPU",
                        "warning",
                        &[
                            ("pod", &pod),
                            ("service", &s.name),
                            ("namespace", self.platform.namespace_of_name(&s.name)),
                            ("container", "app"),
                        ],
                        format!("{pod} uses {v:.2} cores of its 1-core limit"),
                    ),
                    120,
                ));
            }
        }
        let keys: Vec<String> = active.iter().map(|a| a.0.clone()).collect();
        let before = self.rules.len();
        self.rules.retain(|k, r| {
            let keep = keys.contains(k);
            if !keep && r.firing {
                // resolved
            }
            keep
        });
        let mut changed = self.rules.len() != before;
        for (key, mut alert, for_secs) in active {
            let r = self.rules.entry(key).or_insert_with(|| {
                alert.starts_at = now;
                RuleState {
                    since: now,
                    firing: false,
                    alert: alert.clone(),
                }
            });
            if !r.firing && (now - r.since).num_seconds() >= for_secs {
                r.firing = true;
                alert.starts_at = now;
                r.alert = alert;
                changed = true;
            }
        }
        // A resolved rule that was only pending changes nothing on screen.
        if changed {
            self.dirty_alerts = true;
        }
    }

    fn alert(&self, name: &str, severity: &str, labels: &[(&str, &str)], summary: String) -> Alert {
        let mut l: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        l.insert("alertname".into(), name.into());
        l.insert("severity".into(), severity.into());
        let fp = fingerprint(&l);
        Alert {
            name: name.into(),
            severity: Severity::parse(severity),
            state: AlertState::Firing,
            summary,
            labels: l,
            starts_at: self.now,
            fingerprint: fp,
            description: String::new(),
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            silences: vec![],
        }
    }

    /// Firing alerts as Alertmanager would list them: muted by a matching, unexpired silence.
    pub(super) fn firing_alerts(&self) -> Vec<Alert> {
        self.rules
            .values()
            .filter(|r| r.firing)
            .map(|r| {
                let mut a = r.alert.clone();
                let muting: Vec<&DemoSilence> = self
                    .silences
                    .iter()
                    .filter(|s| s.ends > self.now)
                    .filter(|s| s.matchers.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
                    .collect();
                a.silenced_by = muting.iter().map(|s| s.id.clone()).collect();
                a.silences = muting
                    .iter()
                    .map(|s| Silence {
                        id: s.id.clone(),
                        ends_at: s.ends,
                        created_by: s.created_by.clone(),
                        comment: s.comment.clone(),
                    })
                    .collect();
                if !a.silenced_by.is_empty() {
                    a.state = AlertState::Suppressed;
                }
                a
            })
            .collect()
    }
}

/// A stable id from the label set, as Alertmanager gives each alert.
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}
