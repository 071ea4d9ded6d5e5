//! Where each pane goes for a given terminal size: a pure function shared by the ui, which
//! draws into the rectangles, and State, which needs the viewport heights to scroll.
//!
//! ```text
//! full (≥120×40)                          compact (smaller)
//! ┌ header ─────────────────────────────┐  ┌ header + pane tabs ──┐
//! │ Apps             │ Rollouts         │  │ Rollouts             │
//! │ Routes           │ CPU              │  │ focused pane         │
//! │ Error logs            │ Alerts      │  │                      │
//! └ footer: key hints ──────────────────┘  └ footer ──────────────┘
//! ```

use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pane {
    Apps,
    Rollouts,
    Routes,
    Cpu,
    Logs,
    Alerts,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Apps,
        Pane::Rollouts,
        Pane::Routes,
        Pane::Cpu,
        Pane::Logs,
        Pane::Alerts,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn title(self) -> &'static str {
        match self {
            Pane::Apps => "Apps",
            Pane::Rollouts => "Rollouts",
            Pane::Routes => "Routes",
            Pane::Cpu => "CPU",
            Pane::Logs => "Error logs",
            Pane::Alerts => "Alerts",
        }
    }
    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % 6]
    }
    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + 5) % 6]
    }
    /// Rows a pane spends on its border and table header.
    pub fn chrome_rows(self) -> u16 {
        match self {
            Pane::Logs | Pane::Cpu => 2,
            _ => 3,
        }
    }
}

/// Below either of these the screen switches to the compact layout.
pub const FULL_MIN_WIDTH: u16 = 120;
pub const FULL_MIN_HEIGHT: u16 = 40;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScreenLayout {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    pub compact: bool,
    /// Visible panes and their rectangles, in drawing order.
    pub panes: Vec<(Pane, Rect)>,
}

impl ScreenLayout {
    pub fn rect(&self, pane: Pane) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }
    /// Rows of list content a pane shows (0 when hidden).
    pub fn viewport_rows(&self, pane: Pane) -> usize {
        self.rect(pane)
            .map(|r| r.height.saturating_sub(pane.chrome_rows()) as usize)
            .unwrap_or(0)
    }
}

pub fn compute(area: Rect, focus: Pane, zoom: bool) -> ScreenLayout {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let compact = area.width < FULL_MIN_WIDTH || area.height < FULL_MIN_HEIGHT;
    let panes = if zoom || (compact && body.height < 16) {
        vec![(focus, body)]
    } else if compact {
        let other = if focus == Pane::Rollouts {
            Pane::Apps
        } else {
            Pane::Rollouts
        };
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(body);
        if focus == Pane::Rollouts {
            vec![(Pane::Rollouts, top), (other, bottom)]
        } else {
            vec![(Pane::Rollouts, top), (focus, bottom)]
        }
    } else {
        let [r1, r2, r3] = Layout::vertical([
            Constraint::Percentage(34),
            Constraint::Percentage(34),
            Constraint::Percentage(32),
        ])
        .areas(body);
        let [apps, rollouts] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(r1);
        let [routes, cpu] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(r2);
        let [logs, alerts] =
            Layout::horizontal([Constraint::Percentage(64), Constraint::Percentage(36)]).areas(r3);
        vec![
            (Pane::Apps, apps),
            (Pane::Rollouts, rollouts),
            (Pane::Routes, routes),
            (Pane::Cpu, cpu),
            (Pane::Logs, logs),
            (Pane::Alerts, alerts),
        ]
    };
    ScreenLayout {
        header,
        body,
        footer,
        compact,
        panes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_layout_shows_six_panes_inside_the_body() {
        let l = compute(Rect::new(0, 0, 120, 40), Pane::Apps, false);
        assert!(!l.compact);
        assert_eq!(l.panes.len(), 6);
        for (_, r) in &l.panes {
            assert!(r.y >= l.body.y && r.bottom() <= l.body.bottom());
            assert!(r.right() <= 120);
        }
    }

    #[test]
    fn compact_layout_keeps_rollouts_and_the_focused_pane() {
        let l = compute(Rect::new(0, 0, 80, 24), Pane::Logs, false);
        assert!(l.compact);
        let shown: Vec<Pane> = l.panes.iter().map(|p| p.0).collect();
        assert_eq!(shown, vec![Pane::Rollouts, Pane::Logs]);
    }

    #[test]
    fn tiny_and_zoomed_show_one_pane() {
        assert_eq!(
            compute(Rect::new(0, 0, 40, 10), Pane::Cpu, false)
                .panes
                .len(),
            1
        );
        assert_eq!(
            compute(Rect::new(0, 0, 200, 60), Pane::Cpu, true)
                .panes
                .len(),
            1
        );
    }
}
