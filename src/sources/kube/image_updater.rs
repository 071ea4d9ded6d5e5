//! Argo CD Image Updater's `ImageUpdater` resources (`argocd-image-updater.argoproj.io/v1alpha1`,
//! v1.x), cluster-wide: what each image's version is and which applications it was last written
//! to, from `status.imageStatus[{name, version, applications[{appName, lastUpdatedAt}]}]`
//! (`api/v1alpha1/imageupdater_types.go`), plus its `Ready` condition. v0.x has no resource (its
//! configuration is the Applications' annotations): the list is then empty.

use super::watch::resource;
use crate::model::{ImageUpdateRecord, ImageUpdater};
use crate::net::json::*;
use crate::state::Update;
use serde_json::Value;
use tokio::sync::mpsc;

/// Said when the cluster serves no `ImageUpdater` (Image Updater v0.x, or none).
pub const NO_IMAGE_UPDATER_CR: &str =
    "no ImageUpdater resources here (Image Updater v0.x keeps its configuration in annotations)";

/// One `ImageUpdater`'s status; None without a name.
pub fn parse_image_updater(v: &Value) -> Option<ImageUpdater> {
    let name = str_at(v, &["metadata", "name"]);
    if name.is_empty() {
        return None;
    }
    let conditions = array_at(v, &["status", "conditions"]);
    let ready = conditions.iter().find(|c| str_at(c, &["type"]) == "Ready");
    let error = conditions
        .iter()
        .find(|c| str_at(c, &["type"]) == "Error" && str_at(c, &["status"]) == "True");
    let mut updates = Vec::new();
    for img in array_at(v, &["status", "imageStatus"]) {
        for app in array_at(img, &["applications"]) {
            updates.push(ImageUpdateRecord {
                image: str_at(img, &["name"]).to_string(),
                version: str_at(img, &["version"]).to_string(),
                app: str_at(app, &["appName"]).to_string(),
                at: time_at(app, &["lastUpdatedAt"]),
            });
        }
    }
    Some(ImageUpdater {
        namespace: str_at(v, &["metadata", "namespace"]).to_string(),
        name: name.to_string(),
        reconciled_at: time_at(v, &["status", "reconciledAt"]),
        ready: ready.map(|c| str_at(c, &["status"]) == "True"),
        message: error
            .or(ready)
            .map_or("", |c| str_at(c, &["message"]))
            .to_string(),
        updates,
    })
}

pub fn spawn(client: kube::Client, tx: mpsc::Sender<Update>) -> tokio::task::JoinHandle<()> {
    let ar = resource(
        "argocd-image-updater.argoproj.io",
        "v1alpha1",
        "ImageUpdater",
        "imageupdaters",
    );
    super::spawn_cluster_list(
        client,
        ar,
        parse_image_updater,
        Update::ImageUpdaters,
        NO_IMAGE_UPDATER_CR,
        tx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_image_updater_reads_as_its_status_reports_it() {
        let v = json!({"apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater",
            "metadata": {"name": "services", "namespace": "argocd"},
            "spec": {"applicationRefs": [{"namePattern": "*", "images": [{"alias": "store", "imageName": "registry/store"}]}]},
            "status": {"reconciledAt": "2026-12-01T10:02:00Z",
                "imageStatus": [{"name": "registry/store", "version": "1.5.1",
                    "applications": [{"appName": "argocd/store", "lastUpdatedAt": "2026-12-01T10:01:30Z"}]}],
                "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "message": "reconciled 5 applications"}]}});
        let u = parse_image_updater(&v).expect("parsed");
        assert_eq!(u.ready, Some(true));
        assert_eq!(u.message, "reconciled 5 applications");
        assert_eq!(u.updates.len(), 1);
        assert!(u.updates[0].is_for("argocd", "store"));
        assert!(!u.updates[0].is_for("argocd", "user"));
        assert_eq!(u.updates[0].version, "1.5.1");
        // Wrong shapes read as absent.
        let odd =
            json!({"metadata": {"name": "x"}, "status": {"imageStatus": "nope", "conditions": 3}});
        let u = parse_image_updater(&odd).expect("parsed");
        assert!(u.updates.is_empty() && u.ready.is_none());
        assert!(parse_image_updater(&json!({})).is_none());
    }
}
