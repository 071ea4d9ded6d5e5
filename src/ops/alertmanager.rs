//! Silences (PROTOCOLS §6): `POST /api/v2/silences` with equality matchers from the alert's
//! labels, `DELETE /api/v2/silence/{id}` to expire one. The alerts themselves are read by the
//! Alertmanager source; both reach the server through the same [`Endpoint`].

use crate::model::{ActionError, ActionKind, ActionRequest, Operator, time::fmt_window};
use crate::net::http::{Endpoint, HttpError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};

/// Creates and expires silences in one Alertmanager.
#[derive(Clone, Debug)]
pub struct Silencer {
    pub endpoint: Endpoint,
}

fn refused(e: HttpError) -> ActionError {
    let m = e.server_said("Alertmanager");
    match e.status {
        None => ActionError::Unreachable(m),
        Some(401 | 403) => ActionError::Forbidden(m),
        Some(_) => ActionError::Rejected(m),
    }
}

/// The body of `POST /api/v2/silences`.
pub fn silence_body(
    matchers: &[(String, String)],
    starts: DateTime<Utc>,
    duration_secs: u64,
    created_by: &str,
    comment: &str,
) -> Value {
    let secs = i64::try_from(duration_secs).unwrap_or(i64::MAX);
    let ends = starts
        .checked_add_signed(chrono::Duration::seconds(secs.min(366 * 86_400)))
        .unwrap_or(starts);
    json!({
        "matchers": matchers.iter().map(|(k, v)| json!({
            "name": k, "value": v, "isRegex": false, "isEqual": true
        })).collect::<Vec<_>>(),
        "startsAt": starts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "endsAt": ends.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "createdBy": created_by,
        "comment": comment,
    })
}

impl Silencer {
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// Creates a silence; returns its id.
    pub async fn create(&self, body: &Value) -> Result<String, ActionError> {
        let r = self
            .endpoint
            .post_json("api/v2/silences", body)
            .await
            .map_err(refused)?;
        let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        v["silenceID"].as_str().map(str::to_string).ok_or_else(|| {
            ActionError::Rejected(format!(
                "Alertmanager answered without a silenceID: {}",
                crate::net::http::short_body(&r.body)
            ))
        })
    }

    pub async fn expire(&self, id: &str) -> Result<(), ActionError> {
        // Silence ids are UUIDs; anything else must not become part of the path.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(ActionError::Rejected(format!(
                "\"{id}\" is not a silence id"
            )));
        }
        self.endpoint
            .delete(&format!("api/v2/silence/{id}"))
            .await
            .map(|_| ())
            .map_err(refused)
    }
}

impl Operator for Silencer {
    fn run(&self, req: ActionRequest) -> BoxFuture<'static, Result<String, ActionError>> {
        let me = self.clone();
        Box::pin(async move {
            let spec = req.silence.clone().unwrap_or_default();
            match req.kind {
                ActionKind::Silence => {
                    let body = silence_body(
                        &spec.matchers,
                        Utc::now(),
                        spec.duration_secs,
                        &req.user,
                        &spec.comment,
                    );
                    let id = me.create(&body).await?;
                    let d = u32::try_from(spec.duration_secs).unwrap_or(u32::MAX);
                    Ok(format!("silenced for {} (silence {id})", fmt_window(d)))
                }
                ActionKind::Expire => {
                    for id in &spec.ids {
                        me.expire(id).await?;
                    }
                    Ok(format!("expired {}", spec.ids.join(", ")))
                }
                other => Err(ActionError::Unsupported(format!(
                    "{} is not an Alertmanager action",
                    other.as_str()
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_bodies_match_the_openapi_shape() {
        let t = DateTime::parse_from_rfc3339("2024-08-29T11:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let b = silence_body(
            &[("alertname".into(), "NodeHighCPU".into())],
            t,
            7200,
            "alice",
            "canary rollout in progress",
        );
        assert_eq!(
            b,
            json!({"matchers": [{"name": "alertname", "value": "NodeHighCPU", "isRegex": false, "isEqual": true}],
                   "startsAt": "2024-08-29T11:30:00.000Z", "endsAt": "2024-08-29T13:30:00.000Z",
                   "createdBy": "alice", "comment": "canary rollout in progress"})
        );
    }
}
