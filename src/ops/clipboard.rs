//! Copying a line to the clipboard, and saying honestly how far it got. Outside a multiplexer
//! the line goes to the terminal as OSC 52 (which works over SSH, if the terminal allows it —
//! opsdeck cannot know, and says so). Inside tmux, OSC 52 from a program is dropped unless
//! `set-clipboard on`, so the line goes into tmux's paste buffer with `tmux load-buffer -w`,
//! which also passes it to the terminal's clipboard when `set-clipboard` is not `off`; when the
//! tmux command fails, OSC 52 goes through tmux's passthrough (needs `allow-passthrough on`).
//! Inside GNU screen, OSC 52 is wrapped in screen's passthrough.

use base64::Engine;
use std::io::Write;
use std::process::{Command, Stdio};

/// The most a copy sends (terminals cap OSC 52; tmux's buffers are unbounded).
pub const MAX_COPY: usize = 100_000;

/// Where the line went, in the words the footer shows, and whether it surely arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub certain: bool,
    pub text: String,
}

/// Where a copy can go from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Terminal,
    Tmux,
    Screen,
}

impl Route {
    /// From the environment: `TMUX` inside tmux, `STY` inside screen.
    pub fn here() -> Route {
        if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) {
            Route::Tmux
        } else if std::env::var_os("STY").is_some_and(|v| !v.is_empty()) {
            Route::Screen
        } else {
            Route::Terminal
        }
    }
}

fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Cuts to [`MAX_COPY`] bytes on a character boundary.
fn capped(text: &str) -> &str {
    let mut end = text.len().min(MAX_COPY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How long a tmux command may take: the loop waits for it, so a hung tmux server must not
/// freeze the screen.
const TMUX_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

/// Runs `tmux ARGS` with `input` on its stdin, at most [`TMUX_WAIT`]; its stdout, or its error
/// in tmux's words.
fn tmux(args: &[&str], input: Option<&str>) -> Result<String, String> {
    let mut child = Command::new("tmux")
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tmux: {e}"))?;
    // Written from a thread, so a tmux that does not read cannot block us either.
    let writer = child
        .stdin
        .take()
        .zip(input.map(str::to_string))
        .map(|(mut stdin, text)| {
            std::thread::spawn(move || {
                let _ = stdin.write_all(text.as_bytes());
            })
        });
    let t0 = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if t0.elapsed() < TMUX_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "tmux did not answer within {} ms",
                    TMUX_WAIT.as_millis()
                ));
            }
            Err(e) => return Err(format!("tmux: {e}")),
        }
    }
    if let Some(w) = writer {
        let _ = w.join();
    }
    let out = child.wait_with_output().map_err(|e| format!("tmux: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `tmux load-buffer -w -` with the text on its stdin.
fn tmux_load(text: &str) -> Result<(), String> {
    tmux(&["load-buffer", "-w", "-"], Some(text)).map(|_| ())
}

fn tmux_option(name: &str) -> Option<String> {
    tmux(&["show-options", "-gv", name], None).ok()
}

/// OSC 52 through GNU screen: screen passes a DCS string on, but only up to 768 bytes, so the
/// sequence goes in pieces of 76, each in its own `ESC P … ESC \`.
fn through_screen(seq: &str) -> String {
    seq.as_bytes()
        .chunks(76)
        .map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c)))
        .collect()
}

/// Copies `text` by `route`, writing escape sequences to `out` (the terminal).
pub fn copy(text: &str, route: &Route, out: &mut impl Write) -> Copied {
    let text = capped(text);
    let n = text.len();
    let mut send = |seq: &str| out.write_all(seq.as_bytes()).and_then(|_| out.flush());
    match route {
        Route::Terminal => match send(&osc52(text)) {
            Ok(()) => Copied {
                certain: false,
                text: format!(
                    "sent {n} bytes to the terminal's clipboard (OSC 52: the terminal must allow it)"
                ),
            },
            Err(e) => Copied {
                certain: false,
                text: format!("not copied: cannot write to the terminal: {e}"),
            },
        },
        Route::Screen => match send(&through_screen(&osc52(text))) {
            Ok(()) => Copied {
                certain: false,
                text: format!(
                    "sent {n} bytes through screen to the terminal's clipboard (OSC 52: the terminal must allow it)"
                ),
            },
            Err(e) => Copied {
                certain: false,
                text: format!("not copied: cannot write to the terminal: {e}"),
            },
        },
        Route::Tmux => match tmux_load(text) {
            Ok(()) => {
                let clip = tmux_option("set-clipboard").unwrap_or_default();
                let onward = if clip == "off" {
                    "; set-clipboard is off, so the terminal's clipboard is not set".to_string()
                } else {
                    format!(" and passed to the terminal's clipboard (set-clipboard {clip})")
                };
                Copied {
                    certain: true,
                    text: format!("✓ copied {n} bytes into tmux's paste buffer (prefix ]){onward}"),
                }
            }
            Err(e) => {
                // Through tmux to the terminal, if tmux lets it pass.
                let sent = send(&format!(
                    "\x1bPtmux;{}\x1b\\",
                    osc52(text).replace('\x1b', "\x1b\x1b")
                ));
                let pass = tmux_option("allow-passthrough").unwrap_or_default();
                Copied {
                    certain: false,
                    text: match sent {
                        Ok(()) => format!(
                            "tmux's buffer was not set ({e}); sent {n} bytes through tmux's passthrough (allow-passthrough {pass})"
                        ),
                        Err(w) => format!(
                            "not copied: tmux's buffer was not set ({e}) and the terminal cannot be written: {w}"
                        ),
                    },
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_osc52_and_is_not_claimed_to_have_taken_it() {
        let mut out = Vec::new();
        let c = copy("héllo", &Route::Terminal, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), "\x1b]52;c;aMOpbGxv\x07");
        assert!(!c.certain);
        assert!(c.text.contains("the terminal must allow it"), "{}", c.text);
        let mut out = Vec::new();
        copy("x", &Route::Screen, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "\x1bP\x1b]52;c;eA==\x07\x1b\\"
        );
        // Over the cap: cut on a character boundary.
        let long = "é".repeat(MAX_COPY);
        assert!(capped(&long).len() <= MAX_COPY && capped(&long).len().is_multiple_of(2));
    }
}
