//! Keymaps: data (TOML in `keymaps/`) from key to action per context, never key-named methods.
//! Actions and contexts are the typed catalogue's ([`crate::state::Action`],
//! [`crate::state::KeyContext`]); the help overlay and the footer hints are generated from the
//! bindings and that catalogue.

mod key;
mod layers;

pub use key::{Key, KeySeq};

use crate::state::{Action, Intent, KeyContext};

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");

/// Built-in keymaps: the default, and flavours laid over it.
pub const FLAVOURS: &[(&str, &str)] = &[
    ("default", ""),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// The user's keymap: `$XDG_CONFIG_HOME/opsdeck/keymap.toml`.
pub fn user_file() -> Option<std::path::PathBuf> {
    crate::files::config_dir().map(|d| d.join("keymap.toml"))
}

/// An action's keys in one context.
#[derive(Clone, Debug)]
pub struct Binding {
    pub action: Action,
    pub keys: Vec<KeySeq>,
}

impl Binding {
    /// What the action does, for help and the footer.
    pub fn about(&self) -> &'static str {
        self.action.info().about
    }

    /// What it does in `ctx`: Enter opens an application's details on Apps, the cockpit on
    /// Rollouts.
    pub fn about_in(&self, ctx: KeyContext) -> &'static str {
        match (self.action, ctx) {
            (Action::Open, KeyContext::Apps) => "details",
            (Action::GoTo, KeyContext::Timeline) => "go to it",
            (Action::Timeline, KeyContext::Timeline) => "close",
            (Action::Up, KeyContext::Timeline) => "older",
            (Action::Down, KeyContext::Timeline) => "newer",
            (Action::Open, KeyContext::Fleet) => "show it in its cluster",
            (Action::Fleet, KeyContext::Fleet) => "close",
            (Action::Fleet, KeyContext::Timeline) => "all clusters / this one",
            (Action::Open, KeyContext::Trace) => "span details",
            (Action::Expand, KeyContext::Trace) => "fold",
            (Action::Trace, KeyContext::Trace) => "close",
            (Action::Search, KeyContext::Trace) => "filter",
            (Action::Copy, KeyContext::Trace) => "copy id",
            (Action::Open, KeyContext::Cockpit) => "open trace",
            _ => self.about(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub contexts: Vec<(KeyContext, Vec<Binding>)>,
}

/// What the keys pressed so far mean.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    Intent(Intent),
    /// The start of a sequence: wait for the next key.
    Pending,
    None,
}

impl Keymap {
    /// Parses one keymap file on its own.
    pub fn parse(file: &str, text: &str) -> Result<Keymap, String> {
        Self::build(vec![(file.to_string(), text.to_string())])
    }

    /// Lays files over each other, first to last (see `layers::build`): every problem is
    /// reported at its `file:line:column`.
    pub fn build(files: Vec<(String, String)>) -> Result<Keymap, String> {
        Ok(Keymap {
            contexts: layers::build(&files)?,
        })
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

    fn context(&self, ctx: KeyContext) -> &[Binding] {
        self.contexts
            .iter()
            .find(|(c, _)| *c == ctx)
            .map_or(&[], |(_, b)| b.as_slice())
    }

    /// The intent for a single key in the given contexts, most specific first.
    pub fn resolve(&self, key: Key, contexts: &[KeyContext]) -> Option<Intent> {
        match self.resolve_seq(&[key], contexts) {
            Resolved::Intent(i) => Some(i),
            _ => None,
        }
    }

    /// What the keys pressed so far mean in the given contexts, most specific first.
    pub fn resolve_seq(&self, keys: &[Key], contexts: &[KeyContext]) -> Resolved {
        let mut pending = false;
        for c in contexts {
            for b in self.context(*c) {
                for k in &b.keys {
                    if k.0 == keys {
                        return Resolved::Intent(b.action.intent());
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

    /// Footer hints for the contexts: `(key, label)` of the actions the catalogue hints and
    /// `shown` keeps (read-only drops the operator actions), in its order, each from the most
    /// specific context that binds it.
    pub fn hints(
        &self,
        contexts: &[KeyContext],
        shown: impl Fn(Action) -> bool,
    ) -> Vec<(String, &'static str)> {
        let mut hinted: Vec<(u8, Action)> = Action::all()
            .filter_map(|a| a.info().hint.map(|h| (h, a)))
            .collect();
        hinted.sort();
        let mut out = Vec::new();
        let innermost = contexts.first().copied();
        for (_, action) in hinted
            .into_iter()
            .filter(|(_, a)| shown(*a))
            .filter(|(_, a)| a.info().hint_only_in.is_none_or(|c| Some(c) == innermost))
        {
            for (ci, c) in contexts.iter().enumerate() {
                if let Some(b) = self.context(*c).iter().find(|b| b.action == action) {
                    // A key a more specific context takes for something else is not offered
                    // (`q` closes the timeline; it does not quit there).
                    let shadowed = |k: &KeySeq| {
                        contexts[..ci]
                            .iter()
                            .any(|o| self.context(*o).iter().any(|x| x.keys.contains(k)))
                    };
                    if let Some(k) = b.keys.iter().find(|k| !shadowed(k)) {
                        out.push((k.to_string(), b.about_in(*c)));
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
    use crate::model::ActionKind;
    use KeyContext::{Apps, Global, List, Rollouts};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn default_keymap_loads_and_resolves() {
        let k = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
        let p = Key::parse("p").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            k.resolve(p, &[Rollouts, List, Global]),
            Some(Intent::Act(ActionKind::Promote))
        );
        assert_eq!(k.resolve(p, &[Apps, List, Global]), None);
        let q = Key::from_event(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(k.resolve(q, &[Global]), Some(Intent::Quit));
        let bt = Key::from_event(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(k.resolve(bt, &[Global]), Some(Intent::FocusPrev));
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
                            b.action.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn broken_keymaps_name_the_problem_where_it_is() {
        let e = Keymap::parse("k.toml", "[global]\nquit = [\"q\"]\nhelp = [\"q\"]\n").unwrap_err();
        assert_eq!(
            e,
            "k.toml:3:9: [global] key \"q\" is bound to both \"quit\" and \"help\"\n  3 | help = [\"q\"]\n    |         ^"
        );
        let e = Keymap::parse("k.toml", "[global]\nfly = [\"f\"]\n").unwrap_err();
        assert!(
            e.starts_with("k.toml:2:1: [global] unknown action \"fly\""),
            "{e}"
        );
        let e = Keymap::parse("k.toml", "[global]\nquit = [\"q\", \"hyper-q\"]\n").unwrap_err();
        assert!(
            e.starts_with("k.toml:2:14: [global] quit: cannot read key \"hyper-q\""),
            "{e}"
        );
        let e = Keymap::parse("k.toml", "[nowhere]\nquit = [\"q\"]\n").unwrap_err();
        assert!(
            e.starts_with("k.toml:1:2: unknown context [nowhere]"),
            "{e}"
        );
        let e = Keymap::parse("k.toml", "[global]\nquit = \"q\"\n").unwrap_err();
        assert!(
            e.starts_with("k.toml:2:8: [global] quit must be a list of keys"),
            "{e}"
        );
        let e = Keymap::parse("k.toml", "[global\n").unwrap_err();
        assert!(e.starts_with("k.toml:1:"), "{e}");
    }

    #[test]
    fn a_key_bound_to_a_command_that_takes_a_name_opens_the_command_line() {
        let k = Keymap::parse("k.toml", "[global]\ntheme = [\"T\"]\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let t = Key::parse("T").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k.resolve(t, &[Global]), Some(Intent::CommandWith("theme")));
    }

    #[test]
    fn hints_follow_the_catalogue() {
        let k = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
        let hints: Vec<String> = k
            .hints(&[Rollouts, List, Global], |_| true)
            .into_iter()
            .map(|(key, label)| format!("{key} {label}"))
            .collect();
        // Read-only: no operator action is offered.
        let read_only: Vec<&str> = k
            .hints(&[Rollouts, List, Global], |a| a.kind().is_none())
            .into_iter()
            .map(|(_, label)| label)
            .collect();
        assert!(
            !read_only.contains(&"promote") && !read_only.is_empty(),
            "{read_only:?}"
        );
        assert_eq!(
            hints[..6],
            [
                "p promote",
                "P promote-full",
                "A abort",
                "T retry",
                "X restart",
                "s sync"
            ]
        );
        assert_eq!(hints.last().map(String::as_str), Some("q quit"));
    }

    #[test]
    fn the_timeline_footer_offers_its_own_keys_and_not_the_ones_it_takes() {
        let k = Keymap::default_map().unwrap_or_else(|e| panic!("{e}"));
        let hints: Vec<String> = k
            .hints(&[KeyContext::Timeline, Global], |_| true)
            .into_iter()
            .map(|(key, label)| format!("{key} {label}"))
            .collect();
        assert!(hints.contains(&"Enter go to it".to_string()), "{hints:?}");
        assert!(hints.contains(&"t close".to_string()), "{hints:?}");
        // q closes the timeline there: quit is offered on its other key.
        assert!(!hints.iter().any(|h| h == "q quit"), "{hints:?}");
        assert!(hints.iter().any(|h| h.ends_with(" quit")), "{hints:?}");
        // Elsewhere the timeline's close is not a hint.
        let main: Vec<String> = k
            .hints(&[Rollouts, List, Global], |_| true)
            .into_iter()
            .map(|(_, label)| label.to_string())
            .collect();
        assert!(!main.contains(&"close".to_string()), "{main:?}");
    }
}
