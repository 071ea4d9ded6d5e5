//! Argo CD API server answers, read into diffs: `managed-resources` (each resource's live and
//! target state, as JSON text inside the JSON) and `manifests` (a revision's rendered objects).
//! Field names from `server/application/application.proto` (`ManagedResourcesResponse`,
//! `ResourceDiff`) and `reposerver/repository/repository.proto` (`ManifestResponse`).

use crate::model::diff::{AppDiff, Judged, diff_resource, group_of, unreadable};
use crate::net::json::str_at;
use crate::sanitize::Sanitize;
use serde_json::Value;

/// One entry of `managed-resources`.
#[derive(Clone, Debug, PartialEq)]
pub struct Managed {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub hook: bool,
    pub modified: Option<bool>,
    /// The normalized live state (else the live state); None when it does not exist.
    pub live: Result<Option<Value>, String>,
    /// The predicted live state (server-side diff), else the target state.
    pub target: Result<Option<Value>, String>,
    /// `target` is Argo CD's predicted live state (a whole object), not the manifest.
    pub predicted: bool,
}

/// A state field: JSON text, `"null"` or empty for none.
fn state(item: &Value, fields: &[&str]) -> Result<Option<Value>, String> {
    for f in fields {
        let text = str_at(item, &[f]).trim();
        if text.is_empty() || text == "null" {
            continue;
        }
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Null) => continue,
            Ok(v @ Value::Object(_)) => Ok(Some(v)),
            Ok(_) => Err(format!("{f} is not an object")),
            Err(e) => Err(format!("{f} is not JSON: {e}")),
        };
    }
    Ok(None)
}

/// `GET /api/v1/applications/{name}/managed-resources`.
pub fn managed(body: &str) -> Result<Vec<Managed>, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| format!("managed-resources is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("managed-resources is not an object".into());
    }
    let items = match v.get("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("managed-resources' items is not a list".into()),
    };
    Ok(items
        .iter()
        .map(|i| Managed {
            group: str_at(i, &["group"]).into(),
            kind: str_at(i, &["kind"]).into(),
            namespace: str_at(i, &["namespace"]).into(),
            name: str_at(i, &["name"]).into(),
            hook: i.get("hook").and_then(Value::as_bool).unwrap_or(false),
            modified: i.get("modified").and_then(Value::as_bool),
            live: state(i, &["normalizedLiveState", "liveState"]),
            target: state(i, &["predictedLiveState", "targetState"]),
            predicted: matches!(state(i, &["predictedLiveState"]), Ok(Some(_))),
        })
        .collect())
}

/// A revision's manifests: the objects, and the namespace they default to.
pub fn manifests(body: &str) -> Result<(Vec<Value>, String), String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("manifests is not JSON: {e}"))?;
    let list = match v.get("manifests") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("manifests' manifests is not a list".into()),
    };
    let mut out = Vec::with_capacity(list.len());
    for (n, m) in list.iter().enumerate() {
        let text = m
            .as_str()
            .ok_or_else(|| format!("manifest {n} is not a string"))?;
        match serde_json::from_str::<Value>(text) {
            Ok(o @ Value::Object(_)) => out.push(o),
            Ok(_) => return Err(format!("manifest {n} is not an object")),
            Err(e) => return Err(format!("manifest {n} is not JSON: {e}")),
        }
    }
    Ok((out, str_at(&v, &["namespace"]).to_string()))
}

fn finish(mut d: AppDiff) -> AppDiff {
    for r in &mut d.resources {
        r.sanitize();
    }
    d.finish();
    d
}

fn problem(m: &Managed) -> Option<String> {
    [&m.live, &m.target]
        .iter()
        .find_map(|s| s.as_ref().err().cloned())
}

/// What the next sync would change: each managed resource's live state against its target.
pub fn desired_diff(items: Vec<Managed>) -> AppDiff {
    let resources = items
        .into_iter()
        .map(|m| {
            let id = [&*m.group, &*m.kind, &*m.namespace, &*m.name];
            let mut r = match problem(&m) {
                Some(p) => unreadable(id, m.hook, p),
                None => diff_resource(
                    id,
                    m.hook,
                    m.live.clone().ok().flatten(),
                    m.target.clone().ok().flatten(),
                    Judged {
                        argo_says: m.modified,
                        manifest: !m.predicted,
                    },
                ),
            };
            r.hook = m.hook;
            r
        })
        .collect();
    finish(AppDiff {
        resources,
        target: "desired state".into(),
        truncated: false,
    })
}

/// What a rollback to a revision would change: the live resources against that revision's
/// manifests (matched by group, kind, namespace and name; a manifest without a namespace is
/// in `default_ns`). Live resources the revision lacks would be pruned.
pub fn revision_diff(
    items: Vec<Managed>,
    manifests: Vec<Value>,
    default_ns: &str,
    label: String,
) -> AppDiff {
    let mut live: Vec<Option<Managed>> = items.into_iter().map(Some).collect();
    let mut resources = Vec::new();
    for m in manifests {
        // Hooks run at each sync and are not kept: not part of what a rollback leaves.
        let annotations = m.get("metadata").and_then(|v| v.get("annotations"));
        if ["argocd.argoproj.io/hook", "helm.sh/hook"]
            .iter()
            .any(|k| annotations.and_then(|a| a.get(*k)).is_some())
        {
            continue;
        }
        let group = group_of(str_at(&m, &["apiVersion"])).to_string();
        let kind = str_at(&m, &["kind"]).to_string();
        let name = str_at(&m, &["metadata", "name"]).to_string();
        let ns = str_at(&m, &["metadata", "namespace"]).to_string();
        let found = live.iter_mut().find(|l| {
            l.as_ref().is_some_and(|l| {
                l.group == group
                    && l.kind == kind
                    && l.name == name
                    && (l.namespace == ns || (ns.is_empty() && l.namespace == default_ns))
            })
        });
        let (hook, state, namespace) = match found.and_then(Option::take) {
            Some(l) => (l.hook, l.live, l.namespace),
            None => (false, Ok(None), ns),
        };
        let mut r = match state {
            Ok(s) => diff_resource(
                [&group, &kind, &namespace, &name],
                hook,
                s,
                Some(m),
                Judged {
                    argo_says: None,
                    manifest: true,
                },
            ),
            Err(p) => unreadable([&group, &kind, &namespace, &name], hook, p),
        };
        r.hook = hook;
        resources.push(r);
    }
    // What runs and the revision does not have; hooks are not kept objects.
    for l in live.into_iter().flatten().filter(|l| !l.hook) {
        if let Ok(Some(s)) = l.live {
            resources.push(diff_resource(
                [&l.group, &l.kind, &l.namespace, &l.name],
                false,
                Some(s),
                None,
                Judged::default(),
            ));
        }
    }
    finish(AppDiff {
        resources,
        target: label,
        truncated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Change;

    #[test]
    fn states_are_json_text_and_null_means_none() {
        let body = r#"{"items":[
            {"group":"apps","kind":"Deployment","namespace":"dev","name":"web","modified":true,
             "liveState":"{\"kind\":\"Deployment\",\"spec\":{\"replicas\":1}}",
             "targetState":"{\"kind\":\"Deployment\",\"spec\":{\"replicas\":2}}"},
            {"kind":"Service","namespace":"dev","name":"old","liveState":"{\"kind\":\"Service\"}","targetState":"null"},
            {"kind":"ConfigMap","namespace":"dev","name":"bad","liveState":"{nope","targetState":"{}"}
        ]}"#;
        let m = managed(body).expect("managed");
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].target, Ok(None));
        assert!(m[2].live.is_err());
        let d = desired_diff(m);
        assert_eq!(d.counts(), (1, 0, 1, 0));
        assert_eq!(d.unreadable(), 1);
        let bad = d.resources.iter().find(|r| r.name == "bad").expect("bad");
        assert!(
            bad.problem.as_deref().unwrap_or("").contains("not JSON"),
            "{bad:?}"
        );
        assert_eq!(d.resources[0].change, Change::Modified);
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert!(managed("[]").is_err());
        assert!(managed(r#"{"items":{}}"#).is_err());
        assert_eq!(managed(r#"{"items":null}"#), Ok(Vec::new()));
        assert!(manifests(r#"{"manifests":[1]}"#).is_err());
        assert!(manifests(r#"{"manifests":["[1]"]}"#).is_err());
        assert_eq!(manifests(r#"{}"#), Ok((Vec::new(), String::new())));
    }
}
