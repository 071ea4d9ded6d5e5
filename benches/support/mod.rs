//! A seeded demo platform grown to bench sizes, shared by the benches.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use opsdeck::sources::demo::{Scenario, Sim};
use opsdeck::state::{Context, Intent, State, Update};

/// The benches' context: the demo's, in `dev`.
pub fn context() -> Context {
    Context {
        name: "bench".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        argocd_server: Some("the demo's Argo CD".into()),
        demo: true,
        read_only: false,
        log_query: "{namespace=\"dev\"}".into(),
        protected: false,
        user: "alice".into(),
    }
}

/// A seeded demo platform grown to `apps` Applications, `rollouts` Rollouts, 300 routes and
/// 10,000 log lines.
pub fn big_state(n_apps: usize, n_rollouts: usize) -> State {
    big_state_on("checkmate", n_apps, n_rollouts)
}

/// The demo platform `platform` (checkmate: Linkerd rows; titanium: Istio rows and
/// VirtualServices) grown to `n_apps` apps, `n_rollouts` rollouts, 300 routes, 10,000 lines.
pub fn big_state_on(platform: &str, n_apps: usize, n_rollouts: usize) -> State {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let p = opsdeck::sources::demo::platform(platform).unwrap_or_else(|| panic!("{platform}"));
    let mut sim = Sim::on(p, 1, Scenario::BadCanary, start);
    let mut state = State::new(context(), start, 50_000);
    let mut apps = Vec::new();
    let mut rollouts = Vec::new();
    let mut routes = Vec::new();
    let mut logs = Vec::new();
    for _ in 0..400 {
        sim.step();
    }
    for u in sim.snapshot() {
        match u {
            Update::Apps(a) => apps = a,
            Update::Rollouts(r) => rollouts = r,
            Update::Routes(r) => routes = r,
            Update::Logs(l) => logs = l,
            other => {
                state.apply(other);
            }
        }
    }
    let apps: Vec<_> = grow(n_apps, apps.len())
        .enumerate()
        .map(|(k, i)| {
            let mut a = apps[i].clone();
            a.name = format!("{}-{k}", a.name);
            a
        })
        .collect();
    let rollouts: Vec<_> = grow(n_rollouts, rollouts.len())
        .enumerate()
        .map(|(k, i)| {
            let mut r = rollouts[i].clone();
            r.name = format!("{}-{k}", r.name);
            r
        })
        .collect();
    let routes: Vec<_> = grow(300, routes.len())
        .enumerate()
        .map(|(k, i)| {
            let mut r = routes[i].clone();
            r.route = format!("{} {k}", r.route);
            r
        })
        .collect();
    let logs: Vec<_> = grow(10_000, logs.len()).map(|i| logs[i].clone()).collect();
    state.apply(Update::Apps(apps));
    state.apply(Update::Rollouts(rollouts));
    state.apply(Update::Routes(routes));
    state.apply(Update::Logs(logs));
    state.handle(Intent::Resize {
        width: 200,
        height: 60,
    });
    assert_eq!(
        (
            state.apps.len(),
            state.rollouts.len(),
            state.routes.len(),
            state.logs.len()
        ),
        (n_apps, n_rollouts, 300, 10_000)
    );
    state
}

/// Indices 0..n cycling over a list of `len`.
pub fn grow(n: usize, len: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| i % len.max(1))
}
