//! One pod's log, every level, in its own ring: opened from a pod in the pods view, read for as
//! long as it is on screen (`Demand.pod_log`), with the logs pane's follow, search, wrap, copy
//! and stack traces. The error-log tail is not touched: its ring keeps its own lines.

use super::{Command, Fetch, FlashKind, Intent, Overlay, State};
use crate::model::{LogLine, LogRing, POD_LOG_LINES, PodLogTarget};

/// What State holds of the pod's log on screen.
#[derive(Clone, Debug)]
pub struct PodLog {
    pub target: PodLogTarget,
    pub lines: LogRing,
    pub fetch: Fetch,
}

impl State {
    /// The container log on screen, if any.
    pub fn pod_log_target(&self) -> Option<PodLogTarget> {
        match &self.ui.overlay {
            Some(Overlay::PodLog { target, .. }) => Some(target.clone()),
            _ => None,
        }
    }

    /// The held log of `target`, if it is what is held.
    pub fn pod_log(&self, target: &PodLogTarget) -> Option<&PodLog> {
        self.pod_log.as_ref().filter(|l| l.target == *target)
    }

    /// Lines of the log on screen (`reset`: the first answer of a new read, which replaces what
    /// was held); answers for another target are dropped. A failed read keeps the lines.
    pub(super) fn apply_pod_log(
        &mut self,
        target: PodLogTarget,
        lines: Result<Vec<LogLine>, String>,
        reset: bool,
    ) -> bool {
        if self.pod_log_target().as_ref() != Some(&target) {
            return false;
        }
        let held = self.pod_log.get_or_insert_with(|| PodLog {
            target: target.clone(),
            lines: LogRing::new(POD_LOG_LINES),
            fetch: Fetch::Waiting,
        });
        if held.target != target {
            *held = PodLog {
                target,
                lines: LogRing::new(POD_LOG_LINES),
                fetch: Fetch::Waiting,
            };
        }
        match lines {
            Ok(lines) => {
                if reset {
                    held.lines = LogRing::new(POD_LOG_LINES);
                }
                let changed = !lines.is_empty() || held.fetch != Fetch::Listed;
                for l in lines {
                    held.lines.insert(l);
                }
                held.fetch = Fetch::Listed;
                changed
            }
            Err(e) => {
                let changed = held.fetch != Fetch::Failed(e.clone());
                held.fetch = Fetch::Failed(e);
                changed
            }
        }
    }

    /// Enter on a pod in the pods view: its default container's log.
    pub(super) fn open_pod_log(&mut self) {
        let Some(Overlay::Pods {
            namespace,
            name,
            selected,
        }) = self.ui.overlay.clone()
        else {
            return;
        };
        let pod = self
            .rollout(&namespace, &name)
            .and_then(|r| self.below(r))
            .and_then(|b| b.pods.get(selected))
            .map(|(_, p)| p.clone());
        let Some(pod) = pod else {
            self.flash(FlashKind::Info, "select a pod (j/k) to read its log");
            return;
        };
        self.ui.overlay = Some(Overlay::PodLog {
            rollout: name,
            target: PodLogTarget {
                namespace,
                pod: pod.name,
                container: pod.default_container,
                previous: false,
            },
            containers: pod.container_names,
            selected: 0,
            follow: true,
            expanded: false,
        });
    }

    /// What the pod log view does with an intent; None: not its own.
    pub(super) fn on_pod_log(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        let n = self
            .pod_log_target()
            .and_then(|t| self.pod_log(&t).map(|l| l.lines.len()))
            .unwrap_or(0);
        let page = self.page();
        let hits: Vec<usize> = match intent {
            Intent::SearchNext | Intent::SearchPrev => self.pod_log_hits(),
            _ => Vec::new(),
        };
        let Some(Overlay::PodLog {
            rollout,
            target,
            containers,
            selected,
            follow,
            expanded,
        }) = &mut self.ui.overlay
        else {
            return None;
        };
        let last = n.saturating_sub(1);
        let from = if *follow { last } else { *selected };
        match intent {
            Intent::Up | Intent::Down | Intent::PageUp | Intent::PageDown => {
                let d: isize = match intent {
                    Intent::Up => -1,
                    Intent::Down => 1,
                    Intent::PageUp => -(page as isize),
                    _ => page as isize,
                };
                *selected = from.saturating_add_signed(d).min(last);
                *follow = *selected == last && d > 0;
                *expanded = false;
            }
            Intent::Top => {
                *selected = 0;
                *follow = false;
            }
            Intent::Bottom => {
                *selected = last;
                *follow = true;
            }
            Intent::Follow => {
                *follow = !*follow;
                *selected = from;
            }
            Intent::Expand | Intent::Open => {
                *selected = from;
                *follow = false;
                *expanded = !*expanded;
            }
            Intent::SearchNext | Intent::SearchPrev => {
                let next = if *intent == Intent::SearchNext {
                    hits.iter().find(|&&i| i > from).or(hits.first())
                } else {
                    hits.iter().rev().find(|&&i| i < from).or(hits.last())
                };
                if let Some(&i) = next {
                    *selected = i;
                    *follow = false;
                }
            }
            Intent::TogglePrevious => {
                target.previous = !target.previous;
                *selected = 0;
                *follow = true;
            }
            Intent::NextContainer => {
                let at = containers.iter().position(|c| *c == target.container);
                if let Some(c) = at
                    .map(|i| (i + 1) % containers.len().max(1))
                    .and_then(|i| containers.get(i))
                {
                    target.container = c.clone();
                    *selected = 0;
                    *follow = true;
                }
            }
            Intent::Back | Intent::Pods => {
                // Back to the pods view it came from.
                let (namespace, name) = (target.namespace.clone(), rollout.clone());
                self.ui.overlay = Some(Overlay::Pods {
                    namespace,
                    name,
                    selected: 0,
                });
            }
            Intent::Copy => return Some(self.copy_pod_log_line()),
            _ => return None,
        }
        Some(Vec::new())
    }

    /// The container log on screen is read through the log store in use: its current run,
    /// once a store answered, on a live cluster (the previous run only the API server has).
    pub fn pod_log_via_store(&self) -> bool {
        !self.context.demo
            && !self.log_store.is_empty()
            && self.pod_log_target().is_some_and(|t| !t.previous)
    }

    /// The records of the log on screen whose message matches the search.
    fn pod_log_hits(&self) -> Vec<usize> {
        let q = self.ui.logs.search.to_lowercase();
        let Some(log) = self.pod_log_target().and_then(|t| self.pod_log(&t)) else {
            return Vec::new();
        };
        if q.is_empty() {
            return Vec::new();
        }
        (0..log.lines.len())
            .filter(|&i| {
                log.lines
                    .get(i)
                    .is_some_and(|l| l.message.to_lowercase().contains(&q))
            })
            .collect()
    }

    fn copy_pod_log_line(&mut self) -> Vec<Command> {
        let Some(Overlay::PodLog {
            target,
            selected,
            follow,
            ..
        }) = &self.ui.overlay
        else {
            return Vec::new();
        };
        let Some(log) = self.pod_log(target) else {
            return Vec::new();
        };
        let i = if *follow {
            log.lines.len().saturating_sub(1)
        } else {
            *selected
        };
        let Some(l) = log.lines.get(i) else {
            return Vec::new();
        };
        vec![Command::Copy(super::handle::record_text(l, &target.pod))]
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Level, LogLine, PodLogTarget};
    use crate::state::tests::*;
    use crate::state::{Command, Fetch, Intent, Overlay, Update};

    fn line(secs: i64, msg: &str) -> LogLine {
        LogLine {
            ts: start() + chrono::Duration::seconds(secs),
            level: Level::Info,
            service: "store".into(),
            pod: "store-a-b".into(),
            track: None,
            logger: "".into(),
            message: msg.into(),
            trace_id: String::new(),
            thread: "".into(),
            stack: Vec::new(),
        }
    }

    /// The bad canary's pods view, answered, and Enter on its first pod.
    fn store_pod_log() -> crate::state::State {
        let (mut s, sim) = demo(Scenario::BadCanary, false);
        select_rollout(&mut s, "store");
        s.handle(Intent::Pods);
        let scope = s.pod_scope().expect("scope");
        for u in sim.below(&scope) {
            s.apply(u);
        }
        s.handle(Intent::Open);
        s
    }

    #[test]
    fn a_pods_log_opens_from_the_pods_view_and_keeps_its_lines_when_a_read_fails() {
        let mut s = store_pod_log();
        let target = s.pod_log_target().expect("a pod's log");
        assert!(target.pod.starts_with("store-"), "{target:?}");
        assert_eq!(target.container, "store", "the app, not the proxy");
        assert!(!target.previous);
        assert_eq!(s.demand().pod_log, Some(target.clone()));
        let other = PodLogTarget {
            pod: "someone-else".into(),
            ..target.clone()
        };
        assert!(!s.apply(Update::PodLog {
            target: other,
            lines: Ok(vec![line(1, "not mine")]),
            reset: true
        }));
        assert!(s.apply(Update::PodLog {
            target: target.clone(),
            lines: Ok(vec![
                line(1, "Started StoreApplication"),
                line(2, "GET /products 200")
            ]),
            reset: true
        }));
        assert!(s.apply(Update::PodLog {
            target: target.clone(),
            lines: Err("the server is down".into()),
            reset: false
        }));
        let held = s.pod_log(&target).expect("held");
        assert_eq!(held.lines.len(), 2, "nothing shown is lost");
        assert_eq!(held.fetch, Fetch::Failed("the server is down".into()));
        // Copy takes the selected (newest, following) line.
        let copied = s.handle(Intent::Copy);
        assert!(
            matches!(&copied[..], [Command::Copy(t)] if t.contains("GET /products 200")),
            "{copied:?}"
        );
        // The previous run is another read; the container cycles past the proxy.
        s.handle(Intent::TogglePrevious);
        assert!(s.pod_log_target().is_some_and(|t| t.previous));
        s.handle(Intent::NextContainer);
        assert_eq!(
            s.pod_log_target().map(|t| t.container),
            Some("linkerd-proxy".to_string())
        );
        // Back: the pods view again; the log is no longer read.
        s.handle(Intent::Back);
        assert!(matches!(s.ui.overlay, Some(Overlay::Pods { .. })));
        assert_eq!(s.demand().pod_log, None);
    }

    #[test]
    fn search_jumps_between_matching_lines() {
        let mut s = store_pod_log();
        let target = s.pod_log_target().expect("target");
        let lines = (0..10)
            .map(|i| line(i, if i % 4 == 1 { "boom" } else { "fine" }))
            .collect();
        s.apply(Update::PodLog {
            target,
            lines: Ok(lines),
            reset: true,
        });
        s.ui.logs.search.set("BOOM");
        s.handle(Intent::Top);
        let at = |s: &crate::state::State| match &s.ui.overlay {
            Some(Overlay::PodLog { selected, .. }) => *selected,
            _ => usize::MAX,
        };
        s.handle(Intent::SearchNext);
        assert_eq!(at(&s), 1);
        s.handle(Intent::SearchNext);
        assert_eq!(at(&s), 5);
        s.handle(Intent::SearchPrev);
        assert_eq!(at(&s), 1);
        s.handle(Intent::SearchPrev);
        assert_eq!(at(&s), 9, "wraps around");
    }
}
