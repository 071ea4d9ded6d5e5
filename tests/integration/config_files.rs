//! Every bundled theme and keymap loads; every broken theme, keymap and configuration file in
//! `tests/broken/` fails with the message a user reads (snapshotted), naming file and line.

use opsdeck::config_file;
use opsdeck::keymap::{FLAVOURS, Keymap};
use opsdeck::theme::{BUILTIN, Theme};
use std::path::Path;

fn broken(name: &str) -> (String, String) {
    let path = format!("tests/broken/{name}");
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    (path, text)
}

#[test]
fn every_bundled_theme_and_keymap_loads() {
    for (name, _) in BUILTIN {
        Theme::builtin(name).unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, _) in FLAVOURS {
        let k = Keymap::load(name, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!k.contexts.is_empty(), "{name}");
    }
}

#[test]
fn vim_sequences_and_user_overrides() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use opsdeck::keymap::{Key, Resolved};
    use opsdeck::state::Intent;
    let k = Keymap::load("vim", None).unwrap_or_else(|e| panic!("{e}"));
    let g = Key::from_event(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE));
    use opsdeck::state::KeyContext::{Global, List, Rollouts};
    let ctx = [Rollouts, List, Global];
    assert_eq!(k.resolve_seq(&[g], &ctx), Resolved::Pending);
    assert_eq!(k.resolve_seq(&[g, g], &ctx), Resolved::Intent(Intent::Top));
    // A user file rebinding a key takes it from the action that had it.
    let user = (
        "keymap.toml".to_string(),
        "[global]\nhelp = [\"h\"]\n[rollouts]\npromote = [\"ctrl-p\"]\n".to_string(),
    );
    let k = Keymap::load("default", Some(user)).unwrap_or_else(|e| panic!("{e}"));
    let h = Key::parse("h").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(k.resolve(h, &[Global]), Some(Intent::Help));
    let p = Key::parse("p").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(k.resolve(p, &[Rollouts]), None, "promote moved to C-p");
    // clear-defaults starts from nothing.
    let user = (
        "keymap.toml".to_string(),
        "clear-defaults = true\n[global]\nquit = [\"x\"]\n".to_string(),
    );
    let k = Keymap::load("default", Some(user)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(k.contexts.len(), 1);
}

#[test]
fn broken_files_fail_with_the_message_a_user_reads() {
    let mut out = String::new();
    let theme_src = |name: &str| -> Result<(String, String), String> {
        match name {
            "mine" => Ok(broken("theme-cycle.toml")),
            "mine2" => Ok(broken("mine2.toml")),
            n => BUILTIN
                .iter()
                .find(|b| b.0 == n)
                .map(|b| (format!("themes/{n}.toml"), b.1.to_string()))
                .ok_or_else(|| format!("no theme \"{n}\"")),
        }
    };
    for f in [
        "theme-cycle.toml",
        "theme-bad-colour.toml",
        "theme-unknown-role.toml",
    ] {
        let (path, text) = broken(f);
        let e = Theme::parse_with(&path, &text, &theme_src)
            .err()
            .unwrap_or_else(|| panic!("{f} loaded"));
        out.push_str(&format!("{e}\n\n"));
    }
    for f in [
        "keymap-duplicate.toml",
        "keymap-prefix.toml",
        "keymap-unknown-action.toml",
        "keymap-bad-key.toml",
    ] {
        let (path, text) = broken(f);
        let e = Keymap::build(vec![(path, text)])
            .err()
            .unwrap_or_else(|| panic!("{f} loaded"));
        out.push_str(&format!("{e}\n\n"));
    }
    for f in [
        "config-unknown-key.toml",
        "config-bad-type.toml",
        "config-bad-context.toml",
        "config-syntax.toml",
    ] {
        let (path, text) = broken(f);
        let e = config_file::parse(Path::new(&path), &text)
            .err()
            .unwrap_or_else(|| panic!("{f} loaded"));
        out.push_str(&format!("{e}\n\n"));
    }
    insta::assert_snapshot!(out);
}

/// `opsdeck ARGS` with its stdout closed after the first bytes, as `| head -c 16` does.
fn into_closed_pipe(args: &[&str], config: &str) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = crate::support::temp_dir("pipe");
    let file = dir.join("config.toml");
    std::fs::write(&file, config).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("OPSDECK_CONFIG", &file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = [0u8; 16];
    let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let _ = out.read(&mut first);
    drop(out);
    let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (o.status, String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn printing_into_a_closed_pipe_ends_quietly() {
    for args in [&["completions", "bash"][..], &["config", "show"], &["man"]] {
        let (status, err) = into_closed_pipe(args, "log-lines = 1000\n");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(status.success(), "{args:?}: {status:?} {err}");
    }
}

#[test]
fn a_broken_file_keeps_read_only_and_config_check_sees_what_start_up_sees() {
    use std::process::Command;
    let dir = crate::support::temp_dir("salvage");
    let file = dir.join("config.toml");
    std::fs::write(&file, "read-only = true\nthme = \"light\"\n").unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["config", "show"])
        .env("OPSDECK_CONFIG", &file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("read-only = true"), "{out}");
    assert!(err.contains("restrictions are kept: read-only"), "{err}");
    std::fs::write(&file, "theme = \"purple\"\n").unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["config", "check"])
        .env("OPSDECK_CONFIG", &file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no theme \"purple\""));
}
