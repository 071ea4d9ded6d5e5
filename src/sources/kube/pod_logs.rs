//! One container's log straight from the API server (`pods/log`), as `kubectl logs` reads it:
//! the last 1,000 lines and then followed (`follow=true&timestamps=true&tailLines=1000`), or
//! the previous run's (`previous=true`, not followed). A followed stream that ends (the
//! container restarted) is read again from the last line's second, without repeating what was
//! shown. Lines are cut at 64 KB, continuation lines (a Java stack trace) fold under their
//! record, and only while the log is on screen (`Demand.pod_log`) is anything read.

use crate::model::PodLogTarget;
use crate::sources::logs::{Entry, Interner, to_log_line};
use crate::state::{Demand, Update};
use futures::{AsyncBufRead, AsyncBufReadExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The longest line kept; the rest is counted, not held (a 10 MB line costs 64 KB). Under the
/// sanitizer's cut, so the count of what was left out stays in view.
pub const LINE_CAP: usize = crate::sanitize::MAX_LINE - 256;
/// Lines of a first read.
const TAIL: i64 = 1000;
/// A batch goes out at this many lines, or this long after its first.
const BATCH: usize = 200;
const FLUSH: Duration = Duration::from_millis(100);

pub fn spawn(
    client: kube::Client,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    // A log store in use reads the current run (sources::logs); the previous run is only here.
    crate::sources::spawn_on_demand!(
        client,
        demand,
        tx,
        |d| d.pod_log.clone().filter(|_| !d.pod_log_store),
        follow
    )
}

/// Reads one line of at most `cap` bytes into `cur` (the rest of a longer line is counted in
/// `cut`); None at the end of the stream. Cancel-safe: bytes are taken from the reader only
/// after they are copied, and a partial line stays in `cur`.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    cur: &mut Vec<u8>,
    cut: &mut usize,
    cap: usize,
) -> std::io::Result<Option<String>> {
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            if cur.is_empty() && *cut == 0 {
                return Ok(None);
            }
            return Ok(Some(finish(cur, cut)));
        }
        let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = cap.saturating_sub(cur.len());
        cur.extend_from_slice(&chunk[..chunk.len().min(room)]);
        *cut += chunk.len().saturating_sub(room);
        r.consume_unpin(used);
        if done {
            return Ok(Some(finish(cur, cut)));
        }
    }
}

fn finish(cur: &mut Vec<u8>, cut: &mut usize) -> String {
    let mut s = String::from_utf8_lossy(cur).into_owned();
    if s.ends_with('\r') {
        s.pop();
    }
    if *cut > 0 {
        s.push_str(&format!(" … ({} bytes more, not shown)", *cut));
    }
    cur.clear();
    *cut = 0;
    s
}

/// `2026-12-01T09:41:05.210123456Z message` (`timestamps=true`): its time in ns and its text.
pub fn split_timestamp(line: &str) -> (Option<i128>, &str) {
    match line.split_once(' ') {
        Some((ts, rest)) => match chrono::DateTime::parse_from_rfc3339(ts) {
            Ok(t) => (t.timestamp_nanos_opt().map(i128::from), rest),
            Err(_) => (None, line),
        },
        None => (None, line),
    }
}

/// Whether a line continues the record before it: a Java stack frame, `Caused by:`, `... 12
/// more`, any indented line, or the exception line a Java logger prints under its message
/// (`java.lang.IllegalStateException: …`).
pub fn continues(text: &str) -> bool {
    text.starts_with([' ', '\t'])
        || text.starts_with("Caused by:")
        || text.starts_with("Suppressed:")
        || (text.starts_with("...") && text.ends_with("more"))
        || exception_line(text)
}

/// `java.lang.IllegalStateException: stock service timed out`, `org.x.FooError`: a dotted
/// class name ending in Exception or Error, then `:` or nothing.
fn exception_line(text: &str) -> bool {
    let class = text.split(':').next().unwrap_or("");
    class.contains('.')
        && !class.contains(' ')
        && (class.ends_with("Exception") || class.ends_with("Error"))
        && class
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'))
}

/// Lines into records: continuation lines join the record before them.
pub fn fold(
    entries: &mut Vec<Entry>,
    ts_ns: i128,
    text: &str,
    labels: &Arc<BTreeMap<String, String>>,
) {
    if continues(text)
        && let Some(last) = entries.last_mut()
    {
        last.line.push('\n');
        last.line.push_str(text);
        return;
    }
    entries.push(Entry {
        ts_ns,
        labels: labels.clone(),
        line: text.to_string(),
    });
}

/// Reads `t` until the demand asks for something else (true) or opsdeck is quitting (false).
async fn follow(
    client: &kube::Client,
    t: PodLogTarget,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let api: Api<Pod> = Api::namespaced(client.clone(), &t.namespace);
    let labels = Arc::new(BTreeMap::from([
        ("namespace".to_string(), t.namespace.clone()),
        ("pod".to_string(), t.pod.clone()),
        ("container".to_string(), t.container.clone()),
    ]));
    let mut names = Interner::default();
    // The newest line shown: a new read starts at its second and drops what it has seen.
    let mut last: Option<(i128, String)> = None;
    let mut first = true;
    let mut failures = 0u32;
    // Quiet reads in a row (the container has stopped): the wait before the next one grows.
    let mut quiet = 0u32;
    loop {
        // A re-read starts at the newest line's own time (the node's clock, not ours), and
        // what it repeats of that instant is dropped.
        let since_time = last
            .as_ref()
            .and_then(|(ns, _)| k8s_openapi::jiff::Timestamp::from_nanosecond(*ns).ok());
        let lp = LogParams {
            container: Some(t.container.clone()),
            follow: !t.previous,
            previous: t.previous,
            timestamps: true,
            tail_lines: if last.is_none() { Some(TAIL) } else { None },
            since_time,
            ..Default::default()
        };
        let seen_before = last.clone();
        // The read goes on through changes of the demand that leave this log wanted (a
        // resize, a rollout's new hash): only another target stops it.
        let read = read_all(
            &api, &t, &lp, &labels, &mut names, &mut last, &mut first, tx,
        );
        let outcome = match while_wanted(demand, &t, read).await {
            Ok(r) => r,
            Err(go_on) => return go_on,
        };
        if last == seen_before {
            quiet += 1;
        } else {
            quiet = 0;
        }
        let wait = match outcome {
            Err(Stop) => return false,
            Ok(Ok(())) => {
                failures = 0;
                if t.previous {
                    // A previous run's log is whole: nothing more will come.
                    return while_wanted(demand, &t, std::future::pending::<()>())
                        .await
                        .err()
                        .unwrap_or(true);
                }
                // The container stopped (a restart): its next run is read from where this
                // ended, soon, then less often while nothing comes (a container that is done).
                Duration::from_millis((1000u64 << quiet.min(5)).min(30_000))
            }
            Ok(Err(e)) => {
                failures += 1;
                let update = Update::PodLog {
                    target: t.clone(),
                    lines: Err(e),
                    reset: false,
                };
                if tx.send(update).await.is_err() {
                    return false;
                }
                Duration::from_millis((500u64 << failures.min(3)).min(5000))
            }
        };
        if let Err(go_on) = while_wanted(demand, &t, tokio::time::sleep(wait)).await {
            return go_on;
        }
    }
}

/// `work` while `t` stays the log this source reads (through demand changes that leave it
/// so: a resize, a rollout's new hash).
async fn while_wanted<F: std::future::Future>(
    demand: &mut watch::Receiver<Demand>,
    t: &PodLogTarget,
    work: F,
) -> Result<F::Output, bool> {
    let wanted = |d: &Demand| d.pod_log.as_ref() == Some(t) && !d.pod_log_store;
    crate::sources::while_wanted(demand, wanted, work).await
}

/// opsdeck is quitting (the channel closed).
struct Stop;

/// One request's stream, sent in batches; Err(text) when it failed, as the API server said.
#[allow(clippy::too_many_arguments)]
async fn read_all(
    api: &Api<Pod>,
    t: &PodLogTarget,
    lp: &LogParams,
    labels: &Arc<BTreeMap<String, String>>,
    names: &mut Interner,
    last: &mut Option<(i128, String)>,
    first: &mut bool,
    tx: &mpsc::Sender<Update>,
) -> Result<Result<(), String>, Stop> {
    let stream = match api.log_stream(&t.pod, lp).await {
        Ok(s) => s,
        Err(kube::Error::Api(s)) => return Ok(Err(crate::sanitize::clean_owned(&s.message))),
        Err(e) => return Ok(Err(crate::sanitize::clean_owned(&e.to_string()))),
    };
    let mut stream: Pin<Box<_>> = Box::pin(stream);
    let mut cur = Vec::new();
    let mut cut = 0usize;
    let mut pending: Vec<Entry> = Vec::new();
    // A first read answers soon even when the container writes nothing.
    let mut flush_at: Option<tokio::time::Instant> =
        first.then(|| tokio::time::Instant::now() + FLUSH);
    // Only what a re-read repeats (the lines up to the last one shown) is dropped; once a
    // newer line came, every line is new.
    let mut overlap = last.is_some();
    loop {
        let wait = flush_at.map_or(Duration::from_secs(3600), |at| {
            at.saturating_duration_since(tokio::time::Instant::now())
        });
        let got =
            tokio::time::timeout(wait, read_line(&mut stream, &mut cur, &mut cut, LINE_CAP)).await;
        let end = match got {
            Ok(Ok(Some(line))) => {
                let (ts, text) = split_timestamp(&line);
                let ts = ts.unwrap_or_else(|| {
                    // A line without its time (it should not happen with timestamps=true):
                    // just after the last.
                    last.as_ref().map_or(0, |(ns, _)| *ns)
                });
                // What a re-read repeats (from the last line's time) is dropped.
                let seen = overlap
                    && last
                        .as_ref()
                        .is_some_and(|(ns, l)| ts < *ns || (ts == *ns && l == text));
                if !seen {
                    overlap = false;
                }
                if !seen {
                    fold(&mut pending, ts, text, labels);
                    *last = Some((ts, text.to_string()));
                }
                flush_at.get_or_insert_with(|| tokio::time::Instant::now() + FLUSH);
                if pending.len() < BATCH {
                    continue;
                }
                None
            }
            Ok(Ok(None)) => Some(Ok(())),
            Ok(Err(e)) => Some(Err(format!("the log stream broke: {e}"))),
            // The batch's time is up.
            Err(_) => None,
        };
        // A record whose stack may still be arriving waits for the next line, unless the
        // stream ended.
        let keep = if end.is_none() && pending.len() > 1 {
            pending.pop()
        } else {
            None
        };
        if !pending.is_empty() || *first || end.is_some() {
            let lines = pending.iter().map(|e| to_log_line(e, &[], names)).collect();
            pending.clear();
            let update = Update::PodLog {
                target: t.clone(),
                lines: Ok(lines),
                reset: std::mem::take(first),
            };
            if tx.send(update).await.is_err() {
                return Err(Stop);
            }
        }
        pending.extend(keep);
        flush_at = (!pending.is_empty()).then(|| tokio::time::Instant::now() + FLUSH);
        if let Some(end) = end {
            return Ok(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_cut_at_the_cap_and_a_partial_last_line_is_kept() {
        let big = "x".repeat(10 * 1024 * 1024);
        let text = format!("short\n{big}\nlast without newline");
        let mut r = futures::io::BufReader::with_capacity(
            8192,
            futures::io::Cursor::new(text.into_bytes()),
        );
        let (mut cur, mut cut) = (Vec::new(), 0);
        let mut lines = Vec::new();
        while let Some(l) = read_line(&mut r, &mut cur, &mut cut, LINE_CAP)
            .await
            .expect("read")
        {
            lines.push(l);
        }
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "short");
        assert!(lines[1].len() < LINE_CAP + 100, "{}", lines[1].len());
        assert!(lines[1].ends_with(&format!(
            " … ({} bytes more, not shown)",
            10 * 1024 * 1024 - LINE_CAP
        )));
        assert_eq!(lines[2], "last without newline");
    }

    #[test]
    fn timestamps_split_and_stacks_fold() {
        let (ts, text) = split_timestamp("2026-12-01T09:41:05.210123456Z Started StoreApplication");
        assert_eq!(text, "Started StoreApplication");
        assert_eq!(ts, Some(1_796_118_065_210_123_456));
        assert_eq!(split_timestamp("no time here"), (None, "no time here"));
        let labels = Arc::new(BTreeMap::new());
        let mut es = Vec::new();
        for l in [
            "2026-12-01 09:41:06.001 ERROR 1 --- [nio-8080-exec-3] c.e.store.ProductController : Request processing failed",
            "java.lang.IllegalStateException: stock service timed out",
            "\tat com.example.store.StockClient.get(StockClient.java:88)",
            "Caused by: java.net.SocketTimeoutException: Read timed out",
            "\t... 12 more",
            "2026-12-01 09:41:07.000  INFO 1 --- [nio-8080-exec-4] c.e.store.ProductController : GET /products 200",
        ] {
            fold(&mut es, 0, l, &labels);
        }
        assert_eq!(es.len(), 2, "{es:?}");
        assert_eq!(es[0].line.lines().count(), 5);
        assert!(continues("    at x") && continues("... 3 more") && !continues("GET /"));
        assert!(continues("java.lang.IllegalStateException: boom"));
        assert!(!continues("Started StoreApplication in 6.4 seconds"));
        assert!(!continues("c.e.Foo: not an exception"));
    }
}
