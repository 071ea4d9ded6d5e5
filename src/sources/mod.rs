//! Sources: tokio tasks that own their connection and send [`Update`](crate::state::Update)s.
//! A source never touches UI state; it reads what the screen needs from the
//! [`Demand`](crate::state::Demand) State publishes.

pub mod alertmanager;
pub mod argocd;
pub mod demo;
pub mod kube;
pub mod logs;
pub mod mesh;
pub mod prometheus;
pub mod traces;

use crate::state::Demand;
use tokio::sync::watch::Receiver;

/// Spawns a source that follows what `|d| pick` takes from the demand with
/// `follow(&client, what, &mut demand, &tx) -> bool` (true: the demand moved on; false: quit),
/// through [`on_demand`].
macro_rules! spawn_on_demand {
    ($client:expr, $demand:expr, $tx:expr, |$d:ident| $pick:expr, $follow:path) => {{
        let (client, tx) = ($client, $tx);
        tokio::spawn($crate::sources::on_demand(
            $demand,
            |$d: &$crate::state::Demand| $pick,
            move |what, mut demand| {
                let (client, tx) = (client.clone(), tx.clone());
                async move {
                    $follow(&client, what, &mut demand, &tx)
                        .await
                        .then_some(demand)
                }
            },
        ))
    }};
}
pub(crate) use spawn_on_demand;

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

/// `work`'s output while `wanted` holds of the demand: Err(true) when the demand moved on
/// first (the work is dropped), Err(false) when opsdeck is quitting.
pub(crate) async fn while_wanted<F: std::future::Future>(
    demand: &mut Receiver<Demand>,
    wanted: impl Fn(&Demand) -> bool,
    work: F,
) -> Result<F::Output, bool> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            changed = demand.changed() => {
                if changed.is_err() {
                    return Err(false);
                }
                if !wanted(&demand.borrow()) {
                    return Err(true);
                }
            }
            r = &mut work => return Ok(r),
        }
    }
}

/// Waits for the demand to stop wanting what `wanted` checks: true; false when opsdeck quits.
pub(crate) async fn until_unwanted(
    demand: &mut Receiver<Demand>,
    wanted: impl Fn(&Demand) -> bool,
) -> bool {
    while_wanted(demand, wanted, std::future::pending::<()>())
        .await
        .err()
        .unwrap_or(true)
}
