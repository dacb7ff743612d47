//! JSON as pullpath writes it: the value stays raw, its text stays safe on a terminal.
//! serde_json escapes only C0 control characters in strings; DEL, the C1 controls (U+009B is
//! CSI on some terminals), bidirectional overrides and other invisible format characters
//! would reach stdout as they are when a report is printed. Here every character
//! [`terminal_text::is_unsafe`] names is written as a `\uXXXX` escape (a surrogate pair above
//! U+FFFF), which every JSON parser reads back as the same character (RFC 8259, section 7).

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::terminal_text;

/// `value` as indented JSON, unsafe characters escaped.
pub fn pretty(value: &impl Serialize) -> serde_json::Result<String> {
    write(value, Safe(PrettyFormatter::new()))
}

/// `value` as one line of JSON (NDJSON), unsafe characters escaped.
pub fn compact(value: &impl Serialize) -> serde_json::Result<String> {
    write(value, Safe(CompactFormatter))
}

fn write<F: Formatter>(value: &impl Serialize, formatter: F) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    // serde_json writes UTF-8 (escapes are ASCII).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// A formatter that escapes unsafe characters inside strings and otherwise formats as `F`.
struct Safe<F>(F);

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Printable ASCII, nearly every fragment, needs no look at its characters.
        if fragment.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if terminal_text::is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The layout is `F`'s.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    /// Every unsafe character is escaped in the text, and the parsed value is the raw one.
    #[test]
    fn unsafe_characters_are_escaped_and_the_value_is_unchanged() {
        let raw = "prod\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}gnp.exe\u{200b}\u{e0041}\u{7f}\ttab\n";
        let value = json!({"name": raw, "list": [raw], "ok": "café ✓ C:\\path"});
        for text in [
            super::pretty(&value).unwrap(),
            super::compact(&value).unwrap(),
        ] {
            assert!(
                !text
                    .chars()
                    .any(|c| c != '\n' && c != ' ' && super::terminal_text::is_unsafe(c)),
                "{text:?}"
            );
            for escape in [
                "\\u001b",
                "\\u009b",
                "\\u202e",
                "\\u200b",
                "\\udb40\\udc41",
                "\\u007f",
            ] {
                assert!(text.contains(escape), "{escape} in {text}");
            }
            assert!(text.contains("café ✓"), "{text}");
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value);
        }
        assert_eq!(
            super::pretty(&json!({"a": [1, {"b": "c"}]})).unwrap(),
            serde_json::to_string_pretty(&json!({"a": [1, {"b": "c"}]})).unwrap()
        );
    }
}
