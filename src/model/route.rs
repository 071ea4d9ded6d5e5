//! Linkerd per-route traffic numbers (PROTOCOLS §3.3) joined with the ServiceProfile spec.

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
}

/// `spec.retryBudget` of a ServiceProfile.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryBudget {
    pub retry_ratio: f64,
    pub min_retries_per_second: u32,
    pub ttl_secs: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteStats {
    pub service: String,
    pub namespace: String,
    /// ServiceProfile route name, e.g. `GET /products`.
    pub route: String,
    pub timeout_ms: u64,
    pub retryable: bool,
    pub budget: Option<RetryBudget>,
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
