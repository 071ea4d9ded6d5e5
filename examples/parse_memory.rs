//! Peak heap while parsing one large answer, against the answer's size: a Prometheus
//! `query_range` matrix (CPU of many pods over 6 h) and an instant vector of many series.
//! Goal (issue #13): peak ≤ 10× the body. Run: `cargo run --release --example parse_memory
//! matrix` (or `vector`): one answer a process, so the peak is that answer's.

/// Resident memory in bytes from /proc/self/status (`VmRSS:`, `VmHWM:`).
fn status(key: &str) -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        .unwrap_or(0)
        * 1024
}

/// The resident high-water mark above what was resident before `f` (the peak is reset
/// first through /proc/self/clear_refs), and what is resident after it.
fn measure<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let base = status("VmRSS:");
    let out = f();
    (status("VmHWM:").saturating_sub(base), out)
}

fn mb(b: usize) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn main() {
    use opsdeck::sources::prometheus::api::{parse_matrix, parse_vector};
    // 200 pods' CPU over 6 h at a 15 s step: 1,440 points each, as query_range answers.
    let mut m = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for s in 0..200 {
        if s > 0 {
            m.push(',');
        }
        m.push_str(&format!(
            r#"{{"metric":{{"namespace":"production","pod":"store-7c9f5d8b4-{s:05}","container":"store","rollouts_pod_template_hash":"7c9f5d8b4"}},"values":["#
        ));
        for i in 0..1440 {
            if i > 0 {
                m.push(',');
            }
            m.push_str(&format!(
                r#"[{},"0.{:04}"]"#,
                1764540000 + i * 15,
                (i * 7 + s) % 10000
            ));
        }
        m.push_str("]}");
    }
    m.push_str("]}}");
    if std::env::args().nth(1).as_deref() != Some("vector") {
        let (peak, series) = measure(|| parse_matrix(&m));
        let points: usize = series
            .as_ref()
            .map_or(0, |v| v.iter().map(|s| s.points.len()).sum());
        println!(
            "matrix: body {}, {points} points; peak {} above the body ({:.1}× the body)",
            mb(m.len()),
            mb(peak),
            peak as f64 / m.len() as f64,
        );
        return;
    }

    // 20,000 series of an instant vector (route metrics of a large mesh).
    let mut v = String::from(r#"{"status":"success","data":{"resultType":"vector","result":["#);
    for s in 0..20_000 {
        if s > 0 {
            v.push(',');
        }
        v.push_str(&format!(
            r#"{{"metric":{{"dst":"svc-{}.production.svc.cluster.local:8080","rt_route":"GET /api/v1/items/{{id}}","classification":"success","namespace":"production","rollouts_pod_template_hash":"{:x}"}},"value":[1764558245.123,"{}.5"]}}"#,
            s / 10,
            s,
            s % 97
        ));
    }
    v.push_str("]}}");
    let (peak, samples) = measure(|| parse_vector(&v));
    println!(
        "vector: body {}, {} samples; peak {} above the body ({:.1}× the body)",
        mb(v.len()),
        samples.as_ref().map_or(0, Vec::len),
        mb(peak),
        peak as f64 / v.len() as f64,
    );
}
