//! The live cluster: Argo CD Applications and Argo Rollouts over the Kubernetes API.

pub mod connect;
pub mod json;
pub mod parse;
pub mod watch;
