//! Resident memory of a full error-log ring: fills State's ring with `N` (default 100,000)
//! Spring ERROR lines through the Loki path (tail frames → parse → dedup → LogLine → sanitize →
//! ring) and prints the process' VmRSS and VmHWM. Run: `cargo run --release --example
//! log_memory -- 100000`; `-- 100000 opensearch` takes the OpenSearch path instead (`_search`
//! answers of Fluentd hits → parse → dedup on (`_index`, `_id`) → LogLine → ring), with the
//! dedup set still holding every hit as a live tail's would. The ring's bound is `--log-lines`
//! (default 50,000).

use opsdeck::sources::logs::loki::{Cursor, parse_tail};
use opsdeck::sources::logs::opensearch::{Labels, Seen, parse_search};
use opsdeck::sources::logs::{Interner, to_log_line};
use opsdeck::state::{Context, State, Update};
use serde_json::json;

/// Counts the heap in use: what the lines (and the de-dup set) hold, apart from the
/// allocator's own keeping, which VmRSS adds.
#[global_allocator]
static HEAP: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// Hits per `_search` page (the provider's page size).
const PAGE: usize = opsdeck::sources::logs::opensearch::wire::PAGE;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let ctx = Context {
        name: "memory".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        argocd_server: None,
        demo: false,
        read_only: false,
        log_query: Default::default(),
        protected: false,
        user: "alice".into(),
    };
    let mut s = State::new(ctx, chrono::Utc::now(), n);
    println!("before: VmRSS {}", status("VmRSS:"));
    let mut names = Interner::default();
    let line = |i: usize| {
        let mut line = format!(
            "2026-11-22T03:00:00.000Z ERROR 1 --- [store] [nio-8080-exec-{}] [{i:x}-span] c.e.store.ProductController : Request processing failed: GET /products/{i}",
            i % 200
        );
        if i.is_multiple_of(10) {
            line.push_str("\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)");
        }
        line
    };
    let opensearch = std::env::args().nth(2).as_deref() == Some("opensearch");
    // Kept to the end, as a tail keeps it: its memory counts.
    let mut seen = Seen::new(200_000);
    let mut labels = Labels::default();
    for f in (0..n.div_ceil(PAGE)).filter(|_| opensearch) {
        let t0_ms: i64 = 1_700_000_000_000;
        // The body as it comes off the wire: one string (no JSON tree is built for it).
        let mut body = String::from(r#"{"took":1,"timed_out":false,"hits":{"hits":["#);
        for k in 0..PAGE {
            let i = f * PAGE + k;
            let ms = t0_ms + i as i64;
            let ts = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
            if k > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"_index":"logstash-2026.11.22","_id":"{i:020}","_score":null,"_source":{{"@timestamp":"{}","stream":"stdout","message":{},"kubernetes":{{"namespace_name":"dev","pod_name":"store-5f6b8d9c7-wv5mn","container_name":"store","labels":{{"app":"store","rollouts-pod-template-hash":"5f6b8d9c7"}}}}}},"sort":[{ms},{i}]}}"#,
                ts.format("%Y-%m-%dT%H:%M:%S%.9f%:z"),
                json!(line(i))
            ));
        }
        body.push_str("]}}");
        let answer = parse_search(&body, "memory", &mut labels).unwrap_or_default();
        // As the tail does: the ids behind its 10 s look-back are forgotten.
        seen.forget_before(i128::from(t0_ms + ((f + 1) * PAGE) as i64 - 10_000) * 1_000_000);
        let lines = seen
            .admit(answer.hits)
            .iter()
            .map(|e| to_log_line(e, &[], &mut names))
            .collect();
        s.apply(Update::Logs(lines));
    }
    let mut cursor = Cursor::default();
    let t0: i128 = 1_700_000_000_000_000_000;
    for f in (0..n.div_ceil(500)).filter(|_| !opensearch) {
        // The frame as it comes off the socket: one string, built the same way as the
        // OpenSearch pages so the two paths are measured alike.
        let mut frame = String::from(
            r#"{"streams":[{"stream":{"namespace":"dev","app":"store","pod":"store-5f6b8d9c7-wv5mn"},"values":["#,
        );
        for k in 0..500 {
            let i = f * 500 + k;
            if k > 0 {
                frame.push(',');
            }
            frame.push_str(&format!(r#"["{}",{}]"#, t0 + i as i128, json!(line(i))));
        }
        frame.push_str("]}]}");
        let (entries, _) = parse_tail(&frame).unwrap_or_default();
        let lines = cursor
            .admit(entries)
            .iter()
            .map(|e| to_log_line(e, &[], &mut names))
            .collect();
        s.apply(Update::Logs(lines));
    }
    let with_seen = HEAP.allocated();
    let ids = seen.len();
    drop(seen);
    drop(labels);
    let seen_bytes = with_seen - HEAP.allocated();
    println!(
        "{}: {} lines retained (ring of {}, {} ids remembered in {:.2} MB): heap in use {:.1} MB, VmRSS {}, VmHWM {}",
        if opensearch { "opensearch" } else { "loki" },
        s.logs.len(),
        s.logs.capacity(),
        ids,
        seen_bytes as f64 / 1e6,
        with_seen as f64 / 1e6,
        status("VmRSS:"),
        status("VmHWM:")
    );
}
