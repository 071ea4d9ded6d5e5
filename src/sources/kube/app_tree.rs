//! The resource tree of the application on screen (its details open): that one Application
//! watched (`fieldSelector=metadata.name=NAME`), its `status.resources` and last sync's results
//! parsed on each change. The Applications list keeps none of it.

use super::parse::parse_app_tree;
use super::watch::{describe, into_value, resilient, resource};
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
    crate::sources::spawn_on_demand!(client, demand, tx, |d| d.app_tree.clone(), follow)
}

/// Watches one Application until the demand asks for another (true) or opsdeck quits (false).
async fn follow(
    client: &kube::Client,
    (namespace, name): (String, String),
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let ar = resource("argoproj.io", "v1alpha1", "Application", "applications");
    let api = Api::<DynamicObject>::namespaced_with(client.clone(), &namespace, &ar);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = Box::pin(resilient(api, cfg));
    let want = Some((namespace.clone(), name.clone()));
    loop {
        let ev = match crate::sources::while_wanted(demand, |d| d.app_tree == want, stream.next())
            .await
        {
            Ok(Some(ev)) => ev,
            Ok(None) => return true,
            Err(moved_on) => return moved_on,
        };
        let tree = match ev {
            Ok(Event::InitApply(o) | Event::Apply(o)) => parse_app_tree(&into_value(o)),
            Ok(Event::Delete(_)) => Err(format!("application {namespace}/{name} was deleted")),
            Ok(Event::Init | Event::InitDone) => continue,
            Err(e) => Err(describe(&e)),
        };
        let u = Update::AppTree {
            namespace: namespace.clone(),
            name: name.clone(),
            tree,
        };
        if tx.send(u).await.is_err() {
            return false;
        }
    }
}
