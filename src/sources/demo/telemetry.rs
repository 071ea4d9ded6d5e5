//! Simulated telemetry: Linkerd route numbers (with retries and the retry budget), Istio's
//! (each attempt as the destination sees it, with response flags), and what services log:
//! Spring Boot and FastAPI errors with their stack traces.

use super::catalog::RouteDef;
use crate::model::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

pub const BUDGET: RetryBudget = RetryBudget {
    retry_ratio: 0.2,
    min_retries_per_second: 10,
    ttl_secs: 10,
};

/// Failure probability of one attempt on a healthy build.
pub const BASE_FAIL: f64 = 0.0008;

/// Linkerd's latency bucket bounds (ms; `route_response_latency_ms_bucket`).
const LINKERD_BOUNDS: [f64; 26] = [
    1.0,
    2.0,
    3.0,
    4.0,
    5.0,
    10.0,
    20.0,
    30.0,
    40.0,
    50.0,
    100.0,
    200.0,
    300.0,
    400.0,
    500.0,
    1000.0,
    2000.0,
    3000.0,
    4000.0,
    5000.0,
    10000.0,
    20000.0,
    30000.0,
    40000.0,
    50000.0,
    f64::INFINITY,
];
/// Istio's default bounds (ms; `istio_request_duration_milliseconds_bucket`).
const ISTIO_BOUNDS: [f64; 20] = [
    0.5,
    1.0,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
    30000.0,
    60000.0,
    300000.0,
    600000.0,
    1800000.0,
    3600000.0,
    f64::INFINITY,
];

/// The histogram of `s`'s requests: cumulative requests per second at each bound, from a
/// latency distribution through its three quantiles (linear between them, the slowest
/// request at twice p99).
fn buckets(s: &RouteSample, bounds: &[f64]) -> crate::model::latency::Buckets {
    let points = [
        (0.0, 0.0),
        (s.p50_ms, 0.5),
        (s.p95_ms.max(s.p50_ms), 0.95),
        (s.p99_ms.max(s.p95_ms), 0.99),
        (2.0 * s.p99_ms.max(s.p95_ms), 1.0),
    ];
    let cdf = |b: f64| {
        for w in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            if b <= x1 {
                return if x1 > x0 {
                    y0 + (y1 - y0) * (b - x0) / (x1 - x0)
                } else {
                    y1
                };
            }
        }
        1.0
    };
    bounds.iter().map(|b| (*b, s.rps * cdf(*b))).collect()
}

/// The numbers of one route served by one set of pods.
pub fn sample(def: &RouteDef, rps: f64, fail: f64, rng: &mut ChaCha8Rng, slow: f64) -> RouteSample {
    if rps <= 0.0 {
        return RouteSample::default();
    }
    // Retries: a retryable route retries failures within the budget (ratio of requests,
    // with a floor of minRetriesPerSecond); the retried attempt fails again with `fail`.
    let failing = rps * fail;
    let retries = if def.retryable() {
        failing.min((rps * BUDGET.retry_ratio).max(f64::from(BUDGET.min_retries_per_second)))
    } else {
        0.0
    };
    let failed_after = failing - retries * (1.0 - fail);
    let jitter = |rng: &mut ChaCha8Rng, x: f64| x * (1.0 + rng.random_range(-0.06..0.06));
    let effective = (1.0 - failed_after / rps).clamp(0.0, 1.0);
    let actual = (1.0 - fail).clamp(0.0, 1.0);
    let retry_lat = if retries > 0.0 { 1.0 + fail * 4.0 } else { 1.0 };
    let mut out = RouteSample {
        effective_success: Some(effective),
        actual_success: Some(actual),
        rps: jitter(rng, rps),
        p50_ms: jitter(rng, def.p50 * slow),
        p95_ms: jitter(rng, def.p95 * slow * retry_lat),
        p99_ms: jitter(rng, def.p99 * slow * retry_lat * retry_lat),
        ..Default::default()
    };
    out.latency_buckets = buckets(&out, &LINKERD_BOUNDS);
    out
}

/// Combines the samples of the tracks of one route, weighted by their traffic.
pub fn combine(parts: &[&RouteSample]) -> RouteSample {
    let rps: f64 = parts.iter().map(|p| p.rps).sum();
    if rps <= 0.0 {
        return RouteSample::default();
    }
    let w = |f: &dyn Fn(&RouteSample) -> f64| parts.iter().map(|p| f(p) * p.rps).sum::<f64>() / rps;
    let max = |f: &dyn Fn(&RouteSample) -> f64| {
        parts
            .iter()
            .filter(|p| p.rps > 0.0)
            .map(|p| f(p))
            .fold(0.0, f64::max)
    };
    let mut flags: std::collections::BTreeMap<String, f64> = Default::default();
    for p in parts {
        for (f, n) in &p.flags {
            *flags.entry(f.clone()).or_default() += n;
        }
    }
    let mut flags: Vec<(String, f64)> = flags.into_iter().collect();
    flags.sort_by(|a, b| b.1.total_cmp(&a.1));
    RouteSample {
        effective_success: Some(w(&|p| p.effective_success.unwrap_or(1.0))),
        actual_success: Some(w(&|p| p.actual_success.unwrap_or(1.0))),
        rps,
        p50_ms: w(&|p| p.p50_ms),
        p95_ms: max(&|p| p.p95_ms),
        p99_ms: max(&|p| p.p99_ms),
        client_error_rps: parts.iter().map(|p| p.client_error_rps).sum(),
        flags,
        latency_buckets: sum_buckets(parts),
    }
}

/// The tracks' histograms added bound by bound (one platform's tracks share their bounds).
fn sum_buckets(parts: &[&RouteSample]) -> crate::model::latency::Buckets {
    let mut out: crate::model::latency::Buckets = Vec::new();
    for p in parts {
        if out.is_empty() {
            out = p.latency_buckets.clone();
        } else if out.len() == p.latency_buckets.len() {
            for (o, (_, c)) in out.iter_mut().zip(&p.latency_buckets) {
                o.1 += c;
            }
        }
    }
    out
}

/// How Istio sees one track of a route: failures (5xx) as the destination reports them, with
/// the response flag that explains them — a bad build behind a circuit breaker overflows (UO)
/// and waits in the queue first — and a few 4xx from the callers.
pub fn sample_istio(
    def: &RouteDef,
    rps: f64,
    fail: f64,
    rng: &mut ChaCha8Rng,
    slow: f64,
    circuit: bool,
) -> RouteSample {
    if rps <= 0.0 {
        return RouteSample::default();
    }
    let jitter = |rng: &mut ChaCha8Rng, x: f64| x * (1.0 + rng.random_range(-0.06..0.06));
    let tripped = circuit && fail > 0.05;
    let queue = if tripped { 2.4 } else { 1.0 };
    let failing = rps * fail;
    // A healthy build's rare failures seldom fall in a window: no flag to show.
    let flags = if failing <= 0.0 || fail <= BASE_FAIL {
        Vec::new()
    } else if tripped {
        vec![
            ("UO".to_string(), failing * 0.85),
            ("URX".to_string(), failing * 0.15),
        ]
    } else {
        vec![("UF".to_string(), failing)]
    };
    let success = (1.0 - fail).clamp(0.0, 1.0);
    let mut out = RouteSample {
        effective_success: Some(success),
        actual_success: Some(success),
        rps: jitter(rng, rps),
        p50_ms: jitter(rng, def.p50 * slow),
        p95_ms: jitter(rng, def.p95 * slow * queue),
        p99_ms: jitter(rng, def.p99 * slow * queue * queue),
        client_error_rps: rps * 0.004,
        flags,
        latency_buckets: Vec::new(),
    };
    out.latency_buckets = buckets(&out, &ISTIO_BOUNDS);
    out
}

/// What a platform's services log: the bad build's error, everyday errors and warnings, the
/// worker threads, and the alert their error rate raises.
pub struct LogStyle {
    pub bad: ErrorTemplate,
    pub noise: &'static [ErrorTemplate],
    pub warnings: &'static [(&'static str, &'static str)],
    pub thread: &'static str,
    pub alert: &'static str,
    /// ERROR lines per second of one service, over a minute, that fire the alert.
    pub alert_per_sec: f64,
}

pub const SPRING: LogStyle = LogStyle {
    bad: BAD_BUILD_ERROR,
    noise: NOISE_ERRORS,
    warnings: WARNINGS,
    thread: "http-nio-8080-exec-",
    alert: "SpringErrorLogs",
    alert_per_sec: 0.5,
};

/// The shop's Spring Boot APIs: the bad goods build dereferences a product's missing price
/// when it builds the display view (Java's helpful NullPointerException message).
pub const SHOP_SPRING: LogStyle = LogStyle {
    bad: ErrorTemplate {
        logger: "c.s.goods.display.GoodsDisplayController",
        message: "Request processing failed: GET /goods/{id}/display",
        exception: "java.lang.NullPointerException: Cannot invoke \"com.shop.goods.domain.Price.getSalePrice()\" because the return value of \"com.shop.goods.domain.Goods.getPrice()\" is null",
        frames: &[
            "at com.shop.goods.display.GoodsDisplayMapper.toView(GoodsDisplayMapper.java:74)",
            "at com.shop.goods.display.GoodsDisplayService.display(GoodsDisplayService.java:52)",
            "at com.shop.goods.display.GoodsDisplayController.display(GoodsDisplayController.java:38)",
            "at java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
            "at org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
            "at org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
            "... 52 common frames omitted",
        ],
        cause: None,
    },
    noise: NOISE_ERRORS,
    warnings: WARNINGS,
    thread: "http-nio-8080-exec-",
    alert: "SpringErrorLogs",
    alert_per_sec: 0.5,
};

/// FastAPI services under uvicorn (and the Go gateway's lines, which carry no stack).
pub const FASTAPI: LogStyle = LogStyle {
    bad: ErrorTemplate {
        logger: "{svc}.api.posts",
        message: "Exception in ASGI application: GET /posts",
        exception: "Traceback (most recent call last):",
        frames: &[
            "File \"/app/{svc}/api/posts.py\", line 48, in list_posts",
            "  return [PostOut.from_orm(p) for p in rows]",
            "File \"/app/{svc}/schemas.py\", line 31, in from_orm",
            "  summary=post.body[:280],",
            "TypeError: 'NoneType' object is not subscriptable (post {id})",
        ],
        cause: None,
    },
    noise: &[
        ErrorTemplate {
            logger: "{svc}.db",
            message: "database query failed, retrying",
            exception: "Traceback (most recent call last):",
            frames: &[
                "File \"/usr/local/lib/python3.12/site-packages/asyncpg/pool.py\", line 882, in acquire",
                "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",
            ],
            cause: None,
        },
        ErrorTemplate {
            logger: "{svc}.clients.http",
            message: "upstream call failed: httpx.ConnectError",
            exception: "Traceback (most recent call last):",
            frames: &[
                "File \"/app/{svc}/clients/http.py\", line 22, in get",
                "httpx.ConnectError: [Errno 111] Connection refused",
            ],
            cause: None,
        },
    ],
    warnings: &[
        ("uvicorn.access", "slow request: 1.9s GET /posts?page=3"),
        ("{svc}.cache", "redis unavailable, serving from database"),
    ],
    thread: "uvicorn-worker-",
    alert: "HighErrorLogs",
    alert_per_sec: 0.02,
};

pub struct ErrorTemplate {
    pub logger: &'static str,
    pub message: &'static str,
    pub exception: &'static str,
    pub frames: &'static [&'static str],
    pub cause: Option<&'static str>,
}

pub const BAD_BUILD_ERROR: ErrorTemplate = ErrorTemplate {
    logger: "c.e.store.web.ProductController",
    message: "Request processing failed: GET /products/{id}",
    exception: "java.lang.IllegalStateException: Product price is null for sku {id} (catalog v2 mapping)",
    frames: &[
        "at com.example.store.product.PriceMapper.toDto(PriceMapper.java:57)",
        "at com.example.store.product.ProductService.findById(ProductService.java:88)",
        "at com.example.store.web.ProductController.get(ProductController.java:41)",
        "at java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
        "at org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
        "at org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
        "... 48 common frames omitted",
    ],
    cause: None,
};

pub const NOISE_ERRORS: &[ErrorTemplate] = &[
    ErrorTemplate {
        logger: "c.e.{svc}.client.DownstreamClient",
        message: "Downstream call failed after 1 attempt",
        exception: "org.springframework.web.client.ResourceAccessException: I/O error on GET request: Connection reset",
        frames: &[
            "at org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:915)",
            "at com.example.{svc}.client.DownstreamClient.fetch(DownstreamClient.java:62)",
            "... 31 common frames omitted",
        ],
        cause: Some("java.net.SocketException: Connection reset"),
    },
    ErrorTemplate {
        logger: "o.h.engine.jdbc.spi.SqlExceptionHelper",
        message: "HikariPool-1 - Connection is not available, request timed out after 3000ms.",
        exception: "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 3000ms (total=10, active=10, idle=0, waiting=3)",
        frames: &[
            "at com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)",
            "at com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)",
            "at com.example.{svc}.repo.JdbcRepository.query(JdbcRepository.java:44)",
        ],
        cause: None,
    },
];

pub const WARNINGS: &[(&str, &str)] = &[
    (
        "o.s.c.c.CircuitBreaker",
        "Circuit breaker 'downstream' is HALF_OPEN after 12 failures",
    ),
    (
        "c.e.{svc}.cache.RedisCache",
        "Cache miss storm: 143 misses in 10s, falling back to database",
    ),
    (
        "o.a.c.c.C.[Tomcat].[localhost]",
        "Request took 1870 ms, close to the 2000 ms route timeout",
    ),
];

const HEX: &[u8] = b"0123456789abcdef";

pub fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| HEX[rng.random_range(0..16)] as char)
        .collect()
}

/// Kubernetes' safe alphabet for pod-template-hashes and pod suffixes.
pub fn k8s_suffix(rng: &mut ChaCha8Rng, n: usize) -> String {
    const A: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..n)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect()
}
