//! Colour depth: what the terminal shows (24-bit, 256 or 16 colours, from `COLORTERM` and
//! `TERM`), and `#rrggbb` mapped down to the nearest colour it has.

use ratatui::style::Color;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
