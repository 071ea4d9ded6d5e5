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
    ("mono", include_str!("../themes/mono.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    styles: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    series: Vec<StyleSpec>,
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
    /// Parses a theme file; errors name the file and what is wrong in it.
    pub fn parse(file: &str, text: &str) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for k in f.styles.keys() {
            if !ROLES.contains(&k.as_str()) {
                return Err(format!(
                    "{file}: unknown style role \"{k}\" (roles: {})",
                    ROLES.join(", ")
                ));
            }
        }
        let get = |role: &str| -> Result<Style, String> {
            let spec = f
                .styles
                .get(role)
                .ok_or_else(|| format!("{file}: style role \"{role}\" is missing"))?;
            style(&f.palette, spec).map_err(|e| format!("{file}: styles.{role}: {e}"))
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
        };
        theme.series = f
            .series
            .iter()
            .map(|s| style(&f.palette, s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{file}: series: {e}"))?;
        if theme.series.is_empty() {
            return Err(format!("{file}: at least one chart series style is needed"));
        }
        Ok(theme)
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
    fn mono_has_no_colours() {
        let t = Theme::builtin("mono").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.mono);
        for s in [t.ok, t.warn, t.error, t.canary, t.selection, t.log_error] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
