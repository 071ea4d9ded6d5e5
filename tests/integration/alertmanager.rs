//! The alerts pane and the silence actions against a real Alertmanager (Debian's
//! `prometheus-alertmanager`), started on a free loopback port with a temporary storage dir.

use crate::support;

use crate::support::servers;
use chrono::Utc;
use futures::future::BoxFuture;
use opsdeck::layout::Pane;
use opsdeck::model::AlertState;
use opsdeck::model::{ActionError, ActionKind, ActionRequest, Operator};
use opsdeck::net::http::Endpoint;
use opsdeck::ops::alertmanager::{Silencer, silence_body};
use opsdeck::ops::router::ActionRouter;
use opsdeck::sources::alertmanager::{self, Alertmanager};
use opsdeck::state::{Command, Health, Intent, SourceId, State, TextKey, Update};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

struct NoKube;

impl Operator for NoKube {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        Box::pin(async move {
            Err(ActionError::Unsupported(format!(
                "{} is not for this test",
                req.kind.as_str()
            )))
        })
    }
}

/// The reference platform's alerts: node CPU, pod CPU, Spring ERROR logs.
fn alerts() -> Value {
    let starts = (Utc::now() - chrono::Duration::minutes(7)).to_rfc3339();
    json!([
        {"labels": {"alertname": "NodeHighCPU", "severity": "warning", "node": "k3d-dev-agent-1", "instance": "k3d-dev-agent-1:9100"},
         "annotations": {"summary": "Node CPU above 80% for 5 minutes", "description": "agent-1 runs at 93%"},
         "startsAt": starts},
        {"labels": {"alertname": "PodHighCPU", "severity": "warning", "namespace": "dev", "pod": "store-5f6b8d9c7-wv5mn"},
         "annotations": {"summary": "store pod uses 0.9 cores"}, "startsAt": starts},
        {"labels": {"alertname": "SpringErrorLogs", "severity": "critical", "namespace": "dev", "service": "store"},
         "annotations": {"summary": "store logs 4.2 ERROR lines/s"}, "startsAt": starts}
    ])
}

async fn post_alerts(base: &str) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v2/alerts"))
        .json(&alerts())
        .send()
        .await
        .unwrap_or_else(|e| panic!("posting alerts: {e}"));
    assert!(r.status().is_success(), "{}", r.status());
}

async fn silences(base: &str) -> Vec<Value> {
    let r = reqwest::get(format!("{base}/api/v2/silences"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    r.json::<Vec<Value>>()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn until(
    rx: &mut mpsc::Receiver<Update>,
    s: &mut State,
    what: &str,
    done: impl Fn(&State) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(s) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                s.now = Utc::now();
                s.wall = Utc::now();
                s.apply(u);
            }
            _ => panic!(
                "timed out waiting for {what}: {:?}",
                s.source(SourceId::Alerts)
            ),
        }
    }
}

fn select_alert(s: &mut State, name: &str) {
    s.handle(Intent::Focus(Pane::Alerts));
    s.handle(Intent::Top);
    for _ in 0..20 {
        if s.selected_alert().is_some_and(|a| a.name == name) {
            return;
        }
        s.handle(Intent::Down);
    }
    panic!("{name} not in the alerts pane");
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        s.handle(Intent::Text(TextKey::Char(c)));
    }
}

/// Confirms the open dialog and runs the action as the loop would.
async fn run_confirmed(s: &mut State, op: &ActionRouter) -> Result<String, ActionError> {
    let cmds = s.handle(Intent::Text(TextKey::Enter));
    let Some(Command::Run(req)) = cmds.into_iter().next() else {
        panic!("nothing to run; flash: {:?}", s.flash);
    };
    op.run(req).await
}

fn dark() -> opsdeck::theme::Theme {
    opsdeck::theme::Theme::builtin("dark").unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_silences_and_an_outage_against_a_real_alertmanager() {
    let mut am_server = servers::alertmanager("am");
    let base = am_server.url();
    post_alerts(&base).await;
    let am = Alertmanager::new(Endpoint::direct(&base, None).unwrap_or_else(|e| panic!("{e}")));
    let (tx, mut rx) = mpsc::channel(64);
    let poll = alertmanager::spawn(am.clone(), Duration::from_millis(300), tx);
    let op = ActionRouter {
        platform: Arc::new(NoKube),
        alerts: Some(Arc::new(Silencer::new(am.endpoint.clone()))),
        argocd: None,
    };
    let mut ctx = support::context();
    ctx.demo = false;
    let mut s = State::new(ctx, Utc::now(), 100);
    s.set_size(200, 60);
    until(&mut rx, &mut s, "three alerts", |s| s.alerts.len() == 3).await;

    // Firing, critical first; what each is about; how long it has fired.
    let names: Vec<&str> = s.alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["SpringErrorLogs", "NodeHighCPU", "PodHighCPU"]);
    assert!(s.alerts.iter().all(|a| a.state == AlertState::Firing));
    s.handle(Intent::Focus(Pane::Alerts));
    s.handle(Intent::Zoom);
    let screen = support::render(&s, &dark(), 200, 60);
    s.handle(Intent::Zoom);
    for want in [
        "3 firing",
        "● critical SpringErrorLogs",
        "store",
        "k3d-dev-agent-1",
        "7m",
        "Node CPU above 80% for 5 minutes — agent-1 runs at 93%",
    ] {
        assert!(screen.contains(want), "{want:?} not on screen:\n{screen}");
    }

    // Silence NodeHighCPU for 4h through opsdeck, with a comment.
    select_alert(&mut s, "NodeHighCPU");
    s.handle(Intent::Act(ActionKind::Silence));
    typed(&mut s, "agent-1 is being drained");
    s.handle(Intent::Text(TextKey::Tab));
    s.handle(Intent::Text(TextKey::Backspace));
    s.handle(Intent::Text(TextKey::Backspace));
    typed(&mut s, "4h");
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(
        screen.contains("Silence alert") && screen.contains("Duration: 4h"),
        "{screen}"
    );
    let done = run_confirmed(&mut s, &op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(done.starts_with("silenced for 4h"), "{done}");
    let sil = silences(&base).await;
    assert_eq!(sil.len(), 1, "{sil:?}");
    let sl = &sil[0];
    assert_eq!(sl["status"]["state"], "active");
    assert_eq!(sl["createdBy"], "alice");
    assert_eq!(sl["comment"], "agent-1 is being drained");
    let mut matchers: Vec<(String, String, bool)> = sl["matchers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["name"].as_str().unwrap_or("").to_string(),
                        m["value"].as_str().unwrap_or("").to_string(),
                        m["isRegex"].as_bool().unwrap_or(true),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    matchers.sort();
    assert_eq!(
        matchers,
        vec![
            ("alertname".into(), "NodeHighCPU".into(), false),
            ("instance".into(), "k3d-dev-agent-1:9100".into(), false),
            ("node".into(), "k3d-dev-agent-1".into(), false),
        ]
    );
    let span = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Alertmanager moves a start in the (just) past to its own now.
    let secs = (span(&sl["endsAt"]) - span(&sl["startsAt"])).num_seconds();
    assert!((4 * 3600 - 5..=4 * 3600).contains(&secs), "{secs}");
    let id = sl["id"].as_str().unwrap_or("").to_string();

    // The pane hides it (and says so); `i` shows it, dimmed, with the silence.
    until(&mut rx, &mut s, "the silenced alert", |s| {
        s.alerts
            .iter()
            .any(|a| a.name == "NodeHighCPU" && a.state == AlertState::Suppressed)
    })
    .await;
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(
        screen.contains("2 firing") && screen.contains("1 silenced/inhibited (hidden"),
        "{screen}"
    );
    assert_eq!(s.filtered_len(Pane::Alerts), 2);
    s.handle(Intent::ToggleSuppressed);
    assert_eq!(s.filtered_len(Pane::Alerts), 3);
    let muted = s
        .alerts
        .iter()
        .find(|a| a.name == "NodeHighCPU")
        .map(|a| a.silenced_by.clone());
    assert_eq!(muted, Some(vec![id.clone()]));
    // With its silence in words: until when, by whom, why.
    s.handle(Intent::Focus(Pane::Alerts));
    s.handle(Intent::Zoom);
    let screen = support::render(&s, &dark(), 200, 60);
    s.handle(Intent::Zoom);
    let row = screen
        .lines()
        .find(|l| l.contains("NodeHighCPU"))
        .unwrap_or_else(|| panic!("{screen}"));
    let ends = span(&sl["endsAt"]).with_timezone(&chrono::Utc);
    let until_text = if ends.date_naive() == s.now.date_naive() {
        ends.format("%H:%M").to_string()
    } else {
        ends.format("%m-%d %H:%M").to_string()
    };
    assert!(
        row.contains(&format!(
            "silenced until {until_text} UTC by alice: agent-1 is being drained"
        )),
        "{row}"
    );

    // Expire it.
    select_alert(&mut s, "NodeHighCPU");
    s.handle(Intent::Act(ActionKind::Expire));
    let cmds = s.handle(Intent::Confirm);
    let Some(Command::Run(req)) = cmds.into_iter().next() else {
        panic!("no run")
    };
    let done = op.run(req).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done, format!("expired {id}"));
    let sil = silences(&base).await;
    assert_eq!(sil[0]["status"]["state"], "expired");
    until(&mut rx, &mut s, "firing again", |s| {
        s.alerts
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count()
            == 3
    })
    .await;

    // A silence Alertmanager refuses comes back in its words.
    let bad = silence_body(
        &[("alertname".into(), "X".into())],
        Utc::now(),
        0,
        "alice",
        "x",
    );
    let e = Silencer::new(Endpoint::direct(&base, None).unwrap_or_else(|e| panic!("{e}")))
        .create(&bad)
        .await
        .err()
        .unwrap_or_else(|| panic!("a silence ending when it starts was accepted"));
    assert!(matches!(e, ActionError::Rejected(_)), "{e:?}");
    assert!(e.to_string().starts_with("Alertmanager: "), "{e}");

    // Alertmanager stops: the pane keeps its alerts, with the error and its age.
    am_server.stop();
    until(&mut rx, &mut s, "the error", |s| {
        matches!(s.source(SourceId::Alerts).health, Health::Error(_))
    })
    .await;
    assert_eq!(s.alerts.len(), 3, "last good alerts kept");
    let screen = support::render(&s, &dark(), 200, 60);
    assert!(screen.contains("⚠ stale"), "{screen}");
    // And comes back (alerts live in memory: Prometheus sends them again).
    am_server.start();
    post_alerts(&base).await;
    until(&mut rx, &mut s, "recovery", |s| {
        s.source(SourceId::Alerts).health == Health::Ok
    })
    .await;
    poll.abort();
}
