//! What a simulated pod's containers write, every level: the Spring Boot app's start, its
//! requests, and — a bad build — its failing requests with their stack and the shutdown its
//! liveness probe causes; the mesh proxy's start. Lines are a function of the pod and the
//! second, so a read of any window is the same whenever it is made.

use super::Sim;
use crate::model::{Level, LogLine, PodLogTarget, Track};
use chrono::{DateTime, Duration, Utc};

/// One run of a container: when it started and, for a previous one, when it ended.
struct Run {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

/// A small stable hash (FNV-1a) of a pod and a second: the same line every read.
fn roll(pod: &str, at: i64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pod.bytes().chain(at.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Sim {
    /// The lines `target` wrote after `from` (up to now); the API server's own refusal when the
    /// pod or container is unknown, or there is no previous run.
    pub fn pod_log(
        &self,
        target: &PodLogTarget,
        from: DateTime<Utc>,
    ) -> Result<Vec<LogLine>, String> {
        let now = self.now;
        let not_found = || format!("pods \"{}\" not found", target.pod);
        let (si, hash, i) = self
            .svcs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.rollout.namespace == target.namespace)
            .find_map(|(si, s)| {
                let versions = [Some(&s.stable), s.canary.as_ref()];
                versions.into_iter().flatten().find_map(|v| {
                    let i = v
                        .pods
                        .iter()
                        .position(|p| format!("{}-{}-{p}", s.def.name, v.hash) == target.pod)?;
                    Some((si, v.hash.clone(), i))
                })
            })
            .ok_or_else(not_found)?;
        let s = &self.svcs[si];
        let svc = s.def.name;
        let canary = s.canary.as_ref().filter(|c| c.hash == hash);
        let bad = canary.is_some_and(|c| c.bad);
        let created = match canary {
            Some(_) => s.canary_since.unwrap_or(self.start) + Duration::seconds(i as i64 * 40),
            None => s.stable_since.unwrap_or(self.start - Duration::hours(20)),
        };
        let sidecar = target.container != svc;
        if sidecar && !target.container.ends_with("-proxy") {
            return Err(format!(
                "container {} is not valid for pod {}",
                target.container, target.pod
            ));
        }
        // A bad build's app container is restarted every few minutes (as the pods view says).
        let mut runs = vec![Run {
            start: created,
            end: None,
        }];
        if bad && !sidecar {
            let age = (now - created).num_seconds() + i as i64 * 97;
            let restarts = age / super::pods::RESTART_EVERY_SECS;
            if restarts > 0 {
                let last = now - Duration::seconds(age % super::pods::RESTART_EVERY_SECS);
                let before =
                    (last - Duration::seconds(super::pods::RESTART_EVERY_SECS)).max(created);
                runs = vec![
                    Run {
                        start: before,
                        end: Some(last - Duration::seconds(1)),
                    },
                    Run {
                        start: last,
                        end: None,
                    },
                ];
            }
        }
        let run = if target.previous {
            if runs.len() < 2 {
                return Err(format!(
                    "previous terminated container \"{}\" in pod \"{}\" not found",
                    target.container, target.pod
                ));
            }
            &runs[0]
        } else {
            &runs[runs.len() - 1]
        };
        let end = run.end.unwrap_or(now);
        let track = canary.map_or(Track::Stable, |_| Track::Canary);
        let version = canary.map_or(&s.stable.tag, |c| &c.tag);
        let line =
            |ts: DateTime<Utc>, level: Level, logger: &str, thread: &str, msg: String| LogLine {
                ts,
                level,
                service: svc.into(),
                pod: target.pod.as_str().into(),
                track: Some(track),
                logger: logger.into(),
                message: msg,
                trace_id: String::new(),
                thread: thread.into(),
                stack: Vec::new(),
            };
        let mut out = Vec::new();
        let app = format!("c.e.{svc}.{}Application", capitalised(svc));
        // The start, at the run's first seconds.
        let start: Vec<(i64, Level, String, String, String)> = if target.container == "istio-proxy"
        {
            vec![
                (0, Level::Info, String::new(), String::new(), "info\tFLAG: --concurrency=\"2\"".into()),
                (1, Level::Info, String::new(), String::new(), "info\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012".into()),
                (2, Level::Info, String::new(), String::new(), "info\tReadiness succeeded in 1.204s".into()),
                (2, Level::Info, String::new(), String::new(), "info\tEnvoy proxy is ready".into()),
            ]
        } else if sidecar {
            vec![
                (0, Level::Info, String::new(), String::new(), format!("[     0.002157s]  INFO ThreadId(01) linkerd2_proxy: release edge-24.11.8 (pod {})", target.pod)),
                (0, Level::Info, String::new(), String::new(), "[     0.004311s]  INFO ThreadId(01) linkerd2_proxy: Admin interface on 0.0.0.0:4191".into()),
                (1, Level::Info, String::new(), String::new(), "[     0.721093s]  INFO ThreadId(02) daemon:identity: linkerd_app: Certified identity id=default.dev.serviceaccount.identity.linkerd.cluster.local".into()),
            ]
        } else {
            vec![
                (
                    1,
                    Level::Info,
                    app.clone(),
                    "main".into(),
                    format!(
                        "Starting {}Application v{version} using Java 21.0.5 with PID 1",
                        capitalised(svc)
                    ),
                ),
                (
                    3,
                    Level::Info,
                    "o.s.b.w.embedded.tomcat.TomcatWebServer".into(),
                    "main".into(),
                    "Tomcat initialized with port 8080 (http)".into(),
                ),
                (
                    6,
                    Level::Info,
                    app.clone(),
                    "main".into(),
                    format!(
                        "Started {}Application in 6.412 seconds (process running for 7.1)",
                        capitalised(svc)
                    ),
                ),
            ]
        };
        for (secs, level, logger, thread, msg) in start {
            out.push(line(
                run.start + Duration::seconds(secs),
                level,
                &logger,
                &thread,
                msg,
            ));
        }
        if !sidecar {
            let routes: Vec<&str> = s.def.routes.iter().map(|r| r.name).collect();
            let tpl = &self.platform.logs.bad;
            let mut at = run.start + Duration::seconds(7);
            // A run that ended stops taking requests as its shutdown begins.
            let last_request = match run.end {
                Some(e) => e - Duration::seconds(2),
                None => end,
            };
            while at <= last_request {
                let r = roll(&target.pod, at.timestamp());
                let thread = format!("{}{}", self.platform.logs.thread, r % 200 + 1);
                let ts = at + Duration::milliseconds((r % 1000) as i64);
                if bad && r.is_multiple_of(5) {
                    let id = (r % 90_000 + 1000).to_string();
                    let fill = |t: &str| t.replace("{svc}", svc).replace("{id}", &id);
                    let mut l = line(
                        ts,
                        Level::Error,
                        &fill(tpl.logger),
                        &thread,
                        fill(tpl.message),
                    );
                    l.stack.push(fill(tpl.exception));
                    l.stack
                        .extend(tpl.frames.iter().map(|f| format!("    {}", fill(f))));
                    out.push(l);
                } else if r.is_multiple_of(3)
                    && let Some(route) = routes.get((r / 3) as usize % routes.len().max(1))
                {
                    let ms = 12 + r % 60;
                    out.push(line(
                        ts,
                        Level::Info,
                        &format!("c.e.{svc}.web.RequestLogger"),
                        &thread,
                        format!("{route} 200 in {ms} ms"),
                    ));
                }
                at += Duration::seconds(1);
            }
            if let Some(e) = run.end {
                out.push(line(
                    e - Duration::seconds(1),
                    Level::Info,
                    "o.s.b.w.e.tomcat.GracefulShutdown",
                    "SpringApplicationShutdownHook",
                    "Commencing graceful shutdown. Waiting for active requests to complete".into(),
                ));
                out.push(line(
                    e,
                    Level::Info,
                    "o.s.b.w.e.tomcat.GracefulShutdown",
                    "tomcat-shutdown",
                    "Graceful shutdown complete".into(),
                ));
            }
        }
        out.retain(|l| l.ts > from && l.ts <= now);
        out.sort_by_key(|l| l.ts);
        Ok(out)
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
