//! Watched objects read with only the fields opsdeck uses. The parser skips everything else
//! as it reads (serde's `IgnoredAny`), so an Application's `status.resources`, its last sync's
//! `syncResult`, every `managedFields` entry and a ReplicaSet's pod template are never
//! materialised, not even for the page of a list being read. What is kept is JSON, handed to
//! the parsers in `parse.rs` as before; the resource tree of the one application on screen is
//! read whole, on demand (`app_tree.rs`).

use kube::api::{ApiResource, DynamicObject};
use kube::core::{DynamicResourceScope, ObjectMeta, Resource};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The paths of a kind that are kept, each a list of keys from the object's root. A path ends
/// where its whole subtree is kept; inside a list the rest of the path applies to each item
/// (`spec.template.spec.containers.image` keeps each container's image). `metadata.name`,
/// `metadata.namespace` and `metadata.resourceVersion` (the watcher resumes from it) are
/// always kept.
pub(crate) trait Shape: Send + Sync + 'static {
    const KEEP: &'static [&'static [&'static str]];
}

const ALWAYS: &[&[&str]] = &[
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "resourceVersion"],
];

/// What `parse_application` and `image_updater` read of an Application (PROTOCOLS §1.2); the
/// resource list, the sync result and the conditions are left unread.
#[derive(Clone, Debug)]
pub(crate) struct AppShape;
impl Shape for AppShape {
    const KEEP: &'static [&'static [&'static str]] = &[
        &["metadata", "annotations"],
        &["spec", "project"],
        &["spec", "source"],
        &["spec", "sources"],
        &["spec", "destination"],
        &["spec", "syncPolicy"],
        &["operation", "initiatedBy"],
        &["status", "sync", "status"],
        &["status", "sync", "revision"],
        &["status", "sync", "revisions"],
        &["status", "health"],
        &["status", "history", "id"],
        &["status", "history", "revision"],
        &["status", "history", "revisions"],
        &["status", "history", "deployedAt"],
        &["status", "operationState", "phase"],
        &["status", "operationState", "message"],
        &["status", "operationState", "startedAt"],
        &["status", "operationState", "finishedAt"],
        &["status", "operationState", "operation", "initiatedBy"],
        &["status", "summary", "images"],
        &["status", "reconciledAt"],
    ];
}

/// What the plugin's computation reads of a Rollout (PROTOCOLS §2).
#[derive(Clone, Debug)]
pub(crate) struct RolloutShape;
impl Shape for RolloutShape {
    const KEEP: &'static [&'static [&'static str]] = &[
        &["metadata", "uid"],
        &["metadata", "generation"],
        &["metadata", "annotations"],
        &["spec", "replicas"],
        &["spec", "selector"],
        &["spec", "paused"],
        &["spec", "restartAt"],
        &["spec", "workloadRef"],
        &["spec", "strategy"],
        &["spec", "template", "spec", "containers", "image"],
        &["status"],
    ];
}

/// A ReplicaSet's owner, pod-template hash, available replicas and images.
#[derive(Clone, Debug)]
pub(crate) struct ReplicaSetShape;
impl Shape for ReplicaSetShape {
    const KEEP: &'static [&'static [&'static str]] = &[
        &["metadata", "ownerReferences"],
        &["metadata", "labels", "rollouts-pod-template-hash"],
        &["status", "availableReplicas"],
        &["spec", "template", "spec", "containers", "image"],
    ];
}

/// An AnalysisRun's owner, its labels (the revision's pod-template hash, `rollout-type`,
/// `step-index`), metrics, dry-run metrics and results.
#[derive(Clone, Debug)]
pub(crate) struct AnalysisRunShape;
impl Shape for AnalysisRunShape {
    const KEEP: &'static [&'static [&'static str]] = &[
        &["metadata", "ownerReferences"],
        &["metadata", "labels"],
        &["spec", "metrics"],
        &["spec", "dryRun"],
        &["status"],
    ];
}

/// An object of shape `S`: its metadata as kube reads it (from the kept fields only) and the
/// rest of what was kept.
#[derive(Clone, Debug)]
pub(crate) struct Partial<S> {
    pub metadata: ObjectMeta,
    pub data: Value,
    shape: PhantomData<S>,
}

impl<S: Shape + Clone + fmt::Debug> Resource for Partial<S> {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn group(dt: &ApiResource) -> Cow<'_, str> {
        dt.group.as_str().into()
    }
    fn version(dt: &ApiResource) -> Cow<'_, str> {
        dt.version.as_str().into()
    }
    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        dt.kind.as_str().into()
    }
    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        dt.api_version.as_str().into()
    }
    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        dt.plural.as_str().into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl<'de, S: Shape> serde::Deserialize<'de> for Partial<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let paths: Vec<&'static [&'static str]> = S::KEEP.iter().chain(ALWAYS).copied().collect();
        let mut v = Prune { paths, depth: 0 }.deserialize(d)?;
        let meta = v
            .as_object_mut()
            .and_then(|m| m.remove("metadata"))
            .unwrap_or(Value::Null);
        let metadata = if meta.is_null() {
            ObjectMeta::default()
        } else {
            serde_json::from_value(meta).map_err(de::Error::custom)?
        };
        Ok(Partial {
            metadata,
            data: v,
            shape: PhantomData,
        })
    }
}

/// The object as JSON with its metadata in it, moving the data rather than copying it.
pub(crate) trait IntoValue {
    fn into_value(self) -> Value;
}

fn with_metadata(mut data: Value, metadata: &ObjectMeta) -> Value {
    if !data.is_object() {
        data = Value::Object(Map::new());
    }
    data["metadata"] = serde_json::to_value(metadata).unwrap_or(Value::Null);
    data
}

impl IntoValue for DynamicObject {
    fn into_value(self) -> Value {
        with_metadata(self.data, &self.metadata)
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl<S> IntoValue for Partial<S> {
    fn into_value(self) -> Value {
        with_metadata(self.data, &self.metadata)
    }
}

/// Reads a value keeping only `paths` (each already matched up to `depth`).
struct Prune {
    paths: Vec<&'static [&'static str]>,
    depth: usize,
}

impl Prune {
    /// What to do with `key` here: keep it whole, go into it, or skip it.
    fn child(&self, key: &str) -> Option<Option<Prune>> {
        let next: Vec<&'static [&'static str]> = self
            .paths
            .iter()
            .copied()
            .filter(|p| p.get(self.depth) == Some(&key))
            .collect();
        if next.is_empty() {
            return None;
        }
        if next.iter().any(|p| p.len() == self.depth + 1) {
            return Some(None);
        }
        Some(Some(Prune {
            paths: next,
            depth: self.depth + 1,
        }))
    }
}

impl<'de> DeserializeSeed<'de> for Prune {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Items of a list, each pruned by the same paths.
struct Items<'a>(&'a Prune);

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Prune {
            paths: self.0.paths.clone(),
            depth: self.0.depth,
        }
        .deserialize(d)
    }
}

impl<'de> Visitor<'de> for Prune {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.child(&key) {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(None) => {
                    let v: Value = map.next_value()?;
                    out.insert(key.into_owned(), v);
                }
                Some(Some(inner)) => {
                    let v = map.next_value_seed(inner)?;
                    out.insert(key.into_owned(), v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Items(&self))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    // A scalar where the shape expected more is kept as it is: `parse.rs` reports a field of
    // the wrong type instead of the object vanishing.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<S: Shape>(v: &Value) -> Value {
        let p: Partial<S> = serde_json::from_str(&v.to_string()).expect("reads");
        p.into_value()
    }

    #[test]
    fn an_application_keeps_what_the_list_reads_and_nothing_of_its_tree() {
        let app = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "store", "namespace": "argocd", "resourceVersion": "42",
                "annotations": {"argocd.argoproj.io/sync-wave": "2"},
                "managedFields": [{"manager": "argocd-controller", "fieldsV1": {"f:status": {}}}]},
            "spec": {"project": "default", "source": {"repoURL": "r", "path": "p"},
                "destination": {"namespace": "store"}, "ignoreDifferences": [{"kind": "Secret"}]},
            "status": {
                "sync": {"status": "Synced", "revision": "abc", "comparedTo": {"source": {}}},
                "health": {"status": "Healthy"},
                "resources": [{"kind": "Service", "name": "store"}],
                "conditions": [{"type": "SyncError"}],
                "history": [{"id": 3, "revision": "abc", "deployedAt": "2026-12-01T09:00:00Z",
                    "source": {"repoURL": "r"}}],
                "operationState": {"phase": "Succeeded", "startedAt": "2026-12-01T09:00:00Z",
                    "operation": {"initiatedBy": {"automated": true}, "sync": {"revision": "abc"}},
                    "syncResult": {"resources": [{"kind": "Service", "status": "Synced"}]}},
                "summary": {"images": ["store:1.4"], "externalURLs": ["https://x"]}}
        });
        let v = read::<AppShape>(&app);
        assert_eq!(
            v["status"],
            json!({
                "sync": {"status": "Synced", "revision": "abc"},
                "health": {"status": "Healthy"},
                "history": [{"id": 3, "revision": "abc", "deployedAt": "2026-12-01T09:00:00Z"}],
                "operationState": {"phase": "Succeeded", "startedAt": "2026-12-01T09:00:00Z",
                    "operation": {"initiatedBy": {"automated": true}}},
                "summary": {"images": ["store:1.4"]}
            })
        );
        assert_eq!(v["spec"].get("ignoreDifferences"), None);
        assert_eq!(v["metadata"]["resourceVersion"], "42");
        assert_eq!(
            v["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
            "2"
        );
        assert_eq!(v["metadata"].get("managedFields"), None);
        assert_eq!(v.get("kind"), None);
    }

    #[test]
    fn items_of_a_list_are_pruned_alike_and_scalars_of_the_wrong_type_stay() {
        let rs = json!({
            "metadata": {"name": "store-1", "namespace": "store",
                "labels": {"rollouts-pod-template-hash": "h1", "app": "store"},
                "ownerReferences": [{"uid": "u1", "kind": "Rollout"}]},
            "spec": {"template": {"spec": {"containers": [
                {"name": "a", "image": "store:1", "env": [{"name": "X"}]},
                {"name": "b", "image": "sidecar:2"}]}}},
            "status": {"availableReplicas": 3, "replicas": 3}
        });
        let v = read::<ReplicaSetShape>(&rs);
        assert_eq!(
            v["spec"],
            json!({"template": {"spec": {"containers": [{"image": "store:1"}, {"image": "sidecar:2"}]}}})
        );
        assert_eq!(
            v["metadata"]["labels"],
            json!({"rollouts-pod-template-hash": "h1"})
        );
        assert_eq!(v["status"], json!({"availableReplicas": 3}));
        // `status` a string: kept, so the parser can say it is of the wrong type.
        let bad = json!({"metadata": {"name": "a"}, "status": "weird", "spec": {"template": 7}});
        let v = read::<AppShape>(&bad);
        assert_eq!(v["status"], "weird");
        let v = read::<ReplicaSetShape>(&bad);
        assert_eq!(v["spec"]["template"], 7);
    }

    #[test]
    fn a_list_page_reads_through_kube_object_list() {
        let page = json!({
            "apiVersion": "v1", "kind": "List",
            "metadata": {"resourceVersion": "7", "continue": "next"},
            "items": [{"metadata": {"name": "a", "namespace": "argocd", "resourceVersion": "5"},
                "status": {"resources": [1, 2, 3], "health": {"status": "Degraded"}}}]
        });
        let list: kube::core::ObjectList<Partial<AppShape>> =
            serde_json::from_value(page).expect("a page");
        assert_eq!(list.items.len(), 1);
        assert_eq!(
            list.items[0].metadata.resource_version.as_deref(),
            Some("5")
        );
        assert_eq!(
            list.items[0].data,
            json!({"status": {"health": {"status": "Degraded"}}})
        );
    }

    fn fixture(path: &str) -> Value {
        let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    /// Every field the parsers read survives: each fixture parses to the same model whole and
    /// read through its shape.
    #[test]
    fn the_parsers_read_the_same_from_the_kept_fields_as_from_the_whole_object() {
        use crate::sources::kube::parse::{parse_analysis_run, parse_application, parse_rollout};
        for f in [
            "argo-cd/application-synced-healthy-with-history.yaml",
            "argo-cd/application-helm-automated-no-status.yaml",
        ] {
            let whole = fixture(f);
            assert_eq!(
                parse_application(&read::<AppShape>(&whole)),
                parse_application(&whole),
                "{f}"
            );
        }
        let set = "argo-rollouts/kubectl-plugin-canary-set";
        let plugin_set = format!("{set}/rollout.yaml");
        let cases: [(&str, Vec<String>, Vec<&str>); 3] = [
            (
                "argo-rollouts/rollout-canary-aborted-by-background-analysis.yaml",
                vec![],
                vec!["argo-rollouts/analysisrun-failed-background.yaml"],
            ),
            (
                "argo-rollouts/rollout-canary-paused-inconclusive-analysis.yaml",
                vec![],
                vec!["argo-rollouts/analysisrun-prometheus-step.yaml"],
            ),
            (
                plugin_set.as_str(),
                ["canary-rs", "stable-rs", "old-rs"]
                    .iter()
                    .map(|r| format!("{set}/{r}.yaml"))
                    .collect(),
                vec![],
            ),
        ];
        for (ro, rss, ars) in cases {
            let ro = fixture(ro);
            let rss: Vec<Value> = rss.iter().map(|f| fixture(f)).collect();
            let ars: Vec<Value> = ars.iter().map(|f| fixture(f)).collect();
            let whole = parse_rollout(&ro, &rss, &ars);
            assert!(whole.is_ok(), "{whole:?}");
            let kept = parse_rollout(
                &read::<RolloutShape>(&ro),
                &rss.iter().map(read::<ReplicaSetShape>).collect::<Vec<_>>(),
                &ars.iter().map(read::<AnalysisRunShape>).collect::<Vec<_>>(),
            );
            assert_eq!(kept, whole);
            for ar in &ars {
                assert_eq!(
                    parse_analysis_run(&read::<AnalysisRunShape>(ar)),
                    parse_analysis_run(ar)
                );
            }
        }
    }
}
