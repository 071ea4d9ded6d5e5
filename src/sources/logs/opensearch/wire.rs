//! OpenSearch / Elasticsearch on the wire (PROTOCOLS §10): the `_search` bodies opsdeck sends,
//! hits in Fluentd's shape as entries, `GET /` as a name and version, index resolution, and
//! every way a search fails worded for the person reading the pane.

use crate::net::http::{HttpError, short_body};
use crate::sources::logs::Entry;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Hits asked for per page.
pub const PAGE: usize = 500;

/// The fields a hit's `_source` is cut to (what the pane reads).
pub const SOURCE_FIELDS: [&str; 8] = [
    "@timestamp",
    "log",
    "message",
    "stream",
    "level",
    "kubernetes.namespace_name",
    "kubernetes.pod_name",
    "kubernetes.container_name",
];

/// Which way a search runs through time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest first, for following.
    Asc,
    /// Newest first, for the backfill's latest page.
    Desc,
}

/// `@timestamp` as the range filter and the messages write it: RFC 3339 with nanoseconds.
pub fn rfc3339(ns: i128) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ns.clamp(0, i64::MAX as i128) as i64)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// A `_search` body: the pane's clause and `@timestamp >= from`, sorted by time with `_doc`
/// as the tie-breaker, `size` hits after `search_after` (the last hit's `sort`).
pub fn search_body(
    clause: &Value,
    from_ns: i128,
    order: Order,
    size: usize,
    search_after: Option<&Value>,
) -> Value {
    let dir = match order {
        Order::Asc => "asc",
        Order::Desc => "desc",
    };
    let mut fields: Vec<&str> = SOURCE_FIELDS.to_vec();
    fields.push("kubernetes.labels");
    let mut body = json!({
        "size": size,
        "sort": [{"@timestamp": {"order": dir, "unmapped_type": "date"}}, {"_doc": {"order": dir}}],
        "track_total_hits": false,
        "_source": fields,
        "query": {"bool": {"filter": [
            clause,
            {"range": {"@timestamp": {"gte": rfc3339(from_ns), "format": "strict_date_optional_time_nanos"}}}
        ]}}
    });
    if let Some(after) = search_after {
        body["search_after"] = after.clone();
    }
    body
}

/// The key of (`_index`, `_id`) for de-duplication: its 64-bit hash (SipHash with fixed
/// keys, so the same pair gives the same key in every poll).
pub fn key(index: &str, id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    index.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

/// One hit: its identity for de-duplication and its entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// (`_index`, `_id`), hashed ([`key`]).
    pub key: u64,
    pub entry: Entry,
}

/// A search's answer: the hits in the order asked, and what did not come back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    pub hits: Vec<Hit>,
    /// The last hit's `sort` values: where the next page starts (`search_after`).
    pub last_sort: Option<Value>,
    /// Hits with no `@timestamp` and no line, skipped.
    pub unreadable: usize,
    /// `(failed, total)` shards when some failed, with the first reason.
    pub partial: Option<(u64, u64, String)>,
    /// The search ran out of time on the server and returned what it had.
    pub timed_out: bool,
}

/// Why a request failed, for the retry policy and the words on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401/403: the credential in use was refused.
    Refused(String),
    /// 429: the cluster is shedding load; back off longer.
    Overloaded(String),
    /// The index pattern matches nothing.
    NoIndex(String),
    Other(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Self::Refused(m) | Self::Overloaded(m) | Self::NoIndex(m) | Self::Other(m) => m,
        }
    }
}

/// The `<title>` of an HTML page, when a body is one (a proxy's or a login page).
fn html_title(body: &str) -> Option<String> {
    let t = body.trim_start();
    let lower: String = t.chars().take(4096).collect::<String>().to_lowercase();
    if !(lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.contains("<body"))
    {
        return None;
    }
    let start = lower.find("<title>")? + "<title>".len();
    let end = lower[start..].find("</title>")? + start;
    Some(t.get(start..end).unwrap_or("").trim().to_string())
}

/// The server's reason in an Elasticsearch error body (`{"error":{"root_cause":[…],"type",
/// "reason"},"status"}`), an AWS one (`{"message"}`), or its first line.
pub fn reason(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["error"].is_object() => {
            let e = &v["error"];
            let root = &e["root_cause"][0];
            let ty = root["type"].as_str().or(e["type"].as_str()).unwrap_or("");
            let why = root["reason"]
                .as_str()
                .or(e["reason"].as_str())
                .unwrap_or("");
            match (ty, why) {
                ("", w) => w.to_string(),
                (t, "") => t.to_string(),
                (t, w) => format!("{t}: {w}"),
            }
        }
        _ => short_body(body),
    }
}

/// An HTTP failure in the user's words; `what` names the server (`OpenSearch at URL`) and
/// `credential` what the request carried.
pub fn failure(e: &HttpError, what: &str, credential: &str, index: &str) -> Failure {
    if let Some(title) = html_title(&e.body) {
        return Failure::Other(format!(
            "{what} answered {} with an HTML page ({}), not OpenSearch: a proxy or a login page \
             is in the way",
            e.status.map(|s| s.to_string()).unwrap_or_default(),
            if title.is_empty() { "untitled" } else { &title }
        ));
    }
    let why = reason(&e.body);
    match e.status {
        Some(s @ (401 | 403)) => Failure::Refused(format!(
            "{what} refused {credential} ({s}: {why}); set the credentials in the environment \
             (docs/logs.md)"
        )),
        Some(429) => Failure::Overloaded(format!("{what} is overloaded (429: {why})")),
        Some(404) if why.contains("index_not_found") => {
            Failure::NoIndex(format!("no index matches {index} on {what} ({why})"))
        }
        Some(s) => Failure::Other(format!("{what} answered {s}: {why}")),
        None => Failure::Other(e.message.clone()),
    }
}

/// A 200 whose body is not a search answer (a proxy's page, a truncated body).
fn not_an_answer(body: &str, what: &str) -> Failure {
    match html_title(body) {
        Some(t) => Failure::Other(format!(
            "{what} answered with an HTML page ({}), not OpenSearch: a proxy or a login page is \
             in the way",
            if t.is_empty() { "untitled" } else { &t }
        )),
        None => Failure::Other(format!(
            "{what} answered something that is not a search result: {}",
            short_body(body)
        )),
    }
}

/// A Pod label key as a label name the log seam reads (`rollouts-pod-template-hash` →
/// `rollouts_pod_template_hash`, `app_kubernetes_io/name` → `app_kubernetes_io_name`).
fn label_name(k: &str) -> String {
    k.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A hit as it is read: borrowed from the body where it has no escapes, the Pod's labels left
/// as raw JSON until a container is first seen (most hits repeat one).
#[derive(serde::Deserialize)]
struct RawHit<'a> {
    #[serde(rename = "_index", borrow, default)]
    index: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "_id", borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "_source", borrow, default)]
    source: Option<RawSource<'a>>,
    #[serde(borrow, default)]
    sort: Option<&'a serde_json::value::RawValue>,
}

#[derive(serde::Deserialize)]
struct RawSource<'a> {
    #[serde(rename = "@timestamp", borrow, default)]
    timestamp: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    log: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<std::borrow::Cow<'a, str>>,
    /// A string (`"error"`) or, from pino/bunyan JSON logs merged into the record, a number.
    #[serde(borrow, default)]
    level: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    kubernetes: Option<RawK8s<'a>>,
}

#[derive(serde::Deserialize, Default)]
struct RawK8s<'a> {
    #[serde(borrow, default)]
    namespace_name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pod_name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    container_name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    labels: Option<&'a serde_json::value::RawValue>,
}

#[derive(serde::Deserialize)]
struct RawAnswer<'a> {
    #[serde(default)]
    timed_out: bool,
    #[serde(rename = "_shards", default)]
    shards: Value,
    #[serde(borrow)]
    hits: RawHits<'a>,
}

#[derive(serde::Deserialize)]
struct RawHits<'a> {
    #[serde(borrow)]
    hits: Vec<&'a serde_json::value::RawValue>,
}

/// The nanoseconds of an `@timestamp` string (RFC 3339, any precision), else of epoch
/// milliseconds (a number, or the first sort value).
fn timestamp(
    ts: Option<&serde_json::value::RawValue>,
    sort: Option<&serde_json::value::RawValue>,
) -> Option<i128> {
    let raw = ts.map(|r| r.get()).unwrap_or("");
    if raw.starts_with('"')
        && let Ok(t) = serde_json::from_str::<std::borrow::Cow<str>>(raw)
        && let Ok(d) = chrono::DateTime::parse_from_rfc3339(&t)
    {
        return d.timestamp_nanos_opt().map(i128::from);
    }
    let first = || {
        serde_json::from_str::<Vec<Value>>(sort?.get())
            .ok()?
            .first()?
            .as_i64()
    };
    raw.parse::<i64>()
        .ok()
        .or_else(first)
        .map(|ms| i128::from(ms) * 1_000_000)
}

/// Shares one label map among the hits of one container (as Loki's streams do).
#[derive(Default)]
pub struct Labels(std::collections::HashMap<String, Arc<BTreeMap<String, String>>>);

impl Labels {
    fn of(&mut self, k8s: &RawK8s, level: &str) -> Arc<BTreeMap<String, String>> {
        let s = |v: &Option<std::borrow::Cow<str>>| v.as_deref().unwrap_or("").to_string();
        let key = format!(
            "{}/{}/{}/{level}",
            s(&k8s.namespace_name),
            s(&k8s.pod_name),
            s(&k8s.container_name)
        );
        if let Some(l) = self.0.get(&key) {
            return l.clone();
        }
        let mut m = BTreeMap::new();
        let labels: BTreeMap<String, Value> = k8s
            .labels
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        for (k, v) in labels {
            if let Some(v) = v.as_str() {
                m.insert(label_name(&k), v.to_string());
            }
        }
        for (name, v) in [
            ("namespace", &k8s.namespace_name),
            ("pod", &k8s.pod_name),
            ("container", &k8s.container_name),
        ] {
            if let Some(v) = v {
                m.insert(name.to_string(), v.to_string());
            }
        }
        if !level.is_empty() {
            m.insert("level".into(), level.to_string());
        }
        if self.0.len() >= 4096 {
            self.0.clear();
        }
        let a = Arc::new(m);
        self.0.insert(key, a.clone());
        a
    }
}

/// A record's `level` as a word: its string, or pino's number (10 trace … 50 error, 60 fatal).
fn level_word(raw: Option<&serde_json::value::RawValue>) -> String {
    let Some(raw) = raw.map(|r| r.get()) else {
        return String::new();
    };
    if let Ok(n) = raw.parse::<u64>() {
        return match n {
            0..=19 => "trace",
            20..=29 => "debug",
            30..=39 => "info",
            40..=49 => "warn",
            _ => "error",
        }
        .to_string();
    }
    serde_json::from_str::<String>(raw).unwrap_or_default()
}

/// A `_search` answer's hits as entries, in the order the server gave them; a hit that cannot
/// be read is counted and skipped, not the page.
pub fn parse_search(body: &str, what: &str, labels: &mut Labels) -> Result<Answer, Failure> {
    let v: RawAnswer = serde_json::from_str(body).map_err(|_| not_an_answer(body, what))?;
    let mut out = Answer {
        timed_out: v.timed_out,
        ..Default::default()
    };
    let shards = &v.shards;
    let failed = shards["failed"].as_u64().unwrap_or(0);
    if failed > 0 {
        let f = &shards["failures"][0];
        let why = f["reason"]["reason"]
            .as_str()
            .or(f["reason"]["type"].as_str())
            .unwrap_or("no reason given");
        let idx = f["index"].as_str().unwrap_or("");
        let why = if idx.is_empty() {
            why.to_string()
        } else {
            format!("{idx}: {why}")
        };
        out.partial = Some((failed, shards["total"].as_u64().unwrap_or(failed), why));
    }
    out.hits.reserve(v.hits.hits.len());
    let mut last = None;
    for raw in v.hits.hits {
        let Ok(h) = serde_json::from_str::<RawHit>(raw.get()) else {
            out.unreadable += 1;
            continue;
        };
        last = h.sort.or(last);
        let Some(src) = h.source else {
            out.unreadable += 1;
            continue;
        };
        let line = src.log.as_deref().or(src.message.as_deref());
        let (Some(ts_ns), Some(line), Some(id)) =
            (timestamp(src.timestamp, h.sort), line, h.id.as_deref())
        else {
            out.unreadable += 1;
            continue;
        };
        let key = key(h.index.as_deref().unwrap_or(""), id);
        // docker json-file lines end with their newline; a 10 MB line is cut before parsing.
        let line = crate::sanitize::cap(line.trim_end_matches(['\n', '\r'])).into_owned();
        let k8s = src.kubernetes.unwrap_or_default();
        out.hits.push(Hit {
            key,
            entry: Entry {
                ts_ns,
                labels: labels.of(&k8s, &level_word(src.level)),
                line,
            },
        });
    }
    out.last_sort = last.and_then(|r| serde_json::from_str(r.get()).ok());
    Ok(out)
}

/// `GET /`: `opensearch 2.11.0`, `elasticsearch 8.13.4`.
pub fn server_name(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let number = v["version"]["number"].as_str()?;
    let dist = v["version"]["distribution"].as_str().unwrap_or_else(|| {
        if v["tagline"].as_str().unwrap_or("").contains("OpenSearch") {
            "opensearch"
        } else {
            "elasticsearch"
        }
    });
    Some(format!("{dist} {number}"))
}

/// `GET /_resolve/index/<pattern>`: the open indices' names.
pub fn resolved(body: &str) -> Option<Vec<String>> {
    let v: Value = serde_json::from_str(body).ok()?;
    let mut names: Vec<String> = v["indices"]
        .as_array()?
        .iter()
        .filter(|i| {
            i["attributes"]
                .as_array()
                .is_none_or(|a| !a.iter().any(|x| x == "closed"))
        })
        .filter_map(|i| i["name"].as_str().map(str::to_string))
        .collect();
    for k in ["aliases", "data_streams"] {
        names.extend(
            v[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["name"].as_str().map(str::to_string)),
        );
    }
    Some(names)
}

/// The daily indices Fluentd writes (`logstash_format`, UTC): today's and yesterday's.
pub fn daily(prefix: &str, now: chrono::DateTime<chrono::Utc>) -> [String; 2] {
    let y = now - chrono::Duration::days(1);
    [
        format!("{prefix}{}", now.format("%Y.%m.%d")),
        format!("{prefix}{}", y.format("%Y.%m.%d")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_worded_with_the_servers_reason() {
        let e = |status, body: &str| HttpError {
            status: Some(status),
            message: "m".into(),
            body: body.into(),
        };
        let what = "OpenSearch at https://logs.example/";
        let f = failure(
            &e(
                401,
                r#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/_search]"}],"type":"security_exception","reason":"missing authentication credentials"},"status":401}"#,
            ),
            what,
            "basic auth as fluent",
            "logstash-*",
        );
        assert!(matches!(f, Failure::Refused(_)));
        assert!(f.message().contains("refused basic auth as fluent (401: security_exception: missing authentication credentials for REST request"), "{}", f.message());
        let f = failure(
            &e(
                429,
                r#"{"error":{"root_cause":[{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}],"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"},"status":429}"#,
            ),
            what,
            "",
            "x",
        );
        assert!(matches!(f, Failure::Overloaded(_)));
        let f = failure(
            &e(
                502,
                "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            ),
            what,
            "",
            "x",
        );
        assert!(
            f.message().contains("HTML page (502 Bad Gateway)"),
            "{}",
            f.message()
        );
        let f = failure(
            &e(
                404,
                r#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [fluentd]"}]},"status":404}"#,
            ),
            what,
            "",
            "fluentd",
        );
        assert!(matches!(f, Failure::NoIndex(_)));
        assert!(matches!(
            parse_search("<html><title>Sign in</title><body>", what, &mut Labels::default()),
            Err(Failure::Other(m)) if m.contains("Sign in")
        ));
    }

    #[test]
    fn numeric_levels_are_words_and_unreadable_hits_are_counted() {
        let body = r#"{"hits":{"hits":[
            {"_index":"fluentd","_id":"a","_source":{"@timestamp":"2026-12-01T03:12:09.481Z","level":50,"msg":"x","log":"{\"level\":50,\"msg\":\"checkout failed\"}","kubernetes":{"pod_name":"fo-6d9f7c8b54-x2x9k","labels":{"app":"fo"}}},"sort":[1,1]},
            {"_index":"fluentd","_source":{"@timestamp":"2026-12-01T03:12:10Z","log":"no id"},"sort":[2,2]},
            {"_index":"fluentd","_id":"c","_source":{"log":"epoch ms from the sort"},"sort":[1764558730000,3]}
        ]}}"#;
        let a = parse_search(body, "t", &mut Labels::default()).unwrap();
        assert_eq!(a.hits.len(), 2);
        assert_eq!(a.unreadable, 1);
        assert_eq!(
            a.hits[0].entry.labels.get("level").map(String::as_str),
            Some("error")
        );
        assert_eq!(a.hits[1].entry.ts_ns, 1_764_558_730_000 * 1_000_000);
        assert_eq!(a.last_sort, Some(serde_json::json!([1764558730000_i64, 3])));
        assert_ne!(a.hits[0].key, key("other", "a"));
    }

    #[test]
    fn versions_and_daily_indices() {
        assert_eq!(
            server_name(r#"{"version":{"distribution":"opensearch","number":"2.11.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#).as_deref(),
            Some("opensearch 2.11.0")
        );
        assert_eq!(
            server_name(r#"{"version":{"number":"8.13.4","build_flavor":"default"},"tagline":"You Know, for Search"}"#).as_deref(),
            Some("elasticsearch 8.13.4")
        );
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:10:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            daily("logstash-", now),
            [
                "logstash-2026.12.01".to_string(),
                "logstash-2026.11.30".to_string()
            ]
        );
        assert_eq!(
            resolved(
                r#"{"indices":[{"name":"logstash-2026.12.01","attributes":["open"]},{"name":"old","attributes":["closed"]}],"aliases":[],"data_streams":[]}"#
            ),
            Some(vec!["logstash-2026.12.01".to_string()])
        );
        assert_eq!(
            rfc3339(1_764_547_200_123_456_789),
            "2025-12-01T00:00:00.123456789Z"
        );
    }
}
