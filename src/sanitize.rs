//! Strips control and escape sequences from remote text before it can reach the terminal.
//!
//! A log line, an alert summary or an object name must not be able to move the cursor,
//! change colours, set the window title or write to the clipboard (OSC 52).

use std::borrow::Cow;

/// Longest line kept; longer ones are cut with [`TRUNCATED`].
pub const MAX_LINE: usize = 64 * 1024;
pub const TRUNCATED: &str = " …[truncated]";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Text,
    /// After ESC.
    Esc,
    /// CSI: parameters until a final byte 0x40..=0x7E.
    Csi,
    /// OSC, DCS, SOS, PM, APC: a string until BEL or ST (ESC \).
    Str,
    /// ESC inside a string: `\` ends it.
    StrEsc,
    /// ESC followed by intermediates (0x20..=0x2F) until a final byte.
    EscIntermediate,
}

fn is_invisible_format(c: char) -> bool {
    // Bidirectional overrides and isolates can reorder what the user reads.
    // Every Bidi_Control character: ALM, LRM, RLM, the embeddings and overrides, the isolates.
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Cuts raw text to [`MAX_LINE`] bytes (at a character boundary) with the [`TRUNCATED`] mark,
/// before anything else holds or parses it; [`clean`] keeps the cut and the mark.
pub fn cap(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_LINE {
        return Cow::Borrowed(s);
    }
    let mut end = MAX_LINE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{TRUNCATED}", &s[..end]))
}

/// Removes escape sequences, C0/C1 controls and bidi overrides; tabs become spaces; newlines
/// become spaces too (one screen row per call).
pub fn clean(s: &str) -> Cow<'_, str> {
    // Most remote text is printable ASCII: one pass over the bytes says so.
    if s.len() <= MAX_LINE && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    let needs = s.chars().any(|c| c.is_control() || is_invisible_format(c));
    if !needs && s.len() <= MAX_LINE {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_LINE + TRUNCATED.len()));
    let mut mode = Mode::Text;
    let mut cut = false;
    for c in s.chars() {
        if out.len() >= MAX_LINE {
            cut = true;
            break;
        }
        mode = match mode {
            Mode::Text => match c {
                '\x1b' => Mode::Esc,
                '\u{9b}' => Mode::Csi,
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => Mode::Str,
                '\t' => {
                    out.push_str("    ");
                    Mode::Text
                }
                '\n' | '\r' => {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                    Mode::Text
                }
                c if c.is_control() || is_invisible_format(c) => Mode::Text,
                c => {
                    out.push(c);
                    Mode::Text
                }
            },
            Mode::Esc => match c {
                '[' => Mode::Csi,
                ']' | 'P' | 'X' | '^' | '_' => Mode::Str,
                '\x20'..='\x2f' => Mode::EscIntermediate,
                _ => Mode::Text,
            },
            Mode::EscIntermediate => match c {
                '\x20'..='\x2f' => Mode::EscIntermediate,
                _ => Mode::Text,
            },
            Mode::Csi => match c {
                '\x40'..='\x7e' => Mode::Text,
                '\x1b' => Mode::Esc,
                _ => Mode::Csi,
            },
            Mode::Str => match c {
                '\x07' | '\u{9c}' => Mode::Text,
                '\x1b' => Mode::StrEsc,
                _ => Mode::Str,
            },
            Mode::StrEsc => match c {
                '\\' => Mode::Text,
                '\x1b' => Mode::StrEsc,
                _ => Mode::Str,
            },
        };
    }
    // Tabs grow: the result keeps to the cap too, so cleaning twice changes nothing.
    if cut || out.len() > MAX_LINE {
        let mut end = MAX_LINE;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str(TRUNCATED);
    }
    Cow::Owned(out)
}

/// [`clean`] into an owned String.
pub fn clean_owned(s: &str) -> String {
    clean(s).into_owned()
}

/// Bytes that may not be UTF-8 (a log line off the wire) into clean text.
pub fn clean_bytes(b: &[u8]) -> String {
    clean(&String::from_utf8_lossy(b)).into_owned()
}

/// Cleans every free-text field of a value that came from a remote system.
pub trait Sanitize {
    fn sanitize(&mut self);
}

fn fix(s: &mut String) {
    if let Cow::Owned(c) = clean(s) {
        *s = c;
    }
}

/// A shared string is replaced only when it needed cleaning, so sharing survives.
fn fix_shared(s: &mut std::sync::Arc<str>) {
    if let Cow::Owned(c) = clean(s) {
        *s = c.into();
    }
}

impl Sanitize for crate::model::LogLine {
    fn sanitize(&mut self) {
        fix_shared(&mut self.service);
        fix_shared(&mut self.pod);
        fix_shared(&mut self.logger);
        fix(&mut self.message);
        fix(&mut self.trace_id);
        fix_shared(&mut self.thread);
        self.stack.iter_mut().for_each(fix);
    }
}

impl Sanitize for crate::model::trace::Trace {
    fn sanitize(&mut self) {
        for sp in &mut self.spans {
            fix(&mut sp.span_id);
            fix(&mut sp.parent);
            fix(&mut sp.service);
            fix(&mut sp.name);
            for (k, v) in sp.attributes.iter_mut().chain(sp.resource.iter_mut()) {
                fix(k);
                fix(v);
            }
            sp.events.iter_mut().for_each(|(_, e)| fix(e));
        }
        self.rows.iter_mut().for_each(|r| fix(&mut r.missing));
    }
}

impl Sanitize for crate::model::trace::TraceMiss {
    fn sanitize(&mut self) {
        use crate::model::trace::TraceMiss as M;
        match self {
            M::NotFound(s) | M::Failed(s) | M::NoStore(s) => fix(s),
        }
    }
}

impl Sanitize for crate::model::trace::TraceHit {
    fn sanitize(&mut self) {
        fix(&mut self.root);
        fix(&mut self.pod);
        fix(&mut self.version);
    }
}

impl Sanitize for crate::model::Alert {
    fn sanitize(&mut self) {
        fix(&mut self.name);
        fix(&mut self.summary);
        fix(&mut self.description);
        fix(&mut self.fingerprint);
        self.silenced_by.iter_mut().for_each(fix);
        self.inhibited_by.iter_mut().for_each(fix);
        // Keys too: a label name is remote text as much as its value.
        if self.labels.iter().any(|(k, v)| needs(k) || needs(v)) {
            self.labels = std::mem::take(&mut self.labels)
                .into_iter()
                .map(|(k, v)| (clean_owned(&k), clean_owned(&v)))
                .collect();
        }
        for s in &mut self.silences {
            fix(&mut s.id);
            fix(&mut s.created_by);
            fix(&mut s.comment);
        }
    }
}

/// Whether cleaning would change `s`.
fn needs(s: &str) -> bool {
    matches!(clean(s), Cow::Owned(_))
}

impl Sanitize for crate::model::ImageUpdater {
    fn sanitize(&mut self) {
        fix(&mut self.namespace);
        fix(&mut self.name);
        fix(&mut self.message);
        for r in &mut self.updates {
            for s in [&mut r.image, &mut r.version, &mut r.app] {
                fix(s);
            }
        }
    }
}

impl Sanitize for crate::model::ObjectView {
    fn sanitize(&mut self) {
        self.summary.iter_mut().for_each(fix);
        self.yaml.iter_mut().for_each(fix);
    }
}

impl Sanitize for crate::model::ResourceDiff {
    fn sanitize(&mut self) {
        for s in [
            &mut self.group,
            &mut self.kind,
            &mut self.namespace,
            &mut self.name,
        ] {
            fix(s);
        }
        self.problem.iter_mut().for_each(fix);
        for l in &mut self.lines {
            fix(&mut l.text);
        }
    }
}

impl Sanitize for crate::model::ArgoApp {
    fn sanitize(&mut self) {
        for r in &mut self.image_updater {
            for s in [
                &mut r.alias,
                &mut r.image,
                &mut r.constraint,
                &mut r.strategy,
            ] {
                fix(s);
            }
        }
        fix(&mut self.write_back);
        fix(&mut self.name);
        fix(&mut self.namespace);
        self.invalid.iter_mut().for_each(fix);
        fix(&mut self.project);
        fix(&mut self.health_message);
        fix(&mut self.revision);
        fix(&mut self.target_revision);
        fix(&mut self.repo);
        fix(&mut self.source);
        fix(&mut self.destination_namespace);
        self.images.iter_mut().for_each(fix);
        for h in &mut self.history {
            fix(&mut h.revision);
        }
        if let Some(op) = self.operation.as_mut() {
            fix(&mut op.message);
            fix(&mut op.initiated_by);
        }
    }
}

impl Sanitize for crate::model::Rollout {
    fn sanitize(&mut self) {
        fix(&mut self.name);
        fix(&mut self.namespace);
        self.invalid.iter_mut().for_each(fix);
        for step in &mut self.steps {
            match step {
                crate::model::CanaryStep::Analysis(names) => names.iter_mut().for_each(fix),
                crate::model::CanaryStep::SetCanaryScale(t)
                | crate::model::CanaryStep::Other(t) => fix(t),
                _ => {}
            }
        }
        if let Some(p) = self.pause.as_mut() {
            fix(&mut p.reason);
        }
        fix(&mut self.stable_hash);
        fix(&mut self.canary_hash);
        fix(&mut self.selector);
        fix(&mut self.message);
        fix(&mut self.stable_image);
        fix(&mut self.canary_image);
        fix(&mut self.canary_service);
        fix(&mut self.stable_service);
        fix(&mut self.canary_version);
        fix(&mut self.stable_version);
        if let Some(i) = self.istio.as_mut() {
            for v in &mut i.virtual_services {
                fix(&mut v.name);
                fix(&mut v.namespace);
                v.routes.iter_mut().for_each(fix);
            }
            fix(&mut i.canary_subset);
            fix(&mut i.stable_subset);
            fix(&mut i.destination_rule);
        }
        for a in self
            .analysis
            .iter_mut()
            .chain(self.more_analyses.iter_mut())
        {
            fix(&mut a.name);
            fix(&mut a.message);
            for m in &mut a.metrics {
                fix(&mut m.name);
                fix(&mut m.last_value);
                fix(&mut m.condition);
                fix(&mut m.failure_condition);
                fix(&mut m.provider);
                fix(&mut m.resolved_query);
                fix(&mut m.message);
                for x in &mut m.measurements {
                    fix(&mut x.value);
                    fix(&mut x.message);
                }
            }
        }
    }
}

impl Sanitize for crate::model::Pod {
    fn sanitize(&mut self) {
        fix(&mut self.name);
        fix(&mut self.hash);
        fix(&mut self.phase);
        fix(&mut self.node);
        self.reason.iter_mut().for_each(fix);
        self.message.iter_mut().for_each(fix);
        self.last_exit.iter_mut().for_each(fix);
        self.container_names.iter_mut().for_each(fix);
        fix(&mut self.default_container);
    }
}

impl Sanitize for crate::model::Certificate {
    fn sanitize(&mut self) {
        for s in [
            &mut self.namespace,
            &mut self.name,
            &mut self.reason,
            &mut self.message,
            &mut self.issuer,
            &mut self.secret,
        ] {
            fix(s);
        }
    }
}

impl Sanitize for crate::model::TrustBundle {
    fn sanitize(&mut self) {
        let x = |c: &mut crate::model::X509Info| {
            fix(&mut c.subject);
            fix(&mut c.issuer);
        };
        for s in [
            &mut self.mesh,
            &mut self.namespace,
            &mut self.name,
            &mut self.key,
        ] {
            fix(s);
        }
        self.anchors.iter_mut().for_each(x);
        self.error.iter_mut().for_each(fix);
        self.stale.iter_mut().for_each(fix);
        if let Some(i) = self.issuer.as_mut() {
            fix(&mut i.from);
            fix(&mut i.unchecked);
            i.issuer.iter_mut().for_each(x);
            i.chains_to.iter_mut().for_each(fix);
        }
    }
}

impl Sanitize for crate::model::AppTree {
    fn sanitize(&mut self) {
        for r in &mut self.resources {
            for s in [
                &mut r.group,
                &mut r.kind,
                &mut r.namespace,
                &mut r.name,
                &mut r.health_message,
            ] {
                fix(s);
            }
        }
        for r in &mut self.results {
            for s in [
                &mut r.group,
                &mut r.kind,
                &mut r.namespace,
                &mut r.name,
                &mut r.status,
                &mut r.message,
                &mut r.hook_type,
                &mut r.hook_phase,
                &mut r.sync_phase,
            ] {
                fix(s);
            }
        }
        fix(&mut self.health_source);
    }
}

impl Sanitize for crate::model::KubeEvent {
    fn sanitize(&mut self) {
        fix(&mut self.id);
        fix(&mut self.reason);
        fix(&mut self.note);
        fix(&mut self.kind);
        fix(&mut self.object);
        fix(&mut self.source);
    }
}

impl Sanitize for crate::model::CpuSeries {
    fn sanitize(&mut self) {
        fix(&mut self.name);
        fix(&mut self.namespace);
    }
}

impl Sanitize for crate::model::RouteStats {
    fn sanitize(&mut self) {
        fix(&mut self.service);
        fix(&mut self.namespace);
        fix(&mut self.route);
        for s in [
            Some(&mut self.overall),
            self.canary.as_mut(),
            self.stable.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            s.flags.iter_mut().for_each(|(f, _)| fix(f));
        }
        if let crate::model::RoutePolicy::Istio {
            retry_on: Some(r), ..
        } = &mut self.policy
        {
            fix(r);
        }
    }
}

impl Sanitize for crate::model::VirtualService {
    fn sanitize(&mut self) {
        fix(&mut self.namespace);
        fix(&mut self.name);
        self.hosts.iter_mut().for_each(fix);
        for r in &mut self.http {
            fix(&mut r.name);
            for d in &mut r.destinations {
                fix(&mut d.host);
                fix(&mut d.subset);
            }
            if let Some(rt) = r.retries.as_mut() {
                fix(&mut rt.retry_on);
            }
        }
    }
}

impl Sanitize for crate::model::DestinationRule {
    fn sanitize(&mut self) {
        fix(&mut self.namespace);
        fix(&mut self.name);
        fix(&mut self.host);
        self.subsets.iter_mut().for_each(fix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(clean("hello world"), Cow::Borrowed(_)));
    }

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(clean("a\x1b[2Jb\x1b[31mred\x1b[0m"), "abred");
        assert_eq!(clean("x\x1b]0;evil title\x07y"), "xy");
        assert_eq!(clean("x\x1b]52;c;aGVsbG8=\x1b\\y"), "xy");
        assert_eq!(clean("bell\x07 bs\x08 del\x7f"), "bell bs del");
        assert_eq!(clean("c1\u{9b}31mcsi"), "c1csi");
        assert_eq!(clean("dcs\x1bPq#0;2;0;0;0\x1b\\end"), "dcsend");
        assert_eq!(clean("charset\x1b(Bok"), "charsetok");
        assert_eq!(clean("rtl\u{202E}txt"), "rtltxt");
    }

    #[test]
    fn tabs_and_newlines_become_spaces() {
        assert_eq!(clean("\tat x\r\n"), "    at x ");
    }

    #[test]
    fn unterminated_sequences_swallow_only_themselves() {
        assert_eq!(clean("ok\x1b]0;never ends"), "ok");
        assert_eq!(clean("ok\x1b"), "ok");
    }

    #[test]
    fn long_lines_are_truncated_with_a_marker() {
        let long = "x".repeat(10 * 1024 * 1024);
        let c = clean(&long);
        assert!(c.len() <= MAX_LINE + TRUNCATED.len());
        assert!(c.ends_with(TRUNCATED));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(clean_bytes(b"a\xffb"), "a\u{FFFD}b");
    }

    /// Any text: what the sanitizer's output may never hold.
    fn forbidden(c: char) -> bool {
        c.is_control() || is_invisible_format(c)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("OPSDECK_FUZZ_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300),
            ..Default::default()
        })]

        #[test]
        fn cleaned_text_holds_no_control_escape_or_bidi_and_cleaning_again_changes_nothing(
            s in proptest::string::string_regex(
                "([\\x00-\\x7f]|\\u{9b}|\\u{9d}|\\u{61c}|\\u{200e}|\\u{202e}|\\u{2066}|\\u{2069}|é|日|\\t){0,200}"
            ).unwrap_or_else(|e| panic!("{e}"))
        ) {
            let once = clean(&s).into_owned();
            proptest::prop_assert!(!once.chars().any(forbidden), "{once:?}");
            proptest::prop_assert_eq!(clean(&once).into_owned(), once);
        }

        #[test]
        fn long_lines_are_capped_once(n in 0usize..3000, tabs in 0usize..40) {
            let s = format!("{}{}", "\t".repeat(tabs), "x".repeat(MAX_LINE - 1500 + n));
            let once = clean(&s).into_owned();
            proptest::prop_assert!(once.len() <= MAX_LINE + TRUNCATED.len());
            proptest::prop_assert_eq!(clean(&once).into_owned(), once);
        }
    }

    #[test]
    fn the_arabic_letter_mark_is_a_bidi_control_too() {
        assert_eq!(clean("a\u{061C}b"), "ab");
    }
}
