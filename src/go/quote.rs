//! Go's `strconv.Quote` and `strconv.IsPrint` (strconv/quote.go, go1.24.11).
//!
//! `fmt.Sprintf("%q", s)` for a string `s` (no `+` or `#` flag) is `strconv.Quote(s)`: `fmt`'s
//! `fmtQ` calls `strconv.AppendQuote`. K3s's templates print most strings that way, so this is
//! the function that decides the bytes of nearly every value in `config.toml` and `hosts.toml`.

use super::isprint::{IS_NOT_PRINT16, IS_NOT_PRINT32, IS_PRINT16, IS_PRINT32};

const LOWERHEX: &[u8; 16] = b"0123456789abcdef";

/// Go's `strconv.Quote`: `s` as a double-quoted Go string literal.
///
/// Takes bytes (a `&str`, a [`GoString`](super::string::GoString), a `&[u8]`) because a Go string
/// may hold any bytes (yaml.v2 decodes `!!binary` into one). This is the project's one quoting
/// helper for Go's `%q`.
/// Each byte that does not start a valid UTF-8 sequence becomes `\xNN` (lower-case hex), one
/// byte at a time, exactly as Go's `utf8.DecodeRuneInString` reports width 1 for it: so a UTF-8
/// encoded surrogate (`ed a0 80`) is three `\x` escapes, and a valid encoding of U+FFFD itself is
/// kept as a printable rune. `"` and `\` are backslashed; runes [`is_print`] accepts are copied;
/// the rest become `\a \b \f \n \r \t \v`, `\xNN` (other C0 controls and DEL), `\uNNNN` or
/// `\UNNNNNNNN`.
pub fn quote(s: impl AsRef<[u8]>) -> String {
    let mut out = String::new();
    append_quote(&mut out, s.as_ref());
    out
}

/// Go's `strconv.AppendQuote`: [`quote`] appended to `buf`.
pub fn append_quote(buf: &mut String, s: &[u8]) {
    // Go preallocates len(s)+2 when the buffer is short; quoting usually adds little.
    buf.reserve(s.len() + 2);
    buf.push('"');
    // Printable ASCII is copied as it is, up to the first `"`, `\` or other byte.
    let plain = s
        .iter()
        .position(|&b| !matches!(b, b' '..=b'~') || b == b'"' || b == b'\\')
        .unwrap_or(s.len());
    // (Only ASCII before `plain`, so the split is at a character boundary.)
    buf.push_str(std::str::from_utf8(&s[..plain]).unwrap_or_default());
    append_escaped(buf, &s[plain..]);
    buf.push('"');
}

/// Every rune of `s` as Go's `%q` prints it between the quotes.
fn append_escaped(buf: &mut String, s: &[u8]) {
    // Splitting into valid runs and invalid bytes is the same as Go's rune-at-a-time loop: Rust's
    // and Go's UTF-8 validity are the same (no surrogates, no overlong forms, nothing past
    // U+10FFFF), and the bytes of an invalid chunk after its first are continuation bytes, which
    // Go also rejects one at a time when it retries from the next byte.
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            append_escaped_rune(buf, c);
        }
        for &b in chunk.invalid() {
            push_hex_byte(buf, b'x', b);
        }
    }
}

/// Go's `appendEscapedRune` with quote `"`, `ASCIIonly` and `graphicOnly` false.
fn append_escaped_rune(buf: &mut String, r: char) {
    if r == '"' || r == '\\' {
        // Always backslashed, even though both are printable.
        buf.push('\\');
        buf.push(r);
        return;
    }
    if is_print(r) {
        buf.push(r);
        return;
    }
    match r {
        '\u{07}' => buf.push_str("\\a"),
        '\u{08}' => buf.push_str("\\b"),
        '\u{0C}' => buf.push_str("\\f"),
        '\n' => buf.push_str("\\n"),
        '\r' => buf.push_str("\\r"),
        '\t' => buf.push_str("\\t"),
        '\u{0B}' => buf.push_str("\\v"),
        _ => {
            let v = u32::from(r);
            if v < 0x20 || v == 0x7F {
                // The other C0 controls and DEL use the short form; C1 controls (U+0080..U+009F)
                // are runes of their own and get \u00NN below.
                push_hex_byte(buf, b'x', v as u8);
            } else if v < 0x1_0000 {
                // (Go's `!utf8.ValidRune` branch cannot happen: a `char` is always valid.)
                push_hex(buf, b'u', v, 4);
            } else {
                push_hex(buf, b'U', v, 8);
            }
        }
    }
}

fn push_hex_byte(buf: &mut String, kind: u8, b: u8) {
    push_hex(buf, kind, u32::from(b), 2);
}

/// `\` + `kind` + `digits` lower-case hex digits of `v`.
fn push_hex(buf: &mut String, kind: u8, v: u32, digits: u32) {
    buf.push('\\');
    buf.push(char::from(kind));
    for i in (0..digits).rev() {
        let nibble = (v >> (4 * i)) & 0xF;
        buf.push(char::from(LOWERHEX[nibble as usize]));
    }
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space, as
/// Go's Unicode 15.0.0 tables define them.
///
/// Not printable, among others: every other space (U+00A0 no-break space, U+2028, U+3000), the
/// soft hyphen U+00AD, format characters (U+200B..U+200F, U+FEFF), controls, surrogates,
/// private-use and unassigned code points (as of Unicode 15.0.0; later assignments count as
/// unassigned).
pub fn is_print(r: char) -> bool {
    let r = u32::from(r);
    // Fast check for Latin-1, as Go has it.
    if r <= 0xFF {
        if (0x20..=0x7E).contains(&r) {
            return true;
        }
        if (0xA1..=0xFF).contains(&r) {
            // Everything from ¡ through ÿ except the soft hyphen, a format character.
            return r != 0xAD;
        }
        return false;
    }
    if let Ok(rr) = u16::try_from(r) {
        return in_ranges(IS_PRINT16, rr) && IS_NOT_PRINT16.binary_search(&rr).is_err();
    }
    if !in_ranges(IS_PRINT32, r) {
        return false;
    }
    // Go's generator only lists exceptions below U+20000; from there on a range is all printable.
    if r >= 0x2_0000 {
        return true;
    }
    match u16::try_from(r - 0x1_0000) {
        Ok(low) => IS_NOT_PRINT32.binary_search(&low).is_err(),
        Err(_) => true,
    }
}

/// Whether `x` lies in one of the inclusive `[lo, hi]` pairs of `table` (Go's `bsearch` followed
/// by the `isPrint[i&^1] <= x <= isPrint[i|1]` check).
fn in_ranges<T: Copy + Ord>(table: &[T], x: T) -> bool {
    // First index whose value is >= x: the start or the end of the pair that might hold x.
    let i = table.partition_point(|&v| v < x);
    match (table.get(i & !1), table.get(i | 1)) {
        (Some(&lo), Some(&hi)) => lo <= x && x <= hi,
        _ => false,
    }
}

/// Go's `strconv.Unquote` for the output of [`quote`] (only the escapes `quote` writes).
pub fn unquote(q: &str) -> Option<Vec<u8>> {
    let inner = q.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut chars = inner.chars();
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = v * 16 + chars.next()?.to_digit(16)?;
        }
        Some(v)
    };
    while let Some(c) = chars.next() {
        if c == '"' {
            return None; // an unescaped quote inside
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let simple = match chars.next()? {
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0C,
            'n' => b'\n',
            'r' => b'\r',
            't' => b'\t',
            'v' => 0x0B,
            '\\' => b'\\',
            '"' => b'"',
            'x' => u8::try_from(hex(&mut chars, 2)?).ok()?,
            k @ ('u' | 'U') => {
                let v = hex(&mut chars, if k == 'u' { 4 } else { 8 })?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from_u32(v)?.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return None,
        };
        out.push(simple);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Cases checked against go1.24.11's `strconv.Quote` (and its source, for the why).
    const CASES: &[(&[u8], &str)] = &[
        (b"", r#""""#),
        (b"abc", r#""abc""#),
        (b"\x00", r#""\x00""#),
        (b"\x07\x08\x0c\n\r\t\x0b", r#""\a\b\f\n\r\t\v""#),
        (b"\x01\x1f\x7f", r#""\x01\x1f\x7f""#),
        (b"\"\\'", r#""\"\\'""#),
        (b" ~", r#"" ~""#),
        // C1 controls are runes of their own: \u form, not \x.
        ("\u{80}\u{9f}".as_bytes(), r#""\u0080\u009f""#),
        // No-break space: graphic (Zs) but not printable.
        ("\u{a0}".as_bytes(), r#""\u00a0""#),
        // Soft hyphen: the one non-printable rune in ¡..ÿ.
        ("\u{ad}".as_bytes(), r#""\u00ad""#),
        ("¡ÿé".as_bytes(), "\"¡ÿé\""),
        ("\u{2028}\u{2029}".as_bytes(), r#""\u2028\u2029""#),
        (
            "\u{200b}\u{200d}\u{feff}".as_bytes(),
            r#""\u200b\u200d\ufeff""#,
        ),
        ("\u{3000}".as_bytes(), r#""\u3000""#),
        ("\u{1680}".as_bytes(), r#""\u1680""#),
        // Combining marks are printable (category M), even standing alone.
        ("e\u{301}\u{301}".as_bytes(), "\"e\u{301}\u{301}\""),
        ("\u{e000}\u{f8ff}".as_bytes(), r#""\ue000\uf8ff""#),
        (
            "\u{f0000}\u{10fffd}".as_bytes(),
            r#""\U000f0000\U0010fffd""#,
        ),
        // A valid encoding of U+FFFD is printable and kept; an invalid byte is \x.
        ("\u{fffd}".as_bytes(), "\"\u{fffd}\""),
        (b"\xff", r#""\xff""#),
        (b"\xef\xbf\xbd\xff", "\"\u{fffd}\\xff\""),
        (b"a\x80b", r#""a\x80b""#),
        // UTF-8 encoded surrogate: invalid, byte by byte.
        (b"\xed\xa0\x80", r#""\xed\xa0\x80""#),
        // Overlong encodings of '/' and NUL.
        (b"\xc0\xaf", r#""\xc0\xaf""#),
        (b"\xe0\x80\xaf", r#""\xe0\x80\xaf""#),
        (b"\xc0\x80", r#""\xc0\x80""#),
        // Truncated sequence followed by ASCII.
        (b"\xe2\x82A", r#""\xe2\x82A""#),
        (b"\xe2\x82\xac", "\"€\""),
        // Past U+10FFFF.
        (b"\xf4\x90\x80\x80", r#""\xf4\x90\x80\x80""#),
        (b"\xf8\x88\x80\x80\x80", r#""\xf8\x88\x80\x80\x80""#),
        ("🦀👍🏽".as_bytes(), "\"🦀👍🏽\""),
        // Emoji ZWJ sequence: U+200D is a format character.
        ("👩\u{200d}💻".as_bytes(), "\"👩\\u200d💻\""),
        // Variation selector 16 is a mark (Mn): printable.
        ("❤\u{fe0f}".as_bytes(), "\"❤\u{fe0f}\""),
        // Unassigned in Unicode 15.0.0.
        ("\u{378}".as_bytes(), r#""\u0378""#),
        // Assigned in Unicode 15.0.0 (CJK Ext. H, Kawi): printable.
        ("\u{31350}\u{11f00}".as_bytes(), "\"\u{31350}\u{11f00}\""),
        // Assigned only in Unicode 16.0 (Garay, U+10D40): not printable for Go 1.24.
        ("\u{10d40}".as_bytes(), r#""\U00010d40""#),
        // Tags and variation selectors supplement: printable only in the listed range.
        ("\u{e0001}\u{e0100}".as_bytes(), "\"\\U000e0001\u{e0100}\""),
        // Plane 16 private use (issue 9's class A): escaped, never taken for a byte.
        ("\u{10ff41}".as_bytes(), r#""\U0010ff41""#),
        (b"https://user:p@ss@h/\tx", r#""https://user:p@ss@h/\tx""#),
    ];

    #[test]
    fn quote_matches_go() {
        for &(input, want) in CASES {
            assert_eq!(quote(input), want, "quote({input:?})");
        }
    }

    #[test]
    fn quote_str_is_quote_of_bytes() {
        assert_eq!(quote("a\"b"), r#""a\"b""#);
        assert_eq!(quote("\u{ad}"), r#""\u00ad""#);
    }

    #[test]
    fn append_quote_appends() {
        let mut s = String::from("x=");
        append_quote(&mut s, b"\xff");
        assert_eq!(s, r#"x="\xff""#);
    }

    /// Checked against go1.24.11's `strconv.IsPrint`.
    #[test]
    fn is_print_matches_go() {
        let printable = [
            ' ',
            '~',
            'a',
            '¡',
            'ÿ',
            'Ā',
            '\u{301}',
            '€',
            '\u{fffd}',
            '\u{fffc}',
            '😀',
            '\u{1f6d7}',
            '\u{1fbca}',
            '\u{20000}',
            '\u{2a6df}',
            '\u{31350}',
            '\u{323af}',
            '\u{e0100}',
            '\u{e01ef}',
            '\u{0377}',
            '\u{11f59}',
        ];
        let not_printable = [
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            '\u{80}',
            '\u{9f}',
            '\u{a0}',
            '\u{ad}',
            '\u{378}',
            '\u{38b}',
            '\u{61c}',
            '\u{2000}',
            '\u{2028}',
            '\u{202f}',
            '\u{3000}',
            '\u{e000}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{1000c}',
            '\u{1d455}',
            '\u{2a6e0}',
            '\u{323b0}',
            '\u{e0001}',
            '\u{e01f0}',
            '\u{f0000}',
            '\u{10ffff}',
            '\u{1f6d8}',
            '\u{1fb93}',
        ];
        for c in printable {
            assert!(is_print(c), "is_print({:#x})", u32::from(c));
        }
        for c in not_printable {
            assert!(!is_print(c), "!is_print({:#x})", u32::from(c));
        }
        for c in [
            '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}', '\u{202f}', '\u{205f}', '\u{3000}',
        ] {
            // Spaces that Go's IsGraphic accepts and IsPrint does not.
            assert!(!is_print(c), "space {:#x}", u32::from(c));
        }
    }

    #[test]
    fn tables_are_well_formed() {
        fn sorted_pairs<T: Copy + Ord>(t: &[T]) -> bool {
            t.len() % 2 == 0
                && t.chunks(2).all(|p| p[0] <= p[1])
                && t.windows(2).all(|w| w[0] <= w[1])
        }
        assert!(sorted_pairs(IS_PRINT16) && sorted_pairs(IS_PRINT32));
        assert!(IS_NOT_PRINT16.windows(2).all(|w| w[0] < w[1]));
        assert!(IS_NOT_PRINT32.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            (
                IS_PRINT16.len(),
                IS_NOT_PRINT16.len(),
                IS_PRINT32.len(),
                IS_NOT_PRINT32.len()
            ),
            (424, 133, 508, 112)
        );
    }

    proptest! {
        /// Printable ASCII copied at once is what the rune loop prints for it.
        #[test]
        fn plain_ascii_is_copied_as_the_rune_loop_prints_it(
            head in "[ -~]{0,12}",
            tail in proptest::collection::vec(any::<u8>(), 0..8),
        ) {
            let raw = [head.as_bytes(), &tail].concat();
            let mut by_runes = String::from("\"");
            append_escaped(&mut by_runes, &raw);
            by_runes.push('"');
            prop_assert_eq!(quote(&raw), by_runes);
        }

        #[test]
        fn quote_never_panics_and_round_trips_bytes(raw in proptest::collection::vec(any::<u8>(), 0..48)) {
            let q = quote(&raw);
            prop_assert_eq!(unquote(&q), Some(raw));
        }

        #[test]
        fn quote_round_trips_valid_utf8(s in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{3000}\\u{10000}-\\u{10ffff}]{0,16}") {
            let q = quote(&s);
            prop_assert_eq!(unquote(&q), Some(s.clone().into_bytes()));
        }

        #[test]
        fn output_is_printable(s in any::<String>()) {
            let q = quote(&s);
            // Between the quotes only printable runes, and no raw '"' or '\\' outside escapes.
            for c in q.chars() {
                prop_assert!(is_print(c), "non-printable {:?} in {}", c, q);
            }
            prop_assert!(q.starts_with('"') && q.ends_with('"') && q.len() >= 2);
        }
    }
}
