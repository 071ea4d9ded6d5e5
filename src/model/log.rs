//! Error-log lines and the bounded ring that is their only store.

use super::Track;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
    Unknown,
}

impl Level {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "ERROR" | "FATAL" | "SEVERE" => Self::Error,
            "WARN" | "WARNING" => Self::Warn,
            "INFO" => Self::Info,
            "DEBUG" => Self::Debug,
            "TRACE" => Self::Trace,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warn => "WARN",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
            Self::Trace => "TRACE",
            Self::Unknown => "?",
        }
    }
}

/// One log record: its first line, and the stack-trace lines folded under it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub ts: DateTime<Utc>,
    pub level: Level,
    /// Service, pod, logger and thread repeat across lines: shared, not copied (a full ring
    /// of 100,000 lines must fit the memory budget).
    pub service: Arc<str>,
    pub pod: Arc<str>,
    pub track: Option<Track>,
    /// The logger (`c.e.store.ProductController`), empty if the line is not Spring-shaped.
    pub logger: Arc<str>,
    /// The message after the logger, or the whole line.
    pub message: String,
    pub trace_id: String,
    pub thread: Arc<str>,
    pub stack: Vec<String>,
}

/// How far back a late line is moved to its place: a flood of out-of-order lines costs each
/// one a binary search and at most this many moves.
pub const REORDER: usize = 500;

/// Where an item of time `ts` goes in a queue kept in time order (`time` reads an item's):
/// the end for the newest, and for one older than the last [`REORDER`] items; else after the
/// last item of the window not newer than it.
pub fn place<T>(q: &VecDeque<T>, time: impl Fn(&T) -> DateTime<Utc>, ts: DateTime<Utc>) -> usize {
    let n = q.len();
    let floor = n.saturating_sub(REORDER);
    if q.back().is_none_or(|b| time(b) <= ts) || q.get(floor).is_some_and(|f| time(f) > ts) {
        return n;
    }
    let (mut lo, mut hi) = (floor, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if q.get(mid).is_some_and(|m| time(m) <= ts) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A bounded ring of log lines; the oldest are dropped, and counted, when it is full.
#[derive(Clone, Debug)]
pub struct LogRing {
    lines: VecDeque<LogLine>,
    cap: usize,
    dropped: u64,
    /// Lines the server said it could not deliver.
    pub server_dropped: u64,
}

impl LogRing {
    pub fn new(cap: usize) -> Self {
        Self {
            lines: VecDeque::with_capacity(cap.min(4096)),
            cap: cap.max(1),
            dropped: 0,
            server_dropped: 0,
        }
    }
    /// Adds a line; returns the oldest one when the ring was full and it had to go.
    pub fn push(&mut self, line: LogLine) -> Option<LogLine> {
        let gone = if self.lines.len() == self.cap {
            self.dropped += 1;
            self.lines.pop_front()
        } else {
            None
        };
        self.lines.push_back(line);
        gone
    }
    /// Adds a line in time order: after the last line not newer than it (a line indexed late
    /// goes back to its place within the last [`REORDER`] lines; one older than all of them is
    /// too late to place and is appended). Returns where it went (before the oldest is dropped)
    /// and the oldest line when the ring was full.
    pub fn insert(&mut self, line: LogLine) -> (usize, Option<LogLine>) {
        let n = self.lines.len();
        let at = place(&self.lines, |l| l.ts, line.ts);
        if at == n {
            return (n, self.push(line));
        }
        self.lines.insert(at, line);
        let gone = if self.lines.len() > self.cap {
            self.dropped += 1;
            self.lines.pop_front()
        } else {
            None
        };
        (at, gone)
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
    pub fn capacity(&self) -> usize {
        self.cap
    }
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    pub fn get(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }
    pub fn get_mut(&mut self, i: usize) -> Option<&mut LogLine> {
        self.lines.get_mut(i)
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }
}

impl Default for LogRing {
    fn default() -> Self {
        Self::new(50_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_found_within_the_window_and_older_lines_are_appended() {
        let t = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
        let q: VecDeque<DateTime<Utc>> = (0..(REORDER as i64 + 100)).map(|s| t(s * 10)).collect();
        let n = q.len();
        assert_eq!(place(&q, |x| *x, t(1_000_000)), n, "newest: the end");
        assert_eq!(
            place(&q, |x| *x, t(5)),
            n,
            "older than the window: appended"
        );
        let inside = (n as i64 - 3) * 10 - 5;
        assert_eq!(place(&q, |x| *x, t(inside)), n - 3);
        assert_eq!(place(&VecDeque::new(), |x: &DateTime<Utc>| *x, t(1)), 0);
    }

    #[test]
    fn a_late_line_goes_to_its_place_in_time() {
        let at = |s: i64| LogLine {
            ts: chrono::DateTime::from_timestamp(s, 0).unwrap_or_default(),
            level: Level::Error,
            service: "goods".into(),
            pod: "".into(),
            track: None,
            logger: "".into(),
            message: s.to_string(),
            trace_id: String::new(),
            thread: "".into(),
            stack: vec![],
        };
        let mut r = LogRing::new(3);
        assert_eq!(r.insert(at(10)), (0, None));
        assert_eq!(r.insert(at(30)).0, 1);
        assert_eq!(r.insert(at(20)).0, 1);
        let (i, gone) = r.insert(at(15));
        assert_eq!((i, gone.map(|g| g.message)), (1, Some("10".to_string())));
        let order: Vec<&str> = r.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(order, vec!["15", "20", "30"]);
    }

    #[test]
    fn ring_is_bounded_and_counts_drops() {
        let mut r = LogRing::new(3);
        for i in 0..10 {
            r.push(LogLine {
                ts: chrono::DateTime::from_timestamp(i, 0).unwrap_or_default(),
                level: Level::Error,
                service: "s".into(),
                pod: "p".into(),
                track: None,
                logger: "".into(),
                message: i.to_string(),
                trace_id: String::new(),
                thread: "".into(),
                stack: vec![],
            });
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.dropped(), 7);
        assert_eq!(r.get(0).map(|l| l.message.as_str()), Some("7"));
    }
}
