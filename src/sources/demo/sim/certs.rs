//! The platform's cert-manager Certificates, as the watch would send them, their times set
//! around when the platform is first sent (a demo session rarely reaches a renewal).

use super::Sim;
use crate::model::Certificate;
use crate::state::Update;
use chrono::Duration;

impl Sim {
    pub fn certificates(&self) -> Update {
        let Some(defs) = self.platform.certificates else {
            return Update::Certificates(Err(crate::model::Unread::Absent(
                crate::model::CERT_MANAGER_ABSENT.into(),
            )));
        };
        let certs = defs
            .iter()
            .map(|d| {
                let not_before = self.now - Duration::seconds(d.issued_ago_secs);
                let not_after = not_before + Duration::seconds(d.valid_secs);
                Certificate {
                    namespace: d.namespace.into(),
                    name: d.name.into(),
                    ready: Some(true),
                    reason: "Ready".into(),
                    message: "Certificate is up to date and has not expired".into(),
                    not_before: Some(not_before),
                    not_after: Some(not_after),
                    renewal_time: Some(not_after - Duration::seconds(d.renew_before_secs)),
                    failed_attempts: d.failed_attempts,
                    last_failure: (d.failed_attempts > 0)
                        .then(|| self.now - Duration::seconds(d.failed_ago_secs)),
                    issuer: d.issuer.into(),
                    secret: d.name.into(),
                    is_ca: d.is_ca,
                }
            })
            .collect();
        Update::Certificates(Ok(certs))
    }
}

impl Sim {
    /// The mesh's trust bundle as the trust source would read it: Linkerd's anchor (the
    /// `linkerd-trust-anchor` Certificate's, when cert-manager issues it) with its issuer
    /// chaining to it; Istio's self-signed root (istiod's default: ten years).
    pub fn trust_bundles(&self) -> Update {
        use crate::model::{IssuerCheck, TrustBundle, X509Info};
        let bundle = match self.platform.mesh {
            super::catalog::Mesh::Linkerd => {
                let anchor = self
                    .platform
                    .certificates
                    .and_then(|defs| defs.iter().find(|d| d.name == "linkerd-trust-anchor"));
                let not_before = anchor.map_or(self.now - Duration::days(400), |d| {
                    self.now - Duration::seconds(d.issued_ago_secs)
                });
                let not_after = not_before
                    + Duration::seconds(anchor.map_or(10 * 365 * 86_400, |d| d.valid_secs));
                let root = "CN=root.linkerd.cluster.local".to_string();
                TrustBundle {
                    mesh: "linkerd".into(),
                    namespace: "linkerd".into(),
                    name: "linkerd-identity-trust-roots".into(),
                    key: "ca-bundle.crt".into(),
                    anchors: vec![X509Info {
                        subject: root.clone(),
                        issuer: root.clone(),
                        not_before: Some(not_before),
                        not_after: Some(not_after),
                        is_ca: true,
                    }],
                    error: None,
                    stale: None,
                    issuer: Some(IssuerCheck {
                        from: "CertificateRequest linkerd/linkerd-identity-issuer-12".into(),
                        issuer: Some(X509Info {
                            subject: "CN=identity.linkerd.cluster.local".into(),
                            issuer: root.clone(),
                            not_before: Some(self.now - Duration::hours(7)),
                            not_after: Some(self.now + Duration::hours(41)),
                            is_ca: true,
                        }),
                        chains_to: Some(root),
                        unchecked: String::new(),
                    }),
                }
            }
            super::catalog::Mesh::Istio => TrustBundle {
                mesh: "istio".into(),
                namespace: "istio-system".into(),
                name: "istio-ca-root-cert".into(),
                key: "root-cert.pem".into(),
                anchors: vec![X509Info {
                    subject: "O=cluster.local".into(),
                    issuer: "O=cluster.local".into(),
                    not_before: Some(self.now - Duration::days(200)),
                    not_after: Some(self.now + Duration::days(10 * 365 - 200)),
                    is_ca: true,
                }],
                error: None,
                stale: None,
                issuer: None,
            },
        };
        Update::TrustBundles(vec![bundle])
    }
}
