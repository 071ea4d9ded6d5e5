//! One object's YAML, read while its view is open (`Demand.object`): the selected
//! application, rollout, analysis run, pod, ServiceProfile or VirtualService. The view scrolls
//! and searches (`/`, `n`/`N`, the log search's query); what was shown stays when a read fails.

use super::{Command, Fetch, FlashKind, Intent, Overlay, Screen, State};
use crate::layout::Pane;
use crate::model::{ObjectRef, ObjectView};

/// The object State holds, and which.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldObject {
    pub target: ObjectRef,
    pub view: ObjectView,
    pub fetch: Fetch,
}

impl State {
    /// The object whose view is open.
    pub fn object_wanted(&self) -> Option<ObjectRef> {
        match &self.ui.overlay {
            Some(Overlay::Object { target, .. }) => Some(target.clone()),
            _ => None,
        }
    }

    /// What is held for the object on screen.
    pub fn object(&self) -> Option<&HeldObject> {
        let want = self.object_wanted()?;
        self.object.as_ref().filter(|o| o.target == want)
    }

    pub(super) fn apply_object(
        &mut self,
        target: ObjectRef,
        view: Result<ObjectView, String>,
    ) -> bool {
        if self.object_wanted().as_ref() != Some(&target) {
            return false;
        }
        let held = match self.object.as_mut() {
            Some(o) if o.target == target => o,
            _ => self.object.insert(HeldObject {
                target,
                ..Default::default()
            }),
        };
        let before = held.clone();
        match view {
            Ok(v) => {
                held.view = v;
                held.fetch = Fetch::Listed;
            }
            Err(e) => held.fetch = Fetch::Failed(e),
        }
        *held != before
    }

    /// The object `y` is about where the keys are: the pod selected in the pods view, the
    /// application of its details or row, the cockpit's rollout (`analysis`: its analysis
    /// run), the selected rollout, the route's ServiceProfile or VirtualService.
    fn object_here(&self, analysis: bool) -> Result<ObjectRef, String> {
        if let Some(Overlay::Pods {
            namespace,
            name,
            selected,
        }) = &self.ui.overlay
        {
            return self
                .rollout(namespace, name)
                .and_then(|r| self.below(r))
                .and_then(|b| b.pods.get(*selected))
                .map(|(_, p)| ObjectRef::pod(namespace, &p.name))
                .ok_or_else(|| "select a pod (j/k) to see its YAML".into());
        }
        if let Some(Overlay::AppDetail {
            namespace, name, ..
        }) = &self.ui.overlay
        {
            return Ok(ObjectRef::application(namespace, name));
        }
        if let Screen::Cockpit { namespace, name } = &self.ui.screen {
            if !analysis {
                return Ok(ObjectRef::rollout(namespace, name));
            }
            return self
                .rollout(namespace, name)
                .and_then(|r| r.analysis.as_ref())
                .map(|a| ObjectRef::analysis_run(namespace, &a.name))
                .ok_or_else(|| format!("{name} has no analysis run now"));
        }
        match self.ui.focus {
            Pane::Apps => self
                .selected_app()
                .map(|a| ObjectRef::application(&a.namespace, &a.name)),
            Pane::Rollouts => self
                .selected_rollout()
                .map(|r| ObjectRef::rollout(&r.namespace, &r.name)),
            Pane::Routes => self
                .selected_index(Pane::Routes)
                .and_then(|i| self.routes.get(i))
                .map(|r| match r.policy {
                    crate::model::RoutePolicy::Istio { .. } => {
                        let vs = self.virtual_services.iter().find(|v| {
                            v.namespace == r.namespace
                                && v.hosts.iter().any(|h| {
                                    h == &r.service || h.starts_with(&format!("{}.", r.service))
                                })
                        });
                        ObjectRef::virtual_service(
                            &r.namespace,
                            vs.map_or(r.service.as_str(), |v| v.name.as_str()),
                        )
                    }
                    _ => ObjectRef::service_profile(
                        &r.namespace,
                        &format!("{}.{}.svc.cluster.local", r.service, r.namespace),
                    ),
                }),
            _ => None,
        }
        .ok_or_else(|| {
            "nothing here has a YAML view: select an application, rollout, route or pod".into()
        })
    }

    /// Opens the YAML of the object here, or closes the one open.
    pub(super) fn toggle_object(&mut self, analysis: bool) {
        if let Some(Overlay::Object { back, .. }) = &mut self.ui.overlay {
            self.ui.overlay = back.take().map(|b| *b);
            return;
        }
        match self.object_here(analysis) {
            Ok(target) => {
                // The pods view it came from comes back when it closes.
                let back = match &self.ui.overlay {
                    Some(o @ (Overlay::Pods { .. } | Overlay::AppDetail { .. })) => {
                        Some(Box::new(o.clone()))
                    }
                    _ => None,
                };
                self.ui.overlay = Some(Overlay::Object {
                    target,
                    scroll: 0,
                    back,
                });
            }
            Err(why) => self.flash(FlashKind::Info, why),
        }
    }

    /// The YAML lines matching the log search's query, as rows of the view.
    fn object_hits(&self) -> Vec<usize> {
        let q = self.ui.logs.search.to_lowercase();
        let Some(o) = self.object() else {
            return Vec::new();
        };
        if q.is_empty() {
            return Vec::new();
        }
        let top = o.view.top_rows();
        o.view
            .yaml
            .iter()
            .enumerate()
            .filter(|(_, l)| l.to_lowercase().contains(&q))
            .map(|(i, _)| top + i)
            .collect()
    }

    /// Rows a full-body view shows: the screen less the header, the footer and its border.
    pub(super) fn view_rows(&self) -> usize {
        usize::from(self.ui.size.1.saturating_sub(4 + self.ui.layout_spec.strip)).max(1)
    }

    /// What the YAML view does with an intent; None: not its own.
    pub(super) fn on_object(&mut self, intent: &Intent) -> Option<Vec<Command>> {
        let rows = self.object().map_or(0, |o| o.view.rows());
        let page = self.view_rows();
        let hits = match intent {
            Intent::SearchNext | Intent::SearchPrev => self.object_hits(),
            _ => Vec::new(),
        };
        let Some(Overlay::Object { scroll, back, .. }) = &mut self.ui.overlay else {
            return None;
        };
        // The last screenful's first row, as the drawing shows it.
        let last = rows.saturating_sub(page);
        match intent {
            Intent::Up => *scroll = scroll.saturating_sub(1),
            Intent::Down => *scroll = (*scroll + 1).min(last),
            Intent::PageUp => *scroll = scroll.saturating_sub(page),
            Intent::PageDown => *scroll = (*scroll + page).min(last),
            Intent::Top => *scroll = 0,
            Intent::Bottom => *scroll = last,
            Intent::SearchNext | Intent::SearchPrev => {
                let next = if *intent == Intent::SearchNext {
                    hits.iter().find(|&&i| i > *scroll).or(hits.first())
                } else {
                    hits.iter().rev().find(|&&i| i < *scroll).or(hits.last())
                };
                match next {
                    Some(&i) => *scroll = i.min(last),
                    None => {
                        self.flash(FlashKind::Info, "no line matches the search (/ to search)");
                    }
                }
            }
            Intent::Back => self.ui.overlay = back.take().map(|b| *b),
            _ => return None,
        }
        Some(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ObjectRef, ObjectView};
    use crate::state::tests::*;
    use crate::state::{Fetch, Overlay, Update};

    #[test]
    fn y_opens_the_selected_objects_yaml_which_searches_and_goes_back() {
        let (mut s, mut sim) = demo(Scenario::Steady, false);
        s.set_size(120, 20);
        select_rollout(&mut s, "store");
        s.handle(Intent::Yaml);
        let want = ObjectRef::rollout("dev", "store");
        assert_eq!(s.demand().object, Some(want.clone()));
        let view = ObjectView {
            yaml: (0..50)
                .map(|i| format!("line {i}"))
                .chain(["  image: store:1.5.0".to_string()])
                .collect(),
            ..Default::default()
        };
        assert!(s.apply(Update::Object {
            target: want.clone(),
            view: Ok(view.clone())
        }));
        // A failed read again keeps the lines.
        s.apply(Update::Object {
            target: want.clone(),
            view: Err("forbidden".into()),
        });
        let held = s.object().expect("held");
        assert_eq!(held.view, view);
        assert_eq!(held.fetch, Fetch::Failed("forbidden".into()));
        s.ui.logs.search.set("IMAGE");
        s.handle(Intent::SearchNext);
        // The match is on the last screenful (16 rows of 51): scrolled as far as it goes.
        assert!(
            matches!(s.ui.overlay, Some(Overlay::Object { scroll: 35, .. })),
            "{:?}",
            s.ui.overlay
        );
        s.handle(Intent::Bottom);
        s.handle(Intent::Up);
        assert!(
            matches!(s.ui.overlay, Some(Overlay::Object { scroll: 34, .. })),
            "{:?}",
            s.ui.overlay
        );
        s.handle(Intent::Back);
        assert!(s.ui.overlay.is_none());
        // From the pods view: its selected pod, and back to the pods view.
        s.handle(Intent::Pods);
        let scope = s.pod_scope().expect("pods wanted");
        for u in sim.below(&scope) {
            s.apply(u);
        }
        s.handle(Intent::Yaml);
        let Some(Overlay::Object { target, .. }) = &s.ui.overlay else {
            panic!("{:?}", s.ui.overlay)
        };
        assert_eq!(target.kind, "Pod");
        assert!(target.name.starts_with("store-"), "{target:?}");
        s.handle(Intent::Yaml);
        assert!(
            matches!(s.ui.overlay, Some(Overlay::Pods { .. })),
            "{:?}",
            s.ui.overlay
        );
        let _ = &mut sim;
    }
}
