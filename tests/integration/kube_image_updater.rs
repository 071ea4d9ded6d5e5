//! Argo CD Image Updater's `ImageUpdater` resources against the fake API server: watched
//! cluster-wide, what they wrote shown for the application and entered in the timeline once,
//! a cluster without the resource (v0.x) said without losing anything.

use crate::support;
use crate::support::fake_kube::FakeKube;
use crate::support::fixture as load;
use opsdeck::model::app::last_image_update;
use opsdeck::sources::kube::image_updater;
use opsdeck::state::{ChangeKind, State, Update};
use std::time::Duration;
use tokio::sync::mpsc;

const FIXTURE: &str = "argocd-image-updater/imageupdater-services.yaml";

async fn next(rx: &mut mpsc::Receiver<Update>) -> Update {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no update"))
        .unwrap_or_else(|| panic!("closed"))
}

#[tokio::test]
async fn image_updaters_are_watched_and_their_bumps_enter_the_timeline_once() {
    let fake = FakeKube::start().await;
    fake.put("imageupdaters", load(FIXTURE));
    let (tx, mut rx) = mpsc::channel(16);
    let task = image_updater::spawn(fake.client(), tx);
    let mut ctx = support::context();
    ctx.demo = false;
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:05:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut s = State::new(ctx, now, 100);
    let u = next(&mut rx).await;
    let Update::ImageUpdaters(Ok(list)) = &u else {
        panic!("{u:?}")
    };
    assert_eq!(list.len(), 1);
    s.apply(u.clone());
    let r = last_image_update(&s.image_updaters, "argocd", "store").expect("store's bump");
    assert_eq!(
        (r.image.as_str(), r.version.as_str()),
        ("registry.example.com/checkmate/store", "1.5.1")
    );
    let images: Vec<(String, String)> = s
        .timeline
        .iter()
        .filter(|c| c.kind == ChangeKind::Image)
        .map(|c| (c.subject.clone(), c.text.clone()))
        .collect();
    assert_eq!(
        images,
        [
            (
                "user".to_string(),
                "3.1.0 · image bumped by image updater · registry.example.com/checkmate/user"
                    .to_string()
            ),
            (
                "store".to_string(),
                "1.5.1 · image bumped by image updater · registry.example.com/checkmate/store"
                    .to_string()
            ),
        ]
    );
    // The same status again (a resync): nothing entered twice.
    s.apply(u);
    assert_eq!(
        s.timeline
            .iter()
            .filter(|c| c.kind == ChangeKind::Image)
            .count(),
        2
    );
    task.abort();
    // A cluster that serves no ImageUpdater (Image Updater v0.x): said, and what was read stays.
    fake.absent("imageupdaters", true);
    let (tx, mut rx) = mpsc::channel(16);
    let task = image_updater::spawn(fake.client(), tx);
    let u = next(&mut rx).await;
    assert!(
        matches!(&u, Update::ImageUpdaters(Err(opsdeck::state::Unread::Absent(e))) if e == image_updater::NO_IMAGE_UPDATER_CR),
        "{u:?}"
    );
    assert!(!s.apply(u));
    assert_eq!(s.image_updaters.len(), 1);
    task.abort();
}
