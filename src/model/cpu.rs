//! CPU time series: node busy percentage and per-service pod cores.

use super::Track;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuUnit {
    /// Busy fraction of a node, 0–100.
    Percent,
    /// CPU cores used.
    Cores,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CpuSeries {
    pub name: String,
    /// The service's namespace (empty for a node): the same service name in two namespaces
    /// (production and stage side by side) is two series.
    pub namespace: String,
    pub track: Option<Track>,
    pub unit: CpuUnit,
    /// (unix seconds, value), oldest first.
    pub points: Vec<(i64, f64)>,
}

impl CpuSeries {
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.1)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CpuData {
    pub nodes: Vec<CpuSeries>,
    /// One series per service, and per track while a canary runs.
    pub services: Vec<CpuSeries>,
    pub step_secs: u32,
    /// The span the series cover (5m, 15m, 1h, 6h).
    pub window_secs: u32,
}

impl CpuData {
    /// A service's series in a namespace, by track (`None`: all its pods).
    pub fn service(&self, namespace: &str, name: &str, track: Option<Track>) -> Option<&CpuSeries> {
        self.services
            .iter()
            .find(|s| s.name == name && s.track == track && s.namespace == namespace)
    }
}
