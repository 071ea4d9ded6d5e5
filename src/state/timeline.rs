//! The change timeline: what changed (syncs, rollout steps, promotes, aborts, actions) and what
//! broke (alerts firing, error-rate spikes) on one time axis, derived from the updates State
//! already receives — so it works the same in the demo and on a live cluster, and shows changes
//! made elsewhere (another engineer, the controller) as well as ours.

use crate::model::*;
use chrono::{DateTime, Duration, Timelike, Utc};
use std::collections::VecDeque;

/// The most entries kept; the oldest go first.
pub const TIMELINE_CAP: usize = 1000;
/// How far back "what changed before this broke" looks.
pub const LOOKBACK_MINUTES: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// An Argo CD sync started, finished, or the app went out of sync.
    Sync,
    /// A rollout moved: a new canary, a step, a promote, an abort.
    Rollout,
    /// An action sent from this opsdeck.
    Action,
    AlertFiring,
    AlertResolved,
    /// ERROR lines per minute well above the usual.
    ErrorSpike,
    /// A VirtualService's weights or retries, or a DestinationRule's circuit breaking, changed.
    Mesh,
    /// A Warning event about a rollout on screen, its ReplicaSets or pods.
    Event,
    /// Argo CD Image Updater wrote a new image version to an application.
    Image,
}

impl ChangeKind {
    /// Something broke (as opposed to something changed).
    pub fn breaks(self) -> bool {
        matches!(self, ChangeKind::AlertFiring | ChangeKind::ErrorSpike)
    }
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Sync => "sync",
            ChangeKind::Rollout => "rollout",
            ChangeKind::Action => "action",
            ChangeKind::AlertFiring => "alert",
            ChangeKind::AlertResolved => "resolved",
            ChangeKind::ErrorSpike => "errors",
            ChangeKind::Mesh => "mesh",
            ChangeKind::Event => "event",
            ChangeKind::Image => "image",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
    /// The app, rollout, alert or service.
    pub subject: String,
    pub text: String,
}

/// Minutes before a spike its baseline is the median of.
const BASELINE_MINUTES: i64 = 30;

/// ERROR lines per minute, for spike detection.
#[derive(Clone, Debug, Default)]
struct ErrorRate {
    /// (minute start, count) of closed minutes with errors in the last
    /// [`BASELINE_MINUTES`], newest last; a minute not here had none.
    minutes: VecDeque<(DateTime<Utc>, u32)>,
    /// The minute being counted: its start, its count, its count per service.
    current: Option<(DateTime<Utc>, u32, std::collections::BTreeMap<String, u32>)>,
    /// The first minute seen: before it the rate is unknown, not quiet.
    first: Option<DateTime<Utc>>,
    /// The last closed minute was a spike: the next one continues it, not a new entry.
    in_spike: bool,
    /// The start of the last closed minute (with ERROR lines).
    last_closed: Option<DateTime<Utc>>,
}

impl ErrorRate {
    /// The usual rate before minute `at`: the median per minute over the
    /// [`BASELINE_MINUTES`] before it (minutes without errors count as 0), and how many
    /// minutes that is; `None` with fewer than 3 minutes known.
    fn baseline(&self, at: DateTime<Utc>) -> Option<(f64, i64)> {
        let from = (at - Duration::minutes(BASELINE_MINUTES)).max(self.first?);
        let known = (at - from).num_minutes();
        if known < 3 {
            return None;
        }
        let mut counts: Vec<u32> = self
            .minutes
            .iter()
            .filter(|(m, _)| *m >= from && *m < at)
            .map(|(_, n)| *n)
            .collect();
        counts.resize(known as usize, 0);
        counts.sort_unstable();
        let mid = counts.len() / 2;
        let median = if counts.len().is_multiple_of(2) {
            (f64::from(counts[mid - 1]) + f64::from(counts[mid])) / 2.0
        } else {
            f64::from(counts[mid])
        };
        Some((median, known))
    }
}

/// The entries, oldest first, and what spike detection keeps between lines.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    entries: VecDeque<Change>,
    error_rate: ErrorRate,
    /// Events and image updates already entered, by identity (bounded: the oldest go), and
    /// the same as a set to look up.
    noted: VecDeque<String>,
    noted_set: std::collections::HashSet<String>,
}

/// Identities kept to enter each event or image update once.
const NOTED_KEPT: usize = 2_000;

impl std::ops::Deref for Timeline {
    type Target = VecDeque<Change>;
    fn deref(&self) -> &VecDeque<Change> {
        &self.entries
    }
}

fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

impl Timeline {
    /// Adds an entry in time order (the oldest go beyond [`TIMELINE_CAP`]).
    pub fn record(&mut self, at: DateTime<Utc>, kind: ChangeKind, subject: &str, text: String) {
        let c = Change {
            at,
            kind,
            subject: subject.to_string(),
            text,
        };
        // Newest last; changes mostly arrive in order, so search from the back.
        let pos = self
            .entries
            .iter()
            .rposition(|x| x.at <= c.at)
            .map_or(0, |p| p + 1);
        self.entries.insert(pos, c);
        while self.entries.len() > TIMELINE_CAP {
            self.entries.pop_front();
        }
    }

    /// Enters `key` once: false when it was already entered.
    fn first_time(&mut self, key: String) -> bool {
        if !self.noted_set.insert(key.clone()) {
            return false;
        }
        self.noted.push_back(key);
        while self.noted.len() > NOTED_KEPT {
            if let Some(old) = self.noted.pop_front() {
                self.noted_set.remove(&old);
            }
        }
        true
    }

    /// A Warning event about `rollout`, once; a recurring one again as its count doubles
    /// (1, 2, 4, 8 …), so a probe failing every ten seconds is a few entries, not hundreds.
    pub fn note_event(&mut self, rollout: &str, ev: &crate::model::KubeEvent) {
        let Some(at) = ev.last else {
            return;
        };
        let doubling = u32::BITS - ev.count.max(1).leading_zeros();
        if !self.first_time(format!("ev {} {doubling}", ev.id)) {
            return;
        }
        let times = if ev.count > 1 {
            format!(" ×{}", ev.count)
        } else {
            String::new()
        };
        let text = format!(
            "{} {}/{}: {}{times}",
            ev.reason,
            ev.kind.to_lowercase(),
            ev.object,
            ev.note
        );
        self.record(at, ChangeKind::Event, rollout, text);
    }

    /// An image version Image Updater wrote to an application, once.
    pub fn note_image(&mut self, r: &crate::model::ImageUpdateRecord) {
        let Some(at) = r.at else {
            return;
        };
        // Keyed by time too: going back to an earlier version is a bump of its own.
        let key = format!("img {} {} {} {}", r.app, r.image, r.version, at.timestamp());
        if !self.first_time(key) {
            return;
        }
        let app = r.app.rsplit('/').next().unwrap_or(&r.app);
        // The version first: on 80 columns the registry's path is what gets cut.
        let text = format!(
            "{} · image bumped by image updater · {}",
            r.version, r.image
        );
        self.record(at, ChangeKind::Image, app, text);
    }

    /// Compares an app as it was with how it is now.
    pub fn note_app(&mut self, now: DateTime<Utc>, old: Option<&ArgoApp>, new: &ArgoApp) {
        let op_text = |o: &Operation| {
            let by = if o.initiated_by.is_empty() {
                String::new()
            } else {
                format!(" by {}", o.initiated_by)
            };
            (
                format!("sync {}{by}", o.phase.as_str().to_lowercase()),
                o.message.clone(),
            )
        };
        match (
            old.and_then(|o| o.operation.as_ref()),
            new.operation.as_ref(),
        ) {
            (_, None) => {}
            (None, Some(n)) => {
                let at = n.finished_at.unwrap_or(n.started_at);
                let (head, msg) = op_text(n);
                let rev = new.short_revision().to_string();
                self.record(
                    at,
                    ChangeKind::Sync,
                    &new.name,
                    format!("{head} → {rev} {msg}"),
                );
            }
            (Some(o), Some(n)) => {
                if o.started_at != n.started_at && !n.phase.is_completed() {
                    let (head, _) = op_text(n);
                    self.record(n.started_at, ChangeKind::Sync, &new.name, head);
                }
                if n.phase.is_completed() && (o.phase != n.phase || o.started_at != n.started_at) {
                    let (head, msg) = op_text(n);
                    let rev = new.short_revision().to_string();
                    let at = n.finished_at.unwrap_or(now);
                    self.record(
                        at,
                        ChangeKind::Sync,
                        &new.name,
                        format!("{head} → {rev} {msg}"),
                    );
                }
            }
        }
        if let Some(o) = old
            && o.sync == SyncStatus::Synced
            && new.sync == SyncStatus::OutOfSync
        {
            self.record(
                now,
                ChangeKind::Sync,
                &new.name,
                "out of sync: Git changed".into(),
            );
        }
    }

    /// Compares a rollout as it was with how it is now.
    pub fn note_rollout(&mut self, now: DateTime<Utc>, old: Option<&Rollout>, new: &Rollout) {
        let Some(o) = old else {
            if new.canary_active() {
                let step = new.step_text().unwrap_or_default();
                let at = new.pause.as_ref().map_or(now, |p| p.started_at);
                self.record(
                    at,
                    ChangeKind::Rollout,
                    &new.name,
                    format!(
                        "canary {} at step {step}, weight {}%",
                        new.version_change(),
                        new.set_weight
                    ),
                );
            }
            return;
        };
        if o.canary_hash != new.canary_hash && new.canary_active() {
            let image = if new.canary_image.is_empty() {
                new.canary_hash.clone()
            } else {
                new.canary_image.clone()
            };
            self.record(
                now,
                ChangeKind::Rollout,
                &new.name,
                format!("new canary {} ({image})", new.version_change()),
            );
        }
        if !o.aborted && new.aborted {
            self.record(
                now,
                ChangeKind::Rollout,
                &new.name,
                "aborted: traffic back to stable".into(),
            );
        } else if o.aborted && !new.aborted {
            self.record(now, ChangeKind::Rollout, &new.name, "retried".into());
        }
        if o.current_step_index != new.current_step_index && !new.aborted {
            let text = if new.is_fully_promoted() && o.canary_active() {
                "fully promoted: the canary is stable".to_string()
            } else {
                let step = new.step_text().unwrap_or_default();
                let what = new.current_step().map(|s| s.label()).unwrap_or_default();
                format!("step {step} {what}")
            };
            self.record(now, ChangeKind::Rollout, &new.name, text);
        }
    }

    /// Compares the firing alerts with the ones before.
    pub fn note_alerts(&mut self, now: DateTime<Utc>, old: &[Alert], new: &[Alert]) {
        use std::collections::HashSet;
        // By fingerprint, once: an Alertmanager poll of 16k alerts is linear, not quadratic.
        let of = |l: &'_ [Alert], st: AlertState| -> HashSet<String> {
            l.iter()
                .filter(|a| a.state == st)
                .map(|a| a.fingerprint.clone())
                .collect()
        };
        let was_firing = of(old, AlertState::Firing);
        let was_muted = of(old, AlertState::Suppressed);
        let now_listed: HashSet<&str> = new.iter().map(|a| a.fingerprint.as_str()).collect();
        // Entries already on the timeline (a source restart lists them again).
        let recorded: HashSet<(DateTime<Utc>, &str)> = self
            .entries
            .iter()
            .filter(|c| c.kind == ChangeKind::AlertFiring)
            .map(|c| (c.at, c.subject.as_str()))
            .collect();
        let mut fresh = Vec::new();
        for a in new.iter().filter(|a| a.state == AlertState::Firing) {
            // An alert whose silence ended is the same alert: it started when it started, and
            // it is already on the timeline (or was silenced before opsdeck saw it fire).
            if was_firing.contains(&a.fingerprint) || was_muted.contains(&a.fingerprint) {
                continue;
            }
            let subject = a.subject();
            let text = format!("{} {} {}", a.severity.as_str(), subject, a.summary);
            let seen = recorded.contains(&(a.starts_at, a.name.as_str()))
                && self.entries.iter().any(|c| {
                    c.kind == ChangeKind::AlertFiring
                        && c.at == a.starts_at
                        && c.subject == a.name
                        && c.text == text
                });
            if !seen {
                fresh.push((a.starts_at, a.name.clone(), text));
            }
        }
        for (at, name, text) in fresh {
            self.record(at, ChangeKind::AlertFiring, &name, text);
        }
        for a in old.iter().filter(|a| a.state == AlertState::Firing) {
            if !now_listed.contains(a.fingerprint.as_str()) {
                self.record(
                    now,
                    ChangeKind::AlertResolved,
                    &a.name,
                    a.subject().to_string(),
                );
            }
        }
    }

    /// Records VirtualServices whose weights, retries or timeouts changed (a rollout step moves
    /// the weights; a hand edit shows here too).
    pub fn note_virtual_services(
        &mut self,
        now: DateTime<Utc>,
        old: &[VirtualService],
        new: &[VirtualService],
    ) {
        for v in new {
            let Some(o) = old
                .iter()
                .find(|o| o.name == v.name && o.namespace == v.namespace)
            else {
                continue;
            };
            let weights = |vs: &VirtualService| -> Vec<String> {
                vs.http
                    .iter()
                    .flat_map(|r| r.destinations.iter())
                    .map(|d| {
                        let to = if d.subset.is_empty() {
                            &d.host
                        } else {
                            &d.subset
                        };
                        format!("{to} {}", d.weight)
                    })
                    .collect()
            };
            let policy = |vs: &VirtualService| -> Vec<(Option<mesh::Retries>, Option<u64>)> {
                vs.http
                    .iter()
                    .map(|r| (r.retries.clone(), r.timeout_ms))
                    .collect()
            };
            if weights(o) != weights(v) {
                self.record(
                    now,
                    ChangeKind::Mesh,
                    &v.name,
                    format!(
                        "weights {} → {}",
                        weights(o).join(" / "),
                        weights(v).join(" / ")
                    ),
                );
            }
            if policy(o) != policy(v) {
                self.record(
                    now,
                    ChangeKind::Mesh,
                    &v.name,
                    "retries or timeouts changed".into(),
                );
            }
        }
    }

    /// Records DestinationRules whose circuit breaking changed.
    pub fn note_destination_rules(
        &mut self,
        now: DateTime<Utc>,
        old: &[DestinationRule],
        new: &[DestinationRule],
    ) {
        for d in new {
            if let Some(o) = old
                .iter()
                .find(|o| o.name == d.name && o.namespace == d.namespace)
                && (o.outlier != d.outlier || o.pool != d.pool)
            {
                let ejects = |x: &DestinationRule| {
                    x.outlier
                        .as_ref()
                        .map_or("no outlier detection".to_string(), |od| {
                            format!("ejects after {} 5xx", od.consecutive_5xx)
                        })
                };
                self.record(
                    now,
                    ChangeKind::Mesh,
                    &d.name,
                    format!("circuit breaking: {} → {}", ejects(o), ejects(d)),
                );
            }
        }
    }

    /// Counts ERROR lines per minute and records a minute far above the ones before.
    pub fn note_log(&mut self, line: &LogLine) {
        if line.level != Level::Error {
            return;
        }
        let m = minute_of(line.ts);
        let closed = match &mut self.error_rate.current {
            Some((cur, n, per)) if *cur == m => {
                *n += 1;
                *per.entry(line.service.to_string()).or_default() += 1;
                None
            }
            slot => {
                let prev = slot.take();
                let mut per = std::collections::BTreeMap::new();
                per.insert(line.service.to_string(), 1);
                *slot = Some((m, 1, per));
                prev
            }
        };
        self.error_rate.first.get_or_insert(m);
        if let Some((at, n, per)) = closed {
            let r = &mut self.error_rate;
            let base = r.baseline(at);
            r.minutes.push_back((at, n));
            while r
                .minutes
                .front()
                .is_some_and(|(t, _)| *t < at - Duration::minutes(BASELINE_MINUTES))
            {
                r.minutes.pop_front();
            }
            let Some((usual, over)) = base else {
                return;
            };
            let spike = n >= 10 && f64::from(n) >= 3.0 * usual.max(1.0);
            // A spike continues only from the minute right before; after quiet minutes (which
            // close no minute of their own) it is a new one.
            let follows = r.last_closed == Some(at - Duration::minutes(1));
            let starts = spike && !(r.in_spike && follows);
            r.in_spike = spike;
            r.last_closed = Some(at);
            if starts {
                let top = per
                    .iter()
                    .max_by_key(|(_, c)| **c)
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default();
                self.record(
                    at + Duration::seconds(59),
                    ChangeKind::ErrorSpike,
                    &top,
                    format!(
                        "{n} ERROR lines in a minute (usual {usual:.0}/min, the median of the \
                         {over} min before), most from {top}"
                    ),
                );
            }
        }
    }

    /// The changes (not breakages) in the `LOOKBACK_MINUTES` before entry `i`.
    pub fn changes_before(&self, i: usize) -> Vec<usize> {
        changes_before(|k| self.entries.get(k), i)
    }
}

/// The changes (not breakages) in the `LOOKBACK_MINUTES` before entry `i`, each entry `k` being
/// `entry(k)` (one cluster's timeline, or every cluster's in time order).
pub fn changes_before<'a>(entry: impl Fn(usize) -> Option<&'a Change>, i: usize) -> Vec<usize> {
    let Some(b) = entry(i) else {
        return Vec::new();
    };
    let from = b.at - Duration::minutes(LOOKBACK_MINUTES);
    (0..i)
        .filter_map(|k| entry(k).map(|c| (k, c)))
        .filter(|&(_, c)| {
            !c.kind.breaks() && c.kind != ChangeKind::AlertResolved && c.at >= from && c.at <= b.at
        })
        .map(|(k, _)| k)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    /// `n` ERROR lines in minute `m` after the start.
    fn minute(t: &mut Timeline, m: i64, n: u32) {
        for k in 0..n {
            let l = error_line(
                m * 60 + i64::from(k % 60),
                "store",
                "store-5f6b8d9c7-wv5mn",
                "boom",
            );
            t.note_log(&l);
        }
    }

    fn spikes(t: &Timeline) -> Vec<String> {
        t.iter()
            .filter(|c| c.kind == ChangeKind::ErrorSpike)
            .map(|c| c.text.clone())
            .collect()
    }

    #[test]
    fn a_spike_is_judged_against_the_median_before_it_and_recorded_once() {
        let mut t = Timeline::default();
        // Twenty quiet minutes (2 a minute, with two silent ones), then an incident.
        for m in 0..20 {
            minute(&mut t, m, if m == 7 || m == 13 { 0 } else { 2 });
        }
        for m in 20..26 {
            minute(&mut t, m, 50 + m as u32);
        }
        minute(&mut t, 26, 2);
        minute(&mut t, 27, 2);
        let found = spikes(&t);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0],
            "70 ERROR lines in a minute (usual 2/min, the median of the 20 min before), most from store"
        );
        // The incident's own minutes do not raise the usual: a second burst after it is
        // judged against the same quiet median.
        for m in 28..30 {
            minute(&mut t, m, 2);
        }
        minute(&mut t, 30, 40);
        minute(&mut t, 31, 1);
        let found = spikes(&t);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[1].starts_with("40 ERROR lines in a minute (usual 2/min"),
            "{found:?}"
        );
    }

    #[test]
    fn a_second_incident_after_quiet_minutes_is_a_new_spike() {
        let mut t = Timeline::default();
        for m in 0..10 {
            minute(&mut t, m, 1);
        }
        minute(&mut t, 10, 50);
        // Twenty silent minutes, then another burst.
        minute(&mut t, 30, 60);
        minute(&mut t, 31, 1);
        assert_eq!(spikes(&t).len(), 2, "{:?}", spikes(&t));
    }

    #[test]
    fn too_little_history_is_no_spike() {
        let mut t = Timeline::default();
        minute(&mut t, 0, 1);
        minute(&mut t, 1, 100);
        minute(&mut t, 2, 1);
        assert!(spikes(&t).is_empty());
    }

    fn rollout(stable: &str, canary: &str) -> Rollout {
        Rollout {
            stable_image: stable.into(),
            canary_image: canary.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_canary_is_named_by_its_version_change() {
        assert_eq!(
            rollout(
                "registry.dev.local:5000/store:1.4.2",
                "registry.dev.local:5000/store:1.5.0"
            )
            .version_change(),
            "1.4.2 → 1.5.0"
        );
        assert_eq!(
            rollout(
                "registry.dev.local:5000/store",
                "ghcr.io/x/store@sha256:0123456789abcdef0123"
            )
            .version_change(),
            "store:latest → 0123456789ab"
        );
    }

    #[test]
    fn an_alert_whose_silence_ended_is_not_a_new_entry() {
        let mut t = Timeline::default();
        let alert = |state| Alert {
            name: "SpringErrorLogs".into(),
            severity: Severity::Warning,
            state,
            summary: "store logs errors".into(),
            labels: Default::default(),
            starts_at: start(),
            fingerprint: "f1".into(),
            description: String::new(),
            silenced_by: vec![],
            inhibited_by: vec![],
            silences: vec![],
        };
        let now = start() + chrono::Duration::minutes(5);
        t.note_alerts(now, &[], &[alert(AlertState::Firing)]);
        t.note_alerts(
            now,
            &[alert(AlertState::Firing)],
            &[alert(AlertState::Suppressed)],
        );
        t.note_alerts(
            now,
            &[alert(AlertState::Suppressed)],
            &[alert(AlertState::Firing)],
        );
        // And again after a restart of the source (nothing before it).
        t.note_alerts(now, &[], &[alert(AlertState::Firing)]);
        let firing = t
            .iter()
            .filter(|c| c.kind == ChangeKind::AlertFiring)
            .count();
        assert_eq!(firing, 1);
    }

    #[test]
    fn a_recurring_warning_enters_as_its_count_doubles_and_an_image_bump_once() {
        let mut t = super::Timeline::default();
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        for count in 1..=9 {
            let ev = crate::model::KubeEvent {
                id: "store-abc.17a".into(),
                warning: true,
                reason: "Unhealthy".into(),
                note: "Readiness probe failed".into(),
                kind: "Pod".into(),
                object: "store-abc".into(),
                count,
                last: Some(at + chrono::Duration::seconds(10 * i64::from(count))),
                ..Default::default()
            };
            t.note_event("store", &ev);
        }
        let texts: Vec<&str> = t.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Unhealthy pod/store-abc: Readiness probe failed",
                "Unhealthy pod/store-abc: Readiness probe failed ×2",
                "Unhealthy pod/store-abc: Readiness probe failed ×4",
                "Unhealthy pod/store-abc: Readiness probe failed ×8",
            ]
        );
        let r = crate::model::ImageUpdateRecord {
            image: "registry/store".into(),
            version: "1.5.1".into(),
            app: "argocd/store".into(),
            at: Some(at),
        };
        t.note_image(&r);
        t.note_image(&r);
        let images: Vec<_> = t
            .iter()
            .filter(|c| c.kind == super::ChangeKind::Image)
            .collect();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].subject, "store");
    }
}
