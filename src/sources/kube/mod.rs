//! The live cluster: Argo CD Applications and Argo Rollouts over the Kubernetes API.

pub mod app_tree;
pub mod parse;
pub mod pod_logs;
pub mod pods;
pub mod readyz;
pub mod watch;

use crate::state::Demand;
use tokio::sync::watch::Receiver;

/// Runs `follow` on what `pick` takes from the demand (the rollout on screen, a pod's log),
/// starting it again whenever that changes and idling while there is none; ends when opsdeck
/// quits. `follow` hands the receiver back when the demand asks for something else, or None
/// when opsdeck is quitting.
pub(crate) async fn on_demand<T, Fut>(
    mut demand: Receiver<Demand>,
    pick: impl Fn(&Demand) -> Option<T>,
    mut follow: impl FnMut(T, Receiver<Demand>) -> Fut,
) where
    Fut: std::future::Future<Output = Option<Receiver<Demand>>>,
{
    loop {
        let want = pick(&demand.borrow_and_update());
        match want {
            None => {
                if demand.changed().await.is_err() {
                    return;
                }
            }
            Some(t) => match follow(t, demand).await {
                Some(d) => demand = d,
                None => return,
            },
        }
    }
}
