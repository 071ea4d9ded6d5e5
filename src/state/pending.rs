//! An action waiting for the user's yes: what it will do, in words, the equivalent CLI command
//! (kept up to date as the form changes), and what must be typed before it runs.

use super::editor::LineEditor;
use crate::model::{ActionKind, SilenceSpec, SyncOptions, Target, cli_equivalent};

#[derive(Clone, Debug, PartialEq)]
pub struct PendingAction {
    pub kind: ActionKind,
    pub target: Target,
    pub sync: SyncOptions,
    pub before: String,
    pub effect: String,
    /// The typed name (abort, promote-full) or, for a silence, its comment.
    pub typed: LineEditor,
    /// A silence being written, or the silences to expire.
    pub silence: Option<SilenceForm>,
    /// In a protected context every action needs the target's name typed.
    pub protected: bool,
    /// A promote against the cockpit's verdict: its evidence (`GET /products: canary success
    /// 72.0% vs stable 99.9%`); the confirmation repeats it and wants the name typed.
    pub against: Option<String>,
    /// The equivalent CLI command, kept up to date as the form changes: the confirmation
    /// shows it and the audit log records it.
    pub command: String,
    /// Undo: the revision asked for (`:undo NAME 3`); None: the previous one.
    pub to_revision: Option<i64>,
}

/// The fields of a silence: matchers from the alert's labels, a duration, a comment (`typed`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SilenceForm {
    pub matchers: Vec<(String, String)>,
    /// As typed: `1h`, `4h`, `90m`, `2d`.
    pub duration: LineEditor,
    /// Tab moves between the comment and the duration.
    pub editing_duration: bool,
    /// Silences to expire.
    pub ids: Vec<String>,
}

/// Durations offered for a silence; anything else can be typed.
pub const SILENCE_DURATIONS: [&str; 2] = ["1h", "4h"];

/// `90m`, `4h`, `2d`, `1h30m` in seconds; at least a minute, at most a year.
pub fn parse_silence_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (days, rest) = match s.split_once('d') {
        Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
        None => (0, s),
    };
    let ms = if rest.is_empty() {
        0
    } else {
        crate::model::time::go_duration_ms(rest)?
    };
    let secs = days.checked_mul(86_400)?.checked_add(ms / 1000)?;
    (60..=366 * 86_400).contains(&secs).then_some(secs)
}

impl PendingAction {
    /// A confirmation of `kind` on `target`; the form and command are filled in after.
    pub fn new(kind: ActionKind, target: Target, before: String, effect: String) -> Self {
        Self {
            kind,
            target,
            sync: SyncOptions::default(),
            before,
            effect,
            typed: LineEditor::default(),
            silence: None,
            protected: false,
            to_revision: None,
            against: None,
            command: String::new(),
        }
    }

    /// What a silence action sends: the form's matchers, duration and comment.
    pub fn silence_spec(&self) -> Option<SilenceSpec> {
        self.silence.as_ref().map(|f| SilenceSpec {
            matchers: f.matchers.clone(),
            duration_secs: parse_silence_duration(&f.duration).unwrap_or(3600),
            comment: self.typed.trim().to_string(),
            ids: f.ids.clone(),
        })
    }

    /// Recomputes the equivalent CLI command from the form as it is now.
    pub fn refresh_command(&mut self, argocd_namespace: &str) {
        self.command = cli_equivalent(
            self.kind,
            &self.target,
            argocd_namespace,
            self.sync,
            self.silence_spec().as_ref(),
            self.to_revision,
        );
    }

    pub fn needs_typing(&self) -> bool {
        self.kind.needs_typed_confirmation()
            || self.kind == ActionKind::Silence
            || self.protected
            || self.against.is_some()
    }

    pub fn typed_ok(&self) -> bool {
        match (&self.silence, self.kind) {
            (Some(f), ActionKind::Silence) => {
                !self.typed.trim().is_empty() && parse_silence_duration(&f.duration).is_some()
            }
            _ => {
                !(self.kind.needs_typed_confirmation() || self.protected || self.against.is_some())
                    || self.typed.as_str() == self.target.name
            }
        }
    }

    /// The field the keys type into: the duration or the comment / name.
    pub fn field_mut(&mut self) -> &mut LineEditor {
        match &mut self.silence {
            Some(f) if f.editing_duration => &mut f.duration,
            _ => &mut self.typed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_durations() {
        assert_eq!(parse_silence_duration("90m"), Some(5400));
        assert_eq!(parse_silence_duration("2d"), Some(172_800));
        assert_eq!(parse_silence_duration("1d12h"), Some(129_600));
        assert_eq!(parse_silence_duration("30s"), None, "at least a minute");
        assert_eq!(parse_silence_duration("400d"), None, "at most a year");
        assert_eq!(
            parse_silence_duration("213503982334602d"),
            None,
            "a huge number of days does not overflow into a short silence"
        );
        assert_eq!(parse_silence_duration("soon"), None);
    }
}
