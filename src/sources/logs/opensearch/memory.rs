//! An in-process log store that answers like OpenSearch: the demo platform's Fluentd-shaped
//! documents in daily indices, searched with the part of the query DSL the provider sends
//! (`bool` with `filter`/`must`/`should`/`must_not`, `term`, `terms`, `prefix`, `range` on
//! `@timestamp`, phrase `multi_match`, `match_all`), sorted by `@timestamp` and `_doc`, paged
//! with `search_after`. A clause it does not know matches nothing (fail closed). Bounded: the
//! oldest documents go first.

use super::backend::Backend;
use super::wire::rfc3339;
use crate::net::http::HttpError;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;

struct Doc {
    index: String,
    seq: u64,
    ts_ns: i128,
    source: Value,
}

/// Documents the demo indexes; searched by the OpenSearch provider as a [`Backend`].
pub struct MemoryStore {
    docs: Mutex<VecDeque<Doc>>,
    cap: usize,
    version: &'static str,
}

impl MemoryStore {
    pub fn new(cap: usize) -> Self {
        Self {
            docs: Mutex::new(VecDeque::new()),
            cap: cap.max(1),
            version: "2.11.1",
        }
    }

    /// Indexes a document into `logstash-YYYY.MM.DD` of its `@timestamp` (as Fluentd's
    /// `logstash_format` does); documents may arrive out of time order, as late ones do.
    pub fn index(&self, ts_ns: i128, source: Value) {
        let day = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(
            ts_ns.clamp(0, i64::MAX as i128) as i64,
        )
        .format("logstash-%Y.%m.%d")
        .to_string();
        let Ok(mut docs) = self.docs.lock() else {
            return;
        };
        let seq = docs.back().map_or(0, |d| d.seq + 1);
        docs.push_back(Doc {
            index: day,
            seq,
            ts_ns,
            source,
        });
        while docs.len() > self.cap {
            docs.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.docs.lock().map(|d| d.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn search_now(&self, index: &str, body: &Value) -> Result<String, HttpError> {
        let patterns: Vec<&str> = index.split(',').collect();
        let size = body["size"].as_u64().unwrap_or(10) as usize;
        let desc = body["sort"][0]["@timestamp"]["order"].as_str() == Some("desc");
        let after = body["search_after"].as_array().map(|a| {
            (
                a.first().and_then(Value::as_i64).unwrap_or(0),
                a.get(1).and_then(Value::as_u64).unwrap_or(0),
            )
        });
        let Ok(docs) = self.docs.lock() else {
            return Err(HttpError {
                status: Some(500),
                message: "the demo log store failed".into(),
                body: String::new(),
            });
        };
        let mut found: Vec<&Doc> = docs
            .iter()
            .filter(|d| patterns.iter().any(|p| glob(p, &d.index)))
            .filter(|d| matches(&body["query"], d))
            .collect();
        let key = |d: &Doc| ((d.ts_ns / 1_000_000) as i64, d.seq);
        found.sort_by_key(|d| key(d));
        if desc {
            found.reverse();
        }
        let hits: Vec<Value> = found
            .into_iter()
            .filter(|d| match after {
                None => true,
                Some(a) if desc => key(d) < a,
                Some(a) => key(d) > a,
            })
            .take(size)
            .map(|d| {
                json!({
                    "_index": d.index,
                    "_id": format!("demo-{}", d.seq),
                    "_score": null,
                    "_source": d.source,
                    "sort": [key(d).0, key(d).1],
                })
            })
            .collect();
        Ok(json!({
            "took": 1,
            "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"max_score": null, "hits": hits}
        })
        .to_string())
    }

    fn resolve(&self, pattern: &str) -> String {
        let mut names: Vec<String> = self
            .docs
            .lock()
            .map(|d| d.iter().map(|x| x.index.clone()).collect())
            .unwrap_or_default();
        names.sort();
        names.dedup();
        let indices: Vec<Value> = names
            .iter()
            .filter(|n| pattern.split(',').any(|p| glob(p, n)))
            .map(|n| json!({"name": n, "attributes": ["open"]}))
            .collect();
        json!({"indices": indices, "aliases": [], "data_streams": []}).to_string()
    }
}

impl Backend for MemoryStore {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<String, HttpError>> {
        Box::pin(async move {
            let path = path.trim_start_matches('/');
            if path.is_empty() {
                return Ok(json!({
                    "name": "opensearch-cluster-master-0",
                    "cluster_name": "shop-logs",
                    "version": {"distribution": "opensearch", "number": self.version},
                    "tagline": "The OpenSearch Project: https://opensearch.org/"
                })
                .to_string());
            }
            if let Some(p) = path.strip_prefix("_resolve/index/") {
                return Ok(self.resolve(p.split('?').next().unwrap_or("")));
            }
            Err(HttpError {
                status: Some(400),
                message: format!("no handler for /{path}"),
                body: String::new(),
            })
        })
    }

    fn search<'a>(
        &'a self,
        index: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<String, HttpError>> {
        Box::pin(async move { self.search_now(index, body) })
    }

    fn describe(&self) -> String {
        "the demo's in-process store".into()
    }

    fn credential(&self) -> String {
        "no credentials".into()
    }
}

/// `logstash-*` style patterns: `*` matches any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(k) => rest = &rest[k + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// A field of a document by its dotted path, `.keyword` meaning the string itself.
fn field<'a>(src: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.strip_suffix(".keyword").unwrap_or(path);
    let mut v = src;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    Some(v)
}

fn one_entry(v: &Value) -> Option<(&String, &Value)> {
    let m = v.as_object()?;
    if m.len() == 1 { m.iter().next() } else { None }
}

/// Words as the standard analyser cuts them (Unicode word boundaries): `.`, `_` and `'`
/// inside a word keep it whole (`java.lang.NullPointerException` is one token), so a phrase
/// matches here what it matches on a real cluster.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '\'')))
        .map(|t| t.trim_matches(['.', '\'']))
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A phrase as an analysed text field matches it: its words, in order, next to each other.
fn phrase_in(text: &str, phrase: &str) -> bool {
    let want = tokens(phrase);
    if want.is_empty() {
        return true;
    }
    let have = tokens(text);
    have.windows(want.len()).any(|w| w == want.as_slice())
}

fn matches(q: &Value, d: &Doc) -> bool {
    if q.is_null() {
        return true;
    }
    let Some((kind, arg)) = one_entry(q) else {
        return false;
    };
    let src = &d.source;
    let as_list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match kind.as_str() {
        "match_all" => true,
        "bool" => {
            let all = |k: &str| as_list(&arg[k]).iter().all(|c| matches(c, d));
            let should = as_list(&arg["should"]);
            let wanted = arg["minimum_should_match"].as_u64().unwrap_or(
                if arg.get("filter").is_some() || arg.get("must").is_some() || should.is_empty() {
                    0
                } else {
                    1
                },
            ) as usize;
            all("filter")
                && all("must")
                && !as_list(&arg["must_not"]).iter().any(|c| matches(c, d))
                && should.iter().filter(|c| matches(c, d)).count() >= wanted
        }
        "term" => one_entry(arg).is_some_and(|(f, v)| {
            let want = v.get("value").unwrap_or(v);
            field(src, f) == Some(want)
        }),
        "terms" => one_entry(arg).is_some_and(|(f, vs)| {
            let have = field(src, f);
            vs.as_array()
                .is_some_and(|vs| vs.iter().any(|v| have == Some(v)))
        }),
        "prefix" => one_entry(arg).is_some_and(|(f, v)| {
            let want = v.get("value").unwrap_or(v).as_str().unwrap_or("");
            field(src, f)
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with(want))
        }),
        "range" => one_entry(arg).is_some_and(|(f, r)| {
            f == "@timestamp" && {
                let bound = |k: &str| {
                    r[k].as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .and_then(|t| t.timestamp_nanos_opt())
                        .map(i128::from)
                };
                bound("gte").is_none_or(|b| d.ts_ns >= b)
                    && bound("gt").is_none_or(|b| d.ts_ns > b)
                    && bound("lte").is_none_or(|b| d.ts_ns <= b)
                    && bound("lt").is_none_or(|b| d.ts_ns < b)
            }
        }),
        "multi_match" => {
            let phrase = arg["query"].as_str().unwrap_or("");
            as_list(&arg["fields"]).iter().any(|f| {
                f.as_str()
                    .and_then(|f| field(src, f))
                    .and_then(Value::as_str)
                    .is_some_and(|t| phrase_in(t, phrase))
            })
        }
        _ => false,
    }
}

/// The time a document carries, as the demo writes it.
pub fn timestamp_field(ts_ns: i128) -> String {
    rfc3339(ts_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::opensearch::{LogIntent, compact, narrow};
    use crate::query::{LogQuery, LogScope};

    fn doc(ts_s: i64, pod: &str, hash: &str, log: &str) -> (i128, Value) {
        let ts = i128::from(ts_s) * 1_000_000_000;
        (
            ts,
            json!({"@timestamp": timestamp_field(ts), "log": log, "stream": "stdout",
                "kubernetes": {"namespace_name": "shop", "pod_name": pod, "container_name": "app",
                    "labels": {"app": pod.split('-').next().unwrap_or(""), "rollouts-pod-template-hash": hash}}}),
        )
    }

    #[tokio::test]
    async fn the_store_answers_the_providers_queries_like_opensearch() {
        let m = MemoryStore::new(100);
        for (ts, d) in [
            doc(
                1_764_547_200,
                "goods-6d9f7c8b54-x1",
                "6d9f7c8b54",
                "ERROR boom NullPointerException",
            ),
            doc(
                1_764_547_201,
                "goods-7c4b9d6f5-a2",
                "7c4b9d6f5",
                "INFO fine",
            ),
            doc(
                1_764_547_202,
                "order-5b8c7d9f6-k3",
                "5b8c7d9f6",
                "WARN slow",
            ),
            doc(
                1_764_547_199,
                "goods-6d9f7c8b54-x1",
                "6d9f7c8b54",
                "ERROR late",
            ),
        ] {
            m.index(ts, d);
        }
        let clause = LogIntent::from_logql(r#"{namespace="shop"} |~ "ERROR|WARN""#)
            .unwrap()
            .to_query();
        let body = super::super::wire::search_body(
            &clause,
            1_764_547_000_000_000_000,
            super::super::wire::Order::Asc,
            2,
            None,
        );
        let r: Value = serde_json::from_str(&m.search("logstash-*", &body).await.unwrap()).unwrap();
        let hits = r["hits"]["hits"].as_array().unwrap();
        let logs: Vec<&str> = hits
            .iter()
            .map(|h| h["_source"]["log"].as_str().unwrap())
            .collect();
        assert_eq!(logs, vec!["ERROR late", "ERROR boom NullPointerException"]);
        let after = hits[1]["sort"].clone();
        let body = super::super::wire::search_body(
            &clause,
            0,
            super::super::wire::Order::Asc,
            2,
            Some(&after),
        );
        let r: Value = serde_json::from_str(&m.search("logstash-*", &body).await.unwrap()).unwrap();
        assert_eq!(r["hits"]["hits"][0]["_source"]["log"], "WARN slow");
        // Narrowed to goods' canary pods.
        let q = LogQuery::opensearch(compact(&clause));
        let n = narrow(
            &q.text,
            &LogScope {
                service: "goods".into(),
                track: None,
                pod_hash: Some("6d9f7c8b54".into()),
            },
        )
        .unwrap();
        let body = super::super::wire::search_body(
            &serde_json::from_str(&n).unwrap(),
            0,
            super::super::wire::Order::Desc,
            10,
            None,
        );
        let r: Value = serde_json::from_str(
            &m.search("logstash-2025.12.01,logstash-2025.11.30", &body)
                .await
                .unwrap(),
        )
        .unwrap();
        let logs: Vec<&str> = r["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["_source"]["log"].as_str().unwrap())
            .collect();
        assert_eq!(logs, vec!["ERROR boom NullPointerException", "ERROR late"]);
        // An unknown clause matches nothing.
        let body = json!({"size": 10, "query": {"script": {}}});
        let r: Value = serde_json::from_str(&m.search("*", &body).await.unwrap()).unwrap();
        assert!(r["hits"]["hits"].as_array().unwrap().is_empty());
        assert!(
            m.get("_resolve/index/logstash-*")
                .await
                .unwrap()
                .contains("logstash-2025.12.01")
        );
        assert!(glob("logstash-*", "logstash-2025.12.01") && !glob("fluentd", "fluentd-x"));
        // As the standard analyser: a dotted class name is one word.
        assert!(phrase_in(
            "java.lang.NullPointerException: x",
            "java.lang.NullPointerException"
        ));
        assert!(!phrase_in(
            "java.lang.NullPointerException: x",
            "NullPointerException"
        ));
        assert!(phrase_in("Request failed: GET /goods", "request failed"));
    }
}
