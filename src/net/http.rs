//! One way to talk HTTP to Prometheus, Loki and Alertmanager: a URL the user gave (reqwest,
//! rustls, optional bearer token, basic auth from the URL's user info, extra headers), or a
//! Service reached through the Kubernetes API server's service proxy
//! (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/…`, kubeconfig credentials). Every request
//! has a timeout; every failure is an [`HttpError`] whose text a user can act on.

use http::Method;
use http_body_util::BodyExt;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Bodies larger than this are refused rather than buffered (a misdirected request to a big
/// download must not eat the memory budget).
const MAX_BODY: usize = 32 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    pub message: String,
    /// The body the server answered with (empty when it did not answer).
    pub body: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl HttpError {
    /// The server's own words when it answered an error as a JSON string or a `{"message"}`
    /// object (Alertmanager, the API server), named after the server; else our message.
    pub fn server_said(&self, server: &str) -> String {
        match serde_json::from_str::<serde_json::Value>(&self.body) {
            Ok(serde_json::Value::String(s)) => format!("{server}: {s}"),
            Ok(v) if v["message"].is_string() => {
                format!("{server}: {}", v["message"].as_str().unwrap_or(""))
            }
            _ => self.message.clone(),
        }
    }

    fn new(status: Option<u16>, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            body: String::new(),
        }
    }
}

/// A Service in the cluster: `namespace/name:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    pub name: String,
    pub port: String,
}

impl ServiceRef {
    pub fn new(namespace: &str, name: &str, port: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            port: port.into(),
        }
    }

    /// Parses `namespace/name:port` (the port may be a number or a port name).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "\"{s}\" is not NAMESPACE/SERVICE:PORT (e.g. monitoring/prometheus-operated:9090)"
            )
        };
        let (ns, rest) = s.split_once('/').ok_or_else(bad)?;
        // The proxy's `https:NAME` speaks TLS to the Service (Argo CD's server wants it).
        let (scheme, rest) = match rest.split_once(':') {
            Some((s @ ("https" | "http"), r)) => (Some(s), r),
            _ => (None, rest),
        };
        let (name, port) = rest.split_once(':').ok_or_else(bad)?;
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        if !ok(ns) || !ok(name) || !ok(port) {
            return Err(bad());
        }
        match scheme {
            Some(s) => Ok(Self::new(ns, &format!("{s}:{name}"), port)),
            None => Ok(Self::new(ns, name, port)),
        }
    }

    /// The API server path prefix of this Service's proxy.
    pub fn proxy_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/services/{}:{}/proxy",
            self.namespace, self.name, self.port
        )
    }
}

impl fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.namespace, self.name, self.port)
    }
}

#[derive(Clone)]
enum Transport {
    Direct {
        client: reqwest::Client,
        base: url::Url,
        basic: Option<(String, String)>,
        bearer: Option<String>,
        sigv4: Option<std::sync::Arc<super::sigv4::SigV4>>,
    },
    Proxy {
        client: kube::Client,
        service: ServiceRef,
    },
}

/// Where a server is and how to reach it.
#[derive(Clone)]
pub struct Endpoint {
    transport: Transport,
    headers: Vec<(String, String)>,
    timeout: Duration,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.describe())
    }
}

/// A parsed response: status and body text.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Endpoint {
    /// A URL the user gave. `https://user:pass@host/` gives basic auth; `bearer` a token.
    pub fn direct(url: &str, bearer: Option<String>) -> Result<Self, String> {
        let mut base = url::Url::parse(url).map_err(|e| format!("\"{url}\" is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "\"{url}\": only http:// and https:// are supported"
            ));
        }
        let basic = if base.username().is_empty() {
            None
        } else {
            let user = percent_decode(base.username());
            let pass = percent_decode(base.password().unwrap_or(""));
            let _ = base.set_username("");
            let _ = base.set_password(None);
            Some((user, pass))
        };
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self {
            transport: Transport::Direct {
                client,
                base,
                basic,
                bearer: bearer.filter(|t| !t.is_empty()),
                sigv4: None,
            },
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// A Service through the API server's proxy, with the kubeconfig's credentials.
    pub fn service(client: kube::Client, service: ServiceRef) -> Self {
        Self {
            transport: Transport::Proxy { client, service },
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Basic auth (a URL's own user info is replaced); direct URLs only.
    pub fn with_basic(mut self, user: &str, password: &str) -> Self {
        if let Transport::Direct { basic, .. } = &mut self.transport {
            *basic = Some((user.to_string(), password.to_string()));
        }
        self
    }

    /// Signs every request with AWS SigV4 (AWS-managed OpenSearch); direct URLs only.
    pub fn with_sigv4(mut self, signer: super::sigv4::SigV4) -> Self {
        if let Transport::Direct { sigv4, .. } = &mut self.transport {
            *sigv4 = Some(std::sync::Arc::new(signer));
        }
        self
    }

    /// The host of a direct URL.
    pub fn host(&self) -> Option<String> {
        match &self.transport {
            Transport::Direct { base, .. } => base.host_str().map(str::to_string),
            Transport::Proxy { .. } => None,
        }
    }

    /// Which credential requests carry, for a 401/403 message: `basic auth as USER`,
    /// `a bearer token`, `AWS SigV4 (…)`, `the kubeconfig's credentials`, or `no credentials`.
    pub fn credential(&self) -> String {
        let extra = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.split(' ').next().unwrap_or("").to_string());
        match &self.transport {
            Transport::Proxy { .. } => "the kubeconfig's credentials".into(),
            Transport::Direct { sigv4: Some(s), .. } => format!(
                "AWS SigV4 with {} from {} ({} in {})",
                s.credentials.access_key_id, s.credentials.source, s.service, s.region
            ),
            Transport::Direct {
                bearer: Some(_), ..
            } => "a bearer token".into(),
            Transport::Direct {
                basic: Some((u, _)),
                ..
            } => format!("basic auth as {u}"),
            Transport::Direct { .. } => match extra {
                Some(scheme) if !scheme.is_empty() => format!("an {scheme} Authorization header"),
                _ => "no credentials".into(),
            },
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn is_proxy(&self) -> bool {
        matches!(self.transport, Transport::Proxy { .. })
    }

    /// For messages: the URL (without credentials) or `service ns/name:port via the API server`.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Direct { base, .. } => base.to_string(),
            Transport::Proxy { service, .. } => format!("service {service} via the API server"),
        }
    }

    /// The URL of `path` (for a websocket or a message); `None` through the proxy.
    pub fn url(&self, path: &str) -> Option<url::Url> {
        match &self.transport {
            Transport::Direct { base, .. } => base.join(path.trim_start_matches('/')).ok(),
            Transport::Proxy { .. } => None,
        }
    }

    /// The headers a request carries (auth and extra), for a websocket handshake.
    pub fn auth_headers(&self) -> Vec<(String, String)> {
        let mut h = self.headers.clone();
        if let Transport::Direct { basic, bearer, .. } = &self.transport {
            if let Some(t) = bearer {
                h.push(("Authorization".into(), format!("Bearer {t}")));
            } else if let Some((u, p)) = basic {
                h.push(("Authorization".into(), basic_header(u, p)));
            }
        }
        h
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Response, HttpError> {
        self.send(Method::GET, path, query, None).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Response, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::new(None, e.to_string()))?;
        self.send(Method::POST, path, &[], Some(bytes)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Response, HttpError> {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// Sends a request; a non-2xx status is an error carrying the body's text.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json: Option<Vec<u8>>,
    ) -> Result<Response, HttpError> {
        let what = format!("{} {}", method, path);
        let fut = self.send_raw(method, path, query, json);
        let resp = match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(HttpError::new(
                    None,
                    format!(
                        "{what}: no answer from {} within {}s",
                        self.describe(),
                        self.timeout.as_secs_f64()
                    ),
                ));
            }
        };
        if (200..300).contains(&resp.status) {
            Ok(resp)
        } else {
            let mut e = HttpError::new(
                Some(resp.status),
                format!(
                    "{} answered {} to {what}: {}",
                    self.describe(),
                    resp.status,
                    short_body(&resp.body)
                ),
            );
            e.body = resp.body;
            Err(e)
        }
    }

    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json: Option<Vec<u8>>,
    ) -> Result<Response, HttpError> {
        let path = path.trim_start_matches('/');
        match &self.transport {
            Transport::Direct {
                client,
                base,
                basic,
                bearer,
                sigv4,
            } => {
                let mut url = base
                    .join(path)
                    .map_err(|e| HttpError::new(None, format!("bad path {path}: {e}")))?;
                if !query.is_empty() {
                    url.query_pairs_mut()
                        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
                }
                let mut req = client.request(method, url);
                if let Some(t) = bearer {
                    req = req.bearer_auth(t);
                } else if let Some((u, p)) = basic {
                    req = req.basic_auth(u, Some(p));
                }
                for (k, v) in &self.headers {
                    req = req.header(k, v);
                }
                if let Some(b) = json {
                    req = req.header("Content-Type", "application/json").body(b);
                }
                let mut req = req
                    .build()
                    .map_err(|e| HttpError::new(None, format!("bad request: {e}")))?;
                if let Some(signer) = sigv4 {
                    sign_request(signer, &mut req)?;
                }
                let resp = client.execute(req).await.map_err(|e| {
                    let msg = match io_cause(&e) {
                        Some(why) => format!("cannot connect to {}: {why}", self.describe()),
                        None if e.is_timeout() => format!(
                            "no answer from {} within {}s",
                            self.describe(),
                            self.timeout.as_secs()
                        ),
                        None => format!("cannot reach {}: {}", self.describe(), error_chain(&e)),
                    };
                    HttpError::new(None, msg)
                })?;
                let status = resp.status().as_u16();
                if resp.content_length().unwrap_or(0) as usize > MAX_BODY {
                    return Err(HttpError::new(Some(status), too_large()));
                }
                // Read chunk by chunk up to the cap: a chunked answer says no length first.
                let mut resp = resp;
                let mut bytes: Vec<u8> = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(|e| {
                    HttpError::new(
                        Some(status),
                        format!("reading the answer: {}", error_chain(&e)),
                    )
                })? {
                    if bytes.len() + chunk.len() > MAX_BODY {
                        return Err(HttpError::new(Some(status), too_large()));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(Response {
                    status,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                })
            }
            Transport::Proxy { client, service } => {
                let mut uri = format!("{}/{}", service.proxy_path(), path);
                if !query.is_empty() {
                    let q: String = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                        .finish();
                    uri.push('?');
                    uri.push_str(&q);
                }
                let mut req = http::Request::builder().method(method).uri(&uri);
                for (k, v) in &self.headers {
                    req = req.header(k, v);
                }
                if json.is_some() {
                    req = req.header("Content-Type", "application/json");
                }
                let req = req
                    .body(kube::client::Body::from(json.unwrap_or_default()))
                    .map_err(|e| HttpError::new(None, format!("bad request {uri}: {e}")))?;
                let resp = client.send(req).await.map_err(|e| {
                    HttpError::new(
                        None,
                        format!("cannot reach the API server to proxy to {service}: {e}"),
                    )
                })?;
                let status = resp.status().as_u16();
                // Capped while read, not after: a chunked answer is never held whole.
                let body = http_body_util::Limited::new(resp.into_body(), MAX_BODY)
                    .collect()
                    .await
                    .map_err(|e| {
                        if e.is::<http_body_util::LengthLimitError>() {
                            HttpError::new(Some(status), too_large())
                        } else {
                            HttpError::new(Some(status), format!("reading the answer: {e}"))
                        }
                    })?;
                let bytes = body.to_bytes();
                Ok(Response {
                    status,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                })
            }
        }
    }
}

fn too_large() -> String {
    format!("response body too large (over {} MiB)", MAX_BODY >> 20)
}

/// Adds the SigV4 headers for a built request (its method, URL, headers and body).
fn sign_request(signer: &super::sigv4::SigV4, req: &mut reqwest::Request) -> Result<(), HttpError> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = req.body().and_then(|b| b.as_bytes()).unwrap_or(&[]);
    let signed = signer
        .sign(
            req.method().as_str(),
            req.url().as_str(),
            &pairs,
            body,
            std::time::SystemTime::now(),
        )
        .map_err(|e| HttpError::new(None, e))?;
    for (k, v) in signed {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            req.headers_mut().insert(name, value);
        }
    }
    Ok(())
}

fn basic_header(user: &str, pass: &str) -> String {
    use std::io::Write;
    let mut raw = Vec::new();
    let _ = write!(raw, "{user}:{pass}");
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The first line of a body, at most 300 characters (servers answer errors as text or JSON);
/// for a JSON error (a Kubernetes Status, an Alertmanager string) its message.
pub fn short_body(body: &str) -> String {
    let msg = match serde_json::from_str::<serde_json::Value>(body.trim()) {
        Ok(serde_json::Value::String(m)) => Some(m),
        Ok(v) => v["message"]
            .as_str()
            .or(v["error"].as_str())
            .map(str::to_string),
        Err(_) => None,
    };
    let body = msg.as_deref().unwrap_or(body);
    let line = body.trim().lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        s.push('…');
    }
    if s.is_empty() {
        "(empty body)".into()
    } else {
        s
    }
}

/// The network's own reason behind an error, in a few words (`connection refused`), when an
/// I/O error of a known kind is among its causes.
pub fn io_cause(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                K::ConnectionRefused => return Some("connection refused"),
                K::ConnectionReset => return Some("connection reset"),
                K::ConnectionAborted => return Some("connection aborted"),
                K::HostUnreachable | K::NetworkUnreachable => return Some("host unreachable"),
                K::TimedOut => return Some("timed out"),
                _ => {}
            }
        }
        cur = c.source();
    }
    None
}

/// reqwest's message and its causes ("error sending request: … Connection refused").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Delay before retry `n` (0-based): 1 s, 2 s, 4 s … capped at `max`.
pub fn backoff(n: u32, max: Duration) -> Duration {
    let secs = 1u64.checked_shl(n.min(16)).unwrap_or(u64::MAX);
    Duration::from_secs(secs).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_refs_parse_and_reject() {
        let s = ServiceRef::parse("monitoring/prometheus-operated:9090").unwrap();
        assert_eq!(
            s.proxy_path(),
            "/api/v1/namespaces/monitoring/services/prometheus-operated:9090/proxy"
        );
        assert_eq!(
            ServiceRef::parse("linkerd-viz/prometheus:admin")
                .unwrap()
                .port,
            "admin"
        );
        assert_eq!(
            ServiceRef::parse("argocd/https:argocd-server:443")
                .unwrap()
                .proxy_path(),
            "/api/v1/namespaces/argocd/services/https:argocd-server:443/proxy"
        );
        for bad in [
            "argocd/https:argocd-server",
            "prometheus:9090",
            "monitoring/prometheus",
            "a/b:c/../d",
            "a/ b:1",
        ] {
            assert!(ServiceRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_auth_comes_from_the_url_and_leaves_it() {
        let e = Endpoint::direct("https://ops%40x:p%3Ass@prom.example:9090/sub", None).unwrap();
        assert_eq!(e.describe(), "https://prom.example:9090/sub/");
        assert_eq!(
            e.auth_headers(),
            vec![("Authorization".to_string(), basic_header("ops@x", "p:ss"))]
        );
        assert_eq!(
            basic_header("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(
            e.url("/api/v1/query").unwrap().as_str(),
            "https://prom.example:9090/sub/api/v1/query"
        );
        assert!(Endpoint::direct("ftp://x", None).is_err());
        assert!(Endpoint::direct("not a url", None).is_err());
    }

    #[test]
    fn backoff_doubles_to_a_cap() {
        let max = Duration::from_secs(30);
        let v: Vec<u64> = (0..7).map(|n| backoff(n, max).as_secs()).collect();
        assert_eq!(v, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(200, max), max);
    }
}
