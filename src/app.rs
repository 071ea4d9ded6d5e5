//! The loop: `select!` over terminal events, the update channel and a 1 s tick. It drains every
//! pending update before drawing, draws only when something changed, and at most ~30 times a
//! second under a flood. Idle means no draws.

use crate::keymap::{Key, Keymap, Resolved};
use crate::model::{ActionOutcome, Operator};
use crate::ops::audit::AuditLog;
use crate::state::{AuditEntry, Command, Demand, FlashKind, Intent, State, TextKey, Update};
use crate::theme::Theme;
use crate::ui::{self, View};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use futures::future::BoxFuture;
use ratatui::DefaultTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The shortest time between two frames (~30 fps).
pub const FRAME: Duration = Duration::from_millis(33);

/// How a run ended, and the exit status that says so by convention (128 + the signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `q` (or `:quit`).
    Quit,
    /// Ctrl-C, read as a key in raw mode: as SIGINT would end it.
    Interrupt,
    Terminate,
    /// The terminal or the SSH session went away.
    Hangup,
    /// The terminal's input closed.
    InputClosed,
}

impl Ending {
    pub fn code(self) -> i32 {
        match self {
            Ending::Quit | Ending::InputClosed => 0,
            Ending::Interrupt => 130,
            Ending::Terminate => 143,
            Ending::Hangup => 129,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Ending::Quit => "quit by the user",
            Ending::Interrupt => "interrupted (Ctrl-C)",
            Ending::Terminate => "terminated (SIGTERM)",
            Ending::Hangup => "hung up (SIGHUP: the terminal or SSH session went away)",
            Ending::InputClosed => "the terminal's input closed",
        }
    }
}

/// What a key means now: text for an input, else the keymap's action in the active contexts.
/// `pending` holds the first keys of a sequence (`g g`) until it completes or breaks; a key that
/// breaks a sequence is read on its own.
pub fn intent_for_key(
    state: &State,
    keymap: &Keymap,
    pending: &mut Vec<Key>,
    k: KeyEvent,
) -> Option<Intent> {
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
            KeyCode::Tab => Some(Intent::Text(TextKey::Tab)),
            KeyCode::Up => Some(Intent::Text(TextKey::Up)),
            KeyCode::Down => Some(Intent::Text(TextKey::Down)),
            _ => None,
        };
    }
    let key = Key::from_event(k);
    let contexts = state.key_contexts();
    pending.push(key);
    let mut r = keymap.resolve_seq(pending, &contexts);
    if r == Resolved::None && pending.len() > 1 {
        // The sequence broke: read the last key on its own.
        pending.clear();
        pending.push(key);
        r = keymap.resolve_seq(pending, &contexts);
    }
    match r {
        Resolved::Intent(i) => {
            pending.clear();
            Some(i)
        }
        Resolved::Pending => None,
        Resolved::None => {
            pending.clear();
            None
        }
    }
}

/// Starts a live platform's tasks: updates go to the sender, the pollers read the demand.
pub type StartFn = Box<
    dyn FnOnce(mpsc::Sender<Update>, watch::Receiver<Demand>) -> Vec<tokio::task::JoinHandle<()>>
        + Send,
>;

/// A live platform set up for another context or namespaces, not started yet.
pub struct LiveSetup {
    pub operator: Arc<dyn Operator>,
    pub context: crate::state::Context,
    /// Starts the watches and pollers; called only after State has dropped the old context's data.
    pub start: StartFn,
}

/// Where `:ctx` / `:ns` should point.
#[derive(Clone, Debug)]
pub struct SwitchRequest {
    pub context: String,
    pub namespaces: Vec<String>,
}

/// Connects to a context (bounded) and prepares its watches.
pub type Switcher =
    Arc<dyn Fn(SwitchRequest) -> BoxFuture<'static, Result<LiveSetup, String>> + Send + Sync>;

/// A cluster of the fleet out of focus: its own State, sources, operator and demand, fed by
/// its own channel. Only its watches (and the routes, which its canaries' verdicts read) run
/// while it is out of focus; it is drawn only as its cell in the strip.
pub struct Member {
    pub state: State,
    pub operator: Arc<dyn Operator>,
    pub updates_tx: mpsc::Sender<Update>,
    pub updates_rx: mpsc::Receiver<Update>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    pub switcher: Option<Switcher>,
    pub demand: watch::Sender<Demand>,
}

/// Connects one more cluster of the fleet (`:fleet add NAME`), or again one that could not be
/// reached: a context of the kubeconfig, or in the demo a platform.
pub type Joiner = Arc<dyn Fn(String) -> BoxFuture<'static, Result<Member, String>> + Send + Sync>;

/// What the loop keeps for the fleet beyond its members: how to add one, the clusters on their
/// way, and when the all-clusters view last had its rows.
pub struct FleetCtl {
    pub joiner: Option<Joiner>,
    joined_tx: mpsc::Sender<(String, Result<Member, String>)>,
    joined_rx: mpsc::Receiver<(String, Result<Member, String>)>,
    /// Contexts being connected, so a second `:fleet add` of one does not start another.
    joining: Vec<String>,
    /// When the all-clusters view (false) or the timeline of every cluster (true) last had
    /// its entries.
    rows_at: Option<(bool, Instant)>,
}

impl FleetCtl {
    pub fn new(joiner: Option<Joiner>) -> FleetCtl {
        let (joined_tx, joined_rx) = mpsc::channel(4);
        FleetCtl {
            joiner,
            joined_tx,
            joined_rx,
            joining: Vec::new(),
            rows_at: None,
        }
    }
}

impl Default for FleetCtl {
    fn default() -> FleetCtl {
        FleetCtl::new(None)
    }
}

/// How often the all-clusters view's rows are gathered again while it is open.
const ROWS_EVERY: Duration = Duration::from_secs(1);

pub struct App {
    pub state: State,
    pub theme: Theme,
    pub keymap: Keymap,
    pub operator: Arc<dyn Operator>,
    pub audit: Arc<AuditLog>,
    pub updates_tx: mpsc::Sender<Update>,
    pub updates_rx: mpsc::Receiver<Update>,
    /// The watch tasks of the live platform (empty in the demo).
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Present on a live cluster: how to switch context or namespaces.
    pub switcher: Option<Switcher>,
    /// What the polling sources should fetch; published after every change of State.
    pub demand: watch::Sender<Demand>,
    /// How long an action may go unanswered before it is reported as such (`--action-timeout`).
    pub action_timeout: Duration,
    /// The other clusters of the fleet, in the strip's order with the focused one taken out
    /// at `focus_pos`.
    pub fleet: Vec<Member>,
    pub focus_pos: usize,
    /// A `:ctx`/`:ns` of the focused cluster is on its way: the focus stays until it answers,
    /// so its answer is the focused cluster's.
    pub switching: bool,
    /// Which cluster out of focus is read first next (each in turn).
    pub fleet_turn: usize,
    pub fleet_ctl: FleetCtl,
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
        self.write_audit(AuditEntry::outcome(&self.state.context, o));
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
    pub fn run_commands(
        &mut self,
        cmds: Vec<Command>,
        switched: &mpsc::Sender<Result<LiveSetup, String>>,
    ) -> bool {
        for c in cmds {
            match c {
                Command::Quit => return false,
                Command::FocusCluster { name, reveal } => {
                    self.focus_cluster(&name);
                    if let Some(r) = reveal
                        && self.state.context.name == name
                    {
                        self.state.reveal(&r);
                    }
                }
                Command::AddCluster(name) => self.add_cluster(name, switched),
                Command::Switch {
                    context,
                    namespaces,
                } => self.start_switch(context, namespaces, switched),
                Command::Audit(e) => self.write_audit(e),
                Command::Theme(name) => match crate::theme::Theme::load(&name) {
                    Ok(mut t) => {
                        t.ascii = self.theme.ascii;
                        self.theme = t;
                        self.state.flash(FlashKind::Ok, format!("✓ theme {name}"));
                    }
                    Err(e) => self.state.flash(FlashKind::Error, format!("✗ {e}")),
                },
                Command::Copy(text) => {
                    // The line is already free of control characters; where it went, and
                    // whether surely, is what the footer says.
                    let route = crate::ops::clipboard::Route::here();
                    let done = crate::ops::clipboard::copy(&text, &route, &mut std::io::stdout());
                    let kind = if done.certain {
                        FlashKind::Ok
                    } else {
                        FlashKind::Info
                    };
                    self.state.flash(kind, done.text);
                }
                Command::Run(req) => {
                    tracing::info!(action = req.kind.as_str(), target = %req.target, "action confirmed");
                    let op = self.operator.clone();
                    let tx = self.updates_tx.clone();
                    let deadline = self.action_timeout;
                    tokio::spawn(async move {
                        // Never silent: an answer, a refusal, or no answer by the deadline.
                        let result = crate::ops::answer_within(
                            deadline,
                            crate::ops::server_of(req.kind),
                            op.run(req.clone()),
                        )
                        .await;
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

    pub async fn run(mut self, terminal: &mut DefaultTerminal) -> color_eyre::Result<Ending> {
        let mut events = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let size = terminal.size()?;
        self.state.handle(Intent::Resize {
            width: size.width,
            height: size.height,
        });
        let (mut sigterm, mut sighup) = signals();
        let (switched_tx, mut switched_rx) = mpsc::channel::<Result<LiveSetup, String>>(4);
        let mut dirty = true;
        let mut pending: Vec<Key> = Vec::new();
        let mut last_draw = Instant::now() - FRAME;
        // A key is answered on the next turn of the loop, not at the next frame slot: the
        // ~30 fps cap is for floods of updates, and must not delay what the user typed.
        let mut key_seen = false;
        loop {
            if dirty {
                self.publish_demand();
            }
            if dirty && (key_seen || last_draw.elapsed() >= FRAME) {
                let view = View {
                    state: &self.state,
                    theme: &self.theme,
                    keymap: &self.keymap,
                };
                terminal.draw(|f| ui::draw(f, &view))?;
                last_draw = Instant::now();
                dirty = false;
                key_seen = false;
            }
            let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
            tokio::select! {
                // Keys first: under a flood of updates both are ready, and the key must win.
                biased;
                ev = events.next() => match ev {
                    Some(Ok(Event::Key(k))) => {
                        let ctrl_c = k.code == KeyCode::Char('c')
                            && k.modifiers.contains(KeyModifiers::CONTROL);
                        if let Some(intent) = intent_for_key(&self.state, &self.keymap, &mut pending, k) {
                            let cmds = self.state.handle(intent);
                            dirty = true;
                            key_seen = true;
                            if !self.run_commands(cmds, &switched_tx) {
                                return Ok(if ctrl_c { Ending::Interrupt } else { Ending::Quit });
                            }
                            self.refresh_fleet_rows(false);
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
                    None => return Ok(Ending::InputClosed),
                },
                Some(u) = self.updates_rx.recv() => {
                    dirty |= self.apply(u);
                    while let Ok(u) = self.updates_rx.try_recv() {
                        dirty |= self.apply(u);
                    }
                    // The focused cluster's own cell in the strip.
                    dirty |= self.refresh_strip();
                    dirty |= self.refresh_fleet_rows(false);
                }
                Some((i, u)) = recv_any(&mut self.fleet, self.fleet_turn) => {
                    // A cluster out of focus: drawn again only when its cell changes (or an
                    // action of its answers).
                    self.fleet_turn = i + 1;
                    dirty |= self.apply_to_member(i, u);
                    while let Ok(u) = self.fleet[i].updates_rx.try_recv() {
                        dirty |= self.apply_to_member(i, u);
                    }
                    // Its rollouts may have changed: its pollers follow them out of focus.
                    let m = &self.fleet[i];
                    let want = m.state.background_demand();
                    m.demand.send_if_modified(|d| {
                        let changed = *d != want;
                        *d = want;
                        changed
                    });
                    dirty |= self.refresh_strip();
                    dirty |= self.refresh_fleet_rows(false);
                }
                Some((name, joined)) = self.fleet_ctl.joined_rx.recv() => {
                    self.joined(name, joined);
                    dirty = true;
                }
                Some(result) = switched_rx.recv() => {
                    self.switch_to(result);
                    dirty = true;
                }
                _ = tick.tick() => {
                    tui_logger::move_events();
                    let now = chrono::Utc::now();
                    dirty |= self.state.tick(now);
                    for m in &mut self.fleet {
                        m.state.tick(now);
                    }
                    dirty |= self.refresh_strip();
                    dirty |= self.refresh_fleet_rows(true);
                }
                _ = tokio::time::sleep_until(next_frame), if dirty => {}
                _ = recv_signal(&mut sigterm) => {
                    return Ok(Ending::Terminate);
                }
                _ = recv_signal(&mut sighup) => {
                    return Ok(Ending::Hangup);
                }
            }
        }
    }
}

/// A cluster that could not be reached (at start, or when `:fleet add` tried it).
fn unreachable(s: &State) -> bool {
    s.unreachable.is_some()
}

/// The next update of any cluster out of focus, with its index, asking from `turn` on so
/// each gets its turn; pending while there is none.
async fn recv_any(fleet: &mut [Member], turn: usize) -> Option<(usize, Update)> {
    if fleet.is_empty() {
        return std::future::pending().await;
    }
    let n = fleet.len();
    std::future::poll_fn(|cx| {
        for k in 0..n {
            let i = (turn + k) % n;
            if let std::task::Poll::Ready(Some(u)) = fleet[i].updates_rx.poll_recv(cx) {
                return std::task::Poll::Ready(Some((i, u)));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

impl App {
    /// Applies an update to a cluster out of focus; an action's outcome is audited with its
    /// cluster's context and said on the screen, named after its cluster (true: say it).
    fn apply_to_member(&mut self, i: usize, u: Update) -> bool {
        let Some(m) = self.fleet.get_mut(i) else {
            return false;
        };
        let done = matches!(u, Update::ActionDone(_));
        if let Update::ActionDone(o) = &u {
            let entry = AuditEntry::outcome(&m.state.context, o);
            self.write_audit(entry);
        }
        let Some(m) = self.fleet.get_mut(i) else {
            return false;
        };
        m.state.apply(u);
        let said = m
            .state
            .flash
            .as_ref()
            .filter(|_| done)
            .map(|f| (f.kind, format!("{}: {}", m.state.context.name, f.text)));
        match said {
            Some((kind, text)) => {
                self.state.flash(kind, text);
                true
            }
            None => false,
        }
    }

    /// Every cluster's cell, in the strip's order.
    pub fn fleet_cells(&self) -> Vec<crate::state::FleetCell> {
        if self.fleet.is_empty() {
            return Vec::new();
        }
        let mut cells: Vec<_> = self
            .fleet
            .iter()
            .map(|m| m.state.fleet_cell(false))
            .collect();
        let at = self.focus_pos.min(cells.len());
        cells.insert(at, self.state.fleet_cell(true));
        cells
    }

    /// Starts a `:ctx`/`:ns` of the focused cluster; its answer comes on `switched`.
    fn start_switch(
        &mut self,
        context: Option<String>,
        namespaces: Option<Vec<String>>,
        switched: &mpsc::Sender<Result<LiveSetup, String>>,
    ) {
        let Some(switcher) = self.switcher.clone() else {
            self.state.flash(
                FlashKind::Error,
                "✗ the demo platform has one context and one namespace",
            );
            return;
        };
        let current = &self.state.context;
        let req = SwitchRequest {
            context: context.unwrap_or_else(|| current.name.clone()),
            namespaces: namespaces.unwrap_or_else(|| match current.namespace.as_str() {
                "all" => Vec::new(),
                ns => ns.split(',').map(str::to_string).collect(),
            }),
        };
        self.state
            .flash(FlashKind::Info, format!("… connecting to {}", req.context));
        self.switching = true;
        let tx = switched.clone();
        tokio::spawn(async move {
            let _ = tx.send(switcher(req).await).await;
        });
    }

    /// Hands the focused State the strip; true when it changed.
    pub fn refresh_strip(&mut self) -> bool {
        let cells = self.fleet_cells();
        self.state.set_fleet(cells)
    }

    /// Every cluster's rows for the all-clusters view, in the strip's order of clusters.
    pub fn fleet_rows(&self) -> Vec<crate::state::FleetRow> {
        let mut states: Vec<&State> = self.fleet.iter().map(|m| &m.state).collect();
        states.insert(self.focus_pos.min(states.len()), &self.state);
        states
            .iter()
            .enumerate()
            .flat_map(|(pos, s)| s.fleet_rows(pos))
            .collect()
    }

    /// While the all-clusters view is open, hands it every cluster's rows: at once when it has
    /// just opened, else at most once a second (`due`: the tick's turn); true when it changed.
    pub fn refresh_fleet_rows(&mut self, due: bool) -> bool {
        let timeline = self.state.fleet_timeline_open();
        if !self.state.fleet_view_open() && !timeline {
            self.fleet_ctl.rows_at = None;
            // Closed: every cluster's entries are not kept (each up to 1,000 per cluster).
            if !self.state.fleet_timeline.is_empty() {
                self.state.fleet_timeline = Vec::new();
            }
            return false;
        }
        let fresh = self
            .fleet_ctl
            .rows_at
            .is_some_and(|(view, at)| view == timeline && at.elapsed() < ROWS_EVERY && !due);
        if fresh {
            return false;
        }
        self.fleet_ctl.rows_at = Some((timeline, Instant::now()));
        if timeline {
            let mut entries: Vec<(String, crate::state::Change)> = Vec::new();
            let mut states: Vec<&State> = self.fleet.iter().map(|m| &m.state).collect();
            states.insert(self.focus_pos.min(states.len()), &self.state);
            for s in states {
                let name = &s.context.name;
                entries.extend(s.timeline.iter().map(|c| (name.clone(), c.clone())));
            }
            return self.state.set_fleet_timeline(entries);
        }
        let rows = self.fleet_rows();
        self.state.set_fleet_rows(rows)
    }

    /// `:fleet add NAME`: connects one more context beside the others (in the demo, a
    /// platform). One already watched is shown; one that could not be reached is tried again
    /// in its place.
    pub fn add_cluster(
        &mut self,
        name: String,
        switched: &mpsc::Sender<Result<LiveSetup, String>>,
    ) {
        // On the demo a platform's name stands for its cluster (`shop` for its EKS context,
        // `· time frozen` and all).
        let platform = crate::sources::demo::platform(&name).filter(|_| self.state.context.demo);
        let is = |c: &str| match platform {
            Some(p) => c == p.context || c.starts_with(&format!("{} · ", p.context)),
            None => c == name,
        };
        let known = self
            .fleet_cells()
            .into_iter()
            .map(|c| c.name)
            .find(|c| is(c));
        let here = is(&self.state.context.name);
        match known {
            Some(ctx) if here && unreachable(&self.state) => {
                // The cluster on screen: `:ctx` reconnects it where it is.
                self.start_switch(Some(ctx), None, switched);
                return;
            }
            Some(ctx)
                if !here
                    && !self
                        .fleet
                        .iter()
                        .any(|m| m.state.context.name == ctx && unreachable(&m.state)) =>
            {
                self.focus_cluster(&ctx);
                return;
            }
            _ if here => {
                let ctx = &self.state.context.name;
                self.state
                    .flash(FlashKind::Info, format!("{ctx} is the cluster on screen"));
                return;
            }
            _ => {}
        }
        let Some(joiner) = self.fleet_ctl.joiner.clone() else {
            self.state
                .flash(FlashKind::Error, "✗ no more clusters can be added here");
            return;
        };
        if self.fleet_ctl.joining.contains(&name) {
            self.state
                .flash(FlashKind::Info, format!("… still connecting to {name}"));
            return;
        }
        self.fleet_ctl.joining.push(name.clone());
        self.state
            .flash(FlashKind::Info, format!("… connecting to {name}"));
        let tx = self.fleet_ctl.joined_tx.clone();
        tokio::spawn(async move {
            let m = joiner(name.clone()).await;
            let _ = tx.send((name, m)).await;
        });
    }

    /// Waits for the next `:fleet add` to connect and puts it in the strip, as the loop does
    /// while it runs (for tests and tools driving an App without its loop).
    pub async fn next_join(&mut self) {
        if let Some((name, m)) = self.fleet_ctl.joined_rx.recv().await {
            self.joined(name, m);
        }
    }

    /// A cluster `:fleet add` connected: into the strip at the end, or in the place of the
    /// unreachable one it retries (the one on screen too). One already watched and answering
    /// keeps what it has, and gets the focus. Its sources run as any cluster's out of focus.
    fn joined(&mut self, name: String, joined: Result<Member, String>) {
        self.fleet_ctl.joining.retain(|n| n != &name);
        let mut m = match joined {
            Ok(m) => m,
            Err(e) => {
                self.state
                    .flash(FlashKind::Error, format!("✗ cannot add {name}: {e}"));
                return;
            }
        };
        let (w, h) = self.state.ui.size;
        m.state.set_size(w, h);
        m.demand.send_replace(m.state.background_demand());
        // Why it could not be reached this time, if it could not.
        let down = m.state.unreachable.clone();
        let ctx = m.state.context.name.clone();
        let known = self.fleet.iter().position(|x| x.state.context.name == ctx);
        let here = self.state.context.name == ctx;
        let retried = match known {
            _ if here && !unreachable(&self.state) => false,
            Some(i) if !unreachable(&self.fleet[i].state) => false,
            _ => true,
        };
        if (here || known.is_some()) && !retried {
            // Already watched and answering: what it shows stays.
            for t in m.tasks.drain(..) {
                t.abort();
            }
            self.focus_cluster(&ctx);
            return;
        }
        if here && self.switching {
            // A `:ctx` of it is on its way too: that one answers for the cluster on screen.
            for t in m.tasks.drain(..) {
                t.abort();
            }
            return;
        }
        if here {
            // The cluster on screen, unreachable until now: its new sources replace the dead;
            // what the screen shows (overlays, typing, sorts) stays.
            for t in self.tasks.drain(..) {
                t.abort();
            }
            let ui = std::mem::take(&mut self.state.ui);
            self.state = m.state;
            self.state.ui = ui;
            self.state.set_size(w, h);
            self.operator = m.operator;
            self.updates_tx = m.updates_tx;
            self.updates_rx = m.updates_rx;
            self.tasks = m.tasks;
            self.switcher = m.switcher;
            self.demand = m.demand;
        } else if let Some(i) = known {
            for t in self.fleet[i].tasks.drain(..) {
                t.abort();
            }
            self.fleet[i] = m;
        } else {
            self.fleet.push(m);
        }
        self.refresh_strip();
        let said = if let Some(why) = &down {
            let still = if retried && (here || known.is_some()) {
                "still "
            } else {
                ""
            };
            (
                FlashKind::Error,
                format!("✗ {still}cannot reach {ctx}: {why}"),
            )
        } else if here {
            (FlashKind::Ok, format!("✓ {ctx} reached"))
        } else {
            (
                FlashKind::Ok,
                format!("✓ watching {ctx} beside the others (] [ to show it)"),
            )
        };
        self.state.flash(said.0, said.1);
    }

    /// Moves the focus to the cluster of context `name`: its State is shown, the one shown
    /// goes out of focus (its demand down to its watches and routes).
    pub fn focus_cluster(&mut self, name: &str) {
        let cells = self.fleet_cells();
        let Some(p) = cells.iter().position(|c| c.name == name) else {
            self.state
                .flash(FlashKind::Error, format!("✗ {name} is not in the fleet"));
            return;
        };
        if p == self.focus_pos {
            return;
        }
        if self.switching {
            self.state.flash(
                FlashKind::Info,
                "… still connecting: the focus moves once the switch has answered",
            );
            return;
        }
        let idx = if p < self.focus_pos { p } else { p - 1 };
        let (w, h) = self.state.ui.size;
        // The all-clusters view stays open across `]`/`[`: it is every cluster's.
        let all = match &self.state.ui.overlay {
            Some(crate::state::Overlay::Fleet { selected }) => Some(*selected),
            _ => None,
        };
        let m = &mut self.fleet[idx];
        std::mem::swap(&mut self.state, &mut m.state);
        std::mem::swap(&mut self.operator, &mut m.operator);
        std::mem::swap(&mut self.updates_tx, &mut m.updates_tx);
        std::mem::swap(&mut self.updates_rx, &mut m.updates_rx);
        std::mem::swap(&mut self.tasks, &mut m.tasks);
        std::mem::swap(&mut self.switcher, &mut m.switcher);
        std::mem::swap(&mut self.demand, &mut m.demand);
        // The one that was shown keeps its place in the strip.
        let mut old = self.fleet.remove(idx);
        old.state.fleet_timeline = Vec::new();
        if let Some(selected) = all {
            old.state.ui.overlay = None;
            self.state.fleet_rows = std::mem::take(&mut old.state.fleet_rows);
            self.state.ui.overlay = Some(crate::state::Overlay::Fleet { selected });
        }
        let at = if self.focus_pos < p {
            self.focus_pos
        } else {
            self.focus_pos - 1
        };
        old.demand.send_replace(old.state.background_demand());
        self.fleet.insert(at, old);
        self.focus_pos = p;
        self.state.set_size(w, h);
        self.refresh_strip();
        let ctx = &self.state.context;
        self.state.flash(
            FlashKind::Ok,
            format!("✓ {} · ns {}", ctx.name, ctx.namespace),
        );
    }

    /// Cancels the old watches, forgets their data and queued updates, starts the new ones.
    fn switch_to(&mut self, result: Result<LiveSetup, String>) {
        self.switching = false;
        let setup = match result {
            Ok(s) => s,
            Err(e) => {
                let now = &self.state.context;
                self.state.flash(
                    FlashKind::Error,
                    format!(
                        "✗ switch failed, still watching {} · ns {}: {e}",
                        now.name, now.namespace
                    ),
                );
                return;
            }
        };
        for t in self.tasks.drain(..) {
            t.abort();
        }
        // What the old watches had queued belongs to the old context.
        while let Ok(u) = self.updates_rx.try_recv() {
            if !matches!(
                u,
                Update::Apps(_)
                    | Update::AppUpserted(_)
                    | Update::AppDeleted { .. }
                    | Update::Rollouts(_)
                    | Update::RolloutUpserted(_)
                    | Update::RolloutDeleted { .. }
                    | Update::SourceHealth { .. }
            ) {
                self.apply(u);
            }
        }
        tracing::info!(context = %setup.context.name, namespaces = %setup.context.namespace, "switched");
        self.operator = setup.operator;
        self.state.switch_context(setup.context);
        self.tasks = (setup.start)(self.updates_tx.clone(), self.demand.subscribe());
        self.refresh_strip();
    }

    /// Tells the pollers what is on screen now, if that changed.
    fn publish_demand(&self) {
        let now = self.state.demand();
        self.demand.send_if_modified(|d| {
            if *d == now {
                false
            } else {
                *d = now;
                true
            }
        });
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
