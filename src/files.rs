//! opsdeck's own files: where they live (`$XDG_CONFIG_HOME/opsdeck`, `$XDG_STATE_HOME/opsdeck`)
//! and how a problem in one is reported — `file:line:column: message` with the line itself,
//! from the span the TOML parser gives, never from scanning the text again.

use std::ops::Range;
use std::path::PathBuf;

/// opsdeck's folder under `$XDG_CONFIG_HOME` (config.toml, keymap.toml, themes/).
pub fn config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("opsdeck"))
}

/// `$XDG_STATE_HOME/opsdeck`, else `~/.local/state/opsdeck` (audit log, opsdeck's own log).
pub fn state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("opsdeck")
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// A problem at `span` of a file: `file:line:column: message`, then the line and a caret.
pub fn located(file: &str, text: &str, span: Option<Range<usize>>, msg: &str) -> String {
    let Some(span) = span else {
        return format!("{file}: {msg}");
    };
    let (line, col) = line_col(text, span.start);
    let src = text.lines().nth(line - 1).unwrap_or("");
    let gutter = " ".repeat(line.to_string().len());
    let pad: String = src
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{file}:{line}:{col}: {msg}\n  {line} | {src}\n  {gutter} | {pad}^")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_become_lines_and_columns() {
        let text = "a = 1\n  bé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 8), (2, 3));
        let at = text.find('"').unwrap_or(0);
        assert_eq!(line_col(text, at), (2, 8), "columns count characters");
        assert_eq!(line_col(text, 10_000), (3, 1));
        assert_eq!(
            located("k.toml", text, Some(8..10), "unknown key"),
            "k.toml:2:3: unknown key\n  2 |   bé = \"x\"\n    |   ^"
        );
        assert_eq!(located("k.toml", text, None, "broken"), "k.toml: broken");
    }
}
