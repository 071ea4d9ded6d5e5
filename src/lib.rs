//! opsdeck: a terminal dashboard for the engineer on call for a GitOps Kubernetes platform.
//!
//! Data flows one way: sources → [`state::Update`] → [`state::State`] → [`ui::draw`].
//! Keys become [`state::Intent`]s through the [`keymap`]; actions run in [`ops`] operators.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod config;
pub mod config_file;
pub mod files;
pub mod keymap;
pub mod layout;
pub mod model;
pub mod net;
pub mod ops;
pub mod query;
pub mod sanitize;
pub mod sources;
pub mod state;
pub mod theme;
pub mod ui;
