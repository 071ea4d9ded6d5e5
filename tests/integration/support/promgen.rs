//! Series for a real Prometheus whose every rate and quantile the test knows exactly: counters
//! growing at constant rates, cumulative histogram buckets, and Prometheus' own
//! `histogram_quantile` interpolation computed here to compare with what opsdeck shows.
#![allow(dead_code)]

use opsdeck::state::{SourceId, State, Update};
use std::fmt::Write;
use std::time::Duration;
use tokio::sync::mpsc;

/// Seconds between generated samples (Prometheus' usual scrape interval).
pub const STEP: i64 = 15;

/// Counters growing at constant rates, two hours either side of now.
pub struct Gen {
    out: String,
    start: i64,
    end: i64,
    typed: std::collections::BTreeSet<String>,
}

impl Default for Gen {
    fn default() -> Self {
        Self::new()
    }
}

impl Gen {
    pub fn new() -> Gen {
        let now = chrono::Utc::now().timestamp();
        Gen {
            out: String::new(),
            start: now - 2 * 3600,
            end: now + 2 * 3600,
            typed: Default::default(),
        }
    }

    /// One counter series (`labels` without braces) growing by `per_sec` every second.
    pub fn counter(&mut self, name: &str, labels: &str, per_sec: f64) {
        let family = name.trim_end_matches("_total").to_string();
        // One TYPE line per family, before its first sample.
        if self.typed.insert(family.clone()) {
            let _ = writeln!(self.out, "# TYPE {family} counter");
        }
        let mut t = self.start;
        while t <= self.end {
            let v = 1000.0 + per_sec * (t - self.start) as f64;
            let _ = writeln!(self.out, "{name}{{{labels}}} {v} {t}");
            t += STEP;
        }
    }

    /// A histogram's `_bucket` series (with `+Inf`) for requests of the given (latency,
    /// requests/s); `labels` without `le`.
    pub fn histogram(&mut self, name: &str, labels: &str, bounds: &[f64], lat: &[(f64, f64)]) {
        let cum = cumulative(bounds, lat);
        let total: f64 = lat.iter().map(|(_, r)| r).sum();
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in bounds.iter().zip(&cum) {
            self.counter(
                &format!("{name}_bucket"),
                &format!("{labels}{sep}le=\"{b}\""),
                *c,
            );
        }
        self.counter(
            &format!("{name}_bucket"),
            &format!("{labels}{sep}le=\"+Inf\""),
            total,
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("# EOF\n");
        self.out
    }
}

/// Requests per second whose latency is at most each bound (cumulative, as buckets are).
pub fn cumulative(bounds: &[f64], latencies: &[(f64, f64)]) -> Vec<f64> {
    bounds
        .iter()
        .map(|b| {
            latencies
                .iter()
                .filter(|(ms, _)| ms <= b)
                .map(|(_, r)| r)
                .sum()
        })
        .collect()
}

/// Asserts a track's histogram as opsdeck read it: the cumulative rates of requests at
/// (latency, requests/s) at every bound, +Inf last.
pub fn buckets_match(got: &[(f64, f64)], bounds: &[f64], lat: &[(f64, f64)], what: &str) {
    let mut want: Vec<(f64, f64)> = bounds
        .iter()
        .copied()
        .zip(cumulative(bounds, lat))
        .collect();
    want.push((f64::INFINITY, lat.iter().map(|(_, r)| r).sum()));
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    for ((gb, gc), (wb, wc)) in got.iter().zip(&want) {
        assert!(gb == wb && close(*gc, *wc), "{what}: {got:?} vs {want:?}");
    }
}

/// Prometheus' `histogram_quantile` of requests at (latency, requests/s), in `bounds`.
pub fn quantile_of(q: f64, bounds: &[f64], lat: &[(f64, f64)]) -> f64 {
    let total: f64 = lat.iter().map(|(_, r)| r).sum();
    quantile(q, bounds, &cumulative(bounds, lat), total)
}

/// Prometheus' `histogram_quantile`, from cumulative bucket rates.
pub fn quantile(q: f64, bounds: &[f64], cum: &[f64], total: f64) -> f64 {
    let rank = q * total;
    let mut prev_bound = 0.0;
    let mut prev_count = 0.0;
    for (b, c) in bounds.iter().zip(cum) {
        if *c >= rank {
            return prev_bound + (b - prev_bound) * (rank - prev_count) / (c - prev_count);
        }
        prev_bound = *b;
        prev_count = *c;
    }
    prev_bound
}

/// Equal to a millionth, relative (Prometheus' extrapolation and float sums).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

/// Applies updates to `s` until `done` holds, or panics after `secs` with the sources' health.
pub async fn until(
    rx: &mut mpsc::Receiver<Update>,
    s: &mut State,
    secs: u64,
    what: &str,
    done: impl Fn(&State) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(s) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.now = chrono::Utc::now();
                s.apply(u);
            }
            _ => panic!(
                "timed out waiting for {what}; sources {:?}, {} log lines",
                SourceId::ALL.map(|id| (id, s.source(id).health.clone())),
                s.logs.len()
            ),
        }
    }
}
