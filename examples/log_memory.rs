//! Resident memory of a full error-log ring: fills State's ring with `N` (default 100,000)
//! Spring ERROR lines through the Loki path (tail frames → parse → dedup → LogLine → sanitize →
//! ring) and prints the process' VmRSS and VmHWM. Run: `cargo run --release --example
//! log_memory -- 100000`. The ring's bound is `--log-lines` (default 50,000).

use opsdeck::sources::logs::loki::{Cursor, parse_tail};
use opsdeck::sources::logs::{Interner, to_log_line};
use opsdeck::state::{Context, State, Update};
use serde_json::json;

fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let ctx = Context {
        name: "memory".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        demo: false,
        read_only: false,
        log_query: Default::default(),
        protected: false,
        user: "alice".into(),
    };
    let mut s = State::new(ctx, chrono::Utc::now(), n);
    println!("before: VmRSS {}", status("VmRSS:"));
    let mut cursor = Cursor::default();
    let mut names = Interner::default();
    let t0: i128 = 1_700_000_000_000_000_000;
    for f in 0..n.div_ceil(500) {
        let values: Vec<_> = (0..500)
            .map(|k| {
                let i = f * 500 + k;
                let mut line = format!(
                    "2026-11-22T03:00:00.000Z ERROR 1 --- [store] [nio-8080-exec-{}] [{i:x}-span] c.e.store.ProductController : Request processing failed: GET /products/{i}",
                    i % 200
                );
                if i % 10 == 0 {
                    line.push_str("\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)");
                }
                json!([(t0 + i as i128).to_string(), line])
            })
            .collect();
        let frame = json!({"streams": [{"stream": {"namespace": "dev", "app": "store", "pod": "store-5f6b8d9c7-wv5mn"}, "values": values}]}).to_string();
        let (entries, _) = parse_tail(&frame).unwrap_or_default();
        let lines = cursor
            .admit(entries)
            .iter()
            .map(|e| to_log_line(e, &[], &mut names))
            .collect();
        s.apply(Update::Logs(lines));
    }
    println!(
        "{} lines retained (ring of {}): VmRSS {}, VmHWM {}",
        s.logs.len(),
        s.logs.capacity(),
        status("VmRSS:"),
        status("VmHWM:")
    );
}
