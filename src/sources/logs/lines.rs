//! A log store's lines as the logs pane's [`LogLine`]s, whatever the store: the service from
//! the stream's labels, canary or stable from the pod-template hash, Spring Boot's parts, the
//! continuation lines as the stack, and the names that repeat shared.

use crate::model::{Level, LogLine, Track, parse_app_line};
use crate::state::Tracked;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One line as a log store gives it: when (ns since the epoch), the labels of its stream
/// (`app`, `pod`, `namespace`, `rollouts_pod_template_hash`, `level`, …; shared by the lines of
/// one stream), and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub ts_ns: i128,
    pub labels: Arc<BTreeMap<String, String>>,
    pub line: String,
}

/// The service a line belongs to: its `app`/`service_name`/`container` label, or its pod's owner.
fn service(labels: &BTreeMap<String, String>) -> String {
    for k in [
        "app",
        "service_name",
        "app_kubernetes_io_name",
        "service",
        "container",
    ] {
        if let Some(v) = labels.get(k).filter(|v| !v.is_empty()) {
            return v.clone();
        }
    }
    labels
        .get("pod")
        .map(|p| crate::model::service_of_pod(p).0)
        .unwrap_or_default()
}

/// Shares the strings that repeat across lines (service, pod, logger, thread); bounded.
#[derive(Debug, Default)]
pub struct Interner(std::collections::HashMap<Box<str>, Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        if self.0.len() >= 8192 {
            self.0.clear();
        }
        let a: Arc<str> = s.into();
        self.0.insert(s.into(), a.clone());
        a
    }
}

/// An entry as a log line: a Spring Boot line's parts, continuation lines as its stack.
pub fn to_log_line(e: &Entry, tracked: &[Tracked], names: &mut Interner) -> LogLine {
    let mut lines = e.line.split('\n');
    let first = lines.next().unwrap_or("").trim_end_matches('\r');
    let stack: Vec<String> = lines
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let svc = service(&e.labels);
    let pod = e.labels.get("pod").cloned().unwrap_or_default();
    let hash = e
        .labels
        .get("rollouts_pod_template_hash")
        .cloned()
        .or_else(|| crate::model::service_of_pod(&pod).1);
    let track = tracked
        .iter()
        .find(|t| t.name == svc && t.canary_running())
        .and_then(|t| match hash.as_deref() {
            Some(h) if h == t.canary_hash => Some(Track::Canary),
            Some(h) if h == t.stable_hash => Some(Track::Stable),
            _ => None,
        });
    let ts = DateTime::<Utc>::from_timestamp_nanos(e.ts_ns.clamp(0, i64::MAX as i128) as i64);
    let level_label = || {
        e.labels
            .get("detected_level")
            .or(e.labels.get("level"))
            .map(|l| Level::parse(&l.to_uppercase()))
            .filter(|l| *l != Level::Unknown)
    };
    match parse_app_line(first) {
        Some(p) => {
            let level = match p.level {
                Level::Unknown => level_label().unwrap_or_else(|| guess_level(&p.message)),
                l => l,
            };
            // A JSON line carries its stack in a field; continuation lines follow it.
            let stack = if p.stack.is_empty() {
                stack
            } else {
                p.stack.into_iter().chain(stack).collect()
            };
            LogLine {
                ts,
                level,
                service: names.get(&svc),
                pod: names.get(&pod),
                track,
                logger: names.get(&p.logger),
                message: p.message.into_owned(),
                trace_id: p.trace_id.into_owned(),
                thread: names.get(&p.thread),
                stack,
            }
        }
        None => LogLine {
            ts,
            level: level_label().unwrap_or_else(|| guess_level(first)),
            service: names.get(&svc),
            pod: names.get(&pod),
            track,
            logger: names.get(""),
            message: first.to_string(),
            trace_id: String::new(),
            thread: names.get(""),
            stack,
        },
    }
}

fn guess_level(line: &str) -> Level {
    for (w, l) in [
        ("ERROR", Level::Error),
        ("WARN", Level::Warn),
        ("INFO", Level::Info),
        ("DEBUG", Level::Debug),
    ] {
        if line.contains(w) {
            return l;
        }
    }
    Level::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_spring_lines_with_their_stack_and_track() {
        let labels: BTreeMap<String, String> = [("app", "store"), ("pod", "store-5f6b8d9c7-wv5mn")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let e = Entry {
            ts_ns: 1_724_930_400_000_000_000,
            labels: Arc::new(labels),
            line: "2024-08-29T11:20:00.000Z ERROR 1 --- [store] [nio-8080-exec-3] [abc-1] c.e.store.ProductController : boom\njava.lang.IllegalStateException: boom\n\tat c.e.store.ProductController.list(ProductController.java:42)".into(),
        };
        let tracked = [Tracked {
            namespace: "dev".into(),
            name: "store".into(),
            stable_hash: "7c9d8b6f5".into(),
            canary_hash: "5f6b8d9c7".into(),
            ..Default::default()
        }];
        let l = to_log_line(&e, &tracked, &mut Interner::default());
        assert_eq!(l.level, Level::Error);
        assert_eq!(&*l.service, "store");
        assert_eq!(l.track, Some(Track::Canary));
        assert_eq!(l.message, "boom");
        assert_eq!(&*l.thread, "nio-8080-exec-3");
        assert_eq!(l.stack.len(), 2);
        let long = crate::sanitize::cap(&"é".repeat(40_000)).into_owned();
        assert!(long.len() <= crate::sanitize::MAX_LINE + crate::sanitize::TRUNCATED.len());
        assert!(long.ends_with(crate::sanitize::TRUNCATED));
    }
}
