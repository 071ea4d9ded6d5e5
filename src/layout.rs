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
    /// The pane's word in keymaps, `:pane` and `--layout`.
    pub fn word(self) -> &'static str {
        match self {
            Pane::Apps => "apps",
            Pane::Rollouts => "rollouts",
            Pane::Routes => "routes",
            Pane::Cpu => "cpu",
            Pane::Logs => "logs",
            Pane::Alerts => "alerts",
        }
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
    /// The fleet strip (no rows with one cluster).
    pub strip: Rect,
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

/// Which panes the full layout shows, in rows, with their sizes; and below which terminal
/// size the compact layout takes over. From `--layout` / `layout =` in config.toml.
#[derive(Clone, Debug, PartialEq)]
pub struct LayoutSpec {
    /// (row height %, [(pane, width %)]).
    pub rows: Vec<(u16, Vec<(Pane, u16)>)>,
    pub compact_below: (u16, u16),
    /// Rows under the header for the fleet strip (1 while several clusters are watched).
    pub strip: u16,
}

pub const DEFAULT_LAYOUT: &str =
    "34% apps:50 rollouts:50 / 34% routes:55 cpu:45 / 32% logs:64 alerts:36";

impl Default for LayoutSpec {
    fn default() -> Self {
        LayoutSpec::parse(DEFAULT_LAYOUT).unwrap_or(LayoutSpec {
            rows: Vec::new(),
            compact_below: (FULL_MIN_WIDTH, FULL_MIN_HEIGHT),
            strip: 0,
        })
    }
}

impl LayoutSpec {
    /// `ROW / ROW …`, a row being `[H%] PANE[:W] …` (`34% apps:50 rollouts:50`); sizes left
    /// out share what is left equally.
    pub fn parse(s: &str) -> Result<LayoutSpec, String> {
        let mut rows = Vec::new();
        let mut seen = Vec::new();
        for row in s.split('/') {
            let mut height = None;
            let mut panes = Vec::new();
            for word in row.split_whitespace() {
                if let Some(h) = word.strip_suffix('%') {
                    height = Some(
                        h.parse::<u16>()
                            .map_err(|_| format!("\"{word}\" is not a height like 34%"))?,
                    );
                    continue;
                }
                let (name, w) = word.split_once(':').unwrap_or((word, ""));
                let pane = Pane::ALL
                    .iter()
                    .copied()
                    .find(|p| p.word() == name)
                    .ok_or_else(|| {
                        format!(
                            "unknown pane \"{name}\" (apps, rollouts, routes, cpu, logs, alerts)"
                        )
                    })?;
                if seen.contains(&pane) {
                    return Err(format!("pane \"{name}\" is in the layout twice"));
                }
                seen.push(pane);
                let w = if w.is_empty() {
                    0
                } else {
                    w.parse::<u16>()
                        .map_err(|_| format!("\"{word}\": the width is a percentage"))?
                };
                panes.push((pane, w));
            }
            if panes.is_empty() {
                return Err("a layout row without panes".into());
            }
            // Widths not given share the rest.
            let given: u16 = panes.iter().map(|p| p.1).sum();
            let missing = panes.iter().filter(|p| p.1 == 0).count() as u16;
            if let Some(each) = 100u16.saturating_sub(given).checked_div(missing) {
                for p in panes.iter_mut().filter(|p| p.1 == 0) {
                    p.1 = each.max(1);
                }
            }
            rows.push((height.unwrap_or(0), panes));
        }
        let given: u16 = rows.iter().map(|r| r.0).sum();
        let missing = rows.iter().filter(|r| r.0 == 0).count() as u16;
        if let Some(each) = 100u16.saturating_sub(given).checked_div(missing) {
            for r in rows.iter_mut().filter(|r| r.0 == 0) {
                r.0 = each.max(1);
            }
        }
        Ok(LayoutSpec {
            rows,
            compact_below: (FULL_MIN_WIDTH, FULL_MIN_HEIGHT),
            strip: 0,
        })
    }

    pub fn shows(&self, p: Pane) -> bool {
        self.rows.iter().any(|r| r.1.iter().any(|x| x.0 == p))
    }
}

/// `120x40` → (120, 40).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("\"{s}\" is not WIDTHxHEIGHT"))?;
    let n = |v: &str| {
        v.parse::<u16>()
            .map_err(|_| format!("\"{s}\" is not WIDTHxHEIGHT"))
    };
    Ok((n(w)?, n(h)?))
}

pub fn compute(area: Rect, focus: Pane, zoom: bool) -> ScreenLayout {
    compute_with(area, focus, zoom, &LayoutSpec::default())
}

pub fn compute_with(area: Rect, focus: Pane, zoom: bool, spec: &LayoutSpec) -> ScreenLayout {
    let [header, strip, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(spec.strip),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let compact = area.width < spec.compact_below.0 || area.height < spec.compact_below.1;
    // A pane the layout leaves out is shown alone while it has the focus.
    let panes = if zoom || (compact && body.height < 16) || (!compact && !spec.shows(focus)) {
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
        let heights: Vec<Constraint> = spec
            .rows
            .iter()
            .map(|r| Constraint::Percentage(r.0))
            .collect();
        let row_rects = Layout::vertical(heights).split(body);
        let mut out = Vec::new();
        for ((_, panes), rr) in spec.rows.iter().zip(row_rects.iter()) {
            let widths: Vec<Constraint> =
                panes.iter().map(|p| Constraint::Percentage(p.1)).collect();
            let cells = Layout::horizontal(widths).split(*rr);
            for ((pane, _), r) in panes.iter().zip(cells.iter()) {
                out.push((*pane, *r));
            }
        }
        out
    };
    ScreenLayout {
        header,
        strip,
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

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[test]
    fn layouts_parse_and_leave_panes_out() {
        let spec = LayoutSpec::parse("rollouts:60 apps / 40% logs").unwrap();
        assert_eq!(
            spec.rows[0],
            (60, vec![(Pane::Rollouts, 60), (Pane::Apps, 40)])
        );
        assert_eq!(spec.rows[1].0, 40);
        let l = compute_with(Rect::new(0, 0, 200, 60), Pane::Apps, false, &spec);
        assert_eq!(l.panes.len(), 3);
        assert!(
            l.rect(Pane::Cpu).is_none(),
            "cpu left out: no queries for it"
        );
        let l = compute_with(Rect::new(0, 0, 200, 60), Pane::Cpu, false, &spec);
        assert_eq!(
            l.panes,
            vec![(Pane::Cpu, l.body)],
            "a left-out pane shows alone when focused"
        );
        assert_eq!(
            LayoutSpec::default(),
            LayoutSpec::parse(DEFAULT_LAYOUT).unwrap()
        );
        assert!(
            LayoutSpec::parse("apps apps")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            LayoutSpec::parse("apps / nets")
                .unwrap_err()
                .contains("unknown pane \"nets\"")
        );
        assert_eq!(parse_size("100x30"), Ok((100, 30)));
    }
}
