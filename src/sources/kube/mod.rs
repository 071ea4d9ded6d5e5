//! The live cluster: Argo CD Applications and Argo Rollouts over the Kubernetes API.

pub mod parse;
pub mod pod_logs;
pub mod pods;
pub mod readyz;
pub mod watch;
