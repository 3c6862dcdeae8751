//! Plain-scalar resolution: a port of yaml.v2 v2.4.0's `resolve.go` (`resolve`, `resolvableTag`,
//! `shortTag`, `parseTimestamp`) together with the pieces of Go's standard library it leans on
//! (`strconv.ParseInt`/`ParseUint`/`ParseFloat` for base-0 integers and YAML-style floats,
//! `time.Parse` for the four timestamp layouts, `encoding/base64.StdEncoding.DecodeString` for
//! `!!binary`).
//!
//! The decoder only needs to know *which* tag a scalar resolves to (and the boolean value for
//! `bool` fields): a string field takes the scalar's text as written whatever it resolves to,
//! except for null (zero value) and `!!binary` (decoded bytes). The numeric values themselves are
//! therefore not kept.

/// `tag:yaml.org,2002:` — yaml.v2's `longTagPrefix`.
pub(crate) const LONG_TAG_PREFIX: &str = "tag:yaml.org,2002:";
/// `yaml_NULL_TAG`
pub(crate) const NULL_TAG: &str = "tag:yaml.org,2002:null";
/// `yaml_BOOL_TAG`
pub(crate) const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
/// `yaml_STR_TAG`
pub(crate) const STR_TAG: &str = "tag:yaml.org,2002:str";
/// `yaml_INT_TAG`
pub(crate) const INT_TAG: &str = "tag:yaml.org,2002:int";
/// `yaml_FLOAT_TAG`
pub(crate) const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
/// `yaml_TIMESTAMP_TAG`
pub(crate) const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
/// `yaml_SEQ_TAG`
pub(crate) const SEQ_TAG: &str = "tag:yaml.org,2002:seq";
/// `yaml_MAP_TAG`
pub(crate) const MAP_TAG: &str = "tag:yaml.org,2002:map";
/// `yaml_BINARY_TAG`
pub(crate) const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
/// `yaml_MERGE_TAG`
pub(crate) const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

/// What a scalar resolved to: the Go dynamic type of `resolve`'s `out`, without the value
/// (except for booleans, which `bool` fields need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// `nil`
    Null,
    /// `bool`
    Bool(bool),
    /// `int`, `int64` or `uint64`
    Int,
    /// `float64`
    Float,
    /// `time.Time`
    Timestamp,
    /// `string`: the scalar's text (also what unresolvable tags and `!!binary` give).
    Str,
}

/// An explicit resolvable tag the scalar's text does not fit: yaml.v2's deferred `failf` in
/// `resolve`, worded as Go words it (`cannot decode !!str `abc` as a !!int`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {} `{input}` as a {}", short_tag(.resolved), short_tag(.tag))]
pub(crate) struct ResolveError {
    /// The tag the text resolves to (long form).
    resolved: &'static str,
    /// The text.
    input: String,
    /// The explicit tag (long form).
    tag: String,
}

/// `resolve(tag, in)`: returns the resolved tag (long form) and the kind of value.
///
/// `tag` is the node's explicit tag in long form, `""` when it has none. An explicit resolvable
/// tag the text does not fit fails like yaml.v2's deferred `failf` ([`ResolveError`]).
pub(crate) fn resolve<'t>(tag: &'t str, input: &str) -> Result<(&'t str, Resolved), ResolveError> {
    if !resolvable_tag(tag) {
        return Ok((tag, Resolved::Str));
    }
    let (rtag, out) = resolve_inner(tag, input);
    // The deferred check in resolve.go.
    if tag.is_empty() || tag == rtag || tag == STR_TAG || tag == BINARY_TAG {
        return Ok((rtag, out));
    }
    if tag == FLOAT_TAG && rtag == INT_TAG {
        return Ok((FLOAT_TAG, Resolved::Float));
    }
    Err(ResolveError {
        resolved: rtag,
        input: input.to_string(),
        tag: tag.to_string(),
    })
}

/// `resolvableTag`
fn resolvable_tag(tag: &str) -> bool {
    matches!(
        tag,
        "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG
    )
}

/// The body of `resolve` after `resolvableTag` (before the deferred check).
fn resolve_inner(tag: &str, input: &str) -> (&'static str, Resolved) {
    // hint := byte('N'); if in != "" { hint = resolveTable[in[0]] }
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint != 0 && tag != STR_TAG && tag != BINARY_TAG {
        if let Some(item) = resolve_map(input) {
            return item;
        }
        match hint {
            b'.' if go_parse_float_ok(input) => return (FLOAT_TAG, Resolved::Float),
            b'D' | b'S' => {
                if (tag.is_empty() || tag == TIMESTAMP_TAG) && parse_timestamp(input) {
                    return (TIMESTAMP_TAG, Resolved::Timestamp);
                }
                let plain: std::borrow::Cow<'_, str> = if input.contains('_') {
                    input.replace('_', "").into()
                } else {
                    input.into()
                };
                if go_parse_int(&plain).is_some() || go_parse_uint(&plain, 0).is_some() {
                    return (INT_TAG, Resolved::Int);
                }
                if yaml_style_float(&plain) && go_parse_float_ok(&plain) {
                    return (FLOAT_TAG, Resolved::Float);
                }
                if let Some(rest) = plain.strip_prefix("0b") {
                    if go_parse_int_base(rest, 2).is_some() || go_parse_uint(rest, 2).is_some() {
                        return (INT_TAG, Resolved::Int);
                    }
                } else if let Some(rest) = plain.strip_prefix("-0b") {
                    if go_parse_int_base(&format!("-{rest}"), 2).is_some() {
                        return (INT_TAG, Resolved::Int);
                    }
                }
            }
            // 'M' (and 'N', which only the empty string has and the map always holds).
            _ => {}
        }
    }
    (STR_TAG, Resolved::Str)
}

/// `resolveMap`: the YAML 1.1 booleans, nulls, special floats and `<<`.
fn resolve_map(s: &str) -> Option<(&'static str, Resolved)> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (BOOL_TAG, Resolved::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (BOOL_TAG, Resolved::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (NULL_TAG, Resolved::Null),
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => (FLOAT_TAG, Resolved::Float),
        "<<" => (MERGE_TAG, Resolved::Str),
        _ => return None,
    })
}

/// `shortTag`: `tag:yaml.org,2002:x` -> `!!x`.
pub(crate) fn short_tag(tag: &str) -> std::borrow::Cow<'_, str> {
    match tag.strip_prefix(LONG_TAG_PREFIX) {
        Some(rest) => format!("!!{rest}").into(),
        None => tag.into(),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` succeeds.
fn go_parse_int(s: &str) -> Option<()> {
    go_parse_int_base(s, 0)
}

/// Go's `strconv.ParseInt(s, base, 64)` succeeds (base 0 or 2 here).
fn go_parse_int_base(s: &str, base: u32) -> Option<()> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let un = go_parse_uint_value(rest, base)?;
    let cutoff = 1u64 << 63;
    if (!neg && un >= cutoff) || (neg && un > cutoff) {
        return None;
    }
    Some(())
}

/// Go's `strconv.ParseUint(s, base, 64)` succeeds.
fn go_parse_uint(s: &str, base: u32) -> Option<()> {
    go_parse_uint_value(s, base).map(|_| ())
}

/// Go's `strconv.ParseUint(s, base, 64)` (underscores were already removed by the caller, as
/// resolve.go does before calling it).
fn go_parse_uint_value(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits) = if base == 0 {
        if b[0] == b'0' {
            let lower = b.get(1).map(|c| c.to_ascii_lowercase());
            if b.len() >= 3 && lower == Some(b'b') {
                (2, &b[2..])
            } else if b.len() >= 3 && lower == Some(b'o') {
                (8, &b[2..])
            } else if b.len() >= 3 && lower == Some(b'x') {
                (16, &b[2..])
            } else {
                (8, &b[1..])
            }
        } else {
            (10, b)
        }
    } else {
        (base, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// resolve.go's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds, for the inputs resolve.go gives it: decimal forms
/// (the `yamlStyleFloat` ones, or text starting with `.`). Overflow to infinity is an error in Go.
fn go_parse_float_ok(s: &str) -> bool {
    if !yaml_style_float(s) {
        // Text starting with '.' that is not a decimal float (".5x", ".", ".e1"): Go's readFloat
        // rejects it too (no hex or inf/nan spelling starts with '.').
        return false;
    }
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `parseTimestamp`: the `YYYY-` quick check, then Go's `time.Parse` with yaml.v2's four layouts.
pub(crate) fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if i != 4 || i == b.len() || b[i] != b'-' {
        return false;
    }
    const LAYOUTS: [&[Chunk]; 4] = [
        &[
            Chunk::Year,
            Chunk::Lit("-"),
            Chunk::Month,
            Chunk::Lit("-"),
            Chunk::Day,
            Chunk::Lit("T"),
            Chunk::Hour,
            Chunk::Lit(":"),
            Chunk::Minute,
            Chunk::Lit(":"),
            Chunk::Second,
            Chunk::Frac9,
            Chunk::ZoneColon,
        ],
        &[
            Chunk::Year,
            Chunk::Lit("-"),
            Chunk::Month,
            Chunk::Lit("-"),
            Chunk::Day,
            Chunk::Lit("t"),
            Chunk::Hour,
            Chunk::Lit(":"),
            Chunk::Minute,
            Chunk::Lit(":"),
            Chunk::Second,
            Chunk::Frac9,
            Chunk::ZoneColon,
        ],
        &[
            Chunk::Year,
            Chunk::Lit("-"),
            Chunk::Month,
            Chunk::Lit("-"),
            Chunk::Day,
            Chunk::Lit(" "),
            Chunk::Hour,
            Chunk::Lit(":"),
            Chunk::Minute,
            Chunk::Lit(":"),
            Chunk::Second,
            Chunk::Frac9,
        ],
        &[
            Chunk::Year,
            Chunk::Lit("-"),
            Chunk::Month,
            Chunk::Lit("-"),
            Chunk::Day,
        ],
    ];
    LAYOUTS.iter().any(|layout| go_time_parse(layout, s))
}

/// One element of a Go time layout, as `nextStdChunk` splits it.
#[derive(Clone, Copy)]
enum Chunk {
    Lit(&'static str),
    /// `2006`
    Year,
    /// `1`
    Month,
    /// `2`
    Day,
    /// `15`
    Hour,
    /// `4`
    Minute,
    /// `5`
    Second,
    /// `.999999999`
    Frac9,
    /// `Z07:00`
    ZoneColon,
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = *s.first()?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match s.get(1) {
        Some(d1) if d1.is_ascii_digit() => {
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..]))
        }
        _ => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// Go's `skip(value, prefix)`: literal layout text; a space matches a run of spaces.
fn skip<'v>(mut value: &'v [u8], prefix: &str) -> Option<&'v [u8]> {
    let mut prefix = prefix.as_bytes();
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if !value.is_empty() && value[0] != b' ' {
                return None;
            }
            while prefix.first() == Some(&b' ') {
                prefix = &prefix[1..];
            }
            while value.first() == Some(&b' ') {
                value = &value[1..];
            }
            continue;
        }
        if value.first() != Some(&p) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Go's `time.Parse(layout, s) == nil`, for the chunks yaml.v2's layouts use.
fn go_time_parse(layout: &[Chunk], s: &str) -> bool {
    let mut v = s.as_bytes();
    let (mut year, mut month, mut day) = (0u32, 0u32, 0u32);
    for (idx, chunk) in layout.iter().enumerate() {
        match *chunk {
            Chunk::Lit(lit) => match skip(v, lit) {
                Some(rest) => v = rest,
                None => return false,
            },
            Chunk::Year => {
                if v.len() < 4 || !v[..4].iter().all(u8::is_ascii_digit) {
                    return false;
                }
                year = v[..4]
                    .iter()
                    .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
                v = &v[4..];
            }
            Chunk::Month | Chunk::Day | Chunk::Hour | Chunk::Minute | Chunk::Second => {
                let Some((n, rest)) = getnum(v) else {
                    return false;
                };
                v = rest;
                let ok = match *chunk {
                    Chunk::Month => {
                        month = n;
                        (1..=12).contains(&n)
                    }
                    Chunk::Day => {
                        day = n;
                        true
                    }
                    Chunk::Hour => n < 24,
                    _ => n < 60,
                };
                if !ok {
                    return false;
                }
                // stdSecond: a fractional second in the input but not in the layout.
                if matches!(chunk, Chunk::Second)
                    && !matches!(layout.get(idx + 1), Some(Chunk::Frac9))
                    && v.len() >= 2
                    && matches!(v[0], b'.' | b',')
                    && v[1].is_ascii_digit()
                {
                    let n = 2 + v[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                    v = &v[n..];
                }
            }
            Chunk::Frac9 => {
                if v.len() >= 2 && matches!(v[0], b'.' | b',') && v[1].is_ascii_digit() {
                    let n = 1 + v[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    v = &v[n..];
                }
            }
            Chunk::ZoneColon => {
                if v.first() == Some(&b'Z') {
                    v = &v[1..];
                } else {
                    if v.len() < 6 || v[3] != b':' || !matches!(v[0], b'+' | b'-') {
                        return false;
                    }
                    let two = |x: &[u8]| {
                        if x[0].is_ascii_digit() && x[1].is_ascii_digit() {
                            Some(u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
                        } else {
                            None
                        }
                    };
                    match (two(&v[1..3]), two(&v[4..6])) {
                        (Some(h), Some(m)) if h <= 24 && m <= 60 => {}
                        _ => return false,
                    }
                    v = &v[6..];
                }
            }
        }
    }
    if !v.is_empty() {
        return false;
    }
    day >= 1 && day <= days_in(month, year)
}

/// Days in `month` of `year` (proleptic Gregorian), as Go's `daysIn`.
fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtag(s: &str) -> &'static str {
        match resolve("", s) {
            Ok((t, _)) => match t {
                STR_TAG => "str",
                INT_TAG => "int",
                FLOAT_TAG => "float",
                BOOL_TAG => "bool",
                NULL_TAG => "null",
                TIMESTAMP_TAG => "timestamp",
                MERGE_TAG => "merge",
                _ => "other",
            },
            Err(_) => "error",
        }
    }

    #[test]
    fn plain_resolution_table() {
        let cases = [
            ("", "null"),
            ("~", "null"),
            ("Null", "null"),
            ("nULL", "str"),
            ("yes", "bool"),
            ("Y", "bool"),
            ("oN", "str"),
            ("1", "int"),
            ("0x1F", "int"),
            ("0o17", "int"),
            ("017", "int"),
            ("08", "float"),
            ("1_000", "int"),
            ("+1", "int"),
            ("-0b101", "int"),
            ("0b102", "str"),
            ("18446744073709551615", "int"),
            ("18446744073709551616", "float"),
            ("1.50", "float"),
            (".5", "float"),
            ("1e400", "str"),
            (".inf", "float"),
            (".Nan", "str"),
            ("2001-12-14", "timestamp"),
            ("2001-12-14t21:59:43.10-05:00", "timestamp"),
            ("2001-12-14 21:59:43.10", "timestamp"),
            ("2001-02-29", "str"),
            ("2000-02-29", "timestamp"),
            ("2001-12-14T21:59:43Z", "timestamp"),
            ("<<", "str"),
            ("abc", "str"),
            ("-", "str"),
        ];
        for (input, want) in cases {
            assert_eq!(rtag(input), want, "{input:?}");
        }
    }

    #[test]
    fn explicit_tags() {
        assert!(resolve(INT_TAG, "abc").is_err());
        assert_eq!(
            resolve(INT_TAG, "abc")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("cannot decode !!str `abc` as a !!int")
        );
        assert_eq!(resolve(STR_TAG, "12"), Ok((STR_TAG, Resolved::Str)));
        assert_eq!(resolve(FLOAT_TAG, "1"), Ok((FLOAT_TAG, Resolved::Float)));
        assert!(resolve(INT_TAG, "1.5").is_err());
        assert_eq!(
            resolve(BOOL_TAG, "yes"),
            Ok((BOOL_TAG, Resolved::Bool(true)))
        );
        assert!(resolve(NULL_TAG, "foo").is_err());
        assert_eq!(resolve(NULL_TAG, ""), Ok((NULL_TAG, Resolved::Null)));
        assert_eq!(resolve("!custom", "x"), Ok(("!custom", Resolved::Str)));
        assert_eq!(resolve(BINARY_TAG, "x"), Ok((BINARY_TAG, Resolved::Str)));
    }
}
