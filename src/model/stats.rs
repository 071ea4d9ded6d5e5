//! Is the canary worse than stable, or is there not enough traffic to say? Failure rates are
//! compared on their counts (requests and failures in the window), never as two bare
//! percentages: the difference with Newcombe's hybrid score interval (Wilson intervals of each
//! side combined; Newcombe 1998, "Interval estimation for the difference between independent
//! proportions", method 10), and how many requests a difference of the minimum effect needs to
//! be seen (normal approximation, 80 % power). docs/verdict.md says how the verdict follows.

use statrs::distribution::{ContinuousCDF, Normal};

/// The settings a verdict is judged by (`--significance`, `--min-effect`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judge {
    /// Two-sided significance level: the interval is at 1 − `alpha`.
    pub alpha: f64,
    /// The smallest excess failure rate that counts as harm, as a fraction (0.01 = 1 point).
    pub min_effect: f64,
    /// The fewest canary requests that may clear it, whatever the power calculation says
    /// (`opsdeck gate --min-requests`); 0 leaves it to the calculation.
    pub min_requests: f64,
    /// The smallest latency shift that counts as harm, in Vargha and Delaney's A above 0.5
    /// (0.06: a canary request is slower than a stable one 56 % of the time; their "small").
    pub min_latency_effect: f64,
}

impl Default for Judge {
    fn default() -> Self {
        Judge {
            alpha: 0.05,
            min_effect: 0.01,
            min_requests: 0.0,
            min_latency_effect: 0.06,
        }
    }
}

/// What the counts say.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The canary fails more often, beyond chance at the level and by at least the minimum
    /// effect.
    Worse,
    /// Enough requests to have seen the minimum effect, and it is not there.
    NoEvidence,
    /// Too few requests to tell: this many more to the canary, and at its current rate that
    /// many seconds (None when it gets none).
    NotEnough {
        more_requests: u64,
        more_secs: Option<u64>,
    },
}

/// Canary against stable on one route.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub canary_requests: f64,
    pub stable_requests: f64,
    /// Canary failure rate minus stable's (= stable success minus canary's): > 0 is worse.
    pub diff: f64,
    /// The interval of `diff` at 1 − alpha.
    pub low: f64,
    pub high: f64,
    /// Requests each side needs for a difference of the minimum effect to show.
    pub needed: f64,
    pub verdict: Verdict,
}

/// The two-sided critical z of `alpha`.
pub(crate) fn z_of(alpha: f64) -> f64 {
    use std::cell::Cell;
    // The level is a setting: its quantile is found once, not for every route of every frame.
    thread_local! {
        static LAST: Cell<(f64, f64)> = const { Cell::new((0.05, 1.959_963_984_540_054)) };
    }
    let alpha = alpha.clamp(1e-9, 0.5);
    LAST.with(|last| {
        let (a, z) = last.get();
        if a == alpha {
            return z;
        }
        // A standard normal always exists; its quantile of a probability in (0, 1) is finite.
        let z = Normal::new(0.0, 1.0).map_or(1.959_964, |n| n.inverse_cdf(1.0 - alpha / 2.0));
        last.set((alpha, z));
        z
    })
}

/// The Wilson score interval of `x` successes in `n` trials at quantile `z`.
fn wilson(x: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = (x / n).clamp(0.0, 1.0);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Newcombe's hybrid score interval of p1 − p2 (x1 of n1 against x2 of n2).
pub fn difference_interval(x1: f64, n1: f64, x2: f64, n2: f64, alpha: f64) -> (f64, f64, f64) {
    let z = z_of(alpha);
    let p1 = if n1 > 0.0 {
        (x1 / n1).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let p2 = if n2 > 0.0 {
        (x2 / n2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (l1, u1) = wilson(x1, n1, z);
    let (l2, u2) = wilson(x2, n2, z);
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    (d, low.max(-1.0), high.min(1.0))
}

/// Requests per side for an excess failure rate of `effect` over `base` to show at `alpha`
/// (two-sided) with 80 % power.
pub fn needed_per_side(base: f64, effect: f64, alpha: f64) -> f64 {
    let effect = effect.max(1e-6);
    let p2 = base.clamp(0.0, 1.0);
    let p1 = (p2 + effect).min(1.0);
    // z of 80 % power.
    const Z_POWER: f64 = 0.841_621_233_572_914_4;
    let z = z_of(alpha) + Z_POWER;
    let var = (p1 * (1.0 - p1) + p2 * (1.0 - p2)).max(effect * (1.0 - effect));
    z * z * var / (effect * effect)
}

/// Judges a canary's failures against stable's, from the requests and failures in the window.
pub fn compare(
    canary: (f64, f64),
    stable: (f64, f64),
    canary_rps: f64,
    judge: Judge,
) -> Comparison {
    let clean = |(n, f): (f64, f64)| {
        let n = if n.is_finite() { n.max(0.0) } else { 0.0 };
        let f = if f.is_finite() { f.clamp(0.0, n) } else { 0.0 };
        (n, f)
    };
    let ((nc, fc), (ns, fs)) = (clean(canary), clean(stable));
    let (diff, low, high) = difference_interval(fc, nc, fs, ns, judge.alpha);
    let base = if ns > 0.0 { fs / ns } else { 0.0 };
    let needed = needed_per_side(base, judge.min_effect, judge.alpha);
    let canary_needed = needed.max(judge.min_requests);
    let verdict = if low > 0.0 && diff >= judge.min_effect {
        Verdict::Worse
    } else if nc >= canary_needed && ns >= needed {
        Verdict::NoEvidence
    } else {
        // The side that is short; the canary's is the one that grows with its weight.
        let more = (canary_needed - nc).max(needed - ns).max(1.0).ceil();
        let rps = if canary_rps.is_finite() && canary_rps > 0.0 {
            Some(canary_rps)
        } else {
            None
        };
        Verdict::NotEnough {
            more_requests: more as u64,
            more_secs: rps.map(|r| ((canary_needed - nc).max(0.0) / r).ceil() as u64),
        }
    };
    Comparison {
        canary_requests: nc,
        stable_requests: ns,
        diff,
        low,
        high,
        needed,
        verdict,
    }
}

/// A route's verdict on both tests: worse if either is; not enough while either lacks its
/// sample (the larger need); no evidence of harm when both say so, or success alone where
/// there is no latency test.
pub fn both(success: &Verdict, latency: Option<&Verdict>) -> Verdict {
    match (success, latency) {
        (Verdict::Worse, _) | (_, Some(Verdict::Worse)) => Verdict::Worse,
        (
            a @ Verdict::NotEnough {
                more_requests: na, ..
            },
            Some(
                b @ Verdict::NotEnough {
                    more_requests: nb, ..
                },
            ),
        ) => {
            if na >= nb {
                a.clone()
            } else {
                b.clone()
            }
        }
        (v @ Verdict::NotEnough { .. }, _) | (_, Some(v @ Verdict::NotEnough { .. })) => v.clone(),
        _ => Verdict::NoEvidence,
    }
}

/// Canary against stable on counted events (ERROR log lines) in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct EventComparison {
    pub canary: f64,
    pub stable: f64,
    /// The canary's share of the exposure (its share of the requests, else its weight).
    pub share: f64,
    /// The canary's rate per unit of exposure over stable's (infinite when stable has none).
    pub ratio: f64,
    /// One-sided p of "the canary logs errors more often": the exact binomial test.
    pub p: f64,
    /// `NotEnough.more_requests` counts error lines here: how many more the test needs.
    pub verdict: Verdict,
}

/// The smallest excess of error lines that counts: twice stable's rate for its exposure.
pub const EVENT_RATIO: f64 = 2.0;

/// P(X ≤ k) for X ~ Poisson(mean), by its terms (k is small where it is asked).
fn poisson_cdf(k: u64, mean: f64) -> f64 {
    let mut term = (-mean).exp();
    let mut sum = term;
    for i in 1..=k.min(10_000) {
        term *= mean / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// Judges `canary` against `stable` events when the canary has `share` of the exposure: given
/// their total k, under no difference the canary's count is Binomial(k, share) (the
/// conditional test of two Poisson rates); worse when its excess is significant at the level
/// and at least [`EVENT_RATIO`] and `floor` events (an absolute minimum). None without a share
/// strictly between 0 and 1.
pub fn compare_events(
    canary: f64,
    stable: f64,
    share: f64,
    floor: f64,
    judge: Judge,
) -> Option<EventComparison> {
    use statrs::distribution::{Binomial, DiscreteCDF};
    if !(share.is_finite() && share > 0.0 && share < 1.0) {
        return None;
    }
    let clean = |x: f64| {
        if x.is_finite() {
            x.max(0.0).round()
        } else {
            0.0
        }
    };
    let (kc, ks) = (clean(canary), clean(stable));
    let k = kc + ks;
    let ratio = if ks > 0.0 {
        (kc / share) / (ks / (1.0 - share))
    } else if kc > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let p = if kc <= 0.0 {
        1.0
    } else {
        Binomial::new(share, k as u64).map_or(1.0, |b| b.sf(kc as u64 - 1))
    };
    // The count an excess of the ratio needs to show at 80 % power (normal approximation).
    let share1 = EVENT_RATIO * share / (EVENT_RATIO * share + 1.0 - share);
    const Z_POWER: f64 = 0.841_621_233_572_914_4;
    let z = z_of(judge.alpha);
    let needed = ((z * (share * (1.0 - share)).sqrt()
        + Z_POWER * (share1 * (1.0 - share1)).sqrt())
        / (share1 - share))
        .powi(2);
    // The exact Poisson bound at 1 − α/2 on the canary's events per window below the floor:
    // harm is ruled out however few events there are. The bound is under the floor exactly
    // when, at a mean of the floor, so few events would come less often than α/2 (no
    // inversion needed, so it costs a few terms per frame).
    let under_floor = kc < floor && poisson_cdf(kc as u64, floor) < judge.alpha / 2.0;
    let verdict = if p < judge.alpha / 2.0 && ratio >= EVENT_RATIO && kc >= floor {
        Verdict::Worse
    } else if k >= needed || under_floor {
        Verdict::NoEvidence
    } else {
        Verdict::NotEnough {
            more_requests: (needed - k).ceil() as u64,
            more_secs: None,
        }
    };
    Some(EventComparison {
        canary: kc,
        stable: ks,
        share,
        ratio,
        p,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    /// Newcombe (1998), Table II, method 10 (hybrid score), at 95 %; the same numbers come out
    /// of an independent Python implementation on `statistics.NormalDist` (this repository's
    /// session of 2026-12-01): 56/70 − 48/80, 9/10 − 3/10, 6/7 − 2/7, 5/56 − 0/29, 0/10 − 0/20,
    /// 10/10 − 0/20.
    #[test]
    fn the_interval_is_newcombes_method_10() {
        for ((x1, n1, x2, n2), (d, lo, hi)) in [
            ((56., 70., 48., 80.), (0.2000, 0.0524, 0.3339)),
            ((9., 10., 3., 10.), (0.6000, 0.1705, 0.8090)),
            ((6., 7., 2., 7.), (0.5714, 0.0582, 0.8062)),
            ((5., 56., 0., 29.), (0.0893, -0.0381, 0.1926)),
            ((0., 10., 0., 20.), (0.0, -0.1611, 0.2775)),
            ((10., 10., 0., 20.), (1.0, 0.6791, 1.0)),
        ] {
            let (gd, glo, ghi) = difference_interval(x1, n1, x2, n2, 0.05);
            assert!(
                close(gd, d) && close(glo, lo) && close(ghi, hi),
                "{x1}/{n1} − {x2}/{n2}: {gd:.4} [{glo:.4}, {ghi:.4}]"
            );
        }
    }

    /// (1.959964 + 0.841621)² × (0.0099 + 0) / 0.0001 = 776.9 (Python: NormalDist quantiles).
    #[test]
    fn the_sample_needed_for_a_point_on_a_clean_stable() {
        assert!((needed_per_side(0.0, 0.01, 0.05) - 777.04).abs() < 0.1);
        // 2 % failing stable: (0.03·0.97 + 0.02·0.98) × 7.84888 / 0.0001 = 3822.4.
        assert!((needed_per_side(0.02, 0.01, 0.05) - 3822.4).abs() < 0.5);
    }

    #[test]
    fn a_clear_regression_is_worse() {
        // The bad-canary shape: 1,240 requests at 92.2 % against 5,610 at 100 %.
        let c = compare((1240.0, 96.7), (5610.0, 0.0), 20.7, Judge::default());
        assert_eq!(c.verdict, Verdict::Worse);
        assert!(c.low > 0.06 && c.high < 0.1, "{c:?}");
    }

    #[test]
    fn no_failures_anywhere_with_enough_traffic_is_no_evidence_of_harm() {
        let c = compare((2000.0, 0.0), (8000.0, 0.0), 30.0, Judge::default());
        assert_eq!(c.verdict, Verdict::NoEvidence);
        assert_eq!(c.diff, 0.0);
    }

    #[test]
    fn a_tiny_sample_is_not_enough_and_says_how_much_more() {
        // 1 of 40 failing (2.5 %) against 2 of 400 (0.5 %): 40 requests cannot say it; a
        // point over 0.5 % needs 1,550.2 a side (Python, as above), 1,511 more at 2 rps.
        let c = compare((40.0, 1.0), (400.0, 2.0), 2.0, Judge::default());
        assert_eq!(
            c.verdict,
            Verdict::NotEnough {
                more_requests: 1511,
                more_secs: Some(756)
            }
        );
        // Few requests can still be decisive: 3 of 40 against none of 400 (Newcombe's
        // interval 0.0249 to 0.1986).
        let c = compare((40.0, 3.0), (400.0, 0.0), 2.0, Judge::default());
        assert_eq!(c.verdict, Verdict::Worse);
        assert!(close(c.low, 0.024924) && close(c.high, 0.198642), "{c:?}");
        // No canary traffic at all: no time can be given.
        let c = compare((0.0, 0.0), (400.0, 0.0), 0.0, Judge::default());
        assert!(matches!(
            c.verdict,
            Verdict::NotEnough {
                more_secs: None,
                ..
            }
        ));
    }

    #[test]
    fn a_floor_of_canary_requests_holds_back_no_evidence_but_never_worse() {
        // 2,000 clean canary requests clear the power calculation (needed 1,550.2 at a
        // 0.5 % base is less), but not a floor of 5,000: 3,000 more, 100 s at 30 rps.
        let floor = Judge {
            min_requests: 5000.0,
            ..Judge::default()
        };
        let c = compare((2000.0, 0.0), (8000.0, 0.0), 30.0, floor);
        assert_eq!(
            c.verdict,
            Verdict::NotEnough {
                more_requests: 3000,
                more_secs: Some(100)
            }
        );
        // A clear regression is one whatever the floor.
        let c = compare((1240.0, 96.7), (5610.0, 0.0), 20.7, floor);
        assert_eq!(c.verdict, Verdict::Worse);
    }

    #[test]
    fn error_lines_are_judged_by_the_exact_binomial_test_on_the_canarys_share() {
        // scipy 1.17.1: binomtest(kc, kc + ks, share, alternative="greater").pvalue.
        let j = Judge::default();
        let c = compare_events(12.0, 3.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert!(close(c.p, 1.0112532480000006e-06), "{c:?}");
        assert!(close(c.ratio, 16.0), "{c:?}");
        assert_eq!(c.verdict, Verdict::Worse);
        // 3 canary lines and none from stable: p = 0.008, but under the floor of 5 lines.
        let c = compare_events(3.0, 0.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert!(close(c.p, 0.008), "{c:?}");
        assert!(matches!(c.verdict, Verdict::NotEnough { .. }), "{c:?}");
        // 40 against 100 at a fifth of the traffic: p = 0.00953, but 1.6 times stable's
        // rate is below twice: not worse, and 140 lines are enough to have seen twice.
        let c = compare_events(40.0, 100.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert!(close(c.p, 0.009532159881992793), "{c:?}");
        assert_eq!(c.verdict, Verdict::NoEvidence);
        // As often as stable: p = 0.370.
        let c = compare_events(5.0, 15.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert!(close(c.p, 0.3703517360973313), "{c:?}");
        assert!(matches!(c.verdict, Verdict::NotEnough { .. }), "{c:?}");
        // No canary line in the window: at most 3.689 a window (scipy: chi2.ppf(0.975, 2) / 2
        // = 3.6888794541139354), below the floor of 5 — no evidence of harm, with or without
        // stable's. One line allows up to 5.5716 (chi2.ppf(0.975, 4) / 2): not enough. (Each
        // side of those bounds, checked through the Poisson tail that defines them.)
        let c = compare_events(0.0, 0.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert_eq!((c.p, c.verdict), (1.0, Verdict::NoEvidence));
        let c = compare_events(0.0, 2.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert_eq!(c.verdict, Verdict::NoEvidence);
        let c = compare_events(0.0, 2.0, 0.2, 3.6, j).unwrap_or_else(|| panic!());
        assert!(matches!(c.verdict, Verdict::NotEnough { .. }), "{c:?}");
        let c = compare_events(1.0, 2.0, 0.2, 5.0, j).unwrap_or_else(|| panic!());
        assert!(matches!(c.verdict, Verdict::NotEnough { .. }), "{c:?}");
        let c = compare_events(1.0, 2.0, 0.2, 5.58, j).unwrap_or_else(|| panic!());
        assert_eq!(c.verdict, Verdict::NoEvidence);
        assert!(compare_events(3.0, 1.0, 0.0, 5.0, j).is_none());
        assert!(compare_events(3.0, 1.0, f64::NAN, 5.0, j).is_none());
    }

    #[test]
    fn a_route_is_judged_on_both_tests_together() {
        let short = |n| Verdict::NotEnough {
            more_requests: n,
            more_secs: None,
        };
        assert_eq!(
            both(&Verdict::NoEvidence, Some(&Verdict::Worse)),
            Verdict::Worse
        );
        assert_eq!(both(&Verdict::Worse, Some(&short(5))), Verdict::Worse);
        assert_eq!(both(&short(9), Some(&short(400))), short(400));
        assert_eq!(both(&Verdict::NoEvidence, Some(&short(3))), short(3));
        assert_eq!(both(&Verdict::NoEvidence, None), Verdict::NoEvidence);
        assert_eq!(both(&short(7), None), short(7));
    }

    #[test]
    fn everything_failing_on_both_sides_is_not_the_canarys_doing() {
        let c = compare((5000.0, 5000.0), (5000.0, 5000.0), 80.0, Judge::default());
        assert_eq!(c.verdict, Verdict::NoEvidence);
    }

    #[test]
    fn a_significant_difference_below_the_minimum_effect_is_no_harm() {
        // 0.3 points more failures on a million requests: real, but below 1 point.
        let c = compare((1e6, 4000.0), (1e6, 1000.0), 1e4, Judge::default());
        assert!(c.low > 0.0);
        assert_eq!(c.verdict, Verdict::NoEvidence);
        let strict = Judge {
            min_effect: 0.001,
            ..Judge::default()
        };
        assert_eq!(
            compare((1e6, 4000.0), (1e6, 1000.0), 1e4, strict).verdict,
            Verdict::Worse
        );
    }

    #[test]
    fn counts_that_make_no_sense_are_read_as_none() {
        let c = compare(
            (f64::NAN, 5.0),
            (-3.0, 9.0),
            f64::INFINITY,
            Judge::default(),
        );
        assert!(matches!(c.verdict, Verdict::NotEnough { .. }));
        assert!(c.low.is_finite() && c.high.is_finite());
    }
}
