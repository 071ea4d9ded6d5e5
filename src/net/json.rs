//! Tolerant reading of Kubernetes JSON: a missing or odd-typed field is "absent", never a panic.

use chrono::{DateTime, Utc};
use serde_json::Value;

pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

/// A string field, or "" when absent or not a string.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

/// An integer written as a number or as a numeric string (`observedGeneration: "5"`).
pub fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    match at(v, path)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A count or replica number: clamped into `u32`, `default` when absent.
pub fn u32_at(v: &Value, path: &[&str], default: u32) -> u32 {
    int_at(v, path).map_or(default, |n| n.clamp(0, i64::from(u32::MAX)) as u32)
}

pub fn bool_at(v: &Value, path: &[&str]) -> bool {
    at(v, path).and_then(Value::as_bool).unwrap_or(false)
}

pub fn time_at(v: &Value, path: &[&str]) -> Option<DateTime<Utc>> {
    let s = at(v, path)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A Go duration or a bare number of seconds (`10`, `"10"`, `"10s"`, `"1m30s"`, `"1h"`).
pub fn duration_secs(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => crate::model::time::duration_secs(s),
        _ => None,
    }
}

/// An object's namespace and name; an error naming its kind when it has no name.
pub fn name_of(obj: &Value, kind: &str) -> Result<(String, String), String> {
    let name = str_at(obj, &["metadata", "name"]);
    if name.is_empty() {
        return Err(format!("{kind} without metadata.name"));
    }
    Ok((
        str_at(obj, &["metadata", "namespace"]).to_string(),
        name.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_as_argo_accepts_them() {
        assert_eq!(duration_secs(&json!(10)), Some(10));
        assert_eq!(duration_secs(&json!("10")), Some(10));
        assert_eq!(duration_secs(&json!("10s")), Some(10));
        assert_eq!(duration_secs(&json!("1m30s")), Some(90));
        assert_eq!(duration_secs(&json!("1h")), Some(3600));
        assert_eq!(duration_secs(&json!("soon")), None);
        assert_eq!(duration_secs(&json!("5x")), None);
        assert_eq!(duration_secs(&json!(null)), None);
    }

    #[test]
    fn odd_types_are_absent() {
        let v = json!({"a": {"b": 5, "c": "7", "d": [1], "e": null}});
        assert_eq!(int_at(&v, &["a", "b"]), Some(5));
        assert_eq!(int_at(&v, &["a", "c"]), Some(7));
        assert_eq!(str_at(&v, &["a", "b"]), "");
        assert_eq!(array_at(&v, &["a", "d"]).len(), 1);
        assert!(at(&v, &["a", "e"]).is_none());
        assert!(at(&v, &["x", "y"]).is_none());
    }
}

/// The JSON type a field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Object,
    List,
    Text,
    Number,
    Integer,
    Bool,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Object => "an object",
            Shape::List => "a list",
            Shape::Text => "a string",
            Shape::Number | Shape::Integer => "a number",
            Shape::Bool => "true or false",
        }
    }
    fn fits(self, v: &Value) -> bool {
        match self {
            Shape::Object => v.is_object(),
            Shape::List => v.is_array(),
            Shape::Text => v.is_string(),
            Shape::Number => v.is_number(),
            Shape::Integer => v.is_i64() || v.is_u64(),
            Shape::Bool => v.is_boolean(),
        }
    }
}

fn found(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Fields that are there but of the wrong type, each as `spec.strategy.canary.steps: expected
/// a list, found a string` — so an object that cannot be read is said to be so, instead of
/// its fields reading as absent and borrowing a healthy-looking default. A field missing, or
/// `null`, is no problem; a parent of the wrong type is reported once, not its children.
pub fn wrong_shapes(obj: &Value, fields: &[(&[&str], Shape)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (path, shape) in fields {
        let mut cur = obj;
        let mut broken = false;
        for (i, k) in path.iter().enumerate() {
            match cur.get(k) {
                None | Some(Value::Null) => {
                    broken = true;
                    break;
                }
                Some(v) => {
                    let last = i + 1 == path.len();
                    if !last && !v.is_object() {
                        let at = path[..=i].join(".");
                        let msg = format!("{at}: expected an object, found {}", found(v));
                        if !out.contains(&msg) {
                            out.push(msg);
                        }
                        broken = true;
                        break;
                    }
                    cur = v;
                }
            }
        }
        if !broken && !shape.fits(cur) {
            out.push(format!(
                "{}: expected {}, found {}",
                path.join("."),
                shape.name(),
                found(cur)
            ));
        }
    }
    out
}
