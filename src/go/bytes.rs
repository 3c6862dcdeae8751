//! Go strings are byte strings; Rust strings are UTF-8. This module carries the bytes of a Go
//! string that are not valid UTF-8 through Rust `String`s and back, losslessly, for the whole
//! program: each such byte travels as the private-use code point U+10FF00 + byte.
//!
//! Where such bytes come from: yaml.v2 decodes a `!!binary` scalar into a Go `string` without
//! checking it (the YAML text itself must be valid UTF-8), and `net/url` unescapes `%ff`. K3s then
//! writes those bytes quoted by `printf "%q"` (as `\xff`: [`crate::go::quote::quote`] takes bytes)
//! or raw (rewrites, config keys, directory names: [`to_go_bytes`] where bytes leave the program).
//!
//! The price: a registries file that itself holds one of those 256 private-use code points
//! (U+10FF00..=U+10FFFF, which no registry name, path or password uses in practice) is read as if
//! it held the raw byte.

use std::borrow::Cow;

/// First code point of the escape range: U+10FF00 + byte.
pub const ESCAPE_BASE: u32 = 0x10_FF00;

/// Go's `[]byte(s)` for a project string: the bytes `s` stands for (escaped bytes restored).
///
/// Borrows when `s` holds no escaped byte, which is every string a YAML file without `!!binary`
/// can produce.
pub fn to_go_bytes(s: &str) -> Cow<'_, [u8]> {
    if !has_escapes(s) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// Go's `string(b)` for a project string: valid UTF-8 is kept, every other byte is escaped.
pub fn from_go_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => escape_invalid(b),
    }
}

/// [`from_go_bytes`] for an owned buffer: no copy when it is valid UTF-8.
pub fn from_go_vec(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => escape_invalid(e.as_bytes()),
    }
}

/// [`from_go_bytes`] for a `Cow` (the usual result of an unescape that changed nothing).
pub fn from_go_cow(b: Cow<'_, [u8]>) -> String {
    match b {
        Cow::Borrowed(b) => from_go_bytes(b),
        Cow::Owned(v) => from_go_vec(v),
    }
}

/// Whether `s` holds any escaped byte: every escape is a 4-byte sequence F4 8F BC..=BF xx.
pub fn has_escapes(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == 0xF4 && w[1] == 0x8F && (0xBC..=0xBF).contains(&w[2]))
}

/// The byte an escape code point stands for, if `c` is one.
pub fn escaped_byte(c: char) -> Option<u8> {
    u32::from(c)
        .checked_sub(ESCAPE_BASE)
        .and_then(|v| u8::try_from(v).ok())
}

fn escape_invalid(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for &byte in chunk.invalid() {
            // ESCAPE_BASE + 0..=255 stays within U+10FF00..=U+10FFFF, all scalar values.
            out.push(
                char::from_u32(ESCAPE_BASE + u32::from(byte))
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mapping_is_the_project_one() {
        assert_eq!(from_go_bytes(b"a\xffb"), "a\u{10ffff}b");
        assert_eq!(from_go_bytes(b"\x80"), "\u{10ff80}");
        assert_eq!(
            from_go_bytes(b"\xed\xa0\x80"),
            "\u{10ffed}\u{10ffa0}\u{10ff80}"
        );
        assert_eq!(to_go_bytes("x\u{10ff00}").as_ref(), b"x\x00");
        assert!(matches!(to_go_bytes("plain é"), Cow::Borrowed(_)));
        assert_eq!(from_go_vec(b"h\xc3\xa9".to_vec()), "hé");
    }

    proptest! {
        #[test]
        fn bytes_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = from_go_bytes(&raw);
            let back = to_go_bytes(&s);
            prop_assert_eq!(back.as_ref(), raw.as_slice());
            prop_assert_eq!(from_go_vec(raw.clone()), s);
        }
    }
}
