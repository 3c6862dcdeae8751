//! Whether containerd can read a TOML file: the syntax of go-toml/v2, the parser containerd 2.x
//! reads `hosts.toml` and `config.toml` with, at the version the modelled build links.
//!
//! K3s links containerd as a Go module, so K3s's own `go.mod` picks go-toml's version:
//! github.com/pelletier/go-toml/v2 **v2.3.0** in current K3s (k3s-io/k3s `go.mod` on the
//! release-1.34..1.36 branches with k3s-io/containerd v2.2.7-k3s1 and v2.3.4-k3s1.36, e.g.
//! vitorsavian/k3s `e19e99911`), **v2.2.4** in K3s v1.34.3 (`80b11e874`, containerd v2.1.5-k3s1).
//! The two agree on every rule below (the parser diff between them, read in containerd's
//! vendored copies at tags v2.2.7 and v2.3.0, only changes error positions, local times with a
//! 60th second and what counts as a time zone in a date); both differ from the TOML 1.0 text:
//!
//! - `\e` is an escape (ESC), as in TOML 1.1; `\xHH` is not (`invalid escaped character`);
//! - inside an inline table, only spaces and tabs may separate `{`, keys, `=`, values, `,` and
//!   `}`: a newline there, or a trailing comma, is refused, but a value may span lines (a
//!   multi-line string, an array);
//! - control characters other than tab are refused in strings and comments, and a CR must be
//!   followed by LF.
//!
//! [`check`] ports `unstable/parser.go` and `unstable/scanner.go` (`NextExpression`,
//! `parseExpression`, `parseKeyval`, `parseVal`, the string scanners, `parseInlineTable`,
//! `parseValArray`, `hexToRune`) as a recogniser with go-toml's messages and positions. The
//! document is then read by `toml_edit` for its structure ([`parse`]): tables, duplicate keys and
//! redefinitions, and number and date literals. go-toml checks a number or a date only when it
//! decodes it into a field, so a malformed one under a key containerd does not read is accepted
//! by containerd and refused here; that is the one known difference.

use crate::go::quote::is_print;

/// A document go-toml refuses: its message, and where (1-based line and byte column of the
/// start of go-toml's highlight, and the byte offset).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("toml: line {line}, column {column}: {message}")]
pub(crate) struct TomlError {
    /// go-toml's message (`invalid escaped character U+0078 'x'`), or toml_edit's for what the
    /// structure check finds.
    pub(crate) message: String,
    /// 1-based line.
    pub(crate) line: u32,
    /// 1-based column, in bytes (as go-toml counts).
    pub(crate) column: u32,
    /// Byte offset of the highlight.
    pub(crate) offset: usize,
}

impl TomlError {
    fn at(data: &[u8], offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(data.len());
        let lead = &data[..offset];
        let line = lead.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = offset - lead.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        TomlError {
            message: message.into(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            offset,
        }
    }
}

/// Why containerd cannot use a file it reads with go-toml (hosts.toml, config.toml): a syntax
/// error, a value go-toml cannot decode into its field, or containerd's own check of the decoded
/// value. The message is theirs; `offset` is where in the file, when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct DecodeError {
    /// The error as containerd (or go-toml) words it.
    pub(crate) message: String,
    /// The byte offset it is about, when known.
    pub(crate) offset: Option<usize>,
}

impl DecodeError {
    /// An error of containerd's own, about the decoded value (no position).
    pub(crate) fn msg(message: impl Into<String>) -> Self {
        DecodeError {
            message: message.into(),
            offset: None,
        }
    }
}

impl From<TomlError> for DecodeError {
    fn from(e: TomlError) -> Self {
        DecodeError {
            offset: Some(e.offset),
            message: e.to_string(),
        }
    }
}

/// Parses a file as containerd does: go-toml's syntax, then the document's structure.
pub(crate) fn parse(data: &[u8]) -> Result<toml_edit::Document<String>, TomlError> {
    check(data)?;
    // check() validated every string and comment as UTF-8 and everything else is ASCII.
    let text = std::str::from_utf8(data)
        .map_err(|e| TomlError::at(data, e.valid_up_to(), "invalid UTF-8"))?;
    toml_edit::Document::parse(text.to_string()).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().lines().next().unwrap_or_default().to_string();
        TomlError::at(data, offset, message)
    })
}

/// go-toml's parser as a recogniser: `Ok` when go-toml's syntax accepts the document.
pub(crate) fn check(data: &[u8]) -> Result<(), TomlError> {
    let p = Parser { data };
    p.document()
        .map_err(|(offset, message)| TomlError::at(data, offset, message))
}

/// An error: the offset of go-toml's highlight and its message.
type PErr = (usize, String);
type PResult = Result<usize, PErr>;

struct Parser<'a> {
    data: &'a [u8],
}

/// `%#U`: `U+0078 'x'`, without the quoted character when it is not printable.
fn sharp_u(c: u32) -> String {
    match char::from_u32(c).filter(|ch| is_print(*ch)) {
        Some(ch) => format!("U+{c:04X} '{ch}'"),
        None => format!("U+{c:04X}"),
    }
}

/// `characters.InvalidASCII`: control characters other than tab, LF and CR, and DEL.
fn invalid_ascii(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f
}

/// `characters.Utf8ValidNext`: the size of the valid, allowed character at `p[0]`, or 0.
fn utf8_valid_next(p: &[u8]) -> usize {
    let c = p[0];
    if c < 0x80 {
        return usize::from(!invalid_ascii(c));
    }
    let size = match c {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 0,
    };
    if p.len() < size {
        return 0;
    }
    match std::str::from_utf8(&p[..size]) {
        Ok(_) => size,
        Err(_) => 0,
    }
}

/// `characters.Utf8TomlValidAlreadyEscaped`: the offset of the first disallowed character.
fn first_invalid(p: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < p.len() {
        if p[i] < 0x80 {
            if invalid_ascii(p[i]) {
                return Some(i);
            }
            i += 1;
            continue;
        }
        let n = utf8_valid_next(&p[i..]);
        if n == 0 {
            return Some(i);
        }
        i += n;
    }
    None
}

fn is_unquoted_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.data.get(i).copied()
    }

    fn follows(&self, i: usize, pat: &[u8]) -> bool {
        self.data.get(i..).is_some_and(|r| r.starts_with(pat))
    }

    fn err<T>(&self, i: usize, msg: impl Into<String>) -> Result<T, PErr> {
        Err((i, msg.into()))
    }

    /// `NextExpression` until the end: an expression, then a newline, and so on.
    fn document(&self) -> Result<(), PErr> {
        let mut i = 0;
        let mut first = true;
        while i < self.data.len() {
            if !first {
                i = self.newline(i)?;
                if i >= self.data.len() {
                    break;
                }
            }
            i = self.expression(i)?;
            first = false;
        }
        Ok(())
    }

    /// `parseNewline`.
    fn newline(&self, i: usize) -> PResult {
        match self.at(i) {
            Some(b'\n') => Ok(i + 1),
            Some(b'\r') => match self.at(i + 1) {
                Some(b'\n') => Ok(i + 2),
                None => self.err(i, "windows new line expected"),
                Some(_) => self.err(i, "windows new line should be \\r\\n"),
            },
            Some(c) => self.err(
                i,
                format!("expected newline but got {}", sharp_u(u32::from(c))),
            ),
            None => Ok(i),
        }
    }

    /// `parseWhitespace`: spaces and tabs.
    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    }

    /// `parseExpression`: `ws [comment]`, `ws keyval ws [comment]`, `ws table ws [comment]`.
    fn expression(&self, i: usize) -> PResult {
        let mut i = self.ws(i);
        match self.at(i) {
            None | Some(b'\n' | b'\r') => return Ok(i),
            Some(b'#') => return self.comment(i),
            Some(b'[') => i = self.table(i)?,
            Some(_) => i = self.keyval(i)?,
        }
        i = self.ws(i);
        if self.at(i) == Some(b'#') {
            return self.comment(i);
        }
        Ok(i)
    }

    /// `scanComment`.
    fn comment(&self, start: usize) -> PResult {
        let mut i = start + 1;
        while i < self.data.len() {
            match self.data[i] {
                b'\n' => return Ok(i),
                b'\r' if self.at(i + 1) == Some(b'\n') => return Ok(i),
                b'\r' => return self.err(i, "invalid character in comment"),
                _ => {}
            }
            let n = utf8_valid_next(&self.data[i..]);
            if n == 0 {
                return self.err(i, "invalid character in comment");
            }
            i += n;
        }
        Ok(i)
    }

    /// `parseTable`: `[[key]]` or `[key]`.
    fn table(&self, i: usize) -> PResult {
        let array = self.at(i + 1) == Some(b'[');
        let mut i = self.ws(i + if array { 2 } else { 1 });
        i = self.key(i)?;
        i = self.ws(i);
        i = self.expect(b']', i)?;
        if array {
            i = self.expect(b']', i)?;
        }
        Ok(i)
    }

    fn expect(&self, x: u8, i: usize) -> PResult {
        match self.at(i) {
            None => self.err(
                i,
                format!(
                    "expected character {} but the document ended here",
                    x as char
                ),
            ),
            Some(c) if c != x => self.err(i, format!("expected character {}", x as char)),
            Some(_) => Ok(i + 1),
        }
    }

    /// `parseKeyval`: `key ws = ws val`.
    fn keyval(&self, start: usize) -> PResult {
        let mut i = self.key(start)?;
        i = self.ws(i);
        if i >= self.data.len() {
            return self.err(start, "expected = after a key, but the document ends there");
        }
        i = self.expect(b'=', i)?;
        i = self.ws(i);
        self.val(i)
    }

    /// `parseKey`: simple keys separated by `ws . ws`.
    fn key(&self, i: usize) -> PResult {
        let mut i = self.simple_key(i)?;
        loop {
            let j = self.ws(i);
            if self.at(j) != Some(b'.') {
                return Ok(i);
            }
            i = self.simple_key(self.ws(j + 1))?;
        }
    }

    /// `parseSimpleKey`.
    fn simple_key(&self, i: usize) -> PResult {
        match self.at(i) {
            None => self.err(i, "expected key but found none"),
            Some(b'\'') => self.literal_string(i),
            Some(b'"') => self.basic_string(i),
            Some(c) if is_unquoted_key_char(c) => {
                let mut j = i;
                while self.at(j).is_some_and(is_unquoted_key_char) {
                    j += 1;
                }
                Ok(j)
            }
            Some(c) => self.err(
                i,
                format!("invalid character at start of key: {}", char::from(c)),
            ),
        }
    }

    /// `parseVal`.
    fn val(&self, i: usize) -> PResult {
        match self.at(i) {
            None => self.err(i, "expected value, not eof"),
            Some(b'"') if self.follows(i, b"\"\"\"") => self.ml_basic_string(i),
            Some(b'"') => self.basic_string(i),
            Some(b'\'') if self.follows(i, b"'''") => self.ml_literal_string(i),
            Some(b'\'') => self.literal_string(i),
            Some(b't') if self.follows(i, b"true") => Ok(i + 4),
            Some(b't') => self.err(i, "expected 'true'"),
            Some(b'f') if self.follows(i, b"false") => Ok(i + 5),
            Some(b'f') => self.err(i, "expected 'false'"),
            Some(b'[') => self.array(i),
            Some(b'{') => self.inline_table(i),
            Some(_) => self.number_or_date(i),
        }
    }

    /// `parseInlineTable`: only spaces and tabs between the parts, no trailing comma.
    fn inline_table(&self, start: usize) -> PResult {
        let mut i = start + 1;
        let mut first = true;
        while i < self.data.len() {
            let before = i;
            i = self.ws(i);
            if i >= self.data.len() {
                return self.err(before, "inline table is incomplete");
            }
            if self.data[i] == b'}' {
                break;
            }
            if !first {
                i = self.expect(b',', i)?;
                i = self.ws(i);
            }
            i = self.keyval(i)?;
            first = false;
        }
        self.expect(b'}', i)
    }

    /// `parseValArray`: values separated by commas, with white space, comments and newlines
    /// around them; a trailing comma is allowed.
    fn array(&self, start: usize) -> PResult {
        let mut i = start + 1;
        let mut first = true;
        while i < self.data.len() {
            i = self.ws_comment_newline(i)?;
            if i >= self.data.len() {
                return self.err(start, "array is incomplete");
            }
            if self.data[i] == b']' {
                break;
            }
            if self.data[i] == b',' {
                if first {
                    return self.err(i, "array cannot start with comma");
                }
                i = self.ws_comment_newline(i + 1)?;
            } else if !first {
                return self.err(i, "array elements must be separated by commas");
            }
            if self.at(i) == Some(b']') {
                break;
            }
            i = self.val(i)?;
            i = self.ws_comment_newline(i)?;
            first = false;
        }
        self.expect(b']', i)
    }

    /// `parseOptionalWhitespaceCommentNewline`.
    fn ws_comment_newline(&self, mut i: usize) -> PResult {
        while i < self.data.len() {
            i = self.ws(i);
            if self.at(i) == Some(b'#') {
                i = self.comment(i)?;
            }
            match self.at(i) {
                Some(b'\n' | b'\r') => i = self.newline(i)?,
                _ => break,
            }
        }
        Ok(i)
    }

    /// `scanBasicString` + `parseBasicString`.
    fn basic_string(&self, start: usize) -> PResult {
        let mut i = start + 1;
        let mut escaped = false;
        let end = loop {
            match self.at(i) {
                None => return self.err(i, "basic string not terminated by \""),
                Some(b'"') => break i,
                Some(b'\n' | b'\r') => return self.err(i, "basic strings cannot have new lines"),
                Some(b'\\') => {
                    if self.at(i + 1).is_none() {
                        return self.err(i, "need a character after \\");
                    }
                    escaped = true;
                    i += 2;
                }
                Some(_) => i += 1,
            }
        };
        self.string_body(start + 1, end, escaped, false)?;
        Ok(end + 1)
    }

    /// `scanMultilineBasicString` + `parseMultilineBasicString`.
    fn ml_basic_string(&self, start: usize) -> PResult {
        let mut i = start + 3;
        let mut escaped = false;
        let (body_end, end) = loop {
            match self.at(i) {
                None => return self.err(i, "multiline basic string not terminated by \"\"\""),
                Some(b'"') if self.follows(i, b"\"\"\"") => {
                    let (extra, end) = self.close_multiline(i, b'"', "basic")?;
                    break (i + extra, end);
                }
                Some(b'\\') => {
                    if self.at(i + 1).is_none() {
                        return self.err(i + 1, "need a character after \\");
                    }
                    escaped = true;
                    i += 2;
                }
                Some(b'\r') => i = self.crlf_in_multiline(i)?,
                Some(_) => i += 1,
            }
        };
        let mut body = start + 3;
        if self.at(body) == Some(b'\n') {
            body += 1;
        } else if self.follows(body, b"\r\n") {
            body += 2;
        }
        self.string_body(body.min(body_end), body_end, escaped, true)?;
        Ok(end)
    }

    /// The characters and escapes of a basic string's body `[from, to)`.
    fn string_body(
        &self,
        from: usize,
        to: usize,
        escaped: bool,
        multiline: bool,
    ) -> Result<(), PErr> {
        let body = &self.data[from..to];
        if !escaped {
            return match first_invalid(body) {
                Some(k) => self.err(from + k, "invalid UTF-8"),
                None => Ok(()),
            };
        }
        let mut i = from;
        while i < to {
            let c = self.data[i];
            if c != b'\\' {
                let n = utf8_valid_next(&self.data[i..to]);
                if n == 0 {
                    return self.err(i, format!("invalid character {}", sharp_u(u32::from(c))));
                }
                i += n;
                continue;
            }
            if multiline {
                // A `\` that is the last non-blank character of its line trims the white space
                // and newlines after it.
                let mut j = i + 1;
                while j < to && matches!(self.data[j], b' ' | b'\t') {
                    j += 1;
                }
                let line_end = match self.data.get(j) {
                    Some(b'\n') => true,
                    Some(b'\r') => self.at(j + 1) == Some(b'\n'),
                    _ => false,
                };
                if line_end && j < to {
                    while j < to && matches!(self.data[j], b'\n' | b'\r' | b' ' | b'\t') {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
            }
            i += 1;
            match self.data[i] {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' | b'e' => i += 1,
                b'u' => i = self.hex_rune(i + 1, to, 4)?,
                b'U' => i = self.hex_rune(i + 1, to, 8)?,
                other => {
                    return self.err(
                        i,
                        format!("invalid escaped character {}", sharp_u(u32::from(other))),
                    )
                }
            }
        }
        Ok(())
    }

    /// `hexToRune`: `length` hex digits at `i` (before `to`), a Unicode scalar value.
    fn hex_rune(&self, i: usize, to: usize, length: usize) -> PResult {
        let avail = to.saturating_sub(i);
        if avail < length {
            return self.err(
                i,
                format!("unicode point needs {length} character, not {avail}"),
            );
        }
        let mut r: u32 = 0;
        for k in 0..length {
            let d = match self.data[i + k] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => return self.err(i + k, "non-hex character"),
            };
            r = r.wrapping_mul(16).wrapping_add(u32::from(d));
        }
        if r > 0x10FFFF || (0xD800..0xE000).contains(&r) {
            return self.err(i, "escape sequence is invalid Unicode code point");
        }
        Ok(i + length)
    }

    /// The closing delimiter of a multi-line string (three `q` at `i`), eagerly: up to two more
    /// `q` belong to the string, a third is an error. Returns how many belong to the string and
    /// where the string ends.
    fn close_multiline(&self, i: usize, q: u8, kind: &str) -> Result<(usize, usize), PErr> {
        let mut end = i + 3;
        let mut extra = 0;
        while extra < 2 && self.at(end) == Some(q) {
            end += 1;
            extra += 1;
        }
        if extra == 2 && self.at(end) == Some(q) {
            let delim = char::from(q).to_string().repeat(3);
            return self.err(
                end - 3,
                format!("{delim} not allowed in multiline {kind} string"),
            );
        }
        Ok((extra, end))
    }

    /// A CR inside a multi-line string must start a CRLF.
    fn crlf_in_multiline(&self, i: usize) -> PResult {
        match self.at(i + 1) {
            None => self.err(i + 1, "need a \\n after \\r"),
            Some(b'\n') => Ok(i + 2),
            Some(_) => self.err(i, "need a \\n after \\r"),
        }
    }

    /// `scanLiteralString`.
    fn literal_string(&self, start: usize) -> PResult {
        let mut i = start + 1;
        while i < self.data.len() {
            match self.data[i] {
                b'\'' => return Ok(i + 1),
                b'\n' | b'\r' => return self.err(i, "literal strings cannot have new lines"),
                _ => {}
            }
            let n = utf8_valid_next(&self.data[i..]);
            if n == 0 {
                return self.err(i, "invalid character");
            }
            i += n;
        }
        self.err(i, "unterminated literal string")
    }

    /// `scanMultilineLiteralString`.
    fn ml_literal_string(&self, start: usize) -> PResult {
        let mut i = start + 3;
        while i < self.data.len() {
            match self.data[i] {
                b'\'' if self.follows(i, b"'''") => {
                    let (_, end) = self.close_multiline(i, b'\'', "literal")?;
                    return Ok(end);
                }
                b'\r' => {
                    i = self.crlf_in_multiline(i)?;
                    continue;
                }
                _ => {}
            }
            let n = utf8_valid_next(&self.data[i..]);
            if n == 0 {
                return self.err(i, "invalid character");
            }
            i += n;
        }
        self.err(i, "multiline literal string not terminated by '''")
    }

    /// `parseIntOrFloatOrDateTime`: how far go-toml's scanner takes a number or a date. (Their
    /// text is checked when decoded; see the module docs.)
    fn number_or_date(&self, i: usize) -> PResult {
        let b = &self.data[i..];
        match b[0] {
            b'i' if b.starts_with(b"inf") => return Ok(i + 3),
            b'i' => return self.err(i, "expected 'inf'"),
            b'n' if b.starts_with(b"nan") => return Ok(i + 3),
            b'n' => return self.err(i, "expected 'nan'"),
            b'+' | b'-' => return self.int_or_float(i),
            _ => {}
        }
        if b.len() >= 3 {
            for (idx, &c) in b.iter().take(5).enumerate() {
                if c.is_ascii_digit() {
                    continue;
                }
                if (idx == 2 && c == b':') || (idx == 4 && c == b'-') {
                    return Ok(i + scan_date_time(b));
                }
                break;
            }
        }
        self.int_or_float(i)
    }

    /// `scanIntOrFloat`.
    fn int_or_float(&self, start: usize) -> PResult {
        let b = &self.data[start..];
        if b.len() > 2 && b[0] == b'0' && !matches!(b[1], b'.' | b'e' | b'E') {
            let valid: Option<fn(u8) -> bool> = match b[1] {
                b'x' => Some(|c: u8| c.is_ascii_hexdigit() || c == b'_'),
                b'o' => Some(|c: u8| (b'0'..=b'7').contains(&c) || c == b'_'),
                b'b' => Some(|c: u8| c == b'0' || c == b'1' || c == b'_'),
                _ => None,
            };
            let mut i = 1;
            if let Some(valid) = valid {
                i = 2;
                while i < b.len() && valid(b[i]) {
                    i += 1;
                }
            }
            return Ok(start + i);
        }
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'_' | b'.' | b'e' | b'E') {
                i += 1;
                continue;
            }
            if c == b'i' {
                if b[i..].starts_with(b"inf") {
                    return Ok(start + i + 3);
                }
                return self.err(
                    start + i,
                    "unexpected character 'i' while scanning for a number",
                );
            }
            if c == b'n' {
                if b[i..].starts_with(b"nan") {
                    return Ok(start + i + 3);
                }
                return self.err(
                    start + i,
                    "unexpected character 'n' while scanning for a number",
                );
            }
            break;
        }
        if i == 0 {
            return self.err(start, "incomplete number");
        }
        Ok(start + i)
    }
}

/// `scanDateTime`: contiguous `[0-9T:Z.+-]`, and one space when a digit follows.
fn scan_date_time(b: &[u8]) -> usize {
    let mut seen_space = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' | b'-' | b'T' | b't' | b':' | b'.' | b'+' | b'Z' | b'z' => {}
            b' ' if !seen_space && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 2;
                if i >= b.len() {
                    i -= 1;
                }
                seen_space = true;
            }
            _ => break,
        }
        i += 1;
    }
    i.min(b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) {
        assert_eq!(check(s.as_bytes()), Ok(()), "{s:?}");
    }

    fn refused(s: &str, want: &str) {
        let e = check(s.as_bytes()).expect_err(s);
        assert!(e.message.contains(want), "{s:?}: {e}");
    }

    #[test]
    fn escapes_are_go_toml_v2_ones() {
        // \e is ESC for go-toml >= v2.1 (containerd 2.x); \x is still refused.
        ok("a = \"x\\ey\"\n");
        ok("[host.\"https://m/v2\".rewrite]\n  \"^team/app\\e1$\" = \"x\"\n");
        refused("a = \"x\\x41\"\n", "invalid escaped character U+0078 'x'");
        refused("a = \"x\\.y\"\n", "invalid escaped character U+002E '.'");
        ok("a = \"\\u00e9\\U0001F600\\b\\f\\n\\r\\t\\\"\\\\\"\n");
        refused("a = \"\\uD800\"\n", "invalid Unicode code point");
        refused("a = \"\\u12\"\n", "unicode point needs 4 character, not 2");
        ok("a = 'x\\ey\\x'\n");
    }

    #[test]
    fn inline_tables_span_lines_only_inside_values() {
        ok("header = {X-A = \"\"\"a\nb\"\"\"}\n");
        ok("x = {a = [1,\n 2]}\n");
        refused(
            "x = { a = 1,\n b = 2 }\n",
            "invalid character at start of key: \n",
        );
        refused("x = {\n a = 1 }\n", "invalid character at start of key");
        refused("x = { a = 1, }\n", "invalid character at start of key: }");
        refused(
            "x = { a = 1",
            "expected character } but the document ended here",
        );
        refused("x = { a = 1, ", "expected key but found none");
        refused("x = {  ", "inline table is incomplete");
    }

    #[test]
    fn strings_and_comments() {
        refused("a = \"x\u{1}\"\n", "invalid UTF-8");
        refused("a = \"x\\n\u{1}\"\n", "invalid character U+0001");
        refused("a = 'x\u{7f}'\n", "invalid character");
        refused("# x\u{1}\n", "invalid character in comment");
        refused("a = 1 # x\ry\n", "invalid character in comment");
        refused("a = \"x\ny\"\n", "basic strings cannot have new lines");
        assert!(check(b"a = \"\xff\"\n").is_err());
        ok("a = \"\"\"\nx\r\ny\\\n   z\"\"\"\"\"\n");
        refused(
            "a = \"\"\"x\"\"\"\"\"\"\n",
            "not allowed in multiline basic string",
        );
        ok("a = '''x\ny'''''\n");
        refused("a = \"\"\"x\ry\"\"\"\n", "need a \\n after \\r");
    }

    #[test]
    fn structure_and_positions() {
        ok("version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = \"/c\"\n[[a.b]]\n");
        refused("a = 1 b = 2\n", "expected newline but got U+0062 'b'");
        refused("[a\n", "expected character ]");
        refused("a\n", "expected character =");
        refused("a = [,1]\n", "array cannot start with comma");
        refused("a = [1 2]\n", "array elements must be separated by commas");
        refused("a = tru\n", "expected 'true'");
        let e = check(b"a = 1\nb = \"x\\x41\"\n").expect_err("invalid");
        assert_eq!((e.line, e.column), (2, 8));
        assert_eq!(
            e.to_string(),
            "toml: line 2, column 8: invalid escaped character U+0078 'x'"
        );
        ok("a = [\n  1, # one\n  2,\n]\n");
        ok("d = 1979-05-27T07:32:00Z\nt = 07:32:00\nx = 0x1F\nf = -inf\n");
    }

    #[test]
    fn structure_comes_from_toml_edit() {
        assert!(parse(b"[a]\n[a]\n").is_err());
        assert!(parse(b"a = 1\na = 2\n").is_err());
        let doc = parse("a = \"x\\ey\"\n".as_bytes()).expect("valid");
        assert_eq!(
            doc.as_table().get("a").and_then(|v| v.as_str()),
            Some("x\u{1b}y")
        );
    }
}
