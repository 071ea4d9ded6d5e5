//! `full_frame_200x60`: one full frame of all six panes at 200×60 with 2,000 apps,
//! 500 rollouts, 300 routes and 10,000 log lines, drawn into a cleared buffer. Goal: median
//! ≤ 250 µs. `full_frame_200x60_terminal` adds ratatui's Terminal::draw around it (diff with
//! the previous frame, backend copy), and `empty_frame_200x60` is that fixed cost alone.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::keymap::Keymap;
use opsdeck::sources::demo::{Scenario, Sim};
use opsdeck::state::{Context, Intent, State, Update};
use opsdeck::theme::Theme;
use opsdeck::ui::{self, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A seeded demo platform grown to `apps` Applications, `rollouts` Rollouts, 300 routes and
/// 10,000 log lines.
fn big_state(n_apps: usize, n_rollouts: usize) -> State {
    big_state_on("checkmate", n_apps, n_rollouts)
}

/// The demo platform `platform` (checkmate: Linkerd rows; titanium: Istio rows and
/// VirtualServices) grown to `n_apps` apps, `n_rollouts` rollouts, 300 routes, 10,000 lines.
fn big_state_on(platform: &str, n_apps: usize, n_rollouts: usize) -> State {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let p = opsdeck::sources::demo::platform(platform).unwrap_or_else(|| panic!("{platform}"));
    let mut sim = Sim::on(p, 1, Scenario::BadCanary, start);
    let ctx = Context {
        name: "bench".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        demo: true,
        read_only: false,
        log_query: "{namespace=\"dev\"}".into(),
        protected: false,
        user: "alice".into(),
    };
    let mut state = State::new(ctx, start, 50_000);
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
fn grow(n: usize, len: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| i % len.max(1))
}

fn bench(c: &mut Criterion) {
    let big = big_state(5000, 1000);
    let theme = Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    let view = View {
        state: &big,
        theme: &theme,
        keymap: &keymap,
    };
    c.bench_function("full_frame_200x60_5000_apps_1000_rollouts", |b| {
        b.iter(|| {
            term.current_buffer_mut().reset();
            let mut f = term.get_frame();
            ui::draw(&mut f, &view);
        })
    });
    let state = big_state(2000, 500);
    let theme = Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    let view = View {
        state: &state,
        theme: &theme,
        keymap: &keymap,
    };
    c.bench_function("full_frame_200x60", |b| {
        b.iter(|| {
            term.current_buffer_mut().reset();
            let mut f = term.get_frame();
            ui::draw(&mut f, &view);
        })
    });
    // The header's problem summary alone: every canary judged, every app ranked.
    c.bench_function("problems_2000_apps_500_rollouts", |b| {
        b.iter(|| std::hint::black_box(state.problems()))
    });
    c.bench_function("full_frame_200x60_terminal", |b| {
        b.iter(|| {
            term.draw(|f| ui::draw(f, &view))
                .unwrap_or_else(|e| panic!("{e}"));
        })
    });
    let istio = big_state_on("titanium", 2000, 500);
    let view = View {
        state: &istio,
        theme: &theme,
        keymap: &keymap,
    };
    c.bench_function("full_frame_200x60_istio", |b| {
        b.iter(|| {
            term.current_buffer_mut().reset();
            let mut f = term.get_frame();
            ui::draw(&mut f, &view);
        })
    });
}

criterion_group!(benches, bench, empty_frame);
criterion_main!(benches);

/// The floor: what ratatui's Terminal costs for a 200×60 frame that draws nothing.
fn empty_frame(c: &mut Criterion) {
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("empty_frame_200x60", |b| {
        b.iter(|| {
            term.draw(|_| {}).unwrap_or_else(|e| panic!("{e}"));
        })
    });
}
