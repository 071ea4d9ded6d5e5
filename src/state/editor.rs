//! One line editor for everything typed: the `:` command line, the log search, a pane's filter
//! and the typed confirmation (and a silence's comment and duration). Printable characters
//! only, at most [`LineEditor::CAP`] bytes.

use super::TextKey;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
}

impl LineEditor {
    /// The longest line, in bytes: enough for any name or query, bounded against a paste flood.
    pub const CAP: usize = 256;

    pub fn new(text: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.set(&text.into());
        e
    }

    /// Applies an editing key (a character or backspace); true if the text changed. Other keys
    /// are for the caller.
    pub fn edit(&mut self, key: &TextKey) -> bool {
        match key {
            TextKey::Char(c) if !c.is_control() && self.text.len() + c.len_utf8() <= Self::CAP => {
                self.text.push(*c);
                true
            }
            TextKey::Backspace => self.text.pop().is_some(),
            _ => false,
        }
    }

    /// Replaces the text (cut at the cap, control characters dropped).
    pub fn set(&mut self, s: &str) {
        self.text.clear();
        for c in s.chars() {
            self.edit(&TextKey::Char(c));
        }
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for LineEditor {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for LineEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_up_to_the_cap() {
        let mut e = LineEditor::default();
        assert!(e.edit(&TextKey::Char('a')));
        assert!(!e.edit(&TextKey::Char('\u{1b}')), "no control characters");
        assert!(!e.edit(&TextKey::Enter));
        assert!(e.edit(&TextKey::Backspace));
        assert!(!e.edit(&TextKey::Backspace), "nothing left to delete");
        e.set(&"é".repeat(200));
        assert_eq!(
            e.len(),
            LineEditor::CAP,
            "cut at the cap, on a character boundary"
        );
        assert_eq!(LineEditor::new("store").as_str(), "store");
    }
}
