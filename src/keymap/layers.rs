//! Keymap files as layers: each file is read into its bindings, with the span of every name
//! and key, checked against the typed catalogue of actions and contexts; then the layers are
//! laid over each other and checked for keys bound twice or shadowing a sequence. Every
//! problem is reported at its `file:line:column`.

use super::Binding;
use super::key::KeySeq;
use crate::files::located;
use crate::state::{Action, KeyContext};
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Where something was written: which file, and the span in it.
#[derive(Clone, Debug)]
struct At {
    file: usize,
    span: Range<usize>,
}

/// One `action = [keys]` line of one file.
struct Entry {
    ctx: KeyContext,
    action: Action,
    keys: Vec<(KeySeq, At)>,
}

struct Layer {
    clear_defaults: bool,
    entries: Vec<Entry>,
}

/// The files being laid over each other, for messages.
struct Files<'a>(&'a [(String, String)]);

impl Files<'_> {
    fn say(&self, at: &At, msg: &str) -> String {
        let (name, text) = &self.0[at.file];
        located(name, text, Some(at.span.clone()), msg)
    }
}

fn parse_layer(files: &Files, file: usize) -> Result<Layer, String> {
    let (name, text) = &files.0[file];
    let at = |span: Range<usize>| At { file, span };
    let root = DeTable::parse(text).map_err(|e| located(name, text, e.span(), e.message()))?;
    let mut layer = Layer {
        clear_defaults: false,
        entries: Vec::new(),
    };
    for (section, value) in root.get_ref() {
        let here = at(section.span());
        if section.get_ref() == "clear-defaults" {
            layer.clear_defaults = value
                .get_ref()
                .as_bool()
                .ok_or_else(|| files.say(&here, "clear-defaults must be true or false"))?;
            continue;
        }
        let ctx = KeyContext::parse(section.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = KeyContext::all().map(KeyContext::name).collect();
            files.say(
                &here,
                &format!(
                    "unknown context [{}] (contexts: {})",
                    section.get_ref(),
                    names.join(", ")
                ),
            )
        })?;
        let DeValue::Table(table) = value.get_ref() else {
            return Err(files.say(
                &here,
                &format!("[{}] must be a table of action = [keys]", ctx.name()),
            ));
        };
        for (action_name, keys) in table {
            let here = at(action_name.span());
            let c = ctx.name();
            let a = action_name.get_ref();
            let action = Action::parse(a)
                .ok_or_else(|| files.say(&here, &format!("[{c}] unknown action \"{a}\"")))?;
            let DeValue::Array(list) = keys.get_ref() else {
                return Err(files.say(
                    &at(keys.span()),
                    &format!("[{c}] {a} must be a list of keys"),
                ));
            };
            let mut seqs = Vec::new();
            for k in list.iter() {
                let key_at = at(k.span());
                let s = k
                    .get_ref()
                    .as_str()
                    .ok_or_else(|| files.say(&key_at, &format!("[{c}] {a}: keys are strings")))?;
                let seq =
                    KeySeq::parse(s).map_err(|e| files.say(&key_at, &format!("[{c}] {a}: {e}")))?;
                seqs.push((seq, key_at));
            }
            layer.entries.push(Entry {
                ctx,
                action,
                keys: seqs,
            });
        }
    }
    Ok(layer)
}

/// An action's keys in a context while the layers are merged.
struct Merged {
    action: Action,
    keys: Vec<(KeySeq, At)>,
    /// The file that set them last.
    file: usize,
}

/// Lays `files` over each other, first to last: a later file's action replaces that action's
/// keys in its context and takes its keys from other actions there; `clear-defaults = true`
/// drops everything before it. Then checks every context for a key bound twice and for a key
/// that is both bound and the start of a sequence, naming the file, line, column and actions.
pub(super) fn build(files: &[(String, String)]) -> Result<Vec<(KeyContext, Vec<Binding>)>, String> {
    let files = Files(files);
    let mut merged: Vec<(KeyContext, Vec<Merged>)> = Vec::new();
    for file in 0..files.0.len() {
        let layer = parse_layer(&files, file)?;
        if layer.clear_defaults {
            merged.clear();
        }
        for e in layer.entries {
            let pos = match merged.iter().position(|(c, _)| *c == e.ctx) {
                Some(p) => p,
                None => {
                    merged.push((e.ctx, Vec::new()));
                    merged.len() - 1
                }
            };
            let list = &mut merged[pos].1;
            // A later file takes its keys from other actions; within one file a key bound
            // twice is an error, found below.
            for m in list.iter_mut() {
                if m.action != e.action && m.file != file {
                    m.keys.retain(|(k, _)| !e.keys.iter().any(|(n, _)| n == k));
                }
            }
            match list.iter_mut().find(|m| m.action == e.action) {
                // Within one file, keys add up; a later file replaces.
                Some(m) if m.file == file => m.keys.extend(e.keys),
                Some(m) => {
                    m.keys = e.keys;
                    m.file = file;
                }
                None => list.push(Merged {
                    action: e.action,
                    keys: e.keys,
                    file,
                }),
            }
        }
    }
    let mut contexts = Vec::new();
    for (ctx, list) in merged {
        check(&files, ctx, &list)?;
        let bindings = list
            .into_iter()
            .filter(|m| !m.keys.is_empty())
            .map(|m| Binding {
                action: m.action,
                keys: m.keys.into_iter().map(|(k, _)| k).collect(),
            })
            .collect();
        contexts.push((ctx, bindings));
    }
    Ok(contexts)
}

/// A key bound to two actions, or bound and also the start of another's sequence.
fn check(files: &Files, ctx: KeyContext, list: &[Merged]) -> Result<(), String> {
    let c = ctx.name();
    let mut seen: Vec<(&KeySeq, Action)> = Vec::new();
    for m in list {
        for (k, at) in &m.keys {
            for (other, oaction) in &seen {
                if *oaction == m.action && *other == k {
                    continue;
                }
                if *other == k {
                    return Err(files.say(
                        at,
                        &format!(
                            "[{c}] key \"{k}\" is bound to both \"{}\" and \"{}\"",
                            oaction.name(),
                            m.action.name()
                        ),
                    ));
                }
                let (short, long) = if other.0.len() < k.0.len() {
                    ((*other, *oaction), (k, m.action))
                } else {
                    ((k, m.action), (*other, *oaction))
                };
                if short.0.0.len() != long.0.0.len() && long.0.0.starts_with(&short.0.0) {
                    return Err(files.say(
                        at,
                        &format!(
                            "[{c}] key \"{}\" (\"{}\") is also the start of \"{}\" (\"{}\")",
                            short.0,
                            short.1.name(),
                            long.0,
                            long.1.name()
                        ),
                    ));
                }
            }
            seen.push((k, m.action));
        }
    }
    Ok(())
}
