//! The `:` command palette: fuzzy matching over commands and the objects they act on
//! (`:sync store`, `:promote user`, `:abort store`, `:theme light`, `:pane logs`, `:ctx k3d-dev`,
//! `:ns dev`), Tab completion and history. Actions go through the same confirmations as keys.

use super::catalogue::{Action, Arg};
use super::{Command, FlashKind, Intent, Overlay, Screen, State};
use crate::layout::Pane;

/// The most remembered command lines.
const HISTORY: usize = 100;

/// A subsequence match of `pattern` in `text`, case-insensitive: higher is better; `None` if
/// the letters do not all appear in order. Prefixes, word starts and runs score higher.
pub fn fuzzy(pattern: &str, text: &str) -> Option<i32> {
    if pattern.is_empty() {
        return Some(0);
    }
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut score = 0;
    let mut ti = 0;
    let mut prev: Option<usize> = None;
    for pc in pattern.chars().flat_map(char::to_lowercase) {
        let found = (ti..t.len()).find(|&i| t[i] == pc)?;
        score += 1;
        if found == 0 {
            score += 8;
        } else if matches!(t[found - 1], '-' | '_' | '.' | '/' | ' ') {
            score += 4;
        }
        if prev.is_some_and(|p| p + 1 == found) {
            score += 3;
        }
        score -= (found - ti).min(5) as i32;
        prev = Some(found);
        ti = found + 1;
    }
    if t.len() == pattern.chars().count() {
        score += 10; // exact
    }
    Some(score)
}

/// Candidates ranked by fuzzy score, best first (ties keep their order).
fn rank<'a>(pattern: &str, items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<(i32, usize, &str)> = items
        .enumerate()
        .filter_map(|(i, s)| fuzzy(pattern, s).map(|sc| (sc, i, s)))
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().map(|x| x.2).collect()
}

/// A palette command: its action, what it takes, what it does.
type Cmd = (Action, Arg, &'static str);

fn command(name: &str) -> Option<Cmd> {
    // Aliases of the old command line.
    let name = match name {
        "q" => "quit",
        "context" => "ctx",
        "namespace" => "ns",
        n => n,
    };
    Action::commands().find(|c| c.0.name() == name)
}

/// A command by exact name or alias, else the best fuzzy match (`pro` → `promote`).
fn resolve(verb: &str) -> Option<Cmd> {
    command(verb).or_else(|| {
        rank(verb, Action::commands().map(|c| c.0.name()))
            .first()
            .and_then(|n| command(n))
    })
}

/// One suggestion: the full command line it completes to, and a word about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub line: String,
    pub about: String,
}

impl State {
    fn objects(&self, action: Action, arg: Arg) -> Vec<String> {
        match arg {
            Arg::App => self.apps.iter().map(|a| a.name.clone()).collect(),
            Arg::Rollout => self.rollouts.iter().map(|r| r.name.clone()).collect(),
            Arg::Pane => Pane::ALL.iter().map(|p| p.word().to_string()).collect(),
            Arg::Theme => self.theme_names.clone(),
            Arg::Name if action == Action::Fleet => vec!["add".to_string()],
            Arg::Name if !self.context.namespace.is_empty() => vec!["all".to_string()],
            Arg::None | Arg::Name => Vec::new(),
        }
    }

    /// What the line typed so far could become, best first (at most `n`).
    pub fn suggestions(&self, line: &str, n: usize) -> Vec<Suggestion> {
        let line = line.trim_start();
        match line.split_once(' ') {
            None => rank(line, Action::commands().map(|c| c.0.name()))
                .into_iter()
                .take(n)
                .filter_map(command)
                .map(|c| Suggestion {
                    line: if c.1 == Arg::None {
                        c.0.name().to_string()
                    } else {
                        format!("{} ", c.0.name())
                    },
                    about: c.2.to_string(),
                })
                .collect(),
            Some((verb, rest)) => {
                let Some(c) = resolve(verb) else {
                    return Vec::new();
                };
                let objects = self.objects(c.0, c.1);
                rank(rest.trim(), objects.iter().map(String::as_str))
                    .into_iter()
                    .take(n)
                    .map(|o| Suggestion {
                        line: format!("{} {o}", c.0.name()),
                        about: c.2.to_string(),
                    })
                    .collect()
            }
        }
    }

    /// Tab: the line becomes the best suggestion.
    pub(super) fn complete(&mut self) {
        let line = self.ui.palette.line.to_string();
        if let Some(s) = self.suggestions(&line, 1).into_iter().next() {
            self.ui.palette.line.set(&s.line);
        }
    }

    /// Up/Down: older or newer lines from the history.
    pub(super) fn history_step(&mut self, older: bool) {
        let p = &mut self.ui.palette;
        let n = p.history.len();
        if n == 0 {
            return;
        }
        let pos = match (p.history_pos, older) {
            (None, true) => Some(n - 1),
            (None, false) => None,
            (Some(0), true) => Some(0),
            (Some(p), true) => Some(p - 1),
            (Some(p), false) if p + 1 < n => Some(p + 1),
            (Some(_), false) => None,
        };
        p.history_pos = pos;
        let line = pos.map(|i| p.history[i].clone()).unwrap_or_default();
        p.line.set(&line);
    }

    fn remember(&mut self, line: &str) {
        let line = line.trim().to_string();
        if line.is_empty() {
            return;
        }
        let p = &mut self.ui.palette;
        p.history.retain(|l| *l != line);
        p.history.push(line);
        if p.history.len() > HISTORY {
            p.history.remove(0);
        }
        p.history_pos = None;
    }

    /// Runs a command line: the command and its object are matched fuzzily, so `:pro usr`
    /// promotes `user` — after the same confirmation as the key.
    pub(super) fn run_command_line(&mut self, line: &str) -> Vec<Command> {
        let line = line.trim();
        if line.is_empty() {
            return Vec::new();
        }
        self.remember(line);
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let mut rest = rest.trim();
        let Some(c) = resolve(verb) else {
            self.flash(
                FlashKind::Error,
                format!("✗ unknown command :{verb} (Tab completes; ? lists keys)"),
            );
            return Vec::new();
        };
        let name = c.0.name();
        // `:undo store 3` (or `--to-revision 3`): the revision to go back to.
        // `:rollback store 5`, `:diff store 5`: the application's history entry.
        let mut to_revision = None;
        if matches!(c.0, Action::Undo | Action::Rollback | Action::Diff)
            && let Some((head, last)) = rest.rsplit_once(' ')
            && let Ok(n) = last.parse::<i64>()
        {
            if n < 0 || (n == 0 && c.0 != Action::Undo) {
                let what = if c.0 == Action::Undo {
                    "revision"
                } else {
                    "history entry"
                };
                self.flash(
                    FlashKind::Error,
                    format!("✗ :{name}: {n} is not a {what} (they count from 1)"),
                );
                return Vec::new();
            }
            // As kubectl: revision 0 is the previous one.
            to_revision = (n > 0).then_some(n);
            rest = head.trim().trim_end_matches("--to-revision").trim();
        }
        let object = |s: &Self| -> Result<String, String> {
            if rest.is_empty() {
                return Err(format!(":{name} needs a name"));
            }
            let objects = s.objects(c.0, c.1);
            if objects.iter().any(|o| o == rest) {
                return Ok(rest.to_string());
            }
            rank(rest, objects.iter().map(String::as_str))
                .first()
                .map(|o| o.to_string())
                .ok_or_else(|| format!("nothing matches \"{rest}\" for :{name}"))
        };
        match c.0 {
            Action::Quit => vec![Command::Quit],
            Action::Help => {
                self.ui.overlay = Some(Overlay::Help { scroll: 0 });
                Vec::new()
            }
            Action::Timeline => self.handle(Intent::Timeline),
            Action::Platform => self.handle(Intent::Platform),
            // A cluster of the fleet is shown as it is, not connected to again.
            Action::Ctx if self.fleet.iter().any(|c| c.name == rest && !c.focused) => {
                vec![Command::FocusCluster {
                    name: rest.to_string(),
                    reveal: None,
                }]
            }
            Action::NextCluster | Action::PrevCluster => self.handle(c.0.intent()),
            Action::Fleet => match rest.split_once(' ') {
                Some(("add", name)) if !name.trim().is_empty() => {
                    vec![Command::AddCluster(name.trim().to_string())]
                }
                _ if rest.is_empty() => {
                    if !self.fleet_view_open() {
                        self.toggle_fleet_view();
                    }
                    Vec::new()
                }
                _ => {
                    self.flash(
                        FlashKind::Error,
                        "✗ :fleet shows every cluster; :fleet add NAME watches one more context",
                    );
                    Vec::new()
                }
            },
            Action::Ctx if !rest.is_empty() => vec![Command::Switch {
                context: Some(rest.to_string()),
                namespaces: None,
            }],
            Action::Ns if !rest.is_empty() => {
                let list = if rest == "all" {
                    Vec::new()
                } else {
                    rest.split(',')
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect()
                };
                vec![Command::Switch {
                    context: None,
                    namespaces: Some(list),
                }]
            }
            Action::Trace if !rest.is_empty() => {
                self.open_trace(rest);
                Vec::new()
            }
            Action::Trace => self.handle(Intent::Trace),
            Action::Ctx | Action::Ns => {
                self.flash(FlashKind::Error, format!("✗ :{name} needs a name"));
                Vec::new()
            }
            verb => match object(self) {
                Err(e) => {
                    self.flash(FlashKind::Error, format!("✗ {e}"));
                    Vec::new()
                }
                Ok(name) if to_revision.is_some() && verb == Action::Undo => {
                    self.select_rollout(&name);
                    self.ui.overlay = None;
                    self.ui.screen = Screen::Main;
                    self.request_to(crate::model::ActionKind::Undo, to_revision)
                }
                Ok(name) if verb == Action::Rollback || verb == Action::Diff => {
                    self.select_app(&name);
                    self.ui.overlay = None;
                    self.ui.screen = Screen::Main;
                    if verb == Action::Diff {
                        self.toggle_diff(to_revision);
                        Vec::new()
                    } else {
                        self.request_to(crate::model::ActionKind::Rollback, to_revision)
                    }
                }
                Ok(name) => self.run_on(verb, c.1, &name),
            },
        }
    }

    fn run_on(&mut self, verb: Action, arg: Arg, name: &str) -> Vec<Command> {
        match arg {
            Arg::Pane => {
                if let Some(p) = Pane::ALL.iter().find(|p| p.word() == name) {
                    self.ui.screen = Screen::Main;
                    return self.handle(Intent::Focus(*p));
                }
                Vec::new()
            }
            Arg::Theme => vec![Command::Theme(name.to_string())],
            Arg::App => {
                self.select_app(name);
                self.ui.screen = Screen::Main;
                self.ui.overlay = None;
                match verb {
                    Action::App => self.handle(Intent::Open),
                    _ => self.act(verb),
                }
            }
            Arg::Rollout => {
                self.select_rollout(name);
                self.ui.overlay = None;
                // From the main screen, on the selection, as the key would.
                self.ui.screen = Screen::Main;
                match verb {
                    Action::Open => self.handle(Intent::Open),
                    Action::Pods => self.handle(Intent::Pods),
                    _ => self.act(verb),
                }
            }
            Arg::None | Arg::Name => Vec::new(),
        }
    }

    fn act(&mut self, verb: Action) -> Vec<Command> {
        match verb.kind() {
            Some(k) => self.handle(Intent::Act(k)),
            None => Vec::new(),
        }
    }

    fn select_app(&mut self, name: &str) {
        self.ui.lists[Pane::Apps].filter.clear();
        self.ui.focus = Pane::Apps;
        self.relayout();
        if let Some(i) = self.apps.iter().position(|a| a.name == name) {
            self.set_pos(Pane::Apps, i);
        }
    }

    fn select_rollout(&mut self, name: &str) {
        self.ui.lists[Pane::Rollouts].filter.clear();
        self.ui.focus = Pane::Rollouts;
        self.relayout();
        if let Some(i) = self.rollouts.iter().position(|r| r.name == name) {
            self.set_pos(Pane::Rollouts, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::*;

    #[test]
    fn fuzzy_prefers_prefixes_and_runs() {
        assert!(
            fuzzy("pro", "promote").unwrap_or(0) > fuzzy("pro", "hard-refresh-prod").unwrap_or(0)
        );
        assert_eq!(fuzzy("xyz", "promote"), None);
        assert!(fuzzy("usr", "user").is_some());
        assert_eq!(
            rank("pf", ["promote", "promote-full", "refresh"].into_iter()).first(),
            Some(&"promote-full")
        );
        assert_eq!(
            rank("st", ["gateway", "store", "study"].into_iter()).first(),
            Some(&"store")
        );
    }

    #[test]
    fn the_command_line_switches_context_and_namespace() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let type_line = |s: &mut State, text: &str| {
            s.handle(Intent::CommandLine);
            assert!(s.text_input_active());
            for c in text.chars() {
                s.handle(Intent::Text(TextKey::Char(c)));
            }
            s.handle(Intent::Text(TextKey::Enter))
        };
        assert_eq!(
            type_line(&mut s, "ns dev,prod"),
            vec![Command::Switch {
                context: None,
                namespaces: Some(vec!["dev".into(), "prod".into()])
            }]
        );
        assert_eq!(
            type_line(&mut s, "ns all"),
            vec![Command::Switch {
                context: None,
                namespaces: Some(vec![])
            }]
        );
        assert_eq!(
            type_line(&mut s, "ctx k3d-dev"),
            vec![Command::Switch {
                context: Some("k3d-dev".into()),
                namespaces: None
            }]
        );
        assert_eq!(type_line(&mut s, "q"), vec![Command::Quit]);
        assert!(type_line(&mut s, "frobnicate").is_empty());
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.text.contains("unknown command :frobnicate"))
        );
        assert!(!s.text_input_active());
    }

    #[test]
    fn rollback_and_diff_take_a_history_entry_and_auto_sync_refuses_a_rollback() {
        let (mut s, _) = demo(Scenario::Steady, false);
        let type_line = |s: &mut State, text: &str| {
            s.handle(Intent::CommandLine);
            for c in text.chars() {
                s.handle(Intent::Text(TextKey::Char(c)));
            }
            s.handle(Intent::Text(TextKey::Enter))
        };
        let flash = |s: &State| s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        // trust-manager is synced by hand; B's default is the entry before the last.
        type_line(&mut s, "rollback trust-manager");
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation: {}", flash(&s));
        };
        assert_eq!(p.to_revision, Some(2));
        assert_eq!(p.command, "argocd app rollback trust-manager 2");
        assert!(p.needs_typing());
        assert!(
            p.effect.contains("deploy #2") && p.effect.contains("in place of #3"),
            "{}",
            p.effect
        );
        s.ui.overlay = None;
        type_line(&mut s, "rollback trust-manager 1");
        assert!(matches!(&s.ui.overlay, Some(Overlay::Confirm(p)) if p.to_revision == Some(1)));
        s.ui.overlay = None;
        type_line(&mut s, "rollback trust-manager 3");
        assert!(s.ui.overlay.is_none());
        assert!(
            flash(&s).contains("what trust-manager deployed last"),
            "{}",
            flash(&s)
        );
        type_line(&mut s, "rollback trust-manager 9");
        assert!(
            flash(&s).contains("has no #9 (it keeps #1 #2 #3)"),
            "{}",
            flash(&s)
        );
        // Automated sync: refused before anything is sent, in Argo CD's words, and audited.
        let cmds = type_line(&mut s, "rollback store");
        assert!(s.ui.overlay.is_none());
        assert!(flash(&s).contains("rollback cannot be initiated when auto-sync is enabled"));
        assert!(flash(&s).contains("argocd app set store --sync-policy none"));
        assert!(
            matches!(cmds.as_slice(), [Command::Audit(a)] if a.result.contains("auto-sync")),
            "{cmds:?}"
        );
        // The diff against a history entry names its revision.
        type_line(&mut s, "diff trust-manager 1");
        let rev = s
            .apps
            .iter()
            .find(|a| a.name == "trust-manager")
            .map(|a| a.history[0].revision.clone());
        assert!(
            matches!(&s.ui.overlay, Some(Overlay::Diff { against: crate::model::DiffAgainst::Revision { id: 1, revision }, .. }) if Some(revision) == rev.as_ref()),
            "{:?}",
            s.ui.overlay
        );
        // No Argo CD API server: said how to get one.
        s.ui.overlay = None;
        s.context.argocd_server = None;
        type_line(&mut s, "rollback trust-manager");
        assert!(
            flash(&s).contains("needs the Argo CD API server"),
            "{}",
            flash(&s)
        );
    }

    #[test]
    fn undo_takes_a_revision_and_the_confirmation_says_it() {
        let (mut s, _) = demo(Scenario::Steady, false);
        for line in ["undo store 3", "undo sto --to-revision 3"] {
            s.ui.overlay = None;
            s.handle(Intent::CommandLine);
            for c in line.chars() {
                s.handle(Intent::Text(TextKey::Char(c)));
            }
            s.handle(Intent::Text(TextKey::Enter));
            let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
                panic!("{line}: no confirmation: {:?}", s.flash);
            };
            assert_eq!(p.target.name, "store", "{line}");
            assert_eq!(p.to_revision, Some(3), "{line}");
            assert_eq!(
                p.command, "kubectl argo rollouts undo store --to-revision 3 -n dev",
                "{line}"
            );
            assert!(
                p.effect.contains("revision 3's pod template"),
                "{}",
                p.effect
            );
            let p = (**p).clone();
            assert_eq!(s.to_request(&p).to_revision, Some(3));
        }
        // Without one: the previous revision, as `kubectl argo rollouts undo`.
        s.ui.overlay = None;
        s.handle(Intent::CommandLine);
        for c in "undo store".chars() {
            s.handle(Intent::Text(TextKey::Char(c)));
        }
        s.handle(Intent::Text(TextKey::Enter));
        let Some(Overlay::Confirm(p)) = &s.ui.overlay else {
            panic!("no confirmation");
        };
        assert_eq!(p.to_revision, None);
        assert_eq!(p.command, "kubectl argo rollouts undo store -n dev");
    }
}
