//! Go's `regexp` (RE2 syntax, go1.24.11 `regexp/syntax/parse.go` and `regexp/regexp.go`) on top
//! of Rust's `regex` crate: which patterns Go accepts, what they match, and how
//! `Regexp.ReplaceAllString` and `Regexp.Expand` build their result.
//!
//! K3s's containerd fork compiles each mirror `rewrite` pattern with `regexp.Compile`, skips the
//! ones that fail, and rewrites the repository with `ReplaceAllString`. Rust's `regex` is close to
//! RE2 but not equal, so a pattern is never handed to it as written:
//!
//! - [`Regexp::compile`] parses the pattern with Go's parser rules (ported line by line: error
//!   codes and the offending text are Go's), and rejects what Go rejects: look-around, `\Z`,
//!   `\C`, `\e`, back-references, `(?x)`, repeat counts over 1000 (also when nested), `a**`,
//!   Unicode class names Go's tables lack;
//! - it then prints an equivalent pattern for `regex`, so that what Go accepts and Rust reads
//!   differently keeps Go's meaning: `\d \w \s \b` are ASCII in Go; `\<`, `\>` are literal
//!   characters in Go (word boundaries in Rust); `\Q…\E` and octal escapes exist only in Go;
//!   `[a&&b]` and `[[a]` are plain characters in Go (set operations and nested classes in Rust);
//!   Go's `\p{C}` has no unassigned code points; `(?U)` is resolved per repetition; capture names
//!   may start with a digit and repeat. Capture groups keep their numbers; names are kept here.
//! - [`Regexp::replace_all_string`] and [`Regexp::expand`] port Go's loops: `$01` is the group
//!   *named* `01`, `$1x` the group named `1x`, an unknown or unmatched group is empty, a bad `$`
//!   stays literal, an empty match right after a match inserts nothing. Rust's
//!   `Captures::expand` differs on each of these and is never used.
//!
//! A pattern from registries.yaml is a Go string, and may hold bytes that are not UTF-8: Go's
//! parser then fails with `invalid UTF-8` when it reaches the first of them (or with whatever
//! error comes before). [`Regexp::compile_bytes`] gives that result; the parser itself works on
//! text in which each such byte stands as one of 256 private-use characters that the pattern does
//! not contain (chosen per pattern, so no real character is ever taken for a byte).
//!
//! This module matches strings only; it does no I/O and knows nothing about containerd.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

use crate::go::string::GoString;

thread_local! {
    /// While [`Regexp::compile_bytes`] parses a pattern that is not UTF-8: the first of the 256
    /// characters standing for its bytes 0x00..=0xff.
    static INVALID_BASE: Cell<Option<u32>> = const { Cell::new(None) };
}

/// The byte `c` stands for, when it stands for one (see [`INVALID_BASE`]).
fn invalid_byte(c: char) -> Option<u8> {
    let base = INVALID_BASE.with(Cell::get)?;
    u32::from(c)
        .checked_sub(base)
        .and_then(|v| u8::try_from(v).ok())
}

/// Go's `syntax.ErrorCode`: why a pattern does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `regexp/syntax: internal error` (here: the translated pattern was refused by `regex`,
    /// which Go would have accepted; never expected).
    InternalError,
    /// `invalid character class range`
    InvalidCharRange,
    /// `invalid escape sequence`
    InvalidEscape,
    /// `invalid named capture`
    InvalidNamedCapture,
    /// `invalid or unsupported Perl syntax`
    InvalidPerlOp,
    /// `invalid nested repetition operator`
    InvalidRepeatOp,
    /// `invalid repeat count`
    InvalidRepeatSize,
    /// `invalid UTF-8`
    InvalidUtf8,
    /// `missing closing ]`
    MissingBracket,
    /// `missing closing )`
    MissingParen,
    /// `missing argument to repetition operator`
    MissingRepeatArgument,
    /// `trailing backslash at end of expression`
    TrailingBackslash,
    /// `unexpected )`
    UnexpectedParen,
    /// `expression nests too deeply`
    NestingDepth,
    /// `expression too large`
    Large,
}

impl ErrorCode {
    /// Go's text for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InternalError => "regexp/syntax: internal error",
            ErrorCode::InvalidCharRange => "invalid character class range",
            ErrorCode::InvalidEscape => "invalid escape sequence",
            ErrorCode::InvalidNamedCapture => "invalid named capture",
            ErrorCode::InvalidPerlOp => "invalid or unsupported Perl syntax",
            ErrorCode::InvalidRepeatOp => "invalid nested repetition operator",
            ErrorCode::InvalidRepeatSize => "invalid repeat count",
            ErrorCode::InvalidUtf8 => "invalid UTF-8",
            ErrorCode::MissingBracket => "missing closing ]",
            ErrorCode::MissingParen => "missing closing )",
            ErrorCode::MissingRepeatArgument => "missing argument to repetition operator",
            ErrorCode::TrailingBackslash => "trailing backslash at end of expression",
            ErrorCode::UnexpectedParen => "unexpected )",
            ErrorCode::NestingDepth => "expression nests too deeply",
            ErrorCode::Large => "expression too large",
        }
    }
}

/// Go's `*syntax.Error`: the code and the offending part of the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub code: ErrorCode,
    /// The text Go quotes in its message (bytes: it can hold the pattern's invalid bytes).
    pub expr: GoString,
}

impl Error {
    fn new(code: ErrorCode, expr: &str) -> Self {
        let bytes: Vec<u8> = if INVALID_BASE.with(Cell::get).is_some() {
            let mut out = Vec::with_capacity(expr.len());
            let mut buf = [0u8; 4];
            for c in expr.chars() {
                match invalid_byte(c) {
                    Some(b) => out.push(b),
                    None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                }
            }
            out
        } else {
            expr.as_bytes().to_vec()
        };
        Error {
            code,
            expr: GoString::from(bytes),
        }
    }
}

impl fmt::Display for Error {
    /// `error parsing regexp: <code>: `<expr>``, Go's `(*Error).Error`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error parsing regexp: {}: `{}`",
            self.code.as_str(),
            self.expr
        )
    }
}

impl std::error::Error for Error {}

/// A compiled Go regular expression.
#[derive(Debug, Clone)]
pub struct Regexp {
    expr: String,
    re: regex::Regex,
    /// Go's `subexpNames`: index 0 is the whole match (always ""), then one per group.
    names: Vec<String>,
}

/// Go's `maxRepeat`: the largest count in `x{n,m}`, and the largest product of nested counts.
const MAX_REPEAT: i32 = 1000;
/// Go's `maxHeight`: the deepest parse tree `regexp/syntax` accepts.
const MAX_HEIGHT: usize = 1000;

// Go's parser flags (regexp/syntax Flags), with Go's values so the `(?-…)` bit trick ports as is.
const FOLD_CASE: u16 = 1;
const CLASS_NL: u16 = 4;
const DOT_NL: u16 = 8;
const ONE_LINE: u16 = 16;
const NON_GREEDY: u16 = 32;
const PERL_X: u16 = 64;
const UNICODE_GROUPS: u16 = 128;
/// `syntax.Perl`, what `regexp.Compile` parses with.
const PERL: u16 = CLASS_NL | ONE_LINE | PERL_X | UNICODE_GROUPS;

/// One node of the parse tree, already in the form the Rust pattern needs. Flags that change
/// meaning (`i`, `s`, `m`) are recorded on each node, as Go records them, and printed per node;
/// `U` is resolved into each repetition's laziness, so the printed pattern never sets flags that
/// outlive a node.
#[derive(Debug, Clone)]
enum Node {
    Literal {
        c: char,
        fold: bool,
    },
    /// A character class: `negate`, items, case folding.
    Class {
        negate: bool,
        items: Vec<ClassItem>,
        fold: bool,
    },
    /// `.`
    Dot {
        nl: bool,
    },
    /// `^` (`multi`: `(?m)` was on), `$`, `\A`, `\z`, `\b`, `\B`.
    Assert(Assert),
    Group {
        cap: bool,
        alts: Vec<Vec<Node>>,
    },
    Repeat {
        sub: Box<Node>,
        min: i32,
        max: i32,
        counted: bool,
        lazy: bool,
    },
}

#[derive(Debug, Clone, Copy)]
enum Assert {
    BeginLine,
    BeginText,
    EndLine,
    EndText,
    WordBoundary,
    NoWordBoundary,
}

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    /// A Go table, printed as Rust class items (already inside `[...]`); `negate` wraps it.
    Table {
        text: String,
        negate: bool,
    },
}

/// A group being parsed: its alternatives so far, and what to restore at its `)`.
#[derive(Debug)]
struct Frame {
    alts: Vec<Vec<Node>>,
    cap: bool,
    flags: u16,
}

struct Parser<'a> {
    whole: &'a str,
    flags: u16,
    stack: Vec<Frame>,
    names: Vec<String>,
}

impl Regexp {
    /// Go's `regexp.Compile`: parse `expr` with Go's rules and compile it for matching. The error
    /// is Go's (`error parsing regexp: invalid or unsupported Perl syntax: `(?!``).
    pub fn compile(expr: &str) -> Result<Regexp, Error> {
        Self::compile_text(expr)
    }

    /// Go's `regexp.Compile` for a pattern that is a Go string (any bytes). A pattern that is
    /// not UTF-8 never compiles: the error is the first one Go's parser meets, `invalid UTF-8`
    /// at the first bad byte unless something before it is wrong.
    pub fn compile_bytes(expr: &[u8]) -> Result<Regexp, Error> {
        if let Ok(text) = std::str::from_utf8(expr) {
            return Self::compile_text(text);
        }
        // Stand each invalid byte for a character of a private-use block the pattern lacks.
        let used: Vec<u32> = expr
            .utf8_chunks()
            .flat_map(|c| c.valid().chars())
            .map(u32::from)
            .collect();
        let base = (0..)
            .map(|i| 0xF_0000 + 256 * i)
            .take_while(|&b| b + 256 <= 0x10_FFFE)
            .find(|&b| !used.iter().any(|&u| (b..b + 256).contains(&u)));
        let Some(base) = base else {
            return Err(Error::new(ErrorCode::InvalidUtf8, ""));
        };
        let mut text = String::with_capacity(expr.len() * 2);
        for chunk in expr.utf8_chunks() {
            text.push_str(chunk.valid());
            for &b in chunk.invalid() {
                text.push(char::from_u32(base + u32::from(b)).unwrap_or('\u{FFFD}'));
            }
        }
        INVALID_BASE.with(|c| c.set(Some(base)));
        let parsed = parse(&text);
        let result = match parsed {
            Err(e) => Err(e),
            // Go's parser reaches every byte, so this cannot succeed; Go would fail there.
            Ok(_) => Err(Error::new(ErrorCode::InvalidUtf8, &text)),
        };
        INVALID_BASE.with(|c| c.set(None));
        result
    }

    fn compile_text(expr: &str) -> Result<Regexp, Error> {
        let (tree, names) = parse(expr)?;
        if height(&tree) > MAX_HEIGHT {
            return Err(Error::new(ErrorCode::NestingDepth, expr));
        }
        let mut pattern = String::with_capacity(expr.len() * 2);
        emit_alts(&mut pattern, &tree);
        let re = regex::RegexBuilder::new(&pattern)
            // Go allows 1000 levels; our printing adds a few groups of its own.
            .nest_limit(4 * MAX_HEIGHT as u32)
            // Go's limit is ~3.3 million instructions; `\pL{1000}` must compile as it does in Go.
            .size_limit(1 << 30)
            .dfa_size_limit(1 << 26)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => Error::new(ErrorCode::Large, expr),
                other => Error::new(
                    ErrorCode::InternalError,
                    &format!("{expr} (as {pattern}: {other})"),
                ),
            })?;
        Ok(Regexp {
            expr: expr.to_string(),
            re,
            names,
        })
    }

    /// The pattern as given (Go's `String`).
    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// Go's `NumSubexp`: the number of capture groups.
    pub fn num_subexp(&self) -> usize {
        self.names.len() - 1
    }

    /// Go's `SubexpNames`: "" for the whole match and for unnamed groups.
    pub fn subexp_names(&self) -> &[String] {
        &self.names
    }

    /// Go's `MatchString`.
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    /// Go's `FindStringSubmatchIndex`, with `None` for a group that did not take part (Go's -1).
    pub fn find_submatch_index_at(
        &self,
        s: &str,
        pos: usize,
    ) -> Option<Vec<Option<(usize, usize)>>> {
        let caps = self.re.captures_at(s, pos)?;
        Some(
            (0..caps.len())
                .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
                .collect(),
        )
    }

    /// Go's `FindStringSubmatch`: the texts of the whole match and each group ("" when a group
    /// did not take part).
    pub fn find_string_submatch(&self, s: &str) -> Option<Vec<String>> {
        let m = self.find_submatch_index_at(s, 0)?;
        Some(
            m.iter()
                .map(|g| g.map(|(a, b)| s[a..b].to_string()).unwrap_or_default())
                .collect(),
        )
    }

    /// Go's `ReplaceAllString`: every match of the expression in `src` replaced by `repl`
    /// expanded with [`Regexp::expand`].
    pub fn replace_all_string(&self, src: &str, repl: &str) -> String {
        self.replace_all_counted(src, repl).0
    }

    /// [`Regexp::replace_all_string`], also returning how many times the replacement was
    /// inserted (explain reports rules that replace more than once).
    pub fn replace_all_counted(&self, src: &str, repl: &str) -> (String, usize) {
        // regexp.go replaceAll: search from searchPos, copy what lies between matches, skip the
        // replacement for an empty match right after the previous match, advance at least one
        // rune.
        let mut out = String::with_capacity(src.len());
        let mut count = 0;
        let mut last_match_end = 0;
        let mut search_pos = 0;
        while search_pos <= src.len() {
            let Some(m) = self.find_submatch_index_at(src, search_pos) else {
                break;
            };
            let Some((a0, a1)) = m.first().copied().flatten() else {
                break;
            };
            out.push_str(&src[last_match_end..a0]);
            if a1 > last_match_end || a0 == 0 {
                self.expand(&mut out, repl, src, &m);
                count += 1;
            }
            last_match_end = a1;
            let width = src[search_pos..].chars().next().map_or(0, char::len_utf8);
            if search_pos + width > a1 {
                search_pos += width;
            } else if search_pos + 1 > a1 {
                // Only at the end of the input, where the rune width is 0.
                search_pos += 1;
            } else {
                search_pos = a1;
            }
        }
        out.push_str(&src[last_match_end.min(src.len())..]);
        (out, count)
    }

    /// Go's `Regexp.Expand` (`expand`): append `template` to `dst`, with `$name`, `${name}` and
    /// `$n` replaced by the groups of `m` (indices into `src`), `$$` by `$`.
    pub fn expand(
        &self,
        dst: &mut String,
        template: &str,
        src: &str,
        m: &[Option<(usize, usize)>],
    ) {
        let mut template = template;
        while !template.is_empty() {
            let Some(i) = template.find('$') else {
                break;
            };
            dst.push_str(&template[..i]);
            template = &template[i + 1..];
            if let Some(rest) = template.strip_prefix('$') {
                // Treat $$ as $.
                dst.push('$');
                template = rest;
                continue;
            }
            let Some((name, num, rest)) = extract(template) else {
                // Malformed; treat $ as raw text.
                dst.push('$');
                continue;
            };
            template = rest;
            let group = |i: usize| m.get(i).copied().flatten();
            match num {
                Some(n) => {
                    if let Some((a, b)) = group(n) {
                        dst.push_str(&src[a..b]);
                    }
                }
                None => {
                    // The first group of that name that took part in the match.
                    if let Some((a, b)) = self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| n.as_str() == name)
                        .find_map(|(i, _)| group(i))
                    {
                        dst.push_str(&src[a..b]);
                    }
                }
            }
        }
        dst.push_str(template);
    }
}

/// Go's `extract`: the name after a `$` (braced or not), as a group number when it is all digits
/// without a leading zero (and below 1e8), and the rest of the template. `None` is Go's
/// "malformed": an empty name or a missing `}`.
fn extract(s: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|&c| c == '_' || is_letter_or_digit(c))
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let rest = if brace {
        body[len..].strip_prefix('}')?
    } else {
        &body[len..]
    };
    let mut num: Option<usize> = Some(0);
    for b in name.bytes() {
        num = match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => {
                Some(n * 10 + usize::from(b - b'0'))
            }
            _ => None,
        };
    }
    // Disallow leading zeros: $01 is the group named "01".
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((name, num, rest))
}

/// Go's `unicode.IsLetter(r) || unicode.IsDigit(r)`: general categories L* and Nd. Rust's
/// `char::is_alphabetic`/`is_numeric` are wider (Nl, No, Other_Alphabetic), so the regex crate's
/// category tables decide.
fn is_letter_or_digit(c: char) -> bool {
    static WORD: OnceLock<Option<regex::Regex>> = OnceLock::new();
    match WORD.get_or_init(|| regex::Regex::new(r"^[\p{L}\p{Nd}]$").ok()) {
        Some(re) => {
            let mut buf = [0u8; 4];
            re.is_match(c.encode_utf8(&mut buf))
        }
        None => c.is_alphanumeric(),
    }
}

/// Go's `parse(s, syntax.Perl)`: the tree (as the alternatives of the whole pattern) and the
/// capture names by group number.
fn parse(s: &str) -> Result<(Vec<Vec<Node>>, Vec<String>), Error> {
    let mut p = Parser {
        whole: s,
        flags: PERL,
        stack: vec![Frame {
            alts: vec![Vec::new()],
            cap: false,
            flags: PERL,
        }],
        names: vec![String::new()],
    };
    let mut t = s;
    let mut last_repeat: Option<&str> = None;
    while let Some(&c0) = t.as_bytes().first() {
        let mut repeat: Option<&str> = None;
        match c0 {
            b'(' => {
                if t.as_bytes().get(1) == Some(&b'?') {
                    // Flag changes and non-capturing groups.
                    t = p.parse_perl_flags(t)?;
                } else {
                    p.names.push(String::new());
                    p.open(true, p.flags);
                    t = &t[1..];
                }
            }
            b'|' => {
                p.top().alts.push(Vec::new());
                t = &t[1..];
            }
            b')' => {
                p.parse_right_paren()?;
                t = &t[1..];
            }
            b'^' => {
                let a = if p.flags & ONE_LINE != 0 {
                    Assert::BeginText
                } else {
                    Assert::BeginLine
                };
                p.push(Node::Assert(a));
                t = &t[1..];
            }
            b'$' => {
                let a = if p.flags & ONE_LINE != 0 {
                    Assert::EndText
                } else {
                    Assert::EndLine
                };
                p.push(Node::Assert(a));
                t = &t[1..];
            }
            b'.' => {
                p.push(Node::Dot {
                    nl: p.flags & DOT_NL != 0,
                });
                t = &t[1..];
            }
            b'[' => {
                t = p.parse_class(t)?;
            }
            b'*' | b'+' | b'?' => {
                let (min, max) = match c0 {
                    b'*' => (0, -1),
                    b'+' => (1, -1),
                    _ => (0, 1),
                };
                let before = t;
                t = p.repeat(min, max, false, before, &t[1..], last_repeat)?;
                repeat = Some(before);
            }
            b'{' => {
                let before = t;
                match parse_repeat(t) {
                    None => {
                        // If the repeat cannot be parsed, { is a literal.
                        p.literal('{');
                        t = &t[1..];
                    }
                    Some((min, max, after)) => {
                        let consumed = &before[..before.len() - after.len()];
                        if !(0..=MAX_REPEAT).contains(&min)
                            || max > MAX_REPEAT
                            || (max >= 0 && min > max)
                        {
                            // Numbers were too big, or max is present and min > max.
                            return Err(Error::new(ErrorCode::InvalidRepeatSize, consumed));
                        }
                        t = p.repeat(min, max, true, before, after, last_repeat)?;
                        repeat = Some(before);
                    }
                }
            }
            b'\\' => {
                t = p.parse_backslash(t)?;
            }
            _ => {
                let (c, rest) = next_rune(t)?;
                p.literal(c);
                t = rest;
            }
        }
        last_repeat = repeat;
    }
    if p.stack.len() != 1 {
        return Err(Error::new(ErrorCode::MissingParen, s));
    }
    let root = p.stack.pop().map(|f| f.alts).unwrap_or_default();
    Ok((root, p.names))
}

impl Parser<'_> {
    fn top(&mut self) -> &mut Frame {
        let n = self.stack.len();
        &mut self.stack[n - 1]
    }

    fn push(&mut self, node: Node) {
        let frame = self.top();
        let n = frame.alts.len();
        frame.alts[n - 1].push(node);
    }

    fn literal(&mut self, c: char) {
        let fold = self.flags & FOLD_CASE != 0;
        self.push(Node::Literal { c, fold });
    }

    fn open(&mut self, cap: bool, flags: u16) {
        self.stack.push(Frame {
            alts: vec![Vec::new()],
            cap,
            flags,
        });
    }

    /// `parseRightParen`: close the innermost group, restoring the flags it started with.
    fn parse_right_paren(&mut self) -> Result<(), Error> {
        if self.stack.len() < 2 {
            return Err(Error::new(ErrorCode::UnexpectedParen, self.whole));
        }
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| Error::new(ErrorCode::UnexpectedParen, self.whole))?;
        self.flags = frame.flags;
        self.push(Node::Group {
            cap: frame.cap,
            alts: frame.alts,
        });
        Ok(())
    }

    /// `repeat`: apply `*`, `+`, `?` or `{min,max}` to the last operand; `before` starts at the
    /// operator, `after` follows it. Returns the text after the operator and its `?`.
    fn repeat<'t>(
        &mut self,
        min: i32,
        max: i32,
        counted: bool,
        before: &'t str,
        after: &'t str,
        last_repeat: Option<&'t str>,
    ) -> Result<&'t str, Error> {
        let mut after = after;
        let mut lazy = self.flags & NON_GREEDY != 0;
        if let Some(rest) = after.strip_prefix('?') {
            after = rest;
            lazy = !lazy;
        }
        if let Some(lr) = last_repeat {
            // In Perl it is not allowed to stack repetition operators: a** is a syntax error.
            return Err(Error::new(
                ErrorCode::InvalidRepeatOp,
                &lr[..lr.len() - after.len()],
            ));
        }
        let op = &before[..before.len() - after.len()];
        let frame = self.top();
        let n = frame.alts.len();
        let Some(sub) = frame.alts[n - 1].pop() else {
            // Nothing before it in this group or alternative (Go: the stack top is empty, `(` or `|`).
            return Err(Error::new(ErrorCode::MissingRepeatArgument, op));
        };
        let node = Node::Repeat {
            sub: Box::new(sub),
            min,
            max,
            counted,
            lazy,
        };
        let invalid = counted && (min >= 2 || max >= 2) && !repeat_is_valid(&node, MAX_REPEAT);
        frame.alts[n - 1].push(node);
        if invalid {
            return Err(Error::new(ErrorCode::InvalidRepeatSize, op));
        }
        Ok(after)
    }

    /// `parsePerlFlags`: `(?flags)`, `(?flags:`, `(?P<name>` and `(?<name>`.
    fn parse_perl_flags<'t>(&mut self, s: &'t str) -> Result<&'t str, Error> {
        let t = s;
        let b = t.as_bytes();
        let starts_with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let starts_with_name = b.len() > 3 && b[2] == b'<';
        if starts_with_p || starts_with_name {
            // (?P<name>expr) and, since Go 1.22, (?<name>expr).
            let expr_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = t.find('>') else {
                check_utf8(t)?;
                return Err(Error::new(ErrorCode::InvalidNamedCapture, s));
            };
            let capture = &t[..end + 1];
            let name = &t[expr_start..end];
            check_utf8(name)?;
            if !is_valid_capture_name(name) {
                return Err(Error::new(ErrorCode::InvalidNamedCapture, capture));
            }
            self.names.push(name.to_string());
            self.open(true, self.flags);
            return Ok(&t[end + 1..]);
        }

        // Non-capturing group. Might also twiddle Perl flags.
        let mut t = &t[2..];
        let mut flags = self.flags;
        let mut sign = 1;
        let mut saw_flag = false;
        while !t.is_empty() {
            let (c, rest) = next_rune(t)?;
            t = rest;
            match c {
                'i' => {
                    flags |= FOLD_CASE;
                    saw_flag = true;
                }
                'm' => {
                    flags &= !ONE_LINE;
                    saw_flag = true;
                }
                's' => {
                    flags |= DOT_NL;
                    saw_flag = true;
                }
                'U' => {
                    flags |= NON_GREEDY;
                    saw_flag = true;
                }
                '-' => {
                    if sign < 0 {
                        break;
                    }
                    sign = -1;
                    // Invert flags so that | above turn into &^ and vice versa; inverted back
                    // below.
                    flags = !flags;
                    saw_flag = false;
                }
                ':' | ')' => {
                    if sign < 0 {
                        if !saw_flag {
                            break;
                        }
                        flags = !flags;
                    }
                    if c == ':' {
                        // Open a new group; it restores the flags in force before it.
                        self.open(false, self.flags);
                    }
                    self.flags = flags;
                    return Ok(t);
                }
                _ => break,
            }
        }
        Err(Error::new(
            ErrorCode::InvalidPerlOp,
            &s[..s.len() - t.len()],
        ))
    }

    /// A backslash outside a class: `\A \b \B \C \Q \z`, Unicode and Perl classes, then
    /// single-character escapes.
    fn parse_backslash<'t>(&mut self, t: &'t str) -> Result<&'t str, Error> {
        let b = t.as_bytes();
        if b.len() >= 2 {
            match b[1] {
                b'A' => {
                    self.push(Node::Assert(Assert::BeginText));
                    return Ok(&t[2..]);
                }
                b'b' => {
                    self.push(Node::Assert(Assert::WordBoundary));
                    return Ok(&t[2..]);
                }
                b'B' => {
                    self.push(Node::Assert(Assert::NoWordBoundary));
                    return Ok(&t[2..]);
                }
                // any byte; not supported
                b'C' => return Err(Error::new(ErrorCode::InvalidEscape, &t[..2])),
                b'Q' => {
                    // \Q ... \E: the ... is always literals (to the end when there is no \E).
                    let body = &t[2..];
                    let (lit, rest) = match body.find("\\E") {
                        Some(i) => (&body[..i], &body[i + 2..]),
                        None => (body, ""),
                    };
                    let mut lit = lit;
                    while !lit.is_empty() {
                        let (c, r) = next_rune(lit)?;
                        self.literal(c);
                        lit = r;
                    }
                    return Ok(rest);
                }
                b'z' => {
                    self.push(Node::Assert(Assert::EndText));
                    return Ok(&t[2..]);
                }
                _ => {}
            }
        }
        let fold = self.flags & FOLD_CASE != 0;
        if let Some((item, rest)) = parse_unicode_class(t)? {
            self.push(Node::Class {
                negate: false,
                items: vec![item],
                fold,
            });
            return Ok(rest);
        }
        if let Some((item, rest)) = parse_perl_class_escape(t) {
            self.push(Node::Class {
                negate: false,
                items: vec![item],
                fold,
            });
            return Ok(rest);
        }
        let (c, rest) = parse_escape(t)?;
        self.literal(c);
        Ok(rest)
    }

    /// `parseClass`: `[...]` at the start of `s`.
    fn parse_class<'t>(&mut self, s: &'t str) -> Result<&'t str, Error> {
        let mut t = &s[1..];
        let mut negate = false;
        if let Some(rest) = t.strip_prefix('^') {
            negate = true;
            t = rest;
            // syntax.Perl has ClassNL, so a negated class may match \n, as in Rust: nothing to add.
        }
        let mut items = Vec::new();
        let mut first = true; // ] and - are okay as first char in class
        while t.is_empty() || !t.starts_with(']') || first {
            first = false;
            // POSIX [:alnum:] etc.
            if t.len() > 2 && t.starts_with("[:") {
                if let Some((item, rest)) = parse_named_class(t)? {
                    items.push(item);
                    t = rest;
                    continue;
                }
            }
            // Unicode character group like \p{Han}.
            if let Some((item, rest)) = parse_unicode_class(t)? {
                items.push(item);
                t = rest;
                continue;
            }
            // Perl character class symbols (extension).
            if let Some((item, rest)) = parse_perl_class_escape(t) {
                items.push(item);
                t = rest;
                continue;
            }
            // Single character or simple range.
            let rng = t;
            let (lo, rest) = parse_class_char(t, s)?;
            t = rest;
            let mut hi = lo;
            // [a-] means (a|-) so check for final ].
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                let (h, rest) = parse_class_char(&t[1..], s)?;
                t = rest;
                hi = h;
                if hi < lo {
                    return Err(Error::new(
                        ErrorCode::InvalidCharRange,
                        &rng[..rng.len() - t.len()],
                    ));
                }
            }
            items.push(ClassItem::Range(lo, hi));
        }
        let fold = self.flags & FOLD_CASE != 0;
        self.push(Node::Class {
            negate,
            items,
            fold,
        });
        Ok(&t[1..])
    }
}

/// `parseRepeat`: `{min}`, `{min,}` or `{min,max}` at the start of `s`: `(min, max, rest)`, max
/// -1 for no upper bound, min -1 when a number is too big. `None` when `s` is not of that form
/// (then `{` is a literal).
fn parse_repeat(s: &str) -> Option<(i32, i32, &str)> {
    let s = s.strip_prefix('{')?;
    let (mut min, s) = parse_int(s)?;
    let mut s = s;
    let max;
    if let Some(rest) = s.strip_prefix(',') {
        s = rest;
        if s.is_empty() {
            return None;
        }
        if s.starts_with('}') {
            max = -1;
        } else {
            let (m, rest) = parse_int(s)?;
            s = rest;
            max = m;
            if max < 0 {
                // parseInt found too big a number
                min = -1;
            }
        }
    } else {
        if s.is_empty() {
            return None;
        }
        max = min;
    }
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

/// `parseInt`: a decimal integer without leading zeros; -1 when it reaches 1e8.
fn parse_int(s: &str) -> Option<(i32, &str)> {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    // Disallow leading zeros.
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut n: i32 = 0;
    for &d in &b[..digits] {
        // Avoid overflow.
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i32::from(d - b'0');
    }
    Some((n, &s[digits..]))
}

/// `repeatIsValid`: no counted repetition, alone or multiplied by the ones it contains, exceeds
/// `n` copies of the innermost thing.
fn repeat_is_valid(node: &Node, n: i32) -> bool {
    let mut n = n;
    match node {
        Node::Repeat {
            sub,
            min,
            max,
            counted,
            ..
        } => {
            if *counted {
                let mut m = *max;
                if m == 0 {
                    return true;
                }
                if m < 0 {
                    m = *min;
                }
                if m > n {
                    return false;
                }
                if m > 0 {
                    n /= m;
                }
            }
            repeat_is_valid(sub, n)
        }
        Node::Group { alts, .. } => alts.iter().flatten().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

fn is_valid_capture_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric())
}

/// `nextRune`: the first rune of `s`. A byte that is not UTF-8 (standing as a character, see
/// [`Regexp::compile_bytes`]) is Go's `invalid UTF-8`, quoting the rest of the pattern.
fn next_rune(s: &str) -> Result<(char, &str), Error> {
    match s.chars().next() {
        Some(c) if invalid_byte(c).is_some() => Err(Error::new(ErrorCode::InvalidUtf8, s)),
        Some(c) => Ok((c, &s[c.len_utf8()..])),
        None => Err(Error::new(ErrorCode::InternalError, s)),
    }
}

fn check_utf8(s: &str) -> Result<(), Error> {
    match s.char_indices().find(|(_, c)| invalid_byte(*c).is_some()) {
        Some((i, _)) => Err(Error::new(ErrorCode::InvalidUtf8, &s[i..])),
        None => Ok(()),
    }
}

/// `parseEscape`: a single-character escape at the start of `s` (which starts with `\`).
fn parse_escape(s: &str) -> Result<(char, &str), Error> {
    let t = &s[1..];
    if t.is_empty() {
        return Err(Error::new(ErrorCode::TrailingBackslash, ""));
    }
    let (c, mut t) = next_rune(t)?;
    let invalid = |t: &str| Error::new(ErrorCode::InvalidEscape, &s[..s.len() - t.len()]);
    let is_octal = |t: &str| {
        t.as_bytes()
            .first()
            .is_some_and(|b| (b'0'..=b'7').contains(b))
    };
    match c {
        // Octal escapes: \0, and \1-\7 followed by an octal digit (a lone \1 would be a
        // backreference, which RE2 does not support).
        '1'..='7' | '0' if c == '0' || is_octal(t) => {
            let mut r = c as u32 - u32::from(b'0');
            for _ in 1..3 {
                if !is_octal(t) {
                    break;
                }
                r = r * 8 + u32::from(t.as_bytes()[0] - b'0');
                t = &t[1..];
            }
            Ok((char::from_u32(r).unwrap_or('\0'), t))
        }
        'x' => {
            if t.is_empty() {
                return Err(invalid(t));
            }
            let (c, rest) = next_rune(t)?;
            t = rest;
            if c == '{' {
                // Any number of hex digits in braces, at least one, at most U+10FFFF.
                let mut nhex = 0;
                let mut r: u32 = 0;
                loop {
                    if t.is_empty() {
                        return Err(invalid(t));
                    }
                    let (c, rest) = next_rune(t)?;
                    t = rest;
                    if c == '}' {
                        break;
                    }
                    let Some(v) = c.to_digit(16) else {
                        return Err(invalid(t));
                    };
                    r = r * 16 + v;
                    if r > 0x10FFFF {
                        return Err(invalid(t));
                    }
                    nhex += 1;
                }
                if nhex == 0 {
                    return Err(invalid(t));
                }
                // Surrogates are valid runes to Go's parser; Rust has no char for them, and no
                // string can contain one, so they match nothing: U+FFFD is never in a repository.
                return Ok((char::from_u32(r).unwrap_or('\u{FFFD}'), t));
            }
            // Easy case: two hex digits.
            let x = c.to_digit(16);
            if t.is_empty() {
                return Err(invalid(t));
            }
            let (c2, rest) = next_rune(t)?;
            t = rest;
            match (x, c2.to_digit(16)) {
                (Some(x), Some(y)) => Ok((char::from_u32(x * 16 + y).unwrap_or('\0'), t)),
                _ => Err(invalid(t)),
            }
        }
        // C escapes. There is no \b: in Go it is only the word boundary, never a backspace.
        'a' => Ok(('\u{7}', t)),
        'f' => Ok(('\u{c}', t)),
        'n' => Ok(('\n', t)),
        'r' => Ok(('\r', t)),
        't' => Ok(('\t', t)),
        'v' => Ok(('\u{b}', t)),
        // Escaped non-word characters are always themselves (this is why Go's \< is a literal <).
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, t)),
        _ => Err(invalid(t)),
    }
}

/// `parseClassChar`: one character inside a class; `whole` is the class from its `[`.
fn parse_class_char<'t>(s: &'t str, whole: &str) -> Result<(char, &'t str), Error> {
    if s.is_empty() {
        return Err(Error::new(ErrorCode::MissingBracket, whole));
    }
    if s.starts_with('\\') {
        return parse_escape(s);
    }
    next_rune(s)
}

/// Go's `perl_groups.go`: `\d`, `\s`, `\w` as ASCII ranges (Go's `\s` has no `\v`).
fn perl_group(name: &str) -> Option<(&'static [(char, char)], bool)> {
    const DIGIT: &[(char, char)] = &[('0', '9')];
    const SPACE: &[(char, char)] = &[('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')];
    const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
    Some(match name {
        "\\d" => (DIGIT, false),
        "\\D" => (DIGIT, true),
        "\\s" => (SPACE, false),
        "\\S" => (SPACE, true),
        "\\w" => (WORD, false),
        "\\W" => (WORD, true),
        _ => return None,
    })
}

/// Go's `posixGroup`: `[:alnum:]` ... as ASCII ranges.
fn posix_group(name: &str) -> Option<(&'static [(char, char)], bool)> {
    let (base, negate) = match name.strip_prefix("[:^") {
        Some(rest) => (rest, true),
        None => (name.strip_prefix("[:")?, false),
    };
    let ranges: &'static [(char, char)] = match base {
        "alnum:]" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha:]" => &[('A', 'Z'), ('a', 'z')],
        "ascii:]" => &[('\0', '\u{7f}')],
        "blank:]" => &[('\t', '\t'), (' ', ' ')],
        "cntrl:]" => &[('\0', '\u{1f}'), ('\u{7f}', '\u{7f}')],
        "digit:]" => &[('0', '9')],
        "graph:]" => &[('!', '~')],
        "lower:]" => &[('a', 'z')],
        "print:]" => &[(' ', '~')],
        "punct:]" => &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space:]" => &[('\t', '\r'), (' ', ' ')],
        "upper:]" => &[('A', 'Z')],
        "word:]" => &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        "xdigit:]" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    };
    Some((ranges, negate))
}

fn table_item(ranges: &[(char, char)], negate: bool) -> ClassItem {
    let mut text = String::new();
    for &(lo, hi) in ranges {
        push_range(&mut text, lo, hi);
    }
    ClassItem::Table { text, negate }
}

/// `parsePerlClassEscape`: `\d`, `\D`, `\s`, `\S`, `\w`, `\W` at the start of `s`.
fn parse_perl_class_escape(s: &str) -> Option<(ClassItem, &str)> {
    let name = s.get(..2)?;
    let (ranges, negate) = perl_group(name)?;
    Some((table_item(ranges, negate), &s[2..]))
}

/// `parseNamedClass`: `[:alpha:]` at the start of `s`. `Ok(None)` when there is no `:]` (the
/// `[` is then an ordinary character); an unknown name is an error.
fn parse_named_class(s: &str) -> Result<Option<(ClassItem, &str)>, Error> {
    let Some(i) = s[2..].find(":]") else {
        return Ok(None);
    };
    let end = i + 2 + 2;
    let name = &s[..end];
    match posix_group(name) {
        Some((ranges, negate)) => Ok(Some((table_item(ranges, negate), &s[end..]))),
        None => Err(Error::new(ErrorCode::InvalidCharRange, name)),
    }
}

/// `parseUnicodeClass` (go1.24.11: exact table names, no aliases): `\pL`, `\p{Greek}`,
/// `\P{Greek}`, `\p{^Greek}` at the start of `s`.
fn parse_unicode_class(s: &str) -> Result<Option<(ClassItem, &str)>, Error> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
        return Ok(None);
    }
    // Committed to parse or return error.
    let mut negate = b[1] == b'P';
    let t = &s[2..];
    let (seq, name, rest) = match t.chars().next() {
        Some(c) if invalid_byte(c).is_some() => return Err(Error::new(ErrorCode::InvalidUtf8, t)),
        Some('{') => {
            let Some(end) = s.find('}') else {
                check_utf8(s)?;
                return Err(Error::new(ErrorCode::InvalidCharRange, s));
            };
            let name = &s[3..end];
            check_utf8(name)?;
            (&s[..end + 1], name, &s[end + 1..])
        }
        // Single-letter name (or none at the end of the pattern).
        Some(c) => (
            &s[..2 + c.len_utf8()],
            &s[2..2 + c.len_utf8()],
            &s[2 + c.len_utf8()..],
        ),
        None => (s, "", ""),
    };
    let mut name = name;
    // Group can have leading negation too: \p{^Han} == \P{Han}, \P{^Han} == \p{Han}.
    if let Some(n) = name.strip_prefix('^') {
        negate = !negate;
        name = n;
    }
    let Some(text) = unicode_table(name) else {
        return Err(Error::new(ErrorCode::InvalidCharRange, seq));
    };
    Ok(Some((ClassItem::Table { text, negate }, rest)))
}

/// Go's `unicodeTable` in go1.24.11: `Any`, the keys of `unicode.Categories`, or the keys of
/// `unicode.Scripts` (Unicode 15.0.0), spelled exactly. Returns the Rust class items.
fn unicode_table(name: &str) -> Option<String> {
    const CATEGORIES: &[&str] = &[
        "Cc", "Cf", "Co", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd",
        "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
        "Z", "Zl", "Zp", "Zs",
    ];
    if name == "Any" {
        return Some("\\x{0}-\\x{10FFFF}".to_string());
    }
    // Surrogates (Cs) are code points no Rust string holds, and no Go string decodes to: the
    // class matches nothing. Rust's regex has no `\p{Cs}`, so it is written as an empty class.
    const SURROGATES: &str = "[^\\x{0}-\\x{10FFFF}]";
    if name == "Cs" {
        return Some(SURROGATES.to_string());
    }
    if name == "C" {
        // Go's unicode.C is Cc|Cf|Co|Cs: unlike Unicode's C (and Rust's), no unassigned code
        // points.
        return Some(format!("\\p{{Cc}}\\p{{Cf}}\\p{{Co}}{SURROGATES}"));
    }
    if CATEGORIES.contains(&name) || SCRIPTS.binary_search(&name).is_ok() {
        return Some(format!("\\p{{{name}}}"));
    }
    None
}

/// The keys of go1.24.11's `unicode.Scripts` (Unicode 15.0.0), sorted.
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// Go's parse-tree height, counted the way `checkHeight` counts it closely enough to refuse what
/// Go refuses: one level per group, alternation, concatenation and repetition.
fn height(alts: &[Vec<Node>]) -> usize {
    fn node(n: &Node) -> usize {
        match n {
            Node::Group { alts, .. } => 1 + height(alts),
            Node::Repeat { sub, .. } => 1 + node(sub),
            _ => 1,
        }
    }
    let concat =
        |seq: &Vec<Node>| seq.iter().map(node).max().unwrap_or(0) + usize::from(seq.len() > 1);
    alts.iter().map(concat).max().unwrap_or(0) + usize::from(alts.len() > 1)
}

fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        // Hex escapes mean the character itself both in and outside classes, whatever Rust's
        // syntax would make of it (`&&`, `--`, `~~`, `[`, `#`, white space ...).
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

fn push_range(out: &mut String, lo: char, hi: char) {
    push_char(out, lo);
    if hi != lo {
        out.push('-');
        push_char(out, hi);
    }
}

fn emit_alts(out: &mut String, alts: &[Vec<Node>]) {
    for (i, seq) in alts.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for n in seq {
            emit(out, n);
        }
    }
}

fn emit(out: &mut String, n: &Node) {
    match n {
        Node::Literal { c, fold } => {
            if *fold {
                out.push_str("(?i:");
                push_char(out, *c);
                out.push(')');
            } else {
                push_char(out, *c);
            }
        }
        Node::Class {
            negate,
            items,
            fold,
        } => {
            out.push_str(if *fold { "(?i:[" } else { "[" });
            if *negate {
                out.push('^');
            }
            for item in items {
                match item {
                    ClassItem::Range(lo, hi) => push_range(out, *lo, *hi),
                    ClassItem::Table {
                        text,
                        negate: false,
                    } => out.push_str(text),
                    ClassItem::Table { text, negate: true } => {
                        out.push_str("[^");
                        out.push_str(text);
                        out.push(']');
                    }
                }
            }
            out.push_str(if *fold { "])" } else { "]" });
        }
        Node::Dot { nl } => out.push_str(if *nl { "(?s:.)" } else { "." }),
        Node::Assert(a) => out.push_str(match a {
            Assert::BeginLine => "(?m:^)",
            Assert::BeginText => "\\A",
            Assert::EndLine => "(?m:$)",
            Assert::EndText => "\\z",
            // Go's \b and \B are ASCII word boundaries.
            Assert::WordBoundary => "(?-u:\\b)",
            Assert::NoWordBoundary => "(?-u:\\B)",
        }),
        Node::Group { cap, alts } => {
            out.push_str(if *cap { "(" } else { "(?:" });
            emit_alts(out, alts);
            out.push(')');
        }
        Node::Repeat {
            sub,
            min,
            max,
            lazy,
            ..
        } => {
            // Always a group around the operand: Go repeats assertions and repetitions (`^*`,
            // `a{2}(?i)*`) that Rust's parser would refuse bare.
            out.push_str("(?:");
            emit(out, sub);
            out.push(')');
            match (*min, *max) {
                (0, -1) => out.push('*'),
                (1, -1) => out.push('+'),
                (0, 1) => out.push('?'),
                (m, -1) => out.push_str(&format!("{{{m},}}")),
                (m, x) if m == x => out.push_str(&format!("{{{m}}}")),
                (m, x) => out.push_str(&format!("{{{m},{x}}}")),
            }
            if *lazy {
                out.push('?');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated with go1.19.8 `regexp.Compile` (see the module docs for what changed since:
    /// `(?<name>` is accepted from Go 1.22, and those cases follow go1.24.11's parser instead).
    /// `Ok(n)` is `NumSubexp`.
    const SYNTAX: &[(&str, Result<usize, &str>)] = &[
        ("^library/(.*)", Ok(1)),
        (
            "(?!library/)(.*)",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?!`"),
        ),
        (
            "(?=x)",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
        ),
        ("(?P<name>x)", Ok(1)),
        (
            "(?P<>x)",
            Err("error parsing regexp: invalid named capture: `(?P<>`"),
        ),
        (
            "(?P<na-me>x)",
            Err("error parsing regexp: invalid named capture: `(?P<na-me>`"),
        ),
        (
            "(?P<name",
            Err("error parsing regexp: invalid named capture: `(?P<name`"),
        ),
        (
            "(?P=name)",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?P`"),
        ),
        (
            "(?'n'x)",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?'`"),
        ),
        (
            "(?#c)",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?#`"),
        ),
        (
            "(?x)a b",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?x`"),
        ),
        ("(?i)a", Ok(0)),
        ("(?ii)a", Ok(0)),
        ("(?i-i)a", Ok(0)),
        (
            "(?-)a",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?-)`"),
        ),
        (
            "(?i-)a",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"),
        ),
        ("(?)a", Ok(0)),
        (
            "(?--i)a",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?--`"),
        ),
        (
            "(?",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?`"),
        ),
        (
            "(?i",
            Err("error parsing regexp: invalid or unsupported Perl syntax: `(?i`"),
        ),
        ("(?s:.)", Ok(0)),
        ("(?U)a*", Ok(0)),
        (
            "\\1",
            Err("error parsing regexp: invalid escape sequence: `\\1`"),
        ),
        (
            "(a)\\1",
            Err("error parsing regexp: invalid escape sequence: `\\1`"),
        ),
        ("\\12", Ok(0)),
        ("\\0", Ok(0)),
        (
            "\\8",
            Err("error parsing regexp: invalid escape sequence: `\\8`"),
        ),
        (
            "\\Z",
            Err("error parsing regexp: invalid escape sequence: `\\Z`"),
        ),
        ("\\z", Ok(0)),
        (
            "\\C",
            Err("error parsing regexp: invalid escape sequence: `\\C`"),
        ),
        (
            "\\e",
            Err("error parsing regexp: invalid escape sequence: `\\e`"),
        ),
        (
            "\\k<a>",
            Err("error parsing regexp: invalid escape sequence: `\\k`"),
        ),
        ("\\Qabc", Ok(0)),
        (
            "\\Q\\E*",
            Err("error parsing regexp: missing argument to repetition operator: `*`"),
        ),
        (
            "a**",
            Err("error parsing regexp: invalid nested repetition operator: `**`"),
        ),
        (
            "a*?*",
            Err("error parsing regexp: invalid nested repetition operator: `*?*`"),
        ),
        (
            "a+*",
            Err("error parsing regexp: invalid nested repetition operator: `+*`"),
        ),
        ("a??", Ok(0)),
        (
            "a{2}{3}",
            Err("error parsing regexp: invalid nested repetition operator: `{2}{3}`"),
        ),
        (
            "a{2}*",
            Err("error parsing regexp: invalid nested repetition operator: `{2}*`"),
        ),
        (
            "*a",
            Err("error parsing regexp: missing argument to repetition operator: `*`"),
        ),
        (
            "(*)",
            Err("error parsing regexp: missing argument to repetition operator: `*`"),
        ),
        (
            "a|*",
            Err("error parsing regexp: missing argument to repetition operator: `*`"),
        ),
        (
            "{2}",
            Err("error parsing regexp: missing argument to repetition operator: `{2}`"),
        ),
        (
            "x{1001}",
            Err("error parsing regexp: invalid repeat count: `{1001}`"),
        ),
        ("x{1000}", Ok(0)),
        (
            "x{2,1}",
            Err("error parsing regexp: invalid repeat count: `{2,1}`"),
        ),
        ("x{,3}", Ok(0)),
        (
            "x{1,1001}",
            Err("error parsing regexp: invalid repeat count: `{1,1001}`"),
        ),
        (
            "(x{2}){501}",
            Err("error parsing regexp: invalid repeat count: `{501}`"),
        ),
        ("(x{500}){2}", Ok(1)),
        ("((x{10}){10}){10}", Ok(2)),
        (
            "((x{10}){10}){11}",
            Err("error parsing regexp: invalid repeat count: `{11}`"),
        ),
        ("x{01}", Ok(0)),
        ("a{", Ok(0)),
        ("a{1", Ok(0)),
        ("a{1,", Ok(0)),
        ("a{1,2", Ok(0)),
        ("a)", Err("error parsing regexp: unexpected ): `a)`")),
        ("(a", Err("error parsing regexp: missing closing ): `(a`")),
        (
            "((a)",
            Err("error parsing regexp: missing closing ): `((a)`"),
        ),
        ("[a", Err("error parsing regexp: missing closing ]: `[a`")),
        ("[]", Err("error parsing regexp: missing closing ]: `[]`")),
        ("[]a]", Ok(0)),
        ("[^]a]", Ok(0)),
        (
            "[z-a]",
            Err("error parsing regexp: invalid character class range: `z-a`"),
        ),
        ("[a-]", Ok(0)),
        ("[-a]", Ok(0)),
        (
            "[a-\\d]",
            Err("error parsing regexp: invalid escape sequence: `\\d`"),
        ),
        ("[\\d-z]", Ok(0)),
        ("[[:alpha:]]", Ok(0)),
        (
            "[[:foo:]]",
            Err("error parsing regexp: invalid character class range: `[:foo:]`"),
        ),
        (
            "[[:alpha:]",
            Err("error parsing regexp: missing closing ]: `[[:alpha:]`"),
        ),
        ("[[:^alpha:]]", Ok(0)),
        ("[[a]", Ok(0)),
        ("[a&&b]", Ok(0)),
        (
            "[a--b]",
            Err("error parsing regexp: invalid character class range: `a--`"),
        ),
        ("[a~~b]", Ok(0)),
        ("\\pL", Ok(0)),
        ("\\p{Greek}", Ok(0)),
        (
            "\\p{greek}",
            Err("error parsing regexp: invalid character class range: `\\p{greek}`"),
        ),
        ("\\p{Latin}", Ok(0)),
        ("\\p{^Greek}", Ok(0)),
        ("\\P{Greek}", Ok(0)),
        ("\\p{Lu}", Ok(0)),
        ("\\p{Any}", Ok(0)),
        (
            "\\p{L",
            Err("error parsing regexp: invalid character class range: `\\p{L`"),
        ),
        (
            "\\p{Foo}",
            Err("error parsing regexp: invalid character class range: `\\p{Foo}`"),
        ),
        ("\\pZ", Ok(0)),
        (
            "\\pX",
            Err("error parsing regexp: invalid character class range: `\\pX`"),
        ),
        (
            "\\p{Letter}",
            Err("error parsing regexp: invalid character class range: `\\p{Letter}`"),
        ),
        ("\\p{Han}", Ok(0)),
        ("[\\p{Han}]", Ok(0)),
        ("[\\P{Han}a]", Ok(0)),
        ("\\b", Ok(0)),
        (
            "[\\b]",
            Err("error parsing regexp: invalid escape sequence: `\\b`"),
        ),
        ("\\A", Ok(0)),
        (
            "[\\A]",
            Err("error parsing regexp: invalid escape sequence: `\\A`"),
        ),
        ("\\x41", Ok(0)),
        ("\\x{41}", Ok(0)),
        (
            "\\x{}",
            Err("error parsing regexp: invalid escape sequence: `\\x{}`"),
        ),
        (
            "\\x{110000}",
            Err("error parsing regexp: invalid escape sequence: `\\x{110000`"),
        ),
        (
            "\\x4",
            Err("error parsing regexp: invalid escape sequence: `\\x4`"),
        ),
        (
            "\\xg1",
            Err("error parsing regexp: invalid escape sequence: `\\xg1`"),
        ),
        ("\\a\\f\\t\\n\\r\\v", Ok(0)),
        ("\\_", Ok(0)),
        ("\\<\\>\\-", Ok(0)),
        (
            "\\é",
            Err("error parsing regexp: invalid escape sequence: `\\é`"),
        ),
        (
            "a\\",
            Err("error parsing regexp: trailing backslash at end of expression: ``"),
        ),
        (
            "\\",
            Err("error parsing regexp: trailing backslash at end of expression: ``"),
        ),
        ("x{2}{", Ok(0)),
        ("^*", Ok(0)),
        ("$+", Ok(0)),
        ("\\b*", Ok(0)),
        (
            "(?i)*",
            Err("error parsing regexp: missing argument to repetition operator: `*`"),
        ),
        ("a(?i)*", Ok(0)),
        ("()*", Ok(1)),
        ("(|a)", Ok(1)),
        ("a||b", Ok(0)),
        ("[^\\x00-\\x{10FFFF}]", Ok(0)),
        ("\\pN{1000}", Ok(0)),
        ("\\Q\\", Ok(0)),
        (
            "[\\Q]",
            Err("error parsing regexp: invalid escape sequence: `\\Q`"),
        ),
        (
            "[\\z]",
            Err("error parsing regexp: invalid escape sequence: `\\z`"),
        ),
        ("\\d{2}", Ok(0)),
        ("\\D\\W\\S", Ok(0)),
        ("[^\\D]", Ok(0)),
        // go1.24.11 (parsePerlFlags since Go 1.22): (?<name> is a named group, and look-behind
        // is read as a bad name.
        ("(?<name>x)", Ok(1)),
        (
            "(?<=a)b",
            Err("error parsing regexp: invalid named capture: `(?<=a)b`"),
        ),
        (
            "(?<!a)b",
            Err("error parsing regexp: invalid named capture: `(?<!a)b`"),
        ),
        (
            "(?<=a>b)",
            Err("error parsing regexp: invalid named capture: `(?<=a>`"),
        ),
    ];

    #[test]
    fn syntax_matches_go() {
        for (expr, want) in SYNTAX {
            let got = Regexp::compile(expr)
                .map(|r| r.num_subexp())
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "pattern {expr:?}");
        }
    }

    /// Generated with go1.19.8 `(*Regexp).ReplaceAllString(src, repl)`: pattern, replacement,
    /// source, result.
    const REPLACE: &[(&str, &str, &str, &str)] = &[
        (
            "^library/(.*)",
            "mirrored/$1",
            "library/nginx",
            "mirrored/nginx",
        ),
        (
            "^library/(.*)",
            "mirrored/$1",
            "bitnami/redis",
            "bitnami/redis",
        ),
        ("(.*)", "x/$1", "library/nginx", "x/library/nginx"),
        ("(.*)", "x/${1}", "library/nginx", "x/library/nginx"),
        (
            "^(?P<ns>[^/]+)/(?P<name>.*)$",
            "${name}/${ns}",
            "library/nginx",
            "nginx/library",
        ),
        (
            "^(?P<ns>[^/]+)/(?P<name>.*)$",
            "$name-$ns",
            "library/nginx",
            "nginx-library",
        ),
        (
            "^(?P<ns>[^/]+)/(?P<name>.*)$",
            "$name_$ns",
            "library/nginx",
            "library",
        ),
        ("^(library)/(.*)", "$01/$2", "library/nginx", "/nginx"),
        ("^(library)/(.*)", "${01}/$2", "library/nginx", "/nginx"),
        ("^(library)/(.*)", "$1x/$2", "library/nginx", "/nginx"),
        (
            "^(library)/(.*)",
            "${1}x/$2",
            "library/nginx",
            "libraryx/nginx",
        ),
        ("^(library)/(.*)", "$$1/$2", "library/nginx", "$1/nginx"),
        ("^(library)/(.*)", "$/$2", "library/nginx", "$/nginx"),
        ("^(library)/(.*)", "${1/$2", "library/nginx", "${1/nginx"),
        ("^(library)/(.*)", "$2$", "library/nginx", "nginx$"),
        (
            "^(library)/(.*)",
            "$0-$10-$3",
            "library/nginx",
            "library/nginx--",
        ),
        ("^(library)/(.*)", "${}x", "library/nginx", "${}x"),
        ("^(library)/(.*)", "$é/$2", "library/nginx", "/nginx"),
        ("a", "b", "banana", "bbnbnb"),
        ("a*", "-", "baaac", "-b-c-"),
        ("a*", "-", "abc", "-b-c-"),
        ("", "-", "abc", "-a-b-c-"),
        ("x*", "-", "abc", "-a-b-c-"),
        ("(a)|(b)", "[$1$2]", "abc", "[a][b]c"),
        ("(a)|b", "[$1]", "abc", "[a][]c"),
        ("library", "lib", "library/library-x", "lib/lib-x"),
        ("\\bnginx\\b", "web", "library/nginx", "library/web"),
        ("(?i)LIBRARY/(.*)", "m/$1", "library/nginx", "m/nginx"),
        ("^library/(\\w+)$", "m/$1", "library/nginx", "m/nginx"),
        ("^(\\d+)", "n$1", "123abc", "n123abc"),
        ("\\s", "_", "a b\u{b}c", "a_b\u{b}c"),
        ("[[:upper:]]", "U", "aBc", "aUc"),
        ("(?U)a+", "x", "aaa", "xxx"),
        ("a+?", "x", "aaa", "xxx"),
        ("\\Qa.b\\E", "x", "a.b axb", "x axb"),
        ("\\101", "x", "ABA", "xBx"),
        ("[\\d-z]", "x", "1-z9", "xxxx"),
        ("\\<", "x", "a<b", "axb"),
        ("^", "pre/", "library/nginx", "pre/library/nginx"),
        ("$", "/suf", "library/nginx", "library/nginx/suf"),
        ("(?m)^", ">", "a\nb", ">a\n>b"),
        ("é", "e", "café", "cafe"),
        (".", ".", "日本", ".."),
        ("(?P<a>x)(?P<a>y)", "$a", "xy", "x"),
        ("(?P<a>x)?(?P<a>y)", "[$a]", "y", "[y]"),
        ("(?P<1x>a)", "$1x", "a", "a"),
        ("(a)", "${1x}", "a", ""),
    ];

    #[test]
    fn replace_all_string_matches_go() {
        for (pat, repl, src, want) in REPLACE {
            let re = Regexp::compile(pat).expect("valid pattern");
            assert_eq!(
                re.replace_all_string(src, repl),
                *want,
                "{pat:?} / {repl:?} on {src:?}"
            );
        }
    }

    #[test]
    fn counts_replacements() {
        let re = Regexp::compile("library").expect("valid");
        assert_eq!(
            re.replace_all_counted("library/library-x", "lib"),
            ("lib/lib-x".to_string(), 2)
        );
        let re = Regexp::compile("^library/(.*)").expect("valid");
        assert_eq!(re.replace_all_counted("bitnami/redis", "x/$1").1, 0);
    }

    #[test]
    fn submatches_and_names() {
        let re = Regexp::compile("^(?P<ns>[^/]+)/(?<name>.*)|(x)$").expect("valid");
        assert_eq!(re.subexp_names(), ["", "ns", "name", ""]);
        assert_eq!(
            re.find_string_submatch("library/nginx"),
            Some(vec![
                "library/nginx".into(),
                "library".into(),
                "nginx".into(),
                String::new()
            ])
        );
        assert!(re.find_string_submatch("nginy").is_none());
    }

    #[test]
    fn ascii_classes_and_literal_punctuation() {
        // Go's \w, \d and \b are ASCII; Rust's default classes would match these.
        let re = Regexp::compile("^\\w+$").expect("valid");
        assert!(!re.is_match("é"));
        assert!(!Regexp::compile("\\d").expect("valid").is_match("٣"));
        assert!(Regexp::compile("\\bx").expect("valid").is_match("éx"));
        // Go's \s has no \v.
        assert!(!Regexp::compile("\\s").expect("valid").is_match("\u{b}"));
        // Go's \< is a literal <, not a word boundary.
        assert!(Regexp::compile("a\\<b").expect("valid").is_match("a<b"));
        // Class text that Rust would read as set operations or nested classes.
        let re = Regexp::compile("^[a&&b]+$").expect("valid");
        assert!(re.is_match("a&b"));
        assert!(Regexp::compile("^[[a]+$").expect("valid").is_match("[a["));
        // Octal escapes.
        assert!(Regexp::compile("^\\101$").expect("valid").is_match("A"));
        // (?U) decides laziness where the operator is read.
        let re = Regexp::compile("(?U)(a+)(a*)").expect("valid");
        assert_eq!(
            re.find_string_submatch("aaa").map(|m| m[1].clone()),
            Some("a".to_string())
        );
        // Flags end with their group.
        let re = Regexp::compile("(?:(?i)a)a").expect("valid");
        assert!(re.is_match("Aa") && !re.is_match("AA"));
        // Go's \p{C} has no unassigned code points.
        assert!(!Regexp::compile("\\p{C}")
            .expect("valid")
            .is_match("\u{378}"));
        assert!(Regexp::compile("\\p{C}").expect("valid").is_match("\u{7}"));
        assert!(!Regexp::compile("\\p{Cs}").expect("valid").is_match("a"));
        assert!(Regexp::compile("\\P{Cs}").expect("valid").is_match("a"));
    }

    #[test]
    fn invalid_utf8_in_pattern() {
        let err = Regexp::compile_bytes(b"a\xffb").expect_err("invalid UTF-8");
        assert_eq!(err.code, ErrorCode::InvalidUtf8);
        assert_eq!(err.expr.as_bytes(), b"\xffb");
        // An error before the bad byte wins, and quotes the bytes as they are.
        let err = Regexp::compile_bytes(b"a(?!x)\xff").expect_err("look-ahead");
        assert_eq!(err.code, ErrorCode::InvalidPerlOp);
        let err = Regexp::compile_bytes(b"(a\xff").expect_err("invalid UTF-8");
        assert_eq!(
            (err.code, err.expr.as_bytes()),
            (ErrorCode::InvalidUtf8, &b"\xff"[..])
        );
        // Private-use characters in the pattern are characters, not bytes.
        assert!(Regexp::compile("\u{10ff41}").is_ok());
        assert!(Regexp::compile_bytes("\u{f0041}".as_bytes()).is_ok());
    }

    #[test]
    fn scripts_are_sorted() {
        assert!(SCRIPTS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(SCRIPTS.len(), 163);
    }
}
