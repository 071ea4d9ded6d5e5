//! How the OpenSearch provider reaches a store: an HTTP [`Endpoint`] (a URL with basic auth,
//! an API key, a bearer token or SigV4, or a Service through the API server), or the demo's
//! in-process store ([`super::memory::MemoryStore`]) that answers in the same shapes — so the
//! demo's lines take the provider's whole path.

use crate::net::http::{Endpoint, HttpError};
use futures::future::BoxFuture;
use serde_json::Value;

/// Requests the provider makes; answers are the bodies' text.
pub trait Backend: Send + Sync + 'static {
    /// `GET /<path>` (the root for the version, `_resolve/index/…`).
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<String, HttpError>>;
    /// `POST /<index>/_search?ignore_unavailable=true&allow_no_indices=true` with `body`.
    fn search<'a>(
        &'a self,
        index: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<String, HttpError>>;
    /// The server, for messages.
    fn describe(&self) -> String;
    /// The credential requests carry, for a 401/403.
    fn credential(&self) -> String;
}

impl Backend for Endpoint {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<String, HttpError>> {
        Box::pin(async move { Ok(Endpoint::get(self, path, &[]).await?.body) })
    }

    fn search<'a>(
        &'a self,
        index: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<String, HttpError>> {
        Box::pin(async move {
            let path = format!("{index}/_search?ignore_unavailable=true&allow_no_indices=true");
            Ok(self.post_json(&path, body).await?.body)
        })
    }

    fn describe(&self) -> String {
        Endpoint::describe(self)
    }

    fn credential(&self) -> String {
        Endpoint::credential(self)
    }
}
