//! LogQL text (PROTOCOLS §5): stream selectors and line filters built with every value quoted,
//! and narrowing a user's query to a service or a track by adding label matchers to its
//! stream selector — found by reading the selector's matchers, so a `}` inside a quoted value
//! (`{pod=~"store-[a-z0-9]{5}"}`) is not taken for its end.

/// A LogQL string literal (Go escapes, as PromQL).
pub fn quote(s: &str) -> String {
    super::promql::quote(s)
}

/// The reference platform's query: Spring Boot ERROR lines in `dev`.
pub const DEFAULT_QUERY: &str = r#"{namespace="dev"} |= "ERROR""#;

/// `{namespace="dev", app="store"} |= "ERROR"`: a stream selector from exact label matchers and
/// line filters, every value escaped.
pub fn logql(labels: &[(&str, &str)], contains: &[&str]) -> String {
    let sel: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    let mut q = format!("{{{}}}", sel.join(", "));
    for c in contains {
        q.push_str(&format!(" |= {}", quote(c)));
    }
    q
}

/// One label matcher of a stream selector, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub op: &'static str,
    /// The value, unquoted.
    pub value: String,
}

/// The first stream selector of a query: its matchers and the byte range of `{ … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
    pub open: usize,
    /// The index of the closing `}`.
    pub close: usize,
}

/// Reads a string literal starting at `i` (`"…"` with Go escapes, or a `` `raw` `` one);
/// returns its value and the index after it.
fn string_at(s: &str, i: usize) -> Option<(String, usize)> {
    let rest = &s[i..];
    let quote = rest.chars().next()?;
    let mut out = String::new();
    let mut chars = rest.char_indices().skip(1);
    match quote {
        '`' => {
            for (k, c) in chars {
                if c == '`' {
                    return Some((out, i + k + 1));
                }
                out.push(c);
            }
            None
        }
        '"' => {
            while let Some((k, c)) = chars.next() {
                match c {
                    '"' => return Some((out, i + k + 1)),
                    '\\' => {
                        let (_, e) = chars.next()?;
                        out.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            other => other,
                        });
                    }
                    c => out.push(c),
                }
            }
            None
        }
        _ => None,
    }
}

/// Parses the first stream selector of `query`; `None` if there is none or it is malformed.
pub fn selector(query: &str) -> Option<Selector> {
    let open = query.find('{')?;
    let bytes = query.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(open + 1);
    let mut matchers = Vec::new();
    loop {
        if bytes.get(i) == Some(&b'}') {
            return Some(Selector {
                matchers,
                open,
                close: i,
            });
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start || bytes[start].is_ascii_digit() {
            return None;
        }
        let label = query[start..i].to_string();
        i = skip_ws(i);
        let op = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'='), Some(b'~')) => "=~",
            (Some(b'!'), Some(b'=')) => "!=",
            (Some(b'!'), Some(b'~')) => "!~",
            (Some(b'='), _) => "=",
            _ => return None,
        };
        i = skip_ws(i + op.len());
        let (value, after) = string_at(query, i)?;
        matchers.push(Matcher { label, op, value });
        i = skip_ws(after);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(i + 1),
            Some(b'}') => {}
            _ => return None,
        }
    }
}

/// The line filters after the first stream selector, in order: (`|=`, `|~`, `!=` or `!~`,
/// the value), and what follows them unread (a parser, a label filter), trimmed.
pub fn line_filters(query: &str) -> (Vec<(&'static str, String)>, &str) {
    let Some(sel) = selector(query) else {
        return (Vec::new(), query);
    };
    let bytes = query.as_bytes();
    let mut i = sel.close + 1;
    let mut out = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let op = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'|'), Some(b'=')) => "|=",
            (Some(b'|'), Some(b'~')) => "|~",
            (Some(b'!'), Some(b'=')) => "!=",
            (Some(b'!'), Some(b'~')) => "!~",
            _ => return (out, query[i..].trim()),
        };
        let start = i;
        i += 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let Some((value, after)) = string_at(query, i) else {
            return (out, query[start..].trim());
        };
        out.push((op, value));
        i = after;
    }
}

/// Adds exact label matchers to the stream selector of `query` (narrowing it to a service or a
/// track); `None` if the query has no selector that can be read.
pub fn narrow(query: &str, labels: &[(&str, &str)]) -> Option<String> {
    let sel = selector(query)?;
    let inside = query[sel.open + 1..sel.close].trim();
    let mut parts: Vec<String> = if inside.is_empty() {
        Vec::new()
    } else {
        vec![inside.trim_end_matches(',').trim_end().to_string()]
    };
    parts.extend(labels.iter().map(|(k, v)| format!("{k}={}", quote(v))));
    Some(format!(
        "{}{{{}}}{}",
        &query[..sel.open],
        parts.join(", "),
        &query[sel.close + 1..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logql_escapes_values_and_narrows_selectors() {
        assert_eq!(DEFAULT_QUERY, logql(&[("namespace", "dev")], &["ERROR"]));
        assert_eq!(
            logql(&[("app", "st\"o\\re\n")], &["a \"b\""]),
            r#"{app="st\"o\\re\n"} |= "a \"b\"""#
        );
        assert_eq!(
            narrow(
                DEFAULT_QUERY,
                &[("app", "store"), ("rollouts_pod_template_hash", "5f6b")]
            )
            .unwrap(),
            r#"{namespace="dev", app="store", rollouts_pod_template_hash="5f6b"} |= "ERROR""#
        );
        assert_eq!(narrow("{}", &[("app", "x")]).unwrap(), r#"{app="x"}"#);
        assert_eq!(narrow("no selector", &[("app", "x")]), None);
    }

    #[test]
    fn a_brace_inside_a_quoted_value_is_not_the_end_of_the_selector() {
        let q = r#"{pod=~"store-[a-z0-9]{5}", namespace="dev"} |~ "ERROR|WARN""#;
        let sel = selector(q).unwrap();
        assert_eq!(sel.matchers.len(), 2);
        assert_eq!(sel.matchers[0].value, "store-[a-z0-9]{5}");
        assert_eq!(sel.matchers[0].op, "=~");
        assert_eq!(
            narrow(q, &[("app", "store")]).unwrap(),
            r#"{pod=~"store-[a-z0-9]{5}", namespace="dev", app="store"} |~ "ERROR|WARN""#
        );
        let raw = r#"{job=`a}b`} != "x""#;
        assert_eq!(
            narrow(raw, &[("app", "y")]).unwrap(),
            r#"{job=`a}b`, app="y"} != "x""#
        );
        let escaped = r#"{msg="a\"}b"}"#;
        assert_eq!(selector(escaped).unwrap().matchers[0].value, "a\"}b");
        // Metric queries keep their shape around the selector.
        assert_eq!(
            narrow(r#"sum(rate({app="x"} |= "E" [1m]))"#, &[("pod", "p")]).unwrap(),
            r#"sum(rate({app="x", pod="p"} |= "E" [1m]))"#
        );
    }

    #[test]
    fn line_filters_are_read_in_order() {
        assert_eq!(
            line_filters(r#"{a="b"} |= "ERROR" != `DEBUG` |~ "x|y" | json"#),
            (
                vec![
                    ("|=", "ERROR".to_string()),
                    ("!=", "DEBUG".to_string()),
                    ("|~", "x|y".to_string())
                ],
                "| json"
            )
        );
        assert_eq!(
            line_filters(r#"{a="b"} |= "x" "#),
            (vec![("|=", "x".to_string())], "")
        );
        assert!(line_filters("nothing").0.is_empty());
    }

    #[test]
    fn malformed_selectors_are_not_narrowed() {
        for q in [
            r#"{app="x""#,
            r#"{app=x}"#,
            r#"{="x"}"#,
            r#"{app="x" pod="y"}"#,
            r#"{app=="x"}"#,
            "{",
        ] {
            assert_eq!(narrow(q, &[("a", "b")]), None, "{q}");
        }
        assert_eq!(
            narrow(r#"{ app = "x" , }"#, &[("a", "b")]).unwrap(),
            r#"{app = "x", a="b"}"#
        );
    }
}
