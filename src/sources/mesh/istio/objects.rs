//! Istio's VirtualServices and DestinationRules, watched (not polled) in the namespaces in
//! scope, in whichever `networking.istio.io` version the cluster prefers (v1, v1beta1 or
//! v1alpha3). State gets every change (the canaries' mesh weights, the timeline); the Istio
//! provider reads the same objects for the routes' retry, timeout and circuit-breaking columns.

use crate::model::mesh::{
    ConnectionPool, DestinationRule, HttpRoute, OutlierDetection, Retries, VirtualService,
    WeightedDestination,
};
use crate::model::time::go_duration_ms;
use crate::net::json::{array_at, at, duration_secs, name_of, str_at, u32_at};
use crate::sources::kube::watch::{Key, describe, into_value, key, resource, watch_all};
use crate::state::{Health, SourceId, Update};
use futures::StreamExt;
use kube::runtime::watcher::Event;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;

pub const GROUP: &str = "networking.istio.io";
/// The versions opsdeck reads, newest first.
const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha3"];

/// What the watch knows, shared with the provider.
#[derive(Clone, Debug, Default)]
pub struct IstioObjects {
    pub virtual_services: BTreeMap<Key, VirtualService>,
    pub destination_rules: BTreeMap<Key, DestinationRule>,
}

pub type Shared = Arc<RwLock<IstioObjects>>;

fn ms(v: &Value, path: &[&str]) -> Option<u64> {
    at(v, path).and_then(|d| match d {
        Value::String(s) => go_duration_ms(s),
        _ => None,
    })
}

/// A VirtualService: hosts, and per HTTP route its weighted destinations, retries, timeout.
/// `path` is absent or a list; anything else makes the object unreadable (a weight read
/// from a misshapen route would be a guess).
fn list_or_absent(v: &Value, path: &[&str], what: &str) -> Result<(), String> {
    match at(v, path) {
        None | Some(Value::Null) | Some(Value::Array(_)) => Ok(()),
        Some(_) => Err(format!("{what}: {} is not a list", path.join("."))),
    }
}

pub fn parse_virtual_service(obj: &Value) -> Result<VirtualService, String> {
    let (namespace, name) = name_of(obj, "VirtualService")?;
    let what = format!("VirtualService {namespace}/{name}");
    list_or_absent(obj, &["spec", "hosts"], &what)?;
    list_or_absent(obj, &["spec", "http"], &what)?;
    for r in array_at(obj, &["spec", "http"]) {
        list_or_absent(r, &["route"], &what)?;
    }
    let http = array_at(obj, &["spec", "http"])
        .iter()
        .map(|r| {
            let routes = array_at(r, &["route"]);
            let lone = routes.len() == 1;
            HttpRoute {
                name: str_at(r, &["name"]).to_string(),
                destinations: routes
                    .iter()
                    .map(|d| WeightedDestination {
                        host: str_at(d, &["destination", "host"]).to_string(),
                        subset: str_at(d, &["destination", "subset"]).to_string(),
                        weight: u32_at(d, &["weight"], if lone { 100 } else { 0 }).min(100),
                    })
                    .collect(),
                retries: at(r, &["retries"]).map(|rt| Retries {
                    attempts: u32_at(rt, &["attempts"], 0),
                    per_try_timeout_ms: ms(rt, &["perTryTimeout"]),
                    retry_on: str_at(rt, &["retryOn"]).to_string(),
                }),
                timeout_ms: ms(r, &["timeout"]),
            }
        })
        .collect();
    Ok(VirtualService {
        namespace,
        name,
        hosts: array_at(obj, &["spec", "hosts"])
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect(),
        http,
    })
}

/// A DestinationRule: its host, subsets, outlier detection and connection pool.
pub fn parse_destination_rule(obj: &Value) -> Result<DestinationRule, String> {
    let (namespace, name) = name_of(obj, "DestinationRule")?;
    let tp = at(obj, &["spec", "trafficPolicy"]);
    let outlier = tp.and_then(|t| at(t, &["outlierDetection"])).map(|o| {
        // `consecutiveErrors` is the pre-1.5 name of consecutive 5xx.
        let n = u32_at(
            o,
            &["consecutive5xxErrors"],
            u32_at(o, &["consecutiveErrors"], 5),
        );
        let secs = |k: &str, default: u64| at(o, &[k]).and_then(duration_secs).unwrap_or(default);
        OutlierDetection {
            consecutive_5xx: n,
            interval_secs: secs("interval", 10),
            base_ejection_secs: secs("baseEjectionTime", 30),
            max_ejection_percent: u32_at(o, &["maxEjectionPercent"], 10),
        }
    });
    let pool = tp.and_then(|t| at(t, &["connectionPool"])).map(|p| {
        let n = |path: &[&str]| {
            at(p, path)
                .and_then(Value::as_u64)
                .map(|v| v.min(u64::from(u32::MAX)) as u32)
        };
        ConnectionPool {
            max_connections: n(&["tcp", "maxConnections"]),
            max_pending_requests: n(&["http", "http1MaxPendingRequests"]),
            max_requests_per_connection: n(&["http", "maxRequestsPerConnection"]),
        }
    });
    Ok(DestinationRule {
        namespace,
        name,
        host: str_at(obj, &["spec", "host"]).to_string(),
        subsets: array_at(obj, &["spec", "subsets"])
            .iter()
            .map(|s| str_at(s, &["name"]).to_string())
            .collect(),
        outlier,
        pool,
    })
}

/// The `networking.istio.io` version to read, from the group's discovery document (`None`:
/// Istio's CRDs are not installed).
pub async fn version(client: &kube::Client) -> Result<Option<&'static str>, String> {
    let req = http::Request::builder()
        .uri(format!("/apis/{GROUP}"))
        .header("Accept", "application/json")
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    let doc: Value = match client.request_text(req).await {
        Ok(t) => serde_json::from_str(&t).unwrap_or(Value::Null),
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
        Err(e) => return Err(format!("cannot read {GROUP}: {e}")),
    };
    let served: Vec<&str> = array_at(&doc, &["versions"])
        .iter()
        .map(|v| str_at(v, &["version"]))
        .collect();
    let preferred = str_at(&doc, &["preferredVersion", "version"]);
    Ok(VERSIONS
        .iter()
        .copied()
        .find(|v| *v == preferred)
        .or_else(|| VERSIONS.iter().copied().find(|v| served.contains(v))))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Vs,
    Dr,
}

/// Watches VirtualServices and DestinationRules in `namespaces` (all when empty).
pub fn spawn(
    client: kube::Client,
    namespaces: Vec<String>,
    shared: Shared,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(client, namespaces, shared, tx))
}

async fn run(
    client: kube::Client,
    namespaces: Vec<String>,
    shared: Shared,
    tx: mpsc::Sender<Update>,
) {
    let v = loop {
        match version(&client).await {
            Ok(Some(v)) => break v,
            // Istio may be installed later; look again now and then.
            Ok(None) => tokio::time::sleep(Duration::from_secs(120)).await,
            Err(e) => {
                tracing::warn!("istio: {e}");
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        }
        if tx.is_closed() {
            return;
        }
    };
    tracing::info!(
        version = v,
        "watching Istio's VirtualServices and DestinationRules"
    );
    let vs = resource(GROUP, v, "VirtualService", "virtualservices");
    let dr = resource(GROUP, v, "DestinationRule", "destinationrules");
    // One stream per kind and namespace, each tagged with its namespace's index: a stream's
    // (re)list replaces only its own namespace's objects, never another's.
    let mut streams = Vec::new();
    let scopes: Vec<Option<String>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    };
    for (i, ns) in scopes.iter().enumerate() {
        let only: Vec<String> = ns.iter().cloned().collect();
        streams.extend(watch_all::<kube::api::DynamicObject, _>(
            &client,
            &vs,
            &only,
            (Kind::Vs, i),
        ));
        streams.extend(watch_all::<kube::api::DynamicObject, _>(
            &client,
            &dr,
            &only,
            (Kind::Dr, i),
        ));
    }
    let mut merged = futures::stream::select_all(streams);
    let mut initial: BTreeMap<(Kind, usize), IstioObjects> = BTreeMap::new();
    while let Some((((kind, scope), _), ev)) = merged.next().await {
        let changed = match ev {
            Ok(Event::Init) => {
                initial.insert((kind, scope), IstioObjects::default());
                continue;
            }
            Ok(Event::InitApply(o)) => {
                insert(
                    initial.entry((kind, scope)).or_default(),
                    kind,
                    into_value(o),
                );
                continue;
            }
            Ok(Event::InitDone) => {
                let fresh = initial.remove(&(kind, scope)).unwrap_or_default();
                let ns = scopes.get(scope).cloned().flatten();
                let mine = |k: &Key| ns.as_ref().is_none_or(|n| &k.0 == n);
                let mut s = shared.write().unwrap_or_else(|p| p.into_inner());
                match kind {
                    Kind::Vs => {
                        s.virtual_services.retain(|k, _| !mine(k));
                        s.virtual_services.extend(fresh.virtual_services);
                    }
                    Kind::Dr => {
                        s.destination_rules.retain(|k, _| !mine(k));
                        s.destination_rules.extend(fresh.destination_rules);
                    }
                }
                kind
            }
            Ok(Event::Apply(o)) => {
                let mut s = shared.write().unwrap_or_else(|p| p.into_inner());
                insert(&mut s, kind, into_value(o));
                kind
            }
            Ok(Event::Delete(o)) => {
                let k = key(&into_value(o));
                let mut s = shared.write().unwrap_or_else(|p| p.into_inner());
                if kind == Kind::Vs {
                    s.virtual_services.remove(&k);
                } else {
                    s.destination_rules.remove(&k);
                }
                kind
            }
            Err(e) => {
                tracing::warn!("Istio watch: {e}");
                let u = Update::SourceHealth {
                    source: SourceId::Mesh,
                    health: Health::Error(format!("Istio objects: {}", describe(&e))),
                };
                if tx.send(u).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let update = {
            let s = shared.read().unwrap_or_else(|p| p.into_inner());
            match changed {
                Kind::Vs => Update::VirtualServices(s.virtual_services.values().cloned().collect()),
                Kind::Dr => {
                    Update::DestinationRules(s.destination_rules.values().cloned().collect())
                }
            }
        };
        if tx.send(update).await.is_err() {
            return;
        }
    }
}

fn insert(into: &mut IstioObjects, kind: Kind, v: Value) {
    let k = key(&v);
    match kind {
        Kind::Vs => match parse_virtual_service(&v) {
            Ok(x) => {
                into.virtual_services.insert(k, x);
            }
            Err(e) => tracing::warn!("skipping a VirtualService: {e}"),
        },
        Kind::Dr => match parse_destination_rule(&v) {
            Ok(x) => {
                into.destination_rules.insert(k, x);
            }
            Err(e) => tracing::warn!("skipping a DestinationRule: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_misshapen_virtual_service_is_refused_not_guessed() {
        let v = json!({"metadata": {"name": "broken", "namespace": "ns"},
            "spec": {"hosts": ["a"], "http": [{"route": 7}]}});
        assert_eq!(
            parse_virtual_service(&v).err().as_deref(),
            Some("VirtualService ns/broken: route is not a list")
        );
        let v = json!({"metadata": {"name": "b", "namespace": "ns"}, "spec": {"hosts": "a"}});
        assert!(parse_virtual_service(&v).is_err());
        let v = json!({"metadata": {"name": "c", "namespace": "ns"}, "spec": {}});
        assert!(parse_virtual_service(&v).is_ok(), "absent lists are empty");
    }

    #[test]
    fn virtual_services_read_weights_retries_and_timeouts() {
        let v = json!({"metadata": {"name": "blog", "namespace": "titanium-prod"},
            "spec": {"hosts": ["blog-service"], "http": [
                {"name": "primary", "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,connect-failure"},
                 "timeout": "10s",
                 "route": [{"destination": {"host": "blog-service", "subset": "stable"}, "weight": 80},
                           {"destination": {"host": "blog-service", "subset": "canary"}, "weight": 20}]},
                {"route": [{"destination": {"host": "blog-service"}}]}]}});
        let vs = parse_virtual_service(&v).unwrap();
        assert_eq!(vs.http[0].destinations[1].weight, 20);
        let r = vs.http[0].retries.clone().unwrap();
        assert_eq!((r.attempts, r.per_try_timeout_ms), (3, Some(2000)));
        assert_eq!(vs.http[0].timeout_ms, Some(10_000));
        assert_eq!(
            vs.http[1].destinations[0].weight, 100,
            "a lone destination takes all"
        );
        assert_eq!(vs.http[1].retries, None, "Istio's default policy");
        assert!(parse_virtual_service(&json!({"spec": {}})).is_err());
    }

    #[test]
    fn destination_rules_read_circuit_breaking() {
        let d = json!({"metadata": {"name": "blog", "namespace": "n"}, "spec": {"host": "blog-service",
            "subsets": [{"name": "stable"}, {"name": "canary"}],
            "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 3, "interval": "5s", "baseEjectionTime": "1m"},
                              "connectionPool": {"tcp": {"maxConnections": 10}, "http": {"http1MaxPendingRequests": 1}}}}});
        let dr = parse_destination_rule(&d).unwrap();
        assert_eq!(dr.subsets, vec!["stable", "canary"]);
        let o = dr.outlier.unwrap();
        assert_eq!(
            (o.consecutive_5xx, o.interval_secs, o.base_ejection_secs),
            (3, 5, 60)
        );
        assert_eq!(dr.pool.unwrap().max_pending_requests, Some(1));
    }
}
