//! The PromQL of the Istio mesh (PROTOCOLS §9.1–9.2), as Kiali asks it: the destination
//! reporter's `istio_requests_total` by service (and `request_operation` where the Telemetry API
//! adds it), response code and flag, and mTLS; `istio_request_duration_milliseconds` quantiles;
//! and the same per pod-template hash, pod or version to tell canary from stable.

use crate::query::promql::{any_of, eq, quote, regex_literal, selector};

pub const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// The labels every row is keyed by.
const ROW: &str = "destination_service_namespace, destination_service_name, request_operation";

/// `{reporter="destination", destination_service_namespace=~"…"}` plus `more`.
fn sel(namespaces: &[String], more: &[Option<String>]) -> String {
    let mut m = vec![
        Some(eq("reporter", "destination")),
        any_of("destination_service_namespace", namespaces),
    ];
    m.extend(more.iter().cloned());
    selector(&m)
}

pub struct Queries {
    /// Requests in the window by row, response code, response flags and security policy.
    pub requests: String,
    /// Requests by row, code and what tells pods apart (hash label, pod, version).
    pub by_pod: String,
    /// Latency quantiles (0.5, 0.95, 0.99) by row.
    pub latency: Vec<(f64, String)>,
}

pub fn queries(namespaces: &[String], window: u32) -> Queries {
    let s = sel(namespaces, &[]);
    let w = format!("{window}s");
    Queries {
        requests: format!(
            "sum(increase(istio_requests_total{s}[{w}])) by ({ROW}, response_code, response_flags, connection_security_policy)"
        ),
        by_pod: format!(
            "sum(increase(istio_requests_total{s}[{w}])) by ({ROW}, response_code, response_flags, rollouts_pod_template_hash, pod, destination_version)"
        ),
        latency: QUANTILES
            .iter()
            .map(|q| {
                (
                    *q,
                    format!(
                        "histogram_quantile({q}, sum(rate(istio_request_duration_milliseconds_bucket{s}[{w}])) by (le, {ROW}))"
                    ),
                )
            })
            .collect(),
    }
}

/// How the pods of one track are selected in a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackSelector {
    /// Host-level routing: the track's own Service.
    Service(String),
    /// The scraped pod label.
    Hash(String),
    /// Pods named `<rollout>-<hash>-…`.
    PodPrefix(String),
    /// A per-revision `version` label.
    Version(String),
}

impl TrackSelector {
    fn matcher(&self) -> String {
        match self {
            TrackSelector::Service(s) => eq("destination_service_name", s),
            TrackSelector::Hash(h) => eq("rollouts_pod_template_hash", h),
            TrackSelector::PodPrefix(p) => {
                format!("pod=~{}", quote(&format!("{}-.*", regex_literal(p))))
            }
            TrackSelector::Version(v) => eq("destination_version", v),
        }
    }
}

/// The selector of one track's pods of one service, as the destination reports them.
fn track_selector(namespace: &str, service: &str, track: &TrackSelector) -> String {
    // Pod-level selectors (a `version` label above all) may match other services' pods.
    let own = (!matches!(track, TrackSelector::Service(_)))
        .then(|| eq("destination_service_name", service));
    selector(&[
        Some(eq("reporter", "destination")),
        Some(eq("destination_service_namespace", namespace)),
        own,
        Some(track.matcher()),
    ])
}

/// One track's latency buckets of the window, by operation: the histogram its comparison
/// with the other track is made on.
pub fn track_buckets(namespace: &str, service: &str, track: &TrackSelector, window: u32) -> String {
    let s = track_selector(namespace, service, track);
    format!(
        "sum(increase(istio_request_duration_milliseconds_bucket{s}[{window}s])) by (le, request_operation)"
    )
}

/// Latency quantiles of one track's pods of one service, by operation.
pub fn track_latency(
    namespace: &str,
    service: &str,
    track: &TrackSelector,
    window: u32,
) -> Vec<(f64, String)> {
    let s = track_selector(namespace, service, track);
    QUANTILES
        .iter()
        .map(|q| {
            (
                *q,
                format!(
                    "histogram_quantile({q}, sum(rate(istio_request_duration_milliseconds_bucket{s}[{window}s])) by (le, request_operation))"
                ),
            )
        })
        .collect()
}

/// Kiali's error rate of one service (4xx, 5xx and no response, PROTOCOLS §9.2): opsdeck counts
/// 4xx apart, and its numbers add up to this one.
pub fn kiali_errors(namespace: &str, service: &str, window: u32) -> String {
    let l = format!(
        "reporter=\"destination\",destination_service_name={},destination_service_namespace={}",
        quote(service),
        quote(namespace)
    );
    format!(
        "sum(rate(istio_requests_total{{{l},response_code=~\"^0$|^[4-5]\\\\d\\\\d$\"}}[{window}s])) OR sum(rate(istio_requests_total{{{l},grpc_response_status=~\"^[1-9]$|^1[0-6]$\",response_code!~\"^0$|^[4-5]\\\\d\\\\d$\"}}[{window}s]))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_have_the_kiali_shape() {
        let q = queries(&["titanium-prod".into()], 60);
        assert_eq!(
            q.requests,
            r#"sum(increase(istio_requests_total{reporter="destination", destination_service_namespace=~"titanium-prod"}[60s])) by (destination_service_namespace, destination_service_name, request_operation, response_code, response_flags, connection_security_policy)"#
        );
        assert_eq!(
            q.latency[1].1,
            r#"histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service_namespace=~"titanium-prod"}[60s])) by (le, destination_service_namespace, destination_service_name, request_operation))"#
        );
        assert_eq!(
            track_latency(
                "dev",
                "blog-service",
                &TrackSelector::PodPrefix("blog-service-5f6b".into()),
                60
            )[0]
            .1,
            r#"histogram_quantile(0.5, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service_namespace="dev", destination_service_name="blog-service", pod=~"blog-service-5f6b-.*"}[60s])) by (le, request_operation))"#
        );
        assert_eq!(
            track_buckets(
                "dev",
                "blog-service",
                &TrackSelector::Service("blog-service-canary".into()),
                300
            ),
            r#"sum(increase(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service_namespace="dev", destination_service_name="blog-service-canary"}[300s])) by (le, request_operation)"#
        );
        assert!(kiali_errors("dev", "blog", 60).contains(r#"response_code=~"^0$|^[4-5]\\d\\d$""#));
    }
}
