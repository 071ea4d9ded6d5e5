//! The resource tree of the application whose details are open, read for it alone
//! (`Demand.app_tree`); what was shown stays when a read fails.

use super::{Fetch, Overlay, State};
use crate::model::AppTree;

/// The tree State holds, and for which application.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldTree {
    pub namespace: String,
    pub name: String,
    pub tree: AppTree,
    pub fetch: Fetch,
}

impl State {
    /// The application whose resources are wanted: the one whose details are open.
    pub fn app_tree_wanted(&self) -> Option<(String, String)> {
        match &self.ui.overlay {
            Some(Overlay::AppDetail {
                namespace, name, ..
            }) => Some((namespace.clone(), name.clone())),
            _ => None,
        }
    }

    /// The tree held for `namespace/name`, if it is that one's.
    pub fn app_tree(&self, namespace: &str, name: &str) -> Option<&HeldTree> {
        self.app_tree
            .as_ref()
            .filter(|t| t.namespace == namespace && t.name == name)
    }

    pub(super) fn apply_app_tree(
        &mut self,
        namespace: String,
        name: String,
        tree: Result<AppTree, String>,
    ) -> bool {
        if self.app_tree_wanted() != Some((namespace.clone(), name.clone())) {
            return false;
        }
        let held = match self.app_tree.as_mut() {
            Some(t) if t.namespace == namespace && t.name == name => t,
            _ => self.app_tree.insert(HeldTree {
                namespace,
                name,
                ..Default::default()
            }),
        };
        let before = held.clone();
        match tree {
            Ok(t) => {
                held.tree = t;
                held.fetch = Fetch::Listed;
            }
            Err(e) => held.fetch = Fetch::Failed(e),
        }
        *held != before
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AppResource, AppTree, SyncStatus};
    use crate::state::tests::*;
    use crate::state::{Fetch, Overlay, Update};

    #[test]
    fn the_tree_is_held_for_the_open_details_only_and_kept_when_a_read_fails() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let tree = AppTree {
            resources: vec![AppResource {
                kind: "Rollout".into(),
                name: "store".into(),
                sync: SyncStatus::Synced,
                ..Default::default()
            }],
            ..Default::default()
        };
        let ns = s.context.argocd_namespace.clone();
        let u = |tree| Update::AppTree {
            namespace: ns.clone(),
            name: "store".into(),
            tree,
        };
        assert!(!s.apply(u(Ok(tree.clone()))), "no details open: not wanted");
        s.ui.overlay = Some(Overlay::AppDetail {
            namespace: ns.clone(),
            name: "store".into(),
            scroll: 0,
        });
        assert_eq!(s.demand().app_tree, Some((ns.clone(), "store".into())));
        assert!(s.apply(u(Ok(tree.clone()))));
        assert!(
            !s.apply(u(Ok(tree.clone()))),
            "the same again changes nothing"
        );
        assert!(s.apply(u(Err("forbidden".into()))));
        let held = s.app_tree(&ns, "store").expect("held");
        assert_eq!(held.tree, tree, "what was shown stays");
        assert_eq!(held.fetch, Fetch::Failed("forbidden".into()));
        s.ui.overlay = None;
        assert_eq!(s.demand().app_tree, None);
    }
}
