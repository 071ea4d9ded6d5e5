//! `State::apply(Update)`: remote text cleaned first, whatever the source; then each kind of
//! update in its own small function, each saying whether anything on screen may have changed.

use super::keyed;
use super::{Flash, FlashKind, Health, SourceId, State, Tracked, Update};
use crate::layout::Pane;
use crate::model::*;
use crate::sanitize::{Sanitize, clean_owned};
use chrono::Timelike;
use std::sync::Arc;

impl State {
    /// Applies one update; returns whether anything on screen may have changed.
    /// Remote text is cleaned of escape and control sequences here, whatever the source.
    pub fn apply(&mut self, mut update: Update) -> bool {
        clean_update(&mut update);
        let now = self.now;
        match update {
            Update::Apps(apps) => {
                self.mark_ok(SourceId::Apps);
                let keep = self.selected_id(Pane::Apps);
                let tl = &mut self.timeline;
                let (changed, old) =
                    keyed::snapshot(&mut self.apps, apps, |o, n| tl.note_app(now, o, n));
                self.resort(Pane::Apps, keep);
                drop(old);
                changed
            }
            Update::AppUpserted(app) => {
                self.mark_ok(SourceId::Apps);
                let keep = self.selected_id(Pane::Apps);
                let tl = &mut self.timeline;
                let (changed, _) =
                    keyed::upsert(&mut self.apps, app, |o, n| tl.note_app(now, o, n));
                if changed {
                    self.resort(Pane::Apps, keep);
                }
                changed
            }
            Update::AppDeleted { namespace, name } => {
                let keep = self.selected_id(Pane::Apps);
                let changed = keyed::delete(&mut self.apps, &namespace, &name);
                self.resort(Pane::Apps, keep);
                changed
            }
            Update::Rollouts(rollouts) => {
                self.mark_ok(SourceId::Rollouts);
                let keep = self.selected_id(Pane::Rollouts);
                let tl = &mut self.timeline;
                let (changed, old) = keyed::snapshot(&mut self.rollouts, rollouts, |o, n| {
                    tl.note_rollout(now, o, n)
                });
                self.resort(Pane::Rollouts, keep);
                drop(old);
                self.rollouts_changed(changed)
            }
            Update::RolloutUpserted(r) => {
                self.mark_ok(SourceId::Rollouts);
                let keep = self.selected_id(Pane::Rollouts);
                let tl = &mut self.timeline;
                let (changed, _) =
                    keyed::upsert(&mut self.rollouts, *r, |o, n| tl.note_rollout(now, o, n));
                if changed {
                    self.resort(Pane::Rollouts, keep);
                }
                self.rollouts_changed(changed)
            }
            Update::RolloutDeleted { namespace, name } => {
                let keep = self.selected_id(Pane::Rollouts);
                let changed = keyed::delete(&mut self.rollouts, &namespace, &name);
                self.resort(Pane::Rollouts, keep);
                self.rollouts_changed(changed)
            }
            Update::Routes(routes) => self.apply_routes(routes),
            Update::MeshInUse(name) => {
                let changed = name != self.mesh;
                self.mesh = name;
                changed
            }
            Update::LogStore { name, query } => {
                let changed = name != self.log_store || query != self.context.log_query;
                self.log_store = name;
                self.context.log_query = query;
                changed
            }
            Update::VirtualServices(mut vss) => {
                vss.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                self.timeline
                    .note_virtual_services(self.now, &self.virtual_services, &vss);
                let changed = vss != self.virtual_services;
                self.virtual_services = vss;
                changed
            }
            Update::DestinationRules(mut drs) => {
                drs.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                self.timeline
                    .note_destination_rules(self.now, &self.destination_rules, &drs);
                let changed = drs != self.destination_rules;
                self.destination_rules = drs;
                changed
            }
            Update::MeshNotes(notes) => {
                let changed = notes != self.mesh_notes;
                self.mesh_notes = notes;
                changed
            }
            Update::Cpu(cpu) => {
                self.mark_ok(SourceId::Cpu);
                let changed = cpu != self.cpu;
                self.cpu = cpu;
                changed
            }
            Update::Logs(lines) => self.apply_logs(lines),
            Update::LogsDroppedByServer(n) => {
                self.logs.server_dropped += n;
                true
            }
            Update::Alerts(alerts) => self.apply_alerts(alerts),
            Update::SourceHealth { source, health } => {
                let s = &mut self.sources[source as usize];
                if health == Health::Ok {
                    s.last_ok = Some(now);
                }
                let changed = s.health != health;
                s.health = health;
                changed
            }
            Update::Clock(t) => {
                let changed = t.minute() != now.minute()
                    || t.hour() != now.hour()
                    || self.has_second_resolution_content();
                self.now = t;
                changed
            }
            Update::Pods { scope, pods } => self.apply_pods(scope, pods),
            Update::Events { scope, events } => self.apply_events(scope, events),
            Update::PodLog {
                target,
                lines,
                reset,
            } => self.apply_pod_log(target, lines, reset),
            Update::AppTree {
                namespace,
                name,
                tree,
            } => self.apply_app_tree(namespace, name, tree),
            Update::AppDiff { ask, diff } => self.apply_app_diff(ask, diff),
            Update::Object { target, view } => self.apply_object(target, view),
            Update::Trace { id, trace, store } => self.apply_trace(id, trace, store),
            Update::TraceHits { ask, hits } => self.apply_trace_hits(ask, hits),
            Update::Certificates(Ok(mut certs)) => {
                certs.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                let changed = certs != self.certs || self.certs_fetch != super::Fetch::Listed;
                self.certs = certs;
                self.certs_fetch = super::Fetch::Listed;
                changed
            }
            Update::ImageUpdaters(Ok(mut v)) => {
                v.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                // What it wrote in the last day enters the timeline, once each.
                let since = self.now - chrono::Duration::hours(24);
                for r in v.iter().flat_map(|u| &u.updates) {
                    if r.at.is_some_and(|t| t >= since) {
                        self.timeline.note_image(r);
                    }
                }
                let changed = v != self.image_updaters;
                self.image_updaters = v;
                changed
            }
            // None served, or not readable now: what was read stays.
            Update::ImageUpdaters(Err(_)) => false,
            Update::TrustBundles(b) => {
                let changed = b != self.trust;
                self.trust = b;
                changed
            }
            Update::Certificates(Err(e)) => {
                // What was shown stays; the view says why it may be old (or that there is none).
                let f = super::Fetch::from(e);
                let changed = f != self.certs_fetch;
                self.certs_fetch = f;
                changed
            }
            Update::Replay(r) => {
                let changed = r != self.replays;
                self.replays = r;
                changed
            }
            Update::ApiReadiness(failing) => {
                let changed = failing != self.api_server.failing_checks;
                self.api_server.failing_checks = failing;
                changed
            }
            Update::ActionDone(outcome) => self.apply_outcome(outcome),
        }
    }

    fn mark_ok(&mut self, id: SourceId) {
        let s = &mut self.sources[id as usize];
        s.health = Health::Ok;
        s.last_ok = Some(self.now);
    }

    /// After a rollout change, the pollers' demand shares a new list of pod hashes (rebuilt only
    /// then, not on every frame).
    fn rollouts_changed(&mut self, changed: bool) -> bool {
        if changed {
            self.rerank_pods();
            self.rollout_name_chars = self
                .rollouts
                .iter()
                .map(|r| r.name.chars().count())
                .max()
                .unwrap_or(0);
            self.tracked = Arc::new(
                self.rollouts
                    .iter()
                    .map(|r| Tracked {
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                        stable_hash: r.stable_hash.clone(),
                        canary_hash: r.canary_hash.clone(),
                        canary_service: r.canary_service.clone(),
                        stable_service: r.stable_service.clone(),
                        canary_version: r.canary_version.clone(),
                        stable_version: r.stable_version.clone(),
                        subsets: r
                            .istio
                            .as_ref()
                            .is_some_and(|i| !i.canary_subset.is_empty()),
                    })
                    .collect(),
            );
            self.retag_logs();
        }
        changed
    }

    /// Lines that arrived before their rollout was known (a backfill at start) get their
    /// track from their pod's template hash once it is.
    fn retag_logs(&mut self) {
        const RETAG: usize = 20_000;
        let tracked = self.tracked.clone();
        if !tracked.iter().any(Tracked::canary_running) {
            return;
        }
        let n = self.logs.len();
        for i in n.saturating_sub(RETAG)..n {
            let Some(l) = self.logs.get(i).filter(|l| l.track.is_none()) else {
                continue;
            };
            let Some(t) = tracked
                .iter()
                .find(|t| *t.name == *l.service && t.canary_running())
            else {
                continue;
            };
            let track = match crate::model::service_of_pod(&l.pod).1.as_deref() {
                Some(h) if h == t.canary_hash => Track::Canary,
                Some(h) if h == t.stable_hash => Track::Stable,
                _ => continue,
            };
            self.log_counts.retag(l, track);
            if let Some(l) = self.logs.get_mut(i) {
                l.track = Some(track);
            }
        }
        // Narrowed to a track, the lines in view may have changed.
        if self
            .ui
            .logs
            .narrow
            .as_ref()
            .is_some_and(|(_, t)| t.is_some())
        {
            self.recount_hits();
        }
    }

    fn apply_routes(&mut self, mut routes: Vec<RouteStats>) -> bool {
        routes.sort_by(|a, b| (&a.service, &a.route).cmp(&(&b.service, &b.route)));
        self.mark_ok(SourceId::Mesh);
        let keep = self.selected_id(Pane::Routes);
        let old = std::mem::replace(&mut self.routes, routes);
        self.resort(Pane::Routes, keep);
        let changed = old != self.routes;
        if changed {
            // A canary judged worse on the new numbers moves up the rollouts.
            let keep = self.selected_id(Pane::Rollouts);
            self.resort(Pane::Rollouts, keep);
        }
        changed
    }

    fn apply_alerts(&mut self, alerts: Vec<Alert>) -> bool {
        self.mark_ok(SourceId::Alerts);
        self.timeline.note_alerts(self.now, &self.alerts, &alerts);
        let keep = self.selected_id(Pane::Alerts);
        let old = std::mem::replace(&mut self.alerts, alerts);
        self.resort(Pane::Alerts, keep);
        old != self.alerts
    }

    fn apply_logs(&mut self, lines: Vec<LogLine>) -> bool {
        self.mark_ok(SourceId::Logs);
        if lines.is_empty() {
            return false;
        }
        for l in lines {
            self.timeline.note_log(&l);
            self.push_log(l);
        }
        if self.ui.logs.follow {
            self.follow_logs();
        }
        true
    }

    fn push_log(&mut self, line: LogLine) {
        self.log_counts.add(&line);
        let full = self.logs.len() == self.logs.capacity();
        let searching = !self.ui.logs.search.is_empty();
        let hit = searching && self.is_hit(&line);
        let len = self.logs.len();
        // A line indexed late goes to its place in time, not to the end.
        let (at, gone) = self.logs.insert(line);
        let mut gone_hit = false;
        if let Some(gone) = gone {
            gone_hit = searching && self.is_hit(&gone);
            self.log_counts.evict(&gone);
        }
        if searching {
            self.hits_follow(hit, at == len, gone_hit);
        }
        // Keep the selected line selected: in the unfiltered view its index moves with the
        // insert (a filtered view's indices are of matching lines; it is left as it is).
        let unfiltered =
            self.ui.lists[Pane::Logs].filter.is_empty() && self.ui.logs.narrow.is_none();
        let l = &mut self.ui.lists[Pane::Logs];
        if at < self.log_seqs.len() && at <= l.selected && !self.ui.logs.follow && unfiltered {
            l.selected += 1;
            l.offset += 1;
        }
        self.log_seqs.insert(at, self.next_log_seq);
        self.next_log_seq += 1;
        if full {
            if let Some(old) = self.log_seqs.pop_front() {
                self.ui.logs.expanded.remove(&old);
            }
            let l = &mut self.ui.lists[Pane::Logs];
            l.selected = l.selected.saturating_sub(1);
            l.offset = l.offset.saturating_sub(1);
        }
    }

    fn apply_outcome(&mut self, outcome: ActionOutcome) -> bool {
        self.in_flight
            .retain(|f| f.request.id != outcome.request.id);
        let r = &outcome.request;
        // Writes to the API server that hang make it degraded until one is answered (an
        // unreachable server is the watches' to say; Alertmanager's actions are not its).
        if !r.kind.on_alert() {
            match &outcome.result {
                Err(ActionError::Unanswered(_)) => {
                    self.api_server.writes_unanswered = Some(self.now);
                }
                Err(ActionError::Unreachable(_)) => {}
                _ => self.api_server.writes_unanswered = None,
            }
        }
        let verb = r.kind.as_str();
        let name = r.target.name.clone();
        let (text, flash) = match &outcome.result {
            Ok(after) => (
                format!("you: {verb} ✓ {after}"),
                Flash {
                    text: format!("✓ {verb} {name}: {after}"),
                    kind: FlashKind::Ok,
                    until: self.wall + chrono::Duration::seconds(8),
                },
            ),
            Err(e @ ActionError::Unanswered(_)) => (
                format!("you: {verb} ? {e}"),
                Flash {
                    text: format!("? {verb} {name}: {e}"),
                    kind: FlashKind::Error,
                    until: self.wall + chrono::Duration::seconds(20),
                },
            ),
            Err(e) => (
                format!("you: {verb} ✗ {e}"),
                Flash {
                    text: format!("✗ {verb} {name} failed: {e}"),
                    kind: FlashKind::Error,
                    until: self.wall + chrono::Duration::seconds(15),
                },
            ),
        };
        self.timeline
            .record(self.now, super::ChangeKind::Action, &name, text);
        self.flash = Some(flash);
        true
    }
}

fn clean_update(u: &mut Update) {
    match u {
        Update::Apps(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::AppUpserted(a) => a.sanitize(),
        Update::Rollouts(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::RolloutUpserted(r) => r.sanitize(),
        Update::Routes(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::MeshNotes(v) => {
            for n in v {
                n.service = clean_owned(&n.service);
                n.namespace = clean_owned(&n.namespace);
                n.reason = clean_owned(&n.reason);
            }
        }
        Update::Cpu(c) => {
            c.nodes.iter_mut().for_each(Sanitize::sanitize);
            c.services.iter_mut().for_each(Sanitize::sanitize);
        }
        Update::Logs(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::VirtualServices(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::DestinationRules(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::MeshInUse(m) | Update::LogStore { name: m, .. } => *m = clean_owned(m),
        Update::Alerts(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::SourceHealth {
            health: Health::Error(e) | Health::Degraded(e) | Health::Off(e),
            ..
        } => *e = clean_owned(e),
        Update::ApiReadiness(checks) => checks.iter_mut().for_each(|c| *c = clean_owned(c)),
        Update::Pods { pods, .. } => match pods {
            Ok(v) => v.iter_mut().for_each(Sanitize::sanitize),
            Err(e) => *e = clean_owned(e),
        },
        Update::TrustBundles(v) => v.iter_mut().for_each(Sanitize::sanitize),
        Update::ImageUpdaters(u) => match u {
            Ok(v) => v.iter_mut().for_each(Sanitize::sanitize),
            Err(super::Unread::Failed(e) | super::Unread::Absent(e)) => *e = clean_owned(e),
        },
        Update::Certificates(c) => match c {
            Ok(v) => v.iter_mut().for_each(Sanitize::sanitize),
            Err(super::Unread::Failed(e) | super::Unread::Absent(e)) => *e = clean_owned(e),
        },
        Update::Object { view, .. } => match view {
            Ok(v) => v.sanitize(),
            Err(e) => *e = clean_owned(e),
        },
        Update::Trace { trace, store, .. } => {
            *store = clean_owned(store);
            match trace {
                Ok(t) => t.sanitize(),
                Err(m) => m.sanitize(),
            }
        }
        Update::TraceHits { hits, .. } => match hits {
            Ok(v) => v
                .iter_mut()
                .for_each(crate::model::trace::TraceHit::sanitize),
            Err(e) => *e = clean_owned(e),
        },
        Update::AppDiff { diff, .. } => match diff {
            Ok(d) => d.resources.iter_mut().for_each(Sanitize::sanitize),
            Err(e) => *e = clean_owned(e),
        },
        Update::AppTree { tree, .. } => match tree {
            Ok(t) => t.sanitize(),
            Err(e) => *e = clean_owned(e),
        },
        Update::PodLog { lines, .. } => match lines {
            Ok(v) => v.iter_mut().for_each(Sanitize::sanitize),
            Err(e) => *e = clean_owned(e),
        },
        Update::Events { events, .. } => match events {
            Ok(v) => v.iter_mut().for_each(Sanitize::sanitize),
            Err(e) => *e = clean_owned(e),
        },
        Update::Replay(v) => {
            for r in v {
                for a in std::iter::once(&mut r.canary).chain(r.stable.as_mut()) {
                    if let Err(e) = a {
                        *e = clean_owned(e);
                    }
                }
            }
        }
        Update::ActionDone(o) => match &mut o.result {
            Ok(e) => *e = clean_owned(e),
            Err(e) => {
                let m = e.message_mut();
                *m = clean_owned(m);
            }
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn same_minute_clock_does_not_redraw_unless_seconds_show() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.flash = None;
        let t = s.now;
        // The steady scenario has only an indefinite pause: nothing counts seconds.
        assert!(!s.has_second_resolution_content());
        // Another second of the same minute (with_second never leaves the minute).
        let same_minute = t.with_second((t.second() + 1) % 60).unwrap_or(t);
        assert_ne!(same_minute, t);
        assert_eq!(same_minute.minute(), t.minute());
        assert!(!s.apply(Update::Clock(same_minute)));
        assert!(s.apply(Update::Clock(t + chrono::Duration::minutes(1))));
        // In the demo the wall tick does not move the data clock.
        let before = s.now;
        assert!(!s.tick(Utc::now()));
        assert_eq!(s.now, before);
    }

    #[test]
    fn a_full_log_ring_drops_the_oldest_and_keeps_the_selection_on_its_line() {
        let mut s = State::new(context(false), start(), 100);
        s.set_size(120, 40);
        let line = |i: i64| error_line(i, "store", "store-abc-1", &format!("line {i}"));
        s.apply(Update::Logs((0..100).map(line).collect()));
        s.handle(Intent::Focus(Pane::Logs));
        s.handle(Intent::Up);
        let sel = s.ui.lists[Pane::Logs].selected;
        let msg = s.logs.get(sel).map(|l| l.message.clone());
        s.apply(Update::Logs((100..150).map(line).collect()));
        assert_eq!(s.logs.len(), 100);
        assert_eq!(s.logs.dropped(), 50);
        let sel = s.ui.lists[Pane::Logs].selected;
        assert_eq!(s.logs.get(sel).map(|l| l.message.clone()), msg);
    }

    #[test]
    fn lines_that_came_before_their_rollout_get_its_track_and_a_late_one_its_place() {
        let mut sim = Sim::new(7, Scenario::BadCanary, start());
        let snapshot = sim.snapshot();
        let rollouts = snapshot
            .iter()
            .find_map(|u| match u {
                Update::Rollouts(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let store = rollouts
            .iter()
            .find(|r| r.name == "store")
            .cloned()
            .unwrap_or_default();
        assert!(!store.canary_hash.is_empty());
        let mut s = State::new(context(false), start(), 100);
        s.set_size(120, 40);
        let line = |i: i64, hash: &str| {
            error_line(
                i,
                "store",
                &format!("store-{hash}-x2x9k"),
                &format!("line {i}"),
            )
        };
        s.apply(Update::Logs(vec![
            line(1, &store.canary_hash),
            line(3, &store.stable_hash),
        ]));
        // Indexed late: older than the last line shown, it goes before it.
        s.apply(Update::Logs(vec![line(2, &store.canary_hash)]));
        let order: Vec<&str> = s.logs.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(order, vec!["line 1", "line 2", "line 3"]);
        for u in snapshot {
            if !matches!(u, Update::Logs(_)) {
                s.apply(u);
            }
        }
        let tracks: Vec<Option<Track>> = s.logs.iter().map(|l| l.track).collect();
        assert_eq!(
            tracks,
            vec![
                Some(Track::Canary),
                Some(Track::Canary),
                Some(Track::Stable)
            ]
        );
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
}
