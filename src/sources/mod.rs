//! Sources: tokio tasks that own their connection and send [`Update`](crate::state::Update)s.
//! A source never touches UI state.

pub mod alertmanager;
pub mod demand;
pub mod demo;
pub mod http;
pub mod kube;
pub mod loki;
pub mod prometheus;
