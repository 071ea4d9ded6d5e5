//! Themes: semantic roles (ok, warn, error, muted, canary, …) loaded from TOML in `themes/`.
//! Built-in themes are embedded; `NO_COLOR` selects the monochrome one, which carries every
//! meaning with text, symbols and bold/dim/reverse instead of colour.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../themes/dark.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../themes/colorblind.toml")),
    ("mono", include_str!("../themes/mono.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    /// A theme this one starts from: its palette, styles and series, then ours on top.
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
    series: Option<Vec<StyleSpec>>,
}

/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Indexed256,
    Ansi16,
}

impl ColorDepth {
    /// From `COLORTERM` (truecolor/24bit) and `TERM` (…256color…), as most tools do.
    pub fn detect() -> ColorDepth {
        Self::from_env(
            std::env::var("COLORTERM").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        )
    }

    pub fn from_env(colorterm: Option<&str>, term: Option<&str>) -> ColorDepth {
        if matches!(colorterm, Some("truecolor" | "24bit")) {
            ColorDepth::TrueColor
        } else if term.is_some_and(|t| t.contains("256") || t.contains("direct")) {
            ColorDepth::Indexed256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// The 16 ANSI colours with typical RGB values, for mapping down.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 49, 49)),
    (Color::Green, (13, 188, 121)),
    (Color::Yellow, (229, 229, 16)),
    (Color::Blue, (36, 114, 200)),
    (Color::Magenta, (188, 63, 188)),
    (Color::Cyan, (17, 168, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (102, 102, 102)),
    (Color::LightRed, (241, 76, 76)),
    (Color::LightGreen, (35, 209, 139)),
    (Color::LightYellow, (245, 245, 67)),
    (Color::LightBlue, (59, 142, 234)),
    (Color::LightMagenta, (214, 112, 214)),
    (Color::LightCyan, (41, 184, 219)),
    (Color::White, (255, 255, 255)),
];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// `#rrggbb` to the nearest colour the terminal has.
pub fn map_color(c: Color, depth: ColorDepth) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    match depth {
        ColorDepth::TrueColor => c,
        ColorDepth::Indexed256 => {
            // The 6×6×6 cube (16–231) or the grey ramp (232–255), whichever is closer.
            let level = |v: u8| -> u8 {
                let steps = [0u8, 95, 135, 175, 215, 255];
                (0..6)
                    .min_by_key(|&i| (i32::from(steps[i]) - i32::from(v)).abs())
                    .unwrap_or(0) as u8
            };
            let (ri, gi, bi) = (level(r), level(g), level(b));
            let steps = [0u8, 95, 135, 175, 215, 255];
            let cube = (steps[ri as usize], steps[gi as usize], steps[bi as usize]);
            let avg = ((u32::from(r) + u32::from(g) + u32::from(b)) / 3) as u8;
            let gi2 = (avg.saturating_sub(8) / 10).min(23);
            let grey = 8 + gi2 * 10;
            if dist((grey, grey, grey), (r, g, b)) < dist(cube, (r, g, b)) {
                Color::Indexed(232 + gi2)
            } else {
                Color::Indexed(16 + 36 * ri + 6 * gi + bi)
            }
        }
        ColorDepth::Ansi16 => ANSI16
            .iter()
            .min_by_key(|(_, rgb)| dist(*rgb, (r, g, b)))
            .map_or(c, |(col, _)| *col),
    }
}

/// Where user themes live: `$XDG_CONFIG_HOME/opsdeck/themes/NAME.toml`.
pub fn user_dir() -> Option<std::path::PathBuf> {
    crate::files::config_dir().map(|d| d.join("themes"))
}

/// Every theme name: built in, then the user's.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = BUILTIN.iter().map(|b| b.0.to_string()).collect();
    if let Some(Ok(rd)) = user_dir().map(std::fs::read_dir) {
        let mut user: Vec<String> = rd
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .filter(|n| !v.contains(n))
            .collect();
        user.sort();
        v.extend(user);
    }
    v
}

/// The text of theme `name`: a user file of that name first, then the built-in one.
fn source(name: &str) -> Result<(String, String), String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && let Some(dir) = user_dir()
    {
        let p = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&p) {
            return Ok((p.display().to_string(), text));
        }
    }
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, t)| (format!("themes/{n}.toml"), t.to_string()))
        .ok_or_else(|| format!("no theme \"{name}\" (themes: {})", names().join(", ")))
}

/// Finds a theme's file name and text by theme name.
pub type ThemeSource = dyn Fn(&str) -> Result<(String, String), String>;

/// A theme file with what it inherits merged in; `chain` detects cycles.
fn resolve(
    file: &str,
    text: &str,
    load: &ThemeSource,
    chain: &mut Vec<String>,
) -> Result<ThemeFile, String> {
    let mut f: ThemeFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    chain.push(f.name.clone());
    if let Some(parent) = f.inherits.clone() {
        if chain.contains(&parent) {
            chain.push(parent);
            return Err(format!(
                "{file}: inherits in a cycle: {}",
                chain.join(" → ")
            ));
        }
        let (pfile, ptext) = load(&parent).map_err(|e| format!("{file}: inherits: {e}"))?;
        let p = resolve(&pfile, &ptext, load, chain)?;
        let mut palette = p.palette;
        palette.extend(std::mem::take(&mut f.palette));
        let mut styles = p.styles;
        styles.extend(std::mem::take(&mut f.styles));
        f.palette = palette;
        f.styles = styles;
        if f.series.is_none() {
            f.series = p.series;
        }
    }
    Ok(f)
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// The roles every theme defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub accent: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selection: Style,
    pub header: Style,
    pub badge: Style,
    pub badge_danger: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub canary: Style,
    pub stable: Style,
    pub highlight: Style,
    pub log_error: Style,
    pub log_warn: Style,
    pub log_info: Style,
    pub log_debug: Style,
    pub series: Vec<Style>,
    /// True for the monochrome theme: panes add words where others rely on colour.
    pub mono: bool,
    /// Draw with ASCII only: no braille, no box drawing, no symbols (`--ascii`).
    pub ascii: bool,
}

const ROLES: &[&str] = &[
    "text",
    "muted",
    "title",
    "accent",
    "border",
    "border_focus",
    "selection",
    "header",
    "badge",
    "badge_danger",
    "ok",
    "warn",
    "error",
    "info",
    "canary",
    "stable",
    "highlight",
    "log_error",
    "log_warn",
    "log_info",
    "log_debug",
];

fn color(palette: &BTreeMap<String, String>, s: &str) -> Result<Color, String> {
    let s = palette.get(s).map(String::as_str).unwrap_or(s);
    Color::from_str(s).map_err(|_| format!("unknown colour \"{s}\""))
}

fn style(palette: &BTreeMap<String, String>, spec: &StyleSpec) -> Result<Style, String> {
    let mut st = Style::default();
    if let Some(fg) = &spec.fg {
        st = st.fg(color(palette, fg)?);
    }
    if let Some(bg) = &spec.bg {
        st = st.bg(color(palette, bg)?);
    }
    for (on, m) in [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
    ] {
        if on {
            st = st.add_modifier(m);
        }
    }
    Ok(st)
}

impl Theme {
    /// Parses a theme file (resolving `inherits` among the built-in and user themes); errors
    /// name the file and what is wrong in it.
    pub fn parse(file: &str, text: &str) -> Result<Theme, String> {
        Self::parse_with(file, text, &source)
    }

    /// As [`Theme::parse`], with another way to find inherited themes (for tests).
    pub fn parse_with(file: &str, text: &str, load: &ThemeSource) -> Result<Theme, String> {
        let f = resolve(file, text, load, &mut Vec::new())?;
        // `file:line` of a role's own line, when this file has one.
        let at = |role: &str| -> String {
            text.lines()
                .position(|l| l.trim_start().split('=').next().map(str::trim) == Some(role))
                .map_or(file.to_string(), |i| format!("{file}:{}", i + 1))
        };
        for k in f.styles.keys() {
            if !ROLES.contains(&k.as_str()) {
                return Err(format!(
                    "{}: unknown style role \"{k}\" (roles: {})",
                    at(k),
                    ROLES.join(", ")
                ));
            }
        }
        let get = |role: &str| -> Result<Style, String> {
            let spec = f
                .styles
                .get(role)
                .ok_or_else(|| format!("{file}: style role \"{role}\" is missing"))?;
            style(&f.palette, spec).map_err(|e| format!("{}: styles.{role}: {e}", at(role)))
        };
        let mut theme = Theme {
            mono: f.name == "mono",
            name: f.name.clone(),
            text: get("text")?,
            muted: get("muted")?,
            title: get("title")?,
            accent: get("accent")?,
            border: get("border")?,
            border_focus: get("border_focus")?,
            selection: get("selection")?,
            header: get("header")?,
            badge: get("badge")?,
            badge_danger: get("badge_danger")?,
            ok: get("ok")?,
            warn: get("warn")?,
            error: get("error")?,
            info: get("info")?,
            canary: get("canary")?,
            stable: get("stable")?,
            highlight: get("highlight")?,
            log_error: get("log_error")?,
            log_warn: get("log_warn")?,
            log_info: get("log_info")?,
            log_debug: get("log_debug")?,
            series: Vec::new(),
            ascii: false,
        };
        theme.series = f
            .series
            .unwrap_or_default()
            .iter()
            .map(|s| style(&f.palette, s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{file}: series: {e}"))?;
        if theme.series.is_empty() {
            return Err(format!("{file}: at least one chart series style is needed"));
        }
        Ok(theme)
    }

    /// A theme by name (user file first, then built in), mapped to the terminal's colours.
    pub fn load(name: &str) -> Result<Theme, String> {
        let (file, text) = source(name)?;
        let t = Theme::parse(&file, &text)?;
        Ok(t.for_depth(depth_override().unwrap_or_else(ColorDepth::detect)))
    }

    /// Every colour mapped down to what the terminal shows.
    pub fn for_depth(mut self, depth: ColorDepth) -> Theme {
        let map = |st: &mut Style| {
            st.fg = st.fg.map(|c| map_color(c, depth));
            st.bg = st.bg.map(|c| map_color(c, depth));
        };
        for st in [
            &mut self.text,
            &mut self.muted,
            &mut self.title,
            &mut self.accent,
            &mut self.border,
            &mut self.border_focus,
            &mut self.selection,
            &mut self.header,
            &mut self.badge,
            &mut self.badge_danger,
            &mut self.ok,
            &mut self.warn,
            &mut self.error,
            &mut self.info,
            &mut self.canary,
            &mut self.stable,
            &mut self.highlight,
            &mut self.log_error,
            &mut self.log_warn,
            &mut self.log_info,
            &mut self.log_debug,
        ] {
            map(st);
        }
        self.series.iter_mut().for_each(map);
        self
    }

    pub fn builtin(name: &str) -> Result<Theme, String> {
        let (file, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|b| b.0).collect();
            format!("no theme \"{name}\" (built in: {})", names.join(", "))
        })?;
        Theme::parse(&format!("themes/{file}.toml"), text)
    }

    /// The chart style of series `i`.
    pub fn series(&self, i: usize) -> Style {
        self.series[i % self.series.len()]
    }
}

static DEPTH: std::sync::OnceLock<ColorDepth> = std::sync::OnceLock::new();

/// Forces a colour depth (from the command line) for every theme loaded after.
pub fn set_depth_override(d: ColorDepth) {
    let _ = DEPTH.set(d);
}

fn depth_override() -> Option<ColorDepth> {
    DEPTH.get().copied()
}

/// `NO_COLOR` set to anything non-empty (no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_loads() {
        for (name, _) in BUILTIN {
            let t = Theme::builtin(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.name, *name);
        }
    }

    #[test]
    fn broken_themes_say_what_is_wrong() {
        let e = Theme::parse("t.toml", "name = \"x\"\n[styles]\nbogus = {}\n").unwrap_err();
        assert!(e.contains("unknown style role \"bogus\""), "{e}");
        let e = Theme::parse(
            "t.toml",
            "name = \"x\"\n[styles]\ntext = { fg = \"nocolour\" }\n",
        )
        .unwrap_err();
        assert!(
            e.contains("styles.text: unknown colour \"nocolour\""),
            "{e}"
        );
        let e = Theme::parse("t.toml", "name = \"x\"\nextra = 1\n[styles]\n").unwrap_err();
        assert!(e.contains("unknown field `extra`"), "{e}");
    }

    #[test]
    fn themes_inherit_and_cycles_are_named() {
        let files = |name: &str| -> Result<(String, String), String> {
            match name {
                "a" => Ok(("a.toml".into(), "name = \"a\"\ninherits = \"b\"\n".into())),
                "b" => Ok(("b.toml".into(), "name = \"b\"\ninherits = \"a\"\n".into())),
                n => Theme::builtin(n).map(|_| {
                    (
                        format!("themes/{n}.toml"),
                        BUILTIN
                            .iter()
                            .find(|b| b.0 == n)
                            .map(|b| b.1.to_string())
                            .unwrap_or_default(),
                    )
                }),
            }
        };
        let e =
            Theme::parse_with("a.toml", "name = \"a\"\ninherits = \"b\"\n", &files).unwrap_err();
        assert_eq!(e, "b.toml: inherits in a cycle: a → b → a");
        let t = Theme::parse_with(
            "mine.toml",
            "name = \"mine\"\ninherits = \"dark\"\n[palette]\nred = \"#ff0000\"\n[styles]\nok = { fg = \"#00ff00\" }\n",
            &files,
        )
        .unwrap();
        assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(
            t.error.fg,
            Some(Color::Rgb(255, 0, 0)),
            "the parent's role with our palette"
        );
        let e = Theme::parse_with("x.toml", "name = \"x\"\ninherits = \"nope\"\n", &|_| {
            Err("no theme \"nope\"".into())
        })
        .unwrap_err();
        assert_eq!(e, "x.toml: inherits: no theme \"nope\"");
    }

    #[test]
    fn colours_map_down_to_what_the_terminal_has() {
        assert_eq!(
            ColorDepth::from_env(Some("truecolor"), Some("xterm")),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::from_env(None, Some("tmux-256color")),
            ColorDepth::Indexed256
        );
        assert_eq!(
            ColorDepth::from_env(None, Some("screen")),
            ColorDepth::Ansi16
        );
        assert_eq!(
            map_color(Color::Rgb(255, 0, 0), ColorDepth::Indexed256),
            Color::Indexed(196)
        );
        assert_eq!(
            map_color(Color::Rgb(128, 128, 128), ColorDepth::Indexed256),
            Color::Indexed(244)
        );
        assert_eq!(
            map_color(Color::Rgb(250, 80, 70), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(map_color(Color::Blue, ColorDepth::Ansi16), Color::Blue);
        let t = Theme::builtin("dark")
            .unwrap()
            .for_depth(ColorDepth::Ansi16);
        assert!(!matches!(t.error.fg, Some(Color::Rgb(..))));
    }

    #[test]
    fn mono_has_no_colours() {
        let t = Theme::builtin("mono").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.mono);
        for s in [t.ok, t.warn, t.error, t.canary, t.selection, t.log_error] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
