//! Live replay of an analysis metric: its resolved Prometheus query run again now ("what the
//! next measurement will say") and, when the query selects the canary by a value that names it
//! — its pod-template hash, its Service or its version label — the same query with stable's
//! value in its place ("what stable would score on the same test"). A query that does not name
//! the canary so is never guessed at: only the canary is shown, and why.

/// One metric's queries for the cockpit's rollout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReplayQuery {
    pub namespace: String,
    pub rollout: String,
    pub metric: String,
    pub canary: String,
    /// The query for stable, or why it cannot be written safely.
    pub stable: Result<String, String>,
}

/// What a replayed query answered: the samples' values, or the error.
pub type Answer = Result<Vec<f64>, String>;

/// One metric's replay.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    pub namespace: String,
    pub rollout: String,
    pub metric: String,
    pub canary: Answer,
    /// None when there is no stable query (the reason is in the query).
    pub stable: Option<Answer>,
}

/// What tells the canary's series from stable's in a query: the values to swap.
pub struct Tracks<'a> {
    pub canary_hash: &'a str,
    pub stable_hash: &'a str,
    pub canary_service: &'a str,
    pub stable_service: &'a str,
    pub canary_version: &'a str,
    pub stable_version: &'a str,
}

/// `query` with the canary's value swapped for stable's, where it appears as a whole quoted
/// label value (`="7c9f5d8b4"`, `=~"7c9f5d8b4|…"` is not whole and is refused).
pub fn stable_query(query: &str, t: &Tracks) -> Result<String, String> {
    for (canary, stable, what) in [
        (t.canary_hash, t.stable_hash, "pod-template hash"),
        (t.canary_service, t.stable_service, "Service"),
        (t.canary_version, t.stable_version, "version"),
    ] {
        if canary.is_empty() || stable.is_empty() || canary == stable {
            continue;
        }
        let quoted = format!("\"{canary}\"");
        if !query.contains(&quoted) {
            continue;
        }
        // Elsewhere than as a whole label value (inside a regex, a metric name): not safe.
        if query.matches(canary).count() != query.matches(&quoted).count() {
            return Err(format!(
                "the canary's {what} appears in the query other than as a label value; only the canary is shown"
            ));
        }
        return Ok(query.replace(&quoted, &format!("\"{stable}\"")));
    }
    Err("the query does not select the canary by its pod-template hash, Service or version label; only the canary is shown".into())
}

/// The comparison of a simple condition (`result[0] >= 0.95`, `result < 5`): its operator
/// and limit; None for anything else (`len(result) > 0 && …`).
pub fn threshold(condition: &str) -> Option<(&'static str, f64)> {
    let c = condition.trim();
    let rest = c
        .strip_prefix("result[0]")
        .or_else(|| c.strip_prefix("result"))?
        .trim_start();
    let (op, num) = ["<=", ">=", "==", "!=", "<", ">"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|n| (*op, n.trim())))?;
    let limit: f64 = num.parse().ok()?;
    limit.is_finite().then_some((op, limit))
}

/// A success or failure condition of the simple forms analyses mostly use — `result[0] < 0.05`,
/// `result >= 0.95`, `len(result) == 0 || result[0] < 1` is not one — judged on `values`;
/// None when it is not of such a form (it is then not judged).
pub fn holds(condition: &str, values: &[f64]) -> Option<bool> {
    let (op, limit) = threshold(condition)?;
    let v = *values.first()?;
    Some(match op {
        "<=" => v <= limit,
        ">=" => v >= limit,
        "==" => v == limit,
        "!=" => v != limit,
        "<" => v < limit,
        _ => v > limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracks() -> Tracks<'static> {
        Tracks {
            canary_hash: "58c4999c86",
            stable_hash: "6db6d58669",
            canary_service: "gateway-canary",
            stable_service: "gateway-stable",
            canary_version: "",
            stable_version: "",
        }
    }

    #[test]
    fn the_canary_hash_is_swapped_for_stables() {
        let q = r#"sum(rate(gateway_requests_total{rs_hash="58c4999c86",status=~"5.."}[60s])) / sum(rate(gateway_requests_total{rs_hash="58c4999c86"}[60s]))"#;
        assert_eq!(
            stable_query(q, &tracks()),
            Ok(r#"sum(rate(gateway_requests_total{rs_hash="6db6d58669",status=~"5.."}[60s])) / sum(rate(gateway_requests_total{rs_hash="6db6d58669"}[60s]))"#.into())
        );
        let svc =
            r#"sum(rate(istio_requests_total{destination_service_name="gateway-canary"}[1m]))"#;
        assert_eq!(
            stable_query(svc, &tracks()),
            Ok(
                r#"sum(rate(istio_requests_total{destination_service_name="gateway-stable"}[1m]))"#
                    .into()
            )
        );
    }

    #[test]
    fn a_query_that_does_not_name_the_canary_whole_is_not_rewritten() {
        assert!(
            stable_query(
                r#"sum(rate(x{pod=~"gateway-58c4999c86-.*"}[1m]))"#,
                &tracks()
            )
            .is_err()
        );
        assert!(stable_query("sum(rate(x[1m]))", &tracks()).is_err());
        // Named whole once and inside a regex once: refused, not half-swapped.
        assert!(
            stable_query(r#"a{h="58c4999c86"} / b{pod=~".*58c4999c86.*"}"#, &tracks()).is_err()
        );
    }

    #[test]
    fn simple_conditions_are_judged_and_others_are_not() {
        assert_eq!(holds("result[0] < 0.05", &[0.44]), Some(false));
        assert_eq!(holds("result[0] >= 0.95", &[0.97]), Some(true));
        assert_eq!(holds("result > 3", &[4.0]), Some(true));
        assert_eq!(holds("result[0] < 0.05", &[]), None);
        assert_eq!(holds("len(result) == 0 || result[0] < 1", &[0.2]), None);
        assert_eq!(holds("result[0] < abc", &[0.2]), None);
    }
}
