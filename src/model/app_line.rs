//! An application's log line in its parts — level, thread, trace, logger, message, stack — for
//! every common Spring Boot shape: the 2.x console line (`yyyy-MM-dd HH:mm:ss.SSS  LEVEL PID
//! --- [thread] logger : message`, with or without Sleuth's `[app,trace,span,export]`), 3.x's
//! ISO-8601 time with offset, 3.2+'s `[application]` and correlation blocks, and JSON lines
//! (logstash-logback-encoder, ECS with dotted or nested keys, GELF). Anything else is `None`
//! and keeps its text.

use super::Level;
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Debug, PartialEq)]
pub struct AppLine<'a> {
    /// `Unknown` when a JSON line names no level (the store's label may).
    pub level: Level,
    pub thread: Cow<'a, str>,
    pub trace_id: Cow<'a, str>,
    pub logger: Cow<'a, str>,
    pub message: Cow<'a, str>,
    /// A JSON line's stack trace (`stack_trace`, `error.stack_trace`), one entry per line; a
    /// console line's follows it as continuation lines instead.
    pub stack: Vec<String>,
}

pub fn parse_app_line(line: &str) -> Option<AppLine<'_>> {
    let t = line.trim_start();
    if t.starts_with('{') {
        parse_json(t)
    } else {
        parse_console(t)
    }
}

/// The next whitespace-separated token and what follows it, its leading spaces dropped.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], s[end..].trim_start()))
}

/// `2019-03-05`: the date of a 2.x line, whose time is the next token.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A correlation block (`trace-span`, `trace,span`, or blank when unresolved), not a thread.
fn is_correlation(b: &str) -> bool {
    b.is_empty()
        || (b.contains(['-', ','])
            && b.chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-' || c == ','))
}

fn parse_console(line: &str) -> Option<AppLine<'_>> {
    let (first, mut rest) = token(line)?;
    if is_date(first)
        && let Some((time, r)) = token(rest)
        && time.starts_with(|c: char| c.is_ascii_digit())
        && time.contains(':')
    {
        rest = r;
    }
    let (lvl, mut rest) = token(rest)?;
    let level = Level::parse(lvl);
    if level == Level::Unknown {
        return None;
    }
    // Sleuth (2.x): `[app,trace,span,export]` between the level and the PID.
    let mut sleuth = "";
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        let inner = &r[..close];
        if let Some((_, ids)) = inner.split_once(',') {
            sleuth = match ids.match_indices(',').nth(1) {
                Some((i, _)) => &ids[..i],
                None => ids,
            };
            // `[app,,,]`: no trace.
            if sleuth.split(',').all(str::is_empty) {
                sleuth = "";
            }
        }
        rest = &r[close + 1..];
    }
    let dashes = rest.find("--- ")?;
    rest = &rest[dashes + 4..];
    let mut brackets = Vec::new();
    loop {
        let r = rest.trim_start();
        let Some(inner) = r.strip_prefix('[') else {
            break;
        };
        let close = inner.find(']')?;
        brackets.push(inner[..close].trim());
        rest = &inner[close + 1..];
    }
    let sep = rest.find(" : ")?;
    let logger = rest[..sep].trim();
    let message = &rest[sep + 3..];
    // [thread]; [app] [thread] or [thread] [correlation] (told apart by the correlation's
    // shape); [app] [thread] [correlation] whatever the correlation holds.
    let (thread, correlation) = match brackets.as_slice() {
        [] => ("", ""),
        [t] => (*t, ""),
        [t, c] if is_correlation(c) => (*t, *c),
        [_, t] => (*t, ""),
        [.., t, c] => (*t, *c),
    };
    let trace = if sleuth.is_empty() {
        correlation
    } else {
        sleuth
    };
    Some(AppLine {
        level,
        thread: Cow::Borrowed(thread),
        trace_id: Cow::Borrowed(trace),
        logger: Cow::Borrowed(logger),
        message: Cow::Borrowed(message),
        stack: Vec::new(),
    })
}

/// A field by its ECS-style path, written dotted (`"log.level"`), nested
/// (`{"log":{"level":…}}`) or both (`{"log.origin":{"file.name":…}}`).
fn field<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let mut at = 0;
    while let Some(i) = path[at..].find('.') {
        let (head, tail) = (&path[..at + i], &path[at + i + 1..]);
        if let Some(Value::Object(sub)) = obj.get(head)
            && let Some(v) = field(sub, tail)
        {
            return Some(v);
        }
        at += i + 1;
    }
    None
}

fn text_of(obj: &Map<String, Value>, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| match field(obj, p)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A level as a name (`"ERROR"`), or a syslog number as GELF writes it (`3` error … `7` debug).
fn level_of(obj: &Map<String, Value>) -> Level {
    for p in [
        "log.level",
        "level",
        "_level_name",
        "severity",
        "levelname",
        "loglevel",
    ] {
        match field(obj, p) {
            Some(Value::String(s)) => {
                let l = Level::parse(s);
                if l != Level::Unknown {
                    return l;
                }
            }
            Some(Value::Number(n)) => {
                return match n.as_u64() {
                    Some(0..=3) => Level::Error,
                    Some(4) => Level::Warn,
                    Some(5 | 6) => Level::Info,
                    Some(7) => Level::Debug,
                    _ => continue,
                };
            }
            _ => {}
        }
    }
    Level::Unknown
}

fn parse_json(line: &str) -> Option<AppLine<'static>> {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
        return None;
    };
    let message = text_of(&obj, &["message", "msg", "short_message", "@message"])?;
    let level = level_of(&obj);
    let logger = text_of(
        &obj,
        &["log.logger", "logger_name", "logger", "_log_logger"],
    );
    if level == Level::Unknown && logger.is_none() {
        // Some other JSON that happens to have a message: not a log record we know.
        return None;
    }
    let thread = text_of(
        &obj,
        &[
            "process.thread.name",
            "thread_name",
            "thread",
            "_process_thread_name",
        ],
    );
    let trace = text_of(&obj, &["trace.id", "traceId", "trace_id", "_traceId"]);
    let span = text_of(&obj, &["span.id", "spanId", "span_id", "_spanId"]);
    let trace_id = match (trace, span) {
        (Some(t), Some(s)) => format!("{t}-{s}"),
        (Some(t), None) => t,
        _ => String::new(),
    };
    let stack = text_of(
        &obj,
        &[
            "error.stack_trace",
            "stack_trace",
            "exception.stacktrace",
            "_error_stack_trace",
        ],
    )
    .map(|s| {
        s.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .filter(|l| !l.is_empty())
            .collect()
    })
    .unwrap_or_default();
    Some(AppLine {
        level,
        thread: Cow::Owned(thread.unwrap_or_default()),
        trace_id: Cow::Owned(trace_id),
        logger: Cow::Owned(logger.unwrap_or_default()),
        message: Cow::Owned(message),
        stack,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPES: &str = include_str!("../../tests/fixtures/logs/spring-boot.log");

    fn line(n: usize) -> &'static str {
        SHAPES.lines().nth(n).unwrap_or_default()
    }

    fn parts(n: usize) -> (Level, String, String, String, String, usize) {
        let p = parse_app_line(line(n)).unwrap_or_else(|| panic!("line {n}: {}", line(n)));
        (
            p.level,
            p.thread.into_owned(),
            p.trace_id.into_owned(),
            p.logger.into_owned(),
            p.message.into_owned(),
            p.stack.len(),
        )
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn spring_boot_2_console_lines_with_their_two_part_time_and_sleuth() {
        assert_eq!(
            parts(0),
            (
                Level::Info,
                s("main"),
                s(""),
                s("org.apache.catalina.core.StandardEngine"),
                s("Starting Servlet Engine: Apache Tomcat/7.0.52"),
                0
            )
        );
        // ` : ` inside the message stays in the message.
        assert_eq!(parts(1).3, "c.b.estimator.domain.MarketEstimate");
        assert_eq!(parts(1).4, "Value Estimation of Model : Toyota");
        assert_eq!(parts(1).0, Level::Debug);
        assert_eq!(
            parts(2),
            (
                Level::Info,
                s("nio-8081-exec-1"),
                s("2485ec27856c56f4,2485ec27856c56f4"),
                s("i.s.c.sleuth.docs.service1.Application"),
                s("Hello from service1. Calling service2"),
                0
            )
        );
    }

    #[test]
    fn spring_boot_3_console_lines_with_application_and_correlation_blocks() {
        let (level, thread, trace, logger, message, _) = parts(3);
        assert_eq!(
            (level, thread.as_str(), trace.as_str()),
            (Level::Info, "main", "")
        );
        assert_eq!(logger, "o.s.b.d.f.logexample.MyApplication");
        assert!(message.starts_with("Starting MyApplication using Java 17.0.15"));
        // 3.0/3.1: only the thread.
        assert_eq!(parts(4).1, "main");
        assert_eq!(parts(4).4, "Application run failed");
        assert_eq!(parts(4).0, Level::Error);
        // 3.2+: [app] [thread] [trace-span], and a blank correlation when unresolved.
        assert_eq!(parts(5).1, "nio-8080-exec-1");
        assert_eq!(
            parts(5).2,
            "01234567890123456789012345678901-0123456789012345"
        );
        assert_eq!(parts(5).4, "Order 42 failed: payment declined");
        assert_eq!(
            (parts(6).0, parts(6).1, parts(6).2),
            (Level::Warn, s("nio-8080-exec-2"), s(""))
        );
    }

    #[test]
    fn json_lines_of_logstash_ecs_and_gelf() {
        assert_eq!(
            parts(7),
            (
                Level::Error,
                s("main"),
                s(""),
                s("com.example.demo.MdcLogstash"),
                s("example ERROR"),
                4
            )
        );
        let ecs = (
            Level::Info,
            s("main"),
            s(""),
            s("org.example.Application"),
            s("No active profile set, falling back to 1 default profile: \"default\""),
            0,
        );
        assert_eq!(parts(8), ecs, "dotted keys");
        assert_eq!(parts(9), ecs, "nested objects");
        assert_eq!(parts(10).1, "http-nio-8082-exec-2");
        assert_eq!(parts(10).0, Level::Debug);
        let (level, thread, trace, logger, message, stack) = parts(11);
        assert_eq!(
            (level, thread.as_str(), logger.as_str()),
            (Level::Error, "nio-8080-exec-1", "c.e.o.OrderController")
        );
        assert_eq!(trace, "01234567890123456789012345678901-0123456789012345");
        assert_eq!((message.as_str(), stack), ("Order 42 failed", 2));
        let p = parse_app_line(line(11)).unwrap_or_else(|| panic!("ecs error"));
        assert_eq!(
            p.stack[0],
            "java.lang.IllegalStateException: payment declined"
        );
        assert_eq!(
            p.stack[1],
            "\tat c.e.o.OrderController.place(OrderController.java:57)"
        );
        // GELF: syslog level 6 is INFO.
        assert_eq!(parts(12).0, Level::Info);
        assert_eq!(parts(12).3, "org.example.Application");
        assert_eq!(parts(13).4, "failed");
    }

    #[test]
    fn the_demo_shape_reads_as_before() {
        let l = "2026-11-22T03:41:24.123Z ERROR 1 --- [store] [nio-8080-exec-3] [69a2f5c1,1f2e3d4c] c.e.store.ProductController : Request failed: GET /products/42";
        let p = parse_app_line(l).unwrap_or_else(|| panic!("demo line"));
        assert_eq!(p.thread, "nio-8080-exec-3");
        assert_eq!(p.trace_id, "69a2f5c1,1f2e3d4c");
        assert_eq!(p.logger, "c.e.store.ProductController");
        assert_eq!(p.message, "Request failed: GET /products/42");
    }

    #[test]
    fn other_lines_keep_their_text() {
        assert_eq!(parse_app_line(line(14)), None);
        assert_eq!(parse_app_line(line(15)), None);
        assert_eq!(parse_app_line("just text"), None);
        assert_eq!(parse_app_line(""), None);
        assert_eq!(parse_app_line("ts ERROR no dashes : x"), None);
        assert_eq!(parse_app_line("ts ERROR 1 --- [unclosed : x"), None);
        assert_eq!(parse_app_line("{\"message\": 3"), None);
        assert_eq!(parse_app_line("[\"an\", \"array\"]"), None);
        let empty = parse_app_line("2024-01-15 10:23:45.123  INFO [app,,,] 1 --- [main] c.e.X : y")
            .unwrap_or_else(|| panic!("sleuth line"));
        assert_eq!(
            (empty.trace_id.as_ref(), empty.thread.as_ref()),
            ("", "main")
        );
    }
}
