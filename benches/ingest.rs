//! The error-log flood (issue: ≥ 50,000 lines/s with a 30 fps redraw, a key reflected within
//! 30 ms). `ingest_50k_lines`: 50,000 Loki entries in tail frames through parse
//! (`parse_tail`), dedup (`Cursor`), `to_log_line`, sanitize and the ring (`State::apply`).
//! `ingest_50k_opensearch_lines`: the same through the OpenSearch path — `_search` answers of
//! Fluentd hits, parsed (`parse_search`), de-duplicated on (`_index`, `_id`) (`Seen`), then the
//! same line-making and ring. `flood_frame_200x60`: what one 33 ms frame does at 50,000 lines/s — apply 1,667 new lines,
//! handle a key, draw the whole screen — so its time is the worst-case key-to-screen latency.

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::keymap::Keymap;
use opsdeck::layout::Pane;
use opsdeck::sources::logs::loki::{Cursor, parse_tail};
use opsdeck::sources::logs::opensearch::wire::PAGE;
use opsdeck::sources::logs::opensearch::{Labels, Seen, parse_search};
use opsdeck::sources::logs::{Interner, to_log_line};
use opsdeck::state::{Context, Intent, State, Update};
use opsdeck::theme::Theme;
use opsdeck::ui::{self, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

/// Tail frames of 500 entries each (what Loki sends under load), `n` entries in all, with
/// stack traces joined to one line in every tenth entry and a hostile one in every hundredth.
fn frames(n: usize, t0: i128) -> Vec<String> {
    (0..n / 500)
        .map(|f| {
            let values: Vec<_> = (0..500)
                .map(|k| {
                    let i = f * 500 + k;
                    let mut line = format!(
                        "2026-11-22T03:00:00.000Z ERROR 1 --- [store] [nio-8080-exec-{}] [{i:x}-span] c.e.store.ProductController : Request processing failed: GET /products/{i}",
                        i % 200
                    );
                    if i % 10 == 0 {
                        line.push_str("\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)");
                    }
                    if i % 100 == 0 {
                        line.push_str(" \u{1b}]0;title\u{7}\u{1b}[2J");
                    }
                    json!([(t0 + i as i128).to_string(), line])
                })
                .collect();
            let pod = if f % 2 == 0 { "store-5f6b8d9c7-wv5mn" } else { "store-7c9d8b6f5-x2x9k" };
            json!({"streams": [{"stream": {"namespace": "dev", "app": "store", "pod": pod}, "values": values}]})
                .to_string()
        })
        .collect()
}

/// `_search` answers of `PAGE` (the provider's page size) Fluentd hits each (CRI `message`, the stack joined in every
/// tenth, a hostile one in every hundredth), `n` hits in all, as OpenSearch sends them.
fn search_pages(n: usize, t0_ms: i64) -> Vec<String> {
    (0..n / PAGE)
        .map(|p| {
            let hits: Vec<_> = (0..PAGE)
                .map(|k| {
                    let i = p * PAGE + k;
                    let mut line = format!(
                        "2026-11-22T03:00:00.000Z ERROR 1 --- [store] [nio-8080-exec-{}] [{i:x}-span] c.e.store.ProductController : Request processing failed: GET /products/{i}",
                        i % 200
                    );
                    if i.is_multiple_of(10) {
                        line.push_str("\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)");
                    }
                    if i.is_multiple_of(100) {
                        line.push_str(" \u{1b}]0;title\u{7}\u{1b}[2J");
                    }
                    let ms = t0_ms + i as i64;
                    let ts = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
                    let hash = if p % 2 == 0 { "5f6b8d9c7" } else { "7c9d8b6f5" };
                    json!({"_index": "logstash-2026.11.22", "_id": format!("{i:020}"), "_score": null,
                        "_source": {"@timestamp": ts.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string(),
                            "stream": "stdout", "message": line,
                            "kubernetes": {"namespace_name": "dev", "pod_name": format!("store-{hash}-wv5mn"),
                                "container_name": "store", "labels": {"app": "store", "rollouts-pod-template-hash": hash}}},
                        "sort": [ms, i]})
                })
                .collect();
            json!({"took": 12, "timed_out": false, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"max_score": null, "hits": hits}})
            .to_string()
        })
        .collect()
}

fn state() -> State {
    let ctx = Context {
        name: "bench".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        argocd_server: None,
        demo: false,
        read_only: false,
        log_query: r#"{namespace="dev"} |= "ERROR""#.into(),
        protected: false,
        user: "alice".into(),
    };
    let mut s = State::new(ctx, chrono::Utc::now(), 50_000);
    s.set_size(200, 60);
    s.handle(Intent::Focus(Pane::Logs));
    s
}

fn bench(c: &mut Criterion) {
    let fr = frames(50_000, 1_700_000_000_000_000_000);
    c.bench_function("ingest_50k_lines", |b| {
        b.iter_batched(
            state,
            |mut s| {
                let mut cursor = Cursor::default();
                let mut names = Interner::default();
                for f in &fr {
                    let (entries, _) = parse_tail(f).unwrap_or_default();
                    let fresh = cursor.admit(entries);
                    let lines = fresh
                        .iter()
                        .map(|e| to_log_line(e, &[], &mut names))
                        .collect();
                    s.apply(Update::Logs(lines));
                }
                s
            },
            criterion::BatchSize::LargeInput,
        )
    });

    let pages = search_pages(50_000, 1_700_000_000_000);
    c.bench_function("ingest_50k_opensearch_lines", |b| {
        b.iter_batched(
            state,
            |mut s| {
                let mut seen = Seen::new(200_000);
                let mut labels = Labels::default();
                let mut names = Interner::default();
                for p in &pages {
                    let answer = parse_search(p, "bench", &mut labels).unwrap_or_default();
                    let lines = seen
                        .admit(answer.hits)
                        .iter()
                        .map(|e| to_log_line(e, &[], &mut names))
                        .collect();
                    s.apply(Update::Logs(lines));
                }
                s
            },
            criterion::BatchSize::LargeInput,
        )
    });

    // A full ring, then one frame's worth of the flood, a key, and the draw.
    let mut s = state();
    let mut cursor = Cursor::default();
    let mut names = Interner::default();
    for f in &fr {
        let (entries, _) = parse_tail(f).unwrap_or_default();
        let lines = cursor
            .admit(entries)
            .iter()
            .map(|e| to_log_line(e, &[], &mut names))
            .collect();
        s.apply(Update::Logs(lines));
    }
    let per_frame: Vec<String> = frames(2_000, 1_800_000_000_000_000_000);
    let theme = Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    let mut k = 0usize;
    c.bench_function("flood_frame_200x60", |b| {
        b.iter(|| {
            // 1,667 lines: one 33 ms frame at 50,000 lines/s (frames of 500, then the rest).
            let f = &per_frame[k % per_frame.len()];
            k += 1;
            let (entries, _) = parse_tail(f).unwrap_or_default();
            let mut lines: Vec<_> = entries
                .iter()
                .map(|e| to_log_line(e, &[], &mut names))
                .collect();
            while lines.len() < 1_667 {
                let more = lines[..(1_667 - lines.len()).min(lines.len())].to_vec();
                lines.extend(more);
            }
            s.apply(Update::Logs(lines));
            s.handle(Intent::Up);
            term.draw(|f| {
                ui::draw(
                    f,
                    &View {
                        state: &s,
                        theme: &theme,
                        keymap: &keymap,
                    },
                )
            })
            .map(|_| ())
            .unwrap_or_default();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
