//! Following Loki: the `/loki/api/v1/tail` websocket from the cursor, or, where it is not
//! available (the API server proxy, some ingresses), `query_range` polled forward.

use super::LokiSetup;
use super::cursor::Cursor;
use super::wire::{LIMIT, now_ns, ns_string, parse_tail, query_range};
use crate::net::http::short_body;
use crate::sources::logs::Sink;
use crate::state::Health;
use futures::{SinkExt, StreamExt};
use std::time::Duration;

/// How often Loki is polled when there is no websocket.
const POLL_EVERY: Duration = Duration::from_secs(2);

pub(super) enum TailEnd {
    /// No websocket here (a proxy, an old Loki): poll instead.
    Unavailable(String),
    /// opsdeck is quitting.
    Closed,
    Failed(String),
}

/// One tail connection, from the cursor, until the server closes it or it fails.
pub(super) async fn tail(
    setup: &LokiSetup,
    cursor: &mut Cursor,
    sink: &mut Sink,
) -> Result<(), TailEnd> {
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
    let Some(mut url) = setup.endpoint.url("loki/api/v1/tail") else {
        return Err(TailEnd::Unavailable("no URL".into()));
    };
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    let _ = url.set_scheme(scheme);
    url.query_pairs_mut()
        .append_pair("query", &setup.query)
        .append_pair("start", &ns_string(cursor.last_ns))
        .append_pair("limit", &LIMIT.to_string())
        .append_pair("delay_for", "0");
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| TailEnd::Failed(format!("bad tail URL: {e}")))?;
    for (k, v) in setup.endpoint.auth_headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            req.headers_mut().insert(name, value);
        }
    }
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), false);
    let (mut ws, _) = match tokio::time::timeout(setup.endpoint.timeout(), connect).await {
        Err(_) => {
            return Err(TailEnd::Failed(
                "Loki tail: no answer to the websocket handshake".into(),
            ));
        }
        Ok(Err(tungstenite::Error::Http(resp))) => {
            let code = resp.status().as_u16();
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            // 4xx with a Loki message (bad query, no org id) is an error to show; a proxy
            // that does not upgrade (404, 400 without a body, 426) means: poll.
            return if body.trim().is_empty() || matches!(code, 404 | 405 | 426 | 501) {
                Err(TailEnd::Unavailable(format!("HTTP {code}")))
            } else {
                Err(TailEnd::Failed(format!(
                    "Loki answered {code}: {}",
                    short_body(&body)
                )))
            };
        }
        Ok(Err(e)) => return Err(TailEnd::Failed(format!("Loki tail: {e}"))),
        Ok(Ok(x)) => x,
    };
    if !sink.health(Health::Ok).await {
        return Err(TailEnd::Closed);
    }
    while let Some(msg) = ws.next().await {
        let text = match msg {
            Ok(tungstenite::Message::Text(t)) => t.to_string(),
            Ok(tungstenite::Message::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
            Ok(tungstenite::Message::Ping(p)) => {
                let _ = ws.send(tungstenite::Message::Pong(p)).await;
                continue;
            }
            Ok(tungstenite::Message::Close(_)) => return Ok(()),
            Ok(_) => continue,
            Err(e) => return Err(TailEnd::Failed(format!("Loki tail dropped: {e}"))),
        };
        match parse_tail(&text) {
            Ok((entries, dropped)) => {
                if !sink.dropped(dropped).await {
                    return Err(TailEnd::Closed);
                }
                let fresh = cursor.admit(entries);
                if !sink.lines(fresh).await {
                    return Err(TailEnd::Closed);
                }
            }
            // Loki writes errors into the socket as text before closing it.
            Err(_) => return Err(TailEnd::Failed(format!("Loki: {}", short_body(&text)))),
        }
    }
    Ok(())
}

/// Polls forward from the cursor until an error (the caller backs off and calls again).
pub(super) async fn poll(
    setup: &LokiSetup,
    cursor: &mut Cursor,
    sink: &mut Sink,
) -> Result<(), String> {
    let mut first = true;
    loop {
        let entries = query_range(
            &setup.endpoint,
            &setup.query,
            cursor.last_ns,
            now_ns(),
            "forward",
        )
        .await?;
        if first && !sink.health(Health::Ok).await {
            return Ok(());
        }
        first = false;
        let full = entries.len() >= LIMIT;
        let fresh = cursor.admit(entries);
        if !sink.lines(fresh).await {
            return Ok(());
        }
        if !full {
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}
