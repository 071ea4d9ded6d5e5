//! Sources: tokio tasks that own their connection and send [`Update`](crate::state::Update)s.
//! A source never touches UI state; it reads what the screen needs from the
//! [`Demand`](crate::state::Demand) State publishes.

pub mod alertmanager;
pub mod argocd;
pub mod demo;
pub mod kube;
pub mod logs;
pub mod mesh;
pub mod prometheus;
pub mod traces;
