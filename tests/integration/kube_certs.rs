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
        Fetch::Failed(opsdeck::model::CERT_MANAGER_ABSENT.into())
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    task.abort();
}
