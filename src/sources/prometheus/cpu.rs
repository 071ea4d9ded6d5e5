//! CPU: the queries (node busy %, cores per pod from a recording rule or cAdvisor), and node
//! and per-pod series turned into [`CpuData`]: one series per node, one per service
//! (its pods summed), and per track (canary/stable by pod template hash) while a canary runs.

use super::api::{Prometheus, Series};
use crate::model::{CpuData, CpuSeries, Track, cpu::CpuUnit, service_of_pod};
use crate::query::promql::{any_of, selector};
use crate::state::{Demand, Tracked};
use std::collections::BTreeMap;

/// The node a node-exporter series is about: its `node` label, else `instance` without port.
fn node_name(s: &Series) -> String {
    if let Some(n) = s.labels.get("node").filter(|n| !n.is_empty()) {
        return n.clone();
    }
    let inst = s.labels.get("instance").map(String::as_str).unwrap_or("?");
    match inst.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
        _ => inst.to_string(),
    }
}

/// Nodes whose names read the same (two exporters on one host, a `node` label set twice)
/// are told apart by what differs: their `nodename`, their whole `instance` (with its port),
/// else their place.
fn tell_nodes_apart(series: &mut [CpuSeries], nodes: &[Series]) {
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    for (i, s) in series.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == s.name).count() < 2 {
            continue;
        }
        let label = |k: &str| nodes[i].labels.get(k).filter(|v| !v.is_empty()).cloned();
        let same = |k: &str| {
            nodes
                .iter()
                .zip(&names)
                .filter(|(n, name)| **name == s.name && n.labels.get(k) == nodes[i].labels.get(k))
                .count()
                == 1
        };
        s.name = match (label("nodename"), label("instance")) {
            (Some(n), _) if same("nodename") && n != s.name => format!("{} ({n})", s.name),
            (_, Some(inst)) if same("instance") && inst != s.name => inst,
            _ => format!("{} #{}", s.name, i + 1),
        };
    }
}

fn add_into(acc: &mut BTreeMap<i64, f64>, points: &[(i64, f64)]) {
    for (t, v) in points {
        *acc.entry(*t).or_insert(0.0) += v;
    }
}

/// Node busy percentage per node (kube-prometheus' `instance:node_cpu_utilisation:rate5m`,
/// as a percentage).
pub fn node_cpu(range: &str) -> String {
    format!(
        "100 * (1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{{mode=~\"idle|iowait|steal\"}}[{range}]))))"
    )
}

/// How per-pod CPU is read: a kube-prometheus-stack recording rule, or cAdvisor directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodCpuSource {
    RuleRate5m,
    RuleIrate,
    Cadvisor,
}

pub const RULE_RATE5M: &str =
    "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m";
pub const RULE_IRATE: &str =
    "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate";

/// CPU cores per pod in `namespaces` (all when empty).
pub fn pod_cpu(source: PodCpuSource, namespaces: &[String], range: &str) -> String {
    let ns = any_of("namespace", namespaces);
    match source {
        PodCpuSource::RuleRate5m | PodCpuSource::RuleIrate => {
            let rule = if source == PodCpuSource::RuleRate5m {
                RULE_RATE5M
            } else {
                RULE_IRATE
            };
            format!(
                "sum by (namespace, pod) ({rule}{})",
                selector(&[ns, Some("container!=\"\"".into())])
            )
        }
        PodCpuSource::Cadvisor => format!(
            "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{}[{range}]))",
            selector(&[
                ns,
                Some("container!=\"\"".into()),
                Some("image!=\"\"".into())
            ])
        ),
    }
}

pub fn assemble(
    nodes: Vec<Series>,
    pods: Vec<Series>,
    tracked: &[Tracked],
    step: u32,
    window: u32,
) -> CpuData {
    let mut node_series: Vec<CpuSeries> = nodes
        .iter()
        .map(|s| CpuSeries {
            name: node_name(s),
            namespace: String::new(),
            track: None,
            unit: CpuUnit::Percent,
            points: s.points.clone(),
        })
        .collect();
    tell_nodes_apart(&mut node_series, &nodes);
    node_series.sort_by(|a, b| a.name.cmp(&b.name));
    let mut by_service: BTreeMap<(String, String, Option<Track>), BTreeMap<i64, f64>> =
        BTreeMap::new();
    for s in &pods {
        let Some(pod) = s.labels.get("pod") else {
            continue;
        };
        let ns = s.labels.get("namespace").map(String::as_str).unwrap_or("");
        let (svc, hash) = service_of_pod(pod);
        add_into(
            by_service
                .entry((ns.to_string(), svc.clone(), None))
                .or_default(),
            &s.points,
        );
        let track = tracked
            .iter()
            .find(|t| t.name == svc && t.namespace == ns && t.canary_running())
            .and_then(|t| {
                let h = hash.as_deref()?;
                if h == t.canary_hash {
                    Some(Track::Canary)
                } else if h == t.stable_hash {
                    Some(Track::Stable)
                } else {
                    None
                }
            });
        if let Some(track) = track {
            add_into(
                by_service
                    .entry((ns.to_string(), svc, Some(track)))
                    .or_default(),
                &s.points,
            );
        }
    }
    CpuData {
        nodes: node_series,
        services: by_service
            .into_iter()
            .map(|((namespace, name, track), pts)| CpuSeries {
                name,
                namespace,
                track,
                unit: CpuUnit::Cores,
                points: pts.into_iter().collect(),
            })
            .collect(),
        step_secs: step,
        window_secs: window,
    }
}

/// One refresh of the CPU chart: the node and pod series for the window the screen shows.
pub async fn refresh(
    prom: &Prometheus,
    pod_source: &mut Option<PodCpuSource>,
    d: &Demand,
) -> Result<(CpuData, u64), String> {
    let mut queries = 0;
    if pod_source.is_none() {
        // Prefer kube-prometheus-stack's recording rules; fall back to raw cAdvisor.
        let mut found = PodCpuSource::Cadvisor;
        for (rule, src) in [
            (RULE_RATE5M, PodCpuSource::RuleRate5m),
            (RULE_IRATE, PodCpuSource::RuleIrate),
        ] {
            queries += 1;
            if !prom.query(&format!("count({rule})")).await?.is_empty() {
                found = src;
                break;
            }
        }
        *pod_source = Some(found);
    }
    let step = d.cpu_step();
    let window = d.cpu_window_secs.max(60);
    let end = chrono::Utc::now().timestamp();
    let end = end - end.rem_euclid(i64::from(step));
    let start = end - i64::from(window);
    let range = crate::query::promql::rate_range(step);
    let nodes = prom
        .query_range(&node_cpu(&range), start, end, step)
        .await?;
    let pod_q = pod_cpu(
        pod_source.unwrap_or(PodCpuSource::Cadvisor),
        &d.namespaces,
        &range,
    );
    let pods = prom.query_range(&pod_q, start, end, step).await?;
    queries += 2;
    Ok((assemble(nodes, pods, &d.rollouts, step, window), queries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_cpu_is_read_from_cadvisor_without_pause_containers() {
        assert_eq!(
            pod_cpu(PodCpuSource::Cadvisor, &["dev".into()], "60s"),
            r#"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{namespace=~"dev", container!="", image!=""}[60s]))"#
        );
    }

    #[test]
    fn pods_map_to_their_service_and_hash() {
        assert_eq!(
            service_of_pod("store-6d8f9c7b4-x2x9k"),
            ("store".into(), Some("6d8f9c7b4".into()))
        );
        assert_eq!(
            service_of_pod("api-gateway-5c7d9-bcdfg"),
            ("api-gateway".into(), Some("5c7d9".into()))
        );
        assert_eq!(service_of_pod("postgres-0"), ("postgres".into(), None));
        assert_eq!(
            service_of_pod("node-exporter-x2x9k"),
            ("node-exporter".into(), None)
        );
        assert_eq!(service_of_pod("standalone"), ("standalone".into(), None));
    }

    #[test]
    fn services_sum_their_pods_and_split_by_track() {
        let pod = |name: &str, pts: Vec<(i64, f64)>| Series {
            labels: [
                ("namespace".to_string(), "dev".to_string()),
                ("pod".to_string(), name.to_string()),
            ]
            .into(),
            points: pts,
        };
        let tracked = vec![Tracked {
            namespace: "dev".into(),
            name: "store".into(),
            stable_hash: "bbbbbb".into(),
            canary_hash: "cccccc".into(),
            ..Default::default()
        }];
        let d = assemble(
            vec![],
            vec![
                pod("store-bbbbbb-xxxxx", vec![(10, 0.1), (20, 0.2)]),
                pod("store-bbbbbb-zzzzz", vec![(10, 0.3), (20, 0.3)]),
                pod("store-cccccc-xxxxx", vec![(10, 0.5), (20, 0.7)]),
            ],
            &tracked,
            10,
            300,
        );
        let all = d.service("dev", "store", None).unwrap();
        assert_eq!(all.points.len(), 2);
        assert!((all.points[1].1 - 1.2).abs() < 1e-9);
        assert!(
            (d.service("dev", "store", Some(Track::Stable))
                .unwrap()
                .points[0]
                .1
                - 0.4)
                .abs()
                < 1e-9
        );
        assert_eq!(
            d.service("dev", "store", Some(Track::Canary))
                .unwrap()
                .points,
            vec![(10, 0.5), (20, 0.7)]
        );
    }

    #[test]
    fn the_same_service_in_two_namespaces_and_nodes_that_read_the_same_stay_apart() {
        let series = |labels: &[(&str, &str)], v: f64| Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: vec![(10, v)],
        };
        let d = assemble(
            vec![
                series(&[("instance", "10.0.0.7:9100")], 40.0),
                series(&[("instance", "10.0.0.7:9101")], 60.0),
                series(&[("instance", "10.0.0.8:9100")], 10.0),
            ],
            vec![
                series(&[("namespace", "production"), ("pod", "redis-0")], 0.5),
                series(&[("namespace", "stage"), ("pod", "redis-0")], 0.1),
            ],
            &[],
            10,
            300,
        );
        let nodes: Vec<&str> = d.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(nodes, ["10.0.0.7:9100", "10.0.0.7:9101", "10.0.0.8"]);
        let prod = d
            .service("production", "redis", None)
            .map(|s| s.points[0].1);
        let stage = d.service("stage", "redis", None).map(|s| s.points[0].1);
        assert_eq!((prod, stage), (Some(0.5), Some(0.1)));
    }
}
