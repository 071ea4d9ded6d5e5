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
            // Our words for a file that cannot be read (kube's quote the path twice); kube's
            // reader for the rest, which resolves relative certificate and token paths
            // against the file's folder.
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| format!("the kubeconfig {} is not valid: {e}", path.display()))?;
            let name = context
                .map(str::to_string)
                .or(kc.current_context.clone())
                .unwrap_or_default();
            known_context(&kc, &name, &format!("the kubeconfig {}", path.display()))?;
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
            Err(e) => {
                let name = context.unwrap_or("");
                // The context named may not be there: say which ones are.
                if let Ok(kc) = Kubeconfig::read() {
                    known_context(&kc, name, "the kubeconfig (KUBECONFIG or ~/.kube/config)")?;
                }
                return Err(format!("context \"{name}\": {e}"));
            }
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
        Ok(Err(e)) => Err(format!("context \"{ctx_name}\": {}", describe(&e, &server))),
        Err(_) => Err(format!(
            "cannot reach the cluster of context \"{ctx_name}\" at {server}: no answer within {}s",
            CONNECT_TIMEOUT.as_secs() + 1
        )),
    }
}

/// The context must be one the kubeconfig has; if not, say which it has.
fn known_context(kc: &Kubeconfig, name: &str, file: &str) -> Result<(), String> {
    if name.is_empty() || kc.contexts.iter().any(|c| c.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    Err(if names.is_empty() {
        format!("context \"{name}\" is not in {file}: it has no contexts")
    } else {
        format!(
            "context \"{name}\" is not in {file}; its contexts: {}",
            names.join(", ")
        )
    })
}

/// A failed first request in words: `cannot connect to https://…: connection refused`, the
/// TLS or HTTP problem, or the API server's own answer — the innermost cause, not kube's
/// wrapper (`ServiceError: client error (Connect)`).
pub fn describe(e: &kube::Error, server: &str) -> String {
    match e {
        kube::Error::Api(status) => {
            return format!(
                "the API server at {server} answered {} {}: {}",
                status.code, status.reason, status.message
            );
        }
        // Transport: the innermost cause is the news. Anything else (an exec auth plugin that
        // cannot start, a bad request) keeps its whole chain and is not a connection problem.
        kube::Error::Service(_) | kube::Error::HyperError(_) => {}
        other => {
            return format!("talking to {server}: {}", super::http::error_chain(other));
        }
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = match super::http::io_cause(e) {
        Some(why) => why.to_string(),
        None => {
            let inner = cause.to_string();
            // rustls' and the resolver's own words are clear; kube's outer ones are not.
            if inner.contains("certificate") || inner.contains("tls") || inner.contains("TLS") {
                format!("TLS: {inner}")
            } else if inner.contains("dns") || inner.contains("resolve") || inner.contains("lookup")
            {
                format!("cannot resolve the host: {inner}")
            } else {
                inner
            }
        }
    };
    format!("cannot connect to {server}: {what}")
}
