//! The object whose YAML view is open (`Demand.object`): that one object watched by name
//! (`fieldSelector=metadata.name=NAME`), each change folded and turned into YAML lines.
//! A kind the cluster does not serve (a 404 on the list: no Linkerd, no Istio) is said so, once;
//! a VirtualService is looked for at `v1`, then Istio's older `v1beta1` and `v1alpha3`.

use super::watch::{describe, into_value, resilient, resource};
use crate::model::{ObjectRef, object::object_view};
use crate::state::{Demand, Update};
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher::{self, Event};
use tokio::sync::{mpsc, watch};

pub fn spawn(
    client: kube::Client,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    crate::sources::spawn_on_demand!(client, demand, tx, |d| d.object.clone(), follow)
}

/// Watches one object until the demand asks for another (true) or opsdeck quits (false).
async fn follow(
    client: &kube::Client,
    target: ObjectRef,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    // The versions a kind may be served at, newest first.
    let versions: Vec<&str> = match (target.group.as_str(), target.kind.as_str()) {
        ("networking.istio.io", "VirtualService") => vec!["v1", "v1beta1", "v1alpha3"],
        _ => vec![target.version.as_str()],
    };
    let mut at = 0;
    let open = |version: &str| {
        let ar = resource(&target.group, version, &target.kind, &target.plural);
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), &target.namespace, &ar);
        let cfg = watcher::Config::default().fields(&format!("metadata.name={}", target.name));
        Box::pin(resilient(api, cfg))
    };
    let mut stream = open(versions[0]);
    let want = Some(target.clone());
    let mut seen = false;
    loop {
        let wanted = |d: &Demand| d.object == want;
        let ev = match crate::sources::while_wanted(demand, wanted, stream.next()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => return true,
            Err(moved_on) => return moved_on,
        };
        let view = match ev {
            Ok(Event::InitApply(o) | Event::Apply(o)) => {
                seen = true;
                let mut v = into_value(o);
                // A list's items may come without their type, as the API server sends them.
                if let Some(m) = v.as_object_mut() {
                    let api = if target.group.is_empty() {
                        target.version.clone()
                    } else {
                        format!("{}/{}", target.group, target.version)
                    };
                    m.entry("apiVersion").or_insert(api.into());
                    m.entry("kind").or_insert(target.kind.clone().into());
                }
                Ok(object_view(v))
            }
            Ok(Event::Delete(_)) => Err(format!("{} was deleted", target.label())),
            // Listed and not there: gone, or never was (a relist starts the count again).
            Ok(Event::InitDone) if !seen => Err(format!("there is no {}", target.label())),
            Ok(Event::Init) => {
                seen = false;
                continue;
            }
            Ok(Event::InitDone) => continue,
            Err(e) if super::not_installed(&e) => {
                at += 1;
                if let Some(v) = versions.get(at) {
                    stream = open(v);
                    continue;
                }
                let u = Update::Object {
                    target: target.clone(),
                    view: Err(format!(
                        "this cluster serves no {}.{} (is its controller installed?)",
                        target.plural, target.group
                    )),
                };
                if tx.send(u).await.is_err() {
                    return false;
                }
                // Said once; nothing more to read until another object is asked for.
                return crate::sources::until_unwanted(demand, wanted).await;
            }
            Err(e) => Err(describe(&e)),
        };
        let u = Update::Object {
            target: target.clone(),
            view,
        };
        if tx.send(u).await.is_err() {
            return false;
        }
    }
}
