//! Connecting like kubectl: the kubeconfig (KUBECONFIG, ~/.kube/config, or a path), a context,
//! or in-cluster config; exec and token auth as kube-rs supports them. Never hangs: the
//! connect and the first request are bounded, and a failure says which context, which server
//! and what went wrong.

use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::Path;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Connection {
    pub client: kube::Client,
    pub context: String,
    pub server: String,
}

pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Connection, String> {
    let opts = KubeConfigOptions {
        context: context.map(str::to_string),
        cluster: None,
        user: None,
    };
    let (config, ctx_name) = match kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
            let name = context
                .map(str::to_string)
                .or(kc.current_context.clone())
                .unwrap_or_default();
            let cfg = kube::Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| format!("kubeconfig {}, context \"{name}\": {e}", path.display()))?;
            (cfg, name)
        }
        None => match kube::Config::from_kubeconfig(&opts).await {
            Ok(cfg) => {
                let name = context
                    .map(str::to_string)
                    .or_else(|| Kubeconfig::read().ok().and_then(|k| k.current_context))
                    .unwrap_or_default();
                (cfg, name)
            }
            Err(kerr) if context.is_none() => match kube::Config::incluster() {
                Ok(cfg) => (cfg, "in-cluster".to_string()),
                Err(_) => {
                    return Err(format!(
                        "no kubeconfig found and not running in a cluster: {kerr}"
                    ));
                }
            },
            Err(e) => return Err(format!("context \"{}\": {e}", context.unwrap_or(""))),
        },
    };
    let server = config.cluster_url.to_string();
    let mut config = config;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let client = kube::Client::try_from(config)
        .map_err(|e| format!("context \"{ctx_name}\" ({server}): {e}"))?;
    match tokio::time::timeout(
        CONNECT_TIMEOUT + Duration::from_secs(1),
        client.apiserver_version(),
    )
    .await
    {
        Ok(Ok(_)) => Ok(Connection {
            client,
            context: ctx_name,
            server,
        }),
        Ok(Err(e)) => Err(format!(
            "cannot reach the cluster of context \"{ctx_name}\" at {server}: {e}"
        )),
        Err(_) => Err(format!(
            "cannot reach the cluster of context \"{ctx_name}\" at {server}: no answer within {}s",
            CONNECT_TIMEOUT.as_secs() + 1
        )),
    }
}
