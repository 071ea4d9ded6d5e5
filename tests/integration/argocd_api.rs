//! The Argo CD API server: the diff of an application against Git and against a history
//! revision, read from `managed-resources` and `manifests`, and the rollback
//! `argocd app rollback` sends — against the fake server, asserting the exact requests
//! (paths, query, token) and what is made of the answers (fixtures in `tests/fixtures/argo-cd/`).

use crate::support::fake_argocd::FakeArgoCd;
use crate::support::fake_kube::{FakeKube, Proxy};
use opsdeck::model::{
    ActionError, ActionKind, ActionRequest, Change, DiffAgainst, DiffAsk, LineKind, Operator,
    Target,
};
use opsdeck::net::http::{Endpoint, ServiceRef};
use opsdeck::sources::argocd::{read, spawn};
use opsdeck::state::{Demand, Update};
use serde_json::json;
use std::time::Duration;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.opsdeck-test";
const REV: &str = "ea8759964626a583667a2bfd08f334ec2070040a";

fn ask(against: DiffAgainst) -> DiffAsk {
    DiffAsk {
        namespace: "argocd".into(),
        name: "guestbook".into(),
        against,
        destination: "guestbook".into(),
        seen: "r1".into(),
    }
}

fn direct(fake: &FakeArgoCd, token: Option<&str>) -> Endpoint {
    Endpoint::direct(&fake.url(), token.map(str::to_string)).unwrap_or_else(|e| panic!("{e}"))
}

fn changed_lines(d: &opsdeck::model::ResourceDiff) -> Vec<String> {
    d.lines
        .iter()
        .filter_map(|l| match l.kind {
            LineKind::Added => Some(format!("+{}", l.text.trim())),
            LineKind::Removed => Some(format!("-{}", l.text.trim())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_diff_against_git_is_read_from_managed_resources_with_the_token() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let d = read(&direct(&fake, Some(TOKEN)), &ask(DiffAgainst::Desired))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = fake.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].path,
        "/api/v1/applications/guestbook/managed-resources"
    );
    assert_eq!(seen[0].query, "appNamespace=argocd");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // The Deployment's image changes; the Service is as Git says; the ConfigMap Git no longer
    // has would be pruned; the PreSync hook is created by each sync.
    assert_eq!(d.counts(), (1, 1, 1, 1), "{d:#?}");
    assert_eq!(d.target, "desired state");
    let deploy = &d.resources[0];
    assert_eq!(
        (deploy.kind.as_str(), deploy.change),
        ("Deployment", Change::Modified)
    );
    assert_eq!(
        changed_lines(deploy),
        [
            "-- image: gcr.io/heptio-images/ks-guestbook-demo:0.1",
            "+- image: gcr.io/heptio-images/ks-guestbook-demo:0.2"
        ]
    );
    let text: String = deploy.lines.iter().map(|l| l.text.clone()).collect();
    for server_set in [
        "managedFields",
        "resourceVersion",
        "availableReplicas",
        "last-applied",
    ] {
        assert!(!text.contains(server_set), "{server_set} in the diff");
    }
    let hook = d
        .resources
        .iter()
        .find(|r| r.kind == "Job")
        .unwrap_or_else(|| panic!("no hook"));
    assert!(hook.hook);
    assert_eq!(hook.change, Change::Create);
    let cm = d
        .resources
        .iter()
        .find(|r| r.kind == "ConfigMap")
        .unwrap_or_else(|| panic!("no configmap"));
    assert_eq!(cm.change, Change::Prune);
}

#[tokio::test]
async fn the_diff_against_a_history_revision_reads_its_manifests_and_ignores_server_defaults() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let against = DiffAgainst::Revision {
        id: 14,
        revision: REV.into(),
    };
    let d = read(&direct(&fake, Some(TOKEN)), &ask(against))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = fake.requests();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.path.as_str(), s.query.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            (
                "/api/v1/applications/guestbook/managed-resources",
                "appNamespace=argocd"
            ),
            (
                "/api/v1/applications/guestbook/manifests",
                "revision=ea8759964626a583667a2bfd08f334ec2070040a&appNamespace=argocd"
            ),
        ]
    );
    assert_eq!(d.target, "#14 ea87599");
    let deploy = d
        .resources
        .iter()
        .find(|r| r.kind == "Deployment")
        .unwrap_or_else(|| panic!("no deployment"));
    // That revision ran three replicas; the image then was the one running now.
    assert_eq!(changed_lines(deploy), ["-replicas: 1", "+replicas: 3"]);
    // The manifest's Service has no namespace (the app's destination) and no clusterIP
    // (the API server's default): it is the live one, in sync.
    let svc = d
        .resources
        .iter()
        .find(|r| r.kind == "Service")
        .unwrap_or_else(|| panic!("no service"));
    assert_eq!(svc.change, Change::InSync, "{svc:#?}");
    assert_eq!(svc.namespace, "guestbook");
    // The hook is no kept object: not pruned because the revision lacks it.
    assert!(d.resources.iter().all(|r| r.kind != "Job"), "{d:#?}");
}

#[tokio::test]
async fn refusals_and_a_missing_token_are_said_in_argo_cds_words() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let e = read(&direct(&fake, None), &ask(DiffAgainst::Desired))
        .await
        .expect_err("no token");
    assert!(e.contains("refused the token (401)"), "{e}");
    assert!(e.contains("ARGOCD_AUTH_TOKEN"), "{e}");
    assert!(e.contains("no session information"), "{e}");
    fake.fail(
        403,
        r#"{"error":"permission denied: applications, get, default/guestbook","code":7,"message":"permission denied: applications, get, default/guestbook"}"#,
    );
    let e = read(&direct(&fake, Some(TOKEN)), &ask(DiffAgainst::Desired))
        .await
        .expect_err("403");
    assert!(e.contains("does not let this token read"), "{e}");
    assert!(e.contains("permission denied: applications, get"), "{e}");
    fake.heal();
    let mut other = ask(DiffAgainst::Desired);
    other.name = "nope".into();
    let e = read(&direct(&fake, Some(TOKEN)), &other)
        .await
        .expect_err("404");
    assert!(e.contains("no application argocd/nope"), "{e}");
    // A revision the repo server cannot resolve: its words.
    let e = read(
        &direct(&fake, Some(TOKEN)),
        &ask(DiffAgainst::Revision {
            id: 9,
            revision: "0000000".into(),
        }),
    )
    .await
    .expect_err("unknown revision");
    assert!(e.contains("unable to resolve '0000000'"), "{e}");
}

#[tokio::test]
async fn through_the_api_servers_proxy_the_token_is_argo_cds_cookie() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let kube = FakeKube::start().await;
    kube.proxy("argocd/https:argocd-server:443", Proxy::To(fake.url()));
    let service =
        ServiceRef::parse("argocd/https:argocd-server:443").unwrap_or_else(|e| panic!("{e}"));
    let api = Endpoint::service(kube.client(), service)
        .with_header("Cookie", &format!("argocd.token={TOKEN}"));
    let d = read(&api, &ask(DiffAgainst::Desired))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.counts().0, 1);
    let seen = fake.requests();
    assert_eq!(
        seen[0].header("cookie"),
        Some(format!("argocd.token={TOKEN}").as_str())
    );
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<Update>) -> Option<Update> {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no answer"))
}

#[tokio::test]
async fn the_source_reads_the_diff_on_screen_and_again_after_a_reconcile() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let (dtx, drx) = tokio::sync::watch::channel(Demand::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = spawn(direct(&fake, Some(TOKEN)), drx, tx);
    // Nothing on screen: nothing asked.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.requests().is_empty());
    let first = ask(DiffAgainst::Desired);
    dtx.send_modify(|d| d.app_diff = Some(first.clone()));
    match next(&mut rx).await {
        Some(Update::AppDiff { ask, diff }) => {
            assert_eq!(ask, first);
            assert_eq!(diff.map(|d| d.counts()), Ok((1, 1, 1, 1)));
        }
        other => panic!("{other:?}"),
    }
    // Another demand change that is not about the diff: not read again.
    dtx.send_modify(|d| d.logs = true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.requests().len(), 1);
    // Argo CD reconciled it: read again.
    let mut again = first.clone();
    again.seen = "r2".into();
    dtx.send_modify(|d| d.app_diff = Some(again.clone()));
    match next(&mut rx).await {
        Some(Update::AppDiff { ask, .. }) => assert_eq!(ask, again),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), 2);
    task.abort();
}

fn rollback(id: i64, dry_run: bool) -> ActionRequest {
    ActionRequest {
        id: 1,
        kind: ActionKind::Rollback,
        target: Target {
            namespace: "argocd".into(),
            name: "guestbook".into(),
        },
        sync: opsdeck::model::SyncOptions {
            prune: false,
            dry_run,
        },
        before: String::new(),
        effect: String::new(),
        command: format!("argocd app rollback guestbook {id}"),
        silence: None,
        user: "alice".into(),
        to_revision: Some(id),
    }
}

#[tokio::test]
async fn rollback_sends_what_argocd_app_rollback_sends_and_auto_sync_refuses_it() {
    let fake = FakeArgoCd::start(TOKEN).await;
    fake.with_guestbook(false);
    let op = opsdeck::ops::argocd::ArgoCdOperator {
        endpoint: direct(&fake, Some(TOKEN)),
    };
    let done = op
        .run(rollback(14, false))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(done.contains("rolling back to #14"), "{done}");
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/api/v1/applications/guestbook/rollback");
    assert_eq!(
        seen[0].body,
        json!({"name": "guestbook", "id": 14, "prune": false, "dryRun": false, "appNamespace": "argocd"})
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // An id the history does not keep: the server's words.
    match op.run(rollback(3, false)).await {
        Err(ActionError::Refused(m)) => {
            assert!(m.contains("does not have history id 3"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // With automated sync on, Argo CD refuses it (opsdeck refuses it before asking, too).
    fake.with_guestbook(true);
    match op.run(rollback(14, false)).await {
        Err(ActionError::Refused(m)) => assert!(
            m.contains("rollback cannot be initiated when auto-sync is enabled"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let no_token = opsdeck::ops::argocd::ArgoCdOperator {
        endpoint: direct(&fake, None),
    };
    match no_token.run(rollback(14, true)).await {
        Err(ActionError::Forbidden(m)) => assert!(m.contains("no session information"), "{m}"),
        other => panic!("{other:?}"),
    }
}
