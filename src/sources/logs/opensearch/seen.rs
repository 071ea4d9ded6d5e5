//! De-duplication for a tail that looks back: every poll asks again for the last seconds
//! (Fluentd flushes in batches, the index refreshes each second), so the hits already shown
//! are recognised by (`_index`, `_id`) in a set bounded by time and by size. A pair is kept
//! as its 64-bit hash (eight bytes, not two strings): at the bound of 200,000 pairs the chance
//! that two documents share one is about one in a billion, and it would hide one line.

use super::wire::Hit;
#[cfg(test)]
use super::wire::key;
use crate::sources::logs::Entry;
use std::collections::HashMap;

type Key = u64;

/// The hits delivered, by key with their time (17 bytes a hit in the table); forgets those
/// older than the look-back horizon and, past `cap`, the oldest.
#[derive(Debug)]
pub struct Seen {
    at: HashMap<Key, i64>,
    cap: usize,
}

impl Seen {
    pub fn new(cap: usize) -> Self {
        Self {
            at: HashMap::new(),
            cap: cap.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// The entries of the hits not delivered yet, remembered.
    pub fn admit(&mut self, hits: Vec<Hit>) -> Vec<Entry> {
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let ts = h.entry.ts_ns.clamp(0, i64::MAX as i128) as i64;
            if self.at.insert(h.key, ts).is_some() {
                continue;
            }
            out.push(h.entry);
        }
        if self.at.len() > self.cap {
            // Past the bound (a flood inside the look-back): the oldest half goes.
            let mut times: Vec<i64> = self.at.values().copied().collect();
            let k = (times.len() - self.cap / 2).min(times.len() - 1);
            let (_, cut, _) = times.select_nth_unstable(k);
            let cut = *cut;
            self.at.retain(|_, t| *t >= cut);
        }
        out
    }

    /// Forgets hits older than `ns`: no search asks for them again.
    pub fn forget_before(&mut self, ns: i128) {
        self.at.retain(|_, t| i128::from(*t) >= ns);
        // Removals leave tombstones that make the table grow: rebuild it when it is mostly empty.
        let n = self.at.len();
        if self.at.capacity() > 2 * n.max(256) {
            self.at.shrink_to(n + n / 4);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(index: &str, id: &str, ts: i128) -> Hit {
        Hit {
            key: key(index, id),
            entry: Entry {
                ts_ns: ts,
                labels: Default::default(),
                line: id.into(),
            },
        }
    }

    #[test]
    fn hits_are_admitted_once_and_forgotten_by_time_and_size() {
        let mut s = Seen::new(3);
        assert_eq!(s.admit(vec![hit("a", "1", 1), hit("a", "2", 2)]).len(), 2);
        // The same id in another index is another document.
        let again = s.admit(vec![hit("a", "1", 1), hit("b", "1", 1), hit("a", "2", 2)]);
        assert_eq!(again.len(), 1);
        assert_eq!(s.len(), 3);
        s.forget_before(2);
        assert_eq!(s.len(), 1);
        assert_eq!(
            s.admit(vec![hit("x", "1", 5), hit("x", "2", 6), hit("x", "3", 7)])
                .len(),
            3
        );
        // Past the bound the oldest half goes: the newest is still known, the oldest not.
        assert!(s.len() <= 3, "bounded by size: {}", s.len());
        assert!(s.admit(vec![hit("x", "3", 7)]).is_empty());
        assert_eq!(s.admit(vec![hit("a", "2", 2)]).len(), 1);
    }
}
