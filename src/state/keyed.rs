//! Lists of objects keyed by namespace and name (Applications, Rollouts, and what comes next):
//! replaced by a snapshot, changed one object at a time, always in their display order. Each
//! change says whether anything on screen changed, and shows the caller every object beside
//! the one it replaces (the timeline records the differences).

use crate::model::{ArgoApp, Rollout};
use std::collections::HashMap;

pub trait Keyed: PartialEq + Sized {
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
    /// Puts a list in its display order.
    fn order(list: &mut [Self]);
}

impl Keyed for ArgoApp {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
    /// Sync wave first (the order Argo CD applies them), then name.
    fn order(apps: &mut [Self]) {
        apps.sort_by(|a, b| {
            (a.sync_wave, &a.name, &a.namespace).cmp(&(b.sync_wave, &b.name, &b.namespace))
        });
    }
}

impl Keyed for Rollout {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn order(r: &mut [Self]) {
        r.sort_by(|a, b| (&a.name, &a.namespace).cmp(&(&b.name, &b.namespace)));
    }
}

fn same<T: Keyed>(a: &T, namespace: &str, name: &str) -> bool {
    a.name() == name && a.namespace() == namespace
}

/// Replaces the whole list with a snapshot; `seen(old, new)` for every object of it.
pub fn snapshot<T: Keyed>(
    list: &mut Vec<T>,
    mut new: Vec<T>,
    mut seen: impl FnMut(Option<&T>, &T),
) -> bool {
    {
        let by_key: HashMap<(&str, &str), &T> = list
            .iter()
            .map(|x| ((x.namespace(), x.name()), x))
            .collect();
        for n in &new {
            seen(by_key.get(&(n.namespace(), n.name())).copied(), n);
        }
    }
    T::order(&mut new);
    let changed = *list != new;
    *list = new;
    changed
}

/// Inserts or replaces one object; `seen(old, new)` first.
pub fn upsert<T: Keyed>(list: &mut Vec<T>, item: T, seen: impl FnOnce(Option<&T>, &T)) -> bool {
    let pos = list
        .iter()
        .position(|x| same(x, item.namespace(), item.name()));
    seen(pos.map(|i| &list[i]), &item);
    match pos {
        Some(i) if list[i] == item => false,
        Some(i) => {
            list[i] = item;
            true
        }
        None => {
            list.push(item);
            T::order(list);
            true
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
