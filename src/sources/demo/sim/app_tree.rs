//! The resources each simulated Application manages, as its `status.resources` and last
//! sync's results list them: a service's Rollout, Services, its mesh's routing objects and a
//! PreSync migration hook; an infrastructure app's Deployment. On the shop platform (Argo CD
//! 3.x defaults) per-resource health is not kept in the CR, as there.

use super::Sim;
use crate::model::{
    AppResource, AppTree, HealthStatus, OperationPhase, ResourceResult, SyncStatus,
};

impl Sim {
    /// The tree of `namespace/name`, or the API server's word when there is no such app.
    pub fn app_tree(&self, namespace: &str, name: &str) -> Result<AppTree, String> {
        let a = self
            .apps
            .iter()
            .find(|a| a.app.namespace == namespace && a.app.name == name)
            .ok_or_else(|| format!("applications.argoproj.io \"{name}\" not found"))?;
        let app = &a.app;
        let ns = app.destination_namespace.clone();
        let res = |group: &str, kind: &str, name: &str, health: Option<HealthStatus>, wave: i32| {
            AppResource {
                group: group.into(),
                kind: kind.into(),
                namespace: ns.clone(),
                name: name.into(),
                sync: SyncStatus::Synced,
                health,
                wave,
                ..Default::default()
            }
        };
        let mut resources = Vec::new();
        let mut hooks = Vec::new();
        match a.svc {
            Some(si) => {
                let s = &self.svcs[si];
                let svc = s.def.name;
                resources.push(res("", "ServiceAccount", svc, None, -1));
                resources.push(res("", "ConfigMap", &format!("{svc}-config"), None, -1));
                resources.push(res("", "Service", svc, Some(HealthStatus::Healthy), 0));
                match self.platform.mesh {
                    super::catalog::Mesh::Linkerd => resources.push(res(
                        "linkerd.io",
                        "ServiceProfile",
                        &format!("{svc}.{ns}.svc.cluster.local"),
                        None,
                        0,
                    )),
                    super::catalog::Mesh::Istio => {
                        resources.push(res("networking.istio.io", "VirtualService", svc, None, 0));
                        resources.push(res("networking.istio.io", "DestinationRule", svc, None, 0));
                    }
                }
                if s.def.analysis {
                    resources.push(res(
                        "argoproj.io",
                        "AnalysisTemplate",
                        "success-rate",
                        None,
                        0,
                    ));
                }
                // The Rollout's health is the app's (Argo CD's Lua check for Rollouts).
                let mut ro = res("argoproj.io", "Rollout", svc, Some(app.health), 1);
                ro.health_message = app.health_message.clone();
                // After an undo the live template is no longer Git's.
                ro.sync = app.sync;
                resources.push(ro);
                hooks.push(ResourceResult {
                    group: "batch".into(),
                    kind: "Job".into(),
                    namespace: ns.clone(),
                    name: format!("{svc}-db-migrate"),
                    status: "Synced".into(),
                    message: "Reached expected number of succeeded pods".into(),
                    hook_type: "PreSync".into(),
                    hook_phase: "Succeeded".into(),
                    sync_phase: "PreSync".into(),
                });
            }
            None => {
                resources.push(res("", "ServiceAccount", name, None, 0));
                resources.push(res("apps", "Deployment", name, Some(app.health), 0));
                resources.push(res("", "Service", name, Some(HealthStatus::Healthy), 0));
            }
        }
        if !self.platform.resource_health_in_cr {
            for r in &mut resources {
                r.health = None;
                r.health_message.clear();
            }
        }
        // The last sync's results: every resource applied, the hooks run first.
        let running = app
            .operation
            .as_ref()
            .is_some_and(|o| o.phase == OperationPhase::Running);
        let mut results = hooks;
        results.extend(resources.iter().map(|r| ResourceResult {
            group: r.group.clone(),
            kind: r.kind.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            status: if running {
                String::new()
            } else {
                "Synced".into()
            },
            message: format!(
                "{}{}/{} {}",
                r.kind.to_lowercase(),
                if r.group.is_empty() {
                    String::new()
                } else {
                    format!(".{}", r.group)
                },
                r.name,
                if r.kind == "Rollout" {
                    "configured"
                } else {
                    "unchanged"
                }
            ),
            sync_phase: "Sync".into(),
            ..Default::default()
        }));
        Ok(AppTree {
            resources,
            results,
            health_source: if self.platform.resource_health_in_cr {
                String::new()
            } else {
                "appTree".into()
            },
        })
    }
}
