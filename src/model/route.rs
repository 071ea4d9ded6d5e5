//! Per-route (or per-service) traffic numbers from the mesh, with the retry and timeout policy
//! of the route in the words of the mesh that carries it (Linkerd: PROTOCOLS §3; Istio: §9).

/// Numbers of one route over the query window; `None` success means no requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteSample {
    /// Success seen by callers, after retries (`route_response_total`).
    pub effective_success: Option<f64>,
    /// Success of every attempt, retries included (`route_actual_response_total`).
    pub actual_success: Option<f64>,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Requests per second answered 4xx: the callers' mistakes, counted apart from failures
    /// (Istio; Linkerd classifies them itself).
    pub client_error_rps: f64,
    /// Requests per second by Envoy response flag (`UO`, `UH`, `URX`, `NR`, `UF`, `UT`, …):
    /// why requests failed, worst first.
    pub flags: Vec<(String, f64)>,
    /// The latency histogram of the window: cumulative requests per second at each upper
    /// bound in ms, ascending, `+Inf` last; read for the canary and stable tracks (their
    /// comparison, `model::latency`), empty otherwise.
    pub latency_buckets: super::latency::Buckets,
}

/// `spec.retryBudget` of a ServiceProfile.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryBudget {
    pub retry_ratio: f64,
    pub min_retries_per_second: u32,
    pub ttl_secs: u64,
}

/// How the mesh retries and times out a route's requests.
#[derive(Clone, Debug, PartialEq)]
pub enum RoutePolicy {
    /// A ServiceProfile route: its timeout (0 when not known, as for an HTTPRoute whose policy
    /// lives elsewhere), whether it is retryable, and the profile's retry budget.
    Linkerd {
        timeout_ms: u64,
        retryable: bool,
        budget: Option<RetryBudget>,
    },
    /// A VirtualService route: `retries.attempts`, `perTryTimeout`, `retryOn` and the route's
    /// `timeout`; `None` where it sets none and Istio's defaults apply. With the
    /// DestinationRule's circuit breaking, when it has any.
    Istio {
        attempts: Option<u32>,
        per_try_timeout_ms: Option<u64>,
        retry_on: Option<String>,
        timeout_ms: Option<u64>,
        outlier: Option<super::mesh::OutlierDetection>,
        pool: Option<super::mesh::ConnectionPool>,
    },
}

/// The route text of a row that stands for every request to a service.
pub const ALL_REQUESTS: &str = "(all requests)";

/// What a row counts: one route of a service, or the whole service (a mesh that does not name
/// routes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Route,
    Service,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteStats {
    pub service: String,
    pub namespace: String,
    /// The route's name (`GET /products`); for a whole-service row, what the row stands for.
    pub route: String,
    pub row: RowKind,
    pub policy: RoutePolicy,
    /// Share of requests under mutual TLS, where the mesh reports it.
    pub mtls: Option<f64>,
    pub overall: RouteSample,
    /// Split by `rollouts_pod_template_hash` while a canary runs.
    pub canary: Option<RouteSample>,
    pub stable: Option<RouteSample>,
}

/// Why a service in scope has no route rows: not meshed, no profile, no traffic in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshNote {
    pub namespace: String,
    pub service: String,
    pub reason: String,
}

impl RouteStats {
    /// What the row is about in a sentence: its route, or its service for a whole-service row.
    pub fn label(&self) -> &str {
        match self.row {
            RowKind::Route => &self.route,
            RowKind::Service => &self.service,
        }
    }

    /// The route's timeout in milliseconds; 0 when none is known.
    pub fn timeout_ms(&self) -> u64 {
        match &self.policy {
            RoutePolicy::Linkerd { timeout_ms, .. } => *timeout_ms,
            RoutePolicy::Istio { timeout_ms, .. } => timeout_ms.unwrap_or(0),
        }
    }

    /// Failed requests are retried by the mesh.
    pub fn retryable(&self) -> bool {
        match &self.policy {
            RoutePolicy::Linkerd { retryable, .. } => *retryable,
            // Istio retries by default (2 attempts) unless told 0.
            RoutePolicy::Istio { attempts, .. } => attempts.is_none_or(|a| a > 0),
        }
    }

    /// Linkerd's retry budget, which caps retries for the whole service.
    pub fn budget(&self) -> Option<&RetryBudget> {
        match &self.policy {
            RoutePolicy::Linkerd { budget, .. } => budget.as_ref(),
            RoutePolicy::Istio { .. } => None,
        }
    }
}

impl RouteSample {
    /// Requests per second that got no response or a 5xx.
    pub fn failure_rps(&self) -> f64 {
        self.effective_success
            .map_or(0.0, |s| (1.0 - s).max(0.0) * self.rps)
    }
}

/// What an Envoy response flag means, in words (PROTOCOLS §9.1).
pub fn flag_meaning(flag: &str) -> &'static str {
    match flag {
        "UO" => "circuit open (overflow)",
        "UH" => "no healthy upstream",
        "URX" => "retries exhausted",
        "NR" => "no route",
        "UF" => "upstream connect failure",
        "UT" => "upstream timeout",
        "DC" => "downstream closed",
        "UC" => "upstream connection closed",
        "UR" => "upstream reset",
        "RL" => "rate limited",
        "DI" => "fault injected (delay)",
        "FI" => "fault injected (abort)",
        _ => "see Envoy's response flags",
    }
}

/// A rate of events in words: `4.8/s`, `1.8/min` below one a second, `<0.1/min`.
pub fn fmt_rate(per_sec: f64) -> String {
    let m = per_sec * 60.0;
    if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else if m >= 0.1 {
        format!("{m:.1}/min")
    } else if m > 0.0 {
        "<0.1/min".to_string()
    } else {
        "0/s".to_string()
    }
}

/// How many requests a rate is over a window: `426`, `1.7k`, `12k`, `1.2M`.
pub fn fmt_requests(per_sec: f64, window_secs: u32) -> String {
    let n = (per_sec * f64::from(window_secs)).round().max(0.0);
    if n < 1000.0 {
        format!("{n:.0}")
    } else if n < 10_000.0 {
        format!("{:.1}k", n / 1000.0)
    } else if n < 1_000_000.0 {
        format!("{:.0}k", n / 1000.0)
    } else {
        format!("{:.1}M", n / 1_000_000.0)
    }
}

#[cfg(test)]
mod request_tests {
    #[test]
    fn requests_in_a_window_read_short() {
        use super::fmt_requests;
        assert_eq!(fmt_requests(7.1, 60), "426");
        assert_eq!(fmt_requests(29.0, 60), "1.7k");
        assert_eq!(fmt_requests(250.0, 300), "75k");
        assert_eq!(fmt_requests(5000.0, 900), "4.5M");
        assert_eq!(fmt_requests(0.0, 60), "0");
    }
}
