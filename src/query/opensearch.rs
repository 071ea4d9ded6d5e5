//! The OpenSearch / Elasticsearch query DSL for logs that Fluentd wrote (PROTOCOLS §10): the
//! pane's query is the `query` clause of a `_search` body, built from the same intent as the
//! LogQL one (namespaces, labels, words a line must contain) and narrowed to a service or a
//! track by adding filters, never by editing text. Exact filters use the `.keyword` sub-field
//! that dynamic mapping gives strings; the line is in `log` (docker json-file) or `message`
//! (CRI); Pod labels are under `kubernetes.labels.` with their dots written as `_`.

use super::LogScope;
use serde_json::{Value, json};

/// The fields a line's text may be in.
pub const TEXT_FIELDS: [&str; 2] = ["log", "message"];
pub const NAMESPACE_FIELD: &str = "kubernetes.namespace_name.keyword";
pub const CONTAINER_FIELD: &str = "kubernetes.container_name.keyword";
pub const HASH_FIELD: &str = "kubernetes.labels.rollouts-pod-template-hash.keyword";
/// The labels that name a Pod's service, as the metadata filter writes them (dots as `_`).
pub const SERVICE_LABELS: [&str; 3] = ["app", "app_kubernetes_io/name", "service"];

/// What the logs pane asks for, whatever the store: the namespaces (none: all), exact Pod
/// labels, and the words a line must contain (each group: any one of its alternatives).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogIntent {
    pub namespaces: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub words: Vec<Vec<String>>,
}

impl LogIntent {
    /// The intent of a LogQL query: `namespace="a"` / `namespace=~"a|b"` matchers, other
    /// exact label matchers, and `|= "w"` / `|~ "A|B"` line filters of plain words. What
    /// cannot be carried over (regex matchers, negations, parsers) is named in the error.
    pub fn from_logql(q: &str) -> Result<Self, String> {
        let sel = super::logql::selector(q)
            .ok_or_else(|| format!("cannot read the stream selector of {q}"))?;
        if !q[..sel.open].trim().is_empty() {
            return Err(format!(
                "{q} is a metric query; the logs pane needs a log query (a selector and line filters)"
            ));
        }
        let mut out = Self::default();
        for m in sel.matchers {
            match (m.label.as_str(), m.op) {
                ("namespace", "=") => out.namespaces.push(m.value),
                ("namespace", "=~") if plain_alternatives(&m.value).is_some() => {
                    out.namespaces
                        .extend(plain_alternatives(&m.value).unwrap_or_default());
                }
                (_, "=") => out.labels.push((m.label, m.value)),
                (label, op) => {
                    return Err(format!(
                        "the matcher {label}{op}\"{}\" has no OpenSearch filter; give the query \
                         as JSON (--log-query '{{\"bool\":…}}')",
                        m.value
                    ));
                }
            }
        }
        let (filters, rest) = super::logql::line_filters(q);
        if !rest.is_empty() {
            return Err(format!(
                "`{rest}` has no OpenSearch filter (only line filters |= and |~ of plain words \
                 are carried over); give the query as JSON (--log-query '{{\"bool\":…}}')"
            ));
        }
        for (op, value) in filters {
            match op {
                "|=" => out.words.push(vec![value]),
                "|~" => match plain_alternatives(&value) {
                    Some(alts) => out.words.push(alts),
                    None => {
                        return Err(format!(
                            "the line regex \"{value}\" has no OpenSearch match; give the query as JSON"
                        ));
                    }
                },
                other => {
                    return Err(format!(
                        "the line filter {other} \"{value}\" has no OpenSearch match; give the query as JSON"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The `query` clause: `bool.filter` terms on namespace and labels, `must` one phrase
    /// match per word group (over `log` and `message`).
    pub fn to_query(&self) -> Value {
        let mut filter = Vec::new();
        match self.namespaces.as_slice() {
            [] => {}
            [one] => filter.push(json!({"term": {NAMESPACE_FIELD: one}})),
            many => filter.push(json!({"terms": {NAMESPACE_FIELD: many}})),
        }
        for (k, v) in &self.labels {
            filter.push(json!({"term": {label_field(k): v}}));
        }
        let must: Vec<Value> = self
            .words
            .iter()
            .map(|alts| match alts.as_slice() {
                [one] => phrase(one),
                many => json!({"bool": {
                    "should": many.iter().map(|w| phrase(w)).collect::<Vec<_>>(),
                    "minimum_should_match": 1
                }}),
            })
            .collect();
        let mut b = serde_json::Map::new();
        if !filter.is_empty() {
            b.insert("filter".into(), Value::Array(filter));
        }
        if !must.is_empty() {
            b.insert("must".into(), Value::Array(must));
        }
        json!({ "bool": b })
    }
}

/// `A|B|C` of plain words (letters, digits, `-`, `_`, `.`, spaces), else `None`.
fn plain_alternatives(re: &str) -> Option<Vec<String>> {
    let alts: Vec<String> = re.split('|').map(str::to_string).collect();
    let plain = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.'))
    };
    alts.iter().all(|w| plain(w)).then_some(alts)
}

/// The field of a Pod label as the metadata filter writes it: `kubernetes.labels.<k>.keyword`
/// with the key's dots as `_` (`app.kubernetes.io/name` → `app_kubernetes_io/name`).
pub fn label_field(key: &str) -> String {
    format!("kubernetes.labels.{}.keyword", key.replace('.', "_"))
}

fn phrase(w: &str) -> Value {
    json!({"multi_match": {"query": w, "type": "phrase", "fields": TEXT_FIELDS}})
}

/// A query clause as the pane and the request show it: compact JSON.
pub fn compact(query: &Value) -> String {
    serde_json::to_string(query).unwrap_or_default()
}

/// Reads a query clause the user gave as JSON; it must be an object.
pub fn parse(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("the OpenSearch query must be a JSON object such as {\"bool\":…}".into()),
        Err(e) => Err(format!("the OpenSearch query is not JSON: {e}")),
    }
}

/// The clause narrowed to `scope`: it goes into a `bool.filter` beside the service (its
/// `app`-like labels, or its container's name) and the track's pod-template hash.
pub fn narrow(text: &str, scope: &LogScope) -> Option<String> {
    let query = parse(text).ok()?;
    let svc = &scope.service;
    let mut service: Vec<Value> = SERVICE_LABELS
        .iter()
        .map(|k| json!({"term": {label_field(k): svc}}))
        .collect();
    // As the pane names a line's service: its labels, else its container.
    service.push(json!({"term": {CONTAINER_FIELD: svc}}));
    // The narrowing first, so a title cut at the pane's edge still shows it.
    let mut filter = Vec::new();
    if let Some(h) = scope.pod_hash.as_deref().filter(|h| !h.is_empty()) {
        filter.push(json!({"term": {HASH_FIELD: h}}));
    }
    filter.push(json!({"bool": {"should": service, "minimum_should_match": 1}}));
    filter.push(query);
    Some(compact(&json!({"bool": {"filter": filter}})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Track;

    #[test]
    fn logql_intents_become_filters_and_phrase_matches() {
        let i =
            LogIntent::from_logql(r#"{namespace="shop", app="goods"} |~ "ERROR|WARN""#).unwrap();
        assert_eq!(i.namespaces, vec!["shop"]);
        assert_eq!(
            compact(&i.to_query()),
            r#"{"bool":{"filter":[{"term":{"kubernetes.namespace_name.keyword":"shop"}},{"term":{"kubernetes.labels.app.keyword":"goods"}}],"must":[{"bool":{"minimum_should_match":1,"should":[{"multi_match":{"fields":["log","message"],"query":"ERROR","type":"phrase"}},{"multi_match":{"fields":["log","message"],"query":"WARN","type":"phrase"}}]}}]}}"#
        );
        let two =
            LogIntent::from_logql(r#"{namespace=~"shop-api|shop-front"} |= "ERROR""#).unwrap();
        assert_eq!(two.namespaces, vec!["shop-api", "shop-front"]);
        assert!(compact(&two.to_query()).contains(
            r#"{"terms":{"kubernetes.namespace_name.keyword":["shop-api","shop-front"]}}"#
        ));
        assert_eq!(
            label_field("app.kubernetes.io/name"),
            "kubernetes.labels.app_kubernetes_io/name.keyword"
        );
        for bad in [
            r#"{namespace=~"shop.*"}"#,
            r#"{app!="x"}"#,
            r#"{namespace="x"} != "DEBUG""#,
            r#"{namespace="x"} |~ "ERR(OR)?""#,
            r#"{namespace="x"} | json |= "ERROR""#,
            r#"{namespace="x"} |= "ERROR" | level="error""#,
            r#"sum(rate({namespace="x"}[1m]))"#,
            "no selector",
        ] {
            assert!(LogIntent::from_logql(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn narrowing_wraps_the_clause_with_the_service_and_the_hash() {
        let base = compact(
            &LogIntent::from_logql(r#"{namespace="shop"}"#)
                .unwrap()
                .to_query(),
        );
        let scope = LogScope {
            service: "goods".into(),
            track: Some(Track::Canary),
            pod_hash: Some("6d9f7c8b54".into()),
        };
        let n: Value = serde_json::from_str(&narrow(&base, &scope).unwrap()).unwrap();
        let f = n["bool"]["filter"].as_array().unwrap();
        assert_eq!(f[0]["term"][HASH_FIELD], "6d9f7c8b54");
        assert_eq!(f[1]["bool"]["should"][3]["term"][CONTAINER_FIELD], "goods");
        assert_eq!(f[2], serde_json::from_str::<Value>(&base).unwrap());
        assert_eq!(narrow("not json", &scope), None);
        assert!(parse("[1]").is_err());
    }
}
