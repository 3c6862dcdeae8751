//! The one terminal sanitiser: anything that comes from a file (registry names, endpoints,
//! header values, rewrite patterns, paths, source lines, parser messages) goes through
//! [`clean`] before it reaches a terminal, as rustc and fd escape what they print: control
//! characters (C0, DEL, C1) and the Unicode bidirectional overrides become visible escapes
//! (`\n`, `\u{1b}`), so no file can move the cursor, recolour the terminal, or fake an output
//! line. (Bytes that are not UTF-8 never get here: a Go string is shown with `\xNN` escapes, see
//! [`crate::go::string::GoString`].)

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as is.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
    }
}

/// `s` with every unsafe character escaped: for one-line fields (messages, names, values).
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    clean_keeping(s, &[])
}

/// [`clean`], keeping the characters in `keep` as they are (tabs of a source line, so a caret
/// still lines up under it; newlines of a whole file).
pub(crate) fn clean_keeping<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| unsafe_char(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) && !keep.contains(&c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes of a file shown on a terminal: valid UTF-8 with [`clean_keeping`] newlines and tabs,
/// every other byte as `\xNN`.
pub(crate) fn clean_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&clean_keeping(chunk.valid(), &['\n', '\t']));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// A JSON document as printed (pretty): serde_json escapes only C0 controls, so DEL, C1 controls
/// (U+009B is CSI on some terminals), bidirectional overrides and the escape code points of
/// non-UTF-8 bytes are written as `\uXXXX` escapes too. The document decodes to the same value;
/// such characters only ever stand inside strings.
pub(crate) fn json(value: &serde_json::Value) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    if !text.chars().any(|c| c != '\n' && unsafe_char(c)) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && unsafe_char(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_every_control_character() {
        let v = serde_json::json!({"k\u{9b}": "a\u{7f}b\u{1b}c\u{202e}d\n"});
        let text = json(&v).expect("json");
        assert!(
            !text.chars().any(|c| c != '\n' && unsafe_char(c)),
            "{text:?}"
        );
        assert!(text.contains(r#""a\u007fb\u001bc\u202ed\n""#), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, v);
    }

    #[test]
    fn escapes_what_could_drive_a_terminal() {
        assert_eq!(clean("plain é"), "plain é");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(clean("a\nb\tc\u{1b}[31m"), "a\\nb\\tc\\u{1b}[31m");
        assert_eq!(clean("x\u{202e}y\u{85}"), "x\\u{202e}y\\u{85}");
        // A real character, however odd, is not a byte (Go strings are GoString, not text).
        assert_eq!(clean("\u{10ffff}"), "\u{10ffff}");
        assert_eq!(clean_keeping("\ta\u{7}", &['\t']), "\ta\\u{7}");
        assert_eq!(clean_bytes(b"a\n\xff\x1b\tb"), "a\n\\xff\\u{1b}\tb");
    }
}
