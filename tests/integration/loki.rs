//! The Loki source against the in-repo fake Loki: tail order, resume after a drop without
//! duplicates or gaps, the polling fallback, Loki's plain-text errors, dropped entries, hostile
//! lines reaching the screen harmless, and the ring's bound.

use crate::support;
use crate::support::numbers;

use crate::support::fake_loki::{FakeLoki, Pushed};
use opsdeck::layout::Pane;
use opsdeck::net::http::Endpoint;
use opsdeck::sources::logs::loki::{self, LokiSetup};
use opsdeck::state::{Demand, Tracked};
use opsdeck::state::{Health, Intent, SourceId, State, Update};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const CANARY: &str = "5f6b8d9c7";

fn now_ns() -> i128 {
    i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

fn entry(ts_ns: i128, n: usize) -> Pushed {
    let labels: BTreeMap<String, String> = [
        ("namespace", "dev"),
        ("app", "store"),
        ("pod", "store-5f6b8d9c7-wv5mn"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Pushed {
        ts_ns,
        labels,
        line: format!(
            "2026-11-22T03:00:00.000Z ERROR 1 --- [store] [nio-8080-exec-3] [t{n}] c.e.store.ProductController : request {n} failed"
        ),
    }
}

/// `count` entries 1 ms apart, numbered from `first`, the last one `ago` before now, and
/// always after every entry made before (as a log's timestamps are).
fn entries(first: usize, count: usize, ago: Duration) -> Vec<Pushed> {
    static LAST: std::sync::Mutex<i128> = std::sync::Mutex::new(0);
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    let end = now_ns() - ago.as_nanos() as i128;
    let start = (end - count as i128 * 1_000_000).max(*last + 1);
    let out: Vec<Pushed> = (0..count)
        .map(|k| entry(start + k as i128 * 1_000_000, first + k))
        .collect();
    *last = out.last().map_or(*last, |e| e.ts_ns);
    out
}

fn setup(fake: &FakeLoki, websocket: bool) -> LokiSetup {
    LokiSetup {
        endpoint: Endpoint::direct(&fake.url(), None)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_header("X-Scope-OrgID", "dev"),
        query: opsdeck::query::logql::DEFAULT_QUERY.into(),
        backfill: Duration::from_secs(300),
        websocket,
    }
}

fn demand() -> Demand {
    Demand {
        rollouts: std::sync::Arc::new(vec![Tracked {
            namespace: "dev".into(),
            name: "store".into(),
            stable_hash: "7c9d8b6f5".into(),
            canary_hash: CANARY.into(),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

fn state(cap: usize) -> State {
    let mut ctx = support::context();
    ctx.demo = false;
    let mut s = State::new(ctx, chrono::Utc::now(), cap);
    s.set_size(200, 60);
    s
}

async fn until(
    rx: &mut mpsc::Receiver<Update>,
    s: &mut State,
    what: &str,
    done: impl Fn(&State) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(s) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.apply(u);
            }
            _ => panic!(
                "timed out waiting for {what}: {} lines, {:?}",
                s.logs.len(),
                s.source(SourceId::Logs)
            ),
        }
    }
}

#[tokio::test]
async fn the_tail_delivers_in_order_and_resumes_after_a_drop_without_duplicates_or_gaps() {
    let fake = FakeLoki::start().await;
    fake.store(entries(0, 100, Duration::from_secs(60)));
    let (tx, mut rx) = mpsc::channel(1024);
    let (_d, demand_rx) = watch::channel(demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    let mut s = state(50_000);
    until(&mut rx, &mut s, "the backfill", |s| s.logs.len() == 100).await;
    // Live lines through the websocket.
    for _ in 0..50 {
        if fake.tails_opened() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.push(entries(100, 50, Duration::ZERO));
    until(&mut rx, &mut s, "live lines", |s| s.logs.len() == 150).await;
    // The server ends the tail; lines written meanwhile come with the resumed tail.
    fake.drop_tails();
    fake.store(entries(150, 20, Duration::ZERO));
    until(&mut rx, &mut s, "the resumed tail", |s| s.logs.len() >= 170).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(u) = rx.try_recv() {
        s.apply(u);
    }
    assert_eq!(
        numbers(&s),
        (0..170).collect::<Vec<_>>(),
        "in order, once each"
    );
    let tails: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|(k, _)| k == "tail")
        .collect();
    assert!(tails.len() >= 2, "reconnected: {tails:?}");
    let last = &tails[tails.len() - 1].1;
    assert_eq!(
        last.get("query").map(String::as_str),
        Some(opsdeck::query::logql::DEFAULT_QUERY)
    );
    let resumed_from: i128 = last.get("start").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(
        resumed_from > 0,
        "resumes from the last timestamp seen: {last:?}"
    );
    // Labels and the canary's pod hash come through.
    let l = s
        .logs
        .iter()
        .next_back()
        .unwrap_or_else(|| panic!("no lines"));
    assert_eq!(
        (&*l.service, l.track),
        ("store", Some(opsdeck::model::Track::Canary))
    );
    // Dropped entries reported by the server are counted on screen.
    fake.report_dropped(7);
    until(&mut rx, &mut s, "the dropped count", |s| {
        s.logs.server_dropped == 7
    })
    .await;
    s.handle(Intent::Focus(Pane::Logs));
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("7 dropped"), "{screen}");
    task.abort();
}

fn dark() -> opsdeck::theme::Theme {
    opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn without_a_websocket_it_polls_forward_with_dedup() {
    let fake = FakeLoki::start().await;
    fake.websocket_off();
    fake.store(entries(0, 30, Duration::from_secs(30)));
    let (tx, mut rx) = mpsc::channel(1024);
    let (_d, demand_rx) = watch::channel(demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    let mut s = state(50_000);
    until(&mut rx, &mut s, "the backfill", |s| s.logs.len() == 30).await;
    fake.store(entries(30, 40, Duration::ZERO));
    until(&mut rx, &mut s, "polled lines", |s| s.logs.len() == 70).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    while let Ok(u) = rx.try_recv() {
        s.apply(u);
    }
    assert_eq!(numbers(&s), (0..70).collect::<Vec<_>>());
    let forward: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|(k, q)| {
            k == "query_range" && q.get("direction").map(String::as_str) == Some("forward")
        })
        .collect();
    assert!(!forward.is_empty(), "{:?}", fake.requests());
    assert_eq!(s.source(SourceId::Logs).health, Health::Ok);
    task.abort();
}

#[tokio::test]
async fn loki_errors_are_shown_as_the_plain_text_they_are() {
    let fake = FakeLoki::start().await;
    fake.fail(
        400,
        "parse error at line 1, col 12: syntax error: unexpected IDENTIFIER",
    );
    let (tx, mut rx) = mpsc::channel(64);
    let (_d, demand_rx) = watch::channel(demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    let mut s = state(1000);
    until(&mut rx, &mut s, "the error", |s| {
        matches!(s.source(SourceId::Logs).health, Health::Error(_))
    })
    .await;
    let Health::Error(e) = &s.source(SourceId::Logs).health else {
        unreachable!()
    };
    assert_eq!(
        e,
        "Loki answered 400: parse error at line 1, col 12: syntax error: unexpected IDENTIFIER"
    );
    fake.heal();
    fake.store(entries(0, 5, Duration::from_secs(1)));
    until(&mut rx, &mut s, "recovery", |s| s.logs.len() == 5).await;
    task.abort();
}

#[tokio::test]
async fn hostile_lines_reach_the_screen_harmless() {
    let fake = FakeLoki::start().await;
    let base = now_ns() - 5_000_000_000;
    let mut hostile = Vec::new();
    for (k, text) in support::HOSTILE.iter().enumerate() {
        let mut e = entry(base + k as i128, 0);
        e.line = (*text).to_string();
        hostile.push(e);
    }
    let mut huge = entry(base + 10, 0);
    huge.line = format!("ERROR {}", "x".repeat(10 << 20));
    hostile.push(huge);
    fake.store(hostile);
    let (tx, mut rx) = mpsc::channel(64);
    let (_d, demand_rx) = watch::channel(demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    let mut s = state(1000);
    until(&mut rx, &mut s, "the hostile lines", |s| s.logs.len() == 5).await;
    for l in s.logs.iter() {
        for text in std::iter::once(&l.message).chain(&l.stack) {
            assert!(
                !text.chars().any(|c| c.is_control()
                    || ('\u{80}'..='\u{9f}').contains(&c)
                    || c == '\u{202e}'),
                "control characters survived: {text:?}"
            );
            assert!(
                text.len() <= 64 * 1024 + 64,
                "a line is cut to 64 KiB: {}",
                text.len()
            );
        }
    }
    let huge = s
        .logs
        .iter()
        .find(|l| l.message.ends_with(opsdeck::sanitize::TRUNCATED))
        .unwrap_or_else(|| panic!("no cut marker"));
    assert!(huge.message.len() < 70 * 1024);
    // The rendered buffer holds no escape or control character in any cell.
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Zoom);
    let theme = dark();
    let keymap = opsdeck::keymap::Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60))
        .unwrap_or_else(|e| panic!("{e}"));
    term.draw(|f| {
        opsdeck::ui::draw(
            f,
            &opsdeck::ui::View {
                state: &s,
                theme: &theme,
                keymap: &keymap,
            },
        )
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let buf = term.backend().buffer().clone();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character reached a cell: {:?}",
            cell.symbol()
        );
    }
    let screen = support::render(&s, &theme, 200, 60);
    assert!(
        screen.contains("title change") && screen.contains("clipboard write"),
        "{screen}"
    );
    assert!(!screen.contains("ZWNobyBwd25lZA==\u{7}"));
    task.abort();
}

#[tokio::test]
async fn the_ring_never_exceeds_its_bound() {
    let fake = FakeLoki::start().await;
    fake.store(entries(0, 1500, Duration::from_secs(10)));
    let (tx, mut rx) = mpsc::channel(1024);
    let (_d, demand_rx) = watch::channel(demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    let mut s = state(1000);
    until(&mut rx, &mut s, "the backfill", |s| s.logs.dropped() >= 500).await;
    for _ in 0..5 {
        fake.push(entries(1500, 1000, Duration::ZERO));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(u) = rx.try_recv() {
        s.apply(u);
        assert!(s.logs.len() <= 1000);
    }
    assert_eq!(s.logs.len(), 1000);
    assert!(s.logs.dropped() >= 500, "{}", s.logs.dropped());
    task.abort();
}

#[tokio::test]
async fn narrowing_the_pane_asks_loki_for_that_service_and_track() {
    use opsdeck::model::{Level, LogLine, Rollout, Track};
    let fake = FakeLoki::start().await;
    fake.store(entries(0, 3, Duration::from_secs(5)));
    let (tx, mut rx) = mpsc::channel(64);
    let mut s = state(1000);
    s.context.log_query = opsdeck::query::logql::DEFAULT_QUERY.into();
    s.apply(Update::Rollouts(vec![Rollout {
        name: "store".into(),
        namespace: "dev".into(),
        stable_hash: "7c9d8b6f5".into(),
        canary_hash: CANARY.into(),
        ..support::rollout_template()
    }]));
    let (demand_tx, demand_rx) = watch::channel(s.demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    until(&mut rx, &mut s, "the backfill", |s| s.logs.len() == 3).await;
    // `=` on a store line: store only, then its canary.
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Narrow);
    s.handle(Intent::Narrow);
    let want = format!(
        r#"{{namespace="dev", app="store", rollouts_pod_template_hash="{CANARY}"}} |= "ERROR""#
    );
    assert_eq!(s.effective_log_query(), want);
    assert_eq!(s.logs.len(), 0, "the ring starts over with the new query");
    let _ = demand_tx.send(s.demand());
    until(&mut rx, &mut s, "the narrowed backfill", |s| {
        s.logs.len() == 3
    })
    .await;
    let asked = queries_asked(&fake);
    assert!(asked.contains(&want), "{asked:?}");
    assert!(
        s.logs
            .iter()
            .all(|l: &LogLine| l.level == Level::Error && l.track == Some(Track::Canary))
    );
    task.abort();
}

/// The LogQL queries the fake was asked, in order.
fn queries_asked(fake: &FakeLoki) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter_map(|(_, q)| q.get("query").cloned())
        .collect()
}

/// A State that knows Loki answered, with one container's log on screen.
fn pod_log_on_screen() -> (State, opsdeck::model::PodLogTarget) {
    let mut s = state(1000);
    s.apply(Update::LogStore {
        name: "loki".into(),
        query: opsdeck::query::logql::DEFAULT_QUERY.into(),
    });
    let target = opsdeck::model::PodLogTarget {
        namespace: "dev".into(),
        pod: "store-5f6b8d9c7-wv5mn".into(),
        container: "store".into(),
        previous: false,
    };
    s.ui.overlay = Some(opsdeck::state::Overlay::PodLog {
        rollout: "store".into(),
        target: target.clone(),
        containers: vec!["linkerd-proxy".into(), "store".into()],
        selected: 0,
        follow: true,
        expanded: false,
    });
    (s, target)
}

/// With Loki as the store, a pod's log view reads that container's every line through it (its
/// previous run stays the API server's, which alone has it).
#[tokio::test]
async fn a_pods_log_is_read_through_loki_narrowed_to_that_container() {
    use opsdeck::state::Overlay;
    let fake = FakeLoki::start().await;
    fake.store(entries(0, 3, Duration::from_secs(5)));
    let (tx, mut rx) = mpsc::channel(64);
    let (mut s, target) = pod_log_on_screen();
    let d = s.demand();
    assert!(d.pod_log_store, "read through the store");
    let (demand_tx, demand_rx) = watch::channel(d);
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    until(&mut rx, &mut s, "the pod's lines", |s| {
        s.pod_log(&target).is_some_and(|l| l.lines.len() == 3)
    })
    .await;
    let asked = queries_asked(&fake);
    let want = r#"{namespace="dev", pod="store-5f6b8d9c7-wv5mn", container="store"}"#;
    assert!(asked.iter().any(|q| q == want), "{asked:?}");
    // Its previous run is not in the store's words: the API server reads it.
    if let Some(Overlay::PodLog { target, .. }) = s.ui.overlay.as_mut() {
        target.previous = true;
    }
    assert!(!s.demand().pod_log_store);
    let _ = demand_tx.send(s.demand());
    task.abort();
}

/// A container quiet through the backfill says so (no lines yet), rather than "reading…".
#[tokio::test]
async fn a_quiet_containers_log_through_loki_answers_with_no_lines() {
    use opsdeck::state::Fetch;
    let fake = FakeLoki::start().await;
    let (tx, mut rx) = mpsc::channel(64);
    let (mut s, target) = pod_log_on_screen();
    let (_demand_tx, demand_rx) = watch::channel(s.demand());
    let task = loki::spawn(setup(&fake, true), demand_rx, tx);
    until(&mut rx, &mut s, "the pod log's empty answer", |s| {
        s.pod_log(&target)
            .is_some_and(|l| l.fetch == Fetch::Listed && l.lines.is_empty())
    })
    .await;
    task.abort();
}
