//! Watches (never polls) Applications, Rollouts, ReplicaSets and AnalysisRuns with kube-rs'
//! watcher: a full list at start and after `410 Gone`, then watch events from the list's
//! resourceVersion, with bookmarks and backoff. Steady state makes no LIST calls.

use super::parse::{parse_application, parse_rollout};
use crate::state::{Health, SourceId, Update};
use futures::{Stream, StreamExt};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::Value;
use std::collections::BTreeMap;
use std::pin::Pin;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct WatchConfig {
    /// Namespaces of Rollouts; empty means all the user may list.
    pub namespaces: Vec<String>,
    /// Where Argo CD keeps its Applications.
    pub argocd_namespace: String,
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

type Key = (String, String);
type Events =
    Pin<Box<dyn Stream<Item = (Kind, Result<Event<DynamicObject>, watcher::Error>)> + Send>>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Rollout,
    ReplicaSet,
    AnalysisRun,
}

fn key(v: &Value) -> Key {
    let m = &v["metadata"];
    (
        m["namespace"].as_str().unwrap_or("").to_string(),
        m["name"].as_str().unwrap_or("").to_string(),
    )
}

fn to_value(o: &DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

fn describe(e: &watcher::Error) -> String {
    crate::sanitize::clean_owned(&e.to_string())
}

/// One watcher per namespace (or one over all namespaces), merged.
fn watch_all(
    client: &kube::Client,
    ar: &ApiResource,
    namespaces: &[String],
    tag: Kind,
) -> Vec<Events> {
    let make = |api: Api<DynamicObject>| -> Events {
        Box::pin(
            watcher(api, watcher::Config::default())
                .default_backoff()
                .map(move |e| (tag, e)),
        )
    };
    if namespaces.is_empty() {
        vec![make(Api::all_with(client.clone(), ar))]
    } else {
        namespaces
            .iter()
            .map(|ns| make(Api::namespaced_with(client.clone(), ns, ar)))
            .collect()
    }
}

/// Starts both watch tasks; abort the handles to stop them (a context switch does).
pub fn spawn(
    client: kube::Client,
    cfg: WatchConfig,
    tx: mpsc::Sender<Update>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(watch_apps(client.clone(), cfg.clone(), tx.clone())),
        tokio::spawn(watch_rollouts(client, cfg, tx)),
    ]
}

async fn health(tx: &mpsc::Sender<Update>, source: SourceId, health: Health) -> bool {
    tx.send(Update::SourceHealth { source, health })
        .await
        .is_ok()
}

async fn watch_apps(client: kube::Client, cfg: WatchConfig, tx: mpsc::Sender<Update>) {
    let ar = resource("argoproj.io", "v1alpha1", "Application", "applications");
    let mut stream = watch_all(
        &client,
        &ar,
        std::slice::from_ref(&cfg.argocd_namespace),
        Kind::Rollout,
    )
    .into_iter()
    .next()
    .unwrap_or_else(|| Box::pin(futures::stream::empty()));
    let mut initial: Vec<Value> = Vec::new();
    while let Some((_, ev)) = stream.next().await {
        let update = match ev {
            Ok(Event::Init) => {
                initial.clear();
                continue;
            }
            Ok(Event::InitApply(o)) => {
                initial.push(to_value(&o));
                continue;
            }
            Ok(Event::InitDone) => {
                let apps = std::mem::take(&mut initial)
                    .iter()
                    .filter_map(|v| {
                        parse_application(v)
                            .map_err(|e| tracing::warn!("skipping an Application: {e}"))
                            .ok()
                    })
                    .collect();
                if !health(&tx, SourceId::Apps, Health::Ok).await {
                    return;
                }
                Update::Apps(apps)
            }
            Ok(Event::Apply(o)) => match parse_application(&to_value(&o)) {
                Ok(a) => Update::AppUpserted(a),
                Err(e) => {
                    tracing::warn!("skipping an Application: {e}");
                    continue;
                }
            },
            Ok(Event::Delete(o)) => {
                let (namespace, name) = key(&to_value(&o));
                Update::AppDeleted { namespace, name }
            }
            Err(e) => {
                tracing::warn!("Applications watch: {e}");
                Update::SourceHealth {
                    source: SourceId::Apps,
                    health: Health::Error(describe(&e)),
                }
            }
        };
        if tx.send(update).await.is_err() {
            return;
        }
    }
}

/// Rollouts with their ReplicaSets and AnalysisRuns: a change to any of them recomputes the
/// rollout it belongs to, as the plugin computes it.
struct RolloutStores {
    rollouts: BTreeMap<Key, Value>,
    /// By namespace: ReplicaSets and AnalysisRuns.
    replica_sets: BTreeMap<String, BTreeMap<String, Value>>,
    analysis_runs: BTreeMap<String, BTreeMap<String, Value>>,
}

impl RolloutStores {
    fn compute(&self, k: &Key) -> Option<crate::model::Rollout> {
        let obj = self.rollouts.get(k)?;
        let rs: Vec<Value> = self
            .replica_sets
            .get(&k.0)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let ar: Vec<Value> = self
            .analysis_runs
            .get(&k.0)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        parse_rollout(obj, &rs, &ar)
            .map_err(|e| tracing::warn!("skipping a Rollout: {e}"))
            .ok()
    }

    fn all(&self) -> Vec<crate::model::Rollout> {
        self.rollouts
            .keys()
            .filter_map(|k| self.compute(k))
            .collect()
    }

    /// The rollout that owns an object (by ownerReferences uid), if we know it.
    fn owner_of(&self, obj: &Value) -> Option<Key> {
        let owners: Vec<&str> = obj["metadata"]["ownerReferences"]
            .as_array()
            .map(|a| a.iter().filter_map(|o| o["uid"].as_str()).collect())
            .unwrap_or_default();
        self.rollouts
            .iter()
            .find(|(_, r)| {
                r["metadata"]["uid"]
                    .as_str()
                    .is_some_and(|u| owners.contains(&u))
            })
            .map(|(k, _)| k.clone())
    }
}

async fn watch_rollouts(client: kube::Client, cfg: WatchConfig, tx: mpsc::Sender<Update>) {
    let ro = resource("argoproj.io", "v1alpha1", "Rollout", "rollouts");
    let rs = resource("apps", "v1", "ReplicaSet", "replicasets");
    let ar = resource("argoproj.io", "v1alpha1", "AnalysisRun", "analysisruns");
    let mut streams = watch_all(&client, &ro, &cfg.namespaces, Kind::Rollout);
    streams.extend(watch_all(&client, &rs, &cfg.namespaces, Kind::ReplicaSet));
    streams.extend(watch_all(&client, &ar, &cfg.namespaces, Kind::AnalysisRun));
    let mut merged = futures::stream::select_all(streams);
    let mut s = RolloutStores {
        rollouts: BTreeMap::new(),
        replica_sets: BTreeMap::new(),
        analysis_runs: BTreeMap::new(),
    };
    let mut initial: [Vec<Value>; 3] = Default::default();
    let mut ready = [false; 3];
    while let Some((kind, ev)) = merged.next().await {
        let slot = kind as usize;
        let mut touched: Option<Key> = None;
        let mut snapshot = false;
        let mut deleted: Option<Key> = None;
        match ev {
            Ok(Event::Init) => {
                initial[slot].clear();
                continue;
            }
            Ok(Event::InitApply(o)) => {
                initial[slot].push(to_value(&o));
                continue;
            }
            Ok(Event::InitDone) => {
                let items = std::mem::take(&mut initial[slot]);
                // A relist (after 410 Gone, or a reconnect) replaces what we had: no duplicates,
                // nothing deleted meanwhile survives.
                match kind {
                    Kind::Rollout => s.rollouts = items.into_iter().map(|v| (key(&v), v)).collect(),
                    Kind::ReplicaSet => {
                        s.replica_sets.clear();
                        for v in items {
                            let (ns, name) = key(&v);
                            s.replica_sets.entry(ns).or_default().insert(name, v);
                        }
                    }
                    Kind::AnalysisRun => {
                        s.analysis_runs.clear();
                        for v in items {
                            let (ns, name) = key(&v);
                            s.analysis_runs.entry(ns).or_default().insert(name, v);
                        }
                    }
                }
                ready[slot] = true;
                snapshot = ready[Kind::Rollout as usize];
            }
            Ok(Event::Apply(o)) => {
                let v = to_value(&o);
                let k = key(&v);
                match kind {
                    Kind::Rollout => {
                        s.rollouts.insert(k.clone(), v);
                        touched = Some(k);
                    }
                    Kind::ReplicaSet | Kind::AnalysisRun => {
                        touched = s.owner_of(&v);
                        let store = if kind == Kind::ReplicaSet {
                            &mut s.replica_sets
                        } else {
                            &mut s.analysis_runs
                        };
                        store.entry(k.0).or_default().insert(k.1, v);
                    }
                }
            }
            Ok(Event::Delete(o)) => {
                let v = to_value(&o);
                let k = key(&v);
                match kind {
                    Kind::Rollout => {
                        s.rollouts.remove(&k);
                        deleted = Some(k);
                    }
                    Kind::ReplicaSet | Kind::AnalysisRun => {
                        touched = s.owner_of(&v);
                        let store = if kind == Kind::ReplicaSet {
                            &mut s.replica_sets
                        } else {
                            &mut s.analysis_runs
                        };
                        if let Some(m) = store.get_mut(&k.0) {
                            m.remove(&k.1);
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!("{kind:?} watch: {e}");
                if !health(&tx, SourceId::Rollouts, Health::Error(describe(&e))).await {
                    return;
                }
                continue;
            }
        }
        let update = if snapshot {
            if !health(&tx, SourceId::Rollouts, Health::Ok).await {
                return;
            }
            Some(Update::Rollouts(s.all()))
        } else if let Some((namespace, name)) = deleted {
            Some(Update::RolloutDeleted { namespace, name })
        } else if ready[Kind::Rollout as usize] {
            touched
                .and_then(|k| s.compute(&k))
                .map(Update::RolloutUpserted)
        } else {
            None
        };
        if let Some(u) = update
            && tx.send(u).await.is_err()
        {
            return;
        }
    }
}
