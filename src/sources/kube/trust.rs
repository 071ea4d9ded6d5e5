//! The meshes' trust anchors, read as X.509 (x509-parser): Linkerd's
//! `linkerd/linkerd-identity-trust-roots` (`ca-bundle.crt`) and Istio's
//! `istio-system/istio-ca-root-cert` (`root-cert.pem`), every minute. For Linkerd, whether its
//! identity issuer chains to an anchor: the issuer's certificate is read from cert-manager's
//! newest CertificateRequest for `linkerd-identity-issuer` (which holds the issued
//! certificate and no private key — its Secret is never read), and its signature checked
//! against each anchor's key.

use crate::model::{IssuerCheck, TrustBundle, X509Info};
use crate::net::json::*;
use crate::state::Update;
use base64::Engine;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DynamicObject, ListParams};
use std::time::Duration;
use tokio::sync::mpsc;
use x509_parser::pem::Pem;
use x509_parser::prelude::X509Certificate;

/// How often the bundles are read again.
const EVERY: Duration = Duration::from_secs(60);

/// Where each mesh keeps its anchors: (mesh, namespace, ConfigMap, key).
pub const BUNDLES: [(&str, &str, &str, &str); 2] = [
    (
        "linkerd",
        "linkerd",
        "linkerd-identity-trust-roots",
        "ca-bundle.crt",
    ),
    (
        "istio",
        "istio-system",
        "istio-ca-root-cert",
        "root-cert.pem",
    ),
];

fn time(t: x509_parser::time::ASN1Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.timestamp(), 0)
}

fn info(c: &X509Certificate) -> X509Info {
    X509Info {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        not_before: time(c.validity().not_before),
        not_after: time(c.validity().not_after),
        is_ca: c.is_ca(),
    }
}

/// Every certificate of a PEM bundle, each as X509Info with its DER (for signature checks);
/// an error naming the first block that is not a certificate.
pub fn parse_bundle(pem: &str) -> Result<Vec<(X509Info, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for (i, block) in Pem::iter_from_buffer(pem.as_bytes()).enumerate() {
        let block = block.map_err(|e| format!("PEM block {} cannot be read: {e}", i + 1))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let cert = block
            .parse_x509()
            .map_err(|e| format!("certificate {} is not X.509: {e}", i + 1))?;
        out.push((info(&cert), block.contents.clone()));
    }
    if out.is_empty() {
        return Err("it holds no certificate".into());
    }
    Ok(out)
}

/// The anchor (its subject) whose key signed `issuer_pem`'s first certificate, if any.
pub fn chains_to(
    issuer_pem: &str,
    anchors: &[(X509Info, Vec<u8>)],
) -> Result<(X509Info, Option<String>), String> {
    let issuer = Pem::iter_from_buffer(issuer_pem.as_bytes())
        .next()
        .ok_or("no certificate in it")?
        .map_err(|e| format!("its PEM cannot be read: {e}"))?;
    let cert = issuer
        .parse_x509()
        .map_err(|e| format!("it is not X.509: {e}"))?;
    let signer = anchors.iter().find_map(|(a, der)| {
        let (_, anchor) = x509_parser::parse_x509_certificate(der).ok()?;
        cert.verify_signature(Some(anchor.public_key()))
            .ok()
            .map(|()| a.subject.clone())
    });
    Ok((info(&cert), signer))
}

/// The issued certificate of the newest CertificateRequest for `certificate` (by its
/// revision annotation), PEM-decoded; with the request's name.
fn newest_request(items: &[serde_json::Value], certificate: &str) -> Option<(String, String)> {
    items
        .iter()
        .filter(|r| {
            str_at(
                r,
                &[
                    "metadata",
                    "annotations",
                    "cert-manager.io/certificate-name",
                ],
            ) == certificate
        })
        .filter_map(|r| {
            let rev: i64 = str_at(
                r,
                &[
                    "metadata",
                    "annotations",
                    "cert-manager.io/certificate-revision",
                ],
            )
            .parse()
            .unwrap_or(0);
            let pem = base64::engine::general_purpose::STANDARD
                .decode(str_at(r, &["status", "certificate"]))
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|p| !p.is_empty())?;
            Some((rev, str_at(r, &["metadata", "name"]).to_string(), pem))
        })
        .max_by_key(|(rev, _, _)| *rev)
        .map(|(_, name, pem)| (name, pem))
}

/// The check of Linkerd's issuer against `anchors`, from its CertificateRequests.
pub fn issuer_check(
    requests: Result<Vec<serde_json::Value>, String>,
    anchors: &[(X509Info, Vec<u8>)],
) -> IssuerCheck {
    let items = match requests {
        Ok(items) => items,
        Err(e) => {
            return IssuerCheck {
                unchecked: format!("its CertificateRequests cannot be read: {e}"),
                ..Default::default()
            };
        }
    };
    let Some((name, pem)) = newest_request(&items, "linkerd-identity-issuer") else {
        return IssuerCheck {
            unchecked: "no cert-manager CertificateRequest holds it (issued by hand?): not checked"
                .into(),
            ..Default::default()
        };
    };
    let from = format!("CertificateRequest linkerd/{name}");
    match chains_to(&pem, anchors) {
        Ok((issuer, chains_to)) => IssuerCheck {
            from,
            issuer: Some(issuer),
            chains_to,
            unchecked: String::new(),
        },
        Err(e) => IssuerCheck {
            from,
            unchecked: format!("its certificate {e}"),
            ..Default::default()
        },
    }
}

pub fn spawn(client: kube::Client, tx: mpsc::Sender<Update>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The last good reading of each mesh's bundle: a read that fails keeps it on screen.
        let mut good: std::collections::BTreeMap<&str, TrustBundle> = Default::default();
        loop {
            let mut bundles = Vec::new();
            for (mesh, ns, name, key) in BUNDLES {
                let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
                let failed = |why: String| {
                    let mut b = good.get(mesh).cloned().unwrap_or_else(|| TrustBundle {
                        mesh: mesh.into(),
                        namespace: ns.into(),
                        name: name.into(),
                        key: key.into(),
                        ..Default::default()
                    });
                    b.stale = Some(why);
                    b
                };
                let cm = match api.get_opt(name).await {
                    // This mesh is not installed.
                    Ok(None) => continue,
                    Ok(Some(cm)) => cm,
                    Err(kube::Error::Api(s)) if s.code == 404 => continue,
                    Err(kube::Error::Api(s)) => {
                        bundles.push(failed(s.message.clone()));
                        continue;
                    }
                    Err(e) => {
                        bundles.push(failed(e.to_string()));
                        continue;
                    }
                };
                let mut b = TrustBundle {
                    mesh: mesh.into(),
                    namespace: ns.into(),
                    name: name.into(),
                    key: key.into(),
                    ..Default::default()
                };
                let parsed = cm
                    .data
                    .and_then(|d| d.get(key).cloned())
                    .ok_or_else(|| format!("it has no {key}"))
                    .and_then(|pem| parse_bundle(&pem));
                let anchors = match parsed {
                    Ok(a) => a,
                    Err(e) => {
                        b.error = Some(e);
                        Vec::new()
                    }
                };
                b.anchors = anchors.iter().map(|(i, _)| i.clone()).collect();
                if mesh == "linkerd" && !anchors.is_empty() {
                    let ar = super::watch::resource(
                        "cert-manager.io",
                        "v1",
                        "CertificateRequest",
                        "certificaterequests",
                    );
                    let reqs: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
                    let items = reqs
                        .list(&ListParams::default())
                        .await
                        .map(|l| l.items.into_iter().map(super::watch::into_value).collect())
                        .map_err(|e| match e {
                            kube::Error::Api(s) => s.message.clone(),
                            e => e.to_string(),
                        });
                    b.issuer = Some(issuer_check(items, &anchors));
                }
                good.insert(mesh, b.clone());
                bundles.push(b);
            }
            if tx.send(Update::TrustBundles(bundles)).await.is_err() {
                return;
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}

/// Test certificates, made with rcgen: a trust anchor, an issuer it signed, and an issuer
/// another CA signed (the anchor was rotated without the issuer, or the other way round).
#[cfg(test)]
pub mod test_certs {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    pub struct Certs {
        pub anchor: String,
        pub other_anchor: String,
        pub issuer: String,
        pub stray_issuer: String,
    }

    fn ca(cn: &str) -> (CertificateParams, KeyPair) {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        (p, key)
    }

    pub fn make() -> Certs {
        let (ap, ak) = ca("root.linkerd.cluster.local");
        let anchor = ap.self_signed(&ak).unwrap_or_else(|e| panic!("{e}"));
        let (op, ok) = ca("old-root.linkerd.cluster.local");
        let other = op.self_signed(&ok).unwrap_or_else(|e| panic!("{e}"));
        let (ip, ik) = ca("identity.linkerd.cluster.local");
        let issuer = ip
            .signed_by(&ik, &Issuer::from_params(&ap, &ak))
            .unwrap_or_else(|e| panic!("{e}"));
        let stray = ip
            .signed_by(&ik, &Issuer::from_params(&op, &ok))
            .unwrap_or_else(|e| panic!("{e}"));
        Certs {
            anchor: anchor.pem(),
            other_anchor: other.pem(),
            issuer: issuer.pem(),
            stray_issuer: stray.pem(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bundle_is_read_as_x509_and_the_issuer_checked_against_its_anchors() {
        let c = test_certs::make();
        let bundle = parse_bundle(&format!("{}{}", c.anchor, c.other_anchor)).expect("a bundle");
        assert_eq!(bundle.len(), 2);
        assert_eq!(bundle[0].0.subject, "CN=root.linkerd.cluster.local");
        assert!(bundle[0].0.is_ca);
        assert!(bundle[0].0.not_after > bundle[0].0.not_before);
        let only_new = parse_bundle(&c.anchor).expect("one");
        let (issuer, signer) = chains_to(&c.issuer, &only_new).expect("read");
        assert_eq!(issuer.subject, "CN=identity.linkerd.cluster.local");
        assert_eq!(issuer.issuer, "CN=root.linkerd.cluster.local");
        assert_eq!(signer.as_deref(), Some("CN=root.linkerd.cluster.local"));
        // Signed by a CA the bundle does not hold: it chains to nothing, whatever its name says.
        let (_, signer) = chains_to(&c.stray_issuer, &only_new).expect("read");
        assert_eq!(signer, None);
        // Both anchors during a rotation: it chains.
        let (_, signer) = chains_to(&c.stray_issuer, &bundle).expect("read");
        assert_eq!(signer.as_deref(), Some("CN=old-root.linkerd.cluster.local"));
        assert!(parse_bundle("").is_err());
        assert!(
            parse_bundle("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(chains_to("garbage", &only_new).is_err());
    }

    #[test]
    fn the_issuer_comes_from_the_newest_certificate_request() {
        let c = test_certs::make();
        let anchors = parse_bundle(&c.anchor).expect("anchors");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let req = |name: &str, rev: &str, pem: &str| {
            json!({"metadata": {"name": name,
            "annotations": {"cert-manager.io/certificate-name": "linkerd-identity-issuer",
                            "cert-manager.io/certificate-revision": rev}},
            "status": {"certificate": b64(pem)}})
        };
        let other = json!({"metadata": {"name": "x", "annotations": {
            "cert-manager.io/certificate-name": "something-else", "cert-manager.io/certificate-revision": "99"}},
            "status": {"certificate": b64(&c.stray_issuer)}});
        let items = vec![
            req("issuer-1", "1", &c.stray_issuer),
            req("issuer-2", "2", &c.issuer),
            other,
        ];
        let check = issuer_check(Ok(items), &anchors);
        assert_eq!(check.from, "CertificateRequest linkerd/issuer-2");
        assert_eq!(
            check.chains_to.as_deref(),
            Some("CN=root.linkerd.cluster.local")
        );
        assert!(check.unchecked.is_empty());
        let stale = issuer_check(Ok(vec![req("issuer-3", "3", &c.stray_issuer)]), &anchors);
        assert_eq!(stale.chains_to, None);
        let b = crate::model::TrustBundle {
            mesh: "linkerd".into(),
            namespace: "linkerd".into(),
            name: "linkerd-identity-trust-roots".into(),
            anchors: anchors.iter().map(|(i, _)| i.clone()).collect(),
            issuer: Some(stale),
            ..Default::default()
        };
        let now = chrono::Utc::now();
        assert_eq!(
            b.counts(now, crate::model::CERT_HORIZON_SECS),
            (1, 0),
            "signed by no anchor: one severe problem"
        );
        let none = issuer_check(Ok(Vec::new()), &anchors);
        assert!(none.unchecked.contains("not checked"), "{none:?}");
        let forbidden = issuer_check(Err("forbidden".into()), &anchors);
        assert!(forbidden.unchecked.contains("forbidden"));
    }
}
