//! Argo CD Applications as the dashboard shows them (PROTOCOLS §1).

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    #[default]
    Unknown,
}

impl SyncStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "Synced" => Self::Synced,
            "OutOfSync" => Self::OutOfSync,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "Synced",
            Self::OutOfSync => "OutOfSync",
            Self::Unknown => "Unknown",
        }
    }
}

/// App-level health; the order of the variants is Argo CD's ranking from most to least healthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl HealthStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "Healthy" => Self::Healthy,
            "Suspended" => Self::Suspended,
            "Progressing" => Self::Progressing,
            "Missing" => Self::Missing,
            "Degraded" => Self::Degraded,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Suspended => "Suspended",
            Self::Progressing => "Progressing",
            Self::Missing => "Missing",
            Self::Degraded => "Degraded",
            Self::Unknown => "Unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationPhase {
    Running,
    Terminating,
    Failed,
    Error,
    Succeeded,
    Unknown,
}

impl OperationPhase {
    pub fn parse(s: &str) -> Self {
        match s {
            "Running" => Self::Running,
            "Terminating" => Self::Terminating,
            "Failed" => Self::Failed,
            "Error" => Self::Error,
            "Succeeded" => Self::Succeeded,
            _ => Self::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Terminating => "Terminating",
            Self::Failed => "Failed",
            Self::Error => "Error",
            Self::Succeeded => "Succeeded",
            Self::Unknown => "Unknown",
        }
    }
    /// Failed, Error and Succeeded are final; a new sync may start only after one of them.
    pub fn is_completed(self) -> bool {
        matches!(self, Self::Failed | Self::Error | Self::Succeeded)
    }
}

/// The last (or running) sync operation, from `status.operationState`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub phase: OperationPhase,
    pub message: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub initiated_by: String,
}

/// One deployment from `status.history[]` (oldest first; the last one is the newest).
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub revision: String,
    pub deployed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArgoApp {
    pub name: String,
    pub namespace: String,
    /// Fields of the wrong type, in words (see [`crate::model::Rollout::invalid`]).
    pub invalid: Option<String>,
    pub project: String,
    pub sync: SyncStatus,
    pub health: HealthStatus,
    pub health_message: String,
    /// The revision last compared (`status.sync.revision`), a Git SHA or a chart version.
    pub revision: String,
    pub target_revision: String,
    /// Git repository or Helm chart repository.
    pub repo: String,
    /// Path in the repository, or the chart name.
    pub source: String,
    pub destination_namespace: String,
    pub sync_wave: i32,
    pub auto_sync: bool,
    pub operation: Option<Operation>,
    /// The top-level `operation` field is set: a sync was requested and not yet finished.
    pub operation_requested: bool,
    pub images: Vec<String>,
    /// What Argo CD Image Updater watches for it (its annotations); empty without.
    pub image_updater: Vec<ImageRule>,
    /// Image Updater's `write-back-method`: `argocd` (a parameter override), `git`, `git:…`.
    pub write_back: String,
    pub history: Vec<HistoryEntry>,
    pub reconciled_at: Option<DateTime<Utc>>,
}

impl ArgoApp {
    /// True while a sync operation is running; a new sync must be refused then.
    pub fn operation_in_progress(&self) -> bool {
        self.operation_requested
            || self
                .operation
                .as_ref()
                .is_some_and(|op| !op.phase.is_completed())
    }

    /// Short form of the revision: 7 characters of a SHA, a chart version as it is.
    pub fn short_revision(&self) -> &str {
        short_rev(&self.revision)
    }
}

/// One image Argo CD Image Updater keeps up to date for an application
/// (`argocd-image-updater.argoproj.io/image-list`, PROTOCOLS §12).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageRule {
    /// The alias its other annotations use (`store` in `store=registry/store:~1.5`).
    pub alias: String,
    pub image: String,
    /// The version constraint after the image (`~1.5`, `1.x`); empty: any.
    pub constraint: String,
    /// `semver` (the default), `newest-build`, `alphabetical`, `digest`; the old names
    /// `latest` and `name` are read as the new ones.
    pub strategy: String,
}

/// One of the application's resources as the CR lists it (`status.resources[]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppResource {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub sync: SyncStatus,
    /// Absent when the CR does not keep it (Argo CD ≥ 3.0 without
    /// `controller.resource.health.persist`).
    pub health: Option<HealthStatus>,
    pub health_message: String,
    /// A hook (PreSync, PostSync …), not part of the desired state.
    pub hook: bool,
    pub requires_pruning: bool,
    pub wave: i32,
}

/// What the last sync did to one resource (`status.operationState.syncResult.resources[]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceResult {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `Synced`, `SyncFailed`, `Pruned`, `PruneSkipped`.
    pub status: String,
    pub message: String,
    /// A hook's type (`PreSync`, `PostSync`, `SyncFail`) and phase (`Running`, `Succeeded`,
    /// `Failed`); empty for other resources.
    pub hook_type: String,
    pub hook_phase: String,
    pub sync_phase: String,
}

/// An application's resources, read for the application on screen only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppTree {
    pub resources: Vec<AppResource>,
    pub results: Vec<ResourceResult>,
    /// `status.resourceHealthSource`: `appTree` when per-resource health is kept outside the CR.
    pub health_source: String,
}

impl AppTree {
    /// Whether the CR keeps per-resource health (it does not when Argo CD ≥ 3.0 keeps it in its
    /// own cache, the default since 3.0).
    pub fn health_kept(&self) -> bool {
        self.health_source != "appTree"
            && (self.resources.is_empty() || self.resources.iter().any(|r| r.health.is_some()))
    }

    /// The last sync's result for a resource, if it took part.
    pub fn result_of(&self, r: &AppResource) -> Option<&ResourceResult> {
        self.results.iter().find(|x| {
            x.kind == r.kind && x.name == r.name && x.namespace == r.namespace && x.group == r.group
        })
    }

    /// The last sync's hooks (they are not in `status.resources`).
    pub fn hooks(&self) -> impl Iterator<Item = &ResourceResult> {
        self.results.iter().filter(|x| !x.hook_type.is_empty())
    }
}

pub fn short_rev(rev: &str) -> &str {
    let is_sha = rev.len() >= 12 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha { &rev[..7] } else { rev }
}

/// Argo CD Image Updater's `ImageUpdater` resource (v1.x), as its status reports what it did:
/// each image's version and the applications it last wrote it to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageUpdater {
    pub namespace: String,
    pub name: String,
    /// When it last ran (`status.reconciledAt`).
    pub reconciled_at: Option<DateTime<Utc>>,
    /// Its `Ready` condition, when it has one.
    pub ready: Option<bool>,
    /// The `Ready` (or an `Error`) condition's message.
    pub message: String,
    pub updates: Vec<ImageUpdateRecord>,
}

/// One image version written to one application.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageUpdateRecord {
    pub image: String,
    pub version: String,
    /// The application, as the status names it (`argocd/store` or `store`).
    pub app: String,
    pub at: Option<DateTime<Utc>>,
}

impl ImageUpdateRecord {
    pub fn is_for(&self, namespace: &str, name: &str) -> bool {
        self.app == name
            || self
                .app
                .split_once('/')
                .is_some_and(|(ns, n)| ns == namespace && n == name)
    }
}

/// The newest record for `namespace/name` across the Image Updater resources.
pub fn last_image_update<'a>(
    updaters: &'a [ImageUpdater],
    namespace: &str,
    name: &str,
) -> Option<&'a ImageUpdateRecord> {
    updaters
        .iter()
        .flat_map(|u| &u.updates)
        .filter(|r| r.is_for(namespace, name))
        .max_by_key(|r| r.at)
}
