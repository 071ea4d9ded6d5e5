//! ServiceProfiles (linkerd.io/v1alpha2): the routes Linkerd names, their timeouts and
//! retryability, and the retry budget — read from the cluster for the routes' policy columns.

use crate::model::RetryBudget;
use crate::net::json::{array_at, at, bool_at, name_of, str_at, u32_at};
use serde_json::Value;

/// One route of a ServiceProfile (linkerd.io/v1alpha2).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileRoute {
    pub name: String,
    /// `timeout`, default 10 s (Linkerd's default route timeout).
    pub timeout_ms: u64,
    pub retryable: bool,
}

/// A ServiceProfile: named `<service>.<namespace>.svc.<cluster domain>`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProfile {
    /// The profile's name, the authority its routes match (`store.dev.svc.cluster.local`).
    pub fqdn: String,
    pub service: String,
    pub namespace: String,
    pub routes: Vec<ProfileRoute>,
    pub budget: Option<RetryBudget>,
}

/// Linkerd's default route timeout when `timeout` is not set.
pub const DEFAULT_ROUTE_TIMEOUT_MS: u64 = 10_000;

pub fn parse_service_profile(obj: &Value) -> Result<ServiceProfile, String> {
    let (namespace, fqdn) = name_of(obj, "ServiceProfile")?;
    let service = fqdn.split('.').next().unwrap_or("").to_string();
    let routes = array_at(obj, &["spec", "routes"])
        .iter()
        .map(|r| ProfileRoute {
            name: str_at(r, &["name"]).to_string(),
            timeout_ms: crate::model::time::go_duration_ms(str_at(r, &["timeout"]))
                .unwrap_or(DEFAULT_ROUTE_TIMEOUT_MS),
            retryable: bool_at(r, &["isRetryable"]),
        })
        .collect();
    let budget = at(obj, &["spec", "retryBudget"]).map(|b| RetryBudget {
        retry_ratio: at(b, &["retryRatio"])
            .and_then(Value::as_f64)
            .unwrap_or(0.2),
        min_retries_per_second: u32_at(b, &["minRetriesPerSecond"], 10),
        ttl_secs: crate::model::time::go_duration_ms(str_at(b, &["ttl"])).unwrap_or(10_000) / 1000,
    });
    Ok(ServiceProfile {
        fqdn,
        service,
        namespace,
        routes,
        budget,
    })
}

/// The ServiceProfiles in `namespaces` (all when empty); none when Linkerd's CRD is missing.
pub async fn load(
    client: &kube::Client,
    namespaces: &[String],
) -> Result<Vec<ServiceProfile>, String> {
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("linkerd.io", "v1alpha2", "ServiceProfile"),
        "serviceprofiles",
    );
    let apis: Vec<Api<DynamicObject>> = if namespaces.is_empty() {
        vec![Api::all_with(client.clone(), &ar)]
    } else {
        namespaces
            .iter()
            .map(|n| Api::namespaced_with(client.clone(), n, &ar))
            .collect()
    };
    let mut out = Vec::new();
    for api in apis {
        match api.list(&ListParams::default()).await {
            Ok(list) => {
                for o in list.items {
                    let v = serde_json::to_value(&o).unwrap_or_default();
                    match parse_service_profile(&v) {
                        Ok(p) => out.push(p),
                        Err(e) => tracing::warn!("skipping a ServiceProfile: {e}"),
                    }
                }
            }
            // Linkerd's CRD not installed: no profiles, HTTPRoute metrics may still serve.
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(kube::Error::Api(s)) if s.code == 403 => {
                return Err(format!(
                    "cannot list ServiceProfiles (403: {}); route timeouts and retry budgets need get/list on serviceprofiles.linkerd.io",
                    s.message
                ));
            }
            Err(e) => return Err(format!("cannot list ServiceProfiles: {e}")),
        }
    }
    Ok(out)
}
