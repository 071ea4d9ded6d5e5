//! What applying one update costs State (on the UI thread, between frames) at ten times the
//! frame benches' largest sizes: 50,000 Applications, 10,000 Rollouts, 16,000 alerts.
//! Goal (issue #13): ≤ 5 ms for any single update.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsdeck::model::{Alert, AlertState, Severity};
use opsdeck::state::Update;

#[path = "support/mod.rs"]
mod support;

fn alerts(n: usize, firing_from: usize) -> Vec<Alert> {
    let start = chrono::Utc::now();
    (0..n)
        .map(|i| {
            let labels = [
                ("alertname", format!("KubePodCrashLooping{}", i % 40)),
                (
                    "severity",
                    ["critical", "warning", "info"][i % 3].to_string(),
                ),
                ("namespace", format!("ns-{}", i % 50)),
                ("pod", format!("pod-{i:05}")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            Alert {
                name: format!("KubePodCrashLooping{}", i % 40),
                severity: [Severity::Critical, Severity::Warning, Severity::Info][i % 3],
                state: if i >= firing_from {
                    AlertState::Firing
                } else {
                    AlertState::Suppressed
                },
                summary: "Pod is crash looping.".into(),
                labels,
                starts_at: start - chrono::Duration::seconds(i as i64),
                fingerprint: format!("{i:016x}"),
                description: format!("Pod ns-{}/pod-{i:05} is restarting.", i % 50),
                silenced_by: Vec::new(),
                inhibited_by: Vec::new(),
                silences: Vec::new(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut s = support::big_state(50_000, 10_000);
    let apps = s.apps.clone();
    let rollouts = s.rollouts.clone();

    // A whole snapshot (a relist), one rollout changed in it.
    let mut flip = false;
    c.bench_function("apply_rollouts_snapshot_10000", |b| {
        b.iter_batched(
            || {
                flip = !flip;
                let mut r = rollouts.clone();
                r[17].message = if flip { "a".into() } else { "b".into() };
                Update::Rollouts(r)
            },
            |u| s.apply(u),
            BatchSize::LargeInput,
        )
    });
    // One watch event: a rollout changed.
    c.bench_function("apply_rollout_upserted_in_10000", |b| {
        b.iter_batched(
            || {
                flip = !flip;
                let mut r = rollouts[4321].clone();
                r.message = if flip { "a".into() } else { "b".into() };
                Update::RolloutUpserted(Box::new(r))
            },
            |u| s.apply(u),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("apply_apps_snapshot_50000", |b| {
        b.iter_batched(
            || {
                flip = !flip;
                let mut a = apps.clone();
                a[99].health_message = if flip { "a".into() } else { "b".into() };
                Update::Apps(a)
            },
            |u| s.apply(u),
            BatchSize::LargeInput,
        )
    });
    c.bench_function("apply_app_upserted_in_50000", |b| {
        b.iter_batched(
            || {
                flip = !flip;
                let mut a = apps[31_337].clone();
                a.health_message = if flip { "a".into() } else { "b".into() };
                Update::AppUpserted(a)
            },
            |u| s.apply(u),
            BatchSize::SmallInput,
        )
    });
    // An Alertmanager poll of 16,000 alerts, 40 of them newly firing each time.
    let (quiet, busy) = (alerts(16_000, 16_000), alerts(16_000, 15_960));
    s.apply(Update::Alerts(quiet.clone()));
    c.bench_function("apply_alerts_16000", |b| {
        b.iter_batched(
            || {
                flip = !flip;
                Update::Alerts(if flip { busy.clone() } else { quiet.clone() })
            },
            |u| s.apply(u),
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
