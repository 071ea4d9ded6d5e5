//! The demo's log lines as Fluentd ships them to OpenSearch (PROTOCOLS §10): a Spring Boot
//! line (its stack joined by the concat filter) in `message`, as containerd's CRI parser
//! writes it on EKS, with the `kubernetes` metadata and the Pod's labels de-dotted.

use super::catalog::Platform;
use crate::model::{LogLine, service_of_pod};
use serde_json::{Value, json};

/// The line as Spring Boot 3 prints it.
fn spring_text(l: &LogLine) -> String {
    let span = &l.trace_id[..l.trace_id.len().min(16)];
    let mut s = format!(
        "{} {:>5} 1 --- [{}] [{}] [{}-{}] {} : {}",
        l.ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        l.level.as_str(),
        l.service,
        l.thread,
        l.trace_id,
        span,
        l.logger,
        l.message
    );
    for frame in &l.stack {
        s.push('\n');
        s.push_str(frame);
    }
    s
}

/// One document as the elasticsearch/opensearch output writes it with `logstash_format`.
pub fn document(platform: &Platform, l: &LogLine) -> (i128, Value) {
    let ts = i128::from(l.ts.timestamp_nanos_opt().unwrap_or(0));
    let (svc, hash) = service_of_pod(&l.pod);
    let svc = if svc.is_empty() {
        l.service.to_string()
    } else {
        svc
    };
    let ns = platform.namespace_of_name(&svc);
    let node = platform
        .nodes
        .iter()
        .find(|n| n.hosts_canaries)
        .or(platform.nodes.first())
        .map_or("", |n| n.name);
    let mut labels = json!({
        "app": svc,
        "app_kubernetes_io/name": svc,
        "security_istio_io/tlsMode": "istio",
        "service_istio_io/canonical-name": svc,
    });
    if let Some(h) = hash {
        labels["rollouts-pod-template-hash"] = Value::String(h);
    }
    let doc = json!({
        "@timestamp": l.ts.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string(),
        "stream": "stdout",
        "logtag": "F",
        "message": spring_text(l),
        "kubernetes": {
            "pod_name": &*l.pod,
            "namespace_name": ns,
            "container_name": svc,
            "container_image": format!("{}/{svc}", platform.registry),
            "host": node,
            "labels": labels,
            "namespace_labels": {"istio-injection": "enabled"},
        },
    });
    (ts, doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::demo::{Scenario, Sim, catalog::SHOP};
    use crate::sources::logs::opensearch::{Labels, parse_search};
    use crate::sources::logs::{Interner, to_log_line};
    use crate::state::{Tracked, Update};

    #[test]
    fn a_documents_line_reads_back_as_the_line_the_sim_wrote() {
        let mut sim = Sim::on(&SHOP, 3, Scenario::BadCanary, chrono::Utc::now());
        let mut lines = Vec::new();
        for _ in 0..600 {
            sim.step();
            for u in sim.drain() {
                if let Update::Logs(l) = u {
                    lines.extend(l);
                }
            }
        }
        let l = lines
            .iter()
            .find(|l| l.service.as_ref() == "goods" && !l.stack.is_empty())
            .expect("a goods error with a stack");
        let (_, doc) = document(&SHOP, l);
        assert_eq!(doc["kubernetes"]["namespace_name"], "shop-api");
        let body = json!({"hits": {"hits": [{"_index": "logstash-x", "_id": "1", "_source": doc, "sort": [1, 1]}]}});
        let a = parse_search(&body.to_string(), "test", &mut Labels::default()).unwrap();
        let e = &a.hits[0].entry;
        assert_eq!(e.ts_ns, i128::from(l.ts.timestamp_nanos_opt().unwrap()));
        let (_, hash) = service_of_pod(&l.pod);
        let tracked = [Tracked {
            name: "goods".into(),
            namespace: "shop-api".into(),
            stable_hash: "other".into(),
            canary_hash: hash.unwrap_or_default(),
            ..Default::default()
        }];
        let back = to_log_line(e, &tracked, &mut Interner::default());
        assert_eq!(back.level, l.level);
        assert_eq!(back.message, l.message);
        assert_eq!(back.logger, l.logger);
        assert_eq!(back.stack, l.stack);
        assert_eq!(back.pod, l.pod);
        assert_eq!(back.ts, l.ts);
    }
}
