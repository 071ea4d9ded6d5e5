//! Operators run the actions State prepared and report how they ended (PROTOCOLS §1.5, §1.6,
//! §2.6, §6): [`kube::KubeOperator`] against the cluster, [`alertmanager::Silencer`] against
//! Alertmanager, composed by action in [`router::ActionRouter`]; and the [`audit::AuditLog`]
//! that records every action, accepted or refused. The demo's operator lives with the
//! simulation it drives (`sources::demo`). The action types and the [`Operator`] interface are
//! the model's ([`crate::model::action`]).

pub mod alertmanager;
pub mod audit;
pub mod clipboard;
pub mod kube;
pub mod router;

pub use crate::model::action::Operator;
