//! Text from outside (device names from drivers, hostnames, names and notes in results files,
//! arguments) made safe to print: control characters, which a terminal would obey (escape
//! sequences that recolour, move the cursor, retitle the window, or hide text), and the Unicode
//! bidirectional overrides ("Trojan Source", CVE-2021-42574) are written as visible escapes.
//! Every renderer for people (terminal tables and lines, Markdown, HTML, CSV) passes its text
//! through here.

use std::borrow::Cow;

/// True for what must not reach a terminal raw: C0 and C1 controls, DEL, and the bidirectional
/// embedding, override and isolate characters.
fn unsafe_char(c: char, keep_newlines: bool) -> bool {
    if keep_newlines && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| unsafe_char(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c, keep_newlines) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line (a table cell, a name): every control character escaped, newlines included.
pub(crate) fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Several lines: newlines and tabs kept, every other control character escaped.
pub(crate) fn text(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_made_visible() {
        let hostile = "NVIDIA \u{1b}[2J\u{1b}]0;pwned\u{7}H100\r\u{9b}31m\u{202E}evil";
        let shown = line(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(!shown.contains('\u{202E}'));
        assert_eq!(
            shown,
            "NVIDIA \\u{1b}[2J\\u{1b}]0;pwned\\u{7}H100\\u{d}\\u{9b}31m\\u{202e}evil"
        );
        assert_eq!(line("a\nb"), "a\\u{a}b");
        assert_eq!(text("a\nb\tc\u{1b}"), "a\nb\tc\\u{1b}");
    }

    #[test]
    fn ordinary_text_is_not_copied() {
        assert!(matches!(
            line("NVIDIA H100 80GB HBM3 ±4%"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(text("two\nlines"), Cow::Borrowed(_)));
    }
}
