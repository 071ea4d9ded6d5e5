//! ERROR lines counted as the ring fills, so nothing on screen scans the ring: per service per
//! minute (the logs pane's sparklines) and per service and track for the cockpit's rate. A line
//! leaves the counts when it leaves the ring.

use crate::model::{Level, LogLine, Track, place};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct LogCounts {
    /// ERROR lines per service per minute, the last ten minutes: (minute, count), oldest first.
    pub minutes: BTreeMap<String, VecDeque<(i64, u32)>>,
    /// The times of the ERROR lines in the ring, per service and track, in arrival order.
    recent: HashMap<Arc<str>, ByTrack>,
}

/// Times per track: no track, canary, stable.
#[derive(Clone, Debug, Default)]
struct ByTrack([VecDeque<DateTime<Utc>>; 3]);

impl ByTrack {
    fn of(&mut self, t: Option<Track>) -> &mut VecDeque<DateTime<Utc>> {
        &mut self.0[slot(t)]
    }
}

fn slot(t: Option<Track>) -> usize {
    match t {
        None => 0,
        Some(Track::Canary) => 1,
        Some(Track::Stable) => 2,
    }
}

impl LogCounts {
    /// A line entered the ring.
    pub fn add(&mut self, line: &LogLine) {
        if line.level != Level::Error {
            return;
        }
        // In time order, as the window scans expect: a late line goes to its place.
        let q = self
            .recent
            .entry(line.service.clone())
            .or_default()
            .of(line.track);
        q.insert(place(q, |t| *t, line.ts), line.ts);
        let key = line.ts.timestamp().div_euclid(60);
        let q = self.minutes.entry(line.service.to_string()).or_default();
        match q.back_mut() {
            Some((k, n)) if *k == key => *n += 1,
            Some((k, _)) if *k > key => {
                if let Some(slot) = q.iter_mut().find(|(k2, _)| *k2 == key) {
                    slot.1 += 1;
                }
            }
            _ => q.push_back((key, 1)),
        }
        while q.front().is_some_and(|(k, _)| *k < key - 10) {
            q.pop_front();
        }
    }

    /// A line of no track was found to be of `track` (its rollout became known after it
    /// arrived): its time moves to that track's count.
    pub fn retag(&mut self, line: &LogLine, track: Track) {
        if line.level != Level::Error {
            return;
        }
        let Some(b) = self.recent.get_mut(&*line.service) else {
            return;
        };
        let none = b.of(None);
        let Some(i) = none.iter().rposition(|t| *t == line.ts) else {
            return;
        };
        none.remove(i);
        let q = b.of(Some(track));
        q.insert(place(q, |t| *t, line.ts), line.ts);
    }

    /// The oldest line of the ring left it.
    pub fn evict(&mut self, line: &LogLine) {
        if line.level != Level::Error {
            return;
        }
        if let Some(b) = self.recent.get_mut(&*line.service) {
            b.of(line.track).pop_front();
            if b.0.iter().all(VecDeque::is_empty) {
                self.recent.remove(&*line.service);
            }
        }
    }

    /// ERROR lines of one service in `n` buckets of `width_secs` ending at `now`, oldest first:
    /// the canary's, and the rest (stable pods and pods of no track).
    pub fn buckets(
        &self,
        service: &str,
        now: DateTime<Utc>,
        width_secs: i64,
        n: usize,
    ) -> (Vec<u64>, Vec<u64>) {
        let mut canary = vec![0u64; n];
        let mut rest = vec![0u64; n];
        let Some(b) = self.recent.get(service) else {
            return (canary, rest);
        };
        let span = width_secs.max(1) * n as i64;
        for (i, q) in b.0.iter().enumerate() {
            let out = if i == slot(Some(Track::Canary)) {
                &mut canary
            } else {
                &mut rest
            };
            for ts in q.iter().rev() {
                let age = (now - *ts).num_seconds();
                if age >= span {
                    break;
                }
                if age < 0 {
                    continue;
                }
                let k = n - 1 - (age / width_secs.max(1)).clamp(0, n as i64 - 1) as usize;
                out[k] += 1;
            }
        }
        (canary, rest)
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// ERROR lines per minute of one service (and track, or all) in the `window_secs` to `now`.
    /// The canary's and stable's ERROR lines per minute over the window: one lookup for both.
    pub fn track_rates(&self, service: &str, now: DateTime<Utc>, window_secs: i64) -> (f64, f64) {
        let Some(b) = self.recent.get(service) else {
            return (0.0, 0.0);
        };
        let since = now - Duration::seconds(window_secs);
        let per_min = |t: Track| {
            let q = &b.0[slot(Some(t))];
            (q.len() - q.partition_point(|ts| *ts < since)) as f64 * 60.0
                / window_secs.max(1) as f64
        };
        (per_min(Track::Canary), per_min(Track::Stable))
    }

    pub fn rate(
        &self,
        service: &str,
        track: Option<Track>,
        now: DateTime<Utc>,
        window_secs: i64,
    ) -> f64 {
        let since = now - Duration::seconds(window_secs);
        let count = |t: Option<Track>| {
            self.recent.get(service).map_or(0, |b| {
                let q = &b.0[slot(t)];
                q.len() - q.partition_point(|ts| *ts < since)
            })
        };
        let n = match track {
            Some(t) => count(Some(t)),
            None => count(None) + count(Some(Track::Canary)) + count(Some(Track::Stable)),
        };
        n as f64 * 60.0 / window_secs.max(1) as f64
    }
}
