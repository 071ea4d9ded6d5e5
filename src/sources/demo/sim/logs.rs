//! Logs in the simulation: Spring Boot ERROR lines with stack traces at each build's error
//! rate (a bad build's far higher), a few warnings, and the per-second counts the alert rules
//! read.

use super::super::telemetry::hex;
use super::Sim;
use crate::model::*;
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

impl Sim {
    pub(super) fn step_logs(&mut self, now: DateTime<Utc>) {
        let sec = now.timestamp();
        let mut counts = vec![0u32; self.svcs.len()];
        for (si, count) in counts.iter_mut().enumerate() {
            let s = &self.svcs[si];
            let products = s.def.routes.iter().max_by(|a, b| a.rps.total_cmp(&b.rps));
            let rps = products.map(|r| r.rps).unwrap_or(0.0);
            let bad_fail = products.map(|r| r.bad_fail).unwrap_or(0.0);
            let share = s.canary_share();
            let stable_rate = 1.0 / 240.0
                + if s.stable.bad {
                    rps * (1.0 - share) * bad_fail
                } else {
                    0.0
                };
            let canary_rate = match &s.canary {
                Some(v) if v.bad && share > 0.0 => rps * share * bad_fail,
                Some(_) if share > 0.0 => 1.0 / 900.0,
                _ => 0.0,
            };
            for (track, rate) in [(Track::Stable, stable_rate), (Track::Canary, canary_rate)] {
                let n = poisson_ish(&mut self.rng, rate);
                for _ in 0..n {
                    let line = self.error_line(si, track, now);
                    *count += 1;
                    self.logs.push(line);
                }
            }
            if self.rng.random_bool(1.0 / 300.0) {
                let line = self.warn_line(si, now);
                self.logs.push(line);
            }
        }
        self.sample_requests(now);
        self.errors.push_back((sec, counts));
        while self.errors.front().is_some_and(|(t, _)| *t <= sec - 60) {
            self.errors.pop_front();
        }
    }

    fn pod_for(&mut self, si: usize, track: Track) -> (String, bool) {
        let s = &self.svcs[si];
        let v = match track {
            Track::Canary => s.canary.as_ref().unwrap_or(&s.stable),
            Track::Stable => &s.stable,
        };
        let n = match track {
            Track::Canary => s.canary_pods().max(1) as usize,
            Track::Stable => v.pods.len().max(1),
        };
        let k = self
            .rng
            .random_range(0..n)
            .min(v.pods.len().saturating_sub(1));
        let pod = format!(
            "{}-{}-{}",
            s.def.name,
            v.hash,
            v.pods.get(k).map(String::as_str).unwrap_or("x")
        );
        (pod, v.bad)
    }

    fn error_line(&mut self, si: usize, track: Track, now: DateTime<Utc>) -> LogLine {
        let (pod, bad) = self.pod_for(si, track);
        let svc = self.svcs[si].def.name;
        let style = self.platform.logs;
        let tpl = if bad {
            &style.bad
        } else {
            &style.noise[self.rng.random_range(0..style.noise.len())]
        };
        let id = self.rng.random_range(1000..99999).to_string();
        let fill = |s: &str| s.replace("{svc}", svc).replace("{id}", &id);
        let mut stack = vec![fill(tpl.exception)];
        stack.extend(tpl.frames.iter().map(|f| format!("    {}", fill(f))));
        if let Some(c) = tpl.cause {
            stack.push(format!("Caused by: {c}"));
            stack.push("    ... 12 more".to_string());
        }
        let ms = self.rng.random_range(0..1000);
        let line = LogLine {
            ts: now + Duration::milliseconds(ms),
            level: Level::Error,
            service: svc.into(),
            pod: pod.clone().into(),
            track: Some(track),
            logger: fill(tpl.logger).into(),
            message: fill(tpl.message),
            trace_id: hex(&mut self.rng, 32),
            thread: format!("{}{}", style.thread, self.rng.random_range(1..200)).into(),
            stack,
        };
        // The request behind the line, so its trace id resolves.
        let failure = super::traces::failure_of(&line.stack, bad);
        self.remember_request(si, track, &pod, &line.trace_id, line.ts, failure);
        line
    }

    fn warn_line(&mut self, si: usize, now: DateTime<Utc>) -> LogLine {
        let (pod, _) = self.pod_for(si, Track::Stable);
        let svc = self.svcs[si].def.name;
        let style = self.platform.logs;
        let (logger, msg) = style.warnings[self.rng.random_range(0..style.warnings.len())];
        let ms = self.rng.random_range(0..1000);
        let line = LogLine {
            ts: now + Duration::milliseconds(ms),
            level: Level::Warn,
            service: svc.into(),
            pod: pod.clone().into(),
            track: Some(Track::Stable),
            logger: logger.replace("{svc}", svc).into(),
            message: msg.to_string(),
            trace_id: hex(&mut self.rng, 32),
            thread: format!("{}{}", style.thread, self.rng.random_range(1..200)).into(),
            stack: vec![],
        };
        let failure = super::traces::Failure::None;
        self.remember_request(si, Track::Stable, &pod, &line.trace_id, line.ts, failure);
        line
    }
}

fn poisson_ish(rng: &mut ChaCha8Rng, rate: f64) -> u32 {
    let whole = rate.floor();
    let frac = rate - whole;
    whole as u32 + u32::from(frac > 0.0 && rng.random_bool(frac.min(1.0)))
}
