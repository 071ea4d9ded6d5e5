//! Keymaps: data (TOML in `keymaps/`) from key to action per context, never key-named methods.
//! The help overlay and the footer hints are generated from the same table.

use crate::layout::Pane;
use crate::model::ActionKind;
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
        ("go-to", "go to its service", Intent::Open),
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
        ("narrow", "narrow to service", Intent::Narrow),
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
    "go-to",
    "silence",
    "toggle-silenced",
    "follow",
    "search",
    "narrow",
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

/// One or more keys pressed one after the other (`g g`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySeq(pub Vec<Key>);

impl KeySeq {
    pub fn parse(s: &str) -> Result<KeySeq, String> {
        let keys = s
            .split_whitespace()
            .map(Key::parse)
            .collect::<Result<Vec<_>, _>>()?;
        match keys.len() {
            0 => Err("an empty key".to_string()),
            1..=3 => Ok(KeySeq(keys)),
            _ => Err(format!("\"{s}\": at most three keys in a sequence")),
        }
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub action: &'static str,
    pub about: &'static str,
    pub intent: Intent,
    pub keys: Vec<KeySeq>,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub contexts: Vec<(String, Vec<Binding>)>,
}

/// What the keys pressed so far mean.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    Intent(Intent),
    /// The start of a sequence: wait for the next key.
    Pending,
    None,
}

/// Built-in keymaps: the default, and flavours laid over it.
pub const FLAVOURS: &[(&str, &str)] = &[
    ("default", ""),
    ("vim", include_str!("../keymaps/vim.toml")),
    ("emacs", include_str!("../keymaps/emacs.toml")),
];

/// The user's keymap: `$XDG_CONFIG_HOME/opsdeck/keymap.toml`.
pub fn user_file() -> Option<std::path::PathBuf> {
    crate::files::config_dir().map(|d| d.join("keymap.toml"))
}

/// An action's keys in a context while files are merged, with where they were set.
type Entry = (&'static str, Vec<KeySeq>, String);

/// One file's bindings, before merging: (context, action, keys, line).
struct Layer {
    file: String,
    clear_defaults: bool,
    entries: Vec<(String, &'static str, Vec<KeySeq>, usize)>,
}

/// The 1-based line of `action = …` inside `[ctx]` of a TOML text (for messages).
fn line_of(text: &str, ctx: &str, action: &str) -> usize {
    let mut in_ctx = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_ctx = t.trim_start_matches('[').trim_end_matches(']').trim() == ctx;
        } else if in_ctx && t.split('=').next().map(|k| k.trim().trim_matches('"')) == Some(action)
        {
            return i + 1;
        }
    }
    0
}

fn parse_layer(file: &str, text: &str) -> Result<Layer, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let known = actions();
    let mut layer = Layer {
        file: file.to_string(),
        clear_defaults: false,
        entries: Vec::new(),
    };
    for (ctx, v) in table {
        if ctx == "clear-defaults" {
            layer.clear_defaults = v
                .as_bool()
                .ok_or_else(|| format!("{file}: clear-defaults must be true or false"))?;
            continue;
        }
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
        for (action, keys) in t {
            let line = line_of(text, &ctx, &action);
            let at = if line > 0 {
                format!("{file}:{line}")
            } else {
                file.to_string()
            };
            let name = known
                .iter()
                .find(|(n, _, _)| *n == action)
                .map(|k| k.0)
                .ok_or_else(|| format!("{at}: [{ctx}] unknown action \"{action}\""))?;
            let list = keys
                .as_array()
                .ok_or_else(|| format!("{at}: [{ctx}] {action} must be a list of keys"))?;
            let mut seqs = Vec::new();
            for k in list {
                let s = k
                    .as_str()
                    .ok_or_else(|| format!("{at}: [{ctx}] {action}: keys are strings"))?;
                seqs.push(KeySeq::parse(s).map_err(|e| format!("{at}: [{ctx}] {action}: {e}"))?);
            }
            layer.entries.push((ctx.clone(), name, seqs, line));
        }
    }
    Ok(layer)
}

impl Keymap {
    /// Parses one keymap file on its own.
    pub fn parse(file: &str, text: &str) -> Result<Keymap, String> {
        Self::build(vec![(file.to_string(), text.to_string())])
    }

    /// Lays files over each other, first to last: a later file's action replaces that action's
    /// keys in its context and takes its keys from other actions there; `clear-defaults = true`
    /// drops everything before it. Then checks every context for a key bound twice and for a key
    /// that is both bound and the start of a sequence, naming the file, line and actions.
    pub fn build(files: Vec<(String, String)>) -> Result<Keymap, String> {
        let known = actions();
        // context → (action, keys, where)
        let mut merged: Vec<(String, Vec<Entry>)> = Vec::new();
        for (file, text) in &files {
            let layer = parse_layer(file, text)?;
            if layer.clear_defaults {
                merged.clear();
            }
            for (ctx, action, seqs, line) in layer.entries {
                let at = if line > 0 {
                    format!("{}:{line}", layer.file)
                } else {
                    layer.file.clone()
                };
                let pos = match merged.iter().position(|(c, _)| *c == ctx) {
                    Some(p) => p,
                    None => {
                        merged.push((ctx.clone(), Vec::new()));
                        merged.len() - 1
                    }
                };
                let list = &mut merged[pos].1;
                // A later file takes its keys from other actions; within one file a key
                // bound twice is an error, found below.
                let same_file =
                    |at: &str| at == layer.file || at.starts_with(&format!("{}:", layer.file));
                for (a, keys, at) in list.iter_mut() {
                    if *a != action && !same_file(at) {
                        keys.retain(|k| !seqs.contains(k));
                    }
                }
                match list.iter_mut().find(|(a, _, _)| *a == action) {
                    Some(e) => {
                        // Within one file, keys add up; a later file replaces.
                        if same_file(&e.2) {
                            e.1.extend(seqs);
                        } else {
                            e.1 = seqs;
                        }
                        e.2 = at;
                    }
                    None => list.push((action, seqs, at)),
                }
            }
        }
        let mut contexts = Vec::new();
        for (ctx, list) in merged {
            let mut seen: Vec<(&KeySeq, &'static str, &str)> = Vec::new();
            for (action, keys, at) in &list {
                for k in keys {
                    for (other, oaction, _) in &seen {
                        if *oaction == *action && *other == k {
                            continue;
                        }
                        if *other == k {
                            return Err(format!(
                                "{at}: [{ctx}] key \"{k}\" is bound to both \"{oaction}\" and \"{action}\""
                            ));
                        }
                        let (short, long) = if other.0.len() < k.0.len() {
                            (*other, k)
                        } else {
                            (k, *other)
                        };
                        if short.0.len() != long.0.len() && long.0.starts_with(&short.0) {
                            return Err(format!(
                                "{at}: [{ctx}] key \"{short}\" (\"{}\") is also the start of \"{long}\" (\"{}\")",
                                if short == k { action } else { oaction },
                                if long == k { action } else { oaction }
                            ));
                        }
                    }
                    seen.push((k, action, at));
                }
            }
            let bindings = list
                .into_iter()
                .filter(|(_, keys, _)| !keys.is_empty())
                .filter_map(|(action, keys, _)| {
                    let (name, about, intent) = known.iter().find(|k| k.0 == action).cloned()?;
                    Some(Binding {
                        action: name,
                        about,
                        intent,
                        keys,
                    })
                })
                .collect();
            contexts.push((ctx, bindings));
        }
        Ok(Keymap { contexts })
    }

    pub fn default_map() -> Result<Keymap, String> {
        Keymap::parse("keymaps/default.toml", DEFAULT)
    }

    /// A built-in flavour over the default, then the user's file if there is one.
    pub fn load(flavour: &str, user: Option<(String, String)>) -> Result<Keymap, String> {
        let (_, text) = FLAVOURS.iter().find(|f| f.0 == flavour).ok_or_else(|| {
            let names: Vec<&str> = FLAVOURS.iter().map(|f| f.0).collect();
            format!("no keymap \"{flavour}\" (built in: {})", names.join(", "))
        })?;
        let mut files = vec![("keymaps/default.toml".to_string(), DEFAULT.to_string())];
        if !text.is_empty() {
            files.push((format!("keymaps/{flavour}.toml"), text.to_string()));
        }
        files.extend(user);
        Keymap::build(files)
    }

    fn context(&self, name: &str) -> Option<&[Binding]> {
        self.contexts
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The intent for a single key in the given contexts, most specific first.
    pub fn resolve(&self, key: Key, contexts: &[&str]) -> Option<Intent> {
        match self.resolve_seq(&[key], contexts) {
            Resolved::Intent(i) => Some(i),
            _ => None,
        }
    }

    /// What the keys pressed so far mean in the given contexts, most specific first.
    pub fn resolve_seq(&self, keys: &[Key], contexts: &[&str]) -> Resolved {
        let mut pending = false;
        for c in contexts {
            for b in self.context(c).unwrap_or(&[]) {
                for k in &b.keys {
                    if k.0 == keys {
                        return Resolved::Intent(b.intent.clone());
                    }
                    if k.0.len() > keys.len() && k.0.starts_with(keys) {
                        pending = true;
                    }
                }
            }
            if pending {
                return Resolved::Pending;
            }
        }
        Resolved::None
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
                for key in b.keys.iter().flat_map(|k| &k.0) {
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
            "k.toml:3: [global] key \"q\" is bound to both \"quit\" and \"help\""
        );
        let e = Keymap::parse("k.toml", "[global]\nfly = [\"f\"]\n").unwrap_err();
        assert_eq!(e, "k.toml:2: [global] unknown action \"fly\"");
        let e = Keymap::parse("k.toml", "[global]\nquit = [\"hyper-q\"]\n").unwrap_err();
        assert_eq!(e, "k.toml:2: [global] quit: cannot read key \"hyper-q\"");
        let e = Keymap::parse("k.toml", "[nowhere]\nquit = [\"q\"]\n").unwrap_err();
        assert!(e.starts_with("k.toml: unknown context [nowhere]"), "{e}");
    }
}
