//! `config.toml`: every command-line flag can be set there under the same name
//! (`prometheus = "https://…"`, `log-query = '…'`, `namespace = ["dev"]`), plus per-context
//! policy (`[contexts.k3d-prod] protected = true`). Precedence: flags > environment > file >
//! defaults — the file fills in only what the command line and environment left at their
//! defaults, and clap checks its values exactly as it checks flags. Unknown keys are errors
//! that name the file, line and column and show the offending text.

use crate::config::{Cli, ContextPolicy};
use crate::files::located;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Keys that are not flags: per-context policy. Flags that make no sense in a file are left
/// out (`config`, subcommands); tokens are kept out on purpose (use the environment).
const NOT_IN_FILE: &[&str] = &[
    "config",
    "once",
    "prometheus_token",
    "mesh_prometheus_token",
    "alertmanager_token",
    "loki_token",
    "help",
    "version",
];

pub fn default_path() -> Option<PathBuf> {
    crate::files::config_dir().map(|d| d.join("config.toml"))
}

/// The settings of a file: flag arguments to add, and the context policies.
#[derive(Debug, Default)]
pub struct FileSettings {
    pub path: Option<PathBuf>,
    /// (flag id, argv pieces) for every flag the file sets.
    pub args: Vec<(String, Vec<OsString>)>,
    /// Where each of `args` is written (`file:line:column: key: \0` and the line), for a value
    /// clap then refuses.
    pub places: Vec<(String, String)>,
    pub contexts: BTreeMap<String, ContextPolicy>,
}

/// Reads and checks a configuration file; a missing default file is no error.
pub fn read(path: &Path) -> Result<FileSettings, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(path, &text)
}

/// A file that cannot be used as it is: what it still restricts, read key by key, so a typo
/// elsewhere never widens what opsdeck may do. `read-only` at the top and `read-only` /
/// `protected` under `[contexts.NAME]` are kept when they read as booleans; one that is there
/// but cannot be read, or a file that is not TOML at all, makes the run read-only. Returns the
/// settings to go on with and what to tell the user.
pub fn salvage(path: &Path, text: Option<&str>) -> (FileSettings, String) {
    let file = path.display().to_string();
    let read_only = || vec![("read_only".to_string(), vec![OsString::from("--read-only")])];
    let mut out = FileSettings {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    let Some(root) = text.and_then(|t| DeTable::parse(t).ok()) else {
        out.args = read_only();
        return (
            out,
            format!("{file} cannot be read as TOML: opsdeck runs read-only until it is fixed"),
        );
    };
    let mut forced = false;
    let boolean = |v: &DeValue| match v {
        DeValue::Boolean(b) => Some(*b),
        _ => None,
    };
    for (key, value) in root.get_ref() {
        match key.get_ref().as_ref() {
            "read-only" => match boolean(value.get_ref()) {
                Some(true) => out.args = read_only(),
                Some(false) => {}
                None => forced = true,
            },
            "contexts" => {
                let DeValue::Table(t) = value.get_ref() else {
                    forced = true;
                    continue;
                };
                for (name, policy) in t {
                    let DeValue::Table(pt) = policy.get_ref() else {
                        forced = true;
                        continue;
                    };
                    let mut p = ContextPolicy::default();
                    for (k, v) in pt {
                        let slot = match k.get_ref().as_ref() {
                            "read-only" => &mut p.read_only,
                            "protected" => &mut p.protected,
                            _ => continue,
                        };
                        // Unreadable: the stricter reading.
                        *slot = boolean(v.get_ref()).unwrap_or(true);
                    }
                    out.contexts.insert(name.get_ref().to_string(), p);
                }
            }
            _ => {}
        }
    }
    if forced {
        out.args = read_only();
        return (
            out,
            format!(
                "{file}: a restriction cannot be read, so opsdeck runs read-only until it is fixed"
            ),
        );
    }
    let kept: Vec<String> = out
        .args
        .iter()
        .map(|_| "read-only".to_string())
        .chain(
            out.contexts
                .iter()
                .filter(|(_, p)| p.read_only || p.protected)
                .map(|(n, _)| format!("[contexts.{n}]")),
        )
        .collect();
    let note = if kept.is_empty() {
        format!("the rest of {file} is ignored (it restricts nothing)")
    } else {
        format!(
            "the rest of {file} is ignored; its restrictions are kept: {}",
            kept.join(", ")
        )
    };
    (out, note)
}

/// A TOML value as the text clap reads for a flag, when it is a scalar.
fn scalar(v: &DeValue) -> Option<String> {
    match v {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n.to_string()),
        DeValue::Float(f) => f.as_str().parse::<f64>().ok().map(|x| x.to_string()),
        _ => None,
    }
}

/// `[contexts.NAME]`: `read-only` and `protected`, both true or false.
fn context_policy(
    say: &dyn Fn(Range<usize>, &str) -> String,
    name: &str,
    v: &Spanned<DeValue>,
) -> Result<ContextPolicy, String> {
    let DeValue::Table(t) = v.get_ref() else {
        return Err(say(v.span(), &format!("[contexts.{name}] must be a table")));
    };
    let mut p = ContextPolicy::default();
    for (k, val) in t {
        let slot = match k.get_ref().as_ref() {
            "read-only" => &mut p.read_only,
            "protected" => &mut p.protected,
            other => {
                return Err(say(
                    k.span(),
                    &format!(
                        "[contexts.{name}]: unknown field `{other}`, expected `read-only` or `protected`"
                    ),
                ));
            }
        };
        *slot = val.get_ref().as_bool().ok_or_else(|| {
            say(
                val.span(),
                &format!("[contexts.{name}] {}: must be true or false", k.get_ref()),
            )
        })?;
    }
    Ok(p)
}

pub fn parse(path: &Path, text: &str) -> Result<FileSettings, String> {
    let file = path.display().to_string();
    let say = |span: Range<usize>, msg: &str| located(&file, text, Some(span), msg);
    let root = DeTable::parse(text).map_err(|e| located(&file, text, e.span(), e.message()))?;
    let cmd = Cli::command();
    let mut out = FileSettings {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    for (key, value) in root.get_ref() {
        let k = key.get_ref().as_ref();
        if k == "contexts" {
            let DeValue::Table(t) = value.get_ref() else {
                return Err(say(key.span(), "contexts: a table of [contexts.NAME]"));
            };
            for (name, policy) in t {
                let p = context_policy(&say, name.get_ref(), policy)?;
                out.contexts.insert(name.get_ref().to_string(), p);
            }
            continue;
        }
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(k) && !NOT_IN_FILE.contains(&a.get_id().as_str()));
        let Some(arg) = arg else {
            return Err(say(
                key.span(),
                &format!(
                    "unknown key \"{k}\" (keys are the long flags of `opsdeck --help`, and [contexts.NAME])"
                ),
            ));
        };
        let id = arg.get_id().to_string();
        let flag = format!("--{}", arg.get_long().unwrap_or(k));
        let bad = |what: &str| say(value.span(), &format!("{k}: {what}"));
        let takes_value = arg.get_action().takes_values();
        let pieces: Vec<OsString> = match (value.get_ref(), takes_value) {
            (DeValue::Boolean(true), false) => vec![flag.into()],
            (DeValue::Boolean(false), false) => Vec::new(),
            (_, false) => return Err(bad("must be true or false")),
            (DeValue::Array(list), true) => list
                .iter()
                .map(|v| match v.get_ref() {
                    DeValue::String(s) => Ok(format!("{flag}={s}").into()),
                    _ => Err(say(v.span(), &format!("{k}: a list of strings"))),
                })
                .collect::<Result<_, _>>()?,
            (v, true) => match scalar(v) {
                Some(text) => vec![format!("{flag}={text}").into()],
                None => return Err(bad("must be a string, a number or a list of strings")),
            },
        };
        out.places
            .push((id.clone(), say(value.span(), &format!("{k}: \u{0}"))));
        out.args.push((id, pieces));
    }
    Ok(out)
}

/// Where a setting came from.
pub fn source_of(m: &ArgMatches, id: &str, from_file: &[String], file: Option<&Path>) -> String {
    match m.value_source(id) {
        Some(ValueSource::CommandLine) if from_file.iter().any(|f| f == id) => {
            format!(
                "file {}",
                file.map(|p| p.display().to_string()).unwrap_or_default()
            )
        }
        Some(ValueSource::CommandLine) => "command line".into(),
        Some(ValueSource::EnvVariable) => "environment".into(),
        Some(ValueSource::DefaultValue) => "default".into(),
        _ => "default".into(),
    }
}

/// The command line parsed with the file's settings under it: (parsed flags, matches, the flag
/// ids the file supplied, the file's settings).
pub fn parse_with_file(
    argv: Vec<OsString>,
    file: FileSettings,
) -> Result<(Cli, ArgMatches, Vec<String>, FileSettings), clap::Error> {
    let first = Cli::command().try_get_matches_from(argv.clone())?;
    let mut argv = argv;
    let mut from_file = Vec::new();
    for (id, pieces) in &file.args {
        let given = matches!(
            first.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if !given && !pieces.is_empty() {
            // Right after the program name: before any subcommand, whose own arguments
            // these are not.
            let at = 1.min(argv.len());
            argv.splice(at..at, pieces.iter().cloned());
            from_file.push(id.clone());
        }
    }
    let m = match Cli::command().try_get_matches_from(argv) {
        Ok(m) => m,
        // A value from the file clap refuses is named with its file, line and key.
        Err(e) => return Err(in_file(e, &file, &from_file)),
    };
    let cli = Cli::from_arg_matches(&m)?;
    Ok((cli, m, from_file, file))
}

/// Which of the file's settings clap refused, tried one by one, as a located error.
fn in_file(e: clap::Error, file: &FileSettings, from_file: &[String]) -> clap::Error {
    for (id, pieces) in &file.args {
        if !from_file.contains(id) {
            continue;
        }
        let mut alone = vec![OsString::from("opsdeck")];
        alone.extend(pieces.iter().cloned());
        if let Err(one) = Cli::command().try_get_matches_from(alone) {
            let why = one.to_string();
            let why = why
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            let place = file
                .places
                .iter()
                .find(|(i, _)| i == id)
                .map_or(why.clone(), |(_, at)| at.replace('\u{0}', &why));
            return clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{place}\n"),
            );
        }
    }
    e
}

/// `opsdeck config show`: every setting, its value and where it came from (tokens hidden).
pub fn show(m: &ArgMatches, from_file: &[String], file: &FileSettings) -> String {
    let mut out = String::new();
    match &file.path {
        Some(p) => out.push_str(&format!("# configuration file: {}\n", p.display())),
        None => out.push_str("# no configuration file\n"),
    }
    for arg in Cli::command().get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version" | "command") {
            continue;
        }
        let Some(long) = arg.get_long() else { continue };
        let values: Vec<String> = m
            .get_raw(id)
            .map(|v| v.map(|x| x.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let shown = if id.ends_with("token") && !values.is_empty() {
            "\"***\"".to_string()
        } else if !arg.get_action().takes_values() {
            m.get_flag(id).to_string()
        } else if values.is_empty() {
            "(unset)".to_string()
        } else if values.len() == 1 {
            format!("{:?}", values[0])
        } else {
            format!("{values:?}")
        };
        let src = source_of(m, id, from_file, file.path.as_deref());
        out.push_str(&format!("{long} = {shown}  # {src}\n"));
    }
    for (name, p) in &file.contexts {
        out.push_str(&format!(
            "[contexts.{name}] read-only = {}, protected = {}  # file\n",
            p.read_only, p.protected
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("config.toml")
    }

    #[test]
    fn flags_fill_in_under_the_command_line() {
        let f = parse(
            p(),
            "prometheus = \"http://prom:9090\"\nnamespace = [\"dev\", \"staging\"]\nread-only = true\nlog-lines = 1000\n[contexts.k3d-prod]\nprotected = true\n",
        )
        .unwrap();
        assert!(f.contexts["k3d-prod"].protected);
        let argv: Vec<OsString> = ["opsdeck", "--log-lines", "2000"]
            .iter()
            .map(OsString::from)
            .collect();
        let (cli, m, from_file, f) = parse_with_file(argv, f).unwrap();
        assert_eq!(cli.prometheus.as_deref(), Some("http://prom:9090"));
        assert_eq!(
            cli.namespaces,
            vec!["dev".to_string(), "staging".to_string()]
        );
        assert!(cli.read_only);
        assert_eq!(cli.log_lines, 2000, "the command line wins");
        let shown = show(&m, &from_file, &f);
        assert!(
            shown.contains("log-lines = \"2000\"  # command line"),
            "{shown}"
        );
        assert!(
            shown.contains("prometheus = \"http://prom:9090\"  # file config.toml"),
            "{shown}"
        );
        assert!(shown.contains("theme = \"dark\"  # default"), "{shown}");
    }

    #[test]
    fn a_broken_file_keeps_its_restrictions_or_makes_the_run_read_only() {
        let text = "read-only = true\nthme = \"light\"\n[contexts.prod]\nprotected = true\n";
        assert!(parse(p(), text).is_err());
        let (s, note) = salvage(p(), Some(text));
        assert_eq!(
            s.args,
            vec![("read_only".to_string(), vec![OsString::from("--read-only")])]
        );
        assert!(s.contexts["prod"].protected);
        assert!(
            note.contains("restrictions are kept: read-only, [contexts.prod]"),
            "{note}"
        );
        let (cli, ..) = parse_with_file(vec!["opsdeck".into()], s).unwrap();
        assert!(cli.read_only);
        // A restriction that cannot be read, or a file that is not TOML: read-only.
        for bad in [
            "read-only = \"yes\"\n",
            "[contexts.prod]\nprotected = 1\n",
            "contexts = 3\n",
            "read-only = [",
        ] {
            let (s, _) = salvage(p(), Some(bad));
            assert!(
                !s.args.is_empty() || s.contexts.values().any(|c| c.protected),
                "{bad}"
            );
        }
        assert!(!salvage(p(), Some("read-only = [")).0.args.is_empty());
        assert!(!salvage(p(), None).0.args.is_empty());
        // Nothing restricted, nothing forced.
        let (s, note) = salvage(p(), Some("thme = 1\n"));
        assert!(s.args.is_empty() && note.contains("restricts nothing"));
    }

    #[test]
    fn a_value_clap_refuses_is_named_with_its_place_in_the_file() {
        let s = parse(p(), "theme = \"dark\"\nlog-lines = -5\n").unwrap();
        let e = parse_with_file(vec!["opsdeck".into()], s)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.toml:2:13: log-lines: invalid value '-5'"),
            "{e}"
        );
        assert!(e.contains("2 | log-lines = -5"), "{e}");
    }

    #[test]
    fn broken_files_say_where() {
        let e = parse(p(), "theme = \"dark\"\nprometheus_url = \"x\"\n").unwrap_err();
        assert_eq!(
            e,
            "config.toml:2:1: unknown key \"prometheus_url\" (keys are the long flags of `opsdeck --help`, and [contexts.NAME])\n  2 | prometheus_url = \"x\"\n    | ^"
        );
        let e = parse(p(), "read-only = \"yes\"\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:1:13: read-only: must be true or false"),
            "the column of the value: {e}"
        );
        let e = parse(p(), "[contexts.prod]\nprotected = true\nread-only = 1\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:3:13: [contexts.prod] read-only: must be true or false"),
            "{e}"
        );
        let f = parse(p(), "log-lines = 1_000\nspeed = 2.5\n").unwrap();
        assert_eq!(f.args[0].1, vec![OsString::from("--log-lines=1000")]);
        let e = parse(p(), "prometheus-token = \"s3cret\"\n").unwrap_err();
        assert!(
            e.contains("unknown key \"prometheus-token\""),
            "tokens stay out of files: {e}"
        );
        let e = parse(p(), "theme = \n").unwrap_err();
        assert!(e.starts_with("config.toml:1:"), "{e}");
    }
}
