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
