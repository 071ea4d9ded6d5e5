//! The object whose YAML view is open (`Demand.object`): that one object watched by name
//! (`fieldSelector=metadata.name=NAME`), each change folded and turned into YAML lines.
//! A kind the cluster does not serve (a 404 on the list: no Linkerd, no Istio) is said so.

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
    super::spawn_on_demand!(client, demand, tx, |d| d.object.clone(), follow)
}

/// Watches one object until the demand asks for another (true) or opsdeck quits (false).
async fn follow(
    client: &kube::Client,
    target: ObjectRef,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let ar = resource(&target.group, &target.version, &target.kind, &target.plural);
    let api = Api::<DynamicObject>::namespaced_with(client.clone(), &target.namespace, &ar);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={}", target.name));
    let mut stream = Box::pin(resilient(api, cfg));
    let want = Some(target.clone());
    let mut seen = false;
    loop {
        let ev = tokio::select! {
            changed = demand.changed() => {
                if changed.is_err() {
                    return false;
                }
                if demand.borrow().object != want {
                    return true;
                }
                continue;
            }
            ev = stream.next() => match ev {
                Some(ev) => ev,
                None => return true,
            },
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
            // Listed and not there: gone, or never was.
            Ok(Event::InitDone) if !seen => Err(format!("there is no {}", target.label())),
            Ok(Event::Init | Event::InitDone) => continue,
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
