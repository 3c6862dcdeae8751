//! Go strings are byte strings; Rust strings are UTF-8. This module carries the bytes of a Go
//! string that are not valid UTF-8 through Rust `String`s and back, losslessly.
//!
//! Only one input path produces such bytes: yaml.v2 decodes a `!!binary` scalar into a Go `string`
//! without checking it (the YAML text itself must be valid UTF-8). K3s then writes those bytes:
//! quoted by `printf "%q"` (as `\xff`) or raw (rewrites, config keys, directory names). To keep
//! one string type through load, translate and the tera templates, each byte that is not part of
//! valid UTF-8 is stored as a code point in the last 256 of Unicode's plane 16 private use area
//! (U+10FF00 + byte), and turned back into the byte wherever bytes leave the program
//! ([`to_bytes`]) or reach Go's quoting ([`crate::go::quote::quote`] takes bytes).
//!
//! The price: a registries file that itself contains one of those 256 private-use code points
//! (U+10FF00..=U+10FFFF, which no registry name, path or password uses in practice) is read as if
//! it held the raw byte. `audit` reports such code points.

/// First code point of the escape range: U+10FF00 + byte.
const BASE: u32 = 0x10_FF00;

/// Go's `string(b)`: bytes to a `String`, escaping the bytes that are not valid UTF-8.
pub fn from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            out.push(escape_byte(b));
        }
    }
    out
}

/// The bytes of the Go string a `String` stands for (escaped bytes restored).
pub fn to_bytes(s: &str) -> Vec<u8> {
    if !has_escapes(s) {
        return s.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match unescape_char(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    out
}

/// Whether `s` holds any escaped byte (cheap: every escape is a 4-byte sequence starting F4 8F BC..BF).
pub fn has_escapes(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == 0xF4 && w[1] == 0x8F && (0xBC..=0xBF).contains(&w[2]))
}

/// The private-use code point that stands for byte `b`.
fn escape_byte(b: u8) -> char {
    // BASE + 0..=255 stays within U+10FF00..=U+10FFFF, all valid scalar values.
    char::from_u32(BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte a private-use code point stands for, if it is one.
pub fn unescape_char(c: char) -> Option<u8> {
    let v = u32::from(c);
    if v >= BASE {
        u8::try_from(v - BASE).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_utf8_is_unchanged() {
        assert_eq!(from_bytes("héllo 🦀".as_bytes()), "héllo 🦀");
        assert!(!has_escapes("héllo 🦀"));
    }

    #[test]
    fn invalid_bytes_round_trip() {
        let raw = b"a\xffb\xed\xa0\x80c";
        let s = from_bytes(raw);
        assert!(has_escapes(&s));
        assert_eq!(to_bytes(&s), raw.to_vec());
    }

    proptest! {
        #[test]
        fn any_bytes_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(to_bytes(&from_bytes(&raw)), raw);
        }
    }
}
