//! Pure rendering: `draw(frame, &View)` never fetches, blocks or mutates.
//! One function per pane; each pane shows Loading, Empty, Error (with the age of its last
//! good data) or Data explicitly.

mod alerts;
mod apps;
mod cockpit;
mod cpu;
mod diff;
mod fleet;
mod footer;
mod header;
mod logs;
mod names;
mod object;
mod overlays;
pub mod plain;
mod platform;
mod pod_log;
mod pods;
mod rollouts;
mod routes;
mod routes_istio;
pub mod status;
mod text;
pub(crate) mod trace;

use crate::keymap::Keymap;
use crate::layout::{self, Pane};
pub use crate::model::time::{fmt_age, fmt_window};
use crate::state::{Health, Screen, SourceId, State};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// How an on-demand read stands, in words, when it is not simply listed (and whether that is an
/// error): `reading pods…`, or why it failed — saying that what is shown (`held` items) was
/// read before, so a failure never passes for the present.
pub(crate) fn fetch_note(
    what: &str,
    f: &crate::state::Fetch,
    held: usize,
) -> Option<(String, bool)> {
    use crate::state::Fetch;
    match f {
        Fetch::Listed => None,
        Fetch::Waiting => Some((format!("reading {what}…"), false)),
        Fetch::Failed(e) if held > 0 => Some((
            format!("✗ {what} cannot be read now ({e}): what is shown was read before"),
            true,
        )),
        Fetch::Failed(e) => Some((format!("✗ {what} cannot be read: {e}"), true)),
        Fetch::Absent(e) => Some((e.clone(), false)),
    }
}

/// A full-body view's frame (the pods view, a pod's log, the Platform view, the diff, an
/// object's YAML): the body cleared, a double border with `title`; the area inside it, or None
/// when it is too small to draw in (no row, or narrower than `min_width`).
pub(crate) fn view_frame(
    frame: &mut Frame,
    body: Rect,
    v: &View,
    title: Vec<Span<'_>>,
    min_width: u16,
) -> Option<Rect> {
    use ratatui::widgets::{Block, BorderType, Clear};
    frame.render_widget(Clear, body);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(v.theme.border_focus)
        .title(Line::from(title));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    (inner.height > 0 && inner.width >= min_width).then_some(inner)
}

/// Everything a frame is drawn from.
pub struct View<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// A part of the screen; each draws only inside the area it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The header line; `compact` adds the pane tabs.
    Header {
        compact: bool,
    },
    Pane(Pane),
    /// The rollout cockpit, over the body.
    Cockpit,
    /// Key hints, the flash, or what is being typed.
    Footer,
    /// One cell per cluster of the fleet, under the header (several clusters only).
    Fleet,
    /// The open overlay and the palette's suggestions, over the body.
    Overlays,
}

/// The regions of a frame as the layout places them, in drawing order.
pub fn regions(area: Rect, v: &View) -> Vec<(Region, Rect)> {
    let s = v.state;
    let l = layout::compute_with(area, s.ui.focus, s.ui.zoom, &s.ui.layout_spec);
    let mut out = vec![(Region::Header { compact: l.compact }, l.header)];
    if l.strip.height > 0 {
        out.push((Region::Fleet, l.strip));
    }
    match &s.ui.screen {
        Screen::Main => out.extend(l.panes.iter().map(|(p, r)| (Region::Pane(*p), *r))),
        Screen::Cockpit { .. } => out.push((Region::Cockpit, l.body)),
    }
    out.push((Region::Footer, l.footer));
    out.push((Region::Overlays, l.body));
    out
}

/// Draws one region into `area`.
pub fn draw_region(frame: &mut Frame, region: Region, area: Rect, v: &View) {
    match region {
        Region::Header { compact } => header::draw(frame, area, v, compact),
        Region::Pane(p) => draw_pane(frame, p, area, v),
        Region::Cockpit => {
            if let Screen::Cockpit { namespace, name } = &v.state.ui.screen {
                cockpit::draw(frame, area, v, namespace, name);
            }
        }
        Region::Footer => footer::draw(frame, area, v),
        Region::Fleet => fleet::draw(frame, area, v),
        Region::Overlays => overlays::draw(frame, area, v),
    }
}

pub fn draw(frame: &mut Frame, v: &View) {
    for (region, rect) in regions(frame.area(), v) {
        draw_region(frame, region, rect, v);
    }
    if v.theme.ascii {
        ascii_fold(frame.buffer_mut());
    }
}

/// The ASCII stand-in of a drawing character: box drawing, braille, blocks and symbols.
pub fn ascii_of(c: char) -> char {
    match c {
        // The focused pane's heavy border (and an overlay's double one) stays apart from the
        // others' `+-|` without colour: `#==#`.
        '━' | '═' => '=',
        '┃' | '║' | '┏' | '┓' | '┗' | '┛' | '╔' | '╗' | '╚' | '╝' => '#',
        '─' | '┄' | '╌' => '-',
        '│' | '┆' | '╎' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' => {
            '+'
        }
        '\u{2801}'..='\u{28ff}' => '.',
        '▁' | '▂' => '_',
        '▃' | '▄' => '=',
        '▅' | '▆' | '▇' | '█' | '■' | '▌' => '#',
        '✓' => 'v',
        '✗' | '×' => 'x',
        '●' | '◆' => '*',
        '◌' | '○' | '◇' => 'o',
        // Status glyphs never read as a border corner (`+`).
        '♥' => 'v',
        '◐' => '~',
        '∅' => '0',
        '⏸' => '"',
        '▶' | '▸' => '>',
        '◀' => '<',
        '▾' | '▽' => 'v',
        '▲' => '^',
        '·' | '…' | '⋯' => '.',
        '▒' | '░' => ':',
        'µ' => 'u',
        '↻' => 'r',
        '⚠' => '!',
        '↑' => '^',
        '↓' => 'v',
        '←' | '≤' => '<',
        '≠' => '#',
        '→' => '>',
        '—' | '–' => '-',
        '″' => '"',
        c if c.is_ascii() => c,
        _ => '?',
    }
}

/// Rewrites every cell to ASCII (for terminals and fonts without box drawing or braille).
fn ascii_fold(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if sym.is_ascii() {
            continue;
        }
        let mut chars = sym.chars();
        let first = chars.next().unwrap_or(' ');
        let folded = ascii_of(first);
        let mut tmp = [0u8; 4];
        cell.set_symbol(folded.encode_utf8(&mut tmp));
    }
}

fn draw_pane(frame: &mut Frame, pane: Pane, area: Rect, v: &View) {
    match pane {
        Pane::Apps => apps::draw(frame, area, v),
        Pane::Rollouts => rollouts::draw(frame, area, v),
        Pane::Routes => routes::draw(frame, area, v),
        Pane::Cpu => cpu::draw(frame, area, v),
        Pane::Logs => logs::draw(frame, area, v),
        Pane::Alerts => alerts::draw(frame, area, v),
    }
}

/// Draws a pane's border with its number, title, filter and the source's staleness; returns
/// the inner area.
fn pane_frame(frame: &mut Frame, area: Rect, v: &View, pane: Pane, extra: Vec<Span>) -> Rect {
    let s = v.state;
    let t = v.theme;
    let focused = s.ui.focus == pane && s.ui.screen == Screen::Main;
    let mut title = vec![
        Span::styled(format!(" {} ", pane.index() + 1), t.muted),
        Span::styled(pane.title(), if focused { t.accent } else { t.title }),
        Span::raw(" "),
    ];
    // Most important first: a narrow title cuts from the right.
    let src = s.source(SourceId::for_pane(pane));
    if let Health::Error(e) = &src.health {
        let age = src
            .last_ok
            .map(|t0| format!(" stale {}", fmt_age((s.now - t0).num_seconds())))
            .unwrap_or_default();
        title.push(Span::styled(format!("⚠{age}: {} ", first_line(e)), t.error));
    } else if let Health::Degraded(why) = &src.health {
        title.push(Span::styled(format!("! {} ", first_line(why)), t.warn));
    }
    let filter = &s.ui.lists[pane].filter;
    if !filter.is_empty() || s.ui.typing == Some(crate::state::Typing::Filter(pane)) {
        title.push(Span::styled(format!("/{filter} "), t.highlight));
    }
    title.extend(extra);
    text::border(
        frame.buffer_mut(),
        area,
        focused,
        if focused { t.border_focus } else { t.border },
        &title,
    );
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// Draws Loading / Empty / Error in place of a pane's data; returns true if it did.
fn draw_status(
    frame: &mut Frame,
    area: Rect,
    v: &View,
    pane: Pane,
    is_empty: bool,
    empty_msg: &str,
) -> bool {
    if !is_empty {
        return false;
    }
    let s = v.state;
    let t = v.theme;
    let src = s.source(SourceId::for_pane(pane));
    let filtered = !s.ui.lists[pane].filter.is_empty();
    let (msg, style) = match &src.health {
        Health::Connecting => (
            format!("… loading from {}", SourceId::for_pane(pane).label()),
            t.muted,
        ),
        Health::Error(e) => (
            format!("✗ {}: {e}", SourceId::for_pane(pane).label()),
            t.error,
        ),
        Health::Off(why) => (format!("– {why}"), t.muted),
        Health::Degraded(why) if !filtered => (format!("{empty_msg} (! {why})"), t.muted),
        Health::Ok | Health::Degraded(_) if filtered => (
            "no rows match the filter (Esc clears it)".to_string(),
            t.muted,
        ),
        Health::Ok | Health::Degraded(_) => (empty_msg.to_string(), t.muted),
    };
    let inner = pane_frame(frame, area, v, pane, vec![]);
    frame.render_widget(
        Paragraph::new(Line::styled(msg, style)).wrap(Wrap { trim: true }),
        inner,
    );
    true
}

pub fn fmt_pct(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 0.9995 => "100%".to_string(),
        Some(x) => format!("{:.1}%", x * 100.0),
        None => "—".to_string(),
    }
}

pub fn fmt_ms(v: f64) -> String {
    if v <= 0.0 {
        "—".to_string()
    } else if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

pub fn fmt_rps(v: f64) -> String {
    if v <= 0.0 {
        "0".to_string()
    } else if v < 0.095 {
        format!("{v:.2}")
    } else if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// Style for a success rate: ok at ≥99%, warn at ≥95%, error below.
pub fn success_style(t: &Theme, v: Option<f64>) -> Style {
    match v {
        Some(x) if x >= 0.99 => t.ok,
        Some(x) if x >= crate::state::FAILING_SUCCESS => t.warn,
        Some(_) => t.error,
        None => t.muted,
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Cuts `s` to `w` display columns with an ellipsis.
pub fn ellipsize(s: &str, w: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        out.push(c);
        // A zero-width character can widen what it follows (an emoji's variation selector):
        // measure the string then, not the sum of its characters.
        let now = match unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) {
            0 => out.width(),
            cw => used + cw,
        };
        if now + 1 > w {
            out.pop();
            break;
        }
        used = now;
    }
    out.push('…');
    out
}

/// Rows `offset..offset+rows` of a list of `len`.
pub fn window(offset: usize, rows: usize, len: usize) -> std::ops::Range<usize> {
    let start = offset.min(len);
    start..(start + rows).min(len)
}

/// `300ms`, `2s`, `1.5s`; `—` for none.
pub fn fmt_timeout(ms: u64) -> String {
    match ms {
        0 => "—".to_string(),
        1..=999 => format!("{ms}ms"),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{:.1}s", ms as f64 / 1000.0),
    }
}

/// `92.1` for the narrow canary/stable column (the header says it is %).
pub fn pct_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 0.9995 => "100".to_string(),
        Some(x) => format!("{:.1}", x * 100.0),
        None => "—".to_string(),
    }
}

/// `92.2/100`: canary success (coloured by how it fares) against stable's; empty without a split.
pub fn canary_cell<'a>(t: &Theme, r: &crate::model::RouteStats) -> Vec<Span<'a>> {
    match (&r.canary, &r.stable) {
        (Some(c), Some(st)) => vec![
            Span::styled(
                pct_num(c.effective_success),
                success_style(t, c.effective_success).patch(t.canary),
            ),
            Span::styled("/", t.muted),
            Span::styled(pct_num(st.effective_success), t.stable),
        ],
        _ => vec![],
    }
}

/// A list pane's header row, its sorted column marked.
pub fn list_header(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    cols: &[(u16, u16)],
    names: &[&str],
    v: &View,
    pane: Pane,
) {
    let sorted = v.state.ui.sort[pane].columns(pane);
    text::sorted_header(buf, area, cols, names, sorted, v.theme.muted);
}

#[cfg(test)]
mod tests {
    use super::ellipsize;
    use unicode_width::UnicodeWidthStr;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("OPSDECK_FUZZ_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(256),
            ..Default::default()
        })]

        #[test]
        fn a_cut_never_overflows_its_width(
            s in proptest::string::string_regex("(a|é|日|☀|\\u{fe0f}|\\u{301}|👍|\\u{200d}| ){0,30}")
                .unwrap_or_else(|e| panic!("{e}")),
            w in 0usize..20,
        ) {
            let out = ellipsize(&s, w);
            proptest::prop_assert!(out.width() <= w, "{s:?} in {w}: {out:?} is {}", out.width());
        }
    }

    #[test]
    fn nothing_fits_in_no_room() {
        assert_eq!(ellipsize("abc", 0), "");
        assert_eq!(ellipsize("abc", 1), "…");
        assert_eq!(ellipsize("☀\u{fe0f}☀\u{fe0f}", 3), "☀\u{fe0f}…");
    }
}
