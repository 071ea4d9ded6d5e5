//! The integration tests as one binary, each suite a module, so the shared support (the fake
//! API server, the fake Loki, the real Prometheus and Alertmanager, the demo in a State)
//! compiles once.

mod support;

mod alertmanager;
mod argocd_api;
mod config_files;
mod demo_platform;
mod fleet;
mod fuzz;
mod http_limits;
mod istio;
mod kube_actions;
mod kube_app_tree;
mod kube_certs;
mod kube_image_updater;
mod kube_object;
mod kube_operator;
mod kube_parse;
mod kube_pods;
mod kube_watch;
mod layers;
mod live_e2e;
mod loki;
mod opensearch;
mod prometheus;
mod render;
mod tmux_e2e;
mod traces;
