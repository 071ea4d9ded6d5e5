//! Trace stores' answers read into spans (PROTOCOLS §11): Jaeger's v1 query API
//! (`{"data":[{"traceID","spans":[…],"processes":{…}}]}`: µs times, `references`, `tags`,
//! `logs`, a `processID` into `processes`), and OTLP JSON as Jaeger v3 (`{"result":
//! {"resourceSpans":[…]}}`) and Tempo (`{"batches":[…]}`, or `{"trace":{"resourceSpans"}}` from
//! `/api/v2/traces`) send it: nanosecond strings, hex or base64 ids, `attributes` as typed
//! values, `status.code` 2 for an error. Text is cleaned of escape sequences.

use crate::model::trace::{Span, TraceHit, normalise_span_id, normalise_trace_id};
use crate::net::json::{array_at, str_at};
use crate::sanitize::clean_owned;
use serde_json::Value;

/// A string field, cleaned of escape sequences.
fn s(v: &Value, k: &str) -> String {
    clean_owned(str_at(v, &[k]))
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    array_at(v, &[k])
}

/// A JSON value as text (a tag's or an attribute's).
fn text(v: &Value) -> String {
    clean_owned(&match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// An OTLP `AnyValue` (`{"stringValue": …}`, `{"intValue": "200"}`, …) as text.
fn any_value(v: &Value) -> String {
    let Some(o) = v.as_object() else {
        return text(v);
    };
    match o.iter().next() {
        Some((_, x)) => text(x),
        None => String::new(),
    }
}

/// Whether attributes say the span failed: `error=true`, or an HTTP status of 500 and above.
fn errs(attrs: &[(String, String)]) -> bool {
    attrs.iter().any(|(k, v)| {
        (k == "error" && v == "true")
            || (matches!(k.as_str(), "http.status_code" | "http.response.status_code")
                && v.parse::<u16>().is_ok_and(|c| c >= 500))
    })
}

fn kv(tags: &[Value]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (s(t, "key"), text(t.get("value").unwrap_or(&Value::Null))))
        .collect()
}

/// Jaeger's v1 `GET /api/traces/{id}`: the trace's id and its spans.
pub fn jaeger_v1(body: &str) -> Result<(String, Vec<Span>), String> {
    jaeger_traces(body)?
        .into_iter()
        .next()
        .ok_or_else(|| "Jaeger has no such trace".into())
}

/// Jaeger's v1 answer with any number of traces (a search's `GET /api/traces?service=…`).
pub fn jaeger_traces(body: &str) -> Result<Vec<(String, Vec<Span>)>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(e) = list(&v, "errors").first() {
        return Err(clean_owned(&format!(
            "Jaeger: {}",
            e.get("msg").map_or_else(|| e.to_string(), text)
        )));
    }
    if !v.get("data").is_some_and(|d| d.is_array() || d.is_null()) {
        return Err("not a Jaeger answer (no \"data\")".into());
    }
    // A trace whose id cannot be read is left out, not the whole answer.
    Ok(list(&v, "data")
        .iter()
        .filter_map(|t| Some((normalise_trace_id(&s(t, "traceID")).ok()?, jaeger_spans(t))))
        .collect())
}

fn jaeger_spans(t: &Value) -> Vec<Span> {
    let processes = t.get("processes");
    list(t, "spans")
        .iter()
        .map(|sp| {
            let process = processes.and_then(|p| p.get(s(sp, "processID")));
            let attributes = kv(list(sp, "tags"));
            let parent = list(sp, "references")
                .iter()
                .find(|r| s(r, "refType") == "CHILD_OF")
                .or_else(|| list(sp, "references").first())
                .map(|r| normalise_span_id(&s(r, "spanID")))
                .unwrap_or_default();
            let events = list(sp, "logs")
                .iter()
                .map(|l| {
                    let fields: Vec<String> = kv(list(l, "fields"))
                        .into_iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    (
                        l.get("timestamp").and_then(Value::as_i64).unwrap_or(0),
                        fields.join(" "),
                    )
                })
                .collect();
            Span {
                span_id: normalise_span_id(&s(sp, "spanID")),
                parent,
                service: process.map(|p| s(p, "serviceName")).unwrap_or_default(),
                name: s(sp, "operationName"),
                start_us: sp.get("startTime").and_then(Value::as_i64).unwrap_or(0),
                duration_us: sp.get("duration").and_then(Value::as_i64).unwrap_or(0),
                error: errs(&attributes),
                attributes,
                events,
                resource: process.map(|p| kv(list(p, "tags"))).unwrap_or_default(),
            }
        })
        .collect()
}

fn nanos(v: &Value, k: &str) -> i64 {
    match v.get(k) {
        Some(Value::String(x)) => x.parse::<i64>().unwrap_or(0),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn otlp_attrs(v: &Value) -> Vec<(String, String)> {
    list(v, "attributes")
        .iter()
        .map(|a| {
            (
                s(a, "key"),
                any_value(a.get("value").unwrap_or(&Value::Null)),
            )
        })
        .collect()
}

/// OTLP JSON resource spans, from Jaeger v3 or Tempo: the trace's id and its spans.
pub fn otlp(body: &str) -> Result<(String, Vec<Span>), String> {
    let mut traces = otlp_traces(body)?;
    if traces.is_empty() {
        return Err("the store has no spans for this trace".into());
    }
    let (id, mut spans) = traces.swap_remove(0);
    // One trace asked for: spans of any other id are the same trace's to a store that
    // rewrote ids (never in practice), so they are kept rather than dropped.
    for (_, more) in traces {
        spans.extend(more);
    }
    Ok((id, spans))
}

/// OTLP JSON resource spans grouped by trace id, in the order they first appear (Jaeger
/// v3's search answers many traces in one `resourceSpans`).
pub fn otlp_traces(body: &str) -> Result<Vec<(String, Vec<Span>)>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(e) = v.get("error") {
        let code = e.get("httpCode").and_then(Value::as_i64).unwrap_or(0);
        return Err(clean_owned(&format!("{code}: {}", s(e, "message"))));
    }
    let batches = [
        v.get("result").map(|r| list(r, "resourceSpans")),
        v.get("trace").map(|r| list(r, "resourceSpans")),
        Some(list(&v, "batches")),
        Some(list(&v, "resourceSpans")),
    ]
    .into_iter()
    .flatten()
    .find(|b| !b.is_empty())
    .unwrap_or(&[]);
    let mut traces: Vec<(String, Vec<Span>)> = Vec::new();
    for rs in batches {
        let resource = rs.get("resource").map(otlp_attrs).unwrap_or_default();
        let service = resource
            .iter()
            .find(|(k, _)| k == "service.name")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        // `scopeSpans`, or the older `instrumentationLibrarySpans`.
        let scopes = list(rs, "scopeSpans")
            .iter()
            .chain(list(rs, "instrumentationLibrarySpans"));
        for sc in scopes {
            for sp in list(sc, "spans") {
                let id = normalise_trace_id(&s(sp, "traceId")).unwrap_or_default();
                let start = nanos(sp, "startTimeUnixNano");
                let end = nanos(sp, "endTimeUnixNano");
                let attributes = otlp_attrs(sp);
                let status = sp.get("status");
                let code = status.and_then(|st| st.get("code"));
                let failed = matches!(code, Some(Value::Number(n)) if n.as_i64() == Some(2))
                    || code.and_then(Value::as_str) == Some("STATUS_CODE_ERROR");
                let mut events: Vec<(i64, String)> = list(sp, "events")
                    .iter()
                    .map(|e| {
                        let attrs: Vec<String> = otlp_attrs(e)
                            .into_iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        let what = format!("{} {}", s(e, "name"), attrs.join(" "));
                        (nanos(e, "timeUnixNano") / 1000, what.trim().to_string())
                    })
                    .collect();
                if let Some(m) = status.map(|st| s(st, "message")).filter(|m| !m.is_empty()) {
                    events.push((end / 1000, format!("status: {m}")));
                }
                let span = Span {
                    span_id: normalise_span_id(&s(sp, "spanId")),
                    parent: normalise_span_id(&s(sp, "parentSpanId")),
                    service: service.clone(),
                    name: s(sp, "name"),
                    start_us: start / 1000,
                    duration_us: end.saturating_sub(start).max(0) / 1000,
                    error: failed || errs(&attributes),
                    attributes,
                    events,
                    resource: resource.clone(),
                };
                match traces.iter_mut().rev().find(|(t, _)| *t == id) {
                    Some((_, spans)) => spans.push(span),
                    None => traces.push((id, vec![span])),
                }
            }
        }
    }
    Ok(traces)
}

/// Tempo's `GET /api/search` answer (`{"traces":[{"traceID","rootServiceName",
/// "rootTraceName","startTimeUnixNano","durationMs","spanSet"|"spanSets"}]}`) as hits; the
/// pod and version come from the spans' selected attributes (`k8s.pod.name`,
/// `service.version`). `error`: the search asked for errors only.
pub fn tempo_search(body: &str, error: bool) -> Result<Vec<TraceHit>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if !v.get("traces").is_some_and(|t| t.is_array() || t.is_null()) {
        return Err("not a Tempo search answer (no \"traces\")".into());
    }
    Ok(list(&v, "traces")
        .iter()
        .filter_map(|t| {
            let trace_id = normalise_trace_id(&s(t, "traceID")).ok()?;
            let sets = v_sets(t);
            let attr = |names: &[&str]| -> String {
                sets.iter()
                    .flat_map(|set| list(set, "spans"))
                    .flat_map(otlp_attrs)
                    .find(|(k, _)| names.contains(&k.as_str()))
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            };
            Some(TraceHit {
                trace_id,
                root: format!("{}: {}", s(t, "rootServiceName"), s(t, "rootTraceName")),
                start_us: nanos(t, "startTimeUnixNano") / 1000,
                duration_us: t
                    .get("durationMs")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .saturating_mul(1000),
                error,
                pod: attr(&["k8s.pod.name", "resource.k8s.pod.name"]),
                version: attr(&["service.version", "resource.service.version"]),
                track: None,
            })
        })
        .collect())
}

/// A Tempo search result's span sets (`spanSets`, or the older single `spanSet`).
fn v_sets(t: &Value) -> Vec<&Value> {
    let mut sets: Vec<&Value> = list(t, "spanSets").iter().collect();
    if let Some(one) = t.get("spanSet") {
        sets.push(one);
    }
    sets
}

/// A whole trace (from Jaeger's search, or grouped OTLP) as a hit: its root, extent, whether
/// any span failed, and the pod and version of the service's spans (by any of its `names`:
/// `store`, Istio's `store.dev`).
pub fn hit_of(trace_id: String, spans: &[Span], names: &[&str]) -> TraceHit {
    let start = spans.iter().map(|s| s.start_us).min().unwrap_or(0);
    let end = spans.iter().map(Span::end_us).max().unwrap_or(0);
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let root = spans
        .iter()
        .filter(|s| s.parent.is_empty() || !ids.contains(s.parent.as_str()))
        .min_by_key(|s| s.start_us);
    let mine = || spans.iter().filter(|s| names.contains(&s.service.as_str()));
    let find = |names: &[&str]| -> String {
        mine()
            .flat_map(|s| s.resource.iter().chain(&s.attributes))
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    TraceHit {
        trace_id,
        root: root.map_or_else(String::new, |r| format!("{}: {}", r.service, r.name)),
        start_us: start,
        duration_us: end.saturating_sub(start).max(0),
        error: spans.iter().any(|s| s.error),
        pod: find(&["k8s.pod.name", "hostname", "pod", "pod_name"]),
        version: find(&["service.version", "version"]),
        track: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::build;

    const JAEGER: &str = r#"{"data":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spans":[
        {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7","operationName":"GET /api/store/products",
         "references":[],"startTime":1764583200000000,"duration":182000,
         "tags":[{"key":"http.status_code","type":"int64","value":500},{"key":"span.kind","type":"string","value":"server"}],
         "logs":[],"processID":"p1","warnings":null},
        {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"b7ad6b7169203331","operationName":"SELECT products\u001b[31m",
         "references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7"}],
         "startTime":1764583200010000,"duration":170000,
         "tags":[{"key":"error","type":"bool","value":true}],
         "logs":[{"timestamp":1764583200180000,"fields":[{"key":"event","type":"string","value":"error"},{"key":"message","type":"string","value":"Connection is not available, request timed out after 30000ms"}]}],
         "processID":"p2","warnings":null}],
        "processes":{"p1":{"serviceName":"gateway","tags":[{"key":"hostname","type":"string","value":"gateway-7d9f"}]},
                     "p2":{"serviceName":"store","tags":[]}}}],"total":0,"limit":0,"offset":0,"errors":null}"#;

    #[test]
    fn jaegers_v1_answer_reads_into_a_tree_with_its_processes() {
        let (id, spans) = jaeger_v1(JAEGER).expect("parsed");
        assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
        let t = build(id, spans);
        assert_eq!(t.rows.len(), 2);
        let root = &t.spans[t.rows[0].span.unwrap_or(0)];
        assert_eq!((root.service.as_str(), root.error), ("gateway", true));
        let db = &t.spans[t.rows[1].span.unwrap_or(0)];
        assert_eq!(db.parent, "00f067aa0ba902b7");
        assert_eq!(db.name, "SELECT products", "escape sequences cleaned");
        assert!(db.error);
        assert!(
            db.events[0].1.contains("request timed out"),
            "{:?}",
            db.events
        );
        assert_eq!(t.duration_us(), 182_000);
        assert!(
            jaeger_v1(r#"{"data":[],"errors":[{"code":404,"msg":"trace not found"}]}"#)
                .is_err_and(|e| e.contains("trace not found"))
        );
        assert!(jaeger_v1("[]").is_err());
    }

    const OTLP: &str = r#"{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"auth-service"}}]},
        "scopeSpans":[{"scope":{"name":"io.opentelemetry.spring"},"spans":[
          {"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"APBnqgupArc=","name":"POST /auth/login","kind":2,
           "startTimeUnixNano":"1764583200000000000","endTimeUnixNano":"1764583200250000000",
           "attributes":[{"key":"http.response.status_code","value":{"intValue":"503"}}],
           "status":{"code":2,"message":"upstream unavailable"}},
          {"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"t61rcWkgMzE=","parentSpanId":"APBnqgupArc=","name":"redis GET",
           "startTimeUnixNano":"1764583200005000000","endTimeUnixNano":"1764583200006000000","attributes":[],"status":{}}]}]}]}}"#;

    #[test]
    fn otlp_json_from_jaeger_v3_and_tempo_reads_the_same() {
        let (id, spans) = otlp(OTLP).expect("v3");
        assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
        let t = build(id, spans);
        let root = &t.spans[t.rows[0].span.unwrap_or(0)];
        assert_eq!(root.span_id, "00f067aa0ba902b7");
        assert!(root.error);
        assert_eq!(root.duration_us, 250_000);
        assert!(
            root.events
                .iter()
                .any(|e| e.1 == "status: upstream unavailable")
        );
        assert_eq!(t.rows[1].depth, 1);
        assert_eq!(t.spans[t.rows[1].span.unwrap_or(0)].service, "auth-service");
        // Tempo's /api/traces: the same resource spans as `batches`.
        let tempo = OTLP
            .replacen(r#"{"result":{"resourceSpans":"#, r#"{"batches":"#, 1)
            .trim_end_matches('}')
            .to_string()
            + "}";
        let (id2, spans2) = otlp(&tempo).expect("tempo");
        assert_eq!(id2, t.trace_id);
        assert_eq!(spans2.len(), 2);
        // Jaeger v3's not found.
        assert_eq!(
            otlp(r#"{"error":{"httpCode":404,"message":"trace not found"}}"#),
            Err("404: trace not found".into())
        );
    }
}
