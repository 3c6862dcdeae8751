//! libyaml's scanner, as yaml.v2 v2.4.0 ports it (`scannerc.go`, with the character classes of
//! `yamlprivateh.go`): the input's characters to tokens.
//!
//! This is a port, function for function, because the details are what K3s sees: which characters
//! break lines (LF, CR, CRLF and also NEL U+0085, LS U+2028 and PS U+2029), where a plain scalar
//! ends (`: `, and in flow context `,?[]{}`, but not `:` before a flow indicator), which tabs are
//! refused, how quoted scalars fold, the 1,024-character limit on simple keys, and which token an
//! error is reported at. yaml.v2's own changes to libyaml are kept too: the simple-key table
//! indexed by token number (`simple_keys_by_tok`), and the BOM check that looks at the start of
//! the reader's buffer instead of the current position.
//!
//! Functions are named after the Go functions they port; where Go returns `false` after
//! recording an error, these return `Err`.

use std::collections::VecDeque;

use std::borrow::Cow;

use super::reader::{Class, Reader, ReaderError, Text};

/// `yaml_mark_t`: a position. All three count characters; `line` and `column` are 0-based.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    pub index: usize,
    pub line: usize,
    pub column: usize,
}

/// `yaml_scalar_style_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ScalarStyle {
    #[default]
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// `yaml_token_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    StreamStart,
    StreamEnd,
    VersionDirective,
    TagDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

/// `yaml_token_t`.
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind,
    pub start: Mark,
    pub end: Mark,
    /// Alias or anchor name, scalar value (a slice of the input when it can be), tag or
    /// tag-directive handle.
    pub value: Cow<'a, [u8]>,
    /// Tag suffix.
    pub suffix: Vec<u8>,
    /// Tag-directive prefix.
    pub prefix: Vec<u8>,
    pub style: ScalarStyle,
    /// `%YAML` version.
    pub major: i8,
    pub minor: i8,
}

impl Token<'_> {
    fn new(kind: TokenKind, start: Mark, end: Mark) -> Self {
        Token {
            kind,
            start,
            end,
            value: Cow::Borrowed(&[]),
            suffix: Vec::new(),
            prefix: Vec::new(),
            style: ScalarStyle::Plain,
            major: 0,
            minor: 0,
        }
    }
}

/// What stopped libyaml: `parser.error` with its problem, context and marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YamlError {
    /// `yaml_READER_ERROR`.
    Reader(ReaderError),
    /// `yaml_SCANNER_ERROR`.
    Scanner {
        context: &'static str,
        context_mark: Mark,
        problem: String,
        problem_mark: Mark,
    },
    /// `yaml_PARSER_ERROR` (`context` is empty for `yaml_parser_set_parser_error`).
    Parser {
        context: &'static str,
        context_mark: Mark,
        problem: &'static str,
        problem_mark: Mark,
    },
}

impl From<ReaderError> for YamlError {
    fn from(e: ReaderError) -> Self {
        YamlError::Reader(e)
    }
}

type Result<T> = std::result::Result<T, YamlError>;

/// `yaml_simple_key_t`.
#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    token_number: usize,
    mark: Mark,
}

/// yaml.v2's `simple_keys_by_tok`, a `map[int]int` from token number to index in `simple_keys`.
/// It is only ever read for the next token to be parsed (`tokens_parsed`), which only grows, so
/// an entry for a token already parsed can never be read again (yaml.v2 keeps them, in a map
/// as large as the document's scalars): here entries are kept from the next token on, by
/// number, and dropped as tokens are parsed.
#[derive(Debug, Default)]
struct KeysByToken {
    /// The token number of `slots[0]`: `tokens_parsed`.
    base: usize,
    slots: VecDeque<Option<usize>>,
}

impl KeysByToken {
    fn get(&self, token: usize) -> Option<usize> {
        let i = token.checked_sub(self.base)?;
        self.slots.get(i).copied().flatten()
    }

    /// Sets the entry for `token`; one for a token already parsed would never be read.
    fn insert(&mut self, token: usize, idx: usize) {
        let Some(i) = token.checked_sub(self.base) else {
            return;
        };
        if i >= self.slots.len() {
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = Some(idx);
    }

    fn remove(&mut self, token: usize) {
        if let Some(slot) = token
            .checked_sub(self.base)
            .and_then(|i| self.slots.get_mut(i))
        {
            *slot = None;
        }
    }

    fn clear(&mut self) {
        self.slots.clear();
    }

    /// One more token has been parsed.
    fn advance(&mut self) {
        self.base += 1;
        self.slots.pop_front();
    }
}

// The runs of characters the scanner's loops take at once (see `Scanner::ascii_run`).
/// Indentation.
const SPACES: Class = Class::new(b' ', b' ', b"", b"");
/// The rest of a comment, or of a block scalar's line.
const LINE: Class = Class::new(b' ', b'~', b"\t", b"");
/// Single-quoted scalars: up to a blank or a quote.
const SINGLE_QUOTED: Class = Class::new(b'!', b'~', b"", b"'");
/// Double-quoted scalars: up to a blank, a quote or an escape.
const DOUBLE_QUOTED: Class = Class::new(b'!', b'~', b"", b"\"\\");
/// Plain scalars in block context: up to a blank or a `:` (which ends them before a blank).
const PLAIN: Class = Class::new(b'!', b'~', b"", b":");
/// Plain scalars in flow context: up to a blank, a `:` or a flow indicator.
const PLAIN_IN_FLOW: Class = Class::new(b'!', b'~', b"", b":,?[]{}");

/// libyaml's `max_flow_level`.
const MAX_FLOW_LEVEL: usize = 10_000;
/// libyaml's `max_indents`.
const MAX_INDENTS: usize = 10_000;
/// libyaml's `max_number_length` (digits of a `%YAML` version number).
const MAX_NUMBER_LENGTH: i8 = 2;

/// `width`: the length of the UTF-8 sequence a leading byte starts (0 if it starts none).
fn width(b: u8) -> usize {
    if b & 0x80 == 0x00 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        0
    }
}

fn as_hex(b: u8) -> u32 {
    match b {
        b'A'..=b'F' => u32::from(b - b'A') + 10,
        b'a'..=b'f' => u32::from(b - b'a') + 10,
        _ => u32::from(b.wrapping_sub(b'0')),
    }
}

/// The scanner part of `yaml_parser_t`.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    r: Reader<'a>,
    mark: Mark,
    stream_start_produced: bool,
    stream_end_produced: bool,
    flow_level: usize,
    /// The token queue, from `tokens_head`.
    tokens: VecDeque<Token<'a>>,
    /// `tokens_parsed`: tokens taken from the queue so far.
    tokens_parsed: usize,
    token_available: bool,
    indent: isize,
    indents: Vec<isize>,
    simple_key_allowed: bool,
    simple_keys: Vec<SimpleKey>,
    simple_keys_by_tok: KeysByToken,
}

impl<'a> Scanner<'a> {
    /// A scanner over raw input bytes (`yaml_parser_set_input_string`).
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Scanner {
            r: Reader::new(input),
            mark: Mark::default(),
            stream_start_produced: false,
            stream_end_produced: false,
            flow_level: 0,
            tokens: VecDeque::new(),
            tokens_parsed: 0,
            token_available: false,
            indent: 0,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            simple_keys_by_tok: KeysByToken::default(),
        }
    }

    /// The reader, for positions of reader errors.
    pub(crate) fn reader(&self) -> &Reader<'a> {
        &self.r
    }

    // ---- The parser's side of the queue (parserc.go's `peek_token` and `skip_token`). ----

    /// `peek_token`.
    pub(crate) fn peek(&mut self) -> Result<&Token<'a>> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        self.tokens
            .front()
            .ok_or_else(|| internal("token queue is empty"))
    }

    /// `skip_token`, handing over the token skipped.
    pub(crate) fn skip_token(&mut self) -> Option<Token<'a>> {
        self.token_available = false;
        self.tokens_parsed += 1;
        self.simple_keys_by_tok.advance();
        let t = self.tokens.pop_front()?;
        self.stream_end_produced = t.kind == TokenKind::StreamEnd;
        Some(t)
    }

    /// Whether the STREAM-END token has been taken.
    pub(crate) fn stream_end_produced(&self) -> bool {
        self.stream_end_produced
    }

    // ---- Character classes at `k` characters' bytes past the position. ----

    #[inline]
    fn at(&self, k: usize) -> u8 {
        self.r.at(k)
    }

    #[inline]
    fn is_z(&self, k: usize) -> bool {
        self.at(k) == 0
    }

    #[inline]
    fn is_blank(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t')
    }

    #[inline]
    fn is_break(&self, k: usize) -> bool {
        match self.at(k) {
            b'\r' | b'\n' => true,
            0xC2 => self.at(k + 1) == 0x85,
            0xE2 => self.at(k + 1) == 0x80 && matches!(self.at(k + 2), 0xA8 | 0xA9),
            _ => false,
        }
    }

    #[inline]
    fn is_breakz(&self, k: usize) -> bool {
        self.is_break(k) || self.is_z(k)
    }

    #[inline]
    fn is_blankz(&self, k: usize) -> bool {
        self.is_blank(k) || self.is_breakz(k)
    }

    #[inline]
    fn is_alpha(&self, k: usize) -> bool {
        let b = self.at(k);
        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
    }

    #[inline]
    fn is_digit(&self, k: usize) -> bool {
        self.at(k).is_ascii_digit()
    }

    #[inline]
    fn is_hex(&self, k: usize) -> bool {
        self.at(k).is_ascii_hexdigit()
    }

    #[inline]
    fn is_crlf(&self, k: usize) -> bool {
        self.at(k) == b'\r' && self.at(k + 1) == b'\n'
    }

    #[inline]
    fn cache(&mut self, length: usize) -> Result<()> {
        self.r.cache(length).map_err(YamlError::Reader)
    }

    /// `skip`.
    fn skip(&mut self) {
        self.mark.index += 1;
        self.mark.column += 1;
        let w = width(self.at(0));
        self.r.advance(w, 1);
    }

    /// `skip_line`.
    fn skip_line(&mut self) {
        if self.is_crlf(0) {
            self.mark.index += 2;
            self.mark.column = 0;
            self.mark.line += 1;
            self.r.advance(2, 2);
        } else if self.is_break(0) {
            self.mark.index += 1;
            self.mark.column = 0;
            self.mark.line += 1;
            let w = width(self.at(0));
            self.r.advance(w, 1);
        }
    }

    /// `read`: copies a character to `s`.
    fn read(&mut self, s: &mut Vec<u8>) {
        let w = width(self.at(0)).max(1);
        for k in 0..w {
            s.push(self.at(k));
        }
        self.r.advance(w, 1);
        self.mark.index += 1;
        self.mark.column += 1;
    }

    /// `read_line`: copies a line break to `s` (CR, LF, CRLF and NEL as LF; LS and PS as they
    /// are).
    fn read_line(&mut self, s: &mut Vec<u8>) {
        match (self.at(0), self.at(1), self.at(2)) {
            (b'\r', b'\n', _) => {
                s.push(b'\n');
                self.r.advance(2, 1);
                self.mark.index += 1;
            }
            (b'\r' | b'\n', _, _) => {
                s.push(b'\n');
                self.r.advance(1, 0);
            }
            (0xC2, 0x85, _) => {
                s.push(b'\n');
                self.r.advance(2, 0);
            }
            (0xE2, 0x80, c @ (0xA8 | 0xA9)) => {
                s.extend_from_slice(&[0xE2, 0x80, c]);
                self.r.advance(3, 0);
            }
            _ => return,
        }
        self.mark.index += 1;
        self.mark.column = 0;
        self.mark.line += 1;
        self.r.advance(0, 1);
    }

    /// How many of the characters from the position are ASCII bytes `class` accepts (never NUL,
    /// blanks or breaks where the caller's loop decides something on them), counting only as
    /// far as that loop, one `skip` or `read` then `cache(keep)` a character, would go without
    /// refilling the reader: so taking the run at once (`skip_ascii`, `read_ascii`) decodes
    /// the same chunks at the same points as libyaml, and a bad byte fails at the same token.
    #[inline]
    fn ascii_run(&self, keep: usize, class: &Class) -> usize {
        // The loop's `cache(keep)` calls see unread, unread - 1, ...: none may fall below keep.
        let limit = (self.r.unread() + 1).saturating_sub(keep);
        self.r.ascii_run(limit, class)
    }

    /// `skip` of `n` ASCII characters.
    #[inline]
    fn skip_ascii(&mut self, n: usize) {
        self.mark.index += n;
        self.mark.column += n;
        self.r.advance(n, n);
    }

    /// `read` into a scalar's value.
    fn read_text(&mut self, s: &mut Text<'a>) {
        let w = width(self.at(0)).max(1);
        self.r.append_to(s, w);
        self.r.advance(w, 1);
        self.mark.index += 1;
        self.mark.column += 1;
    }

    /// `read_text` of `n` ASCII characters.
    #[inline]
    fn read_ascii(&mut self, s: &mut Text<'a>, n: usize) {
        self.r.append_to(s, n);
        self.skip_ascii(n);
    }

    fn scanner_error(&self, context: &'static str, context_mark: Mark, problem: &str) -> YamlError {
        YamlError::Scanner {
            context,
            context_mark,
            problem: problem.to_string(),
            problem_mark: self.mark,
        }
    }

    fn tag_error(&self, directive: bool, context_mark: Mark, problem: &str) -> YamlError {
        let context = if directive {
            "while parsing a %TAG directive"
        } else {
            "while parsing a tag"
        };
        self.scanner_error(context, context_mark, problem)
    }

    // ---- Token queue. ----

    /// `yaml_insert_token`: `pos` is relative to the queue head; `None` appends.
    fn insert_token(&mut self, pos: Option<usize>, token: Token<'a>) {
        match pos {
            Some(p) if p <= self.tokens.len() => self.tokens.insert(p, token),
            _ => self.tokens.push_back(token),
        }
    }

    /// `yaml_parser_fetch_more_tokens`.
    fn fetch_more_tokens(&mut self) -> Result<()> {
        loop {
            if !self.tokens.is_empty() {
                let Some(idx) = self.simple_keys_by_tok.get(self.tokens_parsed) else {
                    break;
                };
                // Go indexes the slice with whatever the table holds.
                if idx >= self.simple_keys.len() {
                    return Err(internal("simple key index out of range"));
                }
                if !self.simple_key_is_valid(idx)? {
                    break;
                }
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    /// `yaml_parser_fetch_next_token`: the dispatcher.
    fn fetch_next_token(&mut self) -> Result<()> {
        self.cache(1)?;
        if !self.stream_start_produced {
            self.fetch_stream_start();
            return Ok(());
        }
        self.scan_to_next_token()?;
        self.unroll_indent(self.mark.column as isize);
        self.cache(4)?;

        if self.is_z(0) {
            return self.fetch_stream_end();
        }
        let c = self.at(0);
        if self.mark.column == 0 && c == b'%' {
            return self.fetch_directive();
        }
        if self.mark.column == 0
            && c == b'-'
            && self.at(1) == b'-'
            && self.at(2) == b'-'
            && self.is_blankz(3)
        {
            return self.fetch_document_indicator(TokenKind::DocumentStart);
        }
        if self.mark.column == 0
            && c == b'.'
            && self.at(1) == b'.'
            && self.at(2) == b'.'
            && self.is_blankz(3)
        {
            return self.fetch_document_indicator(TokenKind::DocumentEnd);
        }
        match c {
            b'[' => return self.fetch_flow_collection_start(TokenKind::FlowSequenceStart),
            b'{' => return self.fetch_flow_collection_start(TokenKind::FlowMappingStart),
            b']' => return self.fetch_flow_collection_end(TokenKind::FlowSequenceEnd),
            b'}' => return self.fetch_flow_collection_end(TokenKind::FlowMappingEnd),
            b',' => return self.fetch_flow_entry(),
            _ => {}
        }
        if c == b'-' && self.is_blankz(1) {
            return self.fetch_block_entry();
        }
        if c == b'?' && (self.flow_level > 0 || self.is_blankz(1)) {
            return self.fetch_key();
        }
        if c == b':' && (self.flow_level > 0 || self.is_blankz(1)) {
            return self.fetch_value();
        }
        match c {
            b'*' => return self.fetch_anchor(TokenKind::Alias),
            b'&' => return self.fetch_anchor(TokenKind::Anchor),
            b'!' => return self.fetch_tag(),
            b'|' if self.flow_level == 0 => return self.fetch_block_scalar(true),
            b'>' if self.flow_level == 0 => return self.fetch_block_scalar(false),
            b'\'' => return self.fetch_flow_scalar(true),
            b'"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        // A plain scalar may start with any non-blank character but the indicators; `-`, and
        // in block context `?` and `:`, may start one when a non-blank follows (for `-`: a
        // non-blank in libyaml's sense, so `-` before `,` or `]` in flow context is a scalar).
        let indicator = matches!(
            c,
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
        if !(self.is_blankz(0) || indicator)
            || (c == b'-' && !self.is_blank(1))
            || (self.flow_level == 0 && (c == b'?' || c == b':') && !self.is_blankz(1))
        {
            return self.fetch_plain_scalar();
        }
        Err(self.scanner_error(
            "while scanning for the next token",
            self.mark,
            "found character that cannot start any token",
        ))
    }

    /// `yaml_simple_key_is_valid` for `simple_keys[idx]`: whether it can still be a key; a
    /// required key that no longer can is an error. May clear `possible`.
    fn simple_key_is_valid(&mut self, idx: usize) -> Result<bool> {
        let key = self.simple_keys[idx];
        if !key.possible {
            return Ok(false);
        }
        if key.mark.line < self.mark.line || key.mark.index + 1024 < self.mark.index {
            if key.required {
                return Err(self.scanner_error(
                    "while scanning a simple key",
                    key.mark,
                    "could not find expected ':'",
                ));
            }
            self.simple_keys[idx].possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    /// `yaml_parser_save_simple_key`.
    fn save_simple_key(&mut self) -> Result<()> {
        let required = self.flow_level == 0 && self.indent == self.mark.column as isize;
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + self.tokens.len(),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            let last = self.simple_keys.len() - 1;
            self.simple_keys[last] = key;
            self.simple_keys_by_tok.insert(key.token_number, last);
        }
        Ok(())
    }

    /// `yaml_parser_remove_simple_key`.
    fn remove_simple_key(&mut self) -> Result<()> {
        let i = self.simple_keys.len() - 1;
        let key = self.simple_keys[i];
        if key.possible {
            if key.required {
                return Err(self.scanner_error(
                    "while scanning a simple key",
                    key.mark,
                    "could not find expected ':'",
                ));
            }
            self.simple_keys[i].possible = false;
            self.simple_keys_by_tok.remove(key.token_number);
        }
        Ok(())
    }

    /// `yaml_parser_increase_flow_level`.
    fn increase_flow_level(&mut self) -> Result<()> {
        self.simple_keys.push(SimpleKey {
            possible: false,
            required: false,
            token_number: self.tokens_parsed + self.tokens.len(),
            mark: self.mark,
        });
        self.flow_level += 1;
        if self.flow_level > MAX_FLOW_LEVEL {
            let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
            return Err(self.scanner_error(
                "while increasing flow level",
                mark,
                &format!("exceeded max depth of {MAX_FLOW_LEVEL}"),
            ));
        }
        Ok(())
    }

    /// `yaml_parser_decrease_flow_level`.
    fn decrease_flow_level(&mut self) {
        if self.flow_level > 0 {
            self.flow_level -= 1;
            if let Some(key) = self.simple_keys.pop() {
                self.simple_keys_by_tok.remove(key.token_number);
            }
        }
    }

    /// `yaml_parser_roll_indent`: `number` is the absolute token number to insert at, or
    /// `None` to append.
    fn roll_indent(
        &mut self,
        column: usize,
        number: Option<usize>,
        kind: TokenKind,
        mark: Mark,
    ) -> Result<()> {
        if self.flow_level > 0 {
            return Ok(());
        }
        if self.indent < column as isize {
            self.indents.push(self.indent);
            self.indent = column as isize;
            if self.indents.len() > MAX_INDENTS {
                let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
                return Err(self.scanner_error(
                    "while increasing indent level",
                    mark,
                    &format!("exceeded max depth of {MAX_INDENTS}"),
                ));
            }
            let pos = number.map(|n| n.wrapping_sub(self.tokens_parsed));
            self.insert_token(pos, Token::new(kind, mark, mark));
        }
        Ok(())
    }

    /// `yaml_parser_unroll_indent`.
    fn unroll_indent(&mut self, column: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            self.insert_token(None, Token::new(TokenKind::BlockEnd, self.mark, self.mark));
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    /// `yaml_parser_fetch_stream_start`.
    fn fetch_stream_start(&mut self) {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_keys_by_tok.clear();
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        self.insert_token(
            None,
            Token::new(TokenKind::StreamStart, self.mark, self.mark),
        );
    }

    /// `yaml_parser_fetch_stream_end`.
    fn fetch_stream_end(&mut self) -> Result<()> {
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.insert_token(None, Token::new(TokenKind::StreamEnd, self.mark, self.mark));
        Ok(())
    }

    /// `yaml_parser_fetch_directive`.
    fn fetch_directive(&mut self) -> Result<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_directive()?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_fetch_document_indicator`.
    fn fetch_document_indicator(&mut self, kind: TokenKind) -> Result<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(kind, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_flow_collection_start`.
    fn fetch_flow_collection_start(&mut self, kind: TokenKind) -> Result<()> {
        self.save_simple_key()?;
        self.increase_flow_level()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(kind, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_flow_collection_end`.
    fn fetch_flow_collection_end(&mut self, kind: TokenKind) -> Result<()> {
        self.remove_simple_key()?;
        self.decrease_flow_level();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(kind, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_flow_entry`.
    fn fetch_flow_entry(&mut self) -> Result<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(TokenKind::FlowEntry, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_block_entry`.
    fn fetch_block_entry(&mut self) -> Result<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.scanner_error(
                    "",
                    self.mark,
                    "block sequence entries are not allowed in this context",
                ));
            }
            self.roll_indent(
                self.mark.column,
                None,
                TokenKind::BlockSequenceStart,
                self.mark,
            )?;
        }
        // In flow context the parser reports the '-'.
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(TokenKind::BlockEntry, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_key`.
    fn fetch_key(&mut self) -> Result<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.scanner_error(
                    "",
                    self.mark,
                    "mapping keys are not allowed in this context",
                ));
            }
            self.roll_indent(
                self.mark.column,
                None,
                TokenKind::BlockMappingStart,
                self.mark,
            )?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(TokenKind::Key, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_value`.
    fn fetch_value(&mut self) -> Result<()> {
        let idx = self.simple_keys.len() - 1;
        if self.simple_key_is_valid(idx)? {
            let key = self.simple_keys[idx];
            self.insert_token(
                Some(key.token_number.wrapping_sub(self.tokens_parsed)),
                Token::new(TokenKind::Key, key.mark, key.mark),
            );
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                TokenKind::BlockMappingStart,
                key.mark,
            )?;
            self.simple_keys[idx].possible = false;
            self.simple_keys_by_tok.remove(key.token_number);
            self.simple_key_allowed = false;
        } else {
            // The ':' follows a complex key.
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(self.scanner_error(
                        "",
                        self.mark,
                        "mapping values are not allowed in this context",
                    ));
                }
                self.roll_indent(
                    self.mark.column,
                    None,
                    TokenKind::BlockMappingStart,
                    self.mark,
                )?;
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        let end = self.mark;
        self.insert_token(None, Token::new(TokenKind::Value, start, end));
        Ok(())
    }

    /// `yaml_parser_fetch_anchor`.
    fn fetch_anchor(&mut self, kind: TokenKind) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_anchor(kind)?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_fetch_tag`.
    fn fetch_tag(&mut self) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_tag()?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_fetch_block_scalar`.
    fn fetch_block_scalar(&mut self, literal: bool) -> Result<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let token = self.scan_block_scalar(literal)?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_fetch_flow_scalar`.
    fn fetch_flow_scalar(&mut self, single: bool) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_flow_scalar(single)?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_fetch_plain_scalar`.
    fn fetch_plain_scalar(&mut self) -> Result<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_plain_scalar()?;
        self.insert_token(None, token);
        Ok(())
    }

    /// `yaml_parser_scan_to_next_token`: skips blanks, comments and line breaks. A comment ends
    /// at any of libyaml's line breaks, NEL, LS and PS included.
    fn scan_to_next_token(&mut self) -> Result<()> {
        loop {
            self.cache(1)?;
            if self.mark.column == 0 && self.r.window_starts_with_bom() {
                self.skip();
            }
            self.cache(1)?;
            // Tabs are allowed in flow context, and in block context where no simple key may
            // start (not at the start of a line, nor after `-`, `?` or `:`).
            while self.at(0) == b' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.at(0) == b'\t')
            {
                self.skip();
                let n = self.ascii_run(1, &SPACES);
                self.skip_ascii(n);
                self.cache(1)?;
            }
            if self.at(0) == b'#' {
                self.skip_comment()?;
            }
            if self.is_break(0) {
                self.cache(2)?;
                self.skip_line();
                if self.flow_level == 0 {
                    self.simple_key_allowed = true;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Skips blanks, then a comment, up to the end of the line (directives and block scalar
    /// headers).
    fn skip_blanks_and_comment(&mut self) -> Result<()> {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        if self.at(0) == b'#' {
            self.skip_comment()?;
        }
        Ok(())
    }

    /// Skips a comment, up to the line break or the end of the input.
    fn skip_comment(&mut self) -> Result<()> {
        while !self.is_breakz(0) {
            self.skip();
            let n = self.ascii_run(1, &LINE);
            self.skip_ascii(n);
            self.cache(1)?;
        }
        Ok(())
    }

    /// `yaml_parser_scan_directive`.
    fn scan_directive(&mut self) -> Result<Token<'a>> {
        let start = self.mark;
        self.skip();
        let name = self.scan_directive_name(start)?;
        let token = if name == b"YAML" {
            let (major, minor) = self.scan_version_directive_value(start)?;
            let mut t = Token::new(TokenKind::VersionDirective, start, self.mark);
            t.major = major;
            t.minor = minor;
            t
        } else if name == b"TAG" {
            let (handle, prefix) = self.scan_tag_directive_value(start)?;
            let mut t = Token::new(TokenKind::TagDirective, start, self.mark);
            t.value = Cow::Owned(handle);
            t.prefix = prefix;
            t
        } else {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "found unknown directive name",
            ));
        };
        self.skip_blanks_and_comment()?;
        if !self.is_breakz(0) {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "did not find expected comment or line break",
            ));
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        Ok(token)
    }

    /// `yaml_parser_scan_directive_name`.
    fn scan_directive_name(&mut self, start: Mark) -> Result<Vec<u8>> {
        self.cache(1)?;
        let mut s = Vec::new();
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if s.is_empty() {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "could not find expected directive name",
            ));
        }
        if !self.is_blankz(0) {
            return Err(self.scanner_error(
                "while scanning a directive",
                start,
                "found unexpected non-alphabetical character",
            ));
        }
        Ok(s)
    }

    /// `yaml_parser_scan_version_directive_value`.
    fn scan_version_directive_value(&mut self, start: Mark) -> Result<(i8, i8)> {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let major = self.scan_version_directive_number(start)?;
        if self.at(0) != b'.' {
            return Err(self.scanner_error(
                "while scanning a %YAML directive",
                start,
                "did not find expected digit or '.' character",
            ));
        }
        self.skip();
        let minor = self.scan_version_directive_number(start)?;
        Ok((major, minor))
    }

    /// `yaml_parser_scan_version_directive_number`.
    fn scan_version_directive_number(&mut self, start: Mark) -> Result<i8> {
        self.cache(1)?;
        let (mut value, mut length) = (0i8, 0i8);
        while self.is_digit(0) {
            length += 1;
            if length > MAX_NUMBER_LENGTH {
                return Err(self.scanner_error(
                    "while scanning a %YAML directive",
                    start,
                    "found extremely long version number",
                ));
            }
            value = value * 10 + (self.at(0) - b'0') as i8;
            self.skip();
            self.cache(1)?;
        }
        if length == 0 {
            return Err(self.scanner_error(
                "while scanning a %YAML directive",
                start,
                "did not find expected version number",
            ));
        }
        Ok(value)
    }

    /// `yaml_parser_scan_tag_directive_value`.
    fn scan_tag_directive_value(&mut self, start: Mark) -> Result<(Vec<u8>, Vec<u8>)> {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let handle = self.scan_tag_handle(true, start)?;
        self.cache(1)?;
        if !self.is_blank(0) {
            return Err(self.scanner_error(
                "while scanning a %TAG directive",
                start,
                "did not find expected whitespace",
            ));
        }
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let prefix = self.scan_tag_uri(true, &[], start)?;
        self.cache(1)?;
        if !self.is_blankz(0) {
            return Err(self.scanner_error(
                "while scanning a %TAG directive",
                start,
                "did not find expected whitespace or line break",
            ));
        }
        Ok((handle, prefix))
    }

    /// `yaml_parser_scan_anchor`: the name is `[0-9A-Za-z_-]+`, followed by a blank or one of
    /// `?:,]}%@` and the backquote.
    fn scan_anchor(&mut self, kind: TokenKind) -> Result<Token<'a>> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let mut s = Vec::new();
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        let end = self.mark;
        let ends_well = self.is_blankz(0)
            || matches!(
                self.at(0),
                b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
            );
        if s.is_empty() || !ends_well {
            let context = if kind == TokenKind::Anchor {
                "while scanning an anchor"
            } else {
                "while scanning an alias"
            };
            return Err(self.scanner_error(
                context,
                start,
                "did not find expected alphabetic or numeric character",
            ));
        }
        let mut t = Token::new(kind, start, end);
        t.value = Cow::Owned(s);
        Ok(t)
    }

    /// `yaml_parser_scan_tag`.
    fn scan_tag(&mut self) -> Result<Token<'a>> {
        let start = self.mark;
        self.cache(2)?;
        let (handle, suffix);
        if self.at(1) == b'<' {
            // Verbatim: the handle stays empty.
            self.skip();
            self.skip();
            let s = self.scan_tag_uri(false, &[], start)?;
            if self.at(0) != b'>' {
                return Err(self.scanner_error(
                    "while scanning a tag",
                    start,
                    "did not find the expected '>'",
                ));
            }
            self.skip();
            handle = Vec::new();
            suffix = s;
        } else {
            let h = self.scan_tag_handle(false, start)?;
            if h[0] == b'!' && h.len() > 1 && h[h.len() - 1] == b'!' {
                suffix = self.scan_tag_uri(false, &[], start)?;
                handle = h;
            } else {
                // Not a handle after all: it is the start of the suffix.
                let s = self.scan_tag_uri(false, &h, start)?;
                if s.is_empty() {
                    // The '!' tag: handle "", suffix "!".
                    handle = Vec::new();
                    suffix = b"!".to_vec();
                } else {
                    handle = b"!".to_vec();
                    suffix = s;
                }
            }
        }
        self.cache(1)?;
        if !self.is_blankz(0) {
            return Err(self.scanner_error(
                "while scanning a tag",
                start,
                "did not find expected whitespace or line break",
            ));
        }
        let mut t = Token::new(TokenKind::Tag, start, self.mark);
        t.value = Cow::Owned(handle);
        t.suffix = suffix;
        Ok(t)
    }

    /// `yaml_parser_scan_tag_handle`.
    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Result<Vec<u8>> {
        self.cache(1)?;
        if self.at(0) != b'!' {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        let mut s = Vec::new();
        self.read(&mut s);
        self.cache(1)?;
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if self.at(0) == b'!' {
            self.read(&mut s);
        } else if directive && s != b"!" {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        Ok(s)
    }

    /// `yaml_parser_scan_tag_uri`: `head` is a handle that turned out to be the start of the
    /// URI (its leading `!` is not copied).
    fn scan_tag_uri(&mut self, directive: bool, head: &[u8], start: Mark) -> Result<Vec<u8>> {
        let mut s = Vec::new();
        let mut has_tag = !head.is_empty();
        if head.len() > 1 {
            s.extend_from_slice(&head[1..]);
        }
        self.cache(1)?;
        while self.is_alpha(0)
            || matches!(
                self.at(0),
                b';' | b'/'
                    | b'?'
                    | b':'
                    | b'@'
                    | b'&'
                    | b'='
                    | b'+'
                    | b'$'
                    | b','
                    | b'.'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'\''
                    | b'('
                    | b')'
                    | b'['
                    | b']'
                    | b'%'
            )
        {
            if self.at(0) == b'%' {
                self.scan_uri_escapes(directive, start, &mut s)?;
            } else {
                self.read(&mut s);
            }
            self.cache(1)?;
            has_tag = true;
        }
        if !has_tag {
            return Err(self.tag_error(directive, start, "did not find expected tag URI"));
        }
        Ok(s)
    }

    /// `yaml_parser_scan_uri_escapes`: one UTF-8 character written as `%XX` octets.
    fn scan_uri_escapes(&mut self, directive: bool, start: Mark, s: &mut Vec<u8>) -> Result<()> {
        let mut w: usize = 1024;
        while w > 0 {
            self.cache(3)?;
            if !(self.at(0) == b'%' && self.is_hex(1) && self.is_hex(2)) {
                return Err(self.tag_error(directive, start, "did not find URI escaped octet"));
            }
            let octet = ((as_hex(self.at(1)) << 4) + as_hex(self.at(2))) as u8;
            if w == 1024 {
                w = width(octet);
                if w == 0 {
                    return Err(self.tag_error(
                        directive,
                        start,
                        "found an incorrect leading UTF-8 octet",
                    ));
                }
            } else if octet & 0xC0 != 0x80 {
                return Err(self.tag_error(
                    directive,
                    start,
                    "found an incorrect trailing UTF-8 octet",
                ));
            }
            s.push(octet);
            self.skip();
            self.skip();
            self.skip();
            w -= 1;
        }
        Ok(())
    }

    /// `yaml_parser_scan_block_scalar`.
    fn scan_block_scalar(&mut self, literal: bool) -> Result<Token<'a>> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let mut chomping = 0i32;
        let mut increment = 0usize;
        let zero_indent = |sc: &Self| {
            sc.scanner_error(
                "while scanning a block scalar",
                start,
                "found an indentation indicator equal to 0",
            )
        };
        if self.at(0) == b'+' || self.at(0) == b'-' {
            chomping = if self.at(0) == b'+' { 1 } else { -1 };
            self.skip();
            self.cache(1)?;
            if self.is_digit(0) {
                if self.at(0) == b'0' {
                    return Err(zero_indent(self));
                }
                increment = usize::from(self.at(0) - b'0');
                self.skip();
            }
        } else if self.is_digit(0) {
            if self.at(0) == b'0' {
                return Err(zero_indent(self));
            }
            increment = usize::from(self.at(0) - b'0');
            self.skip();
            self.cache(1)?;
            if self.at(0) == b'+' || self.at(0) == b'-' {
                chomping = if self.at(0) == b'+' { 1 } else { -1 };
                self.skip();
            }
        }
        self.skip_blanks_and_comment()?;
        if !self.is_breakz(0) {
            return Err(self.scanner_error(
                "while scanning a block scalar",
                start,
                "did not find expected comment or line break",
            ));
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        let mut end = self.mark;
        let mut indent: isize = 0;
        if increment > 0 {
            indent = if self.indent >= 0 {
                self.indent + increment as isize
            } else {
                increment as isize
            };
        }
        let mut s = Text::default();
        let mut leading_break = Vec::new();
        let mut trailing_breaks = Vec::new();
        self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        self.cache(1)?;
        let mut leading_blank = false;
        while self.mark.column as isize == indent && !self.is_z(0) {
            let trailing_blank = self.is_blank(0);
            if !literal
                && !leading_blank
                && !trailing_blank
                && leading_break.first() == Some(&b'\n')
            {
                if trailing_breaks.is_empty() {
                    s.push(b' ');
                }
            } else {
                s.extend_from_slice(&leading_break);
            }
            leading_break.clear();
            s.extend_from_slice(&trailing_breaks);
            trailing_breaks.clear();
            leading_blank = self.is_blank(0);
            while !self.is_breakz(0) {
                self.read_text(&mut s);
                let n = self.ascii_run(1, &LINE);
                self.read_ascii(&mut s, n);
                self.cache(1)?;
            }
            self.cache(2)?;
            self.read_line(&mut leading_break);
            self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        }
        if chomping != -1 {
            s.extend_from_slice(&leading_break);
        }
        if chomping == 1 {
            s.extend_from_slice(&trailing_breaks);
        }
        let mut t = Token::new(TokenKind::Scalar, start, end);
        t.value = s.into_value();
        t.style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        Ok(t)
    }

    /// `yaml_parser_scan_block_scalar_breaks`.
    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut isize,
        breaks: &mut Vec<u8>,
        start: Mark,
        end: &mut Mark,
    ) -> Result<()> {
        *end = self.mark;
        let mut max_indent = 0isize;
        loop {
            self.cache(1)?;
            while (*indent == 0 || (self.mark.column as isize) < *indent) && self.at(0) == b' ' {
                self.skip();
                self.cache(1)?;
            }
            max_indent = max_indent.max(self.mark.column as isize);
            if (*indent == 0 || (self.mark.column as isize) < *indent) && self.at(0) == b'\t' {
                return Err(self.scanner_error(
                    "while scanning a block scalar",
                    start,
                    "found a tab character where an indentation space is expected",
                ));
            }
            if !self.is_break(0) {
                break;
            }
            self.cache(2)?;
            self.read_line(breaks);
            *end = self.mark;
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }

    /// `yaml_parser_scan_flow_scalar`: a single- or double-quoted scalar. Line breaks (any of
    /// libyaml's) fold: a first LF-like break becomes a space, or the breaks after it; an LS or
    /// PS is kept as itself.
    fn scan_flow_scalar(&mut self, single: bool) -> Result<Token<'a>> {
        let start = self.mark;
        self.skip();
        let mut s = Text::default();
        let mut leading_break = Vec::new();
        let mut trailing_breaks = Vec::new();
        let mut whitespaces = Text::default();
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == b'-' && self.at(1) == b'-' && self.at(2) == b'-')
                    || (self.at(0) == b'.' && self.at(1) == b'.' && self.at(2) == b'.'))
                && self.is_blankz(3)
            {
                return Err(self.scanner_error(
                    "while scanning a quoted scalar",
                    start,
                    "found unexpected document indicator",
                ));
            }
            if self.is_z(0) {
                return Err(self.scanner_error(
                    "while scanning a quoted scalar",
                    start,
                    "found unexpected end of stream",
                ));
            }
            let mut leading_blanks = false;
            while !self.is_blankz(0) {
                let c = self.at(0);
                if single && c == b'\'' && self.at(1) == b'\'' {
                    s.push(b'\'');
                    self.skip();
                    self.skip();
                } else if (single && c == b'\'') || (!single && c == b'"') {
                    // The closing quote.
                    break;
                } else if !single && c == b'\\' && self.is_break(1) {
                    // An escaped line break.
                    self.cache(3)?;
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && c == b'\\' {
                    let mut code_length = 0usize;
                    match self.at(1) {
                        b'0' => s.push(0),
                        b'a' => s.push(0x07),
                        b'b' => s.push(0x08),
                        b't' | b'\t' => s.push(0x09),
                        b'n' => s.push(0x0A),
                        b'v' => s.push(0x0B),
                        b'f' => s.push(0x0C),
                        b'r' => s.push(0x0D),
                        b'e' => s.push(0x1B),
                        b' ' => s.push(0x20),
                        b'"' => s.push(b'"'),
                        b'\'' => s.push(b'\''),
                        b'\\' => s.push(b'\\'),
                        b'N' => s.extend_from_slice(&[0xC2, 0x85]),
                        b'_' => s.extend_from_slice(&[0xC2, 0xA0]),
                        b'L' => s.extend_from_slice(&[0xE2, 0x80, 0xA8]),
                        b'P' => s.extend_from_slice(&[0xE2, 0x80, 0xA9]),
                        b'x' => code_length = 2,
                        b'u' => code_length = 4,
                        b'U' => code_length = 8,
                        _ => {
                            return Err(self.scanner_error(
                                "while parsing a quoted scalar",
                                start,
                                "found unknown escape character",
                            ))
                        }
                    }
                    self.skip();
                    self.skip();
                    if code_length > 0 {
                        self.cache(code_length)?;
                        let mut value: u32 = 0;
                        for k in 0..code_length {
                            if !self.is_hex(k) {
                                return Err(self.scanner_error(
                                    "while parsing a quoted scalar",
                                    start,
                                    "did not find expected hexdecimal number",
                                ));
                            }
                            value = (value << 4) + as_hex(self.at(k));
                        }
                        let Some(ch) = char::from_u32(value) else {
                            return Err(self.scanner_error(
                                "while parsing a quoted scalar",
                                start,
                                "found invalid Unicode character escape code",
                            ));
                        };
                        let mut tmp = [0u8; 4];
                        s.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        for _ in 0..code_length {
                            self.skip();
                        }
                    }
                } else {
                    self.read_text(&mut s);
                    // What follows up to a blank, a quote or a backslash is copied as it is.
                    let class = if single {
                        &SINGLE_QUOTED
                    } else {
                        &DOUBLE_QUOTED
                    };
                    let n = self.ascii_run(2, class);
                    self.read_ascii(&mut s, n);
                }
                self.cache(2)?;
            }
            self.cache(1)?;
            if (single && self.at(0) == b'\'') || (!single && self.at(0) == b'"') {
                break;
            }
            while self.is_blank(0) || self.is_break(0) {
                if self.is_blank(0) {
                    if !leading_blanks {
                        self.read_text(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if leading_blanks {
                if leading_break.first() == Some(&b'\n') {
                    if trailing_breaks.is_empty() {
                        s.push(b' ');
                    } else {
                        s.extend_from_slice(&trailing_breaks);
                    }
                } else {
                    s.extend_from_slice(&leading_break);
                    s.extend_from_slice(&trailing_breaks);
                }
                trailing_breaks.clear();
                leading_break.clear();
            } else {
                s.append(&mut whitespaces);
            }
        }
        self.skip();
        let end = self.mark;
        let mut t = Token::new(TokenKind::Scalar, start, end);
        t.value = s.into_value();
        t.style = if single {
            ScalarStyle::SingleQuoted
        } else {
            ScalarStyle::DoubleQuoted
        };
        Ok(t)
    }

    /// `yaml_parser_scan_plain_scalar`. It ends at `: ` (a `:` before a blank or a line
    /// break), at ` #`, at a document indicator, at a line indented less than the block, and in
    /// flow context at `,`, `?`, `[`, `]`, `{` or `}` (so `x:` before `,` keeps its colon).
    fn scan_plain_scalar(&mut self) -> Result<Token<'a>> {
        let mut s = Text::default();
        let mut leading_break = Vec::new();
        let mut trailing_breaks = Vec::new();
        let mut whitespaces = Text::default();
        let mut leading_blanks = false;
        let indent = self.indent + 1;
        let start = self.mark;
        let mut end = self.mark;
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == b'-' && self.at(1) == b'-' && self.at(2) == b'-')
                    || (self.at(0) == b'.' && self.at(1) == b'.' && self.at(2) == b'.'))
                && self.is_blankz(3)
            {
                break;
            }
            if self.at(0) == b'#' {
                break;
            }
            while !self.is_blankz(0) {
                let c = self.at(0);
                if (c == b':' && self.is_blankz(1))
                    || (self.flow_level > 0 && matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
                {
                    break;
                }
                if leading_blanks || !whitespaces.is_empty() {
                    if leading_blanks {
                        if leading_break.first() == Some(&b'\n') {
                            if trailing_breaks.is_empty() {
                                s.push(b' ');
                            } else {
                                s.extend_from_slice(&trailing_breaks);
                            }
                        } else {
                            s.extend_from_slice(&leading_break);
                            s.extend_from_slice(&trailing_breaks);
                        }
                        trailing_breaks.clear();
                        leading_break.clear();
                        leading_blanks = false;
                    } else {
                        s.append(&mut whitespaces);
                    }
                }
                self.read_text(&mut s);
                // Up to a blank or a `:` (and in flow context an indicator), nothing ends it.
                let class = if self.flow_level > 0 {
                    &PLAIN_IN_FLOW
                } else {
                    &PLAIN
                };
                let n = self.ascii_run(2, class);
                self.read_ascii(&mut s, n);
                end = self.mark;
                self.cache(2)?;
            }
            if !(self.is_blank(0) || self.is_break(0)) {
                break;
            }
            self.cache(1)?;
            while self.is_blank(0) || self.is_break(0) {
                if self.is_blank(0) {
                    if leading_blanks && (self.mark.column as isize) < indent && self.at(0) == b'\t'
                    {
                        return Err(self.scanner_error(
                            "while scanning a plain scalar",
                            start,
                            "found a tab character that violates indentation",
                        ));
                    }
                    if !leading_blanks {
                        self.read_text(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if self.flow_level == 0 && (self.mark.column as isize) < indent {
                break;
            }
        }
        let mut t = Token::new(TokenKind::Scalar, start, end);
        t.value = s.into_value();
        t.style = ScalarStyle::Plain;
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(t)
    }
}

/// An impossible state in Go that would panic there (and crash K3s): reported as an error.
pub(crate) fn internal(what: &str) -> YamlError {
    YamlError::Scanner {
        context: "",
        context_mark: Mark::default(),
        problem: format!("internal error: {what}"),
        problem_mark: Mark::default(),
    }
}
