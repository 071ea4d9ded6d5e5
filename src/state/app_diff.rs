//! The diff of the application on screen against Git's desired state or a history revision,
//! read from the Argo CD API server while its view is open (`Demand.app_diff`); what was
//! shown stays while a newer read is on its way or when it fails.

use super::{Fetch, Overlay, State};
use crate::model::{AppDiff, DiffAsk};

/// The diff State holds, and what it was asked as.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldDiff {
    pub ask: DiffAsk,
    pub diff: AppDiff,
    pub fetch: Fetch,
}

impl State {
    /// The diff wanted: the one whose view is open, when there is an Argo CD API server to
    /// ask. It names the application's revision and last reconcile, so a new reconcile (after
    /// a sync, a refresh, a commit) reads it again.
    pub fn app_diff_wanted(&self) -> Option<DiffAsk> {
        self.context.argocd_server.as_ref()?;
        let Some(Overlay::Diff {
            namespace,
            name,
            against,
            ..
        }) = &self.ui.overlay
        else {
            return None;
        };
        let app = self
            .apps
            .iter()
            .find(|a| &a.name == name && &a.namespace == namespace);
        let seen = app
            .map(|a| {
                let at = a.reconciled_at.map(|t| t.timestamp()).unwrap_or_default();
                format!("{} {at} {}", a.revision, a.sync.as_str())
            })
            .unwrap_or_default();
        Some(DiffAsk {
            namespace: namespace.clone(),
            name: name.clone(),
            against: against.clone(),
            destination: app
                .map(|a| a.destination_namespace.clone())
                .unwrap_or_default(),
            seen,
        })
    }

    /// The diff held for the view open now (perhaps from before the last reconcile).
    pub fn app_diff(&self) -> Option<&HeldDiff> {
        let want = self.app_diff_wanted()?;
        self.app_diff.as_ref().filter(|d| d.ask.same_view(&want))
    }

    /// Rows of the diff view's list (as the drawing counts them).
    pub(super) fn diff_rows(&self) -> usize {
        // And the note line above the list.
        self.app_diff().map_or(0, |d| d.diff.rows() + 1)
    }

    pub(super) fn apply_app_diff(&mut self, ask: DiffAsk, diff: Result<AppDiff, String>) -> bool {
        let Some(want) = self.app_diff_wanted() else {
            return false;
        };
        if !ask.same_view(&want) {
            return false;
        }
        let held = match self.app_diff.as_mut() {
            Some(h) if h.ask.same_view(&ask) => h,
            _ => self.app_diff.insert(HeldDiff {
                ask: ask.clone(),
                ..Default::default()
            }),
        };
        let before = held.clone();
        held.ask = ask;
        match diff {
            Ok(d) => {
                held.diff = d;
                held.fetch = Fetch::Listed;
            }
            Err(e) => held.fetch = Fetch::Failed(e),
        }
        *held != before
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AppDiff, DiffAgainst, DiffAsk};
    use crate::state::tests::*;
    use crate::state::{Fetch, Overlay, Update};

    fn open(s: &mut crate::state::State, against: DiffAgainst) -> DiffAsk {
        s.ui.overlay = Some(Overlay::Diff {
            namespace: "dev".into(),
            name: "store".into(),
            against,
            scroll: 0,
        });
        s.app_diff_wanted().expect("asked")
    }

    #[test]
    fn the_diff_is_held_for_its_view_and_kept_when_a_read_fails() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let ask = open(&mut s, DiffAgainst::Desired);
        assert_eq!(s.demand().app_diff, Some(ask.clone()));
        let diff = AppDiff {
            target: "desired state".into(),
            ..Default::default()
        };
        assert!(s.apply(Update::AppDiff {
            ask: ask.clone(),
            diff: Ok(diff.clone())
        }));
        assert_eq!(s.app_diff().map(|d| &d.diff), Some(&diff));
        // A failed read again keeps what was shown, and says why.
        assert!(s.apply(Update::AppDiff {
            ask: ask.clone(),
            diff: Err("Argo CD: permission denied".into())
        }));
        let held = s.app_diff().expect("held");
        assert_eq!(held.diff, diff);
        assert_eq!(
            held.fetch,
            Fetch::Failed("Argo CD: permission denied".into())
        );
        // Another view's answer is not this one's.
        open(
            &mut s,
            DiffAgainst::Revision {
                id: 1,
                revision: "abc".into(),
            },
        );
        assert!(s.app_diff().is_none());
        assert!(!s.apply(Update::AppDiff {
            ask,
            diff: Ok(AppDiff::default())
        }));
    }

    #[test]
    fn without_an_argo_cd_server_nothing_is_asked() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.context.argocd_server = None;
        s.ui.overlay = Some(Overlay::Diff {
            namespace: "dev".into(),
            name: "store".into(),
            against: DiffAgainst::Desired,
            scroll: 0,
        });
        assert_eq!(s.demand().app_diff, None);
    }
}
