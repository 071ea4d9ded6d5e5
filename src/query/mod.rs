//! Query languages, built by functions that escape their inputs: PromQL for Prometheus, LogQL
//! for Loki, the query DSL (JSON) for OpenSearch and Elasticsearch. State (to show the query in force) and the sources (to send it) use the same
//! functions, so what the pane says is what the server is asked.
//!
//! The logs pane speaks of a [`LogScope`] (a service, maybe one track's pods); the store's
//! [`LogDialect`] turns it into its own syntax. A new log store adds its dialect here and its
//! provider under `sources/logs/`.

pub mod logql;
pub mod opensearch;
pub mod promql;

use crate::model::Track;

/// What the logs are narrowed to: a service (its `app` label), maybe the pods of one track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogScope {
    pub service: String,
    pub track: Option<Track>,
    /// The track's pod-template hash, when its rollout is known.
    pub pod_hash: Option<String>,
}

/// The query language of the log store in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogDialect {
    /// Loki's LogQL (and the demo platform, which speaks it too).
    #[default]
    LogQl,
    /// The OpenSearch / Elasticsearch query DSL: the `query` clause of `_search`, as JSON.
    OpenSearch,
}

/// The query behind the logs pane, in its store's syntax.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub dialect: LogDialect,
    pub text: String,
}

impl LogQuery {
    pub fn logql(text: impl Into<String>) -> Self {
        Self {
            dialect: LogDialect::LogQl,
            text: text.into(),
        }
    }

    pub fn opensearch(text: impl Into<String>) -> Self {
        Self {
            dialect: LogDialect::OpenSearch,
            text: text.into(),
        }
    }

    /// The query narrowed to `scope` (the query itself when there is none, or when its
    /// selector cannot be read safely).
    pub fn narrowed(&self, scope: Option<&LogScope>) -> String {
        let Some(scope) = scope else {
            return self.text.clone();
        };
        match self.dialect {
            LogDialect::LogQl => {
                let mut labels = vec![("app", scope.service.as_str())];
                if let Some(h) = scope.pod_hash.as_deref().filter(|h| !h.is_empty()) {
                    labels.push(("rollouts_pod_template_hash", h));
                }
                logql::narrow(&self.text, &labels).unwrap_or_else(|| self.text.clone())
            }
            LogDialect::OpenSearch => {
                opensearch::narrow(&self.text, scope).unwrap_or_else(|| self.text.clone())
            }
        }
    }
}

impl LogQuery {
    /// Every line of one container, whatever its level: the pod log view's query through the
    /// log store (`{namespace="dev", pod="store-7d9f-abcde", container="store"}`, or the same
    /// three as Fluentd's Kubernetes metadata filters).
    pub fn for_pod(&self, namespace: &str, pod: &str, container: &str) -> String {
        match self.dialect {
            LogDialect::LogQl => logql::logql(
                &[
                    ("namespace", namespace),
                    ("pod", pod),
                    ("container", container),
                ],
                &[],
            ),
            LogDialect::OpenSearch => opensearch::compact(&serde_json::json!({"bool": {"filter": [
                {"term": {"kubernetes.namespace_name.keyword": namespace}},
                {"term": {"kubernetes.pod_name.keyword": pod}},
                {"term": {opensearch::CONTAINER_FIELD: container}},
            ]}})),
        }
    }
}

impl From<&str> for LogQuery {
    fn from(s: &str) -> Self {
        Self::logql(s)
    }
}

impl From<String> for LogQuery {
    fn from(s: String) -> Self {
        Self::logql(s)
    }
}

impl std::fmt::Display for LogQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_containers_query_names_namespace_pod_and_container_in_each_dialect() {
        let q = LogQuery::logql(logql::DEFAULT_QUERY);
        assert_eq!(
            q.for_pod("dev", "store-7d9f-ab\"c", "store"),
            r#"{namespace="dev", pod="store-7d9f-ab\"c", container="store"}"#
        );
        let os = LogQuery::opensearch(r#"{"match_all":{}}"#);
        assert_eq!(
            os.for_pod("shop", "member-6c9-x2", "member"),
            r#"{"bool":{"filter":[{"term":{"kubernetes.namespace_name.keyword":"shop"}},{"term":{"kubernetes.pod_name.keyword":"member-6c9-x2"}},{"term":{"kubernetes.container_name.keyword":"member"}}]}}"#
        );
    }
}
