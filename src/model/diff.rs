//! What a sync would change, or what going back to a history revision would: each managed
//! resource's live object against the one it would become, as a unified diff of their YAML.
//!
//! Both sides are cleaned the same way first: `status` and the fields the API server sets
//! (`managedFields`, `resourceVersion`, `uid`, `generation`, `creationTimestamp`, kubectl's
//! last-applied annotation) are left out, so the diff is what Git says against what runs.
//! A Secret's values are masked as Argo CD masks them: the same mask for equal values, a
//! longer one for a value that differs.

use serde_json::Value;

/// Lines of unchanged YAML kept around each change.
pub const CONTEXT_LINES: usize = 3;
/// Diff lines kept for one application, whatever its size.
pub const DIFF_LINES_KEPT: usize = 20_000;

/// What the live objects are compared with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DiffAgainst {
    /// What the next sync would apply: Git's desired state now.
    #[default]
    Desired,
    /// A history entry's manifests (what a rollback to it would apply).
    Revision { id: i64, revision: String },
}

/// One diff to read: an application's, against what.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffAsk {
    pub namespace: String,
    pub name: String,
    pub against: DiffAgainst,
    /// The application's destination namespace: where a manifest without one goes.
    pub destination: String,
    /// The application as it was when asked (its revision and last reconcile): when Argo CD
    /// reconciles it again, the ask changes and the diff is read again.
    pub seen: String,
}

impl DiffAsk {
    /// The same diff, whatever the application's state it was asked at.
    pub fn same_view(&self, other: &DiffAsk) -> bool {
        self.namespace == other.namespace
            && self.name == other.name
            && self.against == other.against
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
    /// `@@ -a,b +c,d @@`: where the next lines are.
    Hunk,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub text: String,
}

/// What applying the right side would do to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Modified,
    /// Not running now: it would be created.
    Create,
    /// Running and no longer wanted: a sync with prune would delete it.
    Prune,
    /// A side could not be read (its problem says why): not known to be in sync.
    Unreadable,
    InSync,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Modified => "modified",
            Change::Create => "to create",
            Change::Prune => "to prune",
            Change::Unreadable => "cannot be read",
            Change::InSync => "in sync",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceDiff {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// An Argo CD hook (created by each sync, so "to create" is its normal state).
    pub hook: bool,
    pub change: Change,
    pub lines: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
    /// A side that could not be read, in words (the resource is then shown without a diff).
    pub problem: Option<String>,
}

/// Every managed resource's diff, changed ones first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppDiff {
    pub resources: Vec<ResourceDiff>,
    /// What the right side is, in words (`desired state`, `#5 3f2a1bc`).
    pub target: String,
    /// Lines were left out past [`DIFF_LINES_KEPT`].
    pub truncated: bool,
}

impl AppDiff {
    /// Rows of the view's list: a changed resource's header, its problem and its lines; one
    /// row for each in sync; one for the note that lines were cut.
    pub fn rows(&self) -> usize {
        self.resources
            .iter()
            .map(|r| match r.change {
                Change::InSync => 1,
                _ => 1 + usize::from(r.problem.is_some()) + r.lines.len(),
            })
            .sum::<usize>()
            + usize::from(self.truncated)
    }

    /// Resources that could not be read.
    pub fn unreadable(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| r.change == Change::Unreadable)
            .count()
    }

    /// Resources (modified, to create, to prune, in sync).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |c: Change| self.resources.iter().filter(|r| r.change == c).count();
        (
            n(Change::Modified),
            n(Change::Create),
            n(Change::Prune),
            n(Change::InSync),
        )
    }

    /// Orders the resources (changed first, then by kind and name) and caps the lines.
    pub fn finish(&mut self) {
        self.resources.sort_by(|a, b| {
            (a.change, &a.kind, &a.namespace, &a.name).cmp(&(
                b.change,
                &b.kind,
                &b.namespace,
                &b.name,
            ))
        });
        let mut left = DIFF_LINES_KEPT;
        for r in &mut self.resources {
            if r.lines.len() > left {
                r.lines.truncate(left);
                self.truncated = true;
            }
            left -= r.lines.len();
        }
    }
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Leaves out what the API server sets (see the module's words) and what is status.
pub fn clean_object(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    obj.remove("status");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
            "selfLink",
        ] {
            meta.remove(k);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
    }
}

/// Masks a Secret's `data` and `stringData` on both sides: equal values get the same mask,
/// a value that differs a longer one on the right, so the diff shows which keys change and
/// never what they hold.
fn mask_secrets(live: Option<&mut Value>, target: Option<&mut Value>) {
    const SAME: &str = "++++++++";
    const OTHER: &str = "+++++++++";
    let is_secret = |v: &Option<&mut Value>| {
        v.as_ref()
            .is_some_and(|v| v.get("kind").and_then(Value::as_str) == Some("Secret"))
    };
    if !is_secret(&live) && !is_secret(&target) {
        return;
    }
    let (mut live, mut target) = (live, target);
    for field in ["data", "stringData"] {
        let lv = live
            .as_deref()
            .and_then(|v| v.get(field))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(m) = live
            .as_deref_mut()
            .and_then(|v| v.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            m.values_mut().for_each(|x| *x = Value::from(SAME));
        }
        if let Some(m) = target
            .as_deref_mut()
            .and_then(|v| v.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            for (k, x) in m.iter_mut() {
                let same = lv.get(k).is_some_and(|l| l == &*x);
                *x = Value::from(if same { SAME } else { OTHER });
            }
        }
    }
}

/// Keeps of the live object only the fields the target names (maps by key, lists element by
/// element): applying a manifest sets what it says and leaves the API server's defaults
/// (`clusterIP`, `terminationGracePeriodSeconds`, extra annotations) alone, so those are no
/// change. Used when the target is a manifest rather than Argo CD's predicted live state.
pub fn restrict_to(live: &mut Value, target: &Value) {
    match (live, target) {
        (Value::Object(l), Value::Object(t)) => {
            l.retain(|k, _| t.contains_key(k));
            for (k, v) in l.iter_mut() {
                if let Some(tv) = t.get(k) {
                    restrict_to(v, tv);
                }
            }
        }
        (Value::Array(l), Value::Array(t)) => {
            for (lv, tv) in l.iter_mut().zip(t) {
                restrict_to(lv, tv);
            }
        }
        _ => {}
    }
}

/// A cleaned object as YAML (keys in order, so both sides line up).
pub fn yaml(v: &Value) -> String {
    match serde_yaml_ng::to_string(v) {
        Ok(s) => s,
        // A JSON value always has a YAML form; should the writer fail, JSON is still readable.
        Err(_) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// How the right side of a diff is to be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Judged {
    /// Argo CD's own judgement (`modified`), when it made one: it knows the ignored
    /// differences and defaults, so a resource it calls unmodified is in sync whatever the
    /// text says.
    pub argo_says: Option<bool>,
    /// The target is a manifest (not a whole predicted object): see [`restrict_to`].
    pub manifest: bool,
}

/// A resource one of whose sides could not be read, and why.
pub fn unreadable(id: [&str; 4], hook: bool, problem: String) -> ResourceDiff {
    let mut r = diff_resource(id, hook, None, None, Judged::default());
    r.change = Change::Unreadable;
    r.problem = Some(problem);
    r
}

/// One resource's diff, live (left) against what it would become (right).
pub fn diff_resource(
    id: [&str; 4],
    hook: bool,
    live: Option<Value>,
    target: Option<Value>,
    judged: Judged,
) -> ResourceDiff {
    let argo_says = judged.argo_says;
    let [group, kind, namespace, name] = id;
    let mut r = ResourceDiff {
        group: group.into(),
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
        hook,
        change: Change::InSync,
        lines: Vec::new(),
        added: 0,
        removed: 0,
        problem: None,
    };
    let (mut live, mut target) = (live, target);
    live.as_mut().map(clean_object);
    target.as_mut().map(clean_object);
    if judged.manifest
        && let (Some(l), Some(t)) = (live.as_mut(), target.as_ref())
    {
        restrict_to(l, t);
    }
    mask_secrets(live.as_mut(), target.as_mut());
    r.change = match (&live, &target) {
        (None, Some(_)) => Change::Create,
        (Some(_), None) => Change::Prune,
        (None, None) => Change::InSync,
        // Argo CD says it differs where this view does not look (server-set metadata, a
        // normalisation): changed, with no lines.
        (Some(l), Some(t)) if l == t && argo_says == Some(true) => Change::Modified,
        (Some(l), Some(t)) if l == t || argo_says == Some(false) => Change::InSync,
        (Some(_), Some(_)) => Change::Modified,
    };
    if r.change == Change::InSync {
        return r;
    }
    let old = live.as_ref().map(yaml).unwrap_or_default();
    let new = target.as_ref().map(yaml).unwrap_or_default();
    // A deadline: a huge resource gets a coarser diff, never a stalled task.
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(&old, &new);
    for group in diff.grouped_ops(CONTEXT_LINES) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (first.old_range().start, first.new_range().start);
        let (oe, ne) = (last.old_range().end, last.new_range().end);
        r.lines.push(DiffLine {
            kind: LineKind::Hunk,
            text: format!("@@ -{},{} +{},{} @@", o + 1, oe - o, n + 1, ne - n),
        });
        for op in &group {
            for c in diff.iter_changes(op) {
                let kind = match c.tag() {
                    similar::ChangeTag::Equal => LineKind::Context,
                    similar::ChangeTag::Delete => {
                        r.removed += 1;
                        LineKind::Removed
                    }
                    similar::ChangeTag::Insert => {
                        r.added += 1;
                        LineKind::Added
                    }
                };
                r.lines.push(DiffLine {
                    kind,
                    text: c.value().trim_end_matches('\n').to_string(),
                });
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(image: &str, replicas: u32) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "dev", "uid": "u-1", "resourceVersion": "42",
                "managedFields": [{"manager": "argocd-controller"}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
            "status": {"readyReplicas": replicas}
        })
    }

    #[test]
    fn a_changed_image_is_one_removed_and_one_added_line_with_context() {
        let r = diff_resource(
            ["apps", "Deployment", "dev", "web"],
            false,
            Some(deploy("web:1.0", 2)),
            Some(deploy("web:1.1", 2)),
            Judged {
                argo_says: Some(true),
                manifest: false,
            },
        );
        assert_eq!(r.change, Change::Modified);
        assert_eq!((r.added, r.removed), (1, 1));
        let changed: Vec<_> = r
            .lines
            .iter()
            .filter(|l| matches!(l.kind, LineKind::Added | LineKind::Removed))
            .map(|l| l.text.trim())
            .collect();
        assert_eq!(changed, ["- image: web:1.0", "- image: web:1.1"]);
        assert_eq!(r.lines[0].kind, LineKind::Hunk);
        assert!(r.lines[0].text.starts_with("@@ -"), "{:?}", r.lines[0]);
        // Server-set fields and status are never part of it.
        let all: String = r.lines.iter().map(|l| l.text.as_str()).collect();
        for gone in [
            "managedFields",
            "resourceVersion",
            "readyReplicas",
            "last-applied",
        ] {
            assert!(!all.contains(gone), "{gone} in {all}");
        }
    }

    #[test]
    fn argo_cds_judgement_wins_over_text_and_missing_sides_create_or_prune() {
        let same_for_argo = diff_resource(
            ["apps", "Deployment", "dev", "web"],
            false,
            Some(deploy("web:1.0", 2)),
            Some(deploy("web:1.0", 3)),
            Judged {
                argo_says: Some(false),
                manifest: false,
            },
        );
        assert_eq!(same_for_argo.change, Change::InSync);
        assert!(same_for_argo.lines.is_empty());
        let create = diff_resource(
            ["", "Service", "dev", "web"],
            false,
            None,
            Some(deploy("x", 1)),
            Judged::default(),
        );
        assert_eq!(create.change, Change::Create);
        assert_eq!(create.removed, 0);
        assert!(create.added > 3);
        let prune = diff_resource(
            ["", "Service", "dev", "web"],
            false,
            Some(deploy("x", 1)),
            None,
            Judged::default(),
        );
        assert_eq!(prune.change, Change::Prune);
        assert_eq!(prune.added, 0);
    }

    #[test]
    fn secret_values_are_masked_and_a_changed_one_shows_as_changed() {
        let secret = |a: &str, b: &str| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                "data": {"password": a, "user": b}})
        };
        let r = diff_resource(
            ["", "Secret", "dev", "db"],
            false,
            Some(secret("c2VjcmV0", "YWRtaW4=")),
            Some(secret("bmV3", "YWRtaW4=")),
            Judged {
                argo_says: Some(true),
                manifest: false,
            },
        );
        let all: String = r.lines.iter().map(|l| format!("{}\n", l.text)).collect();
        assert!(!all.contains("c2VjcmV0") && !all.contains("bmV3"), "{all}");
        assert_eq!((r.added, r.removed), (1, 1), "{all}");
        assert!(all.contains("password: +++++++++"), "{all}");
    }

    #[test]
    fn changed_resources_come_first_and_lines_are_capped() {
        let mut d = AppDiff {
            resources: vec![
                diff_resource(
                    ["", "Service", "dev", "a"],
                    false,
                    Some(deploy("x", 1)),
                    Some(deploy("x", 1)),
                    Judged::default(),
                ),
                diff_resource(
                    ["apps", "Deployment", "dev", "b"],
                    false,
                    Some(deploy("x", 1)),
                    Some(deploy("y", 1)),
                    Judged::default(),
                ),
            ],
            ..Default::default()
        };
        d.finish();
        assert_eq!(d.resources[0].name, "b");
        assert_eq!(d.counts(), (1, 0, 0, 1));
        assert!(!d.truncated);
        // A ConfigMap whose 12,000 values all change: 24,000 lines, cut at the cap.
        let cm = |v: &str| {
            let data: serde_json::Map<String, Value> = (0..12_000)
                .map(|k| (format!("k{k}"), json!(format!("{v}{k}"))))
                .collect();
            json!({"kind": "ConfigMap", "metadata": {"name": "big"}, "data": data})
        };
        let mut big = AppDiff {
            resources: vec![diff_resource(
                ["", "ConfigMap", "dev", "big"],
                false,
                Some(cm("a")),
                Some(cm("b")),
                Judged::default(),
            )],
            ..Default::default()
        };
        big.finish();
        assert!(big.truncated);
        assert_eq!(big.resources[0].lines.len(), DIFF_LINES_KEPT);
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
    }
}
