//! Go's `net/url` (net/url/url.go, go1.24.11): `Parse`, `(*URL).String`, `Hostname`, `Port`, and
//! the escaping rules under them.
//!
//! go1.24.11 is not go1.24.0: 1.24.8 (CVE-2025-47912) made `parseHost` require a valid IPv6
//! address inside brackets, checked with `netip.ParseAddr`, and 1.24.10 let IPv4-mapped IPv6
//! addresses through again (go.dev/issue/75815). Both are in this port. Go 1.26's stricter
//! colon rules for hosts are not.
//!
//! [`Url`]'s fields are Go strings in the project's form (bytes that are not valid UTF-8 travel as
//! escape code points, see [`crate::go::bytes`]); parsing and printing convert at the edges, so a
//! `%ff` in a URL gives the same byte in `path` that Go would store.

use std::borrow::Cow;
use std::fmt;

use super::bytes::{from_go_bytes, from_go_cow, from_go_vec, to_go_bytes};
use super::net::parse_addr;
use super::quote::quote;

const UPPERHEX: &[u8; 16] = b"0123456789ABCDEF";

/// Go's `url.Error` as `url.Parse` returns it: the operation, the URL and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    /// Go's `Op`: always `parse` here.
    pub op: &'static str,
    /// Go's `URL`: the text that failed (without the `#fragment` unless the fragment failed).
    pub url: String,
    /// The text of Go's wrapped error, e.g. `invalid URL escape "%zz"`.
    pub err: String,
}

impl fmt::Display for UrlError {
    /// Go's `(*url.Error).Error`: `fmt.Sprintf("%s %q: %s", op, url, err)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.op, quote(&to_go_bytes(&self.url)), self.err)
    }
}

impl std::error::Error for UrlError {}

/// Go's `url.Userinfo`: a username and an optional password (Go's `passwordSet` is `Some`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Userinfo {
    /// The username, unescaped.
    pub username: String,
    /// The password, unescaped; `Some("")` when the userinfo had a `:` and nothing after it.
    pub password: Option<String>,
}

impl Userinfo {
    /// Go's `url.User`: a username without a password.
    pub fn user(username: &str) -> Self {
        Userinfo {
            username: username.to_owned(),
            password: None,
        }
    }

    /// Go's `url.UserPassword`.
    pub fn user_password(username: &str, password: &str) -> Self {
        Userinfo {
            username: username.to_owned(),
            password: Some(password.to_owned()),
        }
    }

    /// Go's `(*Userinfo).String`: `username[:password]`, each escaped for userinfo (`@ / ? :`
    /// and everything outside unreserved and `$&+,;=` become `%XX`).
    pub fn string(&self) -> String {
        let mut out = Vec::new();
        self.append_to(&mut out);
        from_go_vec(out)
    }

    fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&escape(&to_go_bytes(&self.username), Encoding::UserPassword));
        if let Some(password) = &self.password {
            out.push(b':');
            out.extend_from_slice(&escape(&to_go_bytes(password), Encoding::UserPassword));
        }
    }
}

/// Go's `url.URL`: `[scheme:][//[userinfo@]host][/]path[?query][#fragment]`, or
/// `scheme:opaque[?query][#fragment]`.
///
/// `path` and `fragment` are stored unescaped; `raw_path` and `raw_fragment` keep the original
/// spelling when it differs from the default escaping, and [`Url::string`] prints them as long
/// as they still decode to `path`/`fragment` (so setting `path` to a different value makes
/// `raw_path` stale and ignored, and setting it to the same value keeps the spelling).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Url {
    /// Lower-cased by [`parse`].
    pub scheme: String,
    /// Encoded opaque data (`mailto:x@y` has opaque `x@y`).
    pub opaque: String,
    /// Username and password, unescaped; `None` is Go's nil.
    pub user: Option<Userinfo>,
    /// `host` or `host:port`, unescaped (so it may hold non-ASCII text), brackets kept.
    pub host: String,
    /// The path, unescaped.
    pub path: String,
    /// The path as written, when that differs from escaping `path` (see [`Url::escaped_path`]).
    pub raw_path: String,
    /// Go's `OmitHost`: the URL had a scheme and a `/` path but no `//` (`file:/x`).
    pub omit_host: bool,
    /// Go's `ForceQuery`: print `?` even when `raw_query` is empty (the URL ended in one `?`).
    pub force_query: bool,
    /// The query, still encoded, without `?`.
    pub raw_query: String,
    /// The fragment, unescaped, without `#`.
    pub fragment: String,
    /// The fragment as written, when that differs from escaping `fragment`.
    pub raw_fragment: String,
}

/// Go's `url.Parse`: parses `raw` (a project string, see [`crate::go::bytes`]) as a URL or a
/// relative reference.
///
/// Errors carry Go's texts: `net/url: invalid control character in URL` (any byte below 0x20 or
/// 0x7f before the `#`), `missing protocol scheme`, `first path segment in URL cannot contain
/// colon`, `invalid URL escape "%zz"`, `invalid character " " in host name`, `invalid port
/// ":x" after host`, `missing ']' in host`, `invalid host: ParseAddr(...)...`, `invalid
/// IP-literal`, `net/url: invalid userinfo`.
pub fn parse(raw: &str) -> Result<Url, UrlError> {
    parse_bytes(&to_go_bytes(raw))
}

/// Go's `url.Parse` on the raw bytes of a Go string.
pub fn parse_bytes(raw: &[u8]) -> Result<Url, UrlError> {
    // Cut off #frag at the first '#': '#' cannot appear escaped-or-not anywhere before it.
    let (u, frag) = match find(raw, b'#') {
        Some(i) => (head(raw, i), tail(raw, i + 1)),
        None => (raw, &[][..]),
    };
    let mut url = parse_reference(u).map_err(|err| UrlError {
        op: "parse",
        url: from_go_bytes(u),
        err,
    })?;
    if frag.is_empty() {
        return Ok(url);
    }
    // A fragment error names the whole text, fragment included, as Go's does.
    url.set_fragment(frag).map_err(|err| UrlError {
        op: "parse",
        url: from_go_bytes(raw),
        err,
    })?;
    Ok(url)
}

/// Go's `parse(rawURL, viaRequest=false)`: everything but the fragment.
fn parse_reference(raw: &[u8]) -> Result<Url, String> {
    // Only here, so a control byte in the fragment is accepted (Go checks `u`, not `rawURL`).
    if raw.iter().any(|&b| b < b' ' || b == 0x7F) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = Url::default();
    if raw == b"*" {
        url.path = "*".to_owned();
        return Ok(url);
    }

    // Split off a possible leading "http:", "mailto:", etc.
    let (scheme, mut rest) = get_scheme(raw)?;
    // A scheme is ASCII letters, digits and `+-.`, so ASCII lower-casing is Go's ToLower.
    url.scheme = from_go_bytes(&scheme.to_ascii_lowercase());

    if rest.last() == Some(&b'?') && count(rest, b'?') == 1 {
        url.force_query = true;
        rest = head(rest, rest.len() - 1);
    } else if let Some(i) = find(rest, b'?') {
        url.raw_query = from_go_bytes(tail(rest, i + 1));
        rest = head(rest, i);
    }

    if rest.first() != Some(&b'/') {
        if !url.scheme.is_empty() {
            // Rootless paths per RFC 3986 are opaque.
            url.opaque = from_go_bytes(rest);
            return Ok(url);
        }
        // Avoid confusion with malformed schemes, like cache_object:foo/bar (go.dev/issue/16822):
        // RFC 3986 §3.3 forbids a colon in the first segment of a relative-path reference.
        let segment = head(rest, find(rest, b'/').unwrap_or(rest.len()));
        if segment.contains(&b':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }

    if (!url.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
        let authority = tail(rest, 2);
        let (authority, path) = match find(authority, b'/') {
            Some(i) => (head(authority, i), tail(authority, i)),
            None => (authority, &[][..]),
        };
        let (user, host) = parse_authority(authority)?;
        url.user = user;
        url.host = from_go_cow(host);
        rest = path;
    } else if !url.scheme.is_empty() && rest.first() == Some(&b'/') {
        // An empty authority: remember to print none (go.dev/issue/46059).
        url.omit_host = true;
    }

    url.set_path(rest)?;
    Ok(url)
}

/// Go's `getScheme`: `[a-zA-Z][a-zA-Z0-9+.-]*` before a `:`, else no scheme.
fn get_scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), String> {
    for (i, &c) in raw.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok((&[], raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_owned());
                }
                return Ok((head(raw, i), tail(raw, i + 1)));
            }
            // Any other character: there is no valid scheme.
            _ => return Ok((&[], raw)),
        }
    }
    Ok((&[], raw))
}

/// Go's `parseAuthority`: `[userinfo@]host`, split at the last `@` (so `@` may appear in the
/// password unescaped, go.dev/issue/3439).
fn parse_authority(authority: &[u8]) -> Result<(Option<Userinfo>, Cow<'_, [u8]>), String> {
    let at = rfind(authority, b'@');
    // The host is checked first: its error wins over a bad userinfo.
    let host = parse_host(match at {
        Some(i) => tail(authority, i + 1),
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok((None, host));
    };
    let userinfo = head(authority, i);
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".to_owned());
    }
    let user = match find(userinfo, b':') {
        None => Userinfo {
            username: from_go_cow(unescape(userinfo, Encoding::UserPassword)?),
            password: None,
        },
        Some(c) => Userinfo {
            username: from_go_cow(unescape(head(userinfo, c), Encoding::UserPassword)?),
            password: Some(from_go_cow(unescape(
                tail(userinfo, c + 1),
                Encoding::UserPassword,
            )?)),
        },
    };
    Ok((Some(user), host))
}

/// Go's `parseHost` (go1.24.11): `host[:port]` or `[ipv6[%25zone]][:port]`.
fn parse_host(host: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if let Some(open) = rfind(host, b'[') {
        // An IP-literal (RFC 3986, RFC 6874): "[fe80::1]", "[fe80::1%25en0]", "[fe80::1]:80".
        // Whatever precedes the last '[' is dropped unchecked, as Go does ("x[::1]" -> "[::1]").
        let Some(close) = rfind(host, b']') else {
            return Err("missing ']' in host".to_owned());
        };
        let colon_port = tail(host, close + 1);
        if !valid_optional_port(colon_port) {
            // This also catches a ']' before the last '[': the port would hold that '['.
            return Err(invalid_port(colon_port));
        }
        let unescaped_colon_port = unescape(colon_port, Encoding::Host)?;
        let hostname = host.get(open + 1..close).unwrap_or_default();
        // RFC 6874: %25 introduces the zone, which may %-encode what the address may not.
        let unescaped_hostname: Cow<'_, [u8]> = match find_sub(hostname, b"%25") {
            Some(z) => {
                let mut h = unescape(head(hostname, z), Encoding::Host)?.into_owned();
                h.extend_from_slice(&unescape(tail(hostname, z), Encoding::Zone)?);
                Cow::Owned(h)
            }
            None => unescape(hostname, Encoding::Host)?,
        };
        // Since 1.24.8: only a valid IPv6 address may be bracketed. Since 1.24.10 that includes
        // IPv4-mapped ones; a plain IPv4 address is rejected.
        let addr = parse_addr(&unescaped_hostname).map_err(|e| format!("invalid host: {e}"))?;
        if addr.is4() {
            return Err("invalid IP-literal".to_owned());
        }
        let mut out = Vec::with_capacity(unescaped_hostname.len() + 2 + colon_port.len());
        out.push(b'[');
        out.extend_from_slice(&unescaped_hostname);
        out.push(b']');
        out.extend_from_slice(&unescaped_colon_port);
        return Ok(Cow::Owned(out));
    } else if let Some(i) = rfind(host, b':') {
        // Only the text after the last colon must be a port: "a:b:80" passes, which is why a
        // bare IPv6 address such as "::1" parses as host "::1" (port "1" is never split off
        // here; Port() and Hostname() split it later).
        let colon_port = tail(host, i);
        if !valid_optional_port(colon_port) {
            return Err(invalid_port(colon_port));
        }
    }
    unescape(host, Encoding::Host)
}

fn invalid_port(colon_port: &[u8]) -> String {
    format!("invalid port {} after host", quote(colon_port))
}

/// Go's `validOptionalPort`: empty, or `:` followed by ASCII digits only (any number of them:
/// `:99999` and `:` are fine).
fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((&b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// Go's `validUserinfo`: unreserved, sub-delims, `:`, `%` and `@` (go.dev/issue/22655), ASCII
/// only: Go ranges over runes, and no non-ASCII rune (nor the U+FFFD of an invalid byte) is
/// allowed.
fn valid_userinfo(s: &[u8]) -> bool {
    s.iter().all(|&c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

impl Url {
    /// Go's `(*URL).setPath`: `path` is `p` unescaped; `raw_path` is `p` only when escaping
    /// `path` would not give `p` back.
    fn set_path(&mut self, p: &[u8]) -> Result<(), String> {
        let path = unescape(p, Encoding::Path)?;
        self.raw_path = if escape(&path, Encoding::Path).as_ref() == p {
            String::new()
        } else {
            from_go_bytes(p)
        };
        self.path = from_go_cow(path);
        Ok(())
    }

    /// Go's `(*URL).setFragment`: like `set_path`, for `fragment`/`raw_fragment`.
    fn set_fragment(&mut self, f: &[u8]) -> Result<(), String> {
        let frag = unescape(f, Encoding::Fragment)?;
        self.raw_fragment = if escape(&frag, Encoding::Fragment).as_ref() == f {
            String::new()
        } else {
            from_go_bytes(f)
        };
        self.fragment = from_go_cow(frag);
        Ok(())
    }

    /// Go's `(*URL).EscapedPath`: `raw_path` when it is a valid escaping of `path`, else `path`
    /// escaped (`*` stays `*`, go.dev/issue/11202).
    pub fn escaped_path(&self) -> String {
        from_go_cow(self.escaped_path_bytes())
    }

    fn escaped_path_bytes(&self) -> Cow<'_, [u8]> {
        let path = to_go_bytes(&self.path);
        if !self.raw_path.is_empty() {
            let raw = to_go_bytes(&self.raw_path);
            if valid_encoded(&raw, Encoding::Path)
                && unescape(&raw, Encoding::Path).is_ok_and(|p| p == path)
            {
                return raw;
            }
        }
        if path.as_ref() == b"*" {
            return path;
        }
        Cow::Owned(escape(&path, Encoding::Path).into_owned())
    }

    /// Go's `(*URL).EscapedFragment`: `raw_fragment` when it is a valid escaping of `fragment`,
    /// else `fragment` escaped.
    pub fn escaped_fragment(&self) -> String {
        from_go_cow(self.escaped_fragment_bytes())
    }

    fn escaped_fragment_bytes(&self) -> Cow<'_, [u8]> {
        let frag = to_go_bytes(&self.fragment);
        if !self.raw_fragment.is_empty() {
            let raw = to_go_bytes(&self.raw_fragment);
            if valid_encoded(&raw, Encoding::Fragment)
                && unescape(&raw, Encoding::Fragment).is_ok_and(|f| f == frag)
            {
                return raw;
            }
        }
        Cow::Owned(escape(&frag, Encoding::Fragment).into_owned())
    }

    /// Go's `(*URL).String`: the URL reassembled.
    ///
    /// `scheme:opaque?query#fragment` when `opaque` is set, else
    /// `scheme://userinfo@host/path?query#fragment` with these rules (Go's): no `scheme:` for
    /// an empty scheme; no `//` unless there is a host, a path or a user (and none at all for
    /// `omit_host` with neither host nor user); the host is escaped (non-ASCII bytes become
    /// `%XX`); the path is [`Url::escaped_path`], with a `/` added between a host and a path that
    /// lacks one; a relative path whose first segment has a colon gets `./` so it is not read
    /// as a scheme; `?` when `force_query` or a query is set; `#` + [`Url::escaped_fragment`]
    /// when `fragment` is non-empty.
    pub fn string(&self) -> String {
        let scheme = to_go_bytes(&self.scheme);
        let opaque = to_go_bytes(&self.opaque);
        let host = to_go_bytes(&self.host);
        let raw_query = to_go_bytes(&self.raw_query);
        let mut buf: Vec<u8> = Vec::with_capacity(
            scheme.len()
                + opaque.len()
                + host.len()
                + self.path.len()
                + raw_query.len()
                + self.raw_fragment.len()
                + 16,
        );
        if !scheme.is_empty() {
            buf.extend_from_slice(&scheme);
            buf.push(b':');
        }
        if !opaque.is_empty() {
            buf.extend_from_slice(&opaque);
        } else {
            if (!scheme.is_empty() || !host.is_empty() || self.user.is_some())
                && !(self.omit_host && host.is_empty() && self.user.is_none())
            {
                // Go tests the unescaped Path here, not the escaped one.
                if !host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.extend_from_slice(b"//");
                }
                if let Some(ui) = &self.user {
                    ui.append_to(&mut buf);
                    buf.push(b'@');
                }
                if !host.is_empty() {
                    buf.extend_from_slice(&escape(&host, Encoding::Host));
                }
            }
            let path = self.escaped_path_bytes();
            if path.first().is_some_and(|&c| c != b'/') && !host.is_empty() {
                buf.push(b'/');
            }
            if buf.is_empty() {
                // RFC 3986 §4.2: a first segment with a colon ("this:that") would be taken for
                // a scheme; a "./" in front keeps it a relative path.
                let segment = head(&path, find(&path, b'/').unwrap_or(path.len()));
                if segment.contains(&b':') {
                    buf.extend_from_slice(b"./");
                }
            }
            buf.extend_from_slice(&path);
        }
        if self.force_query || !raw_query.is_empty() {
            buf.push(b'?');
            buf.extend_from_slice(&raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push(b'#');
            buf.extend_from_slice(&self.escaped_fragment_bytes());
        }
        from_go_vec(buf)
    }

    /// Go's `(*URL).Redacted`: [`Url::string`] with any password replaced by `xxxxx`.
    pub fn redacted(&self) -> String {
        match &self.user {
            Some(Userinfo {
                username,
                password: Some(_),
            }) => Url {
                user: Some(Userinfo::user_password(username, "xxxxx")),
                ..self.clone()
            }
            .string(),
            _ => self.string(),
        }
    }

    /// Go's `(*URL).IsAbs`: whether the URL has a scheme.
    pub fn is_abs(&self) -> bool {
        !self.scheme.is_empty()
    }

    /// Go's `(*URL).Hostname`: `host` without a valid `:port` and without the brackets of an
    /// IP-literal. Invalid ports stay: `h:x` gives `h:x`.
    pub fn hostname(&self) -> &str {
        split_host_port(&self.host).0
    }

    /// Go's `(*URL).Port`: the digits after the last colon of `host` when they form a valid
    /// port (possibly empty), else `""`.
    pub fn port(&self) -> &str {
        split_host_port(&self.host).1
    }
}

impl fmt::Display for Url {
    /// Go's `(*URL).String`, as `fmt`'s `%v`/`%s` print a `*url.URL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.string())
    }
}

/// Go's url-package `splitHostPort` (not `net.SplitHostPort`): port only when numeric, brackets
/// stripped only when both ends have them; never an error.
fn split_host_port(host_port: &str) -> (&str, &str) {
    let mut host = host_port;
    let mut port = "";
    if let Some(colon) = host.rfind(':') {
        if valid_optional_port(&host.as_bytes()[colon..]) {
            port = host.get(colon + 1..).unwrap_or_default();
            host = host.get(..colon).unwrap_or_default();
        }
    }
    if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
        host = host.get(1..host.len() - 1).unwrap_or_default();
    }
    (host, port)
}

/// Go's `url.encoding`: which part of a URL a byte is escaped or unescaped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `encodePath`: the whole path.
    Path,
    /// `encodePathSegment`: one path segment (`PathEscape`).
    PathSegment,
    /// `encodeHost`: the host, port included.
    Host,
    /// `encodeZone`: an IPv6 zone after `%25`.
    Zone,
    /// `encodeUserPassword`: a username or password.
    UserPassword,
    /// `encodeQueryComponent`: a query key or value (`QueryEscape`).
    QueryComponent,
    /// `encodeFragment`: the fragment.
    Fragment,
}

/// Go's `url.shouldEscape`: whether byte `c` must be `%XX`-escaped in `mode` (RFC 3986 with Go's
/// deviations, go.dev/issue/5684).
pub fn should_escape(c: u8, mode: Encoding) -> bool {
    // §2.3 Unreserved characters (alphanum).
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Encoding::Host | Encoding::Zone) {
        // §3.2.2: sub-delims in reg-name; Go adds ':' (for :port), '[' ']' (for [ipv6]:port) and
        // '<' '>' '"', which Parse would otherwise reject (hosts cannot %-encode ASCII).
        if matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        ) {
            return false;
        }
    }
    match c {
        // §2.3 Unreserved characters (mark).
        b'-' | b'_' | b'.' | b'~' => return false,
        // §2.2 Reserved characters: each part allows a different few unescaped.
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            // Go handles the path as a whole, so only '?' must be escaped.
            Encoding::Path => return c == b'?',
            Encoding::PathSegment => return matches!(c, b'/' | b';' | b',' | b'?'),
            // ':' separates username and password, so it is escaped too.
            Encoding::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Encoding::QueryComponent => return true,
            Encoding::Fragment => return false,
            // Host and Zone fall through: '/', '?', '@' are escaped below.
            Encoding::Host | Encoding::Zone => {}
        },
        _ => {}
    }
    if mode == Encoding::Fragment {
        // RFC 3986 §2.2 sub-delims that RFC 2396 did not reserve, left alone in fragments only;
        // '\'' stays escaped for callers that relied on it (go.dev/issue/19917).
        if matches!(c, b'!' | b'(' | b')' | b'*') {
            return false;
        }
    }
    // Everything else, every non-ASCII byte included.
    true
}

/// Go's `url.unescape`: decodes `%XX` (and `+` to space for [`Encoding::QueryComponent`]),
/// returning Go's error text on failure.
///
/// In [`Encoding::Host`], `%XX` may only encode a non-ASCII byte (or be `%25`) and ASCII bytes
/// that [`should_escape`] would escape are refused (`invalid character " " in host name`); in
/// [`Encoding::Zone`], `%XX` may encode a space or any byte a host may hold. Non-ASCII bytes are
/// always allowed as they are.
pub fn unescape(s: &[u8], mode: Encoding) -> Result<Cow<'_, [u8]>, String> {
    // Count %, check that they're well-formed.
    let mut n = 0usize;
    let mut has_plus = false;
    let mut i = 0usize;
    while let Some(&c) = s.get(i) {
        match c {
            b'%' => {
                n += 1;
                let (Some(&h1), Some(&h2)) = (s.get(i + 1), s.get(i + 2)) else {
                    // Go reports up to 3 bytes from the '%': "%", "%4".
                    return Err(escape_error(tail(s, i)));
                };
                if !h1.is_ascii_hexdigit() || !h2.is_ascii_hexdigit() {
                    return Err(escape_error(s.get(i..i + 3).unwrap_or_default()));
                }
                let triple = s.get(i..i + 3).unwrap_or_default();
                // RFC 3986 §3.2.2: in a host, %-encoding is only for non-ASCII bytes; RFC 6874
                // adds %25 for the zone separator.
                if mode == Encoding::Host && unhex(h1) < 8 && triple != b"%25" {
                    return Err(escape_error(triple));
                }
                if mode == Encoding::Zone {
                    // RFC 6874 allows anything; Go only allows bytes a host could hold written
                    // out, plus space (Windows puts spaces in zone names).
                    let v = (unhex(h1) << 4) | unhex(h2);
                    if triple != b"%25" && v != b' ' && should_escape(v, Encoding::Host) {
                        return Err(escape_error(triple));
                    }
                }
                i += 3;
            }
            b'+' => {
                has_plus = mode == Encoding::QueryComponent;
                i += 1;
            }
            _ => {
                if matches!(mode, Encoding::Host | Encoding::Zone)
                    && c < 0x80
                    && should_escape(c, mode)
                {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote(s.get(i..i + 1).unwrap_or_default())
                    ));
                }
                i += 1;
            }
        }
    }
    if n == 0 && !has_plus {
        return Ok(Cow::Borrowed(s));
    }
    let mut t = Vec::with_capacity(s.len() - 2 * n);
    let mut i = 0usize;
    while let Some(&c) = s.get(i) {
        match c {
            b'%' => {
                // Well-formed: checked above.
                let h1 = s.get(i + 1).copied().unwrap_or(b'0');
                let h2 = s.get(i + 2).copied().unwrap_or(b'0');
                t.push((unhex(h1) << 4) | unhex(h2));
                i += 2;
            }
            b'+' if mode == Encoding::QueryComponent => t.push(b' '),
            _ => t.push(c),
        }
        i += 1;
    }
    Ok(Cow::Owned(t))
}

/// Go's `EscapeError.Error`: `invalid URL escape "<up to 3 bytes from the %>"`.
fn escape_error(s: &[u8]) -> String {
    let s = s.get(..3).unwrap_or(s);
    format!("invalid URL escape {}", quote(s))
}

/// Go's `url.escape`: `%XX` (upper-case hex) for every byte [`should_escape`] picks, and `+` for
/// a space in [`Encoding::QueryComponent`]. Borrows when nothing changes.
pub fn escape(s: &[u8], mode: Encoding) -> Cow<'_, [u8]> {
    let hex_count = s
        .iter()
        .filter(|&&c| should_escape(c, mode) && !(c == b' ' && mode == Encoding::QueryComponent))
        .count();
    let space_count = if mode == Encoding::QueryComponent {
        s.iter().filter(|&&c| c == b' ').count()
    } else {
        0
    };
    if hex_count == 0 && space_count == 0 {
        return Cow::Borrowed(s);
    }
    let mut t = Vec::with_capacity(s.len() + 2 * hex_count);
    for &c in s {
        if c == b' ' && mode == Encoding::QueryComponent {
            t.push(b'+');
        } else if should_escape(c, mode) {
            t.push(b'%');
            t.push(UPPERHEX[usize::from(c >> 4)]);
            t.push(UPPERHEX[usize::from(c & 15)]);
        } else {
            t.push(c);
        }
    }
    Cow::Owned(t)
}

/// Go's `url.validEncoded`: no byte that escaping would change, except that `%`, `[`, `]` and
/// the RFC 3986 sub-delims (plus `:` and `@`) are fine as written.
fn valid_encoded(s: &[u8], mode: Encoding) -> bool {
    s.iter().all(|&c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    from_go_cow(escape(&to_go_bytes(s), Encoding::QueryComponent))
}

/// Go's `url.PathEscape`.
pub fn path_escape(s: &str) -> String {
    from_go_cow(escape(&to_go_bytes(s), Encoding::PathSegment))
}

/// Go's `url.QueryUnescape`; the error is Go's text (`invalid URL escape "%zz"`).
pub fn query_unescape(s: &str) -> Result<String, String> {
    unescape(&to_go_bytes(s), Encoding::QueryComponent).map(from_go_cow)
}

/// Go's `url.PathUnescape`; the error is Go's text.
pub fn path_unescape(s: &str) -> Result<String, String> {
    unescape(&to_go_bytes(s), Encoding::PathSegment).map(from_go_cow)
}

/// Go's `unhex` for a byte known to be a hex digit.
fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn head(s: &[u8], to: usize) -> &[u8] {
    s.get(..to).unwrap_or(s)
}

fn tail(s: &[u8], from: usize) -> &[u8] {
    s.get(from..).unwrap_or_default()
}

fn find(s: &[u8], c: u8) -> Option<usize> {
    s.iter().position(|&x| x == c)
}

fn rfind(s: &[u8], c: u8) -> Option<usize> {
    s.iter().rposition(|&x| x == c)
}

fn find_sub(s: &[u8], needle: &[u8]) -> Option<usize> {
    s.windows(needle.len()).position(|w| w == needle)
}

fn count(s: &[u8], c: u8) -> usize {
    s.iter().filter(|&&x| x == c).count()
}
