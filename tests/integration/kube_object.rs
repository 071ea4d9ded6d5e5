//! One object's YAML view against the fake API server: the object watched by name while its
//! view is open, `managedFields` folded, a change arriving, and a kind the cluster does not
//! serve or an object that is not there said in words.

use crate::support::fake_kube::{FakeKube, decoded_param};
use crate::support::fixture as load;
use opsdeck::model::ObjectRef;
use opsdeck::sources::kube::object;
use opsdeck::state::{Demand, Update};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const ROLLOUT: &str = "argo-rollouts/rollout-canary-paused-at-pause-step.yaml";

async fn next_object(rx: &mut mpsc::Receiver<Update>) -> (ObjectRef, Result<Vec<String>, String>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(Update::Object { target, view })) => return (target, view.map(|v| v.yaml)),
            Ok(Some(_)) => continue,
            other => panic!("no object view: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_object_on_screen_is_watched_by_name_and_folded() {
    let fake = FakeKube::start().await;
    let mut ro = load(ROLLOUT);
    let (ns, name) = (
        ro["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string(),
        ro["metadata"]["name"].as_str().unwrap_or("").to_string(),
    );
    ro["metadata"]["namespace"] = ns.clone().into();
    ro["metadata"]["managedFields"] = serde_json::json!([
        {"manager": "argocd-controller", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}},
        {"manager": "rollouts-controller", "operation": "Update", "subresource": "status"}
    ]);
    fake.put("rollouts", ro.clone());
    let (demand, demand_rx) = watch::channel(Demand::default());
    let (tx, mut rx) = mpsc::channel(64);
    let task = object::spawn(fake.client(), demand_rx, tx);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        fake.requests().is_empty(),
        "nothing read while no view is open"
    );
    let target = ObjectRef::rollout(&ns, &name);
    demand.send_modify(|d| d.object = Some(target.clone()));
    let (got, yaml) = next_object(&mut rx).await;
    assert_eq!(got, target);
    let yaml = yaml.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        yaml.iter()
            .any(|l| l == "  managedFields: ‹2 entries folded›"),
        "{yaml:#?}"
    );
    assert!(!yaml.iter().any(|l| l.contains("fieldsV1")), "{yaml:#?}");
    assert!(yaml.iter().any(|l| l.starts_with("kind: Rollout")));
    let reads: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/rollouts"))
        .collect();
    assert!(!reads.is_empty());
    for r in &reads {
        assert_eq!(
            r.path,
            format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts")
        );
        assert_eq!(
            decoded_param(&r.query, "fieldSelector").as_deref(),
            Some(format!("metadata.name={name}").as_str()),
            "{}",
            r.query
        );
    }
    // A change arrives through the watch.
    ro["spec"]["replicas"] = 7.into();
    fake.put("rollouts", ro);
    loop {
        let (_, yaml) = next_object(&mut rx).await;
        if yaml.is_ok_and(|y| y.iter().any(|l| l == "  replicas: 7")) {
            break;
        }
    }
    // A kind this cluster does not serve: its words, not a hang.
    fake.absent("serviceprofiles", true);
    let sp = ObjectRef::service_profile(&ns, "store.dev.svc.cluster.local");
    demand.send_modify(|d| d.object = Some(sp.clone()));
    let (got, view) = next_object(&mut rx).await;
    assert_eq!(got, sp);
    let e = view.expect_err("not served");
    assert_eq!(
        e,
        "this cluster serves no serviceprofiles.linkerd.io (is its controller installed?)"
    );
    // An object that is not there.
    let none = ObjectRef::pod(&ns, "nope");
    demand.send_modify(|d| d.object = Some(none.clone()));
    let (got, view) = next_object(&mut rx).await;
    assert_eq!(got, none);
    assert_eq!(view, Err(format!("there is no Pod {ns}/nope")));
    task.abort();
}
