//! The Prometheus answer envelope read straight into samples and series (no JSON value tree:
//! a `query_range` answer of 6 MB held ~16× its size as a tree). As lenient as reading the
//! tree was: a series that is not an object, a point that is not `[time, "value"]` or a label
//! that is not a string is skipped or read empty, never the whole answer refused.

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

pub type Labels = BTreeMap<String, String>;

/// One series of an instant vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

impl Sample {
    /// A sample with these labels (tests and the demo build them by hand).
    pub fn new(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }
}

/// One series of a range query, oldest point first.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

/// A value where an object or a list was expected reads as `$empty` (consumed, never an
/// error): the visitor methods for every JSON scalar.
macro_rules! scalars_read_as {
    // … and so does the container kind the type is not read from.
    ($t:ty, $empty:expr, map) => {
        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<$t, A::Error> {
            ScalarVisitor.visit_map(a).map(|_| $empty)
        }
        scalars_read_as!($t, $empty);
    };
    ($t:ty, $empty:expr, seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<$t, A::Error> {
            ScalarVisitor.visit_seq(a).map(|_| $empty)
        }
        scalars_read_as!($t, $empty);
    };
    ($t:ty, $empty:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok($empty)
        }
        fn visit_i64<E>(self, _: i64) -> Result<$t, E> {
            Ok($empty)
        }
        fn visit_u64<E>(self, _: u64) -> Result<$t, E> {
            Ok($empty)
        }
        fn visit_f64<E>(self, _: f64) -> Result<$t, E> {
            Ok($empty)
        }
        fn visit_str<E>(self, _: &str) -> Result<$t, E> {
            Ok($empty)
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok($empty)
        }
    };
}

/// A JSON scalar, or anything else (consumed and forgotten).
enum Scalar {
    Num(f64),
    Text(String),
    Other,
}

impl Scalar {
    fn text(self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// `[1724930400.123, "0.0421"]` → (seconds, value); anything else → None.
struct Point(Option<(f64, f64)>);

impl<'de> serde::Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Point, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a [time, value] pair")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Point, A::Error> {
                let t = a.next_element::<Scalar>()?;
                let v = a.next_element::<Scalar>()?;
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Point(match (t, v) {
                    (Some(Scalar::Num(t)), Some(Scalar::Text(v))) => {
                        v.parse::<f64>().ok().map(|v| (t, v))
                    }
                    _ => None,
                }))
            }
            scalars_read_as!(Point, Point(None), map);
        }
        d.deserialize_any(V)
    }
}

/// `values`: the finite points, time rounded to whole seconds; not a list → none.
struct Points(Vec<(i64, f64)>);

impl<'de> serde::Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Points, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Points;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of points")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Points, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(Point(p)) = a.next_element::<Point>()? {
                    if let Some((t, v)) = p.filter(|(_, v)| v.is_finite()) {
                        out.push((t.round() as i64, v));
                    }
                }
                Ok(Points(out))
            }
            scalars_read_as!(Points, Points(Vec::new()), map);
        }
        d.deserialize_any(V)
    }
}

/// `metric`: its labels; a value that is not a string reads empty; not an object → none.
struct LabelMap(Labels);

impl<'de> serde::Deserialize<'de> for LabelMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LabelMap, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LabelMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of labels")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<LabelMap, A::Error> {
                let mut out = Labels::new();
                while let Some((k, v)) = a.next_entry::<String, Scalar>()? {
                    out.insert(k, v.text().unwrap_or_default());
                }
                Ok(LabelMap(out))
            }
            scalars_read_as!(LabelMap, LabelMap(Labels::new()), seq);
        }
        d.deserialize_any(V)
    }
}

/// What one element of `data.result` holds: labels, an instant value, range points.
type SeriesParts = (Labels, Option<(f64, f64)>, Vec<(i64, f64)>);

/// One element of `data.result`, vector or matrix alike; not an object → None.
struct RawSeries(Option<SeriesParts>);

impl<'de> serde::Deserialize<'de> for RawSeries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawSeries, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSeries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a series")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<RawSeries, A::Error> {
                let (mut labels, mut value, mut values) = (Labels::new(), None, Vec::new());
                while let Some(k) = a.next_key::<String>()? {
                    match k.as_str() {
                        "metric" => labels = a.next_value::<LabelMap>()?.0,
                        "value" => value = a.next_value::<Point>()?.0,
                        "values" => values = a.next_value::<Points>()?.0,
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(RawSeries(Some((labels, value, values))))
            }
            scalars_read_as!(RawSeries, RawSeries(None), seq);
        }
        d.deserialize_any(V)
    }
}

/// `data.result`: the series that are objects; `None` when it is not a list.
struct Results(Option<Vec<RawSeries>>);

impl<'de> serde::Deserialize<'de> for Results {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Results, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Results;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of series")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Results, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(s) = a.next_element::<RawSeries>()? {
                    out.push(s);
                }
                Ok(Results(Some(out)))
            }
            scalars_read_as!(Results, Results(None), map);
        }
        d.deserialize_any(V)
    }
}

/// `data`: its result type and result.
#[derive(Default)]
struct Data {
    result_type: Option<String>,
    result: Option<Vec<RawSeries>>,
}

impl<'de> serde::Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Data, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the data of an answer")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Data, A::Error> {
                let mut out = Data::default();
                while let Some(k) = a.next_key::<String>()? {
                    match k.as_str() {
                        "resultType" => out.result_type = a.next_value::<Scalar>()?.text(),
                        "result" => out.result = a.next_value::<Results>()?.0,
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            scalars_read_as!(Data, Data::default(), seq);
        }
        d.deserialize_any(V)
    }
}

/// The whole envelope (PROTOCOLS §4): `status`, `data`, or `errorType` and `error`.
#[derive(Default)]
struct Envelope {
    status: Option<String>,
    error_type: Option<String>,
    error: Option<String>,
    data: Data,
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Envelope, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Prometheus API answer")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Envelope, A::Error> {
                let mut out = Envelope::default();
                while let Some(k) = a.next_key::<String>()? {
                    match k.as_str() {
                        "status" => out.status = a.next_value::<Scalar>()?.text(),
                        "errorType" => out.error_type = a.next_value::<Scalar>()?.text(),
                        "error" => out.error = a.next_value::<Scalar>()?.text(),
                        "data" => out.data = a.next_value::<Data>()?,
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            scalars_read_as!(Envelope, Envelope::default(), seq);
        }
        d.deserialize_any(V)
    }
}

/// The series of a success envelope of result type `want`, or the error it carries.
fn result_of(body: &str, want: &str) -> Result<Vec<RawSeries>, String> {
    let e: Envelope = serde_json::from_str(body).map_err(|_| {
        format!(
            "not a Prometheus API answer: {}",
            crate::net::http::short_body(body)
        )
    })?;
    match e.status.as_deref() {
        Some("success") => {}
        Some("error") => {
            return Err(format!(
                "Prometheus error {}: {}",
                e.error_type.as_deref().unwrap_or("?"),
                e.error.as_deref().unwrap_or("")
            ));
        }
        _ => return Err("not a Prometheus API answer (no status)".into()),
    }
    let rt = e.data.result_type.unwrap_or_default();
    if rt != want {
        return Err(format!("expected a {want}, Prometheus answered a {rt}"));
    }
    e.data
        .result
        .ok_or_else(|| "Prometheus answer without data.result".into())
}

/// The error an answer's envelope carries (`Prometheus error bad_data: …`), if it is one.
pub fn envelope_error(body: &str) -> Option<String> {
    match result_of(body, "") {
        Err(m) if m.starts_with("Prometheus error") => Some(m),
        _ => None,
    }
}

pub fn parse_vector(body: &str) -> Result<Vec<Sample>, String> {
    Ok(result_of(body, "vector")?
        .into_iter()
        .filter_map(|RawSeries(s)| {
            let (labels, value, _) = s?;
            let (_, value) = value?;
            Some(Sample { labels, value })
        })
        .collect())
}

pub fn parse_matrix(body: &str) -> Result<Vec<Series>, String> {
    Ok(result_of(body, "matrix")?
        .into_iter()
        .filter_map(|RawSeries(s)| {
            let (labels, _, points) = s?;
            Some(Series { labels, points })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_parts_are_skipped_or_read_empty_never_the_whole_answer() {
        let v = parse_vector(
            r#"{"status":"success","data":{"resultType":"vector","result":[
            7, "x", null, [1, 2],
            {"metric":{"a":"b","n":5,"o":{"x":1},"l":[1]},"value":[1724930400,"1.5"]},
            {"metric":"nope","value":[1724930400,"2"]},
            {"metric":{},"value":["1724930400","3"]},
            {"metric":{},"value":[1724930400,4]},
            {"metric":{},"value":{"t":1}},
            {"metric":{},"value":[1724930400,"4",{"extra":[1]}]}]},"warnings":["x"]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(usize, f64)> = v.iter().map(|s| (s.labels.len(), s.value)).collect();
        assert_eq!(got, vec![(4, 1.5), (0, 2.0), (0, 4.0)]);
        assert_eq!(v[0].labels["n"], "");
        let m = parse_matrix(
            r#"{"data":{"result":[{"values":"no"},{"values":[[1,"1"],"x",[2],[3.6,"+Inf"],[4.4,"2"]]}],"resultType":"matrix"},"status":"success"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.len(), 2);
        assert!(m[0].points.is_empty());
        assert_eq!(m[1].points, vec![(1, 1.0), (4, 2.0)]);
        assert_eq!(
            parse_vector(r#"{"status":"success","data":{"resultType":"vector","result":{}}}"#),
            Err("Prometheus answer without data.result".into())
        );
        assert_eq!(
            parse_vector("[1,2]"),
            Err("not a Prometheus API answer (no status)".into())
        );
        assert_eq!(
            envelope_error(r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#),
            Some("Prometheus error timeout: query timed out".into())
        );
    }
}
