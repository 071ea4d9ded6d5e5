//! The OpenSearch / Elasticsearch log store against the in-repo fake (PROTOCOLS §10), fed
//! with Fluentd documents in both real shapes (docker json-file `log`, CRI `message`): the
//! exact `_search` bodies, the backfill then the tail without gaps or duplicates across a full
//! page and a late-indexed document, narrowing by pod-template hash, the version in the source
//! health, index resolution with the `fluentd` fallback, errors worded with the lines kept,
//! SigV4 headers, hostile lines, and no polling while the logs are hidden.

use crate::support;
use crate::support::fake_opensearch::{Doc, ELASTIC_ROOT, FakeOpenSearch, OPENSEARCH_ROOT};
use crate::support::numbers;
use crate::support::promgen::until;
use opsdeck::layout::Pane;
use opsdeck::model::{Level, Rollout, Track};
use opsdeck::net::http::Endpoint;
use opsdeck::query::opensearch::{LogIntent, compact};
use opsdeck::sources::logs::opensearch::{self, OpenSearchSetup, SigV4Choice};
use opsdeck::state::{Demand, Health, Intent, SourceId, State, Tracked, Update};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const DOCKER: &str = include_str!("../fixtures/opensearch/fluentd-docker-json.json");
const CRI: &str = include_str!("../fixtures/opensearch/fluentd-cri.json");
const CANARY: &str = "6d9f7c8b54";
const STABLE: &str = "7c4b9d6f5";
const QUERY: &str = r#"{namespace="shop-api"} |= "ERROR""#;

fn now_ns() -> i128 {
    i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

fn rfc3339(ns: i128) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ns as i64)
        .format("%Y-%m-%dT%H:%M:%S%.9f%:z")
        .to_string()
}

/// Document `n` at `ts_ns`: even ones in docker's shape (`log`), odd ones in CRI's
/// (`message`), from the canary's pods or the stable ones, in the day's logstash index.
fn doc(n: usize, ts_ns: i128, canary: bool) -> Doc {
    let mut src: Value = serde_json::from_str(if n.is_multiple_of(2) { DOCKER } else { CRI })
        .unwrap_or_else(|e| panic!("{e}"));
    let line = format!(
        "2026-12-01T03:12:09.481Z ERROR 1 --- [goods] [http-nio-8080-exec-7] [{n:032x}-{n:016x}] c.s.goods.display.GoodsDisplayController : request {n} failed"
    );
    if n.is_multiple_of(2) {
        src["log"] = json!(format!("{line}\n"));
    } else {
        src["message"] = json!(line);
    }
    let hash = if canary { CANARY } else { STABLE };
    src["kubernetes"]["pod_name"] = json!(format!("goods-{hash}-x2x9k"));
    src["kubernetes"]["labels"]["rollouts-pod-template-hash"] = json!(hash);
    src["@timestamp"] = json!(rfc3339(ts_ns));
    let day = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ts_ns as i64);
    Doc {
        index: day.format("logstash-%Y.%m.%d").to_string(),
        id: format!("id-{n}"),
        source: src,
    }
}

/// `count` documents 1 ms apart numbered from `first`, the last `ago` before now.
fn docs(first: usize, count: usize, ago: Duration, canary: bool) -> Vec<Doc> {
    let end = now_ns() - ago.as_nanos() as i128;
    (0..count)
        .map(|k| doc(first + k, end - (count - k) as i128 * 1_000_000, canary))
        .collect()
}

fn clause() -> String {
    compact(
        &LogIntent::from_logql(QUERY)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_query(),
    )
}

fn setup(fake: &FakeOpenSearch) -> OpenSearchSetup {
    let e = Endpoint::direct(&fake.url(), None).unwrap_or_else(|e| panic!("{e}"));
    setup_with(e)
}

fn setup_with(e: Endpoint) -> OpenSearchSetup {
    let mut s = OpenSearchSetup::new(Arc::new(e), clause());
    s.poll_every = Duration::from_millis(100);
    s.page = 20;
    s
}

fn demand(logs: bool) -> Demand {
    Demand {
        logs,
        rollouts: Arc::new(vec![Tracked {
            namespace: "shop-api".into(),
            name: "goods".into(),
            stable_hash: STABLE.into(),
            canary_hash: CANARY.into(),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

fn state() -> State {
    let mut ctx = support::context();
    ctx.demo = false;
    ctx.log_query = opsdeck::query::LogQuery::opensearch(clause());
    let mut s = State::new(ctx, chrono::Utc::now(), 50_000);
    s.set_size(200, 60);
    s
}

async fn settle(rx: &mut mpsc::Receiver<Update>, s: &mut State, ms: u64) {
    let end = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(u)) = tokio::time::timeout_at(end, rx.recv()).await {
        s.apply(u);
    }
}

/// The body with its time bound taken out (checked to be `ago` before now), for comparing.
fn without_range(mut body: Value, ago: Duration) -> Value {
    let filter = &mut body["query"]["bool"]["filter"];
    let gte = filter[1]["range"]["@timestamp"]["gte"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or_else(|| panic!("no range in {filter}"));
    let want = now_ns() - ago.as_nanos() as i128;
    assert!(
        (i128::from(gte) - want).abs() < 30_000_000_000,
        "the range starts {ago:?} back: {gte} vs {want}"
    );
    filter[1]["range"]["@timestamp"]["gte"] = json!("…");
    body
}

#[tokio::test]
async fn the_tail_backfills_then_follows_without_gaps_or_duplicates() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    fake.index(docs(0, 15, Duration::from_secs(60), true));
    let today = chrono::Utc::now();
    let yesterday = today - chrono::Duration::days(1);
    // Older daily indices are not searched.
    fake.also_has(&format!("logstash-{}", yesterday.format("%Y.%m.%d")));
    fake.also_has("logstash-2026.01.01");
    let (tx, mut rx) = mpsc::channel(1024);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the backfill", |s| s.logs.len() == 15).await;
    assert_eq!(s.log_store, "opensearch 2.11.0");
    // The exact first search: the pane's clause, the window, newest first, Fluentd's fields.
    let first = fake.searches()[0].clone();
    assert_eq!(
        first.path,
        format!(
            "/logstash-{},logstash-{}/_search",
            today.format("%Y.%m.%d"),
            yesterday.format("%Y.%m.%d")
        ),
        "today's and yesterday's daily indices"
    );
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(
        without_range(first.body, Duration::from_secs(300)),
        json!({
            "size": 20,
            "sort": [{"@timestamp": {"order": "desc", "unmapped_type": "date"}}, {"_doc": {"order": "desc"}}],
            "track_total_hits": false,
            "_source": ["@timestamp", "log", "message", "stream", "level",
                "kubernetes.namespace_name", "kubernetes.pod_name", "kubernetes.container_name",
                "kubernetes.labels"],
            "query": {"bool": {"filter": [
                {"bool": {
                    "filter": [{"term": {"kubernetes.namespace_name.keyword": "shop-api"}}],
                    "must": [{"multi_match": {"query": "ERROR", "type": "phrase", "fields": ["log", "message"]}}]
                }},
                {"range": {"@timestamp": {"gte": "…", "format": "strict_date_optional_time_nanos"}}}
            ]}}
        })
    );
    // 45 new lines at once: the poll pages through them 20 at a time with search_after.
    fake.index(docs(15, 45, Duration::ZERO, true));
    until(&mut rx, &mut s, 20, "the full pages", |s| {
        s.logs.len() == 60
    })
    .await;
    let polls: Vec<Value> = fake
        .searches()
        .into_iter()
        .skip(1)
        .map(|r| r.body)
        .collect();
    let paged = polls
        .windows(2)
        .find(|w| w[1]["search_after"].is_array())
        .unwrap_or_else(|| panic!("no page asked with search_after: {polls:?}"));
    assert_eq!(paged[0]["sort"][0]["@timestamp"]["order"], "asc");
    assert_eq!(paged[1]["search_after"].as_array().map(Vec::len), Some(2));
    // A line indexed late (its @timestamp behind the newest seen, within the look-back).
    fake.index(docs(60, 1, Duration::from_secs(3), false));
    until(&mut rx, &mut s, 20, "the late line", |s| s.logs.len() == 61).await;
    settle(&mut rx, &mut s, 600).await;
    let mut want: Vec<usize> = (0..60).collect();
    // Its place is by time: 3 s back is before the 45 that came together just now.
    want.insert(15, 60);
    assert_eq!(numbers(&s), want, "in time order, once each");
    // Both document shapes read, with the canary's pods told apart from the stable one.
    let tracks: Vec<Option<Track>> = s.logs.iter().map(|l| l.track).collect();
    assert_eq!(
        tracks.iter().filter(|t| **t == Some(Track::Canary)).count(),
        60
    );
    assert_eq!(
        s.logs
            .iter()
            .filter(|l| l.track == Some(Track::Stable))
            .count(),
        1
    );
    let l = s.logs.get(0).unwrap_or_else(|| panic!("no line"));
    assert_eq!(
        (&*l.service, l.level, &*l.thread),
        ("goods", Level::Error, "http-nio-8080-exec-7")
    );
    assert_eq!(s.source(SourceId::Logs).health, Health::Ok);
    task.abort();
}

#[tokio::test]
async fn narrowing_asks_for_the_service_and_the_tracks_pod_template_hash() {
    let fake = FakeOpenSearch::start(ELASTIC_ROOT).await;
    let mut mixed = docs(0, 4, Duration::from_secs(20), true);
    mixed.extend(docs(4, 4, Duration::from_secs(10), false));
    fake.index(mixed);
    let (tx, mut rx) = mpsc::channel(256);
    let mut s = state();
    s.apply(Update::Rollouts(vec![Rollout {
        name: "goods".into(),
        namespace: "shop-api".into(),
        stable_hash: STABLE.into(),
        canary_hash: CANARY.into(),
        ..support::rollout_template()
    }]));
    s.handle(Intent::Focus(Pane::Logs));
    let (demand_tx, demand_rx) = watch::channel(s.demand());
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    until(&mut rx, &mut s, 20, "the backfill", |s| s.logs.len() == 8).await;
    assert_eq!(s.log_store, "elasticsearch 8.13.4");
    // `=` twice on a canary line: goods, then its canary's pods.
    let canary_line = s
        .logs
        .iter()
        .position(|l| l.track == Some(Track::Canary))
        .unwrap_or(0);
    s.ui.lists[Pane::Logs].selected = canary_line;
    s.ui.logs.follow = false;
    s.handle(Intent::Narrow);
    s.handle(Intent::Narrow);
    let q: Value = serde_json::from_str(&s.effective_log_query()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        q["bool"]["filter"][0],
        json!({"term": {"kubernetes.labels.rollouts-pod-template-hash.keyword": CANARY}}),
        "{q}"
    );
    let _ = demand_tx.send(s.demand());
    until(&mut rx, &mut s, 20, "the narrowed backfill", |s| {
        s.logs.len() == 4
    })
    .await;
    let last = fake.searches().pop().unwrap_or_else(|| panic!("no search"));
    assert_eq!(
        last.body["query"]["bool"]["filter"][0], q,
        "the pane's query is what is sent"
    );
    assert!(s.logs.iter().all(|l| l.track == Some(Track::Canary)));
    task.abort();
}

#[tokio::test]
async fn errors_are_worded_and_the_lines_stay_on_screen() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    fake.index(docs(0, 5, Duration::from_secs(30), true));
    let e = Endpoint::direct(&fake.url(), None)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_basic("fluent", "secret");
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup_with(e), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the backfill", |s| s.logs.len() == 5).await;
    let error = |s: &State| match &s.source(SourceId::Logs).health {
        Health::Error(e) => e.clone(),
        _ => String::new(),
    };
    let cases: [(u16, &str, &str, &str); 3] = [
        (
            401,
            "application/json",
            include_str!("../fixtures/opensearch/error-401.json"),
            "refused basic auth as fluent (401: security_exception: unable to authenticate user [fluent]",
        ),
        (
            429,
            "application/json",
            include_str!("../fixtures/opensearch/error-429.json"),
            "is overloaded (429: es_rejected_execution_exception: rejected execution of coordinating operation",
        ),
        (
            502,
            "text/html",
            include_str!("../fixtures/opensearch/proxy-502.html"),
            "answered 502 with an HTML page (502 Bad Gateway), not OpenSearch",
        ),
    ];
    for (status, ct, body, want) in cases {
        fake.fail(status, ct, body);
        until(&mut rx, &mut s, 30, want, |s| error(s).contains(want)).await;
        assert!(error(&s).contains("trying again in"), "{}", error(&s));
        assert_eq!(s.logs.len(), 5, "the lines stay");
        let screen = support::render(
            &s,
            &opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}")),
            200,
            60,
        );
        assert!(screen.contains("request 4 failed"), "{screen}");
        fake.heal();
        until(&mut rx, &mut s, 40, "recovery", |s| {
            s.source(SourceId::Logs).health == Health::Ok
        })
        .await;
    }
    // The credential went as basic auth.
    let auth = fake.searches()[0]
        .header("authorization")
        .map(str::to_string);
    assert_eq!(auth.as_deref(), Some("Basic Zmx1ZW50OnNlY3JldA=="));
    // Failed shards: what came back is shown, and said to be partial.
    fake.partial(1, 3);
    fake.index(docs(5, 2, Duration::ZERO, true));
    until(&mut rx, &mut s, 20, "the partial answer", |s| {
        s.logs.len() == 7 && error(s).contains("1 of 3 shards failed")
    })
    .await;
    assert!(
        error(&s).contains("logstash-2026.11.30: failed to create query"),
        "{}",
        error(&s)
    );
    assert!(error(&s).contains("showing what came back"));
    task.abort();
}

#[tokio::test]
async fn the_index_falls_back_to_fluentd_and_says_when_nothing_matches() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the missing index", |s| {
        matches!(&s.source(SourceId::Logs).health, Health::Error(e) if e.contains("no index matches logstash-* or fluentd"))
    })
    .await;
    assert!(
        fake.searches().is_empty(),
        "nothing is searched without an index"
    );
    task.abort();
    // Fluentd without logstash_format writes to `fluentd`.
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    let mut d = docs(0, 3, Duration::from_secs(5), true);
    for x in &mut d {
        x.index = "fluentd".into();
    }
    fake.index(d);
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the fluentd index", |s| {
        s.logs.len() == 3
    })
    .await;
    assert_eq!(fake.searches()[0].path, "/fluentd/_search");
    task.abort();
}

#[tokio::test]
async fn requests_to_an_aws_domain_are_signed_with_sigv4() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    fake.index(docs(0, 2, Duration::from_secs(5), true));
    let env = |k: &str| match k {
        "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string()),
        "AWS_SESSION_TOKEN" => Some("session-token".to_string()),
        "AWS_REGION" => Some("ap-northeast-2".to_string()),
        _ => None,
    };
    let e = opensearch::endpoint(&fake.url(), &env, SigV4Choice::On, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        e.credential()
            .contains("AWS SigV4 with AKIDEXAMPLE from AWS_ACCESS_KEY_ID (es in ap-northeast-2)")
    );
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup_with(e), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the signed backfill", |s| {
        s.logs.len() == 2
    })
    .await;
    let r = fake.searches()[0].clone();
    let auth = r
        .header("authorization")
        .unwrap_or_else(|| panic!("unsigned: {r:?}"));
    let date = r.header("x-amz-date").unwrap_or("");
    assert_eq!(date.len(), 16, "{date}");
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/ap-northeast-2/es/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        , &date[..8])),
        "{auth}"
    );
    assert_eq!(r.header("x-amz-security-token"), Some("session-token"));
    // No region anywhere: a clear refusal, not an unsigned request.
    let none = |k: &str| env(k).filter(|_| k != "AWS_REGION");
    let err = opensearch::endpoint(&fake.url(), &none, SigV4Choice::On, Duration::from_secs(5))
        .err()
        .unwrap_or_default();
    assert!(err.contains("SigV4 needs a region"), "{err}");
    task.abort();
}

#[tokio::test]
async fn hostile_lines_reach_the_screen_harmless() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    let base = now_ns() - 5_000_000_000;
    let mut hostile = Vec::new();
    for (k, text) in support::HOSTILE.iter().enumerate() {
        let mut d = doc(2 * k, base + k as i128 * 1_000_000, true);
        d.source["log"] = json!(text);
        hostile.push(d);
    }
    let mut huge = doc(100, base + 10_000_000, true);
    huge.source["log"] = json!(format!("ERROR {}", "x".repeat(10 << 20)));
    hostile.push(huge);
    fake.index(hostile);
    let (tx, mut rx) = mpsc::channel(64);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 30, "the hostile lines", |s| {
        s.logs.len() == 5
    })
    .await;
    for l in s.logs.iter() {
        assert!(
            !l.message
                .chars()
                .any(|c| c.is_control() || ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'),
            "control characters survived: {:?}",
            l.message
        );
        assert!(
            l.message.len() <= 64 * 1024 + 64,
            "cut to 64 KiB: {}",
            l.message.len()
        );
    }
    s.handle(Intent::Focus(Pane::Logs));
    let screen = support::render(
        &s,
        &opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}")),
        200,
        60,
    );
    assert!(
        screen.contains("title change") && screen.contains("clipboard write"),
        "{screen}"
    );
    task.abort();
}

#[tokio::test]
async fn nothing_is_polled_while_the_logs_are_hidden() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    fake.index(docs(0, 3, Duration::from_secs(5), true));
    let (tx, mut rx) = mpsc::channel(256);
    let (demand_tx, demand_rx) = watch::channel(demand(false));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    settle(&mut rx, &mut s, 800).await;
    assert!(fake.searches().is_empty(), "searched while hidden");
    assert_eq!(
        s.log_store, "opensearch 2.11.0",
        "the version is read at once"
    );
    let _ = demand_tx.send(demand(true));
    until(&mut rx, &mut s, 20, "the backfill once shown", |s| {
        s.logs.len() == 3
    })
    .await;
    let _ = demand_tx.send(demand(false));
    settle(&mut rx, &mut s, 300).await;
    let before = fake.searches().len();
    settle(&mut rx, &mut s, 800).await;
    assert_eq!(
        fake.searches().len(),
        before,
        "polling stopped when hidden again"
    );
    task.abort();
}

#[tokio::test]
async fn without_loki_auto_finds_elasticsearch_through_the_api_server() {
    use crate::support::fake_kube::{FakeKube, Proxy};
    use opsdeck::net::http::ServiceRef;
    use opsdeck::sources::logs::choose::{self, LogPlan};
    use opsdeck::sources::logs::loki::LokiSetup;
    let es = FakeOpenSearch::start(ELASTIC_ROOT).await;
    es.index(docs(0, 3, Duration::from_secs(5), true));
    let kube = FakeKube::start().await;
    kube.proxy(
        "elastic-system/elasticsearch-master:9200",
        Proxy::To(es.url()),
    );
    let client = kube.client();
    let loki = LokiSetup {
        endpoint: Endpoint::service(
            client.clone(),
            ServiceRef::new("monitoring", "loki", "3100"),
        ),
        query: QUERY.into(),
        backfill: Duration::from_secs(300),
        websocket: true,
    };
    let plan = LogPlan::Discover {
        loki: Some(loki),
        opensearch: Box::new(|e| Ok(setup_with(e))),
        kube: client,
        timeout: Duration::from_secs(5),
    };
    let (tx, mut rx) = mpsc::channel(256);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = choose::spawn(plan, demand_rx, tx);
    let mut s = state();
    s.context.log_query = QUERY.into();
    until(
        &mut rx,
        &mut s,
        30,
        "lines from the Elasticsearch found",
        |s| s.logs.len() == 3,
    )
    .await;
    assert_eq!(s.log_store, "elasticsearch 8.13.4");
    assert_eq!(
        s.context.log_query.dialect,
        opsdeck::query::LogDialect::OpenSearch
    );
    // Loki was asked first, then the usual names in order until one answered as Elasticsearch.
    let asked: Vec<String> = kube
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/proxy"))
        .collect();
    let first = |needle: &str| asked.iter().position(|p| p.contains(needle));
    let (l, o, e) = (
        first("monitoring/services/loki:3100/proxy/ready"),
        first("logging/services/opensearch-cluster-master:9200/proxy"),
        first("elastic-system/services/elasticsearch-master:9200/proxy"),
    );
    assert!(l.is_some() && l < o && o < e, "{asked:?}");
    assert!(
        asked
            .iter()
            .any(|p| p.ends_with("elasticsearch-master:9200/proxy/_resolve/index/logstash-*")),
        "{asked:?}"
    );
    task.abort();
}

#[tokio::test]
async fn a_flood_longer_than_a_round_is_read_to_its_end_and_a_future_line_moves_nothing() {
    let fake = FakeOpenSearch::start(OPENSEARCH_ROOT).await;
    fake.index(docs(0, 5, Duration::from_secs(30), true));
    let (tx, mut rx) = mpsc::channel(4096);
    let (_d, demand_rx) = watch::channel(demand(true));
    let task = opensearch::spawn(setup(&fake), demand_rx, tx);
    let mut s = state();
    until(&mut rx, &mut s, 20, "the backfill", |s| s.logs.len() == 5).await;
    // A line stamped an hour ahead (a node's clock) does not drag the look-back with it.
    let mut ahead = doc(5, now_ns() + 3_600_000_000_000, true);
    // In today's index, where a skewed node's Fluentd would put it.
    ahead.index = docs(0, 1, Duration::ZERO, true)[0].index.clone();
    fake.index(vec![ahead]);
    until(&mut rx, &mut s, 20, "the line from the future", |s| {
        s.logs.len() == 6
    })
    .await;
    // 1,000 lines at once: 50 pages of 20, more than one round's 20 pages.
    fake.index(docs(6, 1000, Duration::ZERO, true));
    until(&mut rx, &mut s, 60, "the whole flood", |s| {
        s.logs.len() == 1006
    })
    .await;
    let mut got = numbers(&s);
    got.sort();
    assert_eq!(got, (0..1006).collect::<Vec<_>>(), "each once");
    task.abort();
}
