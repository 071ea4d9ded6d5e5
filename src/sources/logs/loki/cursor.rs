//! The dedup cursor: Loki timestamps are nanoseconds, so a resumed tail or poll starts at the
//! newest timestamp seen (inclusive) and drops what it has seen at that nanosecond — memory for
//! dedup is one timestamp's worth.

use crate::sources::logs::Entry;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// What has been delivered: the newest timestamp and the entries seen at it, so a resumed
/// tail or a poll from that timestamp (inclusive) adds nothing twice and misses nothing.
#[derive(Debug, Default)]
pub struct Cursor {
    pub last_ns: i128,
    at_last: HashSet<u64>,
}

fn entry_hash(e: &Entry) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    e.labels.hash(&mut h);
    e.line.hash(&mut h);
    h.finish()
}

impl Cursor {
    /// Keeps the entries not delivered yet (in time order) and remembers them.
    pub fn admit(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            if e.ts_ns < self.last_ns {
                continue;
            }
            let h = entry_hash(&e);
            if e.ts_ns == self.last_ns {
                if !self.at_last.insert(h) {
                    continue;
                }
            } else {
                self.last_ns = e.ts_ns;
                self.at_last.clear();
                self.at_last.insert(h);
            }
            out.push(e);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_admits_each_entry_once_in_order() {
        let e = |ts: i128, line: &str| Entry {
            ts_ns: ts,
            labels: Default::default(),
            line: line.into(),
        };
        let mut c = Cursor::default();
        assert_eq!(c.admit(vec![e(1, "a"), e(2, "b"), e(2, "c")]).len(), 3);
        // A resumed tail from ts 2 (inclusive) sends b and c again, then d.
        let again = c.admit(vec![e(2, "b"), e(2, "c"), e(2, "d"), e(3, "e")]);
        let lines: Vec<&str> = again.iter().map(|x| x.line.as_str()).collect();
        assert_eq!(lines, vec!["d", "e"]);
        assert!(c.admit(vec![e(1, "late")]).is_empty());
    }
}
