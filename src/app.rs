//! The loop: `select!` over terminal events, the update channel and a 1 s tick. It drains every
//! pending update before drawing, draws only when something changed, and at most ~30 times a
//! second under a flood. Idle means no draws.

use crate::keymap::{Key, Keymap};
use crate::ops::audit::{AuditEntry, AuditLog};
use crate::ops::{ActionOutcome, Operator};
use crate::state::{Command, Intent, State, TextKey, Update};
use crate::theme::Theme;
use crate::ui::{self, View};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The shortest time between two frames (~30 fps).
pub const FRAME: Duration = Duration::from_millis(33);

/// What a key means now: text for an input, else the keymap's action in the active contexts.
pub fn intent_for_key(state: &State, keymap: &Keymap, k: KeyEvent) -> Option<Intent> {
    if k.kind != KeyEventKind::Press {
        return None;
    }
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Intent::Quit);
    }
    if state.text_input_active() {
        return match k.code {
            KeyCode::Char(c) => Some(Intent::Text(TextKey::Char(c))),
            KeyCode::Backspace => Some(Intent::Text(TextKey::Backspace)),
            KeyCode::Enter => Some(Intent::Text(TextKey::Enter)),
            KeyCode::Esc => Some(Intent::Text(TextKey::Esc)),
            _ => None,
        };
    }
    keymap.resolve(Key::from_event(k), &state.key_contexts())
}

pub struct App {
    pub state: State,
    pub theme: Theme,
    pub keymap: Keymap,
    pub operator: Arc<dyn Operator>,
    pub audit: Arc<AuditLog>,
    pub updates_tx: mpsc::Sender<Update>,
    pub updates_rx: mpsc::Receiver<Update>,
}

impl App {
    /// Applies an update; an action's outcome is also written to the audit log.
    fn apply(&mut self, u: Update) -> bool {
        if let Update::ActionDone(o) = &u {
            self.audit_outcome(o);
        }
        self.state.apply(u)
    }

    fn audit_outcome(&self, o: &ActionOutcome) {
        let (after, result) = match &o.result {
            Ok(a) => (a.clone(), "ok".to_string()),
            Err(e) => (String::new(), format!("error: {e}")),
        };
        let entry = AuditEntry::new(
            chrono::Utc::now(),
            &self.state.context.name,
            o.request.kind,
            Some(&o.request),
            o.request.target.to_string(),
            after,
            result,
        );
        self.write_audit(entry);
    }

    fn write_audit(&self, entry: AuditEntry) {
        let audit = self.audit.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = audit.append(&entry) {
                tracing::error!("cannot write the audit log {}: {e}", audit.path().display());
            }
        });
    }

    /// Runs commands from State; returns false when it is time to quit.
    fn run_commands(&mut self, cmds: Vec<Command>) -> bool {
        for c in cmds {
            match c {
                Command::Quit => return false,
                Command::Audit(e) => self.write_audit(e),
                Command::Run(req) => {
                    tracing::info!(action = req.kind.as_str(), target = %req.target, "action confirmed");
                    let op = self.operator.clone();
                    let tx = self.updates_tx.clone();
                    tokio::spawn(async move {
                        let result = op.run(req.clone()).await;
                        if let Err(e) = &result {
                            tracing::warn!(action = req.kind.as_str(), target = %req.target, "action failed: {e}");
                        }
                        let _ = tx
                            .send(Update::ActionDone(ActionOutcome {
                                request: req,
                                result,
                            }))
                            .await;
                    });
                }
            }
        }
        true
    }

    pub async fn run(mut self, terminal: &mut DefaultTerminal) -> color_eyre::Result<()> {
        let mut events = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let size = terminal.size()?;
        self.state.handle(Intent::Resize {
            width: size.width,
            height: size.height,
        });
        let (mut sigterm, mut sighup) = signals();
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        loop {
            if dirty && last_draw.elapsed() >= FRAME {
                let view = View {
                    state: &self.state,
                    theme: &self.theme,
                    keymap: &self.keymap,
                };
                terminal.draw(|f| ui::draw(f, &view))?;
                last_draw = Instant::now();
                dirty = false;
            }
            let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(Event::Key(k))) => {
                        if let Some(intent) = intent_for_key(&self.state, &self.keymap, k) {
                            let cmds = self.state.handle(intent);
                            dirty = true;
                            if !self.run_commands(cmds) {
                                return Ok(());
                            }
                        }
                    }
                    Some(Ok(Event::Resize(w, h))) => {
                        self.state.handle(Intent::Resize { width: w, height: h });
                        terminal.autoresize()?;
                        dirty = true;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::error!("terminal input failed: {e}");
                        return Err(e.into());
                    }
                    None => return Ok(()),
                },
                Some(u) = self.updates_rx.recv() => {
                    dirty |= self.apply(u);
                    while let Ok(u) = self.updates_rx.try_recv() {
                        dirty |= self.apply(u);
                    }
                }
                _ = tick.tick() => {
                    tui_logger::move_events();
                    dirty |= self.state.tick(chrono::Utc::now());
                }
                _ = tokio::time::sleep_until(next_frame), if dirty => {}
                _ = recv_signal(&mut sigterm) => {
                    tracing::info!("SIGTERM: restoring the terminal and exiting");
                    return Ok(());
                }
                _ = recv_signal(&mut sighup) => {
                    tracing::info!("SIGHUP (terminal or SSH connection gone): exiting");
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(unix)]
type Sig = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Sig = Option<()>;

#[cfg(unix)]
fn signals() -> (Sig, Sig) {
    use tokio::signal::unix::{SignalKind, signal};
    (
        signal(SignalKind::terminate()).ok(),
        signal(SignalKind::hangup()).ok(),
    )
}
#[cfg(not(unix))]
fn signals() -> (Sig, Sig) {
    (None, None)
}

#[cfg(unix)]
async fn recv_signal(s: &mut Sig) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
#[cfg(not(unix))]
async fn recv_signal(_: &mut Sig) {
    std::future::pending::<()>().await
}
