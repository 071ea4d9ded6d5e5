//! `State::handle(Intent)`: navigation, filters, overlays and the confirmation flow.
//! Anything that needs I/O comes back as a [`Command`] for the loop.

use super::AuditEntry;
use super::{
    FlashKind, Intent, KeyContext, ListPos, Overlay, PendingAction, Screen, State, TextKey,
};
use crate::layout::Pane;
use crate::model::{ActionKind, ActionRequest};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Quit,
    Run(ActionRequest),
    Audit(AuditEntry),
    /// Watch another context and/or other namespaces (None keeps the current one).
    Switch {
        context: Option<String>,
        namespaces: Option<Vec<String>>,
    },
    /// Put text on the user's clipboard (OSC 52: the terminal does it, even over SSH).
    Copy(String),
    /// Switch to another colour theme (`:theme NAME`).
    Theme(String),
}

impl State {
    /// True while keys are text for an input rather than bindings.
    pub fn text_input_active(&self) -> bool {
        self.ui.filter_input.is_some()
            || self.ui.search_input
            || self.ui.command_input.is_some()
            || matches!(&self.ui.overlay, Some(Overlay::Confirm(p)) if p.needs_typing())
    }

    /// The keymap contexts in force, most specific first.
    pub fn key_contexts(&self) -> Vec<KeyContext> {
        use KeyContext as K;
        match &self.ui.overlay {
            Some(Overlay::Confirm(p)) if p.kind == ActionKind::Sync => {
                return vec![K::Confirm, K::SyncOptions];
            }
            Some(Overlay::Confirm(_)) => return vec![K::Confirm],
            Some(Overlay::Help { .. }) => return vec![K::Help, K::Global],
            Some(Overlay::AppDetail { .. }) => return vec![K::AppDetail, K::Global],
            Some(Overlay::InternalLog) => return vec![K::InternalLog, K::Global],
            Some(Overlay::Timeline { .. }) => return vec![K::Timeline, K::Global],
            None => {}
        }
        if matches!(self.ui.screen, Screen::Cockpit { .. }) {
            return vec![K::Cockpit, K::Global];
        }
        vec![KeyContext::of_pane(self.ui.focus), K::List, K::Global]
    }

    pub fn handle(&mut self, intent: Intent) -> Vec<Command> {
        match intent {
            Intent::Quit => return vec![Command::Quit],
            Intent::Resize { width, height } => self.set_size(width, height),
            Intent::Text(key) => return self.handle_text(key),
            Intent::Help => {
                self.ui.overlay = match self.ui.overlay {
                    Some(Overlay::Help { .. }) => None,
                    _ => Some(Overlay::Help { scroll: 0 }),
                }
            }
            Intent::InternalLog => {
                self.ui.overlay = match self.ui.overlay {
                    Some(Overlay::InternalLog) => None,
                    _ => Some(Overlay::InternalLog),
                }
            }
            Intent::Timeline => {
                self.ui.overlay = match self.ui.overlay {
                    Some(Overlay::Timeline { .. }) => None,
                    _ => Some(Overlay::Timeline {
                        selected: self.timeline.len().saturating_sub(1),
                    }),
                }
            }
            Intent::Search => {
                if self.ui.focus == Pane::Logs && self.ui.screen == Screen::Main {
                    self.ui.search_input = true;
                    self.ui.log_search.clear();
                }
            }
            Intent::SearchNext => self.search_step(true),
            Intent::SearchPrev => self.search_step(false),
            Intent::ToggleWrap => {
                self.ui.log_wrap = !self.ui.log_wrap;
                let on = if self.ui.log_wrap {
                    "wrapped"
                } else {
                    "cut at the edge"
                };
                self.flash(FlashKind::Info, format!("long lines {on}"));
            }
            Intent::ToggleUtc => {
                self.ui.log_utc = !self.ui.log_utc;
                let z = if self.ui.log_utc { "UTC" } else { "local time" };
                self.flash(FlashKind::Info, format!("log times in {z}"));
            }
            Intent::Copy => {
                if let Some(l) = self
                    .selected_index(Pane::Logs)
                    .and_then(|i| self.logs.get(i))
                {
                    let mut text = format!(
                        "{} {} {} {} {}: {}",
                        l.ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        l.level.as_str(),
                        l.service,
                        l.pod,
                        l.logger,
                        l.message
                    );
                    for st in &l.stack {
                        text.push('\n');
                        text.push_str(st);
                    }
                    let n = text.len();
                    self.flash(
                        FlashKind::Ok,
                        format!("✓ copied the line ({n} bytes) to the clipboard"),
                    );
                    return vec![Command::Copy(text)];
                }
            }
            Intent::Narrow => {
                use crate::model::Track;
                let selected = self
                    .selected_index(Pane::Logs)
                    .and_then(|i| self.logs.get(i))
                    .map(|l| l.service.to_string());
                self.ui.log_narrow = match (self.ui.log_narrow.take(), selected) {
                    (None, Some(svc)) if !svc.is_empty() => Some((svc, None)),
                    (None, _) => {
                        self.flash(FlashKind::Info, "select a line to narrow to its service");
                        None
                    }
                    (Some((svc, None)), _) => Some((svc, Some(Track::Canary))),
                    (Some((svc, Some(Track::Canary))), _) => Some((svc, Some(Track::Stable))),
                    (Some((_, Some(Track::Stable))), _) => None,
                };
                let q = self.effective_log_query();
                self.flash(FlashKind::Info, format!("logs: {q}"));
                if !self.context.demo {
                    // Loki starts over with the new query (and its backfill): what the ring
                    // held belongs to the old one.
                    self.clear_logs();
                }
                let n = self.filtered_len(Pane::Logs);
                self.ui.log_follow = true;
                self.set_pos(Pane::Logs, n.saturating_sub(1));
            }
            Intent::ToggleSuppressed => {
                self.ui.show_suppressed = !self.ui.show_suppressed;
                let n = self
                    .alerts
                    .iter()
                    .filter(|a| a.state == crate::model::AlertState::Suppressed)
                    .count();
                let what = if self.ui.show_suppressed {
                    "shown, dimmed"
                } else {
                    "hidden"
                };
                self.flash(
                    FlashKind::Info,
                    format!("{n} silenced or inhibited alerts {what}"),
                );
                self.set_pos(Pane::Alerts, 0);
            }
            Intent::Back => self.back(),
            Intent::FocusNext => self.focus(self.ui.focus.next()),
            Intent::FocusPrev => self.focus(self.ui.focus.prev()),
            Intent::Focus(p) => self.focus(p),
            Intent::Zoom => {
                self.ui.zoom = !self.ui.zoom;
                self.relayout();
            }
            Intent::Up => self.move_by(-1),
            Intent::Down => self.move_by(1),
            Intent::PageUp => self.move_by(-(self.page() as isize)),
            Intent::PageDown => self.move_by(self.page() as isize),
            Intent::Top => self.move_to(0),
            Intent::Bottom => {
                let n = self.filtered_len(self.ui.focus);
                self.move_to(n.saturating_sub(1));
                if self.ui.focus == Pane::Logs {
                    self.ui.log_follow = true;
                }
            }
            Intent::Open => self.open(),
            Intent::CommandLine => self.ui.command_input = Some(String::new()),
            Intent::CommandWith(name) => self.ui.command_input = Some(format!("{name} ")),
            Intent::Filter => {
                if self.ui.screen == Screen::Main {
                    self.ui.filter_input = Some(self.ui.focus);
                }
            }
            Intent::Follow => {
                self.ui.log_follow = !self.ui.log_follow;
                if self.ui.log_follow {
                    let n = self.filtered_len(Pane::Logs);
                    self.set_pos(Pane::Logs, n.saturating_sub(1));
                }
            }
            Intent::Window => {
                let target = match &self.ui.screen {
                    Screen::Cockpit { .. } => Pane::Routes,
                    Screen::Main => self.ui.focus,
                };
                match target {
                    Pane::Cpu => {
                        self.ui.cpu_window = (self.ui.cpu_window + 1) % super::CPU_WINDOWS.len();
                        let w = super::CPU_WINDOWS[self.ui.cpu_window];
                        self.flash(
                            FlashKind::Info,
                            format!("CPU window {}", crate::model::time::fmt_window(w)),
                        );
                    }
                    Pane::Routes => {
                        self.ui.route_window =
                            (self.ui.route_window + 1) % super::ROUTE_WINDOWS.len();
                        let w = super::ROUTE_WINDOWS[self.ui.route_window];
                        self.flash(
                            FlashKind::Info,
                            format!("route window {}", crate::model::time::fmt_window(w)),
                        );
                    }
                    _ => {}
                }
            }
            Intent::Expand => {
                if let Some(i) = self.selected_index(Pane::Logs) {
                    let seq = self.log_seq(i);
                    if !self.ui.expanded_logs.remove(&seq) {
                        self.ui.expanded_logs.insert(seq);
                    }
                }
            }
            Intent::Act(kind) => return self.request(kind),
            Intent::Confirm => return self.confirm(),
            Intent::Cancel => {
                if matches!(self.ui.overlay, Some(Overlay::Confirm(_))) {
                    self.ui.overlay = None;
                    self.flash(FlashKind::Info, "cancelled");
                }
            }
            Intent::TogglePrune | Intent::ToggleDryRun => {
                if let Some(Overlay::Confirm(p)) = &mut self.ui.overlay
                    && p.kind == ActionKind::Sync
                {
                    if intent == Intent::TogglePrune {
                        p.sync.prune = !p.sync.prune;
                    } else {
                        p.sync.dry_run = !p.sync.dry_run;
                    }
                    p.refresh_command(&self.context.argocd_namespace);
                }
            }
        }
        Vec::new()
    }

    fn handle_text(&mut self, key: TextKey) -> Vec<Command> {
        if let Some(line) = &mut self.ui.command_input {
            match key {
                TextKey::Char(c) if !c.is_control() && line.len() < 256 => line.push(c),
                TextKey::Char(_) => {}
                TextKey::Backspace => {
                    line.pop();
                }
                TextKey::Esc => self.ui.command_input = None,
                TextKey::Tab => {
                    self.complete();
                    return Vec::new();
                }
                TextKey::Up => {
                    self.history_step(true);
                    return Vec::new();
                }
                TextKey::Down => {
                    self.history_step(false);
                    return Vec::new();
                }
                TextKey::Enter => {
                    let line = self.ui.command_input.take().unwrap_or_default();
                    return self.run_command_line(&line);
                }
            }
            return Vec::new();
        }
        if self.ui.search_input {
            match key {
                TextKey::Char(c) if !c.is_control() && self.ui.log_search.len() < 256 => {
                    self.ui.log_search.push(c)
                }
                TextKey::Backspace => {
                    self.ui.log_search.pop();
                }
                TextKey::Enter => {
                    self.ui.search_input = false;
                    // The match stays put while new lines arrive; f follows again.
                    self.ui.log_follow = false;
                    // From the newest line up: the latest match first.
                    let n = self.filtered_len(Pane::Logs);
                    self.set_pos(Pane::Logs, n.saturating_sub(1));
                    if !self.log_matches(n.saturating_sub(1)) {
                        self.search_step(false);
                    }
                }
                TextKey::Esc => {
                    self.ui.search_input = false;
                    self.ui.log_search.clear();
                }
                TextKey::Char(_) | TextKey::Tab | TextKey::Up | TextKey::Down => {}
            }
            return Vec::new();
        }
        if let Some(pane) = self.ui.filter_input {
            let f = &mut self.ui.filters[pane.index()];
            match key {
                TextKey::Char(c) if !c.is_control() => f.push(c),
                TextKey::Char(_) => {}
                TextKey::Backspace => {
                    f.pop();
                }
                TextKey::Enter => self.ui.filter_input = None,
                TextKey::Tab | TextKey::Up | TextKey::Down => {}
                TextKey::Esc => {
                    f.clear();
                    self.ui.filter_input = None;
                }
            }
            self.set_pos(pane, 0);
            if pane == Pane::Logs {
                self.ui.log_follow = true;
                let n = self.filtered_len(Pane::Logs);
                self.set_pos(Pane::Logs, n.saturating_sub(1));
            }
            return Vec::new();
        }
        if let Some(Overlay::Confirm(p)) = &mut self.ui.overlay {
            let field = match &mut p.silence {
                Some(f) if f.editing_duration => &mut f.duration,
                _ => &mut p.typed,
            };
            match key {
                TextKey::Char(c) if !c.is_control() && field.len() < 256 => field.push(c),
                TextKey::Char(_) => {}
                TextKey::Backspace => {
                    field.pop();
                }
                TextKey::Tab => {
                    if let Some(f) = &mut p.silence {
                        f.editing_duration = !f.editing_duration;
                    }
                }
                TextKey::Up | TextKey::Down => {}
                TextKey::Enter => return self.confirm(),
                TextKey::Esc => return self.handle(Intent::Cancel),
            }
            p.refresh_command(&self.context.argocd_namespace);
        }
        Vec::new()
    }

    fn back(&mut self) {
        if self.ui.overlay.take().is_some() {
            return;
        }
        if self.ui.screen != Screen::Main {
            self.ui.screen = Screen::Main;
            return;
        }
        if self.ui.zoom {
            self.ui.zoom = false;
            self.relayout();
            return;
        }
        let f = &mut self.ui.filters[self.ui.focus.index()];
        if !f.is_empty() {
            f.clear();
            self.clamp_lists();
        }
    }

    fn focus(&mut self, pane: Pane) {
        if self.ui.screen != Screen::Main {
            self.ui.screen = Screen::Main;
        }
        self.ui.overlay = None;
        self.ui.focus = pane;
        self.relayout();
    }

    fn page(&self) -> usize {
        self.ui.layout.viewport_rows(self.ui.focus).max(1)
    }

    fn move_by(&mut self, delta: isize) {
        if let Some(Overlay::Help { scroll }) = &mut self.ui.overlay {
            *scroll = scroll.saturating_add_signed(delta);
            return;
        }
        let last = self.timeline.len().saturating_sub(1);
        if let Some(Overlay::Timeline { selected }) = &mut self.ui.overlay {
            *selected = selected.saturating_add_signed(delta).min(last);
            return;
        }
        let pane = self.ui.focus;
        let cur = self.ui.lists[pane.index()].selected as isize;
        let n = self.filtered_len(pane) as isize;
        let to = (cur + delta).clamp(0, (n - 1).max(0));
        if pane == Pane::Logs && delta < 0 {
            self.ui.log_follow = false;
        }
        self.set_pos(pane, to as usize);
        if pane == Pane::Logs && to == n - 1 && delta > 0 {
            self.ui.log_follow = true;
        }
    }

    fn move_to(&mut self, i: usize) {
        if let Some(Overlay::Help { scroll }) = &mut self.ui.overlay {
            *scroll = if i == 0 { 0 } else { usize::MAX / 2 };
            return;
        }
        let last = self.timeline.len().saturating_sub(1);
        if let Some(Overlay::Timeline { selected }) = &mut self.ui.overlay {
            *selected = i.min(last);
            return;
        }
        if self.ui.focus == Pane::Logs && i == 0 {
            self.ui.log_follow = false;
        }
        self.set_pos(self.ui.focus, i);
    }

    /// Selects row `i` of a pane and scrolls just enough to show it.
    pub(super) fn set_pos(&mut self, pane: Pane, i: usize) {
        let rows = self.ui.layout.viewport_rows(pane).max(1);
        let n = self.filtered_len(pane);
        let l = &mut self.ui.lists[pane.index()];
        l.selected = i.min(n.saturating_sub(1));
        if l.selected < l.offset {
            l.offset = l.selected;
        } else if l.selected >= l.offset + rows {
            l.offset = l.selected + 1 - rows;
        }
        l.offset = l.offset.min(n.saturating_sub(rows));
    }

    /// Keeps selections inside lists that shrank or viewports that changed.
    pub(super) fn clamp_lists(&mut self) {
        for pane in Pane::ALL {
            let ListPos { selected, .. } = self.ui.lists[pane.index()];
            self.set_pos(pane, selected);
        }
        if self.ui.log_follow {
            let n = self.filtered_len(Pane::Logs);
            self.set_pos(Pane::Logs, n.saturating_sub(1));
        }
    }

    /// Whether the log row `k` (after the filter) matches the search.
    fn log_matches(&self, k: usize) -> bool {
        let q = self.ui.log_search.to_lowercase();
        !q.is_empty()
            && self
                .indices(Pane::Logs)
                .get(k)
                .and_then(|i| self.logs.get(i))
                .is_some_and(|l| {
                    l.message.to_lowercase().contains(&q)
                        || l.logger.to_lowercase().contains(&q)
                        || l.service.to_lowercase().contains(&q)
                        || l.stack.iter().any(|s| s.to_lowercase().contains(&q))
                })
    }

    /// Moves to the next (newer) or previous (older) matching line, with lines around it.
    fn search_step(&mut self, newer: bool) {
        if self.ui.log_search.is_empty() {
            self.flash(FlashKind::Info, "no search: s searches the logs");
            return;
        }
        let n = self.filtered_len(Pane::Logs);
        let cur = self.ui.lists[Pane::Logs.index()].selected;
        let found = if newer {
            (cur + 1..n).find(|&k| self.log_matches(k))
        } else {
            (0..cur).rev().find(|&k| self.log_matches(k))
        };
        match found {
            Some(k) => {
                self.ui.log_follow = false;
                self.set_pos(Pane::Logs, k);
                // Keep a few lines of context around the match.
                let rows = self.ui.layout.viewport_rows(Pane::Logs).max(1);
                let l = &mut self.ui.lists[Pane::Logs.index()];
                l.offset = k.saturating_sub(rows / 2).min(n.saturating_sub(rows));
            }
            None => {
                let q = self.ui.log_search.clone();
                let dir = if newer { "below" } else { "above" };
                self.flash(FlashKind::Info, format!("no more \"{q}\" {dir}"));
            }
        }
    }

    /// Goes to what a name is about: its rollout's cockpit, else its app, else its logs.
    fn jump_to(&mut self, name: &str) {
        self.ui.overlay = None;
        if let Some(r) = self.rollouts.iter().find(|r| r.name == name) {
            self.ui.screen = Screen::Cockpit {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
            };
        } else if let Some(a) = self.apps.iter().find(|a| a.name == name) {
            self.ui.screen = Screen::Main;
            self.ui.overlay = Some(Overlay::AppDetail {
                namespace: a.namespace.clone(),
                name: a.name.clone(),
            });
        } else {
            self.flash(
                FlashKind::Info,
                format!("nothing on screen is called {name}"),
            );
        }
    }

    /// The service an alert is about: its `service`/`app` label, or the owner of its pod.
    fn alert_service(a: &crate::model::Alert) -> Option<String> {
        for k in [
            "service",
            "app",
            "app_kubernetes_io_name",
            "deployment",
            "rollout",
        ] {
            if let Some(v) = a.labels.get(k).filter(|v| !v.is_empty()) {
                return Some(v.clone());
            }
        }
        a.labels
            .get("pod")
            .map(|p| crate::model::service_of_pod(p).0)
    }

    fn open(&mut self) {
        if let Some(Overlay::Timeline { selected }) = &self.ui.overlay {
            if let Some(c) = self.timeline.get(*selected) {
                let name = c.subject.clone();
                self.jump_to(&name);
            }
            return;
        }
        // From the application detail, Enter goes on to its rollout's cockpit.
        if let Some(Overlay::AppDetail { name, .. }) = &self.ui.overlay {
            let target = self
                .rollouts
                .iter()
                .find(|r| &r.name == name)
                .map(|r| (r.namespace.clone(), r.name.clone()));
            self.ui.overlay = None;
            match target {
                Some((namespace, name)) => self.ui.screen = Screen::Cockpit { namespace, name },
                None => self.flash(FlashKind::Info, "this application has no rollout"),
            }
            return;
        }
        match self.ui.focus {
            Pane::Rollouts => {
                if let Some(r) = self.selected_rollout() {
                    self.ui.screen = Screen::Cockpit {
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                    };
                }
            }
            Pane::Apps => {
                if let Some(a) = self.selected_app() {
                    self.ui.overlay = Some(Overlay::AppDetail {
                        namespace: a.namespace.clone(),
                        name: a.name.clone(),
                    });
                }
            }
            Pane::Logs => self.toggle_expand(),
            Pane::Alerts => match self.selected_alert().map(Self::alert_service) {
                Some(Some(svc)) => self.jump_to(&svc),
                Some(None) => self.flash(
                    FlashKind::Info,
                    "this alert names no service (it is about a node or the platform)",
                ),
                None => {}
            },
            _ => {}
        }
    }

    fn toggle_expand(&mut self) {
        let _ = self.handle(Intent::Expand);
    }

    /// An action key: refuse (read-only, not applicable) or ask for confirmation.
    fn request(&mut self, kind: ActionKind) -> Vec<Command> {
        if self.ui.overlay.is_some() && !matches!(self.ui.overlay, Some(Overlay::AppDetail { .. }))
        {
            return Vec::new();
        }
        let pending = match self.prepare(kind) {
            Ok(mut p) => {
                p.protected = self.context.protected;
                p
            }
            Err(why) => {
                self.flash(FlashKind::Error, format!("✗ {}: {why}", kind.as_str()));
                // Refused before it was sent; audited all the same.
                let target = match kind.on_app() {
                    _ if kind.on_alert() => self.selected_alert().map(|a| {
                        format!("{}/{}", a.labels.get("namespace").map_or("", |v| v), a.name)
                    }),
                    true => self
                        .selected_app()
                        .map(|a| format!("{}/{}", a.namespace, a.name)),
                    false => self
                        .cockpit_rollout()
                        .or(self.selected_rollout())
                        .map(|r| format!("{}/{}", r.namespace, r.name)),
                };
                return vec![Command::Audit(AuditEntry::refused(
                    &self.context,
                    kind,
                    target.unwrap_or_default(),
                    None,
                    &why,
                ))];
            }
        };
        if self.context.read_only {
            let why = "read-only mode (started with --read-only)";
            self.flash(
                FlashKind::Error,
                format!(
                    "✗ {} {}: refused: {why}",
                    kind.as_str(),
                    pending.target.name
                ),
            );
            let req = self.to_request(&pending);
            return vec![Command::Audit(AuditEntry::refused(
                &self.context,
                kind,
                pending.target.to_string(),
                Some(&req),
                why,
            ))];
        }
        self.ui.overlay = Some(Overlay::Confirm(pending));
        Vec::new()
    }

    /// The request a confirmed action becomes: the pending action's own values, its command
    /// included, so the audit log records what the confirmation showed.
    pub fn to_request(&mut self, p: &PendingAction) -> ActionRequest {
        ActionRequest {
            id: self.next_action_id(),
            kind: p.kind,
            target: p.target.clone(),
            sync: p.sync,
            before: p.before.clone(),
            effect: p.effect.clone(),
            command: p.command.clone(),
            silence: p.silence_spec(),
            user: self.context.user.clone(),
        }
    }

    fn confirm(&mut self) -> Vec<Command> {
        let Some(Overlay::Confirm(p)) = &self.ui.overlay else {
            return Vec::new();
        };
        if !p.typed_ok() {
            let msg = match &p.silence {
                Some(f) if p.kind == ActionKind::Silence => {
                    if super::parse_silence_duration(&f.duration).is_none() {
                        format!("\"{}\" is not a duration (1h, 4h, 90m, 2d)", f.duration)
                    } else {
                        "a silence needs a comment: say why".to_string()
                    }
                }
                _ => format!("type \"{}\" to confirm", p.target.name),
            };
            self.flash(FlashKind::Error, msg);
            return Vec::new();
        }
        let p = p.clone();
        self.ui.overlay = None;
        let req = self.to_request(&p);
        self.flash(
            FlashKind::Info,
            format!("… {} {}", p.kind.as_str(), p.target.name),
        );
        self.in_flight.push(req.clone());
        vec![Command::Run(req)]
    }
}
