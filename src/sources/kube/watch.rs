//! Watches (never polls) Applications, Rollouts, ReplicaSets and AnalysisRuns with kube-rs'
//! watcher: a full list at start and after `410 Gone`, then watch events from the list's
//! resourceVersion, with bookmarks and backoff. Steady state makes no LIST calls.

use super::parse::{parse_application, parse_rollout};
pub(crate) use super::partial::IntoValue;
use super::partial::{AnalysisRunShape, AppShape, Partial, ReplicaSetShape, RolloutShape};
use crate::state::{Health, SourceId, Update};
use futures::{Stream, StreamExt};
use kube::api::{Api, ApiResource, GroupVersionKind};
use kube::core::{DynamicResourceScope, Resource};
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::pin::Pin;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct WatchConfig {
    /// Namespaces of Rollouts; empty means all the user may list.
    pub namespaces: Vec<String>,
    /// Where Argo CD keeps its Applications.
    pub argocd_namespace: String,
}

pub(crate) fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

pub(crate) type Key = (String, String);

const PAGE: u32 = 25;
/// A watch's events (each object as JSON), each tagged with what it is a watch of.
pub(crate) type Events<T> =
    Pin<Box<dyn Stream<Item = (T, Result<Event<Value>, watcher::Error>)> + Send>>;

/// What can be watched: kube's `DynamicObject`, or a [`Partial`] read with only its shape's
/// fields.
pub(crate) trait Watched:
    Resource<DynamicType = ApiResource, Scope = DynamicResourceScope>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + IntoValue
    + 'static
{
}
impl<K> Watched for K where
    K: Resource<DynamicType = ApiResource, Scope = DynamicResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + IntoValue
        + 'static
{
}

/// An event's object as JSON.
fn event_value<K: IntoValue>(ev: Event<K>) -> Event<Value> {
    match ev {
        Event::Init => Event::Init,
        Event::InitApply(o) => Event::InitApply(o.into_value()),
        Event::InitDone => Event::InitDone,
        Event::Apply(o) => Event::Apply(o.into_value()),
        Event::Delete(o) => Event::Delete(o.into_value()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Rollout,
    ReplicaSet,
    AnalysisRun,
}

pub(crate) fn key(v: &Value) -> Key {
    let m = &v["metadata"];
    (
        m["namespace"].as_str().unwrap_or("").to_string(),
        m["name"].as_str().unwrap_or("").to_string(),
    )
}

/// The object as JSON, moving its (large) data rather than copying it: a 12 KB object held as
/// a `serde_json::Value` is ~120 KB, so copies of thousands of them add up.
pub(crate) fn into_value(o: impl IntoValue) -> Value {
    o.into_value()
}

/// What the plugin's computation reads of each kind, from what its [`Partial`] shape kept:
/// the Rollout's own annotations and each metric's newest measurements, so a thousand rollouts
/// stay small.
fn slim(kind: Kind, mut out: Value) -> Value {
    if kind == Kind::Rollout
        && let Some(a) = out["metadata"]["annotations"].as_object_mut()
    {
        a.retain(|k, _| k.starts_with("rollout.argoproj.io/"));
    }
    if kind == Kind::AnalysisRun
        && let Some(results) = out["status"]["metricResults"].as_array_mut()
    {
        for r in results {
            // The newest measurements: the cockpit's history of each metric.
            if let Some(m) = r["measurements"].as_array_mut() {
                let keep = crate::model::MEASUREMENTS_KEPT;
                if m.len() > keep {
                    m.drain(..m.len() - keep);
                }
            }
        }
    }
    out
}

pub(crate) fn describe(e: &watcher::Error) -> String {
    crate::sanitize::clean_owned(&e.to_string())
}

/// Whether a watch error means the resourceVersion is gone (`410 Gone` / `Expired`, in the
/// stream or as the answer to the watch request): only a new list helps.
pub(crate) fn is_gone(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::WatchError(s) => s.code == 410,
        watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s))
        | watcher::Error::InitialListFailed(kube::Error::Api(s)) => s.code == 410,
        _ => false,
    }
}

/// The wait before retry `n` after a failure: 250 ms doubling to at most 2 s, with up to 25 %
/// jitter, so a watch is back within seconds of its server (kube-runtime's default waits up
/// to 30 s, and keeps retrying a watch whose resourceVersion is gone).
fn retry_delay(n: u32) -> std::time::Duration {
    let base = (250u64 << n.min(3)).min(2000);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) % (base / 4 + 1);
    std::time::Duration::from_millis(base + jitter)
}

/// A watch that lists again at once when its resourceVersion is gone (in the stream or at its
/// start) and retries other failures after [`retry_delay`]; bookmarks keep a resumed watch's
/// resourceVersion fresh so it rarely expires.
pub(crate) fn resilient<K: Watched>(
    api: Api<K>,
    cfg: watcher::Config,
) -> impl Stream<Item = Result<Event<K>, watcher::Error>> + Send {
    type Inner<K> = Pin<Box<dyn Stream<Item = Result<Event<K>, watcher::Error>> + Send>>;
    struct St<K> {
        inner: Option<Inner<K>>,
        failures: u32,
        /// 410s in a row: the first relists at once, a repeated one waits like any failure.
        gone: u32,
        wait: bool,
    }
    let start = St {
        inner: None,
        failures: 0,
        gone: 0,
        wait: false,
    };
    futures::stream::unfold(start, move |mut st| {
        let api = api.clone();
        let cfg = cfg.clone();
        async move {
            if st.wait {
                tokio::time::sleep(retry_delay(st.failures.saturating_sub(1))).await;
                st.wait = false;
            }
            let inner = st.inner.get_or_insert_with(|| Box::pin(watcher(api, cfg)));
            let item = match inner.next().await {
                Some(item) => item,
                // The watcher never ends; if it did, start over.
                None => {
                    st.inner = None;
                    st.wait = true;
                    st.failures += 1;
                    return Some((Ok(Event::Init), st));
                }
            };
            match &item {
                // `Init` comes before every (re)list, failed or not: only data is success.
                Ok(Event::Init) => {}
                Ok(_) => {
                    st.failures = 0;
                    st.gone = 0;
                }
                Err(e) if is_gone(e) => {
                    // A fresh watcher lists; at once the first time.
                    st.inner = None;
                    st.gone += 1;
                    if st.gone > 1 {
                        st.failures += 1;
                        st.wait = true;
                    }
                }
                Err(_) => {
                    st.failures += 1;
                    st.wait = true;
                }
            }
            Some((item, st))
        }
    })
}

/// One watcher per namespace (or one over all namespaces), each event tagged with `tag` and
/// the namespace's place in `namespaces` (0 for the watch over all).
pub(crate) fn watch_all<K: Watched, T: Copy + Send + 'static>(
    client: &kube::Client,
    ar: &ApiResource,
    namespaces: &[String],
    tag: T,
) -> Vec<Events<(T, usize)>> {
    let make = |api: Api<K>, i: usize| -> Events<(T, usize)> {
        // Pages of PAGE (25): a list of thousands arrives in small pieces, so the first rows
        // show early and the peak memory of one page stays small.
        let cfg = watcher::Config::default().page_size(PAGE);
        Box::pin(resilient(api, cfg).map(move |e| ((tag, i), e.map(event_value))))
    };
    if namespaces.is_empty() {
        vec![make(Api::all_with(client.clone(), ar), 0)]
    } else {
        namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| make(Api::namespaced_with(client.clone(), ns, ar), i))
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
    let mut stream = watch_all::<Partial<AppShape>, _>(
        &client,
        &ar,
        std::slice::from_ref(&cfg.argocd_namespace),
        (),
    )
    .into_iter()
    .next()
    .unwrap_or_else(|| Box::pin(futures::stream::empty()));
    // Parsed as they arrive: a list of thousands keeps only the small models, not the JSON.
    let mut initial: Vec<crate::model::ArgoApp> = Vec::new();
    let mut listed_once = false;
    let mut unhealthy = false;
    while let Some((_, ev)) = stream.next().await {
        let update = match ev {
            Ok(Event::Init) => {
                initial.clear();
                continue;
            }
            Ok(Event::InitApply(o)) => {
                match parse_application(&into_value(o)) {
                    Ok(a) => initial.push(a),
                    Err(e) => tracing::warn!("skipping an Application: {e}"),
                }
                // The first list shows its first page at once, the rest when it is complete; a
                // relist replaces only at the end, so nothing flickers away meanwhile.
                if !listed_once
                    && initial.len() == PAGE as usize
                    && tx.send(Update::Apps(initial.clone())).await.is_err()
                {
                    return;
                }
                continue;
            }
            Ok(Event::InitDone) => {
                listed_once = true;
                unhealthy = false;
                let apps = std::mem::take(&mut initial);
                if !health(&tx, SourceId::Apps, Health::Ok).await {
                    return;
                }
                Update::Apps(apps)
            }
            Ok(Event::Apply(o)) => match parse_application(&into_value(o)) {
                Ok(a) => Update::AppUpserted(a),
                Err(e) => {
                    tracing::warn!("skipping an Application: {e}");
                    continue;
                }
            },
            Ok(Event::Delete(o)) => {
                let (namespace, name) = key(&into_value(o));
                Update::AppDeleted { namespace, name }
            }
            Err(e) => {
                if !unhealthy {
                    tracing::warn!("Applications watch: {e}");
                }
                unhealthy = true;
                Update::SourceHealth {
                    source: SourceId::Apps,
                    health: Health::Error(describe(&e)),
                }
            }
        };
        // Events flowing again after an error (a resumed watch does not list): healthy.
        if unhealthy && matches!(update, Update::AppUpserted(_) | Update::AppDeleted { .. }) {
            unhealthy = false;
            if !health(&tx, SourceId::Apps, Health::Ok).await {
                return;
            }
        }
        if tx.send(update).await.is_err() {
            return;
        }
    }
}

/// Rollouts with their ReplicaSets and AnalysisRuns: a change to any of them recomputes the
/// rollout it belongs to, as the plugin computes it. Children are indexed by their owner's uid
/// so recomputing one rollout never scans the others' ReplicaSets.
#[derive(Default)]
struct RolloutStores {
    /// Stored as compact JSON text (a few KB each) and parsed when a rollout is recomputed:
    /// held as `serde_json::Value` a thousand rollouts would cost ~30 MB.
    rollouts: BTreeMap<Key, Box<str>>,
    uids: HashMap<String, Key>,
    /// Children (ReplicaSets, AnalysisRuns) by key, and their keys by owner uid.
    children: [BTreeMap<Key, Box<str>>; 2],
    by_owner: [HashMap<String, BTreeSet<Key>>; 2],
}

fn owners(v: &Value) -> Vec<String> {
    v["metadata"]["ownerReferences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["uid"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> Box<str> {
    v.to_string().into_boxed_str()
}

fn parsed(t: &str) -> Value {
    serde_json::from_str(t).unwrap_or(Value::Null)
}

impl RolloutStores {
    fn compute(&self, k: &Key) -> Option<crate::model::Rollout> {
        let obj = parsed(self.rollouts.get(k)?);
        let uid = obj["metadata"]["uid"].as_str().unwrap_or("");
        let kids = |i: usize| -> Vec<Value> {
            self.by_owner[i]
                .get(uid)
                .into_iter()
                .flatten()
                .filter_map(|key| self.children[i].get(key).map(|t| parsed(t)))
                .collect()
        };
        let (rs, ar) = (kids(0), kids(1));
        parse_rollout(&obj, &rs, &ar)
            .map_err(|e| tracing::warn!("skipping a Rollout: {e}"))
            .ok()
    }

    fn all(&self) -> Vec<crate::model::Rollout> {
        self.rollouts
            .keys()
            .filter_map(|k| self.compute(k))
            .collect()
    }

    fn insert_rollout(&mut self, v: Value) -> Key {
        let k = key(&v);
        if let Some(uid) = v["metadata"]["uid"].as_str() {
            self.uids.insert(uid.to_string(), k.clone());
        }
        self.rollouts.insert(k.clone(), text(&v));
        k
    }

    fn remove_rollout(&mut self, k: &Key) {
        self.rollouts.remove(k);
        self.uids.retain(|_, v| v != k);
    }

    fn insert_child(&mut self, i: usize, v: Value) {
        let k = key(&v);
        self.remove_child(i, &k);
        for uid in owners(&v) {
            self.by_owner[i].entry(uid).or_default().insert(k.clone());
        }
        self.children[i].insert(k, text(&v));
    }

    fn remove_child(&mut self, i: usize, k: &Key) {
        if let Some(old) = self.children[i].remove(k) {
            for uid in owners(&parsed(&old)) {
                if let Some(set) = self.by_owner[i].get_mut(&uid) {
                    set.remove(k);
                }
            }
        }
    }

    /// The rollout that owns a child (by ownerReferences uid), if we know it.
    fn owner_of(&self, child: &Value) -> Option<Key> {
        owners(child).iter().find_map(|u| self.uids.get(u).cloned())
    }
}

async fn watch_rollouts(client: kube::Client, cfg: WatchConfig, tx: mpsc::Sender<Update>) {
    let ro = resource("argoproj.io", "v1alpha1", "Rollout", "rollouts");
    let rs = resource("apps", "v1", "ReplicaSet", "replicasets");
    let ar = resource("argoproj.io", "v1alpha1", "AnalysisRun", "analysisruns");
    // Each kind read with only the fields the computation uses (its `Partial` shape).
    let mut streams =
        watch_all::<Partial<RolloutShape>, _>(&client, &ro, &cfg.namespaces, Kind::Rollout);
    streams.extend(watch_all::<Partial<ReplicaSetShape>, _>(
        &client,
        &rs,
        &cfg.namespaces,
        Kind::ReplicaSet,
    ));
    streams.extend(watch_all::<Partial<AnalysisRunShape>, _>(
        &client,
        &ar,
        &cfg.namespaces,
        Kind::AnalysisRun,
    ));
    let mut merged = futures::stream::select_all(streams);
    let mut s = RolloutStores::default();
    // What each (kind, namespace) stream has listed so far, and which have listed once.
    // Held as compact text until the list is complete: as `Value`s a list of 3,000 objects
    // would hold ~22 MB at once.
    let mut initial: HashMap<(usize, usize), Vec<Box<str>>> = HashMap::new();
    let mut done: BTreeSet<(usize, usize)> = BTreeSet::new();
    // The stream (its index in `cfg.namespaces`, 0 for all) a namespace's objects come from.
    let scope_of = |ns: &str| cfg.namespaces.iter().position(|n| n == ns).unwrap_or(0);
    let mut unhealthy = false;
    while let Some(((kind, scope), ev)) = merged.next().await {
        let slot = kind as usize;
        // Children stores: 0 = ReplicaSets, 1 = AnalysisRuns.
        let child = slot.checked_sub(1);
        let mut touched: Option<Key> = None;
        let mut snapshot = false;
        let mut deleted: Option<Key> = None;
        match ev {
            Ok(Event::Init) => {
                initial.insert((slot, scope), Vec::new());
                continue;
            }
            Ok(Event::InitApply(o)) => {
                initial
                    .entry((slot, scope))
                    .or_default()
                    .push(text(&slim(kind, into_value(o))));
                continue;
            }
            Ok(Event::InitDone) => {
                let items = initial.remove(&(slot, scope)).unwrap_or_default();
                // A relist (after 410 Gone, or a reconnect) replaces what this stream had —
                // its namespace's objects only, never another namespace's: no duplicates,
                // nothing deleted meanwhile survives.
                let ns = cfg.namespaces.get(scope);
                let mine = |k: &Key| ns.is_none_or(|n| &k.0 == n);
                match child {
                    None => {
                        s.rollouts.retain(|k, _| !mine(k));
                        s.uids.retain(|_, k| !mine(k));
                        for t in items {
                            s.insert_rollout(parsed(&t));
                        }
                    }
                    Some(c) => {
                        let gone: Vec<Key> =
                            s.children[c].keys().filter(|k| mine(k)).cloned().collect();
                        for k in gone {
                            s.remove_child(c, &k);
                        }
                        for t in items {
                            s.insert_child(c, parsed(&t));
                        }
                    }
                }
                done.insert((slot, scope));
                // A namespace listed shows at once: one that cannot be read (RBAC) does not
                // hold back the others.
                snapshot = done.iter().any(|(k, _)| *k == Kind::Rollout as usize);
            }
            Ok(Event::Apply(o)) => {
                let v = slim(kind, into_value(o));
                match child {
                    None => touched = Some(s.insert_rollout(v)),
                    Some(c) => {
                        touched = s.owner_of(&v);
                        s.insert_child(c, v);
                    }
                }
            }
            Ok(Event::Delete(o)) => {
                let v = into_value(o);
                let k = key(&v);
                match child {
                    None => {
                        s.remove_rollout(&k);
                        deleted = Some(k);
                    }
                    Some(c) => {
                        touched = s.owner_of(&v);
                        s.remove_child(c, &k);
                    }
                }
            }
            Err(e) => {
                if !unhealthy {
                    tracing::warn!("{kind:?} watch: {e}");
                }
                unhealthy = true;
                if !health(&tx, SourceId::Rollouts, Health::Error(describe(&e))).await {
                    return;
                }
                continue;
            }
        }
        // Events flowing again after an error (a resumed watch does not list): healthy.
        if unhealthy && !snapshot {
            unhealthy = false;
            if !health(&tx, SourceId::Rollouts, Health::Ok).await {
                return;
            }
        }
        if snapshot {
            unhealthy = false;
        }
        let update = if snapshot {
            if !health(&tx, SourceId::Rollouts, Health::Ok).await {
                return;
            }
            Some(Update::Rollouts(s.all()))
        } else if let Some((namespace, name)) = deleted {
            Some(Update::RolloutDeleted { namespace, name })
        } else if let Some(k) =
            touched.filter(|k| done.contains(&(Kind::Rollout as usize, scope_of(&k.0))))
        {
            Some(k)
                .and_then(|k| s.compute(&k))
                .map(|r| Update::RolloutUpserted(Box::new(r)))
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
