//! Themes: semantic roles (ok, warn, error, muted, canary, …) loaded from TOML in `themes/`.
//! Built-in themes are embedded; `NO_COLOR` selects the monochrome one, which carries every
//! meaning with text, symbols and bold/dim/reverse instead of colour. The roles are listed
//! once ([`roles!`]): the struct, the names a file may use, parsing and the colour-depth
//! mapping all come from that list.

mod color;

pub use color::{ColorDepth, map_color};

use crate::files::located;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;

pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    /// A theme this one starts from: its palette, styles, series and mono-ness, then ours on top.
    inherits: Option<String>,
    /// Carries meaning without colour: panes add words where others rely on colour.
    mono: Option<bool>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<StyleSpec>>,
    series: Option<Vec<StyleSpec>>,
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

fn builtin_source(name: &str) -> Option<(String, String)> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, t)| (format!("themes/{n}.toml"), t.to_string()))
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
    builtin_source(name)
        .ok_or_else(|| format!("no theme \"{name}\" (themes: {})", names().join(", ")))
}

/// Finds a theme's file name and text by theme name.
pub type ThemeSource = dyn Fn(&str) -> Result<(String, String), String>;

/// A style role as some file wrote it: the spec, and where, for messages.
struct Written {
    spec: StyleSpec,
    file: String,
    text: String,
    span: Range<usize>,
}

/// A theme file with what it inherits merged in.
struct Resolved {
    name: String,
    mono: bool,
    palette: BTreeMap<String, String>,
    styles: BTreeMap<String, Written>,
    series: Option<Vec<StyleSpec>>,
}

/// Reads `file` (loaded as theme `loaded_as`) and what it inherits. `chain` holds the names
/// the files were loaded under, so a cycle is found by name; a user theme that inherits the
/// built-in it shadows (`themes/dark.toml` with `inherits = "dark"`) gets the built-in.
fn resolve(
    file: &str,
    text: &str,
    loaded_as: &str,
    load: &ThemeSource,
    chain: &mut Vec<String>,
) -> Result<Resolved, String> {
    let f: ThemeFile =
        toml::from_str(text).map_err(|e| located(file, text, e.span(), e.message()))?;
    chain.push(loaded_as.to_string());
    let mut styles = BTreeMap::new();
    for (role, spec) in f.styles {
        let span = role.span();
        let role = role.into_inner();
        if !ROLES.contains(&role.as_str()) {
            return Err(located(
                file,
                text,
                Some(span),
                &format!(
                    "unknown style role \"{role}\" (roles: {})",
                    ROLES.join(", ")
                ),
            ));
        }
        styles.insert(
            role,
            Written {
                span: spec.span(),
                spec: spec.into_inner(),
                file: file.to_string(),
                text: text.to_string(),
            },
        );
    }
    let mut own = Resolved {
        name: f.name,
        mono: f.mono.unwrap_or(false),
        palette: f.palette,
        styles,
        series: f.series,
    };
    let Some(parent) = f.inherits else {
        return Ok(own);
    };
    let shadowed = parent == loaded_as;
    if chain.contains(&parent) && !(shadowed && builtin_source(&parent).is_some()) {
        chain.push(parent);
        return Err(format!(
            "{file}: inherits in a cycle: {}",
            chain.join(" → ")
        ));
    }
    let (pfile, ptext) = if shadowed {
        builtin_source(&parent).ok_or_else(|| format!("{file}: inherits itself"))?
    } else {
        load(&parent).map_err(|e| format!("{file}: inherits: {e}"))?
    };
    let loaded = if shadowed {
        format!("{parent} (built in)")
    } else {
        parent.clone()
    };
    let p = resolve(&pfile, &ptext, &loaded, load, chain)?;
    let mut palette = p.palette;
    palette.extend(std::mem::take(&mut own.palette));
    let mut styles = p.styles;
    styles.extend(std::mem::take(&mut own.styles));
    own.palette = palette;
    own.styles = styles;
    own.series = own.series.or(p.series);
    own.mono = f.mono.unwrap_or(p.mono);
    Ok(own)
}

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

/// The one list of roles: the [`Theme`] struct's fields, the names a theme file may use in
/// `[styles]`, how a file's styles become a theme, and every style a colour mapping visits.
macro_rules! roles {
    ($($(#[$doc:meta])* $role:ident),* $(,)?) => {
        /// The roles every theme defines.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Theme {
            pub name: String,
            $($(#[$doc])* pub $role: Style,)*
            pub series: Vec<Style>,
            /// Carries meaning without colour (the monochrome theme, and themes inheriting it).
            pub mono: bool,
            /// Draw with ASCII only: no braille, no box drawing, no symbols (`--ascii`).
            pub ascii: bool,
        }

        const ROLES: &[&str] = &[$(stringify!($role)),*];

        impl Theme {
            fn with_roles(
                name: String,
                get: impl Fn(&str) -> Result<Style, String>,
            ) -> Result<Theme, String> {
                Ok(Theme {
                    name,
                    $($role: get(stringify!($role))?,)*
                    series: Vec::new(),
                    mono: false,
                    ascii: false,
                })
            }

            /// Every style of the theme, the chart series too.
            fn each_style_mut(&mut self, mut f: impl FnMut(&mut Style)) {
                $(f(&mut self.$role);)*
                self.series.iter_mut().for_each(f);
            }
        }
    };
}

roles! {
    /// Ordinary text.
    text,
    /// Less important text: labels, ages, units.
    muted,
    title,
    accent,
    border,
    /// The focused pane's border.
    border_focus,
    /// The selected row.
    selection,
    /// The header bar.
    header,
    /// DEMO, filter and similar badges.
    badge,
    /// READ-ONLY and PROTECTED.
    badge_danger,
    ok,
    warn,
    error,
    info,
    canary,
    stable,
    /// Search matches.
    highlight,
    log_error,
    log_warn,
    log_info,
    log_debug,
}

impl Theme {
    /// Parses a theme file (resolving `inherits` among the built-in and user themes); errors
    /// name the file, line and column and what is wrong there.
    pub fn parse(file: &str, text: &str) -> Result<Theme, String> {
        Self::parse_with(file, text, &source)
    }

    /// As [`Theme::parse`], with another way to find inherited themes (for tests).
    pub fn parse_with(file: &str, text: &str, load: &ThemeSource) -> Result<Theme, String> {
        let name = toml::from_str::<ThemeFile>(text)
            .map(|f| f.name)
            .unwrap_or_default();
        Self::parse_as(file, text, &name, load)
    }

    fn parse_as(
        file: &str,
        text: &str,
        loaded_as: &str,
        load: &ThemeSource,
    ) -> Result<Theme, String> {
        let r = resolve(file, text, loaded_as, load, &mut Vec::new())?;
        let mut theme = Theme::with_roles(r.name.clone(), |role| {
            let w = r
                .styles
                .get(role)
                .ok_or_else(|| format!("{file}: style role \"{role}\" is missing"))?;
            style(&r.palette, &w.spec).map_err(|e| {
                located(
                    &w.file,
                    &w.text,
                    Some(w.span.clone()),
                    &format!("styles.{role}: {e}"),
                )
            })
        })?;
        theme.mono = r.mono;
        theme.series = r
            .series
            .unwrap_or_default()
            .iter()
            .map(|s| style(&r.palette, s))
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
        let t = Theme::parse_as(&file, &text, name, &source)?;
        Ok(t.for_depth(depth_override().unwrap_or_else(ColorDepth::detect)))
    }

    /// Every colour mapped down to what the terminal shows.
    pub fn for_depth(mut self, depth: ColorDepth) -> Theme {
        self.each_style_mut(|st| {
            st.fg = st.fg.map(|c| map_color(c, depth));
            st.bg = st.bg.map(|c| map_color(c, depth));
        });
        self
    }

    pub fn builtin(name: &str) -> Result<Theme, String> {
        let (file, text) = builtin_source(name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|b| b.0).collect();
            format!("no theme \"{name}\" (built in: {})", names.join(", "))
        })?;
        Theme::parse_as(&file, &text, name, &|n| {
            builtin_source(n).ok_or_else(|| format!("no theme \"{n}\""))
        })
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
        assert!(
            e.starts_with("t.toml:3:1: unknown style role \"bogus\""),
            "{e}"
        );
        let e = Theme::parse(
            "t.toml",
            "name = \"x\"\n[styles]\ntext = { fg = \"nocolour\" }\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("t.toml:3:8: styles.text: unknown colour \"nocolour\""),
            "{e}"
        );
        let e = Theme::parse("t.toml", "name = \"x\"\nextra = 1\n[styles]\n").unwrap_err();
        assert!(e.starts_with("t.toml:2:1: unknown field `extra`"), "{e}");
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
    fn a_user_file_shadowing_a_builtin_under_another_name_does_not_recurse() {
        // themes/dark.toml saying name = "my-dark", inherits = "dark": loaded by either name.
        let user = "name = \"my-dark\"\ninherits = \"dark\"\n[styles]\nok = { fg = \"#00ff00\" }\n";
        let files = |name: &str| -> Result<(String, String), String> {
            match name {
                "dark" => Ok(("themes/dark.toml".into(), user.into())),
                n => builtin_source(n).ok_or_else(|| format!("no theme \"{n}\"")),
            }
        };
        for loaded in ["dark", "my-dark"] {
            let t = Theme::parse_as("themes/dark.toml", user, loaded, &files)
                .unwrap_or_else(|e| panic!("{loaded}: {e}"));
            assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
            assert!(t.error.fg.is_some(), "the built-in's roles come through");
        }
        let t =
            Theme::parse_with("themes/dark.toml", user, &files).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
    }

    #[test]
    fn every_role_is_mapped_down() {
        let t = Theme::builtin("dark")
            .unwrap()
            .for_depth(ColorDepth::Ansi16);
        let mut rgb = 0;
        let mut t2 = t.clone();
        t2.each_style_mut(|s| {
            rgb += [s.fg, s.bg]
                .iter()
                .filter(|c| matches!(c, Some(Color::Rgb(..))))
                .count()
        });
        assert_eq!(rgb, 0, "no role keeps a 24-bit colour at 16 colours");
        assert_eq!(ROLES.len(), 21);
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

#[cfg(test)]
mod inheritance {
    use super::*;

    #[test]
    fn a_user_theme_may_inherit_the_builtin_it_shadows() {
        // themes/dark.toml, close to what docs/usage.md suggests: loaded as "dark", it
        // inherits the built-in dark instead of itself (this recursed until the stack overflowed).
        let user_dark =
            "name = \"my-dark\"\ninherits = \"dark\"\n[styles]\nok = { fg = \"#00ff00\" }\n";
        let files = |name: &str| -> Result<(String, String), String> {
            match name {
                "dark" => Ok(("user/dark.toml".into(), user_dark.into())),
                n => builtin_source(n).ok_or_else(|| format!("no theme \"{n}\"")),
            }
        };
        let t = Theme::parse_as("user/dark.toml", user_dark, "dark", &files)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.ok.fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(t.name, "my-dark");
        assert!(!t.mono);
    }

    #[test]
    fn mono_is_inherited() {
        let files = |n: &str| builtin_source(n).ok_or_else(|| format!("no theme \"{n}\""));
        let t = Theme::parse_with(
            "mine.toml",
            "name = \"mine\"\ninherits = \"mono\"\n",
            &files,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            t.mono,
            "a theme built on mono carries meaning without colour too"
        );
        let t = Theme::parse_with(
            "mine.toml",
            "name = \"mine\"\ninherits = \"mono\"\nmono = false\n",
            &files,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!t.mono, "unless it says otherwise");
    }
}
