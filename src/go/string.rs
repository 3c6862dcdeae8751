//! [`GoString`]: a Go `string`, which is any sequence of bytes, not necessarily UTF-8.
//!
//! Everything read from registries.yaml is a Go string in K3s, and so is everything K3s derives
//! from it (URLs, directory names, rewrite rules, credentials). Most of them are UTF-8, but not
//! all: yaml.v2 decodes a `!!binary` scalar into a string without checking it, and `net/url`
//! unescapes `%ff` into the byte 0xff. K3s then writes those bytes quoted by `printf "%q"` (as
//! `\xff`) or raw. A `GoString` holds the bytes as they are, so no character can be mistaken for
//! a byte or the other way round; its borrowed form is [`BStr`].
//!
//! Ordering and equality are bytewise, as Go compares strings (and as `range` orders map keys).
//! `Display` writes UTF-8 as it is and every byte that is not part of valid UTF-8 as `\xNN`
//! (for people; bytes that K3s writes go out through [`GoString::as_bytes`]). `Debug` is Go's
//! `%q`.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

pub use bstr::{BStr, BString, ByteSlice};

/// A Go `string`: bytes.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoString(BString);

impl GoString {
    /// The empty string.
    pub const fn new() -> Self {
        GoString(BString::new(Vec::new()))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The borrowed form.
    pub fn as_bstr(&self) -> &BStr {
        self.0.as_ref()
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into()
    }

    /// The text, when the bytes are valid UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// The text with every invalid byte as `\xNN` (what `Display` prints).
    pub fn to_display(&self) -> Cow<'_, str> {
        display(self.as_bytes())
    }

    /// Appends bytes.
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// Empties the string.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// `b` as text for people: valid UTF-8 as it is, every other byte as `\xNN`.
pub fn display(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    Cow::Owned(out)
}

impl Deref for GoString {
    type Target = BStr;
    fn deref(&self) -> &BStr {
        self.as_bstr()
    }
}

impl AsRef<[u8]> for GoString {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<BStr> for GoString {
    fn as_ref(&self) -> &BStr {
        self.as_bstr()
    }
}

impl Borrow<[u8]> for GoString {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<BStr> for GoString {
    fn borrow(&self) -> &BStr {
        self.as_bstr()
    }
}

impl From<&str> for GoString {
    fn from(s: &str) -> Self {
        GoString(BString::from(s))
    }
}

impl From<String> for GoString {
    fn from(s: String) -> Self {
        GoString(BString::from(s))
    }
}

impl From<&String> for GoString {
    fn from(s: &String) -> Self {
        GoString(BString::from(s.as_str()))
    }
}

impl From<Vec<u8>> for GoString {
    fn from(b: Vec<u8>) -> Self {
        GoString(BString::from(b))
    }
}

impl From<&[u8]> for GoString {
    fn from(b: &[u8]) -> Self {
        GoString(BString::from(b))
    }
}

impl From<&BStr> for GoString {
    fn from(b: &BStr) -> Self {
        GoString(BString::from(b))
    }
}

impl From<Cow<'_, [u8]>> for GoString {
    fn from(b: Cow<'_, [u8]>) -> Self {
        GoString(BString::from(b.into_owned()))
    }
}

impl From<GoString> for Vec<u8> {
    fn from(s: GoString) -> Self {
        s.into_bytes()
    }
}

impl PartialEq<str> for GoString {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for GoString {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for GoString {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<[u8]> for GoString {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for GoString {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<BStr> for GoString {
    fn eq(&self, other: &BStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&BStr> for GoString {
    fn eq(&self, other: &&BStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<GoString> for str {
    fn eq(&self, other: &GoString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<GoString> for &str {
    fn eq(&self, other: &GoString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<GoString> for &BStr {
    fn eq(&self, other: &GoString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Display for GoString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display())
    }
}

impl fmt::Debug for GoString {
    /// Go's `%q`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::quote::quote(self.as_bytes()))
    }
}

impl FromIterator<u8> for GoString {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        GoString(BString::from(iter.into_iter().collect::<Vec<u8>>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_bytes() {
        let s = GoString::from(b"a\xffb".to_vec());
        assert_eq!(s.as_bytes(), b"a\xffb");
        assert_eq!(s.to_string(), "a\\xffb");
        assert_eq!(format!("{s:?}"), "\"a\\xffb\"");
        // A real character in the former escape range is a character, not a byte.
        let real = GoString::from("\u{10ff41}");
        assert_eq!(real.as_bytes(), b"\xf4\x8f\xbd\x81");
        assert_ne!(real, GoString::from("A"));
        assert_eq!(real.to_string(), "\u{10ff41}");
    }

    #[test]
    fn order_is_bytewise() {
        let mut v = [
            GoString::from("b"),
            GoString::from(b"\xff".to_vec()),
            GoString::from("\u{10ffff}"),
            GoString::from("a"),
        ];
        v.sort();
        assert_eq!(
            v.iter().map(GoString::as_bytes).collect::<Vec<_>>(),
            [&b"a"[..], b"b", b"\xf4\x8f\xbf\xbf", b"\xff"]
        );
        let x = GoString::from("x");
        assert_eq!(x, "x");
        assert_eq!("x", x);
    }
}
