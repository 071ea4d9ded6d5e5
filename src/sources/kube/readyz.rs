//! The API server's own readiness (`GET /readyz?verbose`): with its storage down it goes on
//! serving reads from the watch caches while writes hang, so the watches alone look healthy.
//! A failing check (`[-]etcd failed: reason withheld`) is told to State by name.

use crate::state::Update;
use http_body_util::BodyExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often `/readyz` is read while it passes, and while a check fails.
const EVERY: Duration = Duration::from_secs(10);
const EVERY_FAILING: Duration = Duration::from_secs(5);
/// The answer is a few lines per check; more is not a readiness answer.
const MAX_BODY: usize = 64 << 10;

/// What one answer says: the checks failing (none when ready), or that it cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum Readiness {
    /// The failing checks, in the server's order; empty when every check passes.
    Checks(Vec<String>),
    /// Not allowed or not served (RBAC without `/readyz`, an old server): stop asking.
    Unavailable(String),
}

/// Reads an answer of `/readyz?verbose` (k8s.io/apiserver healthz): `[+]name ok` and
/// `[-]name failed: reason withheld` lines, then `readyz check passed` (200) or
/// `readyz check failed` (500).
pub fn parse(status: u16, body: &str) -> Readiness {
    let failing: Vec<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("[-]"))
        .map(|rest| {
            rest.split_once(" failed")
                .map_or(rest, |(name, _)| name)
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty())
        .collect();
    match status {
        200..=299 => Readiness::Checks(Vec::new()),
        401 | 403 | 404 => Readiness::Unavailable(format!(
            "cannot read /readyz ({status}): an API server with its storage down will not be shown degraded"
        )),
        _ if !failing.is_empty() => Readiness::Checks(failing),
        // A failure without the list (a proxy in front of the server): the status says it.
        _ => Readiness::Checks(vec![format!("readyz {status}")]),
    }
}

async fn read(client: &kube::Client) -> Result<Readiness, String> {
    let req = http::Request::get("/readyz?verbose")
        .body(kube::client::Body::empty())
        .map_err(|e| e.to_string())?;
    let resp = client.send(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = http_body_util::Limited::new(resp.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading /readyz: {e}"))?
        .to_bytes();
    Ok(parse(status, &String::from_utf8_lossy(&body)))
}

/// Reads `/readyz` every 10 s (5 s while a check fails) and tells State when the failing
/// checks change. An unreachable server is left to the watches to report.
pub async fn run(client: kube::Client, tx: mpsc::Sender<Update>) {
    poll(client, tx, EVERY, EVERY_FAILING).await
}

/// As [`run`], at the given periods.
pub async fn poll(
    client: kube::Client,
    tx: mpsc::Sender<Update>,
    every: Duration,
    every_failing: Duration,
) {
    let mut last: Option<Vec<String>> = None;
    loop {
        match read(&client).await {
            Ok(Readiness::Checks(failing)) => {
                if last.as_ref() != Some(&failing) {
                    if failing.is_empty() {
                        if last.is_some() {
                            tracing::info!("API server ready again");
                        }
                    } else {
                        tracing::warn!("API server not ready: {} failing", failing.join(", "));
                    }
                    if tx
                        .send(Update::ApiReadiness(failing.clone()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    last = Some(failing);
                }
            }
            Ok(Readiness::Unavailable(why)) => {
                tracing::info!("{why}");
                return;
            }
            Err(e) => tracing::debug!("/readyz: {e}"),
        }
        let failing = last.as_ref().is_some_and(|l| !l.is_empty());
        tokio::time::sleep(if failing { every_failing } else { every }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As k8s.io/apiserver/pkg/server/healthz writes it (healthz.go, handleRootHealth): the
    /// checks in order, then `readyz check failed` with status 500.
    const FAILING: &str = "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]etcd-readiness ok\n[+]informer-sync ok\n[+]poststarthook/start-apiserver-admission-initializer ok\n[-]poststarthook/crd-informer-synced failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n";

    #[test]
    fn failing_checks_are_named_in_order() {
        assert_eq!(
            parse(500, FAILING),
            Readiness::Checks(vec![
                "etcd".into(),
                "poststarthook/crd-informer-synced".into()
            ])
        );
    }

    #[test]
    fn a_passing_answer_has_no_failing_checks() {
        let ok = FAILING
            .replace("[-]", "[+]")
            .replace("check failed", "check passed");
        assert_eq!(parse(200, &ok), Readiness::Checks(vec![]));
        assert_eq!(parse(200, "ok"), Readiness::Checks(vec![]));
    }

    #[test]
    fn a_failure_without_the_list_still_counts_and_a_refusal_stops_asking() {
        assert_eq!(
            parse(503, "upstream connect error"),
            Readiness::Checks(vec!["readyz 503".into()])
        );
        assert!(matches!(parse(403, "forbidden"), Readiness::Unavailable(_)));
    }
}
