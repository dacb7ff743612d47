//! Text from AWS or an input file, made safe and short enough to print on a terminal.
//!
//! Cluster, service and resource names, ids, tags and ECS messages are written by whoever can
//! write to the audited account. Printed raw, an ESC starts a control sequence (colours, cursor
//! moves, a window title, an OSC 8 hyperlink whose target is not what it shows), CR and LF
//! forge lines of the report, and bidirectional controls make text read in another order than
//! it is stored. So every string from outside goes through this module before it reaches a
//! table, a text block, a picture or stderr; the text pullpath writes itself (its own line
//! breaks, its colours) does not. JSON and NDJSON keep the raw value: serde_json escapes
//! control characters, and a program reading the report needs the exact value.
//!
//! Each character below is replaced by a visible escape in Rust's notation, `\u{HEX}` (lowercase
//! hex, no padding): ESC prints as `\u{1b}`, a right-to-left override as `\u{202e}`.
//!
//! - Control characters (Unicode `Cc`): C0 U+0000–U+001F (TAB, LF and CR included: a value is
//!   printed on one line), DEL U+007F and C1 U+0080–U+009F (U+009B is a one-byte CSI to some
//!   terminals).
//! - Format characters (Unicode `Cf`), all invisible: the bidirectional controls (U+061C,
//!   U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder what follows them; the
//!   zero-width space and joiners (U+200B–U+200D), word joiner and invisible operators
//!   (U+2060–U+2064), the byte-order mark (U+FEFF), soft hyphen (U+00AD) and the tag
//!   characters (U+E0001, U+E0020–U+E007F, invisible copies of ASCII). Invisible characters
//!   make two names that print alike different (`prod` and `pro\u{200b}d`), and a reader
//!   deciding which resource to fix must see that they differ.
//! - The line and paragraph separators U+2028 and U+2029, which some terminals and viewers
//!   break lines on.
//!
//! Left as they are: letters and marks of every script, emoji and variation selectors (they
//! change how one character looks, never the order or lines of other text), and the backslash
//! (a Windows path in a message stays readable; so a literal `\u{1b}` in the data prints like an
//! escaped ESC: `--format json` tells them apart).
//!
//! Long values are cut before table layout, whose cost grows with the square of the longest
//! word of a cell (comfy-table copies the rest of a word each time it breaks it at the column
//! width: a 40,000-character id took 3.4 s, a megabyte minutes): a name or id after
//! [`NAME_CHARS`] characters, a message or fix after [`MESSAGE_CHARS`], with a note that
//! `--format json` carries the whole value.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The most characters printed of a name, id, ARN or host. Every AWS name and id fits (cluster
/// and service names: 255; a task definition ARN: about 320; a host name: 253), except IAM ARNs
/// with paths of more than about 400 characters.
pub const NAME_CHARS: usize = 512;

/// The most characters printed of a message, a fix or the evidence of a classification. ECS
/// messages are a few hundred characters; a fix listing many subnets, under a thousand.
pub const MESSAGE_CHARS: usize = 4096;

/// `text` with every unsafe character escaped, no longer than [`NAME_CHARS`] characters (and
/// the note saying it was cut).
pub fn name(text: &str) -> Cow<'_, str> {
    printable(text, NAME_CHARS)
}

/// `text` with every unsafe character escaped, no longer than [`MESSAGE_CHARS`] characters
/// (and the note saying it was cut).
pub fn message(text: &str) -> Cow<'_, str> {
    printable(text, MESSAGE_CHARS)
}

/// `text` with every unsafe character escaped, whatever its length (pictures, which have no
/// table layout to protect).
pub fn escaped(text: &str) -> Cow<'_, str> {
    printable(text, usize::MAX)
}

/// `text` with every unsafe character escaped and, when the result would pass `limit`
/// characters, cut at the last whole character or escape that fits, followed by a note of how
/// many characters of the value were left out. Linear in the part of `text` it prints, plus a
/// count of the rest.
pub fn printable(text: &str, limit: usize) -> Cow<'_, str> {
    // Printable ASCII is the common case: names and ids as AWS makes them.
    if text.len() <= limit && text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(limit.saturating_add(64)));
    let mut printed = 0usize;
    for (at, c) in text.char_indices() {
        let width = if is_unsafe(c) { escape_len(c) } else { 1 };
        if printed + width > limit {
            let rest = text[at..].chars().count();
            let _ = write!(
                out,
                "… (cut: {rest} more character{}; --format json has the whole value)",
                if rest == 1 { "" } else { "s" }
            );
            return Cow::Owned(out);
        }
        printed += width;
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    if out.len() == text.len() {
        // Nothing escaped and nothing cut (non-ASCII text that is safe).
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Whether `c` must not reach a terminal as it is: a control character, an invisible format
/// character (bidirectional controls included) or a line or paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    // Most text is ASCII: only C0 and DEL are unsafe there (the other classes are not ASCII).
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `\u{HEX}` for `c`.
pub fn push_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// The length of `c`'s escape: `\u{` and `}` around its hex digits.
fn escape_len(c: char) -> usize {
    let digits = (32 - (c as u32 | 1).leading_zeros()).div_ceil(4) as usize;
    4 + digits
}

/// Unicode general category `Cf` (format), as of Unicode 15.1. A test checks this list against
/// the regex crate's `\p{Cf}` for every character.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_text_is_borrowed_unchanged() {
        for text in [
            "prod/web",
            "rtb-0a1b2c3d4e5f60003",
            "héllo wörld ☃ 日本",
            "",
        ] {
            assert!(
                matches!(name(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn controls_and_bidi_become_visible_escapes() {
        assert_eq!(
            name("a\x1b]8;;https://evil.example\x07b\x1b]8;;\x07"),
            "a\\u{1b}]8;;https://evil.example\\u{7}b\\u{1b}]8;;\\u{7}"
        );
        assert_eq!(name("one\r\ntwo\tthree"), "one\\u{d}\\u{a}two\\u{9}three");
        assert_eq!(name("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(name("\u{9b}31m\u{7f}"), "\\u{9b}31m\\u{7f}");
        assert_eq!(name("pro\u{200b}d\u{feff}"), "pro\\u{200b}d\\u{feff}");
        assert_eq!(name("\u{e0041}\u{2028}"), "\\u{e0041}\\u{2028}");
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{2066}', '\u{2069}', '\u{202a}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn escape_lengths_match_what_is_written() {
        for c in [
            '\0',
            '\x1b',
            '\u{7f}',
            '\u{9b}',
            '\u{202e}',
            '\u{feff}',
            '\u{e007f}',
        ] {
            let mut out = String::new();
            push_escape(&mut out, c);
            assert_eq!(out.chars().count(), escape_len(c), "{out}");
        }
    }

    #[test]
    fn the_format_list_is_unicode_cf() {
        let cf = regex::Regex::new(r"^\p{Cf}$").unwrap();
        let mut buffer = [0; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                is_format(c),
                cf.is_match(c.encode_utf8(&mut buffer)),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn long_values_are_cut_with_a_note_never_inside_an_escape() {
        let long = "a".repeat(NAME_CHARS + 10);
        let cut = name(&long);
        assert!(cut.starts_with(&"a".repeat(NAME_CHARS)));
        assert!(cut.ends_with("… (cut: 10 more characters; --format json has the whole value)"));
        let escapes = "\x1b".repeat(NAME_CHARS);
        let cut = name(&escapes);
        let kept = cut.split('…').next().unwrap();
        assert_eq!(kept, "\\u{1b}".repeat(NAME_CHARS / 6));
        assert_eq!(message(&"b".repeat(MESSAGE_CHARS)).len(), MESSAGE_CHARS);
    }

    #[test]
    fn a_megabyte_is_cut_in_linear_time() {
        let huge = "\u{202e}x".repeat(500_000);
        let started = std::time::Instant::now();
        assert!(name(&huge).chars().count() < NAME_CHARS + 100);
        assert!(escaped(&huge).len() > huge.len());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
