//! The words for time that State, the sources and the screen share: ages (`5m`), windows
//! (`15m`, `7m30s`), pause durations as Argo writes them (`1m30s`), and Go durations as
//! Kubernetes objects carry them (`300ms`, `1.5s`, `1m30s`).

/// An age: `42s`, `5m`, `3h`, `2d` (negative ages, from clock skew, are `0s`).
pub fn fmt_age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A time window: `1m`, `15m`, `1h`, `6h`, `7m30s`.
pub fn fmt_window(secs: u32) -> String {
    match secs {
        s if s >= 3600 && s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s >= 60 && s.is_multiple_of(60) => format!("{}m", s / 60),
        s if s >= 60 => format!("{}m{}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// `90` → `1m30s`, `60` → `60s`, `300` → `5m`, `3600` → `1h`, as Argo writes pause durations.
pub fn fmt_secs(s: u64) -> String {
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 120 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else if s >= 120 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A Go duration (`300ms`, `1.5s`, `1m30s`, `0`) in milliseconds; `None` if it is not one.
pub fn go_duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let mut total = 0.0_f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let ms = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        total += n * ms;
        rest = &rest[unit_len..];
    }
    // Far beyond any real duration is not one (and would not fit).
    (total.is_finite() && total < 1e15).then(|| total.round() as u64)
}

/// A duration as Argo Rollouts accepts one: a bare number of seconds or a Go duration,
/// in whole seconds (rounded).
pub fn duration_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    go_duration_ms(s).map(|ms| (ms + 500) / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_durations_read_like_argo() {
        assert_eq!(fmt_secs(10), "10s");
        assert_eq!(fmt_secs(60), "60s");
        assert_eq!(fmt_secs(90), "90s");
        assert_eq!(fmt_secs(150), "2m30s");
        assert_eq!(fmt_secs(300), "5m");
        assert_eq!(fmt_secs(7200), "2h");
    }

    #[test]
    fn windows_and_ages() {
        assert_eq!(fmt_window(60), "1m");
        assert_eq!(fmt_window(450), "7m30s");
        assert_eq!(fmt_window(21_600), "6h");
        assert_eq!(fmt_window(30), "30s");
        assert_eq!(fmt_age(-5), "0s");
        assert_eq!(fmt_age(125), "2m");
        assert_eq!(fmt_age(90_000), "1d");
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_ms("300ms"), Some(300));
        assert_eq!(go_duration_ms("1.5s"), Some(1500));
        assert_eq!(go_duration_ms("1m30s"), Some(90_000));
        assert_eq!(go_duration_ms("0"), Some(0));
        assert_eq!(go_duration_ms("10"), None);
        assert_eq!(go_duration_ms("soon"), None);
        assert_eq!(go_duration_ms("99999999999999999h"), None);
        assert_eq!(duration_secs("10"), Some(10));
        assert_eq!(duration_secs("1m30s"), Some(90));
        assert_eq!(duration_secs("500ms"), Some(1));
        assert_eq!(duration_secs("5x"), None);
    }
}
