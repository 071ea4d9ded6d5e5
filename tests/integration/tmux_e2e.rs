//! End to end in a real terminal (tmux): start the demo, promote a paused rollout through
//! the confirmation, quit, and check the terminal was restored. Needs tmux (CI installs it).

use crate::support::temp_dir;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(tag: &str) -> Tmux {
        let t = Tmux {
            socket: format!("opsdeck-{tag}-{}", std::process::id()),
        };
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "keep",
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "tmux is needed for this test (apt-get install -y tmux)");
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start(&self, w: u16, h: u16, env: &[(&str, &str)], args: &[&str]) {
        self.start_with_exit_file(w, h, env, args, None)
    }

    /// opsdeck as a user with `NO_COLOR` runs it, its state in `state`.
    fn start_plain(&self, w: u16, h: u16, state: &str, args: &[&str]) {
        let env = [
            ("XDG_STATE_HOME", state),
            ("NO_COLOR", "1"),
            ("TERM", "xterm-256color"),
        ];
        self.start(w, h, &env, args)
    }

    /// With `exit_file`, a shell runs opsdeck and writes its exit status there.
    fn start_with_exit_file(
        &self,
        w: u16,
        h: u16,
        env: &[(&str, &str)],
        args: &[&str],
        exit_file: Option<&std::path::Path>,
    ) {
        let bin = env!("CARGO_BIN_EXE_opsdeck");
        let mut cmd = String::from("env");
        for (k, v) in env {
            cmd.push_str(&format!(" {k}='{v}'"));
        }
        cmd.push_str(&format!(" '{bin}'"));
        for a in args {
            cmd.push_str(&format!(" '{a}'"));
        }
        if let Some(f) = exit_file {
            cmd = format!(
                "sh -c \"{}; echo \\$? > '{}'\"",
                cmd.replace('"', "\\\""),
                f.display()
            );
        }
        let (w, h) = (w.to_string(), h.to_string());
        self.run(&["new-session", "-d", "-s", "app", "-x", &w, "-y", &h, &cmd]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "app"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "app", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn wait_for(&self, what: &str) -> String {
        self.wait_for_all(&[what])
    }

    /// Waits until the screen shows every one of `what` at once: a test waits for the data it
    /// then asserts, never for a title that comes before the data.
    fn wait_for_all(&self, what: &[&str]) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if what.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// With NO_COLOR: no colour code on screen, and no row wider than `w`.
    fn assert_plain_within(&self, screen: &str, w: usize) {
        let escaped = self.run(&["capture-pane", "-p", "-e", "-t", "app"]);
        for code in [
            "[31m", "[32m", "[33m", "[34m", "[38;", "[48;", "[41m", "[43m",
        ] {
            assert!(
                !escaped.contains(code),
                "colour code {code:?} with NO_COLOR:\n{escaped}"
            );
        }
        assert!(screen.lines().all(|l| l.chars().count() <= w), "{screen}");
    }

    fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "app", f])
            .trim()
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn promote_a_paused_rollout_and_quit_cleanly() {
    let dir = temp_dir("promote");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("promote");
    let exit_file = dir.join("exit");
    tmux.start_with_exit_file(
        120,
        40,
        &[("XDG_STATE_HOME", &state), ("TERM", "xterm-256color")],
        &["--demo", "--seed", "1", "--speed", "0"],
        Some(&exit_file),
    );
    let screen = tmux.wait_for("sources 6/6");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "runs in the alternate screen"
    );
    assert!(screen.contains("DEMO"), "{screen}");

    // Find the paused rollout with the filter, then promote it.
    tmux.keys(&["2", "/", "P", "a", "u", "s", "e", "d", "Enter"]);
    let screen = tmux.wait_for("⏸ Paused");
    // The focused Rollouts pane has the heavy border; its cell of the row is between ┃s.
    let row = screen
        .lines()
        .flat_map(|l| l.split('┃'))
        .find(|cell| cell.contains("⏸ Paused"))
        .unwrap_or_default()
        .to_string();
    let name = row
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(name, "user", "{screen}");
    assert!(row.contains("1/5"), "{row}");
    tmux.keys(&["p"]);
    let screen = tmux.wait_for("Promote rollout dev/user");
    assert!(
        screen.contains("user: step 1/5 pause → step 2/5 setWeight: 50"),
        "{screen}"
    );
    assert!(
        screen.contains("$ kubectl argo rollouts promote user -n dev"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("✓ promote user: step 2/5 setWeight: 50");
    // No longer paused, so the filter hides it now; Esc clears the filter.
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("◐ Progressing");
    let row = screen
        .lines()
        .flat_map(|l| l.split('┃'))
        .find(|c| c.starts_with("user "))
        .unwrap_or_default()
        .to_string();
    assert!(
        row.contains("2/5") && row.contains("Progressing"),
        "step advanced: {row}\n{screen}"
    );

    tmux.keys(&["q"]);
    let t0 = Instant::now();
    while tmux.format("#{pane_dead}") != "1" {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "opsdeck did not exit on q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::fs::read_to_string(&exit_file).unwrap_or_default();
    assert_eq!(status.trim(), "0", "exit status");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    let after = tmux.screen();
    assert!(
        !after.contains("Rollouts") && !after.contains("DEMO"),
        "UI left behind:\n{after}"
    );

    let audit =
        std::fs::read_to_string(dir.join("opsdeck").join("audit.jsonl")).unwrap_or_default();
    let line: serde_json::Value =
        serde_json::from_str(audit.lines().last().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(line["action"], "promote", "{audit}");
    assert_eq!(line["target"], "dev/user");
    assert_eq!(line["before"], "step 1/5 pause");
    assert_eq!(line["after"], "step 2/5 setWeight: 50");
    assert_eq!(line["result"], "ok");
    assert_eq!(line["command"], "kubectl argo rollouts promote user -n dev");
}

#[test]
fn no_color_writes_no_colour_codes_and_fits_80x24() {
    let dir = temp_dir("nocolor");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("nocolor");
    tmux.start_plain(
        80,
        24,
        &state,
        &["--demo", "--scenario", "bad-canary", "--speed", "0"],
    );
    let screen = tmux.wait_for_all(&["⏸ Paused", "store"]);
    tmux.assert_plain_within(&screen, 80);
    tmux.keys(&["q"]);
}

#[test]
fn themes_switch_live_map_to_256_colours_and_ascii_draws_no_box_or_braille() {
    let dir = temp_dir("themes");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("themes");
    // A 256-colour terminal without COLORTERM: no 24-bit codes may be written.
    tmux.start(
        120,
        40,
        &[
            ("XDG_STATE_HOME", &state),
            ("XDG_CONFIG_HOME", &state),
            ("TERM", "xterm-256color"),
            ("COLORTERM", ""),
        ],
        &["--demo", "--theme", "light", "--speed", "0"],
    );
    tmux.wait_for("⏸ Paused");
    let escaped = tmux.run(&["capture-pane", "-p", "-e", "-t", "app"]);
    assert!(escaped.contains("[38;5;"), "256-colour codes:\n{escaped}");
    assert!(
        !escaped.contains("[38;2;"),
        "no 24-bit codes on a 256-colour terminal"
    );
    // `:theme` through the palette, live.
    tmux.keys(&[":", "t", "h", "e", "m", "e", " ", "h", "i", "g", "h"]);
    tmux.wait_for(":theme high");
    tmux.keys(&["Enter"]);
    tmux.wait_for("✓ theme high-contrast");
    tmux.keys(&["q"]);

    // NO_COLOR at 120×40: the full layout, not a single colour code.
    let tmux = Tmux::new("nocolor120");
    tmux.start_plain(120, 40, &state, &["--demo", "--speed", "0"]);
    // Wait for the data (a paused rollout), not a pane title: a screen still loading would
    // pass the colour check without showing anything.
    tmux.wait_for("⏸ Paused");
    let escaped = tmux.run(&["capture-pane", "-p", "-e", "-t", "app"]);
    for code in [
        "[31m", "[32m", "[33m", "[34m", "[38;", "[48;", "[41m", "[43m",
    ] {
        assert!(
            !escaped.contains(code),
            "{code:?} with NO_COLOR:\n{escaped}"
        );
    }
    tmux.keys(&["q"]);

    let tmux = Tmux::new("ascii");
    tmux.start(
        120,
        40,
        &[("XDG_STATE_HOME", &state), ("TERM", "xterm-256color")],
        &["--demo", "--ascii", "--speed", "0"],
    );
    // The data it then checks, not the title (on a loaded machine the title comes first).
    let screen = tmux.wait_for("store");
    assert!(
        screen.is_ascii(),
        "non-ASCII on screen with --ascii:\n{screen}"
    );
    assert!(
        screen.contains("+-") && screen.contains("store"),
        "{screen}"
    );
    // The focused pane is told apart without colour ("#=" borders), and no status glyph is
    // a "+" that could pass for a corner: "♥ Healthy" reads "v Healthy".
    assert!(screen.contains("#=") && screen.contains("=#"), "{screen}");
    assert!(
        screen.contains("v Healthy") && !screen.contains("+ Healthy"),
        "{screen}"
    );
    tmux.keys(&["q"]);
}

#[test]
fn a_broken_config_is_shown_then_the_defaults_go_on_or_strict_stops() {
    let dir = temp_dir("brokencfg");
    let cfg = dir.join("opsdeck");
    std::fs::create_dir_all(&cfg).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        cfg.join("config.toml"),
        "theme = \"light\"\nprometheus-url = \"x\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let d = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("brokencfg");
    tmux.start(
        120,
        40,
        &[("XDG_STATE_HOME", &d), ("XDG_CONFIG_HOME", &d)],
        &["--demo", "--speed", "0"],
    );
    let screen = tmux.wait_for("Press Enter");
    assert!(
        screen.contains("config.toml:2:1: unknown key \"prometheus-url\"")
            && screen.contains("2 | prometheus-url = \"x\""),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("Rollouts");
    tmux.keys(&["q"]);
    // --strict: the same message, and exit status 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--demo", "--strict"])
        .env("XDG_CONFIG_HOME", &d)
        .env("XDG_STATE_HOME", &d)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown key \"prometheus-url\"") && err.contains("--strict"),
        "{err}"
    );
    // `config check` says the same and fails; `config show` tells where values come from.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["config", "check"])
        .env("XDG_CONFIG_HOME", &d)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        cfg.join("config.toml"),
        "theme = \"light\"\n[contexts.prod]\nprotected = true\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--log-lines", "1000", "config", "show"])
        .env("XDG_CONFIG_HOME", &d)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let show = String::from_utf8_lossy(&out.stdout);
    assert!(show.contains("theme = \"light\"  # file"), "{show}");
    assert!(
        show.contains("log-lines = \"1000\"  # command line"),
        "{show}"
    );
    assert!(
        show.contains("[contexts.prod] read-only = false, protected = true"),
        "{show}"
    );
}

/// The pid of a child of `parent`, read from /proc (no procps needed).
fn child_of(parent: &str) -> Option<String> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid = e.file_name().to_string_lossy().to_string();
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // pid (comm) state ppid …: the comm may hold spaces, so read after its ')'.
        let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
        (ppid == parent).then_some(pid)
    })
}

/// Waits for the exit file the pane's shell writes; its status.
fn exit_status(file: &std::path::Path) -> String {
    let t0 = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(file)
            && !s.trim().is_empty()
        {
            return s.trim().to_string();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "opsdeck did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo at 100×30 under a shell that writes its exit status to a file; once drawn.
fn demo_with_exit_file(
    tag: &str,
    state: &str,
    dir: &std::path::Path,
) -> (Tmux, std::path::PathBuf) {
    let tmux = Tmux::new(tag);
    let exit_file = dir.join(format!("exit-{tag}"));
    tmux.start_with_exit_file(
        100,
        30,
        &[("XDG_STATE_HOME", state)],
        &["--demo"],
        Some(&exit_file),
    );
    tmux.wait_for("2 Rollouts");
    (tmux, exit_file)
}

#[test]
fn sigterm_restores_the_terminal_and_the_exit_status_says_how_it_ended() {
    let dir = temp_dir("sigterm");
    let state = dir.to_string_lossy().to_string();
    let (tmux, exit_file) = demo_with_exit_file("sigterm", &state, &dir);
    // The pane runs a shell, whose child `env` execs opsdeck.
    let shell = tmux.format("#{pane_pid}");
    let pid = child_of(&shell).unwrap_or_else(|| panic!("no child of {shell}"));
    let ok = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok);
    // By convention 128 + 15, the terminal restored, and the log's last line says how.
    assert_eq!(exit_status(&exit_file), "143");
    assert_eq!(tmux.format("#{alternate_on}"), "0");
    let log = std::fs::read_to_string(dir.join("opsdeck/opsdeck.log")).unwrap_or_default();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.contains("exited: terminated (SIGTERM) (status 143)"),
        "{last}"
    );

    // Ctrl-C: 130, as SIGINT would end it.
    let (tmux, exit_file) = demo_with_exit_file("ctrlc", &state, &dir);
    tmux.keys(&["C-c"]);
    assert_eq!(exit_status(&exit_file), "130");
}

#[test]
fn the_shop_platform_shows_opensearch_logs_at_80x24_without_colour_and_at_200x60() {
    let dir = temp_dir("shop");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("shop");
    tmux.start(
        200,
        60,
        &[("XDG_STATE_HOME", &state), ("TERM", "xterm-256color")],
        &[
            "--demo",
            "--platform",
            "shop",
            "--scenario",
            "bad-canary",
            "--speed",
            "20",
            "--theme",
            "light",
        ],
    );
    // The header names the store and its version; the pane shows the query DSL it sends and
    // the goods canary's failures, tagged as the canary's.
    let screen = tmux.wait_for_all(&[
        "opensearch 2.11.1 ✓",
        "{\"bool\":{\"filter\":",
        "GoodsDisplayController",
        "canary",
    ]);
    assert!(screen.contains("goods"), "{screen}");
    tmux.keys(&["q"]);
    drop(tmux);
    let tmux = Tmux::new("shop80");
    tmux.start_plain(
        80,
        24,
        &state,
        &[
            "--demo",
            "--platform",
            "shop",
            "--scenario",
            "bad-canary",
            "--speed",
            "0",
        ],
    );
    let screen = tmux.wait_for_all(&["Rollouts 10", "Apps 22", "time frozen"]);
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    // The logs are searched once they are on screen, from the frozen platform's history.
    tmux.keys(&["5"]);
    let screen = tmux.wait_for_all(&["Error logs following {\"bool\"", "GoodsDisplayController"]);
    tmux.assert_plain_within(&screen, 80);
    tmux.keys(&["q"]);
}

#[test]
fn copying_a_log_line_inside_tmux_fills_its_buffer_and_says_so() {
    let dir = temp_dir("copy");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("copy");
    tmux.start(
        120,
        40,
        &[("XDG_STATE_HOME", &state), ("TERM", "xterm-256color")],
        &["--demo", "--seed", "1", "--speed", "0"],
    );
    tmux.wait_for("sources 6/6");
    // The logs pane, pause on a line, copy it.
    tmux.keys(&["5", "f", "y"]);
    let screen = tmux.wait_for("into tmux's paste buffer");
    assert!(
        screen.contains("passed to the terminal's clipboard (set-clipboard external)"),
        "{screen}"
    );
    let buffer = tmux.run(&["show-buffer"]);
    assert!(
        buffer.contains(" ERROR ") || buffer.contains(" WARN "),
        "the line is in tmux's buffer: {buffer:?}"
    );
    // With set-clipboard off, it says the terminal's clipboard is not set.
    tmux.run(&["set-option", "-g", "set-clipboard", "off"]);
    tmux.keys(&["y"]);
    tmux.wait_for("set-clipboard is off");
    tmux.keys(&["q"]);
}

#[test]
fn x_on_an_error_line_opens_its_trace_and_the_fleet_strip_moves_between_clusters_at_80x24() {
    let dir = temp_dir("trace");
    let state = dir.to_string_lossy().to_string();
    let tmux = Tmux::new("trace");
    tmux.start_plain(
        80,
        24,
        &state,
        &[
            "--demo",
            "--platform",
            "checkmate,titanium",
            "--scenario",
            "bad-canary",
            "--speed",
            "0",
        ],
    );
    // Two clusters: the strip, the focused one first.
    let screen = tmux.wait_for_all(&["▶ ✗ k3d-dev", "titanium"]);
    tmux.assert_plain_within(&screen, 80);
    // The newest of the bad canary's error lines (filtered to them), and its trace: its
    // spans on one axis, the mapping that threw marked.
    tmux.keys(&["5"]);
    tmux.wait_for("Error logs");
    tmux.keys(&["/", "ProductController", "Enter"]);
    tmux.keys(&["x"]);
    let screen = tmux.wait_for_all(&["trace ", "spans", "✗", "█", "PriceMapper"]);
    tmux.assert_plain_within(&screen, 80);
    // The root span's details, then back to the logs.
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&["attributes", "http.status_code = 500"]);
    tmux.keys(&["x"]);
    tmux.wait_for("Error logs");
    // The other cluster, and back.
    tmux.keys(&["]"]);
    let screen = tmux.wait_for("▶ ✗ solid-titanium");
    assert!(screen.contains("blog-service"), "{screen}");
    tmux.keys(&["["]);
    tmux.wait_for("▶ ✗ k3d-dev");
    // The timeline of every cluster, each entry with its cluster; F again: this one's.
    tmux.keys(&["t", "F"]);
    let screen = tmux.wait_for("Change timeline · all clusters");
    tmux.assert_plain_within(&screen, 80);
    let tagged = screen
        .lines()
        .filter(|l| l.contains('║') && (l.contains("k3d-dev") || l.contains("solid-")))
        .count();
    assert!(tagged > 3, "each entry with its cluster:\n{screen}");
    tmux.keys(&["F"]);
    let screen = tmux.wait_for("Change timeline · ");
    assert!(!screen.contains("all clusters"), "{screen}");
    tmux.keys(&["t"]);
    // All clusters in one table, problems first; Enter shows the titanium canary's cockpit.
    tmux.keys(&["F"]);
    let screen = tmux.wait_for_all(&["All clusters · 2 clusters", "blog-service", "roll"]);
    tmux.assert_plain_within(&screen, 80);
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("║✗")).collect();
    assert!(
        rows.len() >= 2 && rows.iter().any(|l| l.contains("solid-titani")),
        "{screen}"
    );
    tmux.keys(&["j", "Enter"]);
    let screen = tmux.wait_for("▶ ✗ solid-titanium");
    assert!(
        screen.contains("blog-service canary"),
        "its cockpit:\n{screen}"
    );
    // One more platform while running; asked again, it is shown, not added twice.
    tmux.keys(&[":", "fleet add shop", "Enter"]);
    let screen = tmux.wait_for("watching arn:aws:eks");
    assert_eq!(
        screen
            .lines()
            .nth(1)
            .unwrap_or_default()
            .matches("│")
            .count(),
        2,
        "{screen}"
    );
    tmux.keys(&[":", "fleet add shop", "Enter"]);
    let screen = tmux.wait_for("ns shop-api");
    let strip = screen.lines().nth(1).unwrap_or_default().to_string();
    let at = |s: &str| strip.find(s).unwrap_or(usize::MAX);
    assert!(
        at("solid") < at("▶") && at("▶") < at("arn:aws") && at("arn:aws") < usize::MAX,
        "{strip}"
    );
    assert_eq!(strip.matches("│").count(), 2, "{strip}");
    tmux.keys(&["q"]);
}
