//! What the State tests beside each module share: a seeded demo platform fed into a State,
//! the reference clock, a log line, and the names they use.

pub use super::*;
pub use crate::layout::Pane;
pub use crate::model::*;
pub use crate::sources::demo::{Scenario, Sim};
pub use chrono::{DateTime, TimeZone, Timelike, Utc};

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn context(read_only: bool) -> Context {
    Context {
        name: "k3d-dev (demo)".into(),
        namespace: "dev".into(),
        argocd_namespace: "argocd".into(),
        argocd_server: Some("the demo's Argo CD".into()),
        demo: true,
        read_only,
        log_query: "{namespace=\"dev\"}".into(),
        protected: false,
        user: "alice".into(),
    }
}

pub fn demo(scenario: Scenario, read_only: bool) -> (State, Sim) {
    let mut sim = Sim::new(7, scenario, start());
    let mut s = State::new(context(read_only), start(), 50_000);
    s.set_size(120, 40);
    for u in sim.snapshot() {
        s.apply(u);
    }
    (s, sim)
}

pub fn select_rollout(s: &mut State, name: &str) {
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

/// An ERROR line of `service`'s pod `pod`, `secs` after the start, saying `message`.
pub fn error_line(secs: i64, service: &str, pod: &str, message: &str) -> LogLine {
    LogLine {
        ts: start() + chrono::Duration::seconds(secs),
        level: Level::Error,
        service: service.into(),
        pod: pod.into(),
        track: None,
        logger: "".into(),
        message: message.into(),
        trace_id: String::new(),
        thread: "".into(),
        stack: vec![],
    }
}
