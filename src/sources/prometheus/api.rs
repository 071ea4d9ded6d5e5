//! The Prometheus HTTP API (PROTOCOLS §4): `query` and `query_range`, their envelope, and
//! errors in words. Samples are JSON strings ("NaN", "+Inf" included), times JSON numbers.

use crate::net::http::Endpoint;

#[derive(Clone, Debug)]
pub struct Prometheus {
    pub endpoint: Endpoint,
}

impl Prometheus {
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// An instant query at the server's now.
    pub async fn query(&self, q: &str) -> Result<Vec<Sample>, String> {
        let timeout = format!("{}s", self.endpoint.timeout().as_secs().max(1));
        let body = self
            .get(
                "api/v1/query",
                &[("query", q.to_string()), ("timeout", timeout)],
            )
            .await?;
        parse_vector(&body).map_err(|e| format!("{e} (query: {q})"))
    }

    /// A range query; `start`/`end` in unix seconds, both inclusive.
    pub async fn query_range(
        &self,
        q: &str,
        start: i64,
        end: i64,
        step: u32,
    ) -> Result<Vec<Series>, String> {
        let timeout = format!("{}s", self.endpoint.timeout().as_secs().max(1));
        let body = self
            .get(
                "api/v1/query_range",
                &[
                    ("query", q.to_string()),
                    ("start", start.to_string()),
                    ("end", end.to_string()),
                    ("step", step.max(1).to_string()),
                    ("timeout", timeout),
                ],
            )
            .await?;
        parse_matrix(&body).map_err(|e| format!("{e} (query: {q})"))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<String, String> {
        match self.endpoint.get(path, query).await {
            Ok(r) => Ok(r.body),
            // Prometheus answers its own errors (400, 422, 503) as a JSON envelope: its words
            // beat the raw body. A proxy's or an auth layer's answer is shown as it came.
            Err(e) => Err(super::wire::envelope_error(&e.body).unwrap_or(e.message)),
        }
    }
}

pub use super::wire::{Labels, Sample, Series, parse_matrix, parse_vector};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_parse_as_documented() {
        let v = parse_vector(
            r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"namespace":"dev","pod":"web-7d9f-abc"},"value":[1724930400.123,"0.0421"]},
            {"metric":{},"value":[1724930400,"NaN"]},
            {"metric":{"x":"y"},"histogram":[1724930400,{"count":"3"}]}]}}"#,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].labels["pod"], "web-7d9f-abc");
        assert_eq!(v[0].value, 0.0421);
        assert!(v[1].value.is_nan());
        let m = parse_matrix(r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"instance":"10.0.0.5:9100"},"values":[[1724930400,"0.31"],[1724930415,"0.29"],[1724930430,"NaN"],[1724930445,"+Inf"]]}]}}"#).unwrap();
        assert_eq!(m[0].points, vec![(1724930400, 0.31), (1724930415, 0.29)]);
        let e = parse_vector(r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": parse error"}"#).unwrap_err();
        assert_eq!(
            e,
            "Prometheus error bad_data: invalid parameter \"query\": parse error"
        );
        let e = parse_vector("<html>502 Bad Gateway</html>").unwrap_err();
        assert!(e.starts_with("not a Prometheus API answer: <html>"), "{e}");
        let e = parse_vector(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
            .unwrap_err();
        assert_eq!(e, "expected a vector, Prometheus answered a matrix");
    }
}
