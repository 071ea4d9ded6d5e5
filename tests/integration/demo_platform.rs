//! The simulated platform behaves as the reference platform would, deterministically.

use crate::support;

use crate::support::{Demo, start};
use opsdeck::model::ActionKind;
use opsdeck::model::{AnalysisPhase, HealthStatus, RolloutPhase, SyncStatus};
use opsdeck::sources::demo::{Scenario, Sim};

#[test]
fn the_same_seed_gives_the_same_platform() {
    let mut a = Sim::new(42, Scenario::Steady, start());
    let mut b = Sim::new(42, Scenario::Steady, start());
    for _ in 0..600 {
        a.step();
        b.step();
    }
    assert_eq!(format!("{:?}", a.snapshot()), format!("{:?}", b.snapshot()));
    let mut c = Sim::new(43, Scenario::Steady, start());
    assert_ne!(format!("{:?}", a.snapshot()), format!("{:?}", c.snapshot()));
}

#[test]
fn steady_starts_healthy_with_one_canary_waiting_for_promote() {
    let d = Demo::new(1, Scenario::Steady);
    let user = d.rollout("user");
    assert_eq!(user.phase, RolloutPhase::Paused);
    assert_eq!(user.step_text().as_deref(), Some("1/5"));
    assert_eq!((user.set_weight, user.actual_weight), (20, 20));
    assert!(user.pause.as_ref().is_some_and(|p| p.duration.is_none()));
    for r in d.state.rollouts.iter().filter(|r| r.name != "user") {
        assert_eq!(r.phase, RolloutPhase::Healthy, "{}", r.name);
        assert!(r.is_fully_promoted());
    }
    let user_app = d
        .state
        .apps
        .iter()
        .find(|a| a.name == "user")
        .map(|a| a.health);
    assert_eq!(
        user_app,
        Some(HealthStatus::Suspended),
        "Argo CD shows a paused rollout as Suspended"
    );
    assert!(d.state.apps.iter().all(|a| a.sync == SyncStatus::Synced));
    // Routes come from the ServiceProfiles: GET retryable with 1 s, writes 2 s.
    let products = d.route("store", "GET /products");
    assert!(products.retryable() && products.timeout_ms() == 1000);
    let points = d.route("store", "POST /points");
    assert!(!points.retryable() && points.timeout_ms() == 2000);
    assert_eq!(
        d.state
            .routes
            .iter()
            .filter(|r| r.service == "gateway")
            .count(),
        5
    );
    assert_eq!(d.state.cpu.nodes.len(), 3);
}

#[test]
fn a_promoted_canary_walks_every_step_to_fully_promoted() {
    let mut d = Demo::new(1, Scenario::Steady);
    assert_eq!(
        d.act(ActionKind::Promote, "user").as_deref(),
        Ok("step 2/5 setWeight: 50")
    );
    assert_eq!(
        d.rollout("user").actual_weight,
        20,
        "traffic shifts only once pods are ready"
    );
    d.run(6);
    let u = d.rollout("user");
    assert_eq!(
        (u.step_text().as_deref(), u.actual_weight),
        (Some("3/5"), 50)
    );
    assert_eq!(u.pause.as_ref().and_then(|p| p.duration), Some(60));
    assert_eq!(u.pause_remaining(d.state.now), Some(60));
    d.run(30);
    assert_eq!(d.rollout("user").pause_remaining(d.state.now), Some(30));
    d.run(40);
    let u = d.rollout("user");
    assert!(u.is_fully_promoted(), "{u:?}");
    assert_eq!(u.phase, RolloutPhase::Healthy);
    let app = d
        .state
        .apps
        .iter()
        .find(|a| a.name == "user")
        .map(|a| a.health);
    assert_eq!(app, Some(HealthStatus::Healthy));
}

#[test]
fn bad_canary_fails_products_and_abort_recovers() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    let products = d.route("store", "GET /products");
    let canary = products
        .canary
        .as_ref()
        .and_then(|c| c.effective_success)
        .unwrap_or(1.0);
    let stable = products
        .stable
        .as_ref()
        .and_then(|c| c.effective_success)
        .unwrap_or(0.0);
    assert!((0.90..0.94).contains(&canary), "canary success {canary}");
    assert!(stable > 0.998, "stable success {stable}");
    let actual = products
        .canary
        .as_ref()
        .and_then(|c| c.actual_success)
        .unwrap_or(1.0);
    assert!(
        actual < canary,
        "retries hide failures: actual {actual} < effective {canary}"
    );
    assert!(
        d.state
            .alerts
            .iter()
            .any(|a| a.name == "SpringErrorLogs" && a.subject() == "store")
    );
    assert!(
        d.state
            .error_rate("store", Some(opsdeck::model::Track::Canary), 60)
            > 60.0
    );

    d.act(ActionKind::Abort, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    let r = d.rollout("store");
    assert!(r.aborted && r.actual_weight == 0 && r.phase == RolloutPhase::Degraded);
    assert!(r.message.starts_with("RolloutAborted"), "{}", r.message);
    d.run(120);
    assert!(
        !d.state.alerts.iter().any(|a| a.name == "SpringErrorLogs"),
        "errors stop after abort"
    );
    let products = d.route("store", "GET /products");
    assert!(products.overall.effective_success.unwrap_or(0.0) > 0.998);
    // The fix arrives as a new revision and starts a healthy canary.
    d.run(300);
    let r = d.rollout("store");
    assert!(!r.aborted, "a fixed build replaced the aborted one: {r:?}");
}

#[test]
fn promoting_the_bad_canary_spreads_errors_until_analysis_aborts_it() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    let before = d
        .route("store", "GET /products")
        .overall
        .effective_success
        .unwrap_or(0.0);
    d.act(ActionKind::Promote, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(15);
    let during = d
        .route("store", "GET /products")
        .overall
        .effective_success
        .unwrap_or(1.0);
    assert!(
        during < before - 0.01,
        "50% to the bad canary: {before} → {during}"
    );
    let a = d.rollout("store").analysis.clone();
    assert!(a.is_some_and(|a| a.phase == AnalysisPhase::Running));
    d.run(30);
    let r = d.rollout("store");
    assert!(r.aborted, "failed analysis aborts: {r:?}");
    let a = r.analysis.as_ref().map(|a| (a.phase, a.message.clone()));
    assert!(
        matches!(&a, Some((AnalysisPhase::Failed, m)) if m.contains("failureLimit")),
        "{a:?}"
    );
}

#[test]
fn promote_full_makes_the_bad_build_stable() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.act(ActionKind::PromoteFull, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(11);
    let r = d.rollout("store");
    assert!(r.is_fully_promoted());
    let s = d
        .route("store", "GET /products")
        .overall
        .effective_success
        .unwrap_or(1.0);
    assert!(s < 0.95, "all traffic on the bad build: {s}");
}

#[test]
fn image_bumps_go_out_of_sync_then_auto_sync_starts_a_canary() {
    let mut d = Demo::new(3, Scenario::Steady);
    let revisions =
        |d: &Demo| -> Vec<u32> { d.state.rollouts.iter().map(|r| r.revision).collect() };
    let before = revisions(&d);
    let mut saw_out_of_sync = false;
    let mut saw_running = false;
    for _ in 0..600 {
        d.run(1);
        saw_out_of_sync |= d.state.apps.iter().any(|a| a.sync == SyncStatus::OutOfSync);
        saw_running |= d.state.apps.iter().any(|a| a.operation_in_progress());
    }
    assert!(saw_out_of_sync && saw_running);
    assert_ne!(before, revisions(&d), "a new revision reached a rollout");
}

#[test]
fn refresh_notices_a_new_commit_at_once_and_sync_dry_run_changes_nothing() {
    let mut d = Demo::new(1, Scenario::Steady);
    let r = d
        .act(ActionKind::Refresh, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.contains("Synced"), "{r}");
    let r = d
        .act(ActionKind::HardRefresh, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.contains("manifest cache dropped"), "{r}");
    assert!(d.act(ActionKind::Promote, "nope").is_err());
}

#[test]
fn restart_and_retry() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    assert!(
        d.act(ActionKind::Retry, "store").is_err(),
        "retry needs an aborted rollout"
    );
    d.act(ActionKind::Abort, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.act(ActionKind::Retry, "store").as_deref(),
        Ok("step 0/6 setWeight: 20")
    );
    d.run(7);
    assert_eq!(d.rollout("store").step_text().as_deref(), Some("1/6"));
    d.act(ActionKind::Restart, "gateway")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.rollout("gateway").message, "rollout is restarting");
    d.run(30);
    assert_eq!(d.rollout("gateway").phase, RolloutPhase::Healthy);
}

/// A user's pause holds the canary wherever it is — a skipped step's weight does not shift
/// until resumed — and the list and the cockpit say it is held.
#[test]
fn pause_holds_skip_moves_on_and_resume_lets_it_go() {
    let mut d = Demo::new(1, Scenario::Steady);
    assert_eq!(d.rollout("user").step_text().as_deref(), Some("1/5"));
    assert!(
        d.act(ActionKind::Resume, "user").is_err(),
        "nothing to resume before a pause"
    );
    d.act(ActionKind::Pause, "user")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(d.rollout("user").user_paused);
    assert_eq!(d.rollout("user").message, "manually paused");
    assert!(d.act(ActionKind::Pause, "user").is_err(), "paused once");
    // Skip the pause step: step 2 sets 50 %, but the held canary does not shift.
    d.act(ActionKind::SkipStep, "user")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(60);
    let r = d.rollout("user");
    assert_eq!(
        (r.step_text().as_deref(), r.set_weight, r.actual_weight),
        (Some("2/5"), 50, 20)
    );
    let theme = opsdeck::theme::Theme::load("dark").unwrap_or_else(|e| panic!("{e}"));
    let text = support::render(&d.state, &theme, 120, 40);
    assert!(
        text.lines()
            .any(|l| l.contains("user") && l.contains("held")),
        "{text}"
    );
    // The cockpit says who holds it, as the controller words it, at the smallest size too.
    let open = |d: &mut Demo, name: &str| {
        if let Some(i) = d.state.rollouts.iter().position(|r| r.name == name) {
            d.state.ui.screen = opsdeck::state::Screen::Cockpit {
                namespace: d.state.rollouts[i].namespace.clone(),
                name: name.to_string(),
            };
        }
    };
    open(&mut d, "user");
    for (w, h) in [(200, 60), (80, 24)] {
        let text = support::render(&d.state, &theme, w, h);
        assert!(text.contains("Paused  Step 2/5"), "{text}");
        assert!(text.contains("manually paused") || w < 100, "{text}");
    }
    d.state.ui.screen = opsdeck::state::Screen::Main;
    d.act(ActionKind::Resume, "user")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(30);
    let r = d.rollout("user");
    assert!(!r.user_paused);
    assert_eq!(r.actual_weight, 50, "{r:?}");
}

/// Undo during the bad canary puts stable's template back at once, and the application's
/// live state is no longer Git's; once a build is promoted, undo brings the one before it
/// back through the steps as a canary.
#[test]
fn undo_goes_back_a_revision_and_leaves_the_app_out_of_sync() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    let stable = d.rollout("store").stable_hash.clone();
    // A chosen revision: the canary's own (the newest) is running, one never kept is not there.
    let newest = i64::from(d.rollout("store").revision);
    let e = d
        .act_to(ActionKind::Undo, "store", Some(newest))
        .expect_err("the newest runs already");
    assert!(
        e.contains(&format!("already runs revision {newest}")),
        "{e}"
    );
    let e = d
        .act_to(ActionKind::Undo, "store", Some(1))
        .expect_err("revision 1 is not kept");
    assert!(e.contains("has no ReplicaSet of revision 1"), "{e}");
    d.act_to(ActionKind::Undo, "store", Some(newest - 1))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = d.rollout("store");
    assert!(r.is_fully_promoted() && r.stable_hash == stable, "{r:?}");
    let app = d.state.apps.iter().find(|a| a.name == "store").cloned();
    assert_eq!(app.map(|a| a.sync), Some(SyncStatus::OutOfSync));
    assert!(
        d.act(ActionKind::Undo, "store").is_err(),
        "nothing older than stable is kept yet"
    );
    // Steady: promote user's canary fully, then undo brings 3.1.0 back as a canary.
    let mut d = Demo::new(1, Scenario::Steady);
    let before = d.rollout("user").stable_image.clone();
    d.act(ActionKind::PromoteFull, "user")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(5);
    assert!(d.rollout("user").is_fully_promoted());
    d.act(ActionKind::Undo, "user")
        .unwrap_or_else(|e| panic!("{e}"));
    let r = d.rollout("user");
    assert!(r.canary_active(), "{r:?}");
    assert_eq!(r.canary_image, before);
    assert_eq!(r.step_text().as_deref(), Some("0/5"));
}

#[test]
fn the_timeline_puts_what_changed_before_what_broke() {
    use opsdeck::state::{ChangeKind, Intent, Overlay};
    let mut d = Demo::new(1, Scenario::BadCanary);
    // At start: the last syncs and the waiting canaries, at their own times.
    assert!(d.state.timeline.iter().any(|c| c.kind == ChangeKind::Sync));
    assert!(
        d.state
            .timeline
            .iter()
            .any(|c| c.kind == ChangeKind::Rollout && c.subject == "store"),
        "{:?}",
        d.state.timeline
    );
    // Promote the bad canary: a step, errors, an alert, the analysis aborts.
    let result = d.act(ActionKind::Promote, "store");
    // The loop reports an action's outcome to State; the timeline records it as ours.
    let req = crate::support::request(ActionKind::Promote, "dev", "store");
    d.state.apply(opsdeck::state::Update::ActionDone(
        opsdeck::model::ActionOutcome {
            request: req,
            result: result.map_err(opsdeck::model::ActionError::Refused),
        },
    ));
    d.run(240);
    let tl = &d.state.timeline;
    assert!(
        tl.iter()
            .any(|c| c.kind == ChangeKind::Action && c.text.starts_with("you: promote ✓")),
        "{tl:?}"
    );
    assert!(
        tl.iter()
            .any(|c| c.subject == "store" && c.text.starts_with("step 2/6")),
        "{tl:?}"
    );
    assert!(
        tl.iter()
            .any(|c| c.subject == "store" && c.text.starts_with("aborted")),
        "the analysis abort, seen through the watch: {tl:?}"
    );
    assert!(
        tl.iter().zip(tl.iter().skip(1)).all(|(a, b)| a.at <= b.at),
        "in time order"
    );
    let broke = tl
        .iter()
        .rposition(|c| c.kind.breaks())
        .unwrap_or_else(|| panic!("nothing broke: {tl:?}"));
    let before = d.state.timeline.changes_before(broke);
    assert!(
        before
            .iter()
            .any(|&i| tl[i].subject == "store" && tl[i].kind == ChangeKind::Rollout),
        "the store canary is among what changed before {:?}: {before:?}",
        tl[broke]
    );
    // The overlay opens on the newest entry and moves like a list.
    d.state.handle(Intent::Timeline);
    let n = d.state.timeline.len();
    assert_eq!(
        d.state.ui.overlay,
        Some(Overlay::Timeline { selected: n - 1 })
    );
    d.state.handle(Intent::Up);
    assert_eq!(
        d.state.ui.overlay,
        Some(Overlay::Timeline { selected: n - 2 })
    );
    let theme = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    d.state.handle(Intent::Top);
    let mut sel = 0;
    while !d.state.timeline[sel].kind.breaks() {
        d.state.handle(Intent::Down);
        sel += 1;
    }
    let screen = support::render(&d.state, &theme, 120, 40);
    assert!(screen.contains("Change timeline"), "{screen}");
    assert!(screen.contains("in the 30 minutes before"), "{screen}");
}

#[test]
fn log_search_jumps_between_matches_and_copy_takes_the_whole_record() {
    use opsdeck::layout::Pane;
    use opsdeck::state::{Command, Intent, TextKey};
    let mut d = Demo::new(1, Scenario::BadCanary);
    let s = &mut d.state;
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Search);
    assert!(s.text_input_active());
    for c in "products".chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
    s.handle(Intent::Text(TextKey::Enter));
    let i = s
        .selected_index(Pane::Logs)
        .unwrap_or_else(|| panic!("nothing selected"));
    let first = s.logs.get(i).map(|l| l.message.clone()).unwrap_or_default();
    assert!(first.to_lowercase().contains("products"), "{first}");
    assert!(!s.ui.logs.follow, "a search pauses following");
    s.handle(Intent::SearchPrev);
    let j = s.selected_index(Pane::Logs).unwrap_or(usize::MAX);
    assert!(j < i, "N goes to an older match");
    assert!(
        s.logs
            .get(j)
            .is_some_and(|l| l.message.contains("products"))
    );
    s.handle(Intent::SearchNext);
    assert_eq!(s.selected_index(Pane::Logs), Some(i));
    let cmds = s.handle(Intent::Copy);
    let Some(Command::Copy(text)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert!(
        text.contains(&first) && text.contains("ERROR") && text.lines().count() > 1,
        "{text}"
    );
    // Wrap and local time are toggles with a word on screen.
    s.handle(Intent::ToggleUtc);
    let theme = opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"));
    let screen = support::render(s, &theme, 200, 60);
    assert!(
        screen.contains("local time") && screen.contains("search: products"),
        "{screen}"
    );
}

#[test]
fn the_palette_matches_fuzzily_completes_remembers_and_confirms_like_the_keys() {
    use opsdeck::state::{Command, Intent, Overlay, TextKey};
    let mut d = Demo::new(1, Scenario::Steady);
    let s = &mut d.state;
    s.theme_names = opsdeck::theme::names();
    let typed = |s: &mut opsdeck::state::State, text: &str| {
        for c in text.chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
    };
    // `:pro usr` + Enter: promote user, through the same confirmation as `p`.
    s.handle(Intent::CommandLine);
    typed(s, "pro usr");
    let sug = s.suggestions("pro usr", 3);
    assert_eq!(
        sug.first().map(|x| x.line.as_str()),
        Some("promote user"),
        "{sug:?}"
    );
    let cmds = s.handle(Intent::Text(TextKey::Enter));
    assert!(cmds.is_empty(), "nothing runs before the confirmation");
    match &s.ui.overlay {
        Some(Overlay::Confirm(p)) => {
            assert_eq!(p.kind, ActionKind::Promote);
            assert_eq!(p.target.name, "user");
        }
        o => panic!("{o:?}"),
    }
    s.handle(Intent::Cancel);
    // Tab completes the command, then the object.
    s.handle(Intent::CommandLine);
    typed(s, "ab");
    s.handle(Intent::Text(TextKey::Tab));
    assert_eq!(s.command_line(), Some("abort "));
    typed(s, "sto");
    s.handle(Intent::Text(TextKey::Tab));
    assert_eq!(s.command_line(), Some("abort store"));
    s.handle(Intent::Text(TextKey::Esc));
    // History: Up brings back the last line run.
    s.handle(Intent::CommandLine);
    s.handle(Intent::Text(TextKey::Up));
    assert_eq!(s.command_line(), Some("pro usr"));
    s.handle(Intent::Text(TextKey::Esc));
    // :theme and :pane.
    s.handle(Intent::CommandLine);
    typed(s, "theme hic");
    let cmds = s.handle(Intent::Text(TextKey::Enter));
    assert!(
        matches!(cmds.as_slice(), [Command::Theme(t)] if t == "high-contrast"),
        "{cmds:?}"
    );
    s.handle(Intent::CommandLine);
    typed(s, "pane logs");
    s.handle(Intent::Text(TextKey::Enter));
    assert_eq!(s.ui.focus, opsdeck::layout::Pane::Logs);
    // Unknown words say so.
    s.handle(Intent::CommandLine);
    typed(s, "promote zzzz");
    s.handle(Intent::Text(TextKey::Enter));
    let f = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(f, "✗ nothing matches \"zzzz\" for :promote");
}

#[test]
fn the_demo_alertmanager_silences_and_expires() {
    use opsdeck::model::AlertState;
    let mut d = Demo::new(1, Scenario::BadCanary);
    let a = d
        .state
        .alerts
        .iter()
        .find(|a| a.name == "SpringErrorLogs")
        .cloned()
        .unwrap_or_else(|| panic!("no alert: {:?}", d.state.alerts));
    let mut req = opsdeck::model::ActionRequest {
        id: 9,
        kind: ActionKind::Silence,
        target: opsdeck::model::Target {
            namespace: "dev".into(),
            name: a.name.clone(),
        },
        sync: Default::default(),
        before: String::new(),
        effect: String::new(),
        command: String::new(),
        silence: Some(opsdeck::model::SilenceSpec {
            matchers: a.silence_matchers(),
            duration_secs: 3600,
            comment: "demo".into(),
            ..Default::default()
        }),
        user: "alice".into(),
        to_revision: None,
    };
    let done = d.sim.act(&req).unwrap_or_else(|e| panic!("{e}"));
    for u in d.sim.drain() {
        d.state.apply(u);
    }
    assert!(done.starts_with("silenced"), "{done}");
    let muted = d
        .state
        .alerts
        .iter()
        .find(|x| x.fingerprint == a.fingerprint)
        .cloned();
    let muted = muted.unwrap_or_else(|| panic!("gone"));
    assert_eq!(muted.state, AlertState::Suppressed);
    req.kind = ActionKind::Expire;
    req.silence = Some(opsdeck::model::SilenceSpec {
        ids: muted.silenced_by.clone(),
        ..Default::default()
    });
    d.sim.act(&req).unwrap_or_else(|e| panic!("{e}"));
    for u in d.sim.drain() {
        d.state.apply(u);
    }
    let back = d
        .state
        .alerts
        .iter()
        .find(|x| x.fingerprint == a.fingerprint)
        .map(|x| x.state);
    assert_eq!(back, Some(AlertState::Firing));
}

#[test]
fn titanium_is_an_istio_platform_with_its_own_namespace_services_and_apps() {
    let titanium = opsdeck::sources::demo::platform("titanium").expect("titanium");
    let mut a = Sim::on(titanium, 7, Scenario::Steady, start());
    let mut b = Sim::on(titanium, 7, Scenario::Steady, start());
    for _ in 0..300 {
        a.step();
        b.step();
    }
    assert_eq!(format!("{:?}", a.snapshot()), format!("{:?}", b.snapshot()));

    let mut d = Demo::on("titanium", 1, Scenario::Steady);
    assert_eq!(d.state.mesh, "istio");
    let apps: Vec<&str> = d.state.apps.iter().map(|a| a.name.as_str()).collect();
    for want in [
        "istio-base",
        "istiod",
        "istio-ingress",
        "kube-prometheus-stack",
        "loki",
        "promtail",
        "postgresql",
        "redis",
        "api-gateway",
        "auth-service",
        "user-service",
        "blog-service",
    ] {
        assert!(apps.contains(&want), "{want} not in {apps:?}");
    }
    let mut rollouts: Vec<&str> = d.state.rollouts.iter().map(|r| r.name.as_str()).collect();
    rollouts.sort();
    assert_eq!(
        rollouts,
        [
            "api-gateway",
            "auth-service",
            "blog-service",
            "user-service"
        ]
    );
    assert!(
        d.state
            .rollouts
            .iter()
            .all(|r| r.namespace == "titanium-prod")
    );
    // Every rollout drives a VirtualService; the waiting canary's mesh weight agrees.
    let user = d.rollout("user-service").clone();
    assert_eq!(user.phase, RolloutPhase::Paused);
    let w = d
        .state
        .mesh_weight(&user)
        .expect("user-service mesh weight");
    assert_eq!((w.weight, user.actual_weight), (20, 20));
    assert_eq!(w.virtual_service, "titanium-prod/user-service");
    // Rows are Istio's: per operation where classified (user-service), per service elsewhere.
    let get = d.route("user-service", "GET /users/{id}");
    assert!(matches!(
        get.policy,
        opsdeck::model::RoutePolicy::Istio { .. }
    ));
    assert_eq!(get.mtls, Some(1.0));
    assert!(get.canary.is_some() && get.stable.is_some());
    assert!(
        d.state
            .routes
            .iter()
            .any(|r| r.service == "auth-service" && r.route == opsdeck::model::ALL_REQUESTS)
    );
    // Promote: the VirtualService follows the step a few seconds later, and the timeline says so.
    d.act(ActionKind::Promote, "user-service")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(30);
    let user = d.rollout("user-service").clone();
    let w = d.state.mesh_weight(&user).expect("weight");
    assert_eq!((user.set_weight, w.weight), (50, 50));
    assert!(
        d.state
            .timeline
            .iter()
            .any(|c| c.subject == "user-service" && c.text.contains("canary 50")),
        "{:?}",
        d.state.timeline.iter().map(|c| &c.text).collect::<Vec<_>>()
    );
}

#[test]
fn titanium_bad_canary_trips_the_circuit_breaker_and_abort_restores_it() {
    let mut d = Demo::on("titanium", 1, Scenario::BadCanary);
    d.run(60);
    let posts = d.route("blog-service", "GET /posts");
    let c = posts.canary.clone().expect("canary split");
    let st = posts.stable.clone().expect("stable split");
    let cs = c.effective_success.unwrap_or(1.0);
    assert!(cs < 0.8, "canary success {cs}");
    assert!(st.effective_success.unwrap_or(0.0) > 0.99, "{st:?}");
    assert!(
        c.p95_ms > 2.0 * st.p95_ms,
        "p95 canary {} stable {}",
        c.p95_ms,
        st.p95_ms
    );
    assert_eq!(
        posts.overall.flags.first().map(|f| f.0.as_str()),
        Some("UO"),
        "{:?}",
        posts.overall.flags
    );
    let opsdeck::model::RoutePolicy::Istio { outlier, pool, .. } = &posts.policy else {
        panic!("{:?}", posts.policy)
    };
    assert!(outlier.is_some() && pool.is_some(), "the circuit breaker");
    // The cockpit's verdict argues for abort, and says why in Envoy's words.
    let blog = d.rollout("blog-service").clone();
    let cv = opsdeck::state::cockpit_view(&d.state, &blog);
    assert!(
        cv.concerns
            .iter()
            .any(|c| c.contains("GET /posts") && c.contains("circuit open")),
        "{:?}",
        cv.concerns
    );
    assert!(d.state.alerts.iter().any(|a| a.subject() == "blog-service"));

    d.act(ActionKind::Abort, "blog-service")
        .unwrap_or_else(|e| panic!("{e}"));
    d.run(120);
    let blog = d.rollout("blog-service").clone();
    assert!(blog.aborted && blog.actual_weight == 0);
    assert_eq!(d.state.mesh_weight(&blog).map(|w| w.weight), Some(0));
    let posts = d.route("blog-service", "GET /posts");
    assert!(
        posts.overall.effective_success.unwrap_or(0.0) > 0.99,
        "{posts:?}"
    );
    assert!(
        posts.overall.flags.iter().all(|f| f.0 != "UO"),
        "{:?}",
        posts.overall.flags
    );
    assert!(
        !d.state.alerts.iter().any(|a| a.subject() == "blog-service"),
        "the alert resolves"
    );
}

#[test]
fn shop_is_an_eks_istio_platform_with_front_and_api_namespaces() {
    let d = Demo::on("shop", 1, Scenario::Steady);
    assert_eq!(d.state.mesh, "istio");
    let apps: Vec<&str> = d.state.apps.iter().map(|a| a.name.as_str()).collect();
    for want in [
        "istiod",
        "kiali-server",
        "jaeger",
        "fluentd",
        "postgresql",
        "redis-session",
        "fo",
        "bo",
        "cc",
        "order",
        "member",
        "common",
        "goods",
        "display",
        "event",
        "bo-api",
    ] {
        assert!(apps.contains(&want), "{want} not in {apps:?}");
    }
    let ns = |name: &str| d.rollout(name).namespace.clone();
    assert_eq!(
        (ns("fo"), ns("goods")),
        ("shop-front".into(), "shop-api".into())
    );
    let member = d.rollout("member").clone();
    assert_eq!(member.phase, RolloutPhase::Paused);
    let w = d.state.mesh_weight(&member).expect("member mesh weight");
    assert_eq!(w.virtual_service, "shop-api/member");
}

#[tokio::test]
async fn shop_logs_come_through_the_opensearch_provider_from_fluentd_documents() {
    use opsdeck::model::Track;
    use opsdeck::query::LogDialect;
    use opsdeck::sources::demo::{self, DemoConfig};
    let shop = demo::platform("shop").expect("shop");
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut s = opsdeck::state::State::new(crate::support::context(), start(), 50_000);
    s.set_size(200, 60);
    let (demand_tx, demand_rx) = tokio::sync::watch::channel(s.demand());
    let _op = demo::spawn(
        DemoConfig {
            platform: shop,
            seed: 1,
            scenario: Scenario::BadCanary,
            speed: 30.0,
            start: chrono::Utc::now(),
        },
        tx,
        demand_rx,
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(40);
    let found = |s: &opsdeck::state::State| {
        s.logs.iter().any(|l| {
            &*l.service == "goods"
                && l.track == Some(Track::Canary)
                && l.stack.iter().any(|f| f.contains("NullPointerException"))
        })
    };
    while !found(&s) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.apply(u);
                let d = s.demand();
                if *demand_tx.borrow() != d {
                    let _ = demand_tx.send(d);
                }
            }
            _ => panic!(
                "no goods canary NPE through OpenSearch: {} lines",
                s.logs.len()
            ),
        }
    }
    assert_eq!(s.log_store, "opensearch 2.11.1");
    assert_eq!(s.context.log_query.dialect, LogDialect::OpenSearch);
    assert!(
        s.context.log_query.text.contains(
            r#"{"terms":{"kubernetes.namespace_name.keyword":["shop-api","shop-front"]}}"#
        ),
        "{}",
        s.context.log_query.text
    );
}
