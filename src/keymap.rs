//! Keymaps: data (TOML in `keymaps/`) from key to action per context, never key-named methods.
//! The help overlay and the footer hints are generated from the same table.

use crate::layout::Pane;
use crate::ops::ActionKind;
use crate::state::Intent;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

pub const DEFAULT: &str = include_str!("../keymaps/default.toml");

pub const CONTEXTS: &[&str] = &[
    "global",
    "list",
    "apps",
    "rollouts",
    "routes",
    "cpu",
    "logs",
    "alerts",
    "cockpit",
    "help",
    "app-detail",
    "internal-log",
    "timeline",
    "confirm",
    "sync-options",
];

/// Every action a key can be bound to: its name, what it does (for help), and its Intent.
pub fn actions() -> Vec<(&'static str, &'static str, Intent)> {
    let mut v = vec![
        ("help", "help", Intent::Help),
        ("quit", "quit", Intent::Quit),
        ("back", "back", Intent::Back),
        ("focus-next", "next pane", Intent::FocusNext),
        ("focus-prev", "previous pane", Intent::FocusPrev),
        ("pane-apps", "Apps pane", Intent::Focus(Pane::Apps)),
        (
            "pane-rollouts",
            "Rollouts pane",
            Intent::Focus(Pane::Rollouts),
        ),
        ("pane-routes", "Routes pane", Intent::Focus(Pane::Routes)),
        ("pane-cpu", "CPU pane", Intent::Focus(Pane::Cpu)),
        ("pane-logs", "Error logs pane", Intent::Focus(Pane::Logs)),
        ("pane-alerts", "Alerts pane", Intent::Focus(Pane::Alerts)),
        ("zoom", "zoom pane", Intent::Zoom),
        ("internal-log", "opsdeck's own log", Intent::InternalLog),
        ("up", "up", Intent::Up),
        ("down", "down", Intent::Down),
        ("top", "first", Intent::Top),
        ("bottom", "last", Intent::Bottom),
        ("page-up", "page up", Intent::PageUp),
        ("page-down", "page down", Intent::PageDown),
        ("filter", "filter", Intent::Filter),
        ("command", "command (:ctx, :ns)", Intent::CommandLine),
        ("open", "cockpit", Intent::Open),
        ("follow", "follow", Intent::Follow),
        ("expand", "stack trace", Intent::Expand),
        ("window", "time window", Intent::Window),
        ("timeline", "change timeline", Intent::Timeline),
        ("search", "search", Intent::Search),
        ("search-next", "next match", Intent::SearchNext),
        ("search-prev", "previous match", Intent::SearchPrev),
        ("wrap", "wrap lines", Intent::ToggleWrap),
        ("utc", "UTC/local", Intent::ToggleUtc),
        ("copy", "copy line", Intent::Copy),
        ("narrow", "narrow to service/canary/stable", Intent::Narrow),
        (
            "toggle-silenced",
            "show silenced alerts",
            Intent::ToggleSuppressed,
        ),
        ("confirm", "confirm", Intent::Confirm),
        ("cancel", "cancel", Intent::Cancel),
        ("toggle-prune", "prune", Intent::TogglePrune),
        ("toggle-dry-run", "dry run", Intent::ToggleDryRun),
    ];
    for k in ActionKind::ALL {
        v.push((k.as_str(), k.as_str(), Intent::Act(k)));
    }
    v
}

/// Actions worth a footer hint, in the order they are offered.
const HINTS: &[&str] = &[
    "confirm",
    "cancel",
    "toggle-prune",
    "toggle-dry-run",
    "promote",
    "promote-full",
    "abort",
    "retry",
    "restart",
    "sync",
    "refresh",
    "open",
    "follow",
    "expand",
    "window",
    "filter",
    "back",
    "focus-next",
    "zoom",
    "help",
    "quit",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// A crossterm event as a keymap key: shift is folded into the character.
    pub fn from_event(e: KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) if e.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods = KeyModifiers::NONE;
                KeyCode::BackTab
            }
            c => c,
        };
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "esc" => KeyCode::Esc,
            "enter" => KeyCode::Enter,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.len() > 1
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => {
                let ch = c.chars().next().unwrap_or(' ');
                KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                    ch.to_ascii_lowercase()
                } else {
                    ch
                })
            }
            _ => return Err(format!("cannot read key \"{s}\"")),
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            write!(f, "C-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            write!(f, "M-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Esc => write!(f, "Esc"),
            KeyCode::Enter => write!(f, "Enter"),
            KeyCode::Tab => write!(f, "Tab"),
            KeyCode::BackTab => write!(f, "S-Tab"),
            KeyCode::Backspace => write!(f, "Bksp"),
            KeyCode::Delete => write!(f, "Del"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::Left => write!(f, "←"),
            KeyCode::Right => write!(f, "→"),
            KeyCode::Home => write!(f, "Home"),
            KeyCode::End => write!(f, "End"),
            KeyCode::PageUp => write!(f, "PgUp"),
            KeyCode::PageDown => write!(f, "PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            _ => write!(f, "?"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub action: &'static str,
    pub about: &'static str,
    pub intent: Intent,
    pub keys: Vec<Key>,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub contexts: Vec<(String, Vec<Binding>)>,
}

impl Keymap {
    /// Parses a keymap file; errors name the file, the context and what clashes.
    pub fn parse(file: &str, text: &str) -> Result<Keymap, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let known = actions();
        let mut contexts = Vec::new();
        for (ctx, v) in table {
            if !CONTEXTS.contains(&ctx.as_str()) {
                return Err(format!(
                    "{file}: unknown context [{ctx}] (contexts: {})",
                    CONTEXTS.join(", ")
                ));
            }
            let toml::Value::Table(t) = v else {
                return Err(format!(
                    "{file}: [{ctx}] must be a table of action = [keys]"
                ));
            };
            let mut bindings: Vec<Binding> = Vec::new();
            for (action, keys) in t {
                let (name, about, intent) = known
                    .iter()
                    .find(|(n, _, _)| *n == action)
                    .cloned()
                    .ok_or_else(|| format!("{file}: [{ctx}] unknown action \"{action}\""))?;
                let list = keys
                    .as_array()
                    .ok_or_else(|| format!("{file}: [{ctx}] {action} must be a list of keys"))?;
                let mut parsed = Vec::new();
                for k in list {
                    let s = k
                        .as_str()
                        .ok_or_else(|| format!("{file}: [{ctx}] {action}: keys are strings"))?;
                    let key =
                        Key::parse(s).map_err(|e| format!("{file}: [{ctx}] {action}: {e}"))?;
                    if let Some(other) = bindings.iter().find(|b| b.keys.contains(&key)) {
                        return Err(format!(
                            "{file}: [{ctx}] key \"{s}\" is bound to both \"{}\" and \"{action}\"",
                            other.action
                        ));
                    }
                    parsed.push(key);
                }
                bindings.push(Binding {
                    action: name,
                    about,
                    intent,
                    keys: parsed,
                });
            }
            contexts.push((ctx, bindings));
        }
        Ok(Keymap { contexts })
    }

    pub fn default_map() -> Result<Keymap, String> {
        Keymap::parse("keymaps/default.toml", DEFAULT)
    }

    fn context(&self, name: &str) -> Option<&[Binding]> {
        self.contexts
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The intent for a key in the given contexts, most specific first.
    pub fn resolve(&self, key: Key, contexts: &[&str]) -> Option<Intent> {
        contexts.iter().find_map(|c| {
            self.context(c)?
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.intent.clone())
        })
    }

    /// Footer hints for the contexts: `(key, label)` in the order of [`HINTS`].
    pub fn hints(&self, contexts: &[&str]) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for action in HINTS {
            for c in contexts {
                if let Some(b) = self
                    .context(c)
                    .and_then(|bs| bs.iter().find(|b| b.action == *action))
                {
                    if let Some(k) = b.keys.first() {
                        out.push((k.to_string(), b.about));
                    }
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_loads_and_resolves() {
        let k = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
        let p = Key::parse("p").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            k.resolve(p, &["rollouts", "list", "global"]),
            Some(Intent::Act(ActionKind::Promote))
        );
        assert_eq!(k.resolve(p, &["apps", "list", "global"]), None);
        let q = Key::from_event(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(k.resolve(q, &["global"]), Some(Intent::Quit));
        let bt = Key::from_event(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(k.resolve(bt, &["global"]), Some(Intent::FocusPrev));
    }

    #[test]
    fn default_keymap_has_no_tmux_prefixes_and_no_unconfirmed_destruction() {
        let k = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
        for (_, bs) in &k.contexts {
            for b in bs {
                for key in &b.keys {
                    if key.mods.contains(KeyModifiers::CONTROL) {
                        assert!(
                            matches!(key.code, KeyCode::Char('c')),
                            "{} uses {key}",
                            b.action
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn broken_keymaps_name_the_problem() {
        let e = Keymap::parse("k.toml", "[global]\nquit = [\"q\"]\nhelp = [\"q\"]\n").unwrap_err();
        assert_eq!(
            e,
            "k.toml: [global] key \"q\" is bound to both \"quit\" and \"help\""
        );
        let e = Keymap::parse("k.toml", "[global]\nfly = [\"f\"]\n").unwrap_err();
        assert_eq!(e, "k.toml: [global] unknown action \"fly\"");
        let e = Keymap::parse("k.toml", "[global]\nquit = [\"hyper-q\"]\n").unwrap_err();
        assert_eq!(e, "k.toml: [global] quit: cannot read key \"hyper-q\"");
        let e = Keymap::parse("k.toml", "[nowhere]\nquit = [\"q\"]\n").unwrap_err();
        assert!(e.starts_with("k.toml: unknown context [nowhere]"), "{e}");
    }
}
