//! The Argo CD API server, when there is one (`--argocd-server`, or its Service through the API
//! server's proxy, with `ARGOCD_AUTH_TOKEN`): the diff of the application on screen, read on
//! demand (`Demand.app_diff`), against Git's desired state or a history revision.
//!
//! Requests (`server/application/application.proto`):
//! - `GET /api/v1/applications/{name}/managed-resources?appNamespace=NS`
//! - `GET /api/v1/applications/{name}/manifests?revision=REV&appNamespace=NS`

pub mod wire;

use crate::model::{AppDiff, DiffAgainst, DiffAsk};
use crate::net::http::{Endpoint, HttpError};
use crate::state::{Demand, Update};
use tokio::sync::{mpsc, watch};

/// Reading diffs can take the repo server a while (it renders the manifests).
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the diff source on the Argo CD API server.
pub fn spawn(
    api: Endpoint,
    demand: watch::Receiver<Demand>,
    tx: mpsc::Sender<Update>,
) -> tokio::task::JoinHandle<()> {
    crate::sources::spawn_on_demand!(api, demand, tx, |d| d.app_diff.clone(), follow)
}

/// An error in the words a user can act on: a refused token, a missing application.
fn words(e: &HttpError, api: &Endpoint, what: &str) -> String {
    let said = e.server_said("Argo CD");
    match e.status {
        Some(401) => format!(
            "Argo CD at {} refused the token (401): set ARGOCD_AUTH_TOKEN to a valid one ({said})",
            api.describe()
        ),
        Some(403) => format!("Argo CD does not let this token read {what} (403): {said}"),
        Some(404) => format!("Argo CD has no {what} (404): {said}"),
        _ => said,
    }
}

/// Reads the diff the ask names.
pub async fn read(api: &Endpoint, ask: &DiffAsk) -> Result<AppDiff, String> {
    let app = format!("application {}/{}", ask.namespace, ask.name);
    let ns = ("appNamespace", ask.namespace.clone());
    let path = |tail: &str| format!("api/v1/applications/{}/{tail}", ask.name);
    let managed = api
        .get(&path("managed-resources"), std::slice::from_ref(&ns))
        .await
        .map_err(|e| words(&e, api, &app))?;
    let items = wire::managed(&managed.body)?;
    match &ask.against {
        DiffAgainst::Desired => Ok(wire::desired_diff(items)),
        DiffAgainst::Revision { id, revision } => {
            let query = [("revision", revision.clone()), ns];
            let m = api
                .get(&path("manifests"), &query)
                .await
                .map_err(|e| words(&e, api, &format!("manifests of {app} at {revision}")))?;
            let (objects, default_ns) = wire::manifests(&m.body)?;
            let short = crate::model::app::short_rev(revision);
            Ok(wire::revision_diff(
                items,
                objects,
                if default_ns.is_empty() {
                    &ask.destination
                } else {
                    &default_ns
                },
                format!("#{id} {short}"),
            ))
        }
    }
}

/// Reads one diff, then waits for the demand to ask for another (true) or opsdeck to quit.
async fn follow(
    api: &Endpoint,
    ask: DiffAsk,
    demand: &mut watch::Receiver<Demand>,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let want = Some(ask.clone());
    // Another view asked for before the answer: that one is read instead. The same view
    // after a reconcile lets this read finish, then reads again.
    let same_view = |d: &Demand| d.app_diff.as_ref().is_some_and(|n| n.same_view(&ask));
    let diff = match crate::sources::while_wanted(demand, same_view, read(api, &ask)).await {
        Ok(d) => d,
        Err(moved_on) => return moved_on,
    };
    if tx
        .send(Update::AppDiff {
            ask: ask.clone(),
            diff,
        })
        .await
        .is_err()
    {
        return false;
    }
    let wanted = |d: &Demand| d.app_diff == want;
    !wanted(&demand.borrow()) || crate::sources::until_unwanted(demand, wanted).await
}
