//! Lists of objects keyed by namespace and name (Applications, Rollouts, and what comes next):
//! replaced by a snapshot, changed one object at a time, always in their display order. Each
//! change says whether anything on screen changed, and shows the caller every object beside
//! the one it replaces (the timeline records the differences).

use crate::model::{ArgoApp, Rollout};
use std::collections::HashMap;

pub trait Keyed: PartialEq + Sized {
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
}

impl Keyed for ArgoApp {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Keyed for Rollout {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}

fn same<T: Keyed>(a: &T, namespace: &str, name: &str) -> bool {
    a.name() == name && a.namespace() == namespace
}

/// Replaces the whole list with a snapshot; `seen(old, new)` for every object of it that is new
/// or changed. Returns
/// whether any object was added, removed or changed (compared by key, not by order: the
/// caller puts the list in its order after). The replaced objects are returned, for the
/// caller to drop where it costs nothing.
pub fn snapshot<T: Keyed>(
    list: &mut Vec<T>,
    new: Vec<T>,
    mut seen: impl FnMut(Option<&T>, &T),
) -> (bool, Vec<T>) {
    let mut changed = list.len() != new.len();
    {
        let by_key: HashMap<(&str, &str), &T> = list
            .iter()
            .map(|x| ((x.namespace(), x.name()), x))
            .collect();
        for n in &new {
            let old = by_key.get(&(n.namespace(), n.name())).copied();
            // An object as it was has nothing new to tell.
            if old != Some(n) {
                changed = true;
                seen(old, n);
            }
        }
    }
    (changed, std::mem::replace(list, new))
}

/// Inserts or replaces one object; `seen(old, new)` first. Returns whether it changed, and
/// where it is now (a new one is put last: the caller puts the list in its order).
pub fn upsert<T: Keyed>(
    list: &mut Vec<T>,
    item: T,
    seen: impl FnOnce(Option<&T>, &T),
) -> (bool, usize) {
    let pos = list
        .iter()
        .position(|x| same(x, item.namespace(), item.name()));
    seen(pos.map(|i| &list[i]), &item);
    match pos {
        Some(i) if list[i] == item => (false, i),
        Some(i) => {
            list[i] = item;
            (true, i)
        }
        None => {
            list.push(item);
            (true, list.len() - 1)
        }
    }
}

/// Removes one object; true if it was there.
pub fn delete<T: Keyed>(list: &mut Vec<T>, namespace: &str, name: &str) -> bool {
    let n = list.len();
    list.retain(|x| !same(x, namespace, name));
    list.len() != n
}

#[cfg(test)]
mod tests {
    use crate::state::tests::*;

    #[test]
    fn apps_sorted_by_wave_are_in_sync_wave_order() {
        let (mut s, _) = demo(Scenario::Steady, false);
        s.ui.sort[Pane::Apps] = crate::state::SortKey::Wave;
        s.resort(Pane::Apps, None);
        let waves: Vec<i32> = s.apps.iter().map(|a| a.sync_wave).collect();
        let mut sorted = waves.clone();
        sorted.sort();
        assert_eq!(waves, sorted);
        assert_eq!(s.apps.first().map(|a| a.name.as_str()), Some("root-app"));
        assert_eq!(s.apps.len(), 18);
    }

    #[test]
    fn an_unchanged_snapshot_does_not_redraw() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let apps = s.apps.clone();
        let rollouts = s.rollouts.clone();
        assert!(!s.apply(Update::Apps(apps.clone())));
        assert!(!s.apply(Update::Rollouts(rollouts.clone())));
        assert!(!s.apply(Update::AppUpserted(apps[3].clone())));
        let mut changed = rollouts[0].clone();
        changed.message = "x".into();
        assert!(s.apply(Update::RolloutUpserted(Box::new(changed))));
    }
}
