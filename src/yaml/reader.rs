//! libyaml's reader, as yaml.v2 v2.4.0 ports it (`readerc.go`: `yaml_parser_determine_encoding`,
//! `yaml_parser_update_raw_buffer`, `yaml_parser_update_buffer`, and `yaml_string_read_handler`
//! from `apic.go`).
//!
//! The encoding comes from the byte-order mark: UTF-16LE, UTF-16BE, UTF-8 (the mark is skipped),
//! else UTF-8. Every character must be valid and printable in libyaml's sense (tab, LF, CR,
//! `#x20-#x7E`, NEL, `#xA0-#xD7FF`, `#xE000-#xFFFD`, `#x10000-#x10FFFF`).
//!
//! libyaml decodes lazily: the raw input is read 512 bytes at a time, and a raw chunk is decoded
//! whole only when the scanner asks for more characters than are decoded. A bad byte is therefore
//! an error only once the scanner comes near its chunk, and whatever comes before it may already
//! have failed in the scanner or the parser. This port keeps that schedule exactly: the same
//! chunks, decoded at the same requests, and the same buffer: at each refill the consumed
//! characters are dropped and the unread ones start the buffer, which matters because the
//! scanner's BOM check looks at the buffer's start (see [`Reader::window_starts_with_bom`]).

use std::borrow::Cow;

/// libyaml's `input_raw_buffer_size`: how many raw bytes one read takes.
const RAW_BUFFER_SIZE: usize = 512;

/// The input encoding, from the byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Not determined yet.
    Any,
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// `yaml_parser_set_reader_error`: the reader's problem. yaml.v2 prints only the problem (a
/// reader error carries no line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReaderError {
    /// libyaml's message, e.g. `invalid leading UTF-8 octet`.
    pub problem: &'static str,
    /// Offset in the raw input (`parser.offset`, plus the index of a bad trailing octet).
    pub offset: usize,
}

/// The reader state of a `yaml_parser_t`.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    /// The whole input (`parser.input`).
    input: &'a [u8],
    /// The raw buffer is `input[raw_lo..raw_hi]`; `raw_pos` is `raw_buffer_pos` (absolute).
    /// The next read starts at `raw_hi` (`parser.input_pos`).
    raw_lo: usize,
    raw_pos: usize,
    raw_hi: usize,
    /// The read handler has reported the end of the input.
    eof: bool,
    encoding: Encoding,
    /// `parser.offset`: raw offset of the next character to decode.
    offset: usize,
    /// `parser.buffer`: the decoded bytes (UTF-8) since the last refill; after the end of the
    /// input, NUL bytes.
    buf: Vec<u8>,
    /// `parser.buffer_pos`, an index into `buf`.
    pos: usize,
    /// `parser.unread`: decoded characters not consumed yet.
    unread: usize,
    /// Where decoding started in `input` (after the byte-order mark): with `offset`, what has
    /// been decoded, for the position of a reader error.
    text_start: usize,
    /// Where `buf[0]` stands in `input`: UTF-8 decodes to the input's own bytes, so a scalar
    /// can be a slice of the input rather than a copy of the buffer.
    buf_start: usize,
}

/// A set of ASCII bytes as a table: the loops that take runs of characters at once test each
/// byte with one look-up.
#[derive(Debug)]
pub(crate) struct Class([bool; 256]);

impl Class {
    /// The bytes `lo..=hi`, and `extra`, but not `except`.
    pub(crate) const fn new(lo: u8, hi: u8, extra: &[u8], except: &[u8]) -> Class {
        let mut t = [false; 256];
        let mut b = lo as usize;
        while b <= hi as usize {
            t[b] = true;
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i += 1;
        }
        let mut i = 0;
        while i < except.len() {
            t[except[i] as usize] = false;
            i += 1;
        }
        Class(t)
    }

    #[inline]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b)]
    }
}

/// The characters libyaml finds printable that are ASCII: tab, LF, CR and `#x20-#x7E`.
const PRINTABLE_ASCII: Class = Class::new(b' ', b'~', b"\t\n\r", b"");

/// A scalar's value as the scanner builds it: a slice of the input for as long as everything
/// appended is the input's own bytes, each following on from the last (most scalars: no escapes,
/// no folded lines, UTF-8 input), else a copy. Appending or clearing reads like a `Vec<u8>`'s.
#[derive(Debug, Default)]
pub(crate) struct Text<'a> {
    /// The value is `input[start..end]` while `span` is set (and `copy` is then empty).
    input: &'a [u8],
    span: Option<(usize, usize)>,
    copy: Vec<u8>,
}

impl<'a> Text<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        self.span.is_none() && self.copy.is_empty()
    }

    /// Appends `input[at..at + n]`.
    fn extend_from_input(&mut self, input: &'a [u8], at: usize, n: usize) {
        match self.span {
            Some((_, ref mut end)) if *end == at => *end += n,
            None if self.copy.is_empty() => {
                self.input = input;
                self.span = Some((at, at + n));
            }
            _ => self.extend_from_slice(&input[at..at + n]),
        }
    }

    /// Appends bytes that are not (or not known to be) the input's own.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some((start, end)) = self.span.take() {
            self.copy.extend_from_slice(&self.input[start..end]);
        }
        self.copy.extend_from_slice(bytes);
    }

    pub(crate) fn push(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }

    /// Moves `other`'s bytes to the end of this value (as a slice still, when they follow on).
    pub(crate) fn append(&mut self, other: &mut Text<'a>) {
        match other.span {
            Some((start, end)) => self.extend_from_input(other.input, start, end - start),
            None => self.extend_from_slice(&other.copy),
        }
        other.clear();
    }

    pub(crate) fn clear(&mut self) {
        self.span = None;
        self.copy.clear();
    }

    /// The value: borrowed from the input, or the copy.
    pub(crate) fn into_value(self) -> Cow<'a, [u8]> {
        match self.span {
            Some((start, end)) => Cow::Borrowed(&self.input[start..end]),
            None => Cow::Owned(self.copy),
        }
    }
}

/// Counts lines and characters the way libyaml's marks do (CRLF, CR, LF, NEL, LS and PS each
/// end a line).
#[derive(Debug, Clone, Copy)]
struct LineCounter {
    line: u32,
    column: u32,
    /// The last byte fed was a CR (a following LF belongs to the same break).
    cr: bool,
}

impl LineCounter {
    fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_ascii() {
            for &b in bytes {
                match b {
                    b'\n' if self.cr => self.cr = false,
                    b'\r' | b'\n' => {
                        self.line += 1;
                        self.column = 1;
                        self.cr = b == b'\r';
                    }
                    _ => {
                        self.column += 1;
                        self.cr = false;
                    }
                }
            }
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        for c in text.chars() {
            match c {
                '\n' if self.cr => self.cr = false,
                '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                    self.line += 1;
                    self.column = 1;
                    self.cr = c == '\r';
                }
                _ => {
                    self.column += 1;
                    self.cr = false;
                }
            }
        }
    }
}

impl<'a> Reader<'a> {
    /// `yaml_parser_set_input_string`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader {
            input,
            raw_lo: 0,
            raw_pos: 0,
            raw_hi: 0,
            eof: false,
            encoding: Encoding::Any,
            offset: 0,
            buf: Vec::with_capacity(RAW_BUFFER_SIZE * 3),
            pos: 0,
            unread: 0,
            text_start: 0,
            buf_start: 0,
        }
    }

    /// The byte `k` positions past the current one (0 past the end, as libyaml's NUL padding).
    #[inline]
    pub(crate) fn at(&self, k: usize) -> u8 {
        self.buf.get(self.pos + k).copied().unwrap_or(0)
    }

    /// `parser.unread`.
    #[inline]
    pub(crate) fn unread(&self) -> usize {
        self.unread
    }

    /// The length of the run of bytes from the position, at most `limit` of them, in `class`.
    /// `limit` must not exceed [`Reader::unread`], and `class` must hold only ASCII bytes other
    /// than NUL: then the run is that many decoded characters.
    #[inline]
    pub(crate) fn ascii_run(&self, limit: usize, class: &Class) -> usize {
        let window = &self.buf[self.pos..(self.pos + limit).min(self.buf.len())];
        window
            .iter()
            .position(|&b| !class.contains(b))
            .unwrap_or(window.len())
    }

    /// Appends the next `n` decoded bytes (whole characters) to `text`: as the input's own bytes
    /// when the input is UTF-8, else as a copy.
    #[inline]
    pub(crate) fn append_to(&self, text: &mut Text<'a>, n: usize) {
        if self.encoding == Encoding::Utf8 {
            text.extend_from_input(self.input, self.buf_start + self.pos, n);
        } else {
            text.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        }
    }

    /// The 1-based line and column just past everything decoded: where a reader error is.
    /// What was decoded is the input from the byte-order mark to `offset`, all of it valid.
    pub(crate) fn end_position(&self) -> (u32, u32) {
        let mut c = LineCounter {
            line: 1,
            column: 1,
            cr: false,
        };
        let raw = &self.input[self.text_start..self.offset];
        match self.encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let units = raw.chunks_exact(2).map(|p| {
                    if self.encoding == Encoding::Utf16Le {
                        u16::from_le_bytes([p[0], p[1]])
                    } else {
                        u16::from_be_bytes([p[0], p[1]])
                    }
                });
                let text: String = char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                c.feed(text.as_bytes());
            }
            _ => c.feed(raw),
        }
        (c.line, c.column)
    }

    /// yaml.v2's `is_bom(parser.buffer, parser.buffer_pos)`, which ignores the position and
    /// tests the first three bytes of libyaml's buffer: where the unread characters were moved
    /// at the last refill, not where the scanner is.
    pub(crate) fn window_starts_with_bom(&self) -> bool {
        self.buf.get(..3) == Some(&[0xEF, 0xBB, 0xBF][..])
    }

    /// Consumes one character of `width` bytes (the pointer part of `skip`, `read`,
    /// `skip_line` and `read_line`).
    #[inline]
    pub(crate) fn advance(&mut self, width: usize, chars: usize) {
        self.pos += width;
        self.unread = self.unread.wrapping_sub(chars);
    }

    /// `cache`: `parser.unread >= length || yaml_parser_update_buffer(parser, length)`.
    #[inline]
    pub(crate) fn cache(&mut self, length: usize) -> Result<(), ReaderError> {
        if self.unread >= length {
            Ok(())
        } else {
            self.update_buffer(length)
        }
    }

    /// `yaml_parser_determine_encoding`.
    fn determine_encoding(&mut self) {
        while !self.eof && self.raw_hi - self.raw_pos < 3 {
            self.update_raw_buffer();
        }
        let avail = &self.input[self.raw_pos..self.raw_hi];
        let (encoding, bom) = if avail.starts_with(&[0xFF, 0xFE]) {
            (Encoding::Utf16Le, 2)
        } else if avail.starts_with(&[0xFE, 0xFF]) {
            (Encoding::Utf16Be, 2)
        } else if avail.starts_with(&[0xEF, 0xBB, 0xBF]) {
            (Encoding::Utf8, 3)
        } else {
            (Encoding::Utf8, 0)
        };
        self.encoding = encoding;
        self.raw_pos += bom;
        self.offset += bom;
        self.text_start = self.offset;
        self.buf_start = self.offset;
    }

    /// `yaml_parser_update_raw_buffer` with `yaml_string_read_handler`: moves the unread raw
    /// bytes to the front and reads up to 512 more; a read at the end of the input sets `eof`.
    fn update_raw_buffer(&mut self) {
        if self.raw_pos == self.raw_lo && self.raw_hi - self.raw_lo == RAW_BUFFER_SIZE {
            return;
        }
        if self.eof {
            return;
        }
        self.raw_lo = self.raw_pos;
        if self.raw_hi == self.input.len() {
            self.eof = true;
            return;
        }
        let room = RAW_BUFFER_SIZE - (self.raw_hi - self.raw_lo);
        self.raw_hi += room.min(self.input.len() - self.raw_hi);
    }

    fn error(&self, problem: &'static str, offset: usize) -> Result<(), ReaderError> {
        Err(ReaderError { problem, offset })
    }

    /// `yaml_parser_update_buffer`: makes sure `length` characters are decoded (NULs after the
    /// end of the input), decoding whole raw chunks.
    pub(crate) fn update_buffer(&mut self, length: usize) -> Result<(), ReaderError> {
        if self.unread >= length {
            return Ok(());
        }
        if self.encoding == Encoding::Any {
            self.determine_encoding();
        }
        // libyaml moves the unread characters to the front of its buffer.
        self.buf_start += self.pos.min(self.buf.len());
        self.buf.drain(..self.pos.min(self.buf.len()));
        self.pos = 0;
        let mut first = true;
        while self.unread < length {
            if !first || self.raw_pos == self.raw_hi {
                self.update_raw_buffer();
            }
            first = false;
            while self.raw_pos != self.raw_hi {
                let raw = &self.input[self.raw_pos..self.raw_hi];
                let (value, width) = match self.encoding {
                    Encoding::Utf16Le | Encoding::Utf16Be => {
                        let unit = |i: usize| -> u32 {
                            let (a, b) = (raw[i], raw[i + 1]);
                            let v = if self.encoding == Encoding::Utf16Le {
                                u16::from_le_bytes([a, b])
                            } else {
                                u16::from_be_bytes([a, b])
                            };
                            u32::from(v)
                        };
                        if raw.len() < 2 {
                            if self.eof {
                                return self.error("incomplete UTF-16 character", self.offset);
                            }
                            break;
                        }
                        let value = unit(0);
                        if value & 0xFC00 == 0xDC00 {
                            return self.error("unexpected low surrogate area", self.offset);
                        }
                        if value & 0xFC00 == 0xD800 {
                            if raw.len() < 4 {
                                if self.eof {
                                    return self
                                        .error("incomplete UTF-16 surrogate pair", self.offset);
                                }
                                break;
                            }
                            let value2 = unit(2);
                            if value2 & 0xFC00 != 0xDC00 {
                                return self.error("expected low surrogate area", self.offset + 2);
                            }
                            (0x10000 + ((value & 0x3FF) << 10) + (value2 & 0x3FF), 4)
                        } else {
                            (value, 2)
                        }
                    }
                    _ => {
                        // A run of printable ASCII decodes to itself: copied at once (what the
                        // loop below does a character at a time).
                        let run = raw
                            .iter()
                            .position(|&b| !PRINTABLE_ASCII.contains(b))
                            .unwrap_or(raw.len());
                        if run > 0 {
                            self.buf.extend_from_slice(&raw[..run]);
                            self.raw_pos += run;
                            self.offset += run;
                            self.unread += run;
                            continue;
                        }
                        let octet = raw[0];
                        let width = match octet {
                            _ if octet & 0x80 == 0x00 => 1,
                            _ if octet & 0xE0 == 0xC0 => 2,
                            _ if octet & 0xF0 == 0xE0 => 3,
                            _ if octet & 0xF8 == 0xF0 => 4,
                            _ => return self.error("invalid leading UTF-8 octet", self.offset),
                        };
                        if width > raw.len() {
                            if self.eof {
                                return self.error("incomplete UTF-8 octet sequence", self.offset);
                            }
                            break;
                        }
                        let mut value = u32::from(match width {
                            1 => octet & 0x7F,
                            2 => octet & 0x1F,
                            3 => octet & 0x0F,
                            _ => octet & 0x07,
                        });
                        for (k, &o) in raw.iter().enumerate().take(width).skip(1) {
                            if o & 0xC0 != 0x80 {
                                return self.error("invalid trailing UTF-8 octet", self.offset + k);
                            }
                            value = (value << 6) + u32::from(o & 0x3F);
                        }
                        let fits = match width {
                            1 => true,
                            2 => value >= 0x80,
                            3 => value >= 0x800,
                            _ => value >= 0x10000,
                        };
                        if !fits {
                            return self.error("invalid length of a UTF-8 sequence", self.offset);
                        }
                        if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
                            return self.error("invalid Unicode character", self.offset);
                        }
                        (value, width)
                    }
                };
                let printable = matches!(value,
                    0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF
                    | 0xE000..=0xFFFD | 0x1_0000..=0x10_FFFF);
                if !printable {
                    return self.error("control characters are not allowed", self.offset);
                }
                self.raw_pos += width;
                self.offset += width;
                // Checked above: a scalar value, not a surrogate.
                let c = char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut tmp = [0u8; 4];
                self.buf
                    .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                self.unread += 1;
            }
            if self.eof {
                self.buf.push(0);
                self.unread += 1;
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let mut r = Reader::new(input);
        let mut out = Vec::new();
        loop {
            r.cache(1)?;
            if r.at(0) == 0 && r.raw_pos == input.len() {
                return Ok(out);
            }
            let w = match r.at(0) {
                b if b & 0x80 == 0 => 1,
                b if b & 0xE0 == 0xC0 => 2,
                b if b & 0xF0 == 0xE0 => 3,
                _ => 4,
            };
            out.extend((0..w).map(|k| r.at(k)));
            r.advance(w, 1);
        }
    }

    #[test]
    fn boms_and_utf16() {
        assert_eq!(read_all(b"\xEF\xBB\xBFa: b\n").expect("decodes"), b"a: b\n");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: é😀\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(read_all(&le).expect("decodes"), "a: é😀\n".as_bytes());
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("a: é😀\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(read_all(&be).expect("decodes"), "a: é😀\n".as_bytes());
    }

    #[test]
    fn libyaml_messages() {
        let err = |b: &[u8]| read_all(b).expect_err("fails").problem;
        assert_eq!(err(b"a: \x01"), "control characters are not allowed");
        assert_eq!(err(b"a: \xFF"), "invalid leading UTF-8 octet");
        assert_eq!(err(b"a: \xC3"), "incomplete UTF-8 octet sequence");
        assert_eq!(err(b"a: \xC0\x80"), "invalid length of a UTF-8 sequence");
        assert_eq!(err(b"a: \xED\xA0\x80"), "invalid Unicode character");
        assert_eq!(err(b"a\xC3("), "invalid trailing UTF-8 octet");
        assert_eq!(err(b"\xFF\xFE\x00\xDC"), "unexpected low surrogate area");
        assert_eq!(err(b"\xFF\xFEa"), "incomplete UTF-16 character");
    }

    #[test]
    fn a_bad_byte_fails_only_when_its_chunk_is_decoded() {
        let mut input = vec![b'a'; 600];
        input[550] = 0xFF;
        let mut r = Reader::new(&input);
        // The first 512 bytes decode fine.
        assert!(r.cache(1).is_ok());
        assert_eq!(r.unread(), 512);
        r.advance(511, 511);
        // Asking for two characters decodes the next chunk, which holds the bad byte.
        assert_eq!(
            r.cache(2),
            Err(ReaderError {
                problem: "invalid leading UTF-8 octet",
                offset: 550
            })
        );
    }
}
