//! Overlays over the body: the confirmation of an action, the help generated from the
//! keymap, and opsdeck's own log (tui-logger).

use super::View;
use crate::model::ActionKind;
use crate::state::{Overlay, PendingAction};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, body: Rect, v: &View) {
    if let Some(cmd) = v.state.command_line() {
        suggestions(frame, body, v, cmd);
    }
    match &v.state.ui.overlay {
        None => {}
        Some(Overlay::Confirm(p)) => confirm(frame, body, v, p),
        Some(Overlay::Help { scroll }) => help(frame, body, v, *scroll),
        Some(Overlay::AppDetail {
            namespace,
            name,
            scroll,
        }) => app_detail(frame, body, v, namespace, name, *scroll),
        Some(Overlay::Diff {
            namespace,
            name,
            against,
            scroll,
        }) => super::diff::draw(frame, body, v, (namespace, name), against, *scroll),
        Some(Overlay::Object { target, scroll, .. }) => {
            super::object::draw(frame, body, v, target, *scroll)
        }
        Some(Overlay::Trace(tv)) => super::trace::draw(frame, body, v, tv),
        Some(Overlay::InternalLog) => internal_log(frame, body, v),
        Some(Overlay::Timeline { selected }) => timeline(frame, body, v, *selected),
        Some(Overlay::Platform { selected }) => super::platform::draw(frame, body, v, *selected),
        Some(Overlay::Fleet { selected }) => super::fleet::draw_all(frame, body, v, *selected),
        Some(Overlay::Pods {
            namespace,
            name,
            selected,
        }) => super::pods::draw(frame, body, v, namespace, name, *selected),
        Some(Overlay::PodLog {
            target,
            selected,
            follow,
            expanded,
            ..
        }) => super::pod_log::draw(frame, body, v, target, *selected, *follow, *expanded),
    }
}

/// What changed and what broke on one time axis, newest at the bottom; for a breakage, the
/// changes of the half hour before it are marked with how long before they came. With `F`,
/// every cluster's entries, each with its cluster.
fn timeline(frame: &mut Frame, body: Rect, v: &View, selected: usize) {
    use crate::state::{ChangeKind, LOOKBACK_MINUTES, changes_before};
    let t = v.theme;
    let s = v.state;
    // The entries listed, each with its cluster when they are every cluster's.
    let all = s.ui.timeline_all;
    let entry = |i: usize| -> Option<(Option<&str>, &crate::state::Change)> {
        if all {
            s.fleet_timeline.get(i).map(|(c, e)| (Some(c.as_str()), e))
        } else {
            s.timeline.get(i).map(|e| (None, e))
        }
    };
    let n = s.timeline_len();
    let w = body.width.saturating_sub(4).max(20);
    // As tall as its entries (a heading, a blank, the rows, the border), at most the body.
    let rows = n.max(1) as u16 + 4;
    let area = centered(body, w, rows.min(body.height.saturating_sub(2)));
    let title = if all {
        format!(" Change timeline · all clusters · {n} entries ")
    } else {
        format!(" Change timeline · {n} entries ")
    };
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.border_focus)
        .title(Span::styled(title, t.title));
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    let sel = entry(selected).map(|(_, c)| c);
    let before: Vec<usize> = match sel {
        Some(c) if c.kind.breaks() => changes_before(|k| entry(k).map(|(_, c)| c), selected),
        _ => Vec::new(),
    };
    let head = match sel {
        None => Line::styled(
            "nothing yet: syncs, rollout steps, alerts and error spikes appear here as they happen",
            t.muted,
        ),
        Some(c) if c.kind.breaks() && before.is_empty() => Line::styled(
            format!(
                "{} {} — nothing changed in the {LOOKBACK_MINUTES} minutes before",
                c.kind.label(),
                c.subject
            ),
            t.warn,
        ),
        Some(c) if c.kind.breaks() => Line::styled(
            format!(
                "{} {} — {} change(s) in the {LOOKBACK_MINUTES} minutes before, marked ◀",
                c.kind.label(),
                c.subject,
                before.len()
            ),
            t.warn,
        ),
        Some(_) if s.fleet.len() > 1 => Line::styled(
            "select an alert or an error spike (j/k) to see what changed just before it · Enter goes to it · F all clusters / this one",
            t.muted,
        ),
        Some(_) => Line::styled(
            "select an alert or an error spike (j/k) to see what changed just before it · Enter goes to it",
            t.muted,
        ),
    };
    frame.render_widget(
        Paragraph::new(head),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let rows = inner.height.saturating_sub(2) as usize;
    // Keep the selection visible, near the bottom like a log.
    let end = (selected + 1).max(rows.min(n)).min(n);
    let start = end.saturating_sub(rows);
    // The subject column takes the room the names need, up to a quarter of the width.
    let subject_w = (start..end)
        .filter_map(entry)
        .map(|(_, c)| unicode_width::UnicodeWidthStr::width(c.subject.as_str()))
        .max()
        .unwrap_or(8)
        .clamp(8, (inner.width as usize / 4).max(14));
    // Every cluster's: the cluster's name first, as wide as the names need, up to a sixth.
    let cluster_w = (start..end)
        .filter_map(|i| entry(i).and_then(|(cluster, _)| cluster))
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .map(|w| w.clamp(4, (inner.width as usize / 6).max(8)));
    let buf = frame.buffer_mut();
    let sel_at = sel.map(|c| c.at);
    for (line, i) in (start..end).enumerate() {
        let Some((cluster, c)) = entry(i) else {
            continue;
        };
        let y = inner.y + 2 + line as u16;
        let (glyph, style) = match c.kind {
            ChangeKind::AlertFiring => ("▲", t.error),
            ChangeKind::ErrorSpike => ("▲", t.error),
            ChangeKind::AlertResolved => ("▽", t.ok),
            ChangeKind::Action => ("●", t.accent),
            ChangeKind::Sync => ("◆", t.text),
            ChangeKind::Rollout => ("◆", t.text),
            ChangeKind::Mesh => ("◇", t.text),
            ChangeKind::Event => ("⚠", t.warn),
            ChangeKind::Image => ("◆", t.accent),
        };
        let mark = if before.contains(&i) {
            let mins = sel_at.map_or(0, |a| (a - c.at).num_minutes());
            format!("◀ {mins}m before ")
        } else {
            String::new()
        };
        // Today's entries by the second; older ones with their date.
        let when = if c.at.date_naive() == s.now.date_naive() {
            c.at.format("%H:%M:%S").to_string()
        } else {
            c.at.format("%m-%d %H:%M").to_string()
        };
        let tag = match (cluster, cluster_w) {
            (Some(name), Some(cw)) => format!("{:<cw$} ", super::ellipsize(name, cw)),
            _ => String::new(),
        };
        let text = format!(
            "{when:>11} {glyph} {tag}{:<8} {:<subject_w$} {mark}{}",
            c.kind.label(),
            super::ellipsize(&c.subject, subject_w),
            c.text
        );
        let st = if i == selected {
            t.selection
        } else if before.contains(&i) {
            t.highlight
        } else {
            style
        };
        super::text::put(buf, inner.x, y, &text, inner.width, st);
    }
}

/// A centred box `w` wide and just tall enough for `lines` wrapped inside its border.
fn fitted(body: Rect, w: u16, lines: &[Line]) -> Rect {
    let w = w.min(body.width);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    centered(body, w, (rows as u16).saturating_add(2))
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

fn confirm(frame: &mut Frame, body: Rect, v: &View, p: &PendingAction) {
    let t = v.theme;
    let w = 76.min(body.width.saturating_sub(2)).max(20);
    let cmd = p.command.clone();
    let mut lines = vec![Line::styled(p.effect.clone(), t.text)];
    if let Some(why) = &p.against {
        lines.push(Line::styled(
            format!("✗ the cockpit judges the canary worse: {why}"),
            t.error,
        ));
    }
    lines.extend([
        Line::raw(""),
        Line::from(vec![
            Span::styled("$ ", t.muted),
            Span::styled(cmd, t.accent),
        ]),
        Line::raw(""),
    ]);
    if p.kind == ActionKind::Sync {
        let b = |on: bool| if on { "[x]" } else { "[ ]" };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} prune (p)   ", b(p.sync.prune)),
                if p.sync.prune { t.warn } else { t.text },
            ),
            Span::styled(format!("{} dry run (d)", b(p.sync.dry_run)), t.text),
        ]));
    }
    if let Some(f) = p.silence.as_ref().filter(|_| p.kind == ActionKind::Silence) {
        let active = |on: bool| if on { t.accent } else { t.muted };
        let dur_ok = crate::state::parse_silence_duration(&f.duration).is_some();
        lines.push(Line::from(vec![
            Span::styled("Duration: ", active(f.editing_duration)),
            Span::styled(
                format!(
                    "{}{}",
                    f.duration,
                    if f.editing_duration { "▌" } else { "" }
                ),
                if dur_ok { t.ok } else { t.error },
            ),
            Span::styled("   (1h, 4h or type one: 90m, 2d)", t.muted),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Comment:  ", active(!f.editing_duration)),
            Span::styled(
                format!("{}{}", p.typed, if f.editing_duration { "" } else { "▌" }),
                t.text,
            ),
        ]));
        lines.push(Line::styled(
            "Tab switches field · created by you, recorded in the audit log",
            t.muted,
        ));
    } else if p.needs_typing() {
        lines.push(Line::from(vec![
            Span::styled(format!("Type \"{}\" to confirm: ", p.target.name), t.warn),
            Span::styled(
                format!("{}▌", p.typed),
                if p.typed_ok() { t.ok } else { t.text },
            ),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("Enter", t.accent),
        Span::styled(" confirm   ", t.muted),
        Span::styled("Esc", t.accent),
        Span::styled(" cancel", t.muted),
    ]));
    let area = fitted(body, w, &lines);
    let danger = p.kind.needs_typed_confirmation() || p.against.is_some();
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(if danger { t.error } else { t.border_focus })
        // The cluster it goes to, always: with several watched, the one in focus.
        .title(Span::styled(
            format!(
                " {} {} · {} ",
                p.kind.title(),
                p.target,
                v.state.context.name
            ),
            if danger { t.error } else { t.title },
        ));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn help(frame: &mut Frame, body: Rect, v: &View, scroll: usize) {
    let t = v.theme;
    let mut lines = Vec::new();
    let read_only = v.state.context.read_only;
    for (ctx, bindings) in &v.keymap.contexts {
        lines.push(Line::styled(ctx.name(), t.title));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            let refused = read_only && b.action.kind().is_some();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<16}", keys.join(" ")),
                    if refused { t.muted } else { t.accent },
                ),
                Span::styled(b.about_in(*ctx), if refused { t.muted } else { t.text }),
                Span::styled(
                    if refused {
                        "  (refused: read-only)"
                    } else {
                        ""
                    },
                    t.muted,
                ),
            ]));
        }
    }
    let area = centered(body, 60, body.height);
    let inner_h = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_h);
    let scroll = scroll.min(max_scroll);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border_focus)
        .title(Span::styled(" Keys (from the active keymap) ", t.title))
        .title_bottom(Span::styled(" j/k scroll · ? or Esc closes ", t.muted));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(block),
        area,
    );
}

/// Everything the Application says about itself: source, destination, policy, health,
/// the last operation, images, and the deployment history (newest first).
fn app_detail(frame: &mut Frame, body: Rect, v: &View, namespace: &str, name: &str, scroll: usize) {
    let t = v.theme;
    let s = v.state;
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border_focus)
        .title(Span::styled(format!(" {namespace}/{name} "), t.title))
        .title_bottom(Span::styled(
            " s sync · r refresh · D diff · y YAML · d pods · Enter cockpit · Esc close ",
            t.muted,
        ));
    let Some(a) = s
        .apps
        .iter()
        .find(|a| a.name == name && a.namespace == namespace)
    else {
        let area = centered(body, 90.min(body.width), 3);
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(Line::styled("this application is gone", t.error)).block(block),
            area,
        );
        return;
    };
    let (sync, sync_st) = super::apps::sync_cell(t, a.sync);
    let (health, health_st) = match &a.invalid {
        Some(_) => ("✗ Invalid".to_string(), t.error),
        None => super::apps::health_cell(t, a.health),
    };
    let field = |k: &str, val: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), t.muted),
            Span::styled(val, t.text),
        ])
    };
    let mut lines = Vec::new();
    if let Some(why) = &a.invalid {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "invalid"), t.error),
            Span::styled(format!("cannot be read: {why}"), t.error),
        ]));
    }
    lines.extend([
        Line::from(vec![
            Span::styled(format!("{:<12}", "status"), t.muted),
            Span::styled(sync, sync_st),
            Span::raw("  "),
            Span::styled(health, health_st),
            Span::styled(
                if a.health_message.is_empty() {
                    String::new()
                } else {
                    format!("  {}", a.health_message)
                },
                t.muted,
            ),
        ]),
        field("project", a.project.clone()),
        field("source", format!("{} {}", a.repo, a.source)),
        field(
            "revision",
            format!("{} (target {})", a.revision, a.target_revision),
        ),
        field("destination", a.destination_namespace.clone()),
        field(
            "sync policy",
            format!(
                "{}, wave {}",
                if a.auto_sync { "automated" } else { "manual" },
                a.sync_wave
            ),
        ),
    ]);
    if let Some(op) = &a.operation {
        let when = match op.finished_at {
            Some(f) => format!("finished {} ago", super::fmt_age((s.now - f).num_seconds())),
            None => format!(
                "running for {}",
                super::fmt_age((s.now - op.started_at).num_seconds())
            ),
        };
        let by = if op.initiated_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", op.initiated_by)
        };
        lines.push(field(
            "operation",
            format!("{} {when}{by}: {}", op.phase.as_str(), op.message),
        ));
    }
    for (i, img) in a.images.iter().enumerate() {
        lines.push(field(if i == 0 { "images" } else { "" }, img.clone()));
    }
    // What Argo CD Image Updater keeps up to date here, and where it writes the new tag.
    for (i, r) in a.image_updater.iter().enumerate() {
        let constraint = if r.constraint.is_empty() {
            String::new()
        } else {
            format!(" {}", r.constraint)
        };
        let alias = if r.alias.is_empty() {
            String::new()
        } else {
            format!("{}: ", r.alias)
        };
        lines.push(field(
            if i == 0 { "image upd." } else { "" },
            format!(
                "{alias}{}{constraint} by {}{}",
                r.image,
                r.strategy,
                if i == 0 {
                    format!(", written back by {}", a.write_back)
                } else {
                    String::new()
                }
            ),
        ));
    }
    // What Image Updater's resource says it last wrote here, and whether it is well.
    if let Some(r) = crate::model::app::last_image_update(&s.image_updaters, namespace, name) {
        let ago =
            r.at.map(|t| format!(" {} ago", super::fmt_age((s.now - t).num_seconds())))
                .unwrap_or_default();
        lines.push(field(
            "last bump",
            format!("{} → {}{ago} by image updater", r.image, r.version),
        ));
    }
    // An Image Updater resource that writes here and is not well.
    let writes_here =
        |u: &&crate::model::ImageUpdater| u.updates.iter().any(|r| r.is_for(namespace, name));
    for u in s
        .image_updaters
        .iter()
        .filter(|u| u.ready == Some(false))
        .filter(writes_here)
    {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", ""), t.muted),
            Span::styled(
                format!(
                    "✗ ImageUpdater {}/{} not ready: {}",
                    u.namespace, u.name, u.message
                ),
                t.error,
            ),
        ]));
    }
    for (i, h) in a.history.iter().rev().take(5).enumerate() {
        let rev = crate::model::app::short_rev(&h.revision).to_string();
        lines.push(field(
            if i == 0 { "history" } else { "" },
            format!(
                "#{} {rev} deployed {} ago",
                h.id,
                super::fmt_age((s.now - h.deployed_at).num_seconds())
            ),
        ));
    }
    lines.extend(resource_lines(v, namespace, name, body.width >= 100));
    // Its rollout's newest Warning events (watched while the details are open).
    if let Some(b) = s.app_rollout(namespace, name).and_then(|r| s.below(r)) {
        let warnings = b.events.iter().filter(|e| e.warning);
        for (i, e) in warnings.take(5).enumerate() {
            let age = e
                .last
                .map(|t| super::fmt_age((s.now - t).num_seconds()))
                .unwrap_or_default();
            let times = if e.count > 1 {
                format!(" ×{}", e.count)
            } else {
                String::new()
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:<12}", if i == 0 { "events" } else { "" }),
                    t.muted,
                ),
                Span::styled(format!("⚠ {age} {} ", e.reason), t.warn),
                Span::styled(
                    format!("{}/{}: {}{times}", e.kind.to_lowercase(), e.object, e.note),
                    t.text,
                ),
            ]));
        }
    }
    let area = fitted(body, 110, &lines);
    // Taller than the screen: j/k scroll it, and the border says how much is below.
    let inner_w = area.width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let shown = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(rows.saturating_sub(shown));
    let block = if rows > shown + scroll {
        block.title_top(
            Line::styled(
                format!(" ↓ {} more (j/k) ", rows - shown - scroll),
                t.accent,
            )
            .right_aligned(),
        )
    } else {
        block
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(u16::MAX as usize) as u16, 0))
            .block(block),
        area,
    );
}

/// The application's resources (its tree, read while the details are open): each with its
/// sync and health and what the last sync did to it, then the last sync's hooks.
/// `wide`: room for the words `last sync:` (on 80 columns the verb says it alone).
fn resource_lines<'a>(v: &View, namespace: &str, name: &str, wide: bool) -> Vec<Line<'a>> {
    use crate::state::Fetch;
    let t = v.theme;
    let label = |k: &str| Span::styled(format!("{k:<12}"), t.muted);
    let Some(held) = v.state.app_tree(namespace, name) else {
        return vec![Line::from(vec![
            label("resources"),
            Span::styled("reading…", t.muted),
        ])];
    };
    let tree = &held.tree;
    let mut out = Vec::new();
    let mut head = vec![
        label("resources"),
        Span::styled(format!("{}", tree.resources.len()), t.text),
    ];
    if !tree.health_kept() {
        head.push(Span::styled(
            " · per-resource health is not in the Application (Argo CD ≥ 3.0 keeps it in its cache unless controller.resource.health.persist is \"true\"): shown as ?",
            t.muted,
        ));
    }
    match &held.fetch {
        Fetch::Failed(e) => head.push(Span::styled(
            format!(" · ✗ cannot be read now ({e}): what is shown was read before"),
            t.error,
        )),
        Fetch::Absent(e) => head.push(Span::styled(format!(" · {e}"), t.muted)),
        Fetch::Waiting => head.push(Span::styled(" · reading…", t.muted)),
        Fetch::Listed => {}
    }
    out.push(Line::from(head));
    let mut rs: Vec<&crate::model::AppResource> = tree.resources.iter().collect();
    rs.sort_by(|a, b| (a.wave, &a.kind, &a.name).cmp(&(b.wave, &b.kind, &b.name)));
    let kind_w = rs
        .iter()
        .map(|r| r.kind.chars().count())
        .max()
        .unwrap_or(4)
        .min(20);
    // On 80 columns a row must fit one line: names cut sooner, columns closer.
    let (sync_w, health_w) = if wide { (12, 14) } else { (11, 13) };
    let name_w = rs
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .min(if wide { 36 } else { 22 });
    for r in rs {
        let (sync, sync_st) = super::apps::sync_cell(t, r.sync);
        // Argo CD checks the health of some kinds only: without one a resource has none; with
        // health kept outside the CR, none is known here.
        let (health, health_st) = match r.health {
            Some(h) => super::apps::health_cell(t, h),
            None if tree.health_kept() => (String::new(), t.muted),
            None => ("?".to_string(), t.muted),
        };
        let mut spans = vec![
            Span::raw("  "),
            Span::styled(
                format!("{:<kind_w$} ", super::ellipsize(&r.kind, kind_w)),
                t.text,
            ),
            Span::styled(
                format!("{:<name_w$} ", super::ellipsize(&r.name, name_w)),
                t.text,
            ),
            Span::styled(format!("{sync:<sync_w$}"), sync_st),
            Span::styled(format!("{health:<health_w$}"), health_st),
        ];
        if r.requires_pruning {
            spans.push(Span::styled("prune ", t.warn));
        }
        if let Some(x) = tree.result_of(r) {
            let st = if x.status == "SyncFailed" {
                t.error
            } else {
                t.muted
            };
            // `service/store unchanged`: the row names the object, the verb is the news.
            let said = match x.message.split_once(' ') {
                Some((obj, rest)) if obj.contains('/') => rest,
                _ => x.message.as_str(),
            };
            let said = if said.is_empty() { &x.status } else { said };
            spans.push(Span::styled(
                if wide {
                    format!("last sync: {said}")
                } else {
                    said.to_string()
                },
                st,
            ));
        }
        if !r.health_message.is_empty() {
            spans.push(Span::styled(format!(" · {}", r.health_message), t.muted));
        }
        out.push(Line::from(spans));
    }
    for (i, h) in tree.hooks().enumerate() {
        let st = match h.hook_phase.as_str() {
            "Failed" | "Error" => t.error,
            "Running" => t.info,
            _ => t.ok,
        };
        out.push(Line::from(vec![
            label(if i == 0 { "hooks" } else { "" }),
            Span::styled(format!("{} {} {} ", h.hook_type, h.kind, h.name), t.text),
            Span::styled(h.hook_phase.clone(), st),
            Span::styled(
                if h.message.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", h.message)
                },
                t.muted,
            ),
        ]));
    }
    out
}

fn internal_log(frame: &mut Frame, body: Rect, v: &View) {
    let t = v.theme;
    let h = (body.height / 2).max(5).min(body.height);
    let area = Rect::new(body.x, body.bottom().saturating_sub(h), body.width, h);
    frame.render_widget(Clear, area);
    let w = tui_logger::TuiLoggerWidget::default()
        .block(
            Block::bordered()
                .border_style(t.border_focus)
                .title(Span::styled(" opsdeck log (L closes) ", t.title)),
        )
        .style_error(t.log_error)
        .style_warn(t.log_warn)
        .style_info(t.log_info)
        .style_debug(t.log_debug)
        .output_target(false)
        .output_file(false)
        .output_line(false);
    frame.render_widget(w, area);
}

/// The palette's best matches, in a box at the bottom of the body, just above the footer.
fn suggestions(frame: &mut Frame, body: Rect, v: &View, cmd: &str) {
    let s = v.state;
    let t = v.theme;
    let list = s.suggestions(cmd, 8);
    if list.is_empty() || body.height < 3 {
        return;
    }
    let h = (list.len() as u16 + 2).min(body.height);
    let w = body.width.min(64);
    let area = Rect::new(body.x, body.bottom() - h, w, h);
    frame.render_widget(ratatui::widgets::Clear, area);
    let block = ratatui::widgets::Block::bordered()
        .border_style(t.border_focus)
        .title(Span::styled(" commands ", t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    for (i, sug) in list.iter().enumerate().take(inner.height as usize) {
        let st = if i == 0 { t.selection } else { t.text };
        let line = Line::from(vec![
            Span::styled(format!(":{:<28}", sug.line), st),
            Span::styled(format!(" {}", sug.about), t.muted),
        ]);
        frame.render_widget(
            Paragraph::new(line),
            Rect::new(inner.x, inner.y + i as u16, inner.width, 1),
        );
    }
}
