//! The fleet: several clusters watched at once. Each cluster has its own `State` (its own
//! sources, health and actions); the loop keeps them and hands the focused one the strip's
//! cells, one per cluster with its problem summary, so the strip under the header answers
//! "is anything wrong anywhere?". Moving the focus (`]`/`[`, `:ctx NAME`) shows that cluster.

use super::{Health, Problems, State};

/// One cluster in the strip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetCell {
    /// The context's name.
    pub name: String,
    pub problems: Problems,
    /// Sources failing (unreachable, 403, expired token), and the first one's reason.
    pub sources_down: usize,
    pub down_reason: String,
    /// Nothing heard from it yet.
    pub connecting: bool,
    pub focused: bool,
    pub protected: bool,
}

impl FleetCell {
    /// Worst first: 3 severe, 2 a problem or a source down, 1 connecting, 0 fine.
    pub fn rank(&self) -> u8 {
        if self.problems.severe() {
            3
        } else if !self.problems.is_empty() || self.sources_down > 0 {
            2
        } else if self.connecting {
            1
        } else {
            0
        }
    }
}

impl State {
    /// This cluster's cell in the strip.
    pub fn fleet_cell(&self, focused: bool) -> FleetCell {
        let down: Vec<&str> = self
            .sources
            .iter()
            .filter_map(|s| match &s.health {
                Health::Error(e) => Some(e.as_str()),
                _ => None,
            })
            .collect();
        FleetCell {
            name: self.context.name.clone(),
            problems: self.problems(),
            sources_down: down.len(),
            down_reason: down.first().map(|s| s.to_string()).unwrap_or_default(),
            connecting: self
                .sources
                .iter()
                .all(|s| matches!(s.health, Health::Connecting)),
            focused,
            protected: self.context.protected,
        }
    }

    /// The strip's cells (the loop's, every cluster's); a strip row while there are two or
    /// more. Returns whether the screen changed.
    pub fn set_fleet(&mut self, cells: Vec<FleetCell>) -> bool {
        if cells == self.fleet {
            return false;
        }
        let rows = u16::from(cells.len() > 1);
        self.fleet = cells;
        if rows != self.ui.layout_spec.strip {
            self.ui.layout_spec.strip = rows;
            self.relayout();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;
    use crate::state::{Health, SourceId, Update};

    #[test]
    fn a_cell_says_what_is_wrong_and_the_strip_takes_a_row_only_for_two_clusters() {
        let (mut s, _sim) = demo(Scenario::BadCanary, false);
        s.set_size(120, 40);
        let rows = s.ui.layout.body.height;
        let mine = s.fleet_cell(true);
        assert!(mine.problems.worse > 0, "{mine:?}");
        assert_eq!(mine.rank(), 3);
        assert!(!s.set_fleet(vec![]), "nothing changed");
        assert!(s.set_fleet(vec![mine.clone()]));
        assert_eq!(s.ui.layout.body.height, rows, "one cluster: no strip");
        let mut other = mine.clone();
        other.name = "stage".into();
        other.focused = false;
        assert!(s.set_fleet(vec![mine.clone(), other]));
        assert_eq!(s.ui.layout.body.height, rows - 1);
        assert_eq!(s.ui.layout.strip.height, 1);
        // A source down counts even without problems.
        s.apply(Update::SourceHealth {
            source: SourceId::Alerts,
            health: Health::Error("403 Forbidden".into()),
        });
        let cell = s.fleet_cell(true);
        assert_eq!(
            (cell.sources_down, cell.down_reason.as_str()),
            (1, "403 Forbidden")
        );
    }
}
