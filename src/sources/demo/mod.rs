//! `--demo`: the embedded platform. A task owns the [`Sim`], advances it with a scaled clock,
//! sends the same Updates a live cluster would, and runs actions for the [`DemoOperator`].

mod canary;
pub mod catalog;
pub mod sim;
mod telemetry;

pub use catalog::{PLATFORMS, Platform, platform};
pub use sim::{Scenario, Sim};

use crate::model::{ActionError, ActionRequest, Operator};
use crate::state::{Health, SourceId, Update};
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

type ActionMsg = (ActionRequest, oneshot::Sender<Result<String, ActionError>>);

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub platform: &'static catalog::Platform,
    pub seed: u64,
    pub scenario: Scenario,
    /// Simulated seconds per real second; 0 freezes time.
    pub speed: f64,
    pub start: chrono::DateTime<chrono::Utc>,
}

/// Starts the demo platform; returns its operator.
pub fn spawn(cfg: DemoConfig, tx: mpsc::Sender<Update>) -> DemoOperator {
    let (act_tx, act_rx) = mpsc::channel::<ActionMsg>(16);
    tokio::spawn(run(cfg, tx, act_rx));
    DemoOperator { tx: act_tx }
}

async fn send_all(tx: &mpsc::Sender<Update>, updates: Vec<Update>) -> bool {
    for u in updates {
        if tx.send(u).await.is_err() {
            return false;
        }
    }
    true
}

async fn run(cfg: DemoConfig, tx: mpsc::Sender<Update>, mut act_rx: mpsc::Receiver<ActionMsg>) {
    let mut sim = Sim::on(cfg.platform, cfg.seed, cfg.scenario, cfg.start);
    let mut first = sim.snapshot();
    first.extend(SourceId::ALL.iter().map(|&source| Update::SourceHealth {
        source,
        health: Health::Ok,
    }));
    if !send_all(&tx, first).await {
        return;
    }
    let speed = cfg.speed.clamp(0.0, 1000.0);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut owed = 0.0_f64;
    loop {
        tokio::select! {
            _ = tick.tick(), if speed > 0.0 => {
                owed += speed;
                let steps = owed.floor();
                owed -= steps;
                if steps < 1.0 {
                    continue;
                }
                for _ in 0..steps as u64 {
                    sim.step();
                }
                if !send_all(&tx, sim.drain()).await {
                    return;
                }
            }
            msg = act_rx.recv() => {
                let Some((req, reply)) = msg else { return };
                let result = sim.act(&req);
                let _ = reply.send(result);
                if !send_all(&tx, sim.drain()).await {
                    return;
                }
            }
        }
    }
}

/// Runs actions against the simulated platform.
#[derive(Clone)]
pub struct DemoOperator {
    tx: mpsc::Sender<ActionMsg>,
}

impl Operator for DemoOperator {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        let tx = self.tx.clone();
        let stopped = || ActionError::Unreachable("the demo platform has stopped".to_string());
        Box::pin(async move {
            let (reply_tx, reply_rx) = oneshot::channel();
            tx.send((req, reply_tx)).await.map_err(|_| stopped())?;
            reply_rx.await.map_err(|_| stopped())?
        })
    }
}
