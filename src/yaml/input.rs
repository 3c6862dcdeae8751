//! Bytes to text, as libyaml's reader does it: a port of yaml.v2 v2.4.0's `readerc.go`
//! (`yaml_parser_determine_encoding`, `yaml_parser_update_buffer`).
//!
//! The encoding comes from the byte-order mark: UTF-16LE, UTF-16BE, UTF-8 (the mark is dropped),
//! else UTF-8. Every character must be printable in libyaml's sense (tab, LF, CR, `#x20-#x7E`,
//! NEL, `#xA0-#xD7FF`, `#xE000-#xFFFD`, `#x10000-#x10FFFF`), and the bytes must be valid.
//!
//! libyaml decodes lazily, 512 raw bytes at a time, so a bad byte is only an error once the
//! scanner has read up to the chunk holding it. To let the caller decide, a bad byte does not stop
//! reading here: it is replaced by `x` characters of the same byte length (so byte offsets before
//! and after it are unchanged) and reported as [`Bad`].

use std::borrow::Cow;

/// libyaml's `input_raw_buffer_size`.
pub(crate) const RAW_CHUNK: usize = 512;

/// The first invalid or non-printable character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    /// Byte offset in the decoded text.
    pub offset: usize,
    /// Byte offset in the raw input (what decides libyaml's chunk).
    pub raw_offset: usize,
    /// libyaml's message.
    pub message: &'static str,
}

/// The decoded text.
#[derive(Debug)]
pub(crate) struct Text<'a> {
    /// UTF-8 text, BOM removed, bad characters replaced.
    pub text: Cow<'a, str>,
    /// The first bad character, if any.
    pub bad: Option<Bad>,
    /// Bytes removed at the start (the BOM), so that `raw = offset + prefix` for UTF-8.
    pub prefix: usize,
    /// Whether the input was UTF-16 (raw offsets are then not `offset + prefix`).
    pub utf16: bool,
}

/// libyaml's printable-character check (`readerc.go`, "Check if the character is in the allowed
/// range").
fn printable(c: char) -> bool {
    let v = u32::from(c);
    matches!(v, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..=0x10_FFFF)
}

/// Decodes `bytes` the way libyaml's reader does.
///
/// libyaml (YAML 1.1) also breaks lines at NEL (U+0085), which granit (YAML 1.2) does not:
/// each NEL is rewritten as CR LF, the same two bytes long and read the same way (one line
/// break, a `\n` inside scalars).
pub(crate) fn decode(bytes: &[u8]) -> Text<'_> {
    let mut t = decode_raw(bytes);
    if t.text.contains('\u{85}') {
        t.text = Cow::Owned(t.text.replace('\u{85}', "\r\n"));
    }
    t
}

fn decode_raw(bytes: &[u8]) -> Text<'_> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return decode_utf16(&bytes[2..], false);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return decode_utf16(&bytes[2..], true);
    }
    let (body, prefix) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, 3),
        None => (bytes, 0),
    };
    match std::str::from_utf8(body) {
        Ok(s)
            if s.bytes()
                .all(|b| matches!(b, 0x09 | 0x0A | 0x0D | 0x20..=0x7E)) =>
        {
            Text {
                text: Cow::Borrowed(s),
                bad: None,
                prefix,
                utf16: false,
            }
        }
        Ok(s) => match s.char_indices().find(|&(_, c)| !printable(c)) {
            None => Text {
                text: Cow::Borrowed(s),
                bad: None,
                prefix,
                utf16: false,
            },
            Some(_) => sanitize_utf8(body, prefix),
        },
        Err(_) => sanitize_utf8(body, prefix),
    }
}

/// Slow path: replace every invalid sequence and non-printable character with `x`s of the same
/// byte length, remembering the first one and libyaml's message for it.
fn sanitize_utf8(body: &[u8], prefix: usize) -> Text<'static> {
    let mut out = String::with_capacity(body.len());
    let mut bad: Option<Bad> = None;
    let mut note = |offset: usize, message: &'static str| {
        if bad.is_none() {
            bad = Some(Bad {
                offset,
                raw_offset: offset + prefix,
                message,
            });
        }
    };
    let mut i = 0;
    while i < body.len() {
        let lead = body[i];
        let width = match lead {
            0x00..=0x7F => 1,
            _ if lead & 0xE0 == 0xC0 => 2,
            _ if lead & 0xF0 == 0xE0 => 3,
            _ if lead & 0xF8 == 0xF0 => 4,
            _ => {
                note(i, "invalid leading UTF-8 octet");
                out.push('x');
                i += 1;
                continue;
            }
        };
        if i + width > body.len() {
            note(i, "incomplete UTF-8 octet sequence");
            for _ in i..body.len() {
                out.push('x');
            }
            break;
        }
        let seq = &body[i..i + width];
        if let Some(k) = seq[1..].iter().position(|b| b & 0xC0 != 0x80) {
            note(i, "invalid trailing UTF-8 octet");
            // libyaml stops at the first error; the replacement only has to keep offsets.
            for _ in 0..=k {
                out.push('x');
            }
            i += k + 1;
            continue;
        }
        match std::str::from_utf8(seq) {
            Ok(s) => {
                let c = s.chars().next().unwrap_or('x');
                if printable(c) {
                    out.push(c);
                } else {
                    note(i, "control characters are not allowed");
                    out.extend(std::iter::repeat_n('x', width));
                }
            }
            Err(_) => {
                // Overlong forms, surrogates, values past U+10FFFF.
                let mut v = u32::from(lead & (0x7F >> width));
                for b in &seq[1..] {
                    v = (v << 6) | u32::from(b & 0x3F);
                }
                let overlong = (width == 2 && v < 0x80)
                    || (width == 3 && v < 0x800)
                    || (width == 4 && v < 0x1_0000);
                note(
                    i,
                    if overlong {
                        "invalid length of a UTF-8 sequence"
                    } else {
                        "invalid Unicode character"
                    },
                );
                out.extend(std::iter::repeat_n('x', width));
            }
        }
        i += width;
    }
    Text {
        text: Cow::Owned(out),
        bad,
        prefix,
        utf16: false,
    }
}

/// UTF-16 (after the BOM): decoded to UTF-8; decoding stops at the first error.
fn decode_utf16(body: &[u8], big_endian: bool) -> Text<'static> {
    let mut out = String::with_capacity(body.len());
    let mut bad: Option<Bad> = None;
    let unit = |i: usize| -> u16 {
        let (a, b) = (body[i], body[i + 1]);
        if big_endian {
            u16::from_be_bytes([a, b])
        } else {
            u16::from_le_bytes([a, b])
        }
    };
    let mut i = 0;
    while i < body.len() {
        let fail = |message: &'static str, out: &String| Bad {
            offset: out.len(),
            raw_offset: i + 2,
            message,
        };
        if i + 2 > body.len() {
            bad = Some(fail("incomplete UTF-16 character", &out));
            break;
        }
        let u = unit(i);
        let c = if (0xDC00..=0xDFFF).contains(&u) {
            bad = Some(fail("unexpected low surrogate area", &out));
            break;
        } else if (0xD800..=0xDBFF).contains(&u) {
            if i + 4 > body.len() {
                bad = Some(fail("incomplete UTF-16 surrogate pair", &out));
                break;
            }
            let u2 = unit(i + 2);
            if !(0xDC00..=0xDFFF).contains(&u2) {
                bad = Some(fail("expected low surrogate area", &out));
                break;
            }
            i += 4;
            0x1_0000 + ((u32::from(u) & 0x3FF) << 10) + (u32::from(u2) & 0x3FF)
        } else {
            i += 2;
            u32::from(u)
        };
        match char::from_u32(c) {
            Some(ch) if printable(ch) => out.push(ch),
            _ => {
                if bad.is_none() {
                    bad = Some(Bad {
                        offset: out.len(),
                        raw_offset: i,
                        message: "control characters are not allowed",
                    });
                }
                out.push('x');
            }
        }
    }
    Text {
        text: Cow::Owned(out),
        bad,
        prefix: 2,
        utf16: true,
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`, counting LF, CR and CRLF
/// as line breaks.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let head = text.as_bytes().get(..offset).unwrap_or_default();
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut i = 0;
    while i < head.len() {
        match head[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'\r' if head.get(i + 1) != Some(&b'\n') => {
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let col = text
        .get(line_start..offset)
        .map_or(0, |s| s.chars().count());
    (line, col as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_utf16() {
        let t = decode(b"\xEF\xBB\xBFa: b\n");
        assert_eq!(t.text, "a: b\n");
        assert!(t.bad.is_none());
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: é\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le).text, "a: é\n");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("a: 😀\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be).text, "a: 😀\n");
    }

    #[test]
    fn bad_bytes_keep_offsets() {
        let t = decode(b"a: \x01b\xFFc\n");
        assert_eq!(t.text, "a: xbxc\n");
        assert_eq!(
            t.bad,
            Some(Bad {
                offset: 3,
                raw_offset: 3,
                message: "control characters are not allowed"
            })
        );
        let t = decode(b"a: \xC3");
        assert_eq!(
            t.bad.map(|b| b.message),
            Some("incomplete UTF-8 octet sequence")
        );
        let t = decode(b"a: \xC0\x80");
        assert_eq!(
            t.bad.map(|b| b.message),
            Some("invalid length of a UTF-8 sequence")
        );
        let t = decode(b"a: \xED\xA0\x80");
        assert_eq!(t.bad.map(|b| b.message), Some("invalid Unicode character"));
        assert_eq!(
            decode(b"a\xC3(").bad.map(|b| b.message),
            Some("invalid trailing UTF-8 octet")
        );
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\r\ncd\ref", 5), (2, 2));
        assert_eq!(line_col("ab\r\ncd\ref", 8), (3, 2));
        assert_eq!(line_col("é: x", 4), (1, 4));
    }
}
