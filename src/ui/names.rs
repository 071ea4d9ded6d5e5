//! Names that must stay told apart when shown short: nodes that share a cluster prefix
//! (`k3d-dev-agent-0`, `k3d-dev-agent-1`), an EKS domain (`….eu-west-1.compute.internal`), or
//! series that collapse to the same text when cut.

use super::ellipsize;
use std::collections::{HashMap, HashSet};
use unicode_width::UnicodeWidthStr;

const SEPARATORS: [char; 4] = ['-', '.', '_', '/'];

/// Drops what every name shares at its start (up to a separator) and, for host names, the
/// domain they share at their end — only when what is left is still different for each.
pub fn without_shared(names: &[&str]) -> Vec<String> {
    let keep = || names.iter().map(|n| n.to_string()).collect();
    if names.len() < 2 {
        return keep();
    }
    let first = names[0];
    // The shared start, cut back to its last separator.
    let mut pre = first.len();
    for n in &names[1..] {
        pre = pre.min(
            first
                .char_indices()
                .zip(n.chars())
                .find(|((_, a), b)| a != b)
                .map_or(first.len().min(n.len()), |((i, _), _)| i),
        );
    }
    let pre = first[..pre].rfind(SEPARATORS).map_or(0, |i| i + 1);
    // The shared domain: from a `.` that every name has the same tail after.
    let suf = first
        .match_indices('.')
        .map(|(i, _)| &first[i..])
        .find(|tail| {
            names
                .iter()
                .all(|n| n.ends_with(tail) && n.len() > tail.len())
        })
        .map_or(0, str::len);
    // The shared start and the shared end must not overlap in any name.
    if names.iter().any(|n| pre >= n.len() - suf) {
        return keep();
    }
    let out: Vec<String> = names
        .iter()
        .map(|n| n[pre..n.len() - suf].to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    if out.iter().all(|o| !o.is_empty() && seen.insert(o.as_str())) {
        out
    } else {
        keep()
    }
}

/// Each name in `w` columns, cut with `…`; names that would then read the same keep their
/// start and their end (`payme…canary`), where they differ.
pub fn fit_distinct(names: &[&str], w: usize) -> Vec<String> {
    let cut: Vec<String> = names.iter().map(|n| ellipsize(n, w)).collect();
    cut.iter()
        .enumerate()
        .map(|(i, c)| {
            let clash = names[i].width() > w
                && cut
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && o == c && names[j] != names[i]);
            if clash {
                middle_cut(names[i], w)
            } else {
                c.clone()
            }
        })
        .collect()
}

/// `head…tail` in `w` columns: a third for the start, the rest for the end.
fn middle_cut(s: &str, w: usize) -> String {
    if w < 5 {
        return ellipsize(s, w);
    }
    let chars: Vec<char> = s.chars().collect();
    let head = (w - 1) / 3;
    let tail = w - 1 - head;
    if chars.len() <= w {
        return s.to_string();
    }
    let h: String = chars[..head].iter().collect();
    let t: String = chars[chars.len() - tail..].iter().collect();
    format!("{h}…{t}")
}

/// The names listed from more than one namespace (production and stage side by side): their
/// rows say `ns/name`. Once per frame, not per row.
pub fn in_two_namespaces<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> HashSet<&'a str> {
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut shared = HashSet::new();
    for (namespace, name) in items {
        match first.get(name) {
            Some(ns) if *ns != namespace => {
                shared.insert(name);
            }
            Some(_) => {}
            None => {
                first.insert(name, namespace);
            }
        }
    }
    shared
}

/// A name as a row shows it: `ns/name` when it is in `shared`, else the name.
pub fn qualified(shared: &HashSet<&str>, namespace: &str, name: &str) -> String {
    if shared.contains(name) {
        format!("{namespace}/{name}")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefixes_and_domains_go_when_the_rest_tells_them_apart() {
        assert_eq!(
            without_shared(&["k3d-dev-server-0", "k3d-dev-agent-0", "k3d-dev-agent-1"]),
            ["server-0", "agent-0", "agent-1"]
        );
        assert_eq!(
            without_shared(&[
                "ip-10-0-1-23.eu-west-1.compute.internal",
                "ip-10-0-2-45.eu-west-1.compute.internal"
            ]),
            ["1-23", "2-45"]
        );
        // Nothing shared, or one name: as they are.
        assert_eq!(without_shared(&["alpha", "beta"]), ["alpha", "beta"]);
        assert_eq!(without_shared(&["k3d-dev-server-0"]), ["k3d-dev-server-0"]);
        // A shared start and end that overlap: as they are.
        assert_eq!(without_shared(&["x.a", "x.y.a"]), ["x.a", "x.y.a"]);
        // Identical names stay whole (the caller tells them apart otherwise).
        assert_eq!(without_shared(&["node-1", "node-1"]), ["node-1", "node-1"]);
    }

    #[test]
    fn cut_names_that_would_read_the_same_keep_their_ends() {
        let names = [
            "payment-service-v1-canary",
            "payment-service-v1-stable",
            "user",
        ];
        assert_eq!(
            fit_distinct(&names, 12),
            ["pay…1-canary", "pay…1-stable", "user"]
        );
        // Different once cut: cut at the end as usual.
        assert_eq!(
            fit_distinct(&["community-service", "store-service"], 9),
            ["communit…", "store-se…"]
        );
    }
}
