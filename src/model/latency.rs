//! Is the canary slower than stable? The two tracks' latency histograms compared whole, on
//! their bucket counts: the Mann–Whitney U test on the bucketed distributions (requests in the
//! same bucket are ties, with the tie-corrected normal approximation), its effect as the
//! probability that a canary request is slower than a stable one (Vargha and Delaney's A: 0.5
//! is no difference), and the sample a difference of the minimum effect needs (Noether 1987,
//! 80 % power). Not two bare p95s: a p95 of 40 requests and one of 40,000 are not the same
//! evidence. docs/verdict.md.

use super::stats::{Judge, Verdict, z_of};
use statrs::distribution::{ContinuousCDF, Normal};

/// A latency histogram: cumulative requests per second at each upper bound (ms), ascending,
/// the last bound `+Inf` (`f64::INFINITY`), as Prometheus' `_bucket` series are.
pub type Buckets = Vec<(f64, f64)>;

/// Canary against stable on one route's latency.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyComparison {
    pub canary_requests: f64,
    pub stable_requests: f64,
    /// P(a canary request is slower than a stable one) + half the chance of a tie: > 0.5 is
    /// slower.
    pub a: f64,
    /// The standardised U (tie-corrected): > 0 is slower.
    pub z: f64,
    /// One-sided p of "canary slower".
    pub p: f64,
    /// Canary requests a shift of the minimum effect needs at the current split.
    pub needed: f64,
    pub verdict: Verdict,
}

/// A histogram in bound order with readable bounds and counts, each count at least the one
/// before it (cumulative counts never drop; one that does is a counter reset between reads).
fn monotone(h: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = h
        .iter()
        .filter(|(le, _)| !le.is_nan())
        .map(|(le, c)| (*le, if c.is_finite() { c.max(0.0) } else { 0.0 }))
        .collect();
    if !v.is_sorted_by(|a, b| a.0 <= b.0) {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let mut top = 0.0_f64;
    for x in &mut v {
        top = top.max(x.1);
        x.1 = top;
    }
    v
}

/// Requests per bucket (not cumulative) of both histograms on the union of their bounds, each
/// count over `window` seconds: one walk over both, in bound order.
fn bins(canary: &[(f64, f64)], stable: &[(f64, f64)], window: f64) -> Vec<(f64, f64)> {
    let (c, s) = (monotone(canary), monotone(stable));
    let mut out = Vec::with_capacity(c.len().max(s.len()));
    let (mut i, mut j) = (0, 0);
    // The cumulative count of each side at the bound reached: its last one at or below it.
    let (mut cc, mut sc) = (0.0, 0.0);
    let (mut pc, mut ps) = (0.0, 0.0);
    while i < c.len() || j < s.len() {
        let b = match (c.get(i), s.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        while let Some(x) = c.get(i).filter(|x| x.0 <= b) {
            cc = x.1 * window;
            i += 1;
        }
        while let Some(y) = s.get(j).filter(|y| y.0 <= b) {
            sc = y.1 * window;
            j += 1;
        }
        out.push((cc - pc, sc - ps));
        (pc, ps) = (cc, sc);
    }
    out
}

/// Canary against stable on the latency histograms of the window (`window` seconds), `None`
/// when either side has no request in it.
pub fn compare(
    canary: &[(f64, f64)],
    stable: &[(f64, f64)],
    window: f64,
    canary_rps: f64,
    judge: Judge,
) -> Option<LatencyComparison> {
    let b = bins(canary, stable, window.max(1.0));
    let n1: f64 = b.iter().map(|(c, _)| c).sum();
    let n2: f64 = b.iter().map(|(_, s)| s).sum();
    if n1 <= 0.0 || n2 <= 0.0 || !(n1 + n2).is_finite() {
        return None;
    }
    // U of the canary: the pairs where it is slower, ties counted half.
    let mut below = 0.0;
    let mut u = 0.0;
    let mut ties = 0.0;
    for (c, s) in &b {
        u += c * (below + s / 2.0);
        below += s;
        let t = c + s;
        ties += t * t * t - t;
    }
    let n = n1 + n2;
    let pairs = n1 * n2;
    let a = (u / pairs).clamp(0.0, 1.0);
    let var = pairs / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)).max(1.0));
    let z = if var > 0.0 {
        (u - pairs / 2.0) / var.sqrt()
    } else {
        0.0
    };
    let p = Normal::new(0.0, 1.0).map_or(0.5, |d| d.sf(z));
    let needed = needed_canary(n1 / n, judge);
    let effect = a - 0.5;
    let verdict = if z > z_of(judge.alpha) && effect >= judge.min_latency_effect {
        Verdict::Worse
    } else if n1 >= needed.max(judge.min_requests) {
        // At the current split, n1 ≥ N·c is the same as N requests in all.
        Verdict::NoEvidence
    } else {
        let want = needed.max(judge.min_requests);
        let more = (want - n1).max(1.0).ceil();
        let rps = (canary_rps.is_finite() && canary_rps > 0.0).then_some(canary_rps);
        Verdict::NotEnough {
            more_requests: more as u64,
            more_secs: rps.map(|r| ((want - n1).max(0.0) / r).ceil() as u64),
        }
    };
    Some(LatencyComparison {
        canary_requests: n1,
        stable_requests: n2,
        a,
        z,
        p,
        needed,
        verdict,
    })
}

/// Noether's sample for the Mann–Whitney test at two-sided α and 80 % power, for a shift of
/// the minimum effect in A, as canary requests when the canary gets `share` of them.
pub fn needed_canary(share: f64, judge: Judge) -> f64 {
    const Z_POWER: f64 = 0.841_621_233_572_914_4;
    let c = share.clamp(0.01, 0.99);
    let d = judge.min_latency_effect.max(1e-3);
    let z = z_of(judge.alpha) + Z_POWER;
    let total = z * z / (12.0 * c * (1.0 - c) * d * d);
    total * c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Counts per bucket to cumulative rates over a 60 s window.
    fn hist(bounds: &[f64], counts: &[f64]) -> Vec<(f64, f64)> {
        let mut cum = 0.0;
        bounds
            .iter()
            .zip(counts)
            .map(|(b, c)| {
                cum += c;
                (*b, cum / 60.0)
            })
            .collect()
    }

    const LINKERD: [f64; 8] = [10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0, f64::INFINITY];

    /// The comparison of two histograms given as requests per Linkerd bucket over 60 s.
    fn judged(canary: &[f64], stable: &[f64], canary_rps: f64) -> Option<LatencyComparison> {
        compare(
            &hist(&LINKERD, canary),
            &hist(&LINKERD, stable),
            60.0,
            canary_rps,
            Judge::default(),
        )
    }

    #[test]
    fn u_and_p_equal_scipys_on_the_expanded_buckets() {
        // scipy 1.17.1: x = np.repeat(range(8), canary), y = np.repeat(range(8), stable);
        // r = scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic",
        // use_continuity=False); A = r.statistic / (len(x) * len(y)).
        let canary = [2.0, 5.0, 10.0, 20.0, 30.0, 10.0, 3.0, 0.0];
        let stable = [30.0, 60.0, 50.0, 30.0, 20.0, 8.0, 2.0, 0.0];
        let c = judged(&canary, &stable, 1.0);
        let Some(c) = c else { panic!("no comparison") };
        // U = 12517.0, p = 2.866226926287056e-14, A = 0.7823125
        assert!(close(c.a * 80.0 * 200.0, 12517.0, 1e-6), "{c:?}");
        assert!(
            close(c.p.ln(), 2.866226926287056e-14_f64.ln(), 1e-6),
            "{c:?}"
        );
        assert_eq!(c.verdict, Verdict::Worse);
        // The same, canary faster: p near 1, not worse — but with 200 of 280 requests on
        // the canary, Noether's sample wants ~636 canary requests before "no harm".
        let c = judged(&stable, &canary, 1.0);
        let Some(c) = c else { panic!("no comparison") };
        // U = 3483.0, p = 0.9999999999999714
        assert!(close(c.a * 80.0 * 200.0, 3483.0, 1e-6), "{c:?}");
        assert!(close(c.p, 0.9999999999999714, 1e-12), "{c:?}");
        assert!(
            matches!(
                c.verdict,
                Verdict::NotEnough {
                    more_requests: 436,
                    ..
                }
            ),
            "{c:?}"
        );
    }

    #[test]
    fn a_small_sample_is_not_enough_and_ties_everywhere_are_no_difference() {
        // 6 canary requests a little slower than 30 stable ones. scipy (as above):
        // U = 118.0, p = 0.11281773560538177 — not significant.
        let canary = [0.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 0.0];
        let stable = [4.0, 6.0, 8.0, 6.0, 4.0, 2.0, 0.0, 0.0];
        let c = judged(&canary, &stable, 0.1);
        let Some(c) = c else { panic!("no comparison") };
        assert!(close(c.a * 6.0 * 30.0, 118.0, 1e-6), "{c:?}");
        assert!(close(c.p, 0.11281773560538177, 1e-9), "{c:?}");
        assert!(
            matches!(c.verdict, Verdict::NotEnough { more_requests, more_secs: Some(_) } if more_requests > 100),
            "{c:?}"
        );
        // Every request in one bucket on both sides: all ties, no variance, no difference.
        let one = [0.0, 500.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let c = judged(&one, &one, 10.0);
        assert!(c.is_some_and(|c| c.z == 0.0 && c.a == 0.5 && c.verdict == Verdict::NoEvidence));
        // No requests on a side: nothing to compare.
        let none = [0.0; 8];
        assert!(judged(&none, &one, 0.0).is_none());
    }

    #[test]
    fn few_requests_can_still_be_decisive() {
        // 6 canary requests against 30, all but one slower than most of stable's. scipy:
        // U = 137.0, p = 0.021022562103395898 (< 0.025, one side of α = 0.05), A = 0.761.
        let canary = [0.0, 0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 0.0];
        let stable = [4.0, 6.0, 8.0, 6.0, 4.0, 2.0, 0.0, 0.0];
        let c = judged(&canary, &stable, 0.1);
        let Some(c) = c else { panic!("no comparison") };
        assert!(close(c.p, 0.021022562103395898, 1e-9), "{c:?}");
        assert_eq!(c.verdict, Verdict::Worse);
    }

    #[test]
    fn a_significant_shift_below_the_minimum_effect_is_no_harm() {
        // A million requests a side, the canary a shade slower: A = 0.51, real but small.
        let stable = [250e3, 250e3, 250e3, 250e3, 0.0, 0.0, 0.0, 0.0];
        let canary = [240e3, 250e3, 250e3, 260e3, 0.0, 0.0, 0.0, 0.0];
        let c = judged(&canary, &stable, 1e4);
        let Some(c) = c else { panic!("no comparison") };
        assert!(c.z > 3.0 && c.a < 0.52, "{c:?}");
        assert_eq!(c.verdict, Verdict::NoEvidence);
    }

    #[test]
    fn mismatched_bounds_and_broken_counts_are_read_safely() {
        // Stable lacks a bound the canary has; a cumulative count that drops; NaN bounds.
        let canary = vec![(10.0, 1.0), (20.0, 2.0), (f64::INFINITY, 3.0)];
        let stable = vec![(10.0, 2.0), (f64::NAN, 9.0), (f64::INFINITY, 1.5)];
        let c = compare(&canary, &stable, 60.0, 3.0, Judge::default());
        let Some(c) = c else { panic!("no comparison") };
        assert!(
            c.a.is_finite() && c.z.is_finite() && c.p.is_finite(),
            "{c:?}"
        );
        assert!(close(c.stable_requests, 120.0, 1e-9), "{c:?}");
    }

    #[test]
    fn noethers_sample_grows_as_the_split_gets_lopsided() {
        let j = Judge::default();
        // (1.96 + 0.8416)² / (12 · 0.5 · 0.5 · 0.06²) · 0.5 = 363.3 canary requests.
        assert!(close(needed_canary(0.5, j), 363.3, 0.5));
        assert!(needed_canary(0.1, j) < needed_canary(0.5, j));
        assert!(needed_canary(0.9, j) > needed_canary(0.5, j));
    }
}
