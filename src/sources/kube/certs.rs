//! cert-manager's Certificates, cluster-wide (the mesh's issuer lives in `linkerd` or
//! `istio-system`, not in the apps' namespaces): watched, each change sent as the whole list.
//! A cluster without cert-manager is said once and looked at again every few minutes.

use super::watch::resource;
use crate::model::Certificate;
use crate::net::json::*;
use crate::state::Update;
use serde_json::Value;
use tokio::sync::mpsc;

/// One Certificate's status (PROTOCOLS §12); None without a name.
pub fn parse_certificate(v: &Value) -> Option<Certificate> {
    let name = str_at(v, &["metadata", "name"]);
    if name.is_empty() {
        return None;
    }
    let ready = array_at(v, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Ready");
    let issuer = match (
        str_at(v, &["spec", "issuerRef", "kind"]),
        str_at(v, &["spec", "issuerRef", "name"]),
    ) {
        (_, "") => String::new(),
        ("", n) => format!("Issuer/{n}"),
        (k, n) => format!("{k}/{n}"),
    };
    Some(Certificate {
        namespace: str_at(v, &["metadata", "namespace"]).to_string(),
        name: name.to_string(),
        ready: ready.map(|c| str_at(c, &["status"]) == "True"),
        reason: ready.map_or("", |c| str_at(c, &["reason"])).to_string(),
        message: ready.map_or("", |c| str_at(c, &["message"])).to_string(),
        not_before: time_at(v, &["status", "notBefore"]),
        not_after: time_at(v, &["status", "notAfter"]),
        renewal_time: time_at(v, &["status", "renewalTime"]),
        failed_attempts: u32_at(v, &["status", "failedIssuanceAttempts"], 0),
        last_failure: time_at(v, &["status", "lastFailureTime"]),
        issuer,
        secret: str_at(v, &["spec", "secretName"]).to_string(),
        is_ca: bool_at(v, &["spec", "isCA"]),
    })
}

pub fn spawn(client: kube::Client, tx: mpsc::Sender<Update>) -> tokio::task::JoinHandle<()> {
    let ar = resource("cert-manager.io", "v1", "Certificate", "certificates");
    super::spawn_cluster_list(
        client,
        ar,
        parse_certificate,
        Update::Certificates,
        crate::model::CERT_MANAGER_ABSENT,
        tx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_certificate_reads_as_cert_manager_reports_it() {
        let v = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "linkerd-identity-issuer", "namespace": "linkerd"},
            "spec": {"secretName": "linkerd-identity-issuer", "isCA": true, "duration": "48h0m0s",
                "renewBefore": "25h0m0s", "issuerRef": {"name": "linkerd-trust-anchor", "kind": "Issuer"}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                "message": "Certificate is up to date and has not expired"}],
                "notBefore": "2026-12-01T08:00:00Z", "notAfter": "2026-12-03T08:00:00Z",
                "renewalTime": "2026-12-02T07:00:00Z", "revision": 12}});
        let c = parse_certificate(&v).expect("a certificate");
        assert_eq!(c.issuer, "Issuer/linkerd-trust-anchor");
        assert_eq!(c.ready, Some(true));
        assert!(c.is_ca);
        assert_eq!(
            c.renewal_time.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-12-02T07:00:00+00:00")
        );
        let failing = json!({"metadata": {"name": "gateway-tls", "namespace": "dev"},
            "spec": {"issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Failed",
                "message": "The certificate request has failed to complete and will be retried"},
                {"type": "Issuing", "status": "False"}],
                "failedIssuanceAttempts": 3, "lastFailureTime": "2026-12-01T09:00:00Z"}});
        let c = parse_certificate(&failing).expect("a certificate");
        assert_eq!((c.ready, c.failed_attempts), (Some(false), 3));
        assert_eq!(c.issuer, "ClusterIssuer/letsencrypt");
        assert!(parse_certificate(&json!({"metadata": {}})).is_none());
        let odd = json!({"metadata": {"name": "x"}, "status": {"conditions": "no", "notAfter": 5}});
        let c = parse_certificate(&odd).expect("a name is enough");
        assert_eq!((c.ready, c.not_after), (None, None));
    }
}
