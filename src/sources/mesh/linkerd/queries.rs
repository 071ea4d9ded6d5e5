//! The PromQL of `linkerd viz routes` (PROTOCOLS §3.3, §3.5): ServiceProfile route metrics
//! for every profile in scope at once, split by pod template hash on the server side; HTTPRoute
//! metrics for services without a profile; and which workloads are meshed.

use crate::query::promql::{any_of, eq, quote, regex_literal, selector};

/// The ServiceProfile route queries of `linkerd viz routes` (PROTOCOLS §3.3), for every
/// profile in scope at once, split by pod template hash on the server side.
pub struct RouteQueries {
    /// Inbound (server side: every attempt), by dst, route, classification and pod hash.
    pub inbound: String,
    /// Outbound `route_response_total` (what callers saw after retries).
    pub effective: String,
    /// Outbound `route_actual_response_total` (every attempt, retries included).
    pub actual: String,
    /// Inbound latency quantiles (0.5, 0.95, 0.99), overall and per pod hash.
    pub latency: Vec<(f64, String)>,
    pub latency_by_hash: Vec<(f64, String)>,
    /// Inbound latency buckets of the window per pod hash: canary's and stable's histograms
    /// for their comparison (asked only while a canary runs).
    pub buckets_by_hash: String,
}

pub const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

pub fn route_queries(namespaces: &[String], window: u32) -> RouteQueries {
    let ns = any_of("namespace", namespaces);
    let w = format!("{window}s");
    let inbound_sel = selector(&[Some(eq("direction", "inbound")), ns.clone()]);
    // Outbound series carry the caller's namespace; scope them by the destination instead.
    let dst = if namespaces.is_empty() {
        None
    } else {
        let alts: Vec<String> = namespaces
            .iter()
            .map(|n| format!("[^.]+\\.{}\\.svc\\..*", regex_literal(n)))
            .collect();
        Some(format!("dst=~{}", quote(&alts.join("|"))))
    };
    let outbound_sel = selector(&[Some(eq("direction", "outbound")), dst]);
    let lat = |by: &str| -> Vec<(f64, String)> {
        QUANTILES
            .iter()
            .map(|q| {
                (
                    *q,
                    format!(
                        "histogram_quantile({q}, sum(irate(route_response_latency_ms_bucket{inbound_sel}[{w}])) by (le, dst, rt_route{by}))"
                    ),
                )
            })
            .collect()
    };
    RouteQueries {
        inbound: format!(
            "sum(increase(route_response_total{inbound_sel}[{w}])) by (dst, rt_route, classification, rollouts_pod_template_hash)"
        ),
        effective: format!(
            "sum(increase(route_response_total{outbound_sel}[{w}])) by (dst, rt_route, classification)"
        ),
        actual: format!(
            "sum(increase(route_actual_response_total{outbound_sel}[{w}])) by (dst, rt_route, classification)"
        ),
        latency: lat(""),
        latency_by_hash: lat(", rollouts_pod_template_hash"),
        buckets_by_hash: format!(
            "sum(increase(route_response_latency_ms_bucket{inbound_sel}[{w}])) by (le, dst, rt_route, rollouts_pod_template_hash)"
        ),
    }
}

/// HTTPRoute (policy router) outbound queries (PROTOCOLS §3.5) for services without a profile.
pub struct HttpRouteQueries {
    pub statuses: String,
    pub backend_statuses: String,
    pub latency: Vec<(f64, String)>,
}

pub fn http_route_queries(namespaces: &[String], window: u32) -> HttpRouteQueries {
    let sel = selector(&[any_of("parent_namespace", namespaces)]);
    let w = format!("{window}s");
    HttpRouteQueries {
        statuses: format!(
            "sum(increase(outbound_http_route_request_statuses_total{sel}[{w}])) by (parent_namespace, parent_name, route_name, http_status, error)"
        ),
        backend_statuses: format!(
            "sum(increase(outbound_http_route_backend_response_statuses_total{sel}[{w}])) by (parent_namespace, parent_name, route_name, backend_name, http_status, error)"
        ),
        latency: QUANTILES
            .iter()
            .map(|q| {
                (
                    *q,
                    format!(
                        "histogram_quantile({q}, sum(irate(outbound_http_route_request_duration_seconds_bucket{sel}[{w}])) by (le, parent_namespace, parent_name, route_name))"
                    ),
                )
            })
            .collect(),
    }
}

/// Which workloads have meshed pods answering requests (to say "not meshed" when none).
pub fn meshed_workloads(namespaces: &[String]) -> String {
    format!(
        "count by (namespace, deployment, replicaset, statefulset) (request_total{})",
        selector(&[
            Some(eq("direction", "inbound")),
            any_of("namespace", namespaces)
        ])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_have_the_documented_shape() {
        let q = route_queries(&["dev".into()], 60);
        assert_eq!(
            q.inbound,
            r#"sum(increase(route_response_total{direction="inbound", namespace=~"dev"}[60s])) by (dst, rt_route, classification, rollouts_pod_template_hash)"#
        );
        assert_eq!(
            q.latency[1].1,
            r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{direction="inbound", namespace=~"dev"}[60s])) by (le, dst, rt_route))"#
        );
        assert_eq!(
            q.buckets_by_hash,
            r#"sum(increase(route_response_latency_ms_bucket{direction="inbound", namespace=~"dev"}[60s])) by (le, dst, rt_route, rollouts_pod_template_hash)"#
        );
        assert_eq!(
            q.actual,
            r#"sum(increase(route_actual_response_total{direction="outbound", dst=~"[^.]+\\.dev\\.svc\\..*"}[60s])) by (dst, rt_route, classification)"#
        );
    }
}
