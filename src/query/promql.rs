//! PromQL text. Every label value that reaches a query goes through [`quote`] (and, for `=~`,
//! [`regex_literal`] first), so a name with quotes, backslashes or newlines cannot change a query.

/// A PromQL double-quoted string literal of `s` (Go escapes: `\\`, `\"`, `\n`, `\uXXXX`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as an RE2 pattern matching exactly `s` (metacharacters escaped).
pub fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `label="value"`.
pub fn eq(label: &str, value: &str) -> String {
    format!("{label}={}", quote(value))
}

/// `label=~"a|b"` matching any of `values` exactly; `None` for no values (no restriction).
pub fn any_of(label: &str, values: &[String]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let alts: Vec<String> = values.iter().map(|v| regex_literal(v)).collect();
    Some(format!("{label}=~{}", quote(&alts.join("|"))))
}

/// `{a, b, c}` from matchers, skipping absent ones.
pub fn selector(matchers: &[Option<String>]) -> String {
    let m: Vec<&str> = matchers.iter().flatten().map(String::as_str).collect();
    format!("{{{}}}", m.join(", "))
}

/// A range for `rate()`: at least four steps and a minute, like Grafana's `$__rate_interval`.
pub fn rate_range(step: u32) -> String {
    format!("{}s", (step.saturating_mul(4)).max(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_cannot_break_out_of_their_string() {
        assert_eq!(quote("dev"), "\"dev\"");
        assert_eq!(quote(r#"a"b"#), r#""a\"b""#);
        assert_eq!(quote(r"a\b"), r#""a\\b""#);
        assert_eq!(quote("a\nb\u{7}"), r#""a\nb\u0007""#);
        assert_eq!(
            eq("namespace", "x\"} or vector(1) #"),
            r#"namespace="x\"} or vector(1) #""#
        );
        assert_eq!(regex_literal("a.b|c"), r"a\.b\|c");
        assert_eq!(
            any_of("namespace", &["dev".into(), "a.b\"".into()]).unwrap(),
            r#"namespace=~"dev|a\\.b\"""#
        );
        assert_eq!(any_of("namespace", &[]), None);
        assert_eq!(rate_range(5), "60s");
        assert_eq!(rate_range(60), "240s");
    }
}
