//! Loki's HTTP API (PROTOCOLS §5): `query_range` answers and tail frames into entries, and
//! Loki's plain-text errors shown as they are.

use crate::net::http::{Endpoint, HttpError, short_body};
use crate::sources::logs::Entry;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Entries asked for per request (Loki's default cap is 5000).
pub const LIMIT: usize = 2000;

/// `[{"stream": {…}, "values": [["<ns>", "<line>", {…}?], …]}, …]` into entries, oldest first.
pub fn parse_streams(streams: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in streams.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        // One map per stream, shared by its lines (not copied into each of them).
        let labels: Arc<BTreeMap<String, String>> = Arc::new(
            s["stream"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        );
        for v in s["values"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let Some(ts_ns) = v
                .get(0)
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok())
            else {
                continue;
            };
            let line = v.get(1).and_then(Value::as_str).unwrap_or("");
            out.push(Entry {
                ts_ns,
                labels: labels.clone(),
                // A 10 MB line is cut here, before it is copied or parsed.
                line: crate::sanitize::cap(line).into_owned(),
            });
        }
    }
    out.sort_by_key(|e| e.ts_ns);
    out
}

/// A `TailResponse` frame: its entries and the number of entries the server dropped.
pub fn parse_tail(frame: &str) -> Result<(Vec<Entry>, u64), String> {
    let v: Value = serde_json::from_str(frame)
        .map_err(|_| format!("not a Loki tail frame: {}", short_body(frame)))?;
    let dropped = v["dropped_entries"]
        .as_array()
        .map_or(0, |a| a.len() as u64);
    Ok((parse_streams(&v["streams"]), dropped))
}

pub fn ns_string(ns: i128) -> String {
    ns.to_string()
}

/// Loki answers errors as plain text: show them as they are.
pub fn loki_error(e: HttpError) -> String {
    match e.status {
        Some(code) => format!("Loki answered {code}: {}", short_body(&e.body)),
        None => e.message,
    }
}

pub async fn query_range(
    ep: &Endpoint,
    query: &str,
    start_ns: i128,
    end_ns: i128,
    direction: &str,
) -> Result<Vec<Entry>, String> {
    let r = ep
        .get(
            "loki/api/v1/query_range",
            &[
                ("query", query.to_string()),
                ("start", ns_string(start_ns)),
                ("end", ns_string(end_ns)),
                ("limit", LIMIT.to_string()),
                ("direction", direction.to_string()),
            ],
        )
        .await
        .map_err(loki_error)?;
    let v: Value = serde_json::from_str(&r.body)
        .map_err(|_| format!("not a Loki answer: {}", short_body(&r.body)))?;
    if v["status"].as_str() != Some("success") {
        return Err(format!("Loki: {}", short_body(&r.body)));
    }
    Ok(parse_streams(&v["data"]["result"]))
}

pub fn now_ns() -> i128 {
    i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streams_parse_with_string_nanoseconds_and_optional_metadata() {
        let v = json!([{"stream": {"namespace": "dev", "app": "store", "pod": "store-5f6b8d9c7-wv5mn"},
            "values": [["1724930401000000000", "b"], ["1724930400123456789", "a", {"trace_id": "abc"}], [1, "number ts skipped"]]}]);
        let e = parse_streams(&v);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].ts_ns, 1724930400123456789);
        assert_eq!(e[0].line, "a");
        let (entries, dropped) = parse_tail(
            r#"{"streams":[{"stream":{"app":"x"},"values":[["5","l"]]}],"dropped_entries":[{"labels":{},"timestamp":"4"}]}"#,
        )
        .unwrap();
        assert_eq!((entries.len(), dropped), (1, 1));
        assert_eq!(parse_tail("{}").unwrap(), (vec![], 0));
        assert!(parse_tail("too many outstanding requests").is_err());
    }
}
