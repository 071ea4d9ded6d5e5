//! Turns node and per-pod CPU series into [`CpuData`]: one series per node, one per service
//! (its pods summed), and per track (canary/stable by pod template hash) while a canary runs.

use super::api::Series;
use crate::model::{CpuData, CpuSeries, Track, cpu::CpuUnit, service_of_pod};
use crate::state::Tracked;
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

fn add_into(acc: &mut BTreeMap<i64, f64>, points: &[(i64, f64)]) {
    for (t, v) in points {
        *acc.entry(*t).or_insert(0.0) += v;
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
            track: None,
            unit: CpuUnit::Percent,
            points: s.points.clone(),
        })
        .collect();
    node_series.sort_by(|a, b| a.name.cmp(&b.name));
    let mut by_service: BTreeMap<(String, Option<Track>), BTreeMap<i64, f64>> = BTreeMap::new();
    for s in &pods {
        let Some(pod) = s.labels.get("pod") else {
            continue;
        };
        let ns = s.labels.get("namespace").map(String::as_str).unwrap_or("");
        let (svc, hash) = service_of_pod(pod);
        add_into(
            by_service.entry((svc.clone(), None)).or_default(),
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
            add_into(by_service.entry((svc, Some(track))).or_default(), &s.points);
        }
    }
    CpuData {
        nodes: node_series,
        services: by_service
            .into_iter()
            .map(|((name, track), pts)| CpuSeries {
                name,
                track,
                unit: CpuUnit::Cores,
                points: pts.into_iter().collect(),
            })
            .collect(),
        step_secs: step,
        window_secs: window,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let all = d.service("store", None).unwrap();
        assert_eq!(all.points.len(), 2);
        assert!((all.points[1].1 - 1.2).abs() < 1e-9);
        assert!((d.service("store", Some(Track::Stable)).unwrap().points[0].1 - 0.4).abs() < 1e-9);
        assert_eq!(
            d.service("store", Some(Track::Canary)).unwrap().points,
            vec![(10, 0.5), (20, 0.7)]
        );
    }
}
