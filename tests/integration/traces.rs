//! Trace stores against the fake (`support/fake_traces.rs`): a trace by id from Jaeger v1,
//! Jaeger v3 and Tempo, told apart by `auto`; the worst-trace searches' exact requests and
//! their canary/stable split; a refused token, a dead store, a trace still arriving.

use crate::support::fake_traces::{
    FakeTraces, JAEGER_TRACE, Speaks, TEMPO_SEARCH, TEMPO_TRACE, V3_TRACE,
};
use opsdeck::model::Track;
use opsdeck::model::trace::{TraceMiss, TraceSearch};
use opsdeck::net::http::Endpoint;
use opsdeck::sources::traces::{Api, TracePlan, TraceStore};
use opsdeck::state::{Demand, Update};
use std::sync::Arc;
use std::time::Duration;

const JAEGER_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TEMPO_ID: &str = "0000000000000000d6e0c3b1a2f4e5d7";

fn store(fake: &FakeTraces, api: Option<Api>) -> TraceStore {
    TraceStore::new(
        Endpoint::direct(&fake.url(), None).unwrap_or_else(|e| panic!("{e}")),
        api,
    )
}

fn paths(fake: &FakeTraces) -> Vec<String> {
    fake.requests().into_iter().map(|r| r.path).collect()
}

fn ask(service: &str, min_ms: u32) -> TraceSearch {
    TraceSearch {
        namespace: "dev".into(),
        service: service.into(),
        canary_hash: "6d8f9c7b5".into(),
        stable_hash: "5c7d8e9f1".into(),
        canary_version: "1.5.1".into(),
        stable_version: "1.4.2".into(),
        window_secs: 900,
        min_duration_ms: min_ms,
    }
}

fn query_value(q: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn jaeger_v1_by_id_is_told_by_its_shape_and_builds_the_tree() {
    let fake = FakeTraces::start(Speaks::Jaeger).await;
    fake.add(JAEGER_ID, JAEGER_TRACE);
    let s = store(&fake, None);
    // A 64-bit id as a log writes it: left-padded to the stored 32 digits.
    let t = s.fetch(JAEGER_ID).await.expect("trace");
    assert_eq!(s.api(), Some(Api::Jaeger));
    assert_eq!(
        paths(&fake),
        [format!("/api/traces/{JAEGER_ID}")],
        "one request"
    );
    assert_eq!(t.spans.len(), 6);
    assert_eq!(t.orphans, 0);
    let rows: Vec<(usize, &str, bool)> = t
        .rows
        .iter()
        .map(|r| {
            let sp = &t.spans[r.span.unwrap_or(0)];
            (r.depth, sp.name.as_str(), r.critical)
        })
        .collect();
    assert_eq!(
        rows,
        [
            (0, "GET /api/store/products", true),
            (1, "HTTP GET", true),
            (2, "GET /products/{id}", true),
            // The query, then the mapping that threw: one after the other, both on the path.
            (3, "SELECT catalog.products", true),
            (3, "PriceMapper.toDto", true),
            // FOLLOWS_FROM sits under its parent, after it ended: off the critical path.
            (3, "audit publish", false),
        ]
    );
    assert_eq!(t.errors(), 4, "error=true and the 500 status codes");
    let server = &t.spans[t.rows[2].span.unwrap_or(0)];
    assert!(
        server
            .resource
            .contains(&("k8s.pod.name".into(), "store-6d8f9c7b5-x2x9k".into())),
        "{:?}",
        server.resource
    );
    assert!(server.events[0].1.contains("Product price is null"));
    // Remembered: the next read goes straight to Jaeger's path; a miss is Jaeger's 404.
    let miss = s.fetch("00000000000000000000000000000bad").await;
    assert!(
        matches!(&miss, Err(TraceMiss::NotFound(m)) if m.contains("jaeger has no trace")),
        "{miss:?}"
    );
    assert_eq!(paths(&fake).len(), 2);
}

#[tokio::test]
async fn jaeger_v3_is_found_after_the_v1_path_and_reads_base64_ids() {
    let fake = FakeTraces::start(Speaks::JaegerV3).await;
    fake.add(JAEGER_ID, V3_TRACE);
    let s = store(&fake, None);
    let t = s.fetch(JAEGER_ID).await.expect("trace");
    assert_eq!(
        paths(&fake),
        [
            format!("/api/traces/{JAEGER_ID}"),
            format!("/api/v3/traces/{JAEGER_ID}")
        ]
    );
    assert_eq!(s.api(), Some(Api::JaegerV3));
    assert_eq!(t.trace_id, JAEGER_ID, "base64 ids read as hex");
    assert_eq!(t.rows.len(), 2);
    let root = &t.spans[t.rows[0].span.unwrap_or(0)];
    assert_eq!(
        (root.service.as_str(), root.span_id.as_str()),
        ("api-gateway", "00f067aa0ba902b7")
    );
    assert!(root.error, "status code 2 and a 503");
    let db = &t.spans[t.rows[1].span.unwrap_or(0)];
    assert_eq!(db.service, "auth-service");
    assert!(
        db.events.iter().any(|e| e.1.contains("too many clients")),
        "{:?}",
        db.events
    );
    // Its 404 body: not found, in its words.
    let miss = s.fetch("00000000000000000000000000000bad").await;
    assert!(
        matches!(&miss, Err(TraceMiss::NotFound(m)) if m.contains("jaeger-v3")),
        "{miss:?}"
    );
    assert_eq!(
        paths(&fake).last().map(String::as_str),
        Some("/api/v3/traces/00000000000000000000000000000bad")
    );
}

#[tokio::test]
async fn tempo_answers_batches_and_an_unknown_id_is_not_found_not_an_error() {
    let fake = FakeTraces::start(Speaks::Tempo).await;
    fake.add(TEMPO_ID, TEMPO_TRACE);
    // `--traces-api tempo`: no probing.
    let s = store(&fake, Some(Api::Tempo));
    let t = s.fetch(TEMPO_ID).await.expect("trace");
    assert_eq!(paths(&fake), [format!("/api/traces/{TEMPO_ID}")]);
    let root = &t.spans[t.rows[0].span.unwrap_or(0)];
    assert!(root.error, "STATUS_CODE_ERROR");
    assert_eq!(t.duration_us(), 90_000);
    assert!(matches!(
        s.fetch("00000000000000000000000000000bad").await,
        Err(TraceMiss::NotFound(_))
    ));
    // Auto on Tempo: its plain-text 404, then no v3 either: not found, in Tempo's words.
    let auto = store(&fake, None);
    let miss = auto.fetch("00000000000000000000000000000bad").await;
    assert!(
        matches!(&miss, Err(TraceMiss::NotFound(m)) if m.contains("trace not found")),
        "{miss:?}"
    );
    assert_eq!(auto.fetch(TEMPO_ID).await.map(|t| t.spans.len()), Ok(2));
    assert_eq!(auto.api(), Some(Api::Tempo));
}

#[tokio::test]
async fn the_worst_traces_are_searched_in_each_stores_words_and_split_by_track() {
    let now = 1_764_583_500_000_000_i64;
    // Tempo: TraceQL for errors, then for the slow, selecting the pod and version.
    let tempo = FakeTraces::start(Speaks::Tempo).await;
    tempo.search_answers(TEMPO_SEARCH);
    let hits = store(&tempo, None)
        .search(&ask("store", 200), now)
        .await
        .expect("hits");
    let seen = tempo.requests();
    assert_eq!(
        [seen[0].path.as_str(), seen[1].path.as_str()],
        ["/api/services", "/api/echo"],
        "what it speaks: not Jaeger, Tempo"
    );
    let queries: Vec<String> = seen[2..]
        .iter()
        .map(|r| query_value(&r.query, "q").unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            r#"{ resource.service.name = "store" && status = error } | select(resource.k8s.pod.name, resource.service.version)"#,
            r#"{ resource.service.name = "store" && duration > 200ms } | select(resource.k8s.pod.name, resource.service.version)"#,
        ]
    );
    assert_eq!(
        query_value(&seen[2].query, "start").as_deref(),
        Some("1764582600")
    );
    assert_eq!(
        query_value(&seen[2].query, "end").as_deref(),
        Some("1764583500")
    );
    let split: Vec<(Option<Track>, bool, i64, &str)> = hits
        .iter()
        .map(|h| (h.track, h.error, h.duration_us, h.trace_id.as_str()))
        .collect();
    assert_eq!(
        split,
        [
            (
                Some(Track::Canary),
                true,
                412_000,
                "007a1d2dd4deaf177e0acf55b3c49032"
            ),
            (
                Some(Track::Stable),
                true,
                96_000,
                "022443871f86fec5bde2e940067b0d48"
            ),
        ]
    );

    // Jaeger: its service's name first, then tags for the errors and minDuration for the slow.
    let jaeger = FakeTraces::start(Speaks::Jaeger).await;
    jaeger.services(&["gateway", "store.dev"]);
    jaeger.search_answers(JAEGER_TRACE);
    let hits = store(&jaeger, Some(Api::Jaeger))
        .search(&ask("store", 200), now)
        .await
        .expect("hits");
    let seen = jaeger.requests();
    assert_eq!(
        seen.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        ["/api/services", "/api/traces", "/api/traces"]
    );
    assert_eq!(
        query_value(&seen[1].query, "service").as_deref(),
        Some("store.dev"),
        "Istio's name"
    );
    assert_eq!(
        query_value(&seen[1].query, "tags").as_deref(),
        Some(r#"{"error":"true"}"#)
    );
    assert_eq!(
        query_value(&seen[2].query, "minDuration").as_deref(),
        Some("200ms")
    );
    assert_eq!(
        query_value(&seen[2].query, "start").as_deref(),
        Some("1764582600000000")
    );
    assert_eq!(hits.len(), 1, "the same trace twice is one hit");
    assert_eq!(hits[0].root, "gateway: GET /api/store/products");
    assert_eq!(hits[0].track, Some(Track::Canary), "{:?}", hits[0]);
    assert!(hits[0].error);

    // Jaeger v3: one search, its traces grouped from one resourceSpans list.
    let v3 = FakeTraces::start(Speaks::JaegerV3).await;
    v3.search_answers(V3_TRACE);
    let mut a = ask("auth-service", 0);
    a.canary_version = "0.9.4".into();
    let hits = store(&v3, Some(Api::JaegerV3))
        .search(&a, now)
        .await
        .expect("hits");
    let seen = v3.requests();
    assert_eq!(seen.len(), 2, "the failing, then the slow");
    assert_eq!(
        query_value(&seen[0].query, "query.attributes").as_deref(),
        Some(r#"{"error":"true"}"#)
    );
    assert_eq!(query_value(&seen[1].query, "query.attributes"), None);
    assert_eq!(
        query_value(&seen[0].query, "query.service_name").as_deref(),
        Some("auth-service")
    );
    assert_eq!(
        query_value(&seen[0].query, "query.start_time_min").as_deref(),
        Some("2025-12-01T09:50:00Z")
    );
    assert_eq!(
        query_value(&seen[1].query, "query.duration_min"),
        None,
        "no p95 yet"
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].track,
        Some(Track::Canary),
        "by its version: {:?}",
        hits[0]
    );
}

#[tokio::test]
async fn a_refused_token_and_a_dead_store_say_what_to_do() {
    let fake = FakeTraces::start(Speaks::Jaeger).await;
    fake.add(JAEGER_ID, JAEGER_TRACE);
    fake.require_token("s3cret");
    let miss = store(&fake, Some(Api::Jaeger)).fetch(JAEGER_ID).await;
    assert!(
        matches!(&miss, Err(TraceMiss::Failed(m)) if m.contains("refused") && m.contains("OPSDECK_TRACES_TOKEN")),
        "{miss:?}"
    );
    let with = TraceStore::new(
        Endpoint::direct(&fake.url(), Some("s3cret".into())).unwrap_or_else(|e| panic!("{e}")),
        Some(Api::Jaeger),
    );
    assert!(with.fetch(JAEGER_ID).await.is_ok());
    assert_eq!(
        fake.requests()
            .last()
            .and_then(|r| r.header("authorization").map(str::to_string)),
        Some("Bearer s3cret".into())
    );
    // Nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().map(|a| a.port()).unwrap_or(9)
    };
    let dead = TraceStore::new(
        Endpoint::direct(&format!("http://127.0.0.1:{port}/"), None)
            .unwrap_or_else(|e| panic!("{e}")),
        None,
    );
    let miss = dead.fetch(JAEGER_ID).await;
    assert!(
        matches!(&miss, Err(TraceMiss::Failed(m)) if m.contains("not answering")),
        "{miss:?}"
    );
    // A 500 with a hostile body: said, cleaned, never a trace.
    fake.fail(500, "boom \u{1b}[31m");
    let miss = with.fetch(JAEGER_ID).await;
    assert!(matches!(&miss, Err(TraceMiss::Failed(_))), "{miss:?}");
}

async fn next_trace(
    rx: &mut tokio::sync::mpsc::Receiver<Update>,
) -> (Result<opsdeck::model::trace::Trace, TraceMiss>, String) {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(Update::Trace { trace, store, .. })) => (trace, store),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_source_reads_the_trace_on_screen_and_again_while_its_spans_arrive() {
    let fake = FakeTraces::start(Speaks::Jaeger).await;
    // The root has not arrived: its child names a parent the store does not have yet.
    let partial = JAEGER_TRACE.replacen(
        r#"{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7""#,
        r#"{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"ffffffffffffffff""#,
        1,
    );
    fake.add(JAEGER_ID, &partial);
    let (dtx, drx) = tokio::sync::watch::channel(Demand::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let plan = TracePlan::Store(Arc::new(store(&fake, Some(Api::Jaeger))));
    let task = opsdeck::sources::traces::spawn(plan, drx, tx);
    dtx.send_modify(|d| d.trace = Some(JAEGER_ID.into()));
    let (first, store_name) = next_trace(&mut rx).await;
    let first = first.expect("trace");
    assert_eq!(first.orphans, 1, "the server span waits for its parent");
    assert!(
        first
            .rows
            .iter()
            .any(|r| r.span.is_none() && r.missing == "00f067aa0ba902b7")
    );
    assert!(store_name.starts_with("jaeger at http://"), "{store_name}");
    // The rest arrives; the next read has it whole.
    fake.add(JAEGER_ID, JAEGER_TRACE);
    let (second, _) = next_trace(&mut rx).await;
    assert_eq!(second.expect("trace").orphans, 0);
    let reads = paths(&fake).len();
    // Whole: no more reads while it stays on screen.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    assert_eq!(paths(&fake).len(), reads);
    task.abort();
}

#[tokio::test]
async fn found_through_the_api_server_under_istios_jaeger_base_path() {
    use crate::support::fake_kube::{FakeKube, Proxy};
    let fake = FakeTraces::start_under(Speaks::Jaeger, "/jaeger").await;
    fake.add(JAEGER_ID, JAEGER_TRACE);
    let kube = FakeKube::start().await;
    kube.proxy("istio-system/tracing:80", Proxy::To(fake.origin()));
    let headers = [("X-Scope-OrgID".to_string(), "team-a".to_string())];
    let s =
        opsdeck::sources::traces::discover(&kube.client(), None, Duration::from_secs(5), &headers)
            .await
            .expect("found");
    assert!(
        s.describe().contains("istio-system/tracing:80") && s.describe().ends_with("jaeger/"),
        "{}",
        s.describe()
    );
    let t = s.fetch(JAEGER_ID).await.expect("trace");
    assert_eq!(t.spans.len(), 6);
    let seen = fake.requests();
    assert_eq!(
        seen.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        [
            "/api/services",
            "/api/echo",
            "/jaeger/api/services",
            &format!("/jaeger/api/traces/{JAEGER_ID}"),
        ]
    );
    assert!(
        seen.iter()
            .all(|r| r.header("x-scope-orgid") == Some("team-a"))
    );
}

#[tokio::test]
async fn with_no_store_anywhere_the_view_is_told_where_it_looked() {
    use crate::support::fake_kube::FakeKube;
    let kube = FakeKube::start().await;
    let (dtx, drx) = tokio::sync::watch::channel(Demand::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let plan = TracePlan::Discover {
        kube: kube.client(),
        api: None,
        timeout: Duration::from_secs(2),
        headers: Vec::new(),
    };
    let task = opsdeck::sources::traces::spawn(plan, drx, tx);
    // Nothing asked: nothing looked for.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(kube.requests().is_empty(), "{:?}", kube.requests());
    dtx.send_modify(|d| d.trace = Some(JAEGER_ID.into()));
    match next_trace(&mut rx).await {
        (Err(TraceMiss::NoStore(why)), _) => {
            assert!(
                why.contains("istio-system/tracing:80") && why.contains("--traces URL"),
                "{why}"
            )
        }
        other => panic!("{other:?}"),
    }
    task.abort();
}
