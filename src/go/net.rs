//! Go's `net.SplitHostPort`, `net.JoinHostPort` (net/ipsock.go), `net.ParseIP` and
//! `IP.IsLoopback` (net/ip.go), and the parser under both `net.ParseIP` and `url.Parse`'s
//! bracketed hosts, `netip.ParseAddr` (net/netip/netip.go); all as of go1.24.11.
//!
//! They take Go strings as bytes (anything `AsRef<[u8]>`: a `&str`, a [`GoString`]) and return
//! [`GoString`]s.

use std::fmt;

use super::quote::quote;
use super::string::GoString;

/// Go's `*net.AddrError`, as `net.SplitHostPort` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    /// The reason, e.g. `missing port in address`.
    pub err: String,
    /// The address the caller passed.
    pub addr: GoString,
}

impl fmt::Display for AddrError {
    /// Go's `(*AddrError).Error`: `address <addr>: <err>`, or just `<err>` for an empty address.
    /// The address is printed raw, not quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.addr.is_empty() {
            f.write_str(&self.err)
        } else {
            write!(f, "address {}: {}", self.addr, self.err)
        }
    }
}

impl std::error::Error for AddrError {}

const MISSING_PORT: &str = "missing port in address";
const TOO_MANY_COLONS: &str = "too many colons in address";

/// Go's `net.SplitHostPort`: splits `host:port`, `[host]:port` or `[host%zone]:port`.
///
/// The port is whatever follows the last colon (empty and non-numeric ports are fine); the host
/// is not checked beyond the bracket and colon rules. Errors, as Go words them: `missing port in
/// address`, `too many colons in address`, `missing ']' in address`, `unexpected '[' in address`,
/// `unexpected ']' in address`.
pub fn split_host_port(hostport: impl AsRef<[u8]>) -> Result<(GoString, GoString), AddrError> {
    let b = hostport.as_ref();
    let addr_err = |why: &str| AddrError {
        err: why.to_owned(),
        addr: GoString::from(b),
    };
    // The port starts after the last colon.
    let Some(i) = rfind(b, b':') else {
        return Err(addr_err(MISSING_PORT));
    };
    // j, k: where to start looking for a stray '[' resp. ']'.
    let (host, j, k) = if b.first() == Some(&b'[') {
        // Expect the first ']' just before the last ':'.
        let Some(end) = find(b, b']') else {
            return Err(addr_err("missing ']' in address"));
        };
        if end + 1 == b.len() {
            // There can't be a ':' behind the ']' now.
            return Err(addr_err(MISSING_PORT));
        } else if end + 1 != i {
            // Either ']' isn't followed by a colon, or it is followed by a colon that is not
            // the last one.
            if b.get(end + 1) == Some(&b':') {
                return Err(addr_err(TOO_MANY_COLONS));
            }
            return Err(addr_err(MISSING_PORT));
        }
        (sub(b, 1, end), 1, end + 1)
    } else {
        let host = sub(b, 0, i);
        if host.contains(&b':') {
            return Err(addr_err(TOO_MANY_COLONS));
        }
        (host, 0, 0)
    };
    if b.get(j..).is_some_and(|t| t.contains(&b'[')) {
        return Err(addr_err("unexpected '[' in address"));
    }
    if b.get(k..).is_some_and(|t| t.contains(&b']')) {
        return Err(addr_err("unexpected ']' in address"));
    }
    Ok((GoString::from(host), GoString::from(sub(b, i + 1, b.len()))))
}

/// Go's `net.JoinHostPort`: `host:port`, or `[host]:port` when `host` has a colon (Go assumes a
/// literal IPv6 address then; a host that is already bracketed gets a second pair).
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Go's `net.IP` as `net.ParseIP` returns it: always the 16-byte form, IPv4 addresses as
/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ip(pub [u8; 16]);

impl Ip {
    /// Go's `IP.To4`: the 4 bytes of an IPv4-mapped address (`::ffff:0:0/96`), else `None`.
    pub fn to4(&self) -> Option<[u8; 4]> {
        let b = &self.0;
        if b[..10].iter().all(|&x| x == 0) && b[10] == 0xFF && b[11] == 0xFF {
            Some([b[12], b[13], b[14], b[15]])
        } else {
            None
        }
    }

    /// Go's `IP.IsLoopback`: `127.0.0.0/8` (also as `::ffff:127.x.y.z`) or `::1`.
    pub fn is_loopback(&self) -> bool {
        match self.to4() {
            Some(v4) => v4[0] == 127,
            None => self.0 == std::net::Ipv6Addr::LOCALHOST.octets(),
        }
    }
}

impl From<Ip> for std::net::IpAddr {
    /// The Rust address Go's 16-byte form stands for: IPv4-mapped addresses become IPv4 (as Go's
    /// `IP.String` prints them).
    fn from(ip: Ip) -> Self {
        match ip.to4() {
            Some(v4) => std::net::IpAddr::from(v4),
            None => std::net::IpAddr::from(ip.0),
        }
    }
}

/// Go's `net.ParseIP`: an IPv4 dotted quad (no leading zeros, since Go 1.17) or an IPv6 address
/// (`::` shorthand and a trailing embedded IPv4 allowed), else `None`. A zone (`fe80::1%eth0`)
/// makes it `None`: `ParseIP` rejects what `netip.ParseAddr` accepts with a zone.
pub fn parse_ip(s: impl AsRef<[u8]>) -> Option<Ip> {
    match parse_addr(s.as_ref()) {
        Ok(addr) if addr.zone().is_empty() => Some(Ip(addr.as16())),
        _ => None,
    }
}

/// Go's `net.ParseIP(s).IsLoopback()`: false when `s` is not an IP address (a nil `IP` is not a
/// loopback), so `localhost` and `[::1]` are false.
pub fn is_loopback(s: impl AsRef<[u8]>) -> bool {
    parse_ip(s).is_some_and(|ip| ip.is_loopback())
}

/// Go's `netip.Addr` (without the zero value): an IPv4 address, or an IPv6 address with a
/// possibly empty zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// An IPv4 address (`Is4`).
    V4([u8; 4]),
    /// An IPv6 address (`Is6`), IPv4-mapped ones included, with its zone (raw bytes, may be
    /// empty).
    V6([u8; 16], Vec<u8>),
}

impl Addr {
    /// Go's `Addr.Is4`: parsed from a dotted quad (an IPv4-mapped IPv6 address is not).
    pub fn is4(&self) -> bool {
        matches!(self, Addr::V4(_))
    }

    /// Go's `Addr.Is6`.
    pub fn is6(&self) -> bool {
        matches!(self, Addr::V6(..))
    }

    /// Go's `Addr.Is4In6`: an IPv6 address in `::ffff:0:0/96`.
    pub fn is4in6(&self) -> bool {
        matches!(self, Addr::V6(b, _) if Ip(*b).to4().is_some())
    }

    /// Go's `Addr.Zone`: the zone bytes, empty for IPv4 and unzoned IPv6.
    pub fn zone(&self) -> &[u8] {
        match self {
            Addr::V4(_) => &[],
            Addr::V6(_, zone) => zone,
        }
    }

    /// Go's `Addr.As16`: IPv4 as its IPv4-mapped IPv6 form.
    pub fn as16(&self) -> [u8; 16] {
        match self {
            Addr::V4(v4) => {
                let mut b = [0u8; 16];
                b[10] = 0xFF;
                b[11] = 0xFF;
                b[12..].copy_from_slice(v4);
                b
            }
            Addr::V6(b, _) => *b,
        }
    }
}

/// Go's `netip.parseAddrError`: what `netip.ParseAddr` rejected and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseAddrError {
    /// The whole input (raw bytes).
    pub input: Vec<u8>,
    /// Go's explanation, e.g. `unexpected character`.
    pub msg: &'static str,
    /// The unparsed rest where the error was found, empty when Go gives none.
    pub at: Vec<u8>,
}

impl fmt::Display for ParseAddrError {
    /// Go's `parseAddrError.Error`: `ParseAddr("<in>"): <msg>` plus ` (at "<at>")` when `at` is
    /// non-empty, both strings `%q`-quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParseAddr({}): {}", quote(&self.input), self.msg)?;
        if !self.at.is_empty() {
            write!(f, " (at {})", quote(&self.at))?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseAddrError {}

/// Go's `netip.ParseAddr` on raw bytes: IPv4 (`192.0.2.1`), IPv6 (`2001:db8::1`), or IPv6 with a
/// zone (`fe80::1%eth0`; anything non-empty after the first `%` is the zone).
///
/// The first `.`, `:` or `%` decides the family, as in Go, so `1.2.3.4:80` fails as IPv4 and
/// `%eth0` is "missing IPv6 address".
pub fn parse_addr(s: &[u8]) -> Result<Addr, ParseAddrError> {
    for &c in s {
        match c {
            b'.' => return parse_ipv4(s),
            b':' => return parse_ipv6(s),
            b'%' => {
                // Go assumes an IPv6 address with a zone whose address is missing.
                return Err(addr_error(s, "missing IPv6 address", &[]));
            }
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", &[]))
}

fn addr_error(input: &[u8], msg: &'static str, at: &[u8]) -> ParseAddrError {
    ParseAddrError {
        input: input.to_vec(),
        msg,
        at: at.to_vec(),
    }
}

/// Go's `parseIPv4`.
fn parse_ipv4(s: &[u8]) -> Result<Addr, ParseAddrError> {
    let mut fields = [0u8; 4];
    parse_ipv4_fields(s, 0, s.len(), &mut fields)?;
    Ok(Addr::V4(fields))
}

/// Go's `parseIPv4Fields`: parses `input[off..end]` as a dotted quad into `fields`; errors name
/// the whole `input` (for an IPv4 embedded in IPv6, that is the IPv6 text).
fn parse_ipv4_fields(
    input: &[u8],
    off: usize,
    end: usize,
    fields: &mut [u8; 4],
) -> Result<(), ParseAddrError> {
    let s = input.get(off..end).unwrap_or_default();
    let mut val: u32 = 0;
    let mut pos = 0usize;
    let mut dig_len = 0usize; // number of digits in the current octet
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_digit() {
            if dig_len == 1 && val == 0 {
                // Since Go 1.17: a leading zero could be read as octal elsewhere.
                return Err(addr_error(
                    input,
                    "IPv4 field has octet with leading zero",
                    &[],
                ));
            }
            val = val * 10 + u32::from(c - b'0');
            dig_len += 1;
            if val > 255 {
                return Err(addr_error(input, "IPv4 field has value >255", &[]));
            }
        } else if c == b'.' {
            // .1.2.3, 1.2.3. and 1..2.3
            if i == 0 || i == s.len() - 1 || s.get(i - 1) == Some(&b'.') {
                return Err(addr_error(
                    input,
                    "IPv4 field must have at least one digit",
                    tail(s, i),
                ));
            }
            // 1.2.3.4.5
            if pos == 3 {
                return Err(addr_error(input, "IPv4 address too long", &[]));
            }
            fields[pos] = val as u8; // val <= 255, checked above
            pos += 1;
            val = 0;
            dig_len = 0;
        } else {
            return Err(addr_error(input, "unexpected character", tail(s, i)));
        }
    }
    if pos < 3 {
        return Err(addr_error(input, "IPv4 address too short", &[]));
    }
    fields[3] = val as u8;
    Ok(())
}

/// Go's `parseIPv6`.
fn parse_ipv6(input: &[u8]) -> Result<Addr, ParseAddrError> {
    let mut s = input;
    // Split off the zone right from the start: everything after the first '%'.
    let mut zone: &[u8] = &[];
    if let Some(i) = find(s, b'%') {
        zone = tail(s, i + 1);
        s = s.get(..i).unwrap_or_default();
        if zone.is_empty() {
            // Not allowed to have an empty zone if explicitly specified.
            return Err(addr_error(input, "zone must be a non-empty string", &[]));
        }
    }
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None; // position of the ellipsis in ip

    // Might have a leading ellipsis, and might be only that.
    if s.starts_with(b"::") {
        ellipsis = Some(0);
        s = tail(s, 2);
        if s.is_empty() {
            return Ok(Addr::V6(ip, zone.to_vec()));
        }
    }

    // Loop, parsing hex numbers followed by a colon.
    let mut i = 0usize;
    while i < 16 {
        let mut off = 0usize;
        let mut acc: u32 = 0;
        while let Some(&c) = s.get(off) {
            let Some(d) = char::from(c).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + d;
            if off > 3 {
                // More than 4 digits in the group.
                return Err(addr_error(
                    input,
                    "each group must have 4 or less digits",
                    s,
                ));
            }
            if acc > 0xFFFF {
                return Err(addr_error(input, "IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_error(
                input,
                "each colon-separated field must have at least one digit",
                s,
            ));
        }

        // If followed by a dot, might be a trailing IPv4.
        if s.get(off) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return Err(addr_error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(addr_error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            // The IPv4 part is the rest of s; Go parses it in place within the input so that
            // its errors name the whole input.
            let mut end = input.len();
            if !zone.is_empty() {
                end -= zone.len() + 1;
            }
            let mut fields = [0u8; 4];
            parse_ipv4_fields(input, end - s.len(), end, &mut fields)?;
            ip[i..i + 4].copy_from_slice(&fields);
            s = &[];
            i += 4;
            break;
        }

        // Save this 16-bit chunk.
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;

        // Stop at the end of the string.
        s = tail(s, off);
        if s.is_empty() {
            break;
        }
        // Otherwise it must be followed by a colon and more.
        if s.first() != Some(&b':') {
            return Err(addr_error(input, "unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(addr_error(
                input,
                "colon must be followed by more characters",
                s,
            ));
        }
        s = tail(s, 1);

        // Look for an ellipsis.
        if s.first() == Some(&b':') {
            if ellipsis.is_some() {
                return Err(addr_error(input, "multiple :: in address", s));
            }
            ellipsis = Some(i);
            s = tail(s, 1);
            if s.is_empty() {
                // Can be at the end.
                break;
            }
        }
    }

    // Must have used the entire string.
    if !s.is_empty() {
        return Err(addr_error(input, "trailing garbage after address", s));
    }

    // If it didn't parse enough, expand the ellipsis.
    if i < 16 {
        let Some(e) = ellipsis else {
            return Err(addr_error(input, "address string too short", &[]));
        };
        let n = 16 - i;
        ip.copy_within(e..i, e + n);
        ip[e..e + n].fill(0);
    } else if ellipsis.is_some() {
        // The ellipsis must represent at least one 0 group.
        return Err(addr_error(
            input,
            "the :: must expand to at least one field of zeros",
            &[],
        ));
    }
    Ok(Addr::V6(ip, zone.to_vec()))
}

/// `s[from..]`, or empty past the end.
fn tail(s: &[u8], from: usize) -> &[u8] {
    s.get(from..).unwrap_or_default()
}

/// `s[from..to]` of a `&str` cut at ASCII delimiters (always char boundaries).
fn sub(s: &[u8], from: usize, to: usize) -> &[u8] {
    s.get(from..to).unwrap_or_default()
}

fn find(s: &[u8], c: u8) -> Option<usize> {
    s.iter().position(|&x| x == c)
}

fn rfind(s: &[u8], c: u8) -> Option<usize> {
    s.iter().rposition(|&x| x == c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(h: &str, p: &str) -> Result<(GoString, GoString), AddrError> {
        Ok((h.into(), p.into()))
    }

    /// go1.24.11 net/ip_test.go `TestSplitHostPort` (successes).
    const SPLIT_OK: &[(&str, &str, &str)] = &[
        // Host name
        ("localhost:http", "localhost", "http"),
        ("localhost:80", "localhost", "80"),
        // Go-specific host name with zone identifier
        ("localhost%lo0:http", "localhost%lo0", "http"),
        ("localhost%lo0:80", "localhost%lo0", "80"),
        ("[localhost%lo0]:http", "localhost%lo0", "http"), // Go 1 behavior
        ("[localhost%lo0]:80", "localhost%lo0", "80"),     // Go 1 behavior
        // IP literal
        ("127.0.0.1:http", "127.0.0.1", "http"),
        ("127.0.0.1:80", "127.0.0.1", "80"),
        ("[::1]:http", "::1", "http"),
        ("[::1]:80", "::1", "80"),
        // IP literal with zone identifier
        ("[::1%lo0]:http", "::1%lo0", "http"),
        ("[::1%lo0]:80", "::1%lo0", "80"),
        // Go-specific wildcard for host name
        (":http", "", "http"), // Go 1 behavior
        (":80", "", "80"),     // Go 1 behavior
        // Go-specific wildcard for service name or transport port number
        ("golang.org:", "golang.org", ""), // Go 1 behavior
        ("127.0.0.1:", "127.0.0.1", ""),   // Go 1 behavior
        ("[::1]:", "::1", ""),             // Go 1 behavior
        // Opaque service name
        ("golang.org:https%foo", "golang.org", "https%foo"), // Go 1 behavior
    ];

    #[test]
    fn split_host_port_matches_go() {
        for &(hostport, host, port) in SPLIT_OK {
            assert_eq!(split_host_port(hostport), ok(host, port), "{hostport:?}");
        }
    }

    /// go1.24.11 net/ip_test.go `TestSplitHostPort` (failures).
    const SPLIT_FAILURES: &[(&str, &str)] = &[
        ("golang.org", "missing port in address"),
        ("127.0.0.1", "missing port in address"),
        ("[::1]", "missing port in address"),
        ("[fe80::1%lo0]", "missing port in address"),
        ("[localhost%lo0]", "missing port in address"),
        ("localhost%lo0", "missing port in address"),
        ("::1", "too many colons in address"),
        ("fe80::1%lo0", "too many colons in address"),
        ("fe80::1%lo0:80", "too many colons in address"),
        // Test cases that didn't fail in Go 1
        ("[foo:bar]", "missing port in address"),
        ("[foo:bar]baz", "missing port in address"),
        ("[foo]bar:baz", "missing port in address"),
        ("[foo]:[bar]:baz", "too many colons in address"),
        ("[foo]:[bar]baz", "unexpected '[' in address"),
        ("foo[bar]:baz", "unexpected '[' in address"),
        ("foo]bar:baz", "unexpected ']' in address"),
    ];

    #[test]
    fn split_failures() {
        for &(hostport, why) in SPLIT_FAILURES {
            let err = split_host_port(hostport).expect_err(hostport);
            assert_eq!(err.err, why, "{hostport}");
            assert_eq!(err.to_string(), format!("address {hostport}: {why}"));
        }
        let err = split_host_port("").expect_err("empty");
        assert_eq!(err.to_string(), "missing port in address");
        assert_eq!(
            split_host_port("[::1").expect_err("open bracket").err,
            "missing ']' in address"
        );
    }

    /// go1.24.11 net/ip_test.go `TestJoinHostPort`.
    #[test]
    fn join_host_port_matches_go() {
        let cases = [
            // Host name
            ("localhost", "http", "localhost:http"),
            ("localhost", "80", "localhost:80"),
            // Go-specific host name with zone identifier
            ("localhost%lo0", "http", "localhost%lo0:http"),
            ("localhost%lo0", "80", "localhost%lo0:80"),
            // IP literal
            ("127.0.0.1", "http", "127.0.0.1:http"),
            ("127.0.0.1", "80", "127.0.0.1:80"),
            ("::1", "http", "[::1]:http"),
            ("::1", "80", "[::1]:80"),
            // IP literal with zone identifier
            ("::1%lo0", "http", "[::1%lo0]:http"),
            ("::1%lo0", "80", "[::1%lo0]:80"),
            // Go-specific wildcard for host name
            ("", "http", ":http"), // Go 1 behavior
            ("", "80", ":80"),     // Go 1 behavior
            // Go-specific wildcard for service name or transport port number
            ("golang.org", "", "golang.org:"), // Go 1 behavior
            ("127.0.0.1", "", "127.0.0.1:"),   // Go 1 behavior
            ("::1", "", "[::1]:"),             // Go 1 behavior
            // Opaque service name
            ("golang.org", "https%foo", "golang.org:https%foo"), // Go 1 behavior
        ];
        for (host, port, want) in cases {
            assert_eq!(join_host_port(host, port), want);
        }
    }

    #[test]
    fn split_project_cases() {
        assert_eq!(split_host_port("localhost:5000"), ok("localhost", "5000"));
        assert_eq!(split_host_port("[::1]:5000"), ok("::1", "5000"));
        assert_eq!(split_host_port(":"), ok("", ""));
        assert_eq!(
            split_host_port("host:port:x").expect_err("colons").err,
            TOO_MANY_COLONS
        );
        assert_eq!(split_host_port("h\u{10ffff}:1"), ok("h\u{10ffff}", "1"));
        assert_eq!(
            split_host_port(b"h\xff:1"),
            Ok((GoString::from(&b"h\xff"[..]), GoString::from("1")))
        );
        assert_eq!(join_host_port("[::1]", "80"), "[[::1]]:80");
    }

    fn ip(s: &str) -> Option<std::net::IpAddr> {
        parse_ip(s).map(std::net::IpAddr::from)
    }

    /// go1.24.11 net/ip_test.go `parseIPTests`.
    #[test]
    fn parse_ip_table() {
        let v4 = |a, b, c, d| Some(std::net::IpAddr::from([a, b, c, d]));
        assert_eq!(ip("127.0.1.2"), v4(127, 0, 1, 2));
        assert_eq!(ip("127.0.0.1"), v4(127, 0, 0, 1));
        assert_eq!(ip("::ffff:127.1.2.3"), v4(127, 1, 2, 3));
        assert_eq!(ip("::ffff:7f01:0203"), v4(127, 1, 2, 3));
        assert_eq!(ip("0:0:0:0:0000:ffff:127.1.2.3"), v4(127, 1, 2, 3));
        // 6 zeroes in one group, and the 5-zero edge case.
        assert_eq!(ip("0:0:0:0:000000:ffff:127.1.2.3"), None);
        assert_eq!(ip("0:0:0:0:00000:ffff:127.1.2.3"), None);
        assert_eq!(ip("0:0:0:0::ffff:127.1.2.3"), v4(127, 1, 2, 3));
        let v6 = |s: &str| Some(std::net::IpAddr::V6(s.parse().expect("v6")));
        assert_eq!(ip("2001:4860:0:2001::68"), v6("2001:4860:0:2001::68"));
        assert_eq!(
            ip("2001:4860:0000:2001:0000:0000:0000:0068"),
            v6("2001:4860:0:2001::68")
        );
        for bad in [
            "-0.0.0.0",
            "0.-1.0.0",
            "0.0.-2.0",
            "0.0.0.-3",
            "127.0.0.256",
            "abc",
            "123:",
            "fe80::1%lo0",
            "fe80::1%911",
            "",
            "a1:a2:a3:a4::b1:b2:b3:b4", // Issue 6628
            "127.001.002.003",
            "::ffff:127.001.002.003",
            "123.000.000.000",
            "1.2..4",
            "0123.0.0.1",
        ] {
            assert_eq!(ip(bad), None, "{bad:?}");
        }
    }

    /// go1.24.11 net/ip_test.go `ipAddrScopeTests` (the IsLoopback rows: 127.0.0.1,
    /// 127.255.255.254, ::1 yes; 128.1.2.3, ff02::2, nil no) and the project's cases.
    #[test]
    fn loopback() {
        for yes in [
            "127.0.0.1",
            "127.255.255.254",
            "127.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
            "0:0:0:0:0:0:0:1",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "128.1.2.3",
            "ff02::2",
            "::",
            "::2",
            "localhost",
            "[::1]",
            "::1%lo",
            "127.0.0.1:80",
            "",
            "0.0.0.0",
            "::127.0.0.1",
            "127.000.000.001",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    /// Error texts of go1.24.11's `netip.ParseAddr` (from net/netip tests and the source).
    #[test]
    fn parse_addr_errors() {
        let e = |s: &str| parse_addr(s.as_bytes()).expect_err(s).to_string();
        assert_eq!(e(""), r#"ParseAddr(""): unable to parse IP"#);
        assert_eq!(e("%eth0"), r#"ParseAddr("%eth0"): missing IPv6 address"#);
        assert_eq!(
            e("v1.x"),
            r#"ParseAddr("v1.x"): unexpected character (at "v1.x")"#
        );
        assert_eq!(e("1.2.3"), r#"ParseAddr("1.2.3"): IPv4 address too short"#);
        assert_eq!(
            e("1.2.3.4.5"),
            r#"ParseAddr("1.2.3.4.5"): IPv4 address too long"#
        );
        assert_eq!(
            e("1..2.3"),
            r#"ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")"#
        );
        assert_eq!(
            e("01.2.3.4"),
            r#"ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#
        );
        assert_eq!(
            e("1.2.3.256"),
            r#"ParseAddr("1.2.3.256"): IPv4 field has value >255"#
        );
        assert_eq!(
            e("fe80::1%"),
            r#"ParseAddr("fe80::1%"): zone must be a non-empty string"#
        );
        assert_eq!(
            e("12345::"),
            r#"ParseAddr("12345::"): each group must have 4 or less digits (at "12345::")"#
        );
        assert_eq!(
            e(":1"),
            r#"ParseAddr(":1"): each colon-separated field must have at least one digit (at ":1")"#
        );
        assert_eq!(e("1:2"), r#"ParseAddr("1:2"): address string too short"#);
        assert_eq!(
            e("1::2::3"),
            r#"ParseAddr("1::2::3"): multiple :: in address (at ":3")"#
        );
        assert_eq!(
            e("1:"),
            r#"ParseAddr("1:"): colon must be followed by more characters (at ":")"#
        );
        assert_eq!(
            e("1:2:3:4:5:6:7:8:9"),
            r#"ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")"#
        );
        assert_eq!(
            e("1:2:3:4::5:6:7:8"),
            r#"ParseAddr("1:2:3:4::5:6:7:8"): the :: must expand to at least one field of zeros"#
        );
        assert_eq!(
            e("::ffff:1.2.3"),
            r#"ParseAddr("::ffff:1.2.3"): IPv4 address too short"#
        );
        assert_eq!(
            e("1:2:3:4:5:6:1.2.3.4:8"),
            r#"ParseAddr("1:2:3:4:5:6:1.2.3.4:8"): unexpected character (at ":8")"#
        );
        assert_eq!(
            e("1:1.2.3.4"),
            r#"ParseAddr("1:1.2.3.4"): embedded IPv4 address must replace the final 2 fields of the address (at "1.2.3.4")"#
        );
        assert_eq!(
            e("::1:2:3:4:5:6:7:1.2.3.4"),
            r#"ParseAddr("::1:2:3:4:5:6:7:1.2.3.4"): too many hex fields to fit an embedded IPv4 at the end of the address (at "1.2.3.4")"#
        );
        assert_eq!(
            e("fe80::g"),
            r#"ParseAddr("fe80::g"): each colon-separated field must have at least one digit (at "g")"#
        );
        assert_eq!(
            e("1:2:3:4:5:6:7:8x"),
            r#"ParseAddr("1:2:3:4:5:6:7:8x"): unexpected character, want colon (at "x")"#
        );
        assert_eq!(
            e("\u{ff}.1.1.1"),
            r#"ParseAddr("ÿ.1.1.1"): unexpected character (at "ÿ.1.1.1")"#
        );
    }

    #[test]
    fn parse_addr_kinds() {
        let a = parse_addr(b"fe80::1%eth0").expect("zoned");
        assert!(a.is6() && !a.is4() && a.zone() == b"eth0");
        assert!(parse_addr(b"::ffff:1.2.3.4").expect("mapped").is4in6());
        assert!(parse_addr(b"1.2.3.4").expect("v4").is4());
        assert_eq!(parse_addr(b"::").expect("any").as16(), [0; 16]);
        assert_eq!(parse_addr(b"1::").expect("1::").as16()[1], 1);
        assert_eq!(
            parse_addr(b"::1.2.3.4").expect("compat").as16()[12..],
            [1, 2, 3, 4]
        );
    }

    proptest! {
        #[test]
        fn parse_ip_agrees_with_std_on_plain_forms(a in any::<[u8; 4]>(), b in any::<[u16; 8]>()) {
            let v4 = std::net::Ipv4Addr::from(a);
            prop_assert_eq!(ip(&v4.to_string()), Some(std::net::IpAddr::V4(v4)));
            let v6 = std::net::Ipv6Addr::from(b);
            let want = match v6.to_ipv4_mapped() {
                Some(m) => std::net::IpAddr::V4(m),
                None => std::net::IpAddr::V6(v6),
            };
            prop_assert_eq!(ip(&v6.to_string()), Some(want));
        }

        #[test]
        fn never_panics(s in "[0-9a-fA-F:.%\\[\\]x]{0,24}") {
            let _ = parse_addr(s.as_bytes());
            let _ = split_host_port(&s);
            let _ = is_loopback(&s);
        }
    }
}
