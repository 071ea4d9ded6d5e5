use super::*;
use crate::sources::demo::{Scenario, Sim};
use chrono::TimeZone;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

fn context(read_only: bool) -> Context {
    Context {
        name: "k3d-dev (demo)".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        demo: true,
        read_only,
        log_query: "{namespace=\"dev\"}".into(),
        protected: false,
        user: "alice".into(),
    }
}

fn demo(scenario: Scenario, read_only: bool) -> (State, Sim) {
    let mut sim = Sim::new(7, scenario, start());
    let mut s = State::new(context(read_only), start(), 50_000);
    s.set_size(120, 40);
    for u in sim.snapshot() {
        s.apply(u);
    }
    (s, sim)
}

fn select_rollout(s: &mut State, name: &str) {
    s.handle(Intent::Focus(Pane::Rollouts));
    let i = s
        .rollouts
        .iter()
        .position(|r| r.name == name)
        .unwrap_or(usize::MAX);
    s.handle(Intent::Top);
    for _ in 0..i {
        s.handle(Intent::Down);
    }
    assert_eq!(s.selected_rollout().map(|r| r.name.as_str()), Some(name));
}

#[test]
fn apps_are_in_sync_wave_order() {
    let (s, _) = demo(Scenario::Steady, false);
    let waves: Vec<i32> = s.apps.iter().map(|a| a.sync_wave).collect();
    let mut sorted = waves.clone();
    sorted.sort();
    assert_eq!(waves, sorted);
    assert_eq!(s.apps.first().map(|a| a.name.as_str()), Some("root-app"));
    assert_eq!(s.apps.len(), 18);
}

#[test]
fn promote_asks_first_then_runs_the_plugin_equivalent() {
    let (mut s, _) = demo(Scenario::Steady, false);
    select_rollout(&mut s, "user");
    assert!(s.handle(Intent::Act(ActionKind::Promote)).is_empty());
    let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
        panic!("no confirmation: {:?}", s.ui.overlay)
    };
    assert_eq!(p.effect, "user: step 1/5 pause → step 2/5 setWeight: 50");
    assert!(!p.needs_typing());
    let cmds = s.handle(Intent::Confirm);
    let [Command::Run(req)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(req.command, "kubectl argo rollouts promote user -n dev");
    assert_eq!(req.before, "step 1/5 pause");
    assert_eq!(req.target.to_string(), "dev/user");
    assert!(s.ui.overlay.is_none());
    assert_eq!(s.in_flight.len(), 1);
}

#[test]
fn abort_needs_the_name_typed() {
    let (mut s, _) = demo(Scenario::BadCanary, false);
    select_rollout(&mut s, "store");
    s.handle(Intent::Act(ActionKind::Abort));
    assert!(s.text_input_active());
    assert!(
        s.handle(Intent::Text(TextKey::Enter)).is_empty(),
        "must not run untyped"
    );
    assert!(matches!(s.ui.overlay, Some(Overlay::Confirm(_))));
    for c in "stor".chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
    assert!(
        s.handle(Intent::Text(TextKey::Enter)).is_empty(),
        "must not run on a prefix"
    );
    s.handle(Intent::Text(TextKey::Char('e')));
    let cmds = s.handle(Intent::Text(TextKey::Enter));
    let [Command::Run(req)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(req.kind, ActionKind::Abort);
    assert_eq!(req.command, "kubectl argo rollouts abort store -n dev");
}

#[test]
fn read_only_refuses_and_audits_the_refusal() {
    let (mut s, _) = demo(Scenario::Steady, true);
    select_rollout(&mut s, "user");
    let cmds = s.handle(Intent::Act(ActionKind::Promote));
    let [Command::Audit(e)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(e.action, "promote");
    assert_eq!(e.target, "dev/user");
    assert!(e.result.contains("read-only"), "{}", e.result);
    assert!(s.ui.overlay.is_none());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.kind == FlashKind::Error && f.text.contains("read-only"))
    );
}

#[test]
fn actions_that_make_no_sense_are_refused_with_a_reason() {
    let (mut s, _) = demo(Scenario::Steady, false);
    select_rollout(&mut s, "store");
    let cmds = s.handle(Intent::Act(ActionKind::Promote));
    let [Command::Audit(e)] = cmds.as_slice() else {
        panic!("a refusal is audited: {cmds:?}")
    };
    assert_eq!((e.action, e.target.as_str()), ("promote", "dev/store"));
    assert_eq!(
        e.result,
        "refused: store is fully promoted; there is nothing to promote"
    );
    assert!(s.ui.overlay.is_none());
    let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(f.contains("fully promoted"), "{f}");
    s.handle(Intent::Act(ActionKind::Retry));
    let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(f.contains("not aborted"), "{f}");
}

#[test]
fn sync_is_refused_while_an_operation_runs() {
    let (mut s, mut sim) = demo(Scenario::Steady, false);
    s.handle(Intent::Focus(Pane::Apps));
    let i = s.apps.iter().position(|a| a.name == "store").unwrap_or(0);
    for _ in 0..i {
        s.handle(Intent::Down);
    }
    s.handle(Intent::Act(ActionKind::Sync));
    s.handle(Intent::TogglePrune);
    let cmds = s.handle(Intent::Confirm);
    let [Command::Run(req)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(req.command, "argocd app sync store --prune");
    assert!(sim.act(req).is_ok());
    for u in sim.drain() {
        s.apply(u);
    }
    s.handle(Intent::Act(ActionKind::Sync));
    assert!(s.ui.overlay.is_none());
    let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        f.contains("store: an operation is Running; wait for it to finish"),
        "{f}"
    );
    // Requested (the `operation` field is set) but not started by the controller yet.
    let i = s.apps.iter().position(|a| a.name == "store").unwrap_or(0);
    s.apps[i].operation = None;
    s.apps[i].operation_requested = true;
    s.handle(Intent::Act(ActionKind::Sync));
    let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        f.contains("a sync was requested and has not started yet"),
        "{f}"
    );
}

#[test]
fn same_minute_clock_does_not_redraw_unless_seconds_show() {
    let (mut s, _) = demo(Scenario::Steady, false);
    s.flash = None;
    let t = s.now;
    // The steady scenario has only an indefinite pause: nothing counts seconds.
    assert!(!s.has_second_resolution_content());
    let same_minute = t.with_second((t.second() + 1) % 60).unwrap_or(t);
    if same_minute.minute() == t.minute() {
        assert!(!s.apply(Update::Clock(same_minute)));
    }
    assert!(s.apply(Update::Clock(t + chrono::Duration::minutes(1))));
    // In the demo the wall tick does not move the data clock.
    let before = s.now;
    assert!(!s.tick(Utc::now()));
    assert_eq!(s.now, before);
}

#[test]
fn filter_narrows_the_focused_pane_and_esc_clears_it() {
    let (mut s, _) = demo(Scenario::Steady, false);
    s.handle(Intent::Focus(Pane::Apps));
    s.handle(Intent::Filter);
    assert!(s.text_input_active());
    for c in "linkerd".chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
    s.handle(Intent::Text(TextKey::Enter));
    assert_eq!(s.filtered_len(Pane::Apps), 5);
    assert!(!s.text_input_active());
    s.handle(Intent::Back);
    assert_eq!(s.filtered_len(Pane::Apps), 18);
}

#[test]
fn esc_closes_the_innermost_thing_first() {
    let (mut s, _) = demo(Scenario::Steady, false);
    select_rollout(&mut s, "user");
    s.handle(Intent::Open);
    assert!(matches!(s.ui.screen, Screen::Cockpit { .. }));
    s.handle(Intent::Help);
    s.handle(Intent::Back);
    assert!(s.ui.overlay.is_none());
    assert!(matches!(s.ui.screen, Screen::Cockpit { .. }));
    s.handle(Intent::Back);
    assert_eq!(s.ui.screen, Screen::Main);
}

#[test]
fn scrolling_keeps_the_selection_visible() {
    let (mut s, _) = demo(Scenario::Steady, false);
    s.set_size(80, 24);
    s.handle(Intent::Focus(Pane::Apps));
    let rows = s.ui.layout.viewport_rows(Pane::Apps);
    assert!(rows > 0 && rows < 18, "{rows}");
    s.handle(Intent::Bottom);
    let l = &s.ui.lists[Pane::Apps.index()];
    assert_eq!(l.selected, 17);
    assert_eq!(l.offset, 18 - rows);
    s.handle(Intent::Top);
    assert_eq!(s.ui.lists[Pane::Apps.index()].offset, 0);
}

#[test]
fn logs_follow_until_the_user_scrolls_up() {
    let (mut s, mut sim) = demo(Scenario::BadCanary, false);
    s.handle(Intent::Focus(Pane::Logs));
    assert!(s.ui.log_follow);
    s.handle(Intent::Up);
    assert!(!s.ui.log_follow);
    let sel = s.ui.lists[Pane::Logs.index()].selected;
    for _ in 0..5 {
        sim.step();
    }
    for u in sim.drain() {
        s.apply(u);
    }
    assert_eq!(
        s.ui.lists[Pane::Logs.index()].selected,
        sel,
        "paused view must not move"
    );
    s.handle(Intent::Follow);
    assert_eq!(s.ui.lists[Pane::Logs.index()].selected, s.logs.len() - 1);
}

#[test]
fn a_full_log_ring_drops_the_oldest_and_keeps_the_selection_on_its_line() {
    let mut s = State::new(context(false), start(), 100);
    s.set_size(120, 40);
    let line = |i: i64| LogLine {
        ts: start() + chrono::Duration::seconds(i),
        level: Level::Error,
        service: "store".into(),
        pod: "store-abc-1".into(),
        track: None,
        logger: "".into(),
        message: format!("line {i}"),
        trace_id: String::new(),
        thread: "".into(),
        stack: vec![],
    };
    s.apply(Update::Logs((0..100).map(line).collect()));
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Up);
    let sel = s.ui.lists[Pane::Logs.index()].selected;
    let msg = s.logs.get(sel).map(|l| l.message.clone());
    s.apply(Update::Logs((100..150).map(line).collect()));
    assert_eq!(s.logs.len(), 100);
    assert_eq!(s.logs.dropped(), 50);
    let sel = s.ui.lists[Pane::Logs.index()].selected;
    assert_eq!(s.logs.get(sel).map(|l| l.message.clone()), msg);
}

#[test]
fn action_outcomes_flash_and_clear_in_flight() {
    let (mut s, mut sim) = demo(Scenario::Steady, false);
    select_rollout(&mut s, "user");
    s.handle(Intent::Act(ActionKind::Promote));
    let cmds = s.handle(Intent::Confirm);
    let [Command::Run(req)] = cmds.as_slice() else {
        panic!()
    };
    let result = sim.act(req);
    assert_eq!(result.as_deref(), Ok("step 2/5 setWeight: 50"));
    s.apply(Update::ActionDone(crate::model::ActionOutcome {
        request: req.clone(),
        result,
    }));
    assert!(s.in_flight.is_empty());
    let f = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert_eq!(f, "✓ promote user: step 2/5 setWeight: 50");
    for u in sim.drain() {
        s.apply(u);
    }
    assert_eq!(
        s.rollout("dev", "user").and_then(|r| r.step_text()),
        Some("2/5".into())
    );
}

#[test]
fn an_unchanged_snapshot_does_not_redraw() {
    let (mut s, _) = demo(Scenario::Steady, false);
    let apps = s.apps.clone();
    let rollouts = s.rollouts.clone();
    assert!(!s.apply(Update::Apps(apps.clone())));
    assert!(!s.apply(Update::Rollouts(rollouts.clone())));
    assert!(!s.apply(Update::AppUpserted(apps[3].clone())));
    let mut changed = rollouts[0].clone();
    changed.message = "x".into();
    assert!(s.apply(Update::RolloutUpserted(changed)));
}

#[test]
fn the_command_line_switches_context_and_namespace() {
    let (mut s, _) = demo(Scenario::Steady, false);
    let type_line = |s: &mut State, text: &str| {
        s.handle(Intent::CommandLine);
        assert!(s.text_input_active());
        for c in text.chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter))
    };
    assert_eq!(
        type_line(&mut s, "ns dev,prod"),
        vec![Command::Switch {
            context: None,
            namespaces: Some(vec!["dev".into(), "prod".into()])
        }]
    );
    assert_eq!(
        type_line(&mut s, "ns all"),
        vec![Command::Switch {
            context: None,
            namespaces: Some(vec![])
        }]
    );
    assert_eq!(
        type_line(&mut s, "ctx k3d-dev"),
        vec![Command::Switch {
            context: Some("k3d-dev".into()),
            namespaces: None
        }]
    );
    assert_eq!(type_line(&mut s, "q"), vec![Command::Quit]);
    assert!(type_line(&mut s, "frobnicate").is_empty());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("unknown command :frobnicate"))
    );
    assert!(!s.text_input_active());
}

#[test]
fn a_protected_context_wants_every_action_typed() {
    let (mut s, _sim) = demo(Scenario::Steady, false);
    s.context.protected = true;
    s.handle(Intent::Focus(Pane::Apps));
    s.handle(Intent::Act(ActionKind::Refresh));
    let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
        panic!("no confirmation")
    };
    assert!(p.needs_typing() && !p.typed_ok());
    let name = p.target.name.clone();
    assert!(s.handle(Intent::Confirm).is_empty(), "not without the name");
    for c in name.chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
    let cmds = s.handle(Intent::Text(TextKey::Enter));
    assert!(matches!(cmds.as_slice(), [Command::Run(r)] if r.kind == ActionKind::Refresh));
}

#[test]
fn the_demand_follows_rollouts_and_is_shared_between_frames() {
    let (mut s, _sim) = demo(Scenario::BadCanary, false);
    let d1 = s.demand();
    let names: Vec<&str> = d1.rollouts.iter().map(|t| t.name.as_str()).collect();
    let want: Vec<&str> = s.rollouts.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, want);
    let store = d1
        .rollouts
        .iter()
        .find(|t| t.name == "store")
        .cloned()
        .unwrap_or_default();
    assert!(store.canary_running(), "{store:?}");
    // A frame without rollout changes shares the list instead of rebuilding it.
    s.apply(Update::Clock(start()));
    assert!(std::sync::Arc::ptr_eq(&d1.rollouts, &s.demand().rollouts));
    s.apply(Update::RolloutDeleted {
        namespace: "dev".into(),
        name: "store".into(),
    });
    assert!(s.demand().rollouts.iter().all(|t| t.name != "store"));
}
