//! Snapshots of every pane and overlay at 80×24, 120×40 and 200×60 on seeded demo data,
//! a no-panic sweep over sizes, and the monochrome theme using no colour at all.

use crate::support;

use crate::support::{Demo, render, start};
use opsdeck::layout::Pane;
use opsdeck::model::ActionKind;
use opsdeck::sources::demo::Scenario;
use opsdeck::state::{Health, Intent, SourceId, State, TextKey, Update};
use opsdeck::theme::Theme;
use ratatui::style::Color;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

fn dark() -> Theme {
    Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

fn select(d: &mut Demo, pane: Pane, pred: impl Fn(&State, usize) -> bool) {
    d.state.handle(Intent::Focus(pane));
    d.state.handle(Intent::Top);
    for _ in 0..200 {
        let i = d.state.ui.lists[pane].selected;
        if pred(&d.state, i) {
            return;
        }
        d.state.handle(Intent::Down);
    }
    panic!("nothing to select");
}

fn select_rollout(d: &mut Demo, name: &str) {
    select(d, Pane::Rollouts, |s, i| s.rollouts[i].name == name);
}

fn snap(name: &str, d: &mut Demo, setup: impl Fn(&mut Demo)) {
    for (w, h) in SIZES {
        d.state.set_size(w, h);
        setup(d);
        d.answer_demand();
        let text = render(&d.state, &dark(), w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn main_screen_steady() {
    let mut d = Demo::new(1, Scenario::Steady);
    snap("main_steady", &mut d, |_| {});
}

#[test]
fn main_screen_bad_canary_after_a_while() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(400);
    snap("main_bad_canary", &mut d, |_| {});
}

#[test]
fn every_pane_focused_and_zoomed() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    for pane in Pane::ALL {
        snap(
            &format!("zoom_{}", pane.title().replace(' ', "_").to_lowercase()),
            &mut d,
            |d| {
                d.state.handle(Intent::Focus(pane));
                if !d.state.ui.zoom {
                    d.state.handle(Intent::Zoom);
                }
            },
        );
        d.state.handle(Intent::Zoom);
    }
}

#[test]
fn compact_layout_shows_rollouts_and_the_focused_pane() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.state.set_size(80, 24);
    d.state.handle(Intent::Focus(Pane::Logs));
    let text = render(&d.state, &dark(), 80, 24);
    assert!(
        text.contains("2 Rollouts") && text.contains("5 Error logs"),
        "{text}"
    );
    assert!(!text.contains("1 Apps "), "{text}");
    insta::assert_snapshot!("compact_logs_80x24", text);
}

#[test]
fn cockpit_of_a_bad_canary() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Open);
    snap("cockpit_bad_canary", &mut d, |_| {});
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("✗ canary worse: GET /products: canary fails 7.8 pts more often (95% CI"),
        "{text}"
    );
}

/// The pods view of a bad canary: its restarting pod first with why it last ended, stable's
/// pods, and the kubelet's probe Warnings newest first; then with Normal events and an event
/// selected (its note in full).
#[test]
fn pods_and_events_of_a_bad_canary() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(300);
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Pods);
    snap("pods_bad_canary", &mut d, |_| {});
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("canary store-"), "{text}");
    assert!(text.contains("Error (exit 143)"), "{text}");
    assert!(
        text.contains("Readiness probe failed: HTTP probe failed with statuscode: 503"),
        "{text}"
    );
    assert!(!text.contains("Scheduled"), "Warnings only: {text}");
    d.state.handle(Intent::ToggleNormalEvents);
    d.answer_demand();
    for _ in 0..5 {
        d.state.handle(Intent::Down);
    }
    d.state.set_size(120, 40);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("Normal  Scheduled"), "{text}");
    assert!(
        text.contains("by kubelet"),
        "the selected event's detail: {text}"
    );
    insta::assert_snapshot!("pods_normal_events_120x40", text);
    // The cockpit's line says the same in one row.
    d.state.handle(Intent::Pods);
    d.state.handle(Intent::Open);
    d.answer_demand();
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("pods canary 1/1 ready ↻") && text.contains("· stable 3/3 ready · ⚠"),
        "{text}"
    );
}

/// The Platform view: the certificate whose renewal keeps failing first, with why; Linkerd's
/// short-lived issuer, renewed in time, is no warning. A cluster without cert-manager says so.
#[test]
fn the_platforms_certificates_worst_first() {
    let mut d = Demo::new(1, Scenario::Steady);
    d.state.handle(Intent::Platform);
    snap("platform_certificates", &mut d, |_| {});
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("1 cert expiring"),
        "the header says it: {text}"
    );
    assert!(text.contains("dev/gateway-tls"), "{text}");
    assert!(
        text.contains("expires in 6d; the last 2 issuances failed (40m ago)"),
        "{text}"
    );
    assert!(
        text.contains("✓ issuer CN=identity.linkerd.cluster.local"),
        "the issuer chains to the anchor: {text}"
    );
    let first = text.lines().position(|l| l.contains("gateway-tls"));
    let issuer = text
        .lines()
        .position(|l| l.contains("linkerd-identity-issuer"));
    assert!(first < issuer, "worst first: {text}");
    let mut t = Demo::on("titanium", 1, Scenario::Steady);
    t.state.handle(Intent::Platform);
    let text = render(&t.state, &dark(), 120, 40);
    assert!(text.contains("cert-manager is not installed"), "{text}");
    assert!(!text.contains("✗ cert-manager"), "not an error: {text}");
    assert!(
        text.contains("O=cluster.local · expires in"),
        "Istio's root: {text}"
    );
}

/// One pod's log from the pods view: every level, the bad build's failures with their stack
/// folded, and the previous run ending in the shutdown its liveness probe caused.
#[test]
fn a_bad_canary_pods_log_and_its_previous_run() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(300);
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Pods);
    d.answer_demand();
    d.state.handle(Intent::Open);
    snap("pod_log_bad_canary", &mut d, |_| {});
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("· store · following"), "{text}");
    assert!(text.contains("INFO  RequestLogger: GET /"), "{text}");
    assert!(
        text.contains("ERROR ProductController: Request processing failed"),
        "{text}"
    );
    d.state.handle(Intent::TogglePrevious);
    d.answer_demand();
    d.state.set_size(120, 40);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("previous run"), "{text}");
    assert!(text.contains("Graceful shutdown complete"), "{text}");
    insta::assert_snapshot!("pod_log_previous_120x40", text);
}

/// A canary that looks as good as stable on too few requests is not called good: the cockpit
/// says how many more requests each route needs, and the verdict line which needs most.
#[test]
fn a_healthy_canary_on_little_traffic_is_not_enough_to_judge() {
    let mut d = Demo::new(1, Scenario::Steady);
    select_rollout(&mut d, "user");
    d.state.handle(Intent::Open);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("? cannot judge the canary yet: POST /auth needs ")
            && text.contains(" more canary requests (~"),
        "{text}"
    );
    assert!(
        text.contains("CANARY VS STABLE") && text.contains("more req"),
        "{text}"
    );
    assert!(!text.contains("✗ canary worse"), "{text}");
    // The error lines of a fresh canary are too few to compare either way.
    assert!(text.contains("lines: too few to compare"), "{text}");
    // A 15-minute window holds enough requests to say there is no evidence of harm, and a
    // quarter of an hour enough error lines.
    d.state.ui.routes.index = 2;
    d.run(900);
    let text = render(&d.state, &dark(), 160, 40);
    assert!(text.contains("no harm"), "{text}");
    assert!(
        text.contains("Errors/min · 5m · no evidence of harm: "),
        "{text}"
    );
}

#[test]
fn titanium_routes_and_cockpit_on_istio() {
    let mut d = Demo::on("titanium", 1, Scenario::BadCanary);
    d.run(60);
    snap("titanium_main_bad_canary", &mut d, |_| {});
    snap("titanium_zoom_routes", &mut d, |d| {
        d.state.handle(Intent::Focus(Pane::Routes));
        if !d.state.ui.zoom {
            d.state.handle(Intent::Zoom);
        }
    });
    d.state.handle(Intent::Zoom);
    select_rollout(&mut d, "blog-service");
    d.state.handle(Intent::Open);
    snap("titanium_cockpit_bad_canary", &mut d, |_| {});
    let text = render(&d.state, &dark(), 200, 60);
    assert!(
        text.contains("✗ canary worse: GET /posts: canary fails") && text.contains("circuit open"),
        "{text}"
    );
    assert!(
        text.contains("mesh 20%"),
        "the VirtualService's weight: {text}"
    );
}

#[test]
fn cockpit_during_analysis_and_after_abort() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.act(ActionKind::Promote, "store")
        .unwrap_or_else(|e| panic!("{e}"));
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Open);
    d.run(25);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("success-rate (prometheus) ✗0.922 · passes when result[0] >= 0.95 · 1 more failure fails the analysis · next in "),
        "{text}"
    );
    assert!(
        text.contains("query: sum(rate(response_total{namespace=\"dev\""),
        "{text}"
    );
    // Run again now, for canary and, with stable's hash swapped in, for stable.
    assert!(
        text.contains("now: canary 0.9")
            && text.contains("✗ would fail · stable 1.000 ✓ would pass"),
        "{text}"
    );
    insta::assert_snapshot!("cockpit_analysis_120x40", text);
    // The analysis and the statistics at the other sizes: what gives way, and what stays.
    for (w, h) in [(200, 60), (80, 24)] {
        d.state.set_size(w, h);
        insta::assert_snapshot!(
            format!("cockpit_analysis_{w}x{h}"),
            render(&d.state, &dark(), w, h)
        );
    }
    d.state.set_size(120, 40);
    d.run(30);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("✗ Aborted") && text.contains("canary aborted"),
        "{text}"
    );
    assert!(
        !text.contains("now: canary"),
        "no replay once the canary is gone: {text}"
    );
    insta::assert_snapshot!("cockpit_aborted_120x40", text);
}

#[test]
fn confirmations_name_target_effect_and_command() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    select_rollout(&mut d, "store");
    snap("confirm_abort_typing", &mut d, |d| {
        d.state.ui.overlay = None;
        d.state.handle(Intent::Act(ActionKind::Abort));
        for c in "sto".chars() {
            d.state.handle(Intent::Text(TextKey::Char(c)));
        }
    });
    d.state.ui.overlay = None;
    select(&mut d, Pane::Apps, |s, i| s.apps[i].name == "store");
    d.state.handle(Intent::Act(ActionKind::Sync));
    d.state.handle(Intent::TogglePrune);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("$ argocd app sync store --prune") && text.contains("[x] prune (p)"),
        "{text}"
    );
    insta::assert_snapshot!("confirm_sync_120x40", text);
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut d = Demo::new(1, Scenario::Steady);
    snap("help", &mut d, |d| {
        d.state.ui.overlay = None;
        d.state.handle(Intent::Help);
    });
}

#[test]
fn loading_empty_and_error_states_are_explicit() {
    let mut s = State::new(support::context(), start(), 1000);
    s.set_size(120, 40);
    let text = render(&s, &dark(), 120, 40);
    assert!(text.contains("… loading from argocd"), "{text}");
    for id in SourceId::ALL {
        s.apply(Update::SourceHealth {
            source: id,
            health: Health::Ok,
        });
    }
    s.apply(Update::Alerts(vec![]));
    s.apply(Update::SourceHealth {
        source: SourceId::Logs,
        health: Health::Error("connection refused (loki:3100)".into()),
    });
    let text = render(&s, &dark(), 120, 40);
    assert!(text.contains("✓ no alerts firing"), "{text}");
    assert!(
        text.contains("✗ logs: connection refused (loki:3100)"),
        "{text}"
    );
    insta::assert_snapshot!("states_120x40", text);

    // Stale data stays on screen with its age and the error.
    let mut d = Demo::new(1, Scenario::Steady);
    d.state.apply(Update::SourceHealth {
        source: SourceId::Rollouts,
        health: Health::Error("403 Forbidden".into()),
    });
    d.state
        .apply(Update::Clock(d.state.now + chrono::Duration::seconds(90)));
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("⚠ stale 1m: 403 Forbidden"), "{text}");
    assert!(text.contains("user"), "{text}");
}

#[test]
fn read_only_and_flash_in_header_and_footer() {
    let mut d = Demo::new(1, Scenario::Steady);
    d.state.context.read_only = true;
    d.state.set_size(80, 24);
    let text = render(&d.state, &dark(), 80, 24);
    let header = text.lines().next().unwrap_or_default();
    for want in [
        " opsdeck ",
        " DEMO ",
        " READ-ONLY ",
        "k3d-dev (demo) · ns dev",
    ] {
        assert!(header.contains(want), "{want:?} in the header: {header}");
    }
    let wide = render(&d.state, &dark(), 120, 40);
    let wide_header = wide.lines().next().unwrap_or_default();
    assert!(
        wide_header.contains(" READ-ONLY ") && wide_header.trim_end().ends_with("UTC"),
        "the clock at the right: {wide_header}"
    );
    assert!(
        header.find(" DEMO ") < header.find(" READ-ONLY "),
        "badges in order: {header}"
    );
    // Promote in read-only: refused in the footer, no confirmation, and audited.
    select_rollout(&mut d, "user");
    let cmds = d.state.handle(Intent::Act(ActionKind::Promote));
    assert!(
        matches!(cmds.as_slice(), [opsdeck::state::Command::Audit(e)] if e.result.starts_with("refused: read-only")),
        "{cmds:?}"
    );
    assert!(d.state.ui.overlay.is_none(), "no confirmation opens");
    let text = render(&d.state, &dark(), 80, 24);
    let footer = text.lines().last().unwrap_or_default();
    assert!(
        footer.starts_with(" ✗ promote user: refused: read-only mode"),
        "the refusal in the footer: {footer}"
    );
    // Without a flash the footer offers keys again.
    d.state.flash = None;
    let text = render(&d.state, &dark(), 200, 60);
    let footer = text.lines().last().unwrap_or_default();
    assert!(footer.contains("Tab next pane"), "{footer}");
    assert!(!footer.contains("refused"), "{footer}");
}

/// Draws every region of the screen as the layout places it, each alone into a buffer larger
/// than the frame whose other cells hold a sentinel; returns what was written outside.
fn writes_outside(d: &Demo, w: u16, h: u16) -> Vec<String> {
    use opsdeck::ui::{self, View};
    use ratatui::layout::Rect;
    let theme = dark();
    let keymap = opsdeck::keymap::Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    let v = View {
        state: &d.state,
        theme: &theme,
        keymap: &keymap,
    };
    const PAD: u16 = 3;
    let mut out = Vec::new();
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w + 2 * PAD, h + 2 * PAD))
            .unwrap_or_else(|e| panic!("{e}"));
    for (region, rect) in ui::regions(Rect::new(0, 0, w, h), &v) {
        let area = Rect::new(rect.x + PAD, rect.y + PAD, rect.width, rect.height);
        term.draw(|f| {
            for cell in f.buffer_mut().content.iter_mut() {
                cell.set_symbol("¤");
            }
            ui::draw_region(f, region, area, &v);
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let buf = term.backend().buffer();
        let outside = (0..buf.area.height)
            .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
            .find(|&(x, y)| {
                !area.contains(ratatui::layout::Position::new(x, y)) && buf[(x, y)].symbol() != "¤"
            });
        if let Some((x, y)) = outside {
            out.push(format!(
                "{region:?} at {w}x{h} wrote ({}, {}) outside its area {rect:?}",
                x - PAD,
                y - PAD
            ));
        }
    }
    out
}

#[test]
fn no_region_writes_outside_its_area_at_any_size_from_40x10_to_240x80() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(300);
    type Setup<'a> = (&'a str, &'a dyn Fn(&mut Demo));
    let screens: [Setup; 13] = [
        ("main", &|d| d.state.handle(Intent::Back).clear()),
        ("logs focused", &|d| {
            d.state.handle(Intent::Focus(Pane::Logs)).clear()
        }),
        ("alerts zoomed", &|d| {
            d.state.handle(Intent::Focus(Pane::Alerts));
            d.state.handle(Intent::Zoom);
        }),
        ("cockpit", &|d| {
            d.state.handle(Intent::Focus(Pane::Rollouts));
            select_rollout(d, "store");
            d.state.handle(Intent::Open);
        }),
        ("pods", &|d| {
            d.state.handle(Intent::Focus(Pane::Rollouts));
            select_rollout(d, "store");
            d.state.handle(Intent::Pods);
            d.answer_demand();
        }),
        ("pod log", &|d| {
            d.state.handle(Intent::Focus(Pane::Rollouts));
            select_rollout(d, "store");
            d.state.handle(Intent::Pods);
            d.answer_demand();
            d.state.handle(Intent::Open);
            d.answer_demand();
            d.state.handle(Intent::Up);
            d.state.handle(Intent::Expand);
        }),
        ("platform", &|d| {
            d.state.handle(Intent::Platform);
            d.state.handle(Intent::Down);
        }),
        ("help", &|d| d.state.handle(Intent::Help).clear()),
        ("confirm", &|d| {
            d.state.ui.overlay = None;
            d.state.handle(Intent::Act(ActionKind::PromoteFull));
        }),
        ("internal log", &|d| {
            d.state.handle(Intent::InternalLog).clear()
        }),
        ("timeline", &|d| d.state.handle(Intent::Timeline).clear()),
        ("app detail", &|d| {
            d.state.handle(Intent::Focus(Pane::Apps));
            d.state.handle(Intent::Open);
        }),
        ("palette", &|d| {
            d.state.handle(Intent::CommandLine);
            d.state.handle(Intent::Text(TextKey::Char('p')));
        }),
    ];
    let mut problems = Vec::new();
    for w in (40..=240).step_by(20) {
        for h in (10..=80).step_by(10) {
            d.state.set_size(w, h);
            for (name, setup) in &screens {
                setup(&mut d);
                problems.extend(
                    writes_outside(&d, w, h)
                        .into_iter()
                        .map(|p| format!("{name}: {p}")),
                );
                // Every region drawn together still fills the frame exactly.
                let text = render(&d.state, &dark(), w, h);
                assert_eq!(text.lines().count(), h as usize);
                d.state.handle(Intent::Text(TextKey::Esc));
                d.state.ui.overlay = None;
                d.state.handle(Intent::Back);
                d.state.handle(Intent::Back);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn mono_theme_uses_no_colour() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    let mono = Theme::builtin("mono").unwrap_or_else(|e| panic!("{e}"));
    let keymap = opsdeck::keymap::Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    for open in [false, true] {
        if open {
            select_rollout(&mut d, "store");
            d.state.handle(Intent::Open);
        }
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40))
            .unwrap_or_else(|e| panic!("{e}"));
        term.draw(|f| {
            opsdeck::ui::draw(
                f,
                &opsdeck::ui::View {
                    state: &d.state,
                    theme: &mono,
                    keymap: &keymap,
                },
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
        for c in term.backend().buffer().content() {
            assert_eq!(
                (c.fg, c.bg),
                (Color::Reset, Color::Reset),
                "coloured cell {c:?}"
            );
        }
    }
}

#[test]
fn hostile_log_lines_reach_the_screen_harmless() {
    let mut d = Demo::new(1, Scenario::Steady);
    let mut line = d
        .state
        .logs
        .get(0)
        .cloned()
        .unwrap_or_else(|| panic!("no logs"));
    line.ts = d.state.now;
    line.message = format!(
        "title\x1b]0;pwned\x07 clear\x1b[2J clip\x1b]52;c;cm0gLXJmIH4=\x1b\\ bell\x07 {}",
        "x".repeat(10 * 1024 * 1024)
    );
    line.stack = vec!["\x1b[31mred\x1b[0m\tat X".into()];
    d.state.apply(Update::Logs(vec![line]));
    let stored = d
        .state
        .logs
        .iter()
        .last()
        .map(|l| l.message.clone())
        .unwrap_or_default();
    assert!(
        stored.starts_with("title clear clip bell xxx"),
        "{}",
        &stored[..40]
    );
    assert!(
        stored.len() <= 64 * 1024 + 32,
        "cut to 64 KiB: {}",
        stored.len()
    );
    assert!(stored.ends_with("…[truncated]"));
    d.state.handle(Intent::Focus(Pane::Logs));
    d.state.handle(Intent::Expand);
    for (w, h) in SIZES {
        d.state.set_size(w, h);
        let text = render(&d.state, &dark(), w, h);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control character on screen"
        );
        assert!(!text.contains("pwned") && !text.contains("cm0g"), "{text}");
        assert!(text.contains("title clear"), "{text}");
    }
}

/// On Argo CD 3.x defaults (the shop platform) the CR keeps no per-resource health: the
/// detail says so and shows `?`, not a healthy-looking blank.
#[test]
fn application_detail_without_per_resource_health_says_why() {
    let mut d = Demo::on("shop", 1, Scenario::Steady);
    select(&mut d, Pane::Apps, |s, i| s.apps[i].name == "member");
    d.state.handle(Intent::Open);
    d.answer_demand();
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("per-resource health is not in the Application"),
        "{text}"
    );
    assert!(text.contains("✓ Synced    ?"), "{text}");
    insta::assert_snapshot!("app_detail_shop_120x40", text);
}

#[test]
fn application_detail_shows_what_the_source_knows() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    select(&mut d, Pane::Apps, |s, i| s.apps[i].name == "store");
    d.state.handle(Intent::Open);
    d.answer_demand();
    let text = render(&d.state, &dark(), 120, 40);
    for want in [
        "resources   6",
        "Rollout          store",
        "last sync: configured",
        "hooks       PreSync Job store-db-migrate Succeeded",
        "argocd/store",
        "project",
        "services",
        "automated, wave 5",
        "registry.dev.local:5000/store:",
        "history",
        "deployed",
        "⏸ Suspended",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    insta::assert_snapshot!("app_detail_120x40", text);
    d.state.set_size(200, 60);
    insta::assert_snapshot!("app_detail_200x60", render(&d.state, &dark(), 200, 60));
    // At 80×24 long fields wrap; the box grows with them, so the history still shows.
    d.state.set_size(80, 24);
    let text = render(&d.state, &dark(), 80, 24);
    insta::assert_snapshot!("app_detail_80x24", text);
    assert!(
        text.contains("more (j/k)") && !text.contains("PreSync Job"),
        "{text}"
    );
    // Taller than the screen: it scrolls to its last rows, and says nothing more is below.
    d.state.handle(Intent::Bottom);
    let text = render(&d.state, &dark(), 80, 24);
    assert!(text.contains("PreSync Job store-db-migrate"), "{text}");
    assert!(!text.contains("more (j/k)"), "{text}");
    d.state.handle(Intent::Top);
    assert!(
        text.contains("history") && text.contains("deployed"),
        "{text}"
    );
    d.state.set_size(120, 40);
    // From the detail: s opens the sync confirmation for this app; Enter goes to the cockpit.
    d.state.handle(Intent::Act(ActionKind::Sync));
    assert!(render(&d.state, &dark(), 120, 40).contains("$ argocd app sync store"));
    d.state.handle(Intent::Cancel);
    d.state.handle(Intent::Open);
    d.state.handle(Intent::Open);
    assert!(matches!(
        d.state.ui.screen,
        opsdeck::state::Screen::Cockpit { .. }
    ));
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("pods ") && text.contains("available"),
        "{text}"
    );
}

#[test]
fn an_expanded_stack_trace_near_the_bottom_scrolls_into_view() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.state.set_size(120, 30);
    d.state.handle(Intent::Focus(Pane::Logs));
    d.state.handle(Intent::Zoom);
    d.state.handle(Intent::Up);
    d.state.handle(Intent::Expand);
    let text = render(&d.state, &dark(), 120, 30);
    assert!(text.contains("thread http-nio-8080-exec-"), "{text}");
    assert!(text.contains("java.lang.IllegalStateException"), "{text}");
    assert!(
        text.contains("... 48 common frames omitted"),
        "the whole trace fits:\n{text}"
    );
}

#[test]
fn read_only_offers_no_action_and_the_help_marks_them_refused() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.state.context.read_only = true;
    select_rollout(&mut d, "store");
    let screen = support::render(&d.state, &dark(), 120, 40);
    let footer = screen.lines().last().unwrap_or("");
    for refused in ["promote", "abort", "retry", "restart", "sync"] {
        assert!(!footer.contains(refused), "{refused} offered: {footer}");
    }
    assert!(screen.contains("READ-ONLY"), "{screen}");
    d.state.handle(opsdeck::state::Intent::Help);
    let help = support::render(&d.state, &dark(), 120, 40);
    assert!(help.contains("(refused: read-only)"), "{help}");
    // Not read-only: offered, and not marked.
    d.state.context.read_only = false;
    d.state.handle(opsdeck::state::Intent::Help);
    let screen = support::render(&d.state, &dark(), 120, 40);
    assert!(screen.lines().last().unwrap_or("").contains("promote"));
}

#[test]
fn a_canary_judged_worse_says_so_in_the_list_and_in_the_promote_confirmation() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    select_rollout(&mut d, "store");
    let text = render(&d.state, &dark(), 200, 60);
    let row = text
        .lines()
        .find(|l| l.contains("store") && l.contains("Paused"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("✗ worse") && !row.contains("promote?"),
        "{row}"
    );
    assert!(row.contains("✗ GET /products: canary fails"), "{row}");
    d.state.handle(Intent::Act(ActionKind::Promote));
    let text = render(&d.state, &dark(), 120, 40);
    assert!(
        text.contains("✗ the cockpit judges the canary worse: GET /products"),
        "{text}"
    );
    assert!(text.contains("Type \"store\" to confirm"), "{text}");
}

#[test]
fn errors_per_minute_are_a_rolling_minute_that_does_not_drop_as_the_clock_minute_turns() {
    // One second after the minute turned, 50 ERROR lines in the last 40 s.
    let now = start() + chrono::Duration::seconds(1);
    let mut s = State::new(support::context(), now, 1000);
    s.set_size(120, 40);
    let lines = (0..50)
        .map(|i| {
            support::error_line(
                now - chrono::Duration::milliseconds(40_000 - i * 700),
                "store",
                "store-5f6b8d9c7-wv5mn",
                format!("request {i} failed"),
            )
        })
        .collect();
    s.apply(Update::Logs(lines));
    s.apply(Update::Clock(now));
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Zoom);
    let text = render(&s, &dark(), 120, 40);
    let row = text
        .lines()
        .find(|l| l.contains("errors/min (rolling"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(" 50 "), "{row}");
}

#[test]
fn the_logs_title_keeps_its_state_before_a_long_query_and_counts_lines_since_the_pause() {
    let now = start();
    let mut s = State::new(support::context(), now, 1000);
    s.context.log_query = opsdeck::query::LogQuery::opensearch(
        r#"{"bool":{"filter":[{"terms":{"kubernetes.namespace_name.keyword":["shop-api","shop-front"]}}],"must":[{"multi_match":{"fields":["log","message"],"query":"ERROR","type":"phrase"}}]}}"#,
    );
    s.set_size(80, 24);
    let line = |i: i64| {
        support::error_line(
            now + chrono::Duration::seconds(i),
            "goods",
            "goods-6d9f7c8b54-x2x9k",
            format!("request {i} failed"),
        )
    };
    s.apply(Update::Logs((0..5).map(line).collect()));
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Up);
    s.apply(Update::Logs((5..8).map(line).collect()));
    let text = render(&s, &dark(), 80, 24);
    let title = text
        .lines()
        .find(|l| l.contains("Error logs"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(title.contains("paused, 3 new (f follows)"), "{title}");
    assert!(
        title.contains("{\"bool\":") && title.contains('…'),
        "{title}"
    );
    // A search says how many lines match and which one is selected, before the query.
    s.handle(Intent::Search);
    for c in "request 1".chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
    let title = |s: &State| {
        render(s, &dark(), 80, 24)
            .lines()
            .find(|l| l.contains("Error logs"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    // While typing: the count so far ("request 1" only).
    assert!(title(&s).contains("search: request 1▌ 1 "), "{}", title(&s));
    s.handle(Intent::Text(TextKey::Backspace));
    s.handle(Intent::Text(TextKey::Enter));
    assert!(
        title(&s).contains("search: request  8/8 (n/N)"),
        "{}",
        title(&s)
    );
    s.handle(Intent::SearchPrev);
    s.handle(Intent::SearchPrev);
    assert!(title(&s).contains("6/8"), "{}", title(&s));
    s.apply(Update::Logs(vec![line(9)]));
    assert!(title(&s).contains("6/9"), "{}", title(&s));
}

#[test]
fn the_header_says_what_is_wrong_at_every_width_and_marks_the_panes_that_hold_it() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(60);
    for w in [40u16, 60, 80, 90, 120, 160, 200] {
        let text = render(&d.state, &dark(), w, 30);
        let header = text.lines().next().unwrap_or_default();
        assert!(header.contains('⚠'), "{w}: {header}");
        if w >= 60 {
            // The worst problem is named, not only counted.
            assert!(header.contains("worse"), "{w}: {header}");
        }
        if w >= 120 {
            assert!(header.contains("1 canary worse 2 warning"), "{w}: {header}");
        }
        // Compact below 120×40: the strip marks Rollouts and Alerts.
        if w < 120 {
            assert!(
                header.contains("2!") && header.contains("6!") && !header.contains("1!"),
                "{w}: {header}"
            );
        }
    }
    // Nothing wrong says so, unless a source is down (then nothing is claimed). The steady
    // platform's one expiring certificate is set aside for this.
    let mut d = Demo::new(1, Scenario::Steady);
    d.state.apply(Update::Certificates(Ok(Vec::new())));
    let first = |s: &State, w| {
        render(s, &dark(), w, 30)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        first(&d.state, 80).contains("✓ all clear"),
        "{}",
        first(&d.state, 80)
    );
    assert!(first(&d.state, 40).contains('✓'), "{}", first(&d.state, 40));
    d.state.apply(Update::SourceHealth {
        source: SourceId::Alerts,
        health: Health::Error("connection refused".into()),
    });
    assert!(
        !first(&d.state, 120).contains("all clear"),
        "{}",
        first(&d.state, 120)
    );
    assert!(
        first(&d.state, 120).contains("✗ alerts"),
        "{}",
        first(&d.state, 120)
    );
}

#[test]
fn spring_boot_lines_of_every_shape_show_their_message_first_in_a_narrow_pane() {
    use opsdeck::sources::logs::{Entry, Interner, to_log_line};
    use std::collections::BTreeMap;
    let p = format!(
        "{}/tests/fixtures/logs/spring-boot.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let labels: BTreeMap<String, String> = [("app", "orders"), ("pod", "orders-7c9d8b6f5-abcde")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let labels = std::sync::Arc::new(labels);
    let mut names = Interner::default();
    let now = start();
    let lines: Vec<_> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let e = Entry {
                ts_ns: i128::from(now.timestamp_nanos_opt().unwrap_or(0)) + i as i128 * 1_000_000,
                labels: labels.clone(),
                line: l.to_string(),
            };
            to_log_line(&e, &[], &mut names)
        })
        .collect();
    // The JSON lines carry their stack in a field: it is folded under the line.
    assert_eq!(lines[7].stack.len(), 4);
    assert_eq!(lines[11].stack.len(), 2);
    let mut s = State::new(support::context(), now, 1000);
    s.apply(Update::Logs(lines));
    s.handle(Intent::Focus(Pane::Logs));
    s.handle(Intent::Zoom);
    for w in [60u16, 120] {
        let screen = render(&s, &dark(), w, 30);
        // No line shows the header a narrow pane would otherwise be filled with.
        assert!(!screen.contains("---"), "{w}:\n{screen}");
        assert!(!screen.contains("\"@timestamp\""), "{w}:\n{screen}");
        for msg in [
            "Starting Servlet Engine",
            "Hello from service1",
            "example ERROR",
            "Order 42 failed",
            "No active profile set",
        ] {
            assert!(screen.contains(msg), "{w}: {msg}\n{screen}");
        }
        // Lines that are not Spring Boot's keep their text.
        assert!(screen.contains("09:12:33.456 [main]"), "{w}:\n{screen}");
        if std::env::var("PEEK").is_ok() {
            println!("{screen}");
        }
    }
    let wide = render(&s, &dark(), 120, 30);
    assert!(wide.contains("StandardEngine: Starting Servlet"), "{wide}");
    assert!(wide.contains("MdcLogstash: example ERROR ▸+4"), "{wide}");
}

#[test]
fn the_cockpit_keeps_its_status_and_verdict_at_40x10_and_its_charts_share_a_time_axis() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Open);
    let small = render(&d.state, &dark(), 40, 10);
    if std::env::var("PEEK").is_ok() {
        println!("{small}");
    }
    assert!(small.contains("Paused"), "{small}");
    assert!(small.contains("✗ canary worse"), "{small}");
    assert!(
        !small.contains("CPU cores"),
        "the charts go first:\n{small}"
    );
    let big = render(&d.state, &dark(), 120, 40);
    // One y scale per pair, its window, a time axis ending at now for both tracks.
    assert!(big.contains("CPU cores per pod · 15m · scale 0–"), "{big}");
    // The errors' verdict before their scale, which a wider screen shows too.
    assert!(big.contains("Errors/min · 5m · canary worse: "), "{big}");
    let wider = render(&d.state, &dark(), 200, 60);
    assert!(wider.contains("lines (p < 0.001) · scale 0–"), "{wider}");
    assert!(big.contains("5m avg"), "{big}");
    let axis = big
        .lines()
        .find(|l| l.contains("-15m") && l.contains("-5m"))
        .unwrap_or_else(|| panic!("{big}"));
    assert_eq!(axis.matches("now").count(), 2, "{axis}");
    // The canary started minutes ago: its CPU columns are at the right, where now is,
    // the same columns as stable's last ones.
    let lines: Vec<&str> = big.lines().collect();
    let canary_row = lines
        .iter()
        .position(|l| l.contains("┃canary "))
        .unwrap_or_else(|| panic!("{big}"));
    let cpu_half: String = lines[canary_row].chars().take(58).collect();
    let first_bar = cpu_half
        .chars()
        .skip(15)
        .position(|c| c != ' ')
        .unwrap_or(0);
    assert!(first_bar > 20, "canary CPU drawn from the left: {cpu_half}");
    // The sample under every rate.
    assert!(big.contains("REQS/1m"), "{big}");
    assert!(
        big.contains("canary fails 7.8 pts more often (95% CI"),
        "{big}"
    );
    assert!(big.contains("worse +7.8 ("), "{big}");
}

#[test]
fn nothing_panics_at_any_size_down_to_1x1_nor_in_any_pane_0_to_3_rows_high() {
    use opsdeck::ui::{self, Region, View};
    use ratatui::layout::Rect;
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(120);
    let theme = dark();
    let keymap = opsdeck::keymap::Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
    // Whole screens from 1×1 up, the cockpit and an overlay too.
    for (w, h) in (1..=40u16).flat_map(|w| (1..=12u16).map(move |h| (w, h))) {
        d.state.set_size(w, h);
        let _ = render(&d.state, &theme, w, h);
    }
    select_rollout(&mut d, "store");
    d.state.handle(Intent::Open);
    for (w, h) in (1..=40u16).flat_map(|w| (1..=12u16).map(move |h| (w, h))) {
        d.state.set_size(w, h);
        let _ = render(&d.state, &theme, w, h);
    }
    d.state.handle(Intent::Back);
    // Each pane alone in a strip 0 to 3 rows high, 0 to 60 wide.
    let v = View {
        state: &d.state,
        theme: &theme,
        keymap: &keymap,
    };
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(64, 8))
        .unwrap_or_else(|e| panic!("{e}"));
    for pane in Pane::ALL {
        for h in 0..=3u16 {
            for w in (0..=60u16).step_by(3) {
                term.draw(|f| ui::draw_region(f, Region::Pane(pane), Rect::new(1, 1, w, h), &v))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

#[test]
fn an_action_on_its_way_stays_in_the_footer_until_its_outcome() {
    let mut d = Demo::new(1, Scenario::Steady);
    select_rollout(&mut d, "user");
    d.state.handle(Intent::Act(ActionKind::Promote));
    let cmds = d.state.handle(Intent::Confirm);
    assert_eq!(cmds.len(), 1);
    // The "… promote user" flash has gone; the wait is still said, with its seconds.
    let later = d.state.wall + chrono::Duration::seconds(12);
    d.state.tick(later);
    let text = render(&d.state, &dark(), 120, 40);
    let footer = text.lines().last().unwrap_or_default();
    assert!(
        footer.contains("… waiting for the answer: promote user (12s)"),
        "{footer}"
    );
}

/// What a sync would change: a rolled-back chart's labels, coloured hunks, then what is in
/// sync; at three sizes, and in words when there is no Argo CD API server.
#[test]
fn the_diff_view_shows_what_a_sync_would_change() {
    let mut d = Demo::new(1, Scenario::Steady);
    d.act_to(
        opsdeck::model::ActionKind::Rollback,
        "trust-manager",
        Some(2),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    snap("diff", &mut d, |d| {
        d.state.ui.overlay = None;
        select(d, Pane::Apps, |s, i| s.apps[i].name == "trust-manager");
        d.state.handle(Intent::Diff);
    });
    let text = render(&d.state, &dark(), 120, 40);
    for want in [
        "Diff · argocd/trust-manager → desired state",
        "3 modified",
        "▸ Deployment cert-manager/trust-manager · modified · +4 −4",
        "-     app.kubernetes.io/version: v0.13.9",
        "+     app.kubernetes.io/version: v0.14.0",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    assert!(
        !text.contains("managedFields") && !text.contains("resourceVersion"),
        "{text}"
    );
    d.state.context.argocd_server = None;
    d.state.set_size(120, 40);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("ARGOCD_AUTH_TOKEN"), "{text}");
    insta::assert_snapshot!("diff_no_server_120x40", text);
}

/// A pod's YAML: its describe-like summary first, managedFields folded; at three sizes.
#[test]
fn the_yaml_view_of_a_crashing_pod() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(400);
    snap("object_pod", &mut d, |d| {
        d.state.ui.overlay = None;
        select_rollout(d, "store");
        d.state.handle(Intent::Pods);
        d.answer_demand();
        d.state.handle(Intent::Yaml);
    });
    let text = render(&d.state, &dark(), 120, 40);
    for want in [
        "YAML · Pod dev/store-",
        "Status Running",
        "Container store",
        "managedFields: ‹",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

#[test]
fn the_trace_of_a_bad_canarys_failing_request_from_the_cockpit() {
    let mut d = Demo::new(1, Scenario::BadCanary);
    d.run(400);
    snap("trace_bad_canary", &mut d, |d| {
        d.state.ui.overlay = None;
        select_rollout(d, "store");
        d.state.handle(Intent::Open);
        d.answer_demand();
        // The canary's worst trace (the list puts the canary's first), its spans, the failing
        // one's details.
        d.state.handle(Intent::Top);
        d.state.handle(Intent::Open);
        d.answer_demand();
        d.state.handle(Intent::Bottom);
        d.state.handle(Intent::Open);
    });
    let text = render(&d.state, &dark(), 120, 40);
    for want in [
        "✗ 4 errors",
        "PriceMapper.toDto",
        "exception.message=java.lang.IllegalStateException: Product price is null",
        "k8s.pod.name = store-",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    // The cockpit it came from lists canary and stable traces, worst first.
    d.state.handle(Intent::Trace);
    let cockpit = render(&d.state, &dark(), 120, 40);
    assert!(cockpit.contains("▶ ✗ canary"), "{cockpit}");
    assert!(cockpit.contains("stable"), "{cockpit}");
}

#[test]
fn a_trace_with_hostile_names_an_orphan_and_ten_thousand_spans_draws_in_its_box() {
    use opsdeck::model::trace::{Span, build};
    let mut d = Demo::new(1, Scenario::Steady);
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let span = |sid: &str, parent: &str, start: i64, dur: i64, name: &str| Span {
        span_id: sid.into(),
        parent: parent.into(),
        service: "store\u{1b}[2J\u{7}".into(),
        name: name.into(),
        start_us: start,
        duration_us: dur,
        error: name.contains("fail"),
        attributes: vec![("http.url".into(), "/x?\u{1b}]52;c;cm0gLXJm\u{7}".into())],
        ..Default::default()
    };
    let spans = vec![
        span("a", "", 0, 1_000_000, "GET /\u{1b}[31mred"),
        span(
            "b",
            "a",
            10,
            400_000,
            "文字化け 日本語の長いスパン名前がここにあります fail",
        ),
        span("c", "€€€€€€€€€€€€€€€€€€€€", 500_000, 20_000, "orphan"),
        span("z", "a", 999_999, 0, "zero width at the very end"),
    ];
    d.state.set_size(80, 24);
    d.state.handle(Intent::CommandLine);
    for c in format!("trace {id}").chars() {
        d.state.handle(Intent::Text(TextKey::Char(c)));
    }
    d.state.handle(Intent::Text(TextKey::Enter));
    assert_eq!(d.state.demand().trace.as_deref(), Some(id));
    // State cleans what it is given: the escape sequences never reach the screen.
    let u = Update::Trace {
        id: id.into(),
        trace: Ok(build(id.into(), spans)),
        store: "tempo at http://t/\u{1b}[H".into(),
    };
    d.state.apply(u);
    d.state.handle(Intent::Down);
    d.state.handle(Intent::Open);
    for (w, h) in SIZES {
        d.state.set_size(w, h);
        let text = render(&d.state, &dark(), w, h);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("missing parent"), "{text}");
        assert!(text.contains("incomplete: 1 span"), "{text}");
        insta::assert_snapshot!(format!("trace_hostile_{w}x{h}"), text);
    }
    // 10,000 spans in one chain: drawn (only the rows on screen), moved through, folded.
    let chain: Vec<Span> = (0..10_000)
        .map(|i| {
            let parent = if i == 0 {
                String::new()
            } else {
                format!("s{}", i - 1)
            };
            span(
                &format!("s{i}"),
                &parent,
                i * 10,
                200_000 - i * 10,
                &format!("op {i}"),
            )
        })
        .collect();
    d.state.apply(Update::Trace {
        id: id.into(),
        trace: Ok(build(id.into(), chain)),
        store: String::new(),
    });
    d.state.handle(Intent::Open);
    d.state.handle(Intent::Bottom);
    let text = render(&d.state, &dark(), 120, 40);
    assert!(text.contains("op 9999"), "{text}");
    assert!(!text.contains("op 100 "), "only the rows on screen: {text}");
    d.state.handle(Intent::Top);
    d.state.handle(Intent::Expand);
    assert_eq!(d.state.trace_rows().len(), 1, "the root folds all");
}
