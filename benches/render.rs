//! `full_frame_200x60`: one full frame of all six panes at 200×60 with 2,000 apps,
//! 500 rollouts, 300 routes and 10,000 log lines, drawn into a cleared buffer. Goal: median
//! ≤ 250 µs. `full_frame_200x60_terminal` adds ratatui's Terminal::draw around it (diff with
//! the previous frame, backend copy), and `empty_frame_200x60` is that fixed cost alone.

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::keymap::Keymap;
use opsdeck::theme::Theme;
use opsdeck::ui::{self, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/mod.rs"]
mod support;
use support::{big_state, big_state_on};

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

criterion_group!(benches, bench, below, empty_frame);

/// Below the rollout: the bad canary's cockpit with its pods line, its pods view (pods and
/// events) and its pod's log (the last half hour); each drawn alone at 200×60.
fn below(c: &mut Criterion) {
    use chrono::{TimeZone, Utc};
    use opsdeck::sources::demo::{Scenario, Sim};
    use opsdeck::state::{Intent, Screen, State, Update};
    let start = Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let mut sim = Sim::on(
        opsdeck::sources::demo::platform("checkmate").unwrap_or_else(|| panic!("checkmate")),
        1,
        Scenario::BadCanary,
        start,
    );
    for _ in 0..600 {
        sim.step();
    }
    let mut state = State::new(support::context(), start, 50_000);
    state.set_size(200, 60);
    for u in sim.snapshot() {
        state.apply(u);
    }
    state.ui.screen = Screen::Cockpit {
        namespace: "dev".into(),
        name: "store".into(),
    };
    let scope = state.pod_scope().unwrap_or_else(|| panic!("store's pods"));
    for u in sim.below(&scope) {
        state.apply(u);
    }
    let theme = Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    let mut frame = |name: &str, state: &State| {
        let view = View {
            state,
            theme: &theme,
            keymap: &keymap,
        };
        c.bench_function(name, |b| {
            b.iter(|| {
                term.current_buffer_mut().reset();
                let mut f = term.get_frame();
                ui::draw(&mut f, &view);
            })
        });
    };
    frame("cockpit_200x60_with_pods", &state);
    state.ui.normal_events = true;
    state.handle(Intent::Pods);
    let scope = state.pod_scope().unwrap_or_else(|| panic!("store's pods"));
    for u in sim.below(&scope) {
        state.apply(u);
    }
    frame("pods_view_200x60", &state);
    state.handle(Intent::Open);
    if let Some(t) = state.pod_log_target() {
        let lines = sim.pod_log(&t, sim.now - chrono::Duration::minutes(30));
        state.apply(Update::PodLog {
            target: t,
            lines,
            reset: true,
        });
    }
    frame("pod_log_200x60", &state);
    // The diff view at its cap: 200 resources of 100 lines, scrolled to the middle.
    state.ui.overlay = None;
    state.handle(Intent::Diff);
    if let Some(ask) = state.app_diff_wanted() {
        let mut diff = sim.app_diff(&ask).unwrap_or_else(|e| panic!("{e}"));
        diff.resources = (0..200)
            .map(|i| {
                let old = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")},
                    "data": (0..50).map(|k| (format!("key-{k}"), serde_json::json!(format!("old value {k}")))).collect::<serde_json::Map<_, _>>()});
                let new = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")},
                    "data": (0..50).map(|k| (format!("key-{k}"), serde_json::json!(format!("new value {k}")))).collect::<serde_json::Map<_, _>>()});
                opsdeck::model::diff::diff_resource(
                    ["", "ConfigMap", "dev", &format!("cm-{i}")],
                    false,
                    Some(old),
                    Some(new),
                    opsdeck::model::diff::Judged::default(),
                )
            })
            .collect();
        diff.finish();
        state.apply(Update::AppDiff {
            ask,
            diff: Ok(diff),
        });
    }
    if let Some(opsdeck::state::Overlay::Diff { scroll, .. }) = state.ui.overlay.as_mut() {
        *scroll = 10_000;
    }
    frame("diff_view_200x60_20000_lines_scrolled", &state);
    // The YAML view of a 20,000-line object, searched, scrolled to its middle.
    state.ui.overlay = None;
    state.handle(Intent::Yaml);
    if let Some(target) = state.object_wanted() {
        let data: serde_json::Map<String, serde_json::Value> = (0..19_990)
            .map(|k| (format!("key-{k}"), serde_json::json!(format!("value {k}"))))
            .collect();
        let big =
            serde_json::json!({"kind": "Rollout", "metadata": {"name": "store"}, "data": data});
        let view = opsdeck::model::object::object_view(big);
        state.apply(Update::Object {
            target,
            view: Ok(view),
        });
    }
    state.ui.logs.search.set("value 1000");
    if let Some(opsdeck::state::Overlay::Object { scroll, .. }) = state.ui.overlay.as_mut() {
        *scroll = 10_000;
    }
    frame("object_view_200x60_20000_lines_searched", &state);
    // A 10,000-span trace: 100 calls of the root, each with 99 spans below it (two levels),
    // selected in its middle with the span's details open; then filtered.
    use opsdeck::model::trace::{Span, build};
    let id = "4bf92f3577b34da6a3ce929d0e0e4736".to_string();
    let mut spans = vec![Span {
        span_id: "root".into(),
        service: "gateway".into(),
        name: "GET /api/store/products".into(),
        duration_us: 2_000_000,
        ..Default::default()
    }];
    for c in 0..100 {
        let call = format!("c{c}");
        spans.push(Span {
            span_id: call.clone(),
            parent: "root".into(),
            service: format!("svc-{}", c % 7),
            name: format!("GET /internal/{c}"),
            start_us: c * 19_000,
            duration_us: 18_000,
            attributes: vec![("http.status_code".into(), "200".into())],
            ..Default::default()
        });
        for k in 0..98 {
            spans.push(Span {
                span_id: format!("c{c}k{k}"),
                parent: if k % 2 == 0 {
                    call.clone()
                } else {
                    format!("c{c}k{}", k - 1)
                },
                service: format!("svc-{}", c % 7),
                name: format!("SELECT item {k}"),
                start_us: c * 19_000 + k * 150,
                duration_us: 140,
                error: k == 97,
                attributes: vec![("db.system".into(), "postgresql".into())],
                ..Default::default()
            });
        }
    }
    let trace = build(id.clone(), spans);
    assert!(trace.spans.len() >= 9_900, "{}", trace.spans.len());
    state.ui.overlay = Some(opsdeck::state::Overlay::Trace(Box::new(
        opsdeck::state::TraceView {
            id: id.clone(),
            selected: 5_000,
            offset: 4_990,
            detail: true,
            ..Default::default()
        },
    )));
    state.apply(Update::Trace {
        id,
        trace: Ok(trace),
        store: "jaeger at http://jaeger-query:16686/".into(),
    });
    frame("trace_view_200x60_10000_spans", &state);
    if let Some(opsdeck::state::Overlay::Trace(v)) = state.ui.overlay.as_mut() {
        v.filter.set("item 97");
    }
    frame("trace_view_200x60_10000_spans_filtered", &state);
}
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
