//! cert-manager's Certificates against the fake API server: listed and watched cluster-wide,
//! their states in the header and the Platform view, a cluster without cert-manager said as such.

use crate::support;
use crate::support::fake_kube::FakeKube;
use opsdeck::model::CertState;
use opsdeck::sources::kube::certs;
use opsdeck::state::{Fetch, State, Update};
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc;

fn certificate(
    ns: &str,
    name: &str,
    ready: &str,
    not_after: &str,
    renewal: &str,
) -> serde_json::Value {
    json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"secretName": name, "issuerRef": {"name": "linkerd-trust-anchor", "kind": "Issuer"}},
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "Ready", "message": "m"}],
            "notBefore": "2026-10-01T00:00:00Z", "notAfter": not_after, "renewalTime": renewal}})
}

async fn until(
    rx: &mut mpsc::Receiver<Update>,
    s: &mut State,
    what: &str,
    pred: impl Fn(&State) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !pred(s) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.apply(u);
            }
            _ => panic!(
                "timed out waiting for {what}: {:?} {:?}",
                s.certs, s.certs_fetch
            ),
        }
    }
}

#[tokio::test]
async fn certificates_are_watched_cluster_wide_and_judged_by_their_renewal() {
    let fake = FakeKube::start().await;
    // The test's clock is support::start() (2026-11-22 03:00); one renewed in time, one overdue.
    fake.put(
        "certificates",
        certificate(
            "linkerd",
            "linkerd-identity-issuer",
            "True",
            "2026-11-23T20:00:00Z",
            "2026-11-22T23:00:00Z",
        ),
    );
    fake.put(
        "certificates",
        certificate(
            "dev",
            "gateway-tls",
            "True",
            "2026-12-10T00:00:00Z",
            "2026-11-20T00:00:00Z",
        ),
    );
    let (tx, mut rx) = mpsc::channel(64);
    let task = certs::spawn(fake.client(), tx);
    let mut ctx = support::context();
    ctx.demo = false;
    let mut s = State::new(ctx, support::start(), 100);
    until(&mut rx, &mut s, "the list", |s| s.certs.len() == 2).await;
    let reqs: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(
        reqs.iter()
            .all(|p| p == "/apis/cert-manager.io/v1/certificates"),
        "cluster-wide, not per namespace: {reqs:?}"
    );
    let state = |s: &State, name: &str| {
        s.certs
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.state(s.now, s.cert_horizon_secs))
    };
    assert_eq!(state(&s, "linkerd-identity-issuer"), Some(CertState::Ok));
    assert_eq!(state(&s, "gateway-tls"), Some(CertState::RenewalOverdue));
    let p = s.problems();
    assert_eq!((p.certs_failing, p.certs_expiring), (1, 0));
    assert!(
        p.items()
            .iter()
            .any(|i| i.long == "1 cert failing" && i.severe)
    );
    // Renewed: the watch brings the new times, and the problem goes.
    fake.put(
        "certificates",
        certificate(
            "dev",
            "gateway-tls",
            "True",
            "2027-02-20T00:00:00Z",
            "2027-01-20T00:00:00Z",
        ),
    );
    until(&mut rx, &mut s, "the renewal", |s| {
        s.problems().certs_failing == 0
    })
    .await;
    // Deleted: it leaves the list (found by its namespace and name, as it was kept).
    fake.delete("certificates", "dev", "gateway-tls");
    until(&mut rx, &mut s, "the deletion", |s| s.certs.len() == 1).await;
    assert_eq!(s.certs[0].name, "linkerd-identity-issuer");
    task.abort();
}

#[tokio::test]
async fn a_cluster_without_cert_manager_says_so_and_counts_no_problem() {
    let fake = FakeKube::start().await;
    fake.absent("certificates", true);
    let (tx, mut rx) = mpsc::channel(64);
    let task = certs::spawn(fake.client(), tx);
    let mut s = State::new(support::context(), support::start(), 100);
    until(&mut rx, &mut s, "the answer", |s| {
        s.certs_fetch != Fetch::Waiting
    })
    .await;
    assert_eq!(
        s.certs_fetch,
        Fetch::Absent(opsdeck::model::CERT_MANAGER_ABSENT.into())
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    task.abort();
}

/// Test certificates made here with rcgen: an anchor, an issuer it signed, and an issuer a CA
/// outside the bundle signed.
fn pems() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca = |cn: &str| {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        (p, key)
    };
    let (ap, ak) = ca("root.linkerd.cluster.local");
    let (op, ok) = ca("someone-else");
    let (ip, ik) = ca("identity.linkerd.cluster.local");
    let anchor = ap.self_signed(&ak).unwrap_or_else(|e| panic!("{e}")).pem();
    let good = ip
        .signed_by(&ik, &Issuer::from_params(&ap, &ak))
        .unwrap_or_else(|e| panic!("{e}"))
        .pem();
    let stray = ip
        .signed_by(&ik, &Issuer::from_params(&op, &ok))
        .unwrap_or_else(|e| panic!("{e}"))
        .pem();
    (anchor, good, stray)
}

/// Linkerd's trust roots ConfigMap holding `pem`.
fn linkerd_roots(pem: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "linkerd-identity-trust-roots", "namespace": "linkerd"},
        "data": {"ca-bundle.crt": pem}})
}

fn issuer_request(rev: &str, pem: &str) -> serde_json::Value {
    use base64::Engine;
    json!({"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
        "metadata": {"name": format!("linkerd-identity-issuer-{rev}"), "namespace": "linkerd",
            "annotations": {"cert-manager.io/certificate-name": "linkerd-identity-issuer",
                            "cert-manager.io/certificate-revision": rev}},
        "spec": {"request": "LS0t", "issuerRef": {"name": "linkerd-trust-anchor", "kind": "Issuer"}},
        "status": {"certificate": base64::engine::general_purpose::STANDARD.encode(pem),
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Issued"}]}})
}

#[tokio::test]
async fn the_trust_anchors_are_read_as_x509_and_the_issuer_checked_without_reading_a_secret() {
    use opsdeck::sources::kube::trust;
    let (anchor, good, stray) = pems();
    let fake = FakeKube::start().await;
    fake.put("configmaps", linkerd_roots(&anchor));
    fake.put("certificaterequests", issuer_request("1", &stray));
    fake.put("certificaterequests", issuer_request("2", &good));
    let (tx, mut rx) = mpsc::channel(64);
    let task = trust::spawn(fake.client(), tx);
    let mut s = State::new(support::context(), support::start(), 100);
    until(&mut rx, &mut s, "the bundles", |s| !s.trust.is_empty()).await;
    let b = &s.trust[0];
    assert_eq!(
        (b.mesh.as_str(), b.name.as_str()),
        ("linkerd", "linkerd-identity-trust-roots")
    );
    assert_eq!(b.anchors.len(), 1);
    assert_eq!(b.anchors[0].subject, "CN=root.linkerd.cluster.local");
    let i = b.issuer.as_ref().expect("the issuer checked");
    assert_eq!(
        i.from, "CertificateRequest linkerd/linkerd-identity-issuer-2",
        "the newest"
    );
    assert_eq!(
        i.chains_to.as_deref(),
        Some("CN=root.linkerd.cluster.local")
    );
    assert_eq!(s.problems().certs_failing, 0);
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.contains(
            &"/api/v1/namespaces/linkerd/configmaps/linkerd-identity-trust-roots".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        paths
            .contains(&"/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(
            &"/apis/cert-manager.io/v1/namespaces/linkerd/certificaterequests".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        paths.iter().all(|p| !p.contains("secrets")),
        "no Secret is read: {paths:?}"
    );
    assert_eq!(
        s.trust.len(),
        1,
        "no Istio here: its bundle is absent, not an error"
    );
    task.abort();

    // The issuer re-issued by a CA the bundle does not hold: it chains to nothing, an error.
    let fake = FakeKube::start().await;
    let (anchor, _, stray) = pems();
    fake.put("configmaps", linkerd_roots(&anchor));
    fake.put("certificaterequests", issuer_request("3", &stray));
    let (tx, mut rx) = mpsc::channel(64);
    let task = trust::spawn(fake.client(), tx);
    let mut s = State::new(support::context(), support::start(), 100);
    until(&mut rx, &mut s, "the bundles", |s| !s.trust.is_empty()).await;
    assert_eq!(
        s.trust[0].issuer.as_ref().and_then(|i| i.chains_to.clone()),
        None
    );
    let p = s.problems();
    assert_eq!(p.certs_failing, 1, "{p:?}");
    // A bundle that is not PEM: said, and an error.
    fake.put("configmaps", json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"},
        "data": {"root-cert.pem": "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n"}}));
    task.abort();
    let (tx, mut rx) = mpsc::channel(64);
    let task = trust::spawn(fake.client(), tx);
    let mut s = State::new(support::context(), support::start(), 100);
    until(&mut rx, &mut s, "both bundles", |s| s.trust.len() == 2).await;
    let istio = s.trust.iter().find(|b| b.mesh == "istio").expect("istio's");
    assert!(
        istio
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not X.509")),
        "{istio:?}"
    );
    task.abort();
}
