//! Secrets as a type: a password, `auth` string or identity token that prints masked unless the
//! printer asks for it ([`Secret::reveal`]), so values are computed once, with the real secret,
//! and masking happens only where something is shown to people (`--show-secrets` reveals).
//!
//! Masking is a property of the values, not of the places they reach:
//! - [`Secrets`] is the set of secret values of the input (credential fields, and the user
//!   information of every URL-like string: `https://TOKEN@host`, `//u:PW@host`, `u:PW@host`, a
//!   `configs` key `https://u:PW@host`), collected once after loading; the reporter masks every
//!   occurrence of every one of them (and of its quoted and escaped spellings) in everything it
//!   prints, whatever message, path or file carries it;
//! - [`mask_userinfo`] masks the user information of any URL-like text, for what is printed
//!   before the set is known (a file that does not load) and as a second line of defence;
//! - source lines ([`mask_lines`]): the exact positions of credential values from the YAML
//!   (when the file parses) and, for every line, a textual pass over credential keys;
//! - YAML errors quoting a scalar from a secret position are masked where the loader builds
//!   them (`crate::yaml`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// Where a credential value starts: 1-based line and column, and the key's column (for block
/// scalars, whose content is on the following, more indented lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecretAt {
    /// 1-based line of the value.
    pub(crate) line: u32,
    /// 1-based column of the value.
    pub(crate) column: u32,
    /// 1-based column of its key.
    pub(crate) key_column: u32,
}

/// The credential keys of registries.yaml and of config.toml, and their usual misspellings. A
/// value that YAML reads as a comment (`password: #s3cret`) is masked too: it was meant as the
/// password. Matched without regard to case (`Password:` is dropped by K3s but is still a
/// password).
const SECRET_KEY_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pasword",
    "pass",
    "auth",
    "identity_token",
    "identitytoken",
    "identity-token",
    "token",
    "secret",
    "credentials",
];

/// Whether a mapping key names a credential, whose value is a secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.trim();
    SECRET_KEY_NAMES.iter().any(|k| key.eq_ignore_ascii_case(k))
}

/// Whether an HTTP header (a hand-written hosts.toml's `header` table) carries a credential.
pub(crate) fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "password",
        "api-key",
        "apikey",
        "auth",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// `key: value` and `key = value` with a credential key. (Constant patterns, covered by the
/// tests; should one ever fail to compile, [`mask_text`] masks whole lines instead.)
fn key_value_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let keys = SECRET_KEY_NAMES.join("|");
        // The value may follow a tag or an anchor (`password: !!int "..."`, `auth: &a ...`).
        Regex::new(&format!(
            r#"(?P<key>(?:^|[\s{{,"'])(?i:{keys})["']?\s*[:=][ \t]*(?:[!&][^\s,}}\]]*[ \t]+)*)(?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|#.*|[!&][^\s,}}\]]*|[^\s,}}\]#{{\[|>&*!][^,}}\]#]*)"#
        ))
        .ok()
    })
    .as_ref()
}

/// The lines of `text`, with credential values masked.
pub(crate) fn mask_lines(text: &str, secrets: &[SecretAt]) -> Vec<String> {
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    for s in secrets {
        let Some(i) = (s.line as usize).checked_sub(1) else {
            continue;
        };
        let Some(line) = lines.get(i) else { continue };
        let start = (s.column as usize).saturating_sub(1);
        let chars: Vec<char> = line.chars().collect();
        if start >= chars.len() {
            continue;
        }
        if matches!(chars[start], '|' | '>') {
            // A block scalar: its content is on the following lines, indented more than the key.
            for l in lines.iter_mut().skip(i + 1) {
                let indent = l.chars().take_while(|c| *c == ' ').count();
                if !l.trim().is_empty() && indent < s.key_column as usize {
                    break;
                }
                if !l.trim().is_empty() {
                    *l = format!("{}{MASK}", " ".repeat(indent));
                }
            }
            continue;
        }
        let end = scalar_end(&chars, start);
        let masked: String = chars[..start]
            .iter()
            .chain(MASK.chars().collect::<Vec<_>>().iter())
            .chain(chars[end..].iter())
            .collect();
        lines[i] = masked;
    }
    lines.into_iter().map(|l| mask_text(&l)).collect()
}

/// The end (exclusive) of the scalar starting at `start`.
fn scalar_end(chars: &[char], start: usize) -> usize {
    match chars[start] {
        '"' => {
            let mut i = start + 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '"' => return i + 1,
                    _ => i += 1,
                }
            }
            chars.len()
        }
        '\'' => {
            let mut i = start + 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            chars.len()
        }
        _ => {
            let in_flow = chars[..start].iter().any(|c| matches!(c, '{' | '['));
            let mut end = chars.len();
            for (i, c) in chars.iter().enumerate().skip(start) {
                let comment = *c == '#' && i > 0 && chars[i - 1].is_whitespace();
                if comment || (in_flow && matches!(c, ',' | '}' | ']')) {
                    end = i;
                    break;
                }
            }
            while end > start && chars[end - 1].is_whitespace() {
                end -= 1;
            }
            end.max(start + 1)
        }
    }
}

/// Masks credential-looking `key: value` / `key = value` pairs and URL user information in any
/// text.
pub(crate) fn mask_text(line: &str) -> String {
    let Some(kv) = key_value_re() else {
        return MASK.to_string();
    };
    let line = kv.replace_all(line, |c: &regex::Captures<'_>| {
        let value = c.name("value").map_or("", |m| m.as_str());
        if value == MASK || value.trim().is_empty() {
            c[0].to_string()
        } else {
            format!("{}{MASK}", &c["key"])
        }
    });
    mask_userinfo(&line).into_owned()
}

/// Characters that end the user information of a URL-like string, looking back from its `@`
/// (not `@` itself: Go splits user information at the last `@`, so `u:P@W@h` has the password
/// `P@W`).
/// (Go allows `!$&'()*+,;=` and `%` escapes in it; those are kept, so a password holding them is
/// masked whole.)
fn ends_userinfo(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '/' | '?' | '#' | '"' | '`' | '<' | '>' | '[' | ']' | '{' | '}' | '\\' | '|' | '^'
        )
}

/// Whether `s` starts with a digest (`sha256:<hex>`): `name@sha256:...` is an image reference,
/// not user information.
fn starts_with_digest(s: &str) -> bool {
    let Some((alg, rest)) = s.split_once(':') else {
        return false;
    };
    let hex = rest.chars().take_while(|c| c.is_ascii_hexdigit()).count();
    !alg.is_empty()
        && alg
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
        && hex >= 32
}

/// Whether `s` starts with a host name that has a `.` or a `:port` (`h.io`, `host:5000`).
fn looks_like_host(s: &str) -> bool {
    let host: &str = s
        .split(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    !host.is_empty() && (host.contains('.') || host.contains(':'))
}

/// The byte ranges of the secret part of every user information in `text`: the password of
/// `user:password@`, or the whole of `token@` (a user name alone is how tokens are given:
/// `https://TOKEN@host`). Found in any URL-like text, with a scheme (`https://u:pw@h`), without
/// (`//u:pw@h`, `u:pw@h`), or as a path (`certs.d/https:/u:pw@h`). Values already masked
/// (`xxxxx`, `********`) are left out.
pub(crate) fn userinfo_spans(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        if starts_with_digest(&text[at + 1..]) {
            continue;
        }
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| ends_userinfo(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let info = &text[start..at];
        let after_slashes = text[..start].ends_with("//");
        let from = match info.find(':') {
            // Without `//`, `name:tag@x` is an image reference as much as `user:pw@host`: only
            // a host (with a `.` or a port) after the `@` makes it user information.
            Some(_) if !after_slashes && !looks_like_host(&text[at + 1..]) => continue,
            Some(colon) => start + colon + 1,
            // A user name alone is a token only after `//` (`https://TOKEN@h`, `//TOKEN@h`):
            // `name@tag` elsewhere is an image reference or an address, not user information.
            None if after_slashes => start,
            None => continue,
        };
        let secret = &text[from..at];
        if secret.is_empty() || secret == MASK || secret == "xxxxx" {
            continue;
        }
        out.push(from..at);
    }
    // `u:P@W@h` gives `P` and `P@W`: one span.
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Masks the secret part of every user information in `text` (see [`userinfo_spans`]).
pub(crate) fn mask_userinfo(text: &str) -> Cow<'_, str> {
    let spans = userinfo_spans(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in spans {
        out.push_str(&text[at..r.start]);
        out.push_str(MASK);
        at = r.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The secret values of an input, masked wherever they occur in what is printed.
///
/// Values shorter than [`Secrets::MIN_LEN`] are left to the structural masks (credential fields,
/// user information, source positions): masking every `ab` of the output would make it
/// unreadable without hiding anything a reader could not guess.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets {
    values: Vec<Secret>,
    /// The values, for the duplicate check (a scan of `values` made adding n secrets quadratic).
    seen: HashSet<String>,
    matcher: OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl Secrets {
    /// The shortest value masked wherever it occurs.
    /// (Six: `pass` or `user` would mask the word `password` in our own messages.)
    pub(crate) const MIN_LEN: usize = 6;

    /// Adds a secret value (a Go string: any bytes), with the spellings printers give it: as
    /// shown (UTF-8 as it is, other bytes `\xNN`), Go-quoted (`%q`, as K3s writes it) and
    /// JSON-escaped. (The reporter adds the terminal-escaped one, [`Secrets::add_spelling`].)
    pub(crate) fn add(&mut self, value: impl AsRef<[u8]>) {
        let bytes = value.as_ref();
        // Printable ASCII without quotes or backslashes (almost every secret): Go's `%q` and
        // JSON only put quotes around it, so it is its only spelling.
        if bytes
            .iter()
            .all(|&b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\')
        {
            let text = std::str::from_utf8(bytes).unwrap_or_default();
            if text != MASK && text != "xxxxx" {
                self.add_spelling(text);
            }
            return;
        }
        self.add_forms(bytes);
    }

    /// [`Self::add`] for any value: the value as shown, and inside Go's and JSON's quotes.
    fn add_forms(&mut self, bytes: &[u8]) {
        let shown = crate::go::string::display(bytes);
        if shown.chars().count() < Self::MIN_LEN || shown == MASK || shown == "xxxxx" {
            return;
        }
        let quoted = crate::go::quote::quote(bytes);
        let json = serde_json::to_string(&*shown).unwrap_or_default();
        let mut forms = vec![shown.to_string()];
        for q in [quoted, json] {
            if let Some(inner) = q.get(1..q.len().saturating_sub(1)) {
                forms.push(inner.to_string());
            }
        }
        for f in forms {
            self.add_spelling(&f);
        }
    }

    /// Adds one spelling of a secret, as it is.
    pub(crate) fn add_spelling(&mut self, value: &str) {
        if value.chars().count() < Self::MIN_LEN || self.seen.contains(value) {
            return;
        }
        self.seen.insert(value.to_string());
        self.values.push(Secret::new(value));
        self.matcher = OnceLock::new();
    }

    /// The values (every spelling).
    pub(crate) fn values(&self) -> impl Iterator<Item = &Secret> {
        self.values.iter()
    }

    /// Adds the user information secrets of a URL-like string.
    pub(crate) fn add_userinfo(&mut self, text: &str) {
        for r in userinfo_spans(text) {
            self.add(&text[r]);
        }
    }

    /// Adds every secret of `other`.
    pub(crate) fn extend(&mut self, other: &Secrets) {
        for v in &other.values {
            self.add(v.reveal());
        }
    }

    fn matcher(&self) -> Option<&aho_corasick::AhoCorasick> {
        self.matcher
            .get_or_init(|| {
                if self.values.is_empty() {
                    return None;
                }
                // An NFA: built in time linear in the secrets (a DFA over a 64 KiB password
                // takes minutes to build), searched fast enough for what is printed.
                aho_corasick::AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(self.values.iter().map(Secret::reveal))
                    .ok()
            })
            .as_ref()
    }

    /// `text` with every secret value and every user information masked.
    pub(crate) fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let text = match self.matcher() {
            Some(m) if m.is_match(text) => {
                Cow::Owned(m.replace_all(text, &vec![MASK; self.values.len()]))
            }
            _ => Cow::Borrowed(text),
        };
        match text {
            Cow::Borrowed(t) => mask_userinfo(t),
            Cow::Owned(t) => Cow::Owned(mask_userinfo(&t).into_owned()),
        }
    }

    /// Bytes of a file with every secret value masked (user information too, in its UTF-8 runs).
    pub(crate) fn mask_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let replaced;
        let bytes = match self.matcher() {
            Some(m) if m.is_match(bytes) => {
                replaced = m.replace_all_bytes(bytes, &vec![MASK.as_bytes(); self.values.len()]);
                &replaced[..]
            }
            _ => bytes,
        };
        if let Ok(text) = std::str::from_utf8(bytes) {
            return mask_userinfo(text).into_owned().into_bytes();
        }
        let mut out = Vec::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            out.extend_from_slice(mask_userinfo(chunk.valid()).as_bytes());
            out.extend_from_slice(chunk.invalid());
        }
        out
    }

    /// Masks every string of a JSON document.
    pub(crate) fn mask_json(&self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Cow::Owned(m) = self.mask(s) {
                    *s = m;
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| self.mask_json(v)),
            serde_json::Value::Object(o) => {
                // Keys too: some are the input's (header names, hosts).
                if o.keys().any(|k| matches!(self.mask(k), Cow::Owned(_))) {
                    let old = std::mem::take(o);
                    for (k, mut v) in old {
                        self.mask_json(&mut v);
                        o.insert(self.mask(&k).into_owned(), v);
                    }
                } else {
                    o.values_mut().for_each(|v| self.mask_json(v));
                }
            }
            _ => {}
        }
    }
}

/// What a masked secret prints as.
pub(crate) const MASK: &str = "********";

/// A secret value. `Display`, `Debug` and `Serialize` print [`MASK`] (or nothing for an empty
/// secret); only [`Secret::reveal`] gives the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for files written to disk and `--show-secrets`.
    pub(crate) fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether it is empty (an empty secret hides nothing).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value when `reveal`, else the mask (an empty secret stays empty).
    pub(crate) fn shown(&self, reveal: bool) -> &str {
        if reveal || self.0.is_empty() {
            &self.0
        } else {
            MASK
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown(false))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.shown(false))
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.shown(false))
    }
}

/// Where a secret is in a rendered file, and what a preview prints instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretSpan {
    /// The bytes of the secret.
    pub(crate) range: Range<usize>,
    /// What to print instead.
    pub(crate) mask: &'static str,
}

/// `bytes` with every span replaced by its mask (spans sorted, not overlapping).
pub(crate) fn mask_spans(bytes: &[u8], spans: &[SecretSpan]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for s in spans {
        if s.range.start < at || s.range.end > bytes.len() {
            continue;
        }
        out.extend_from_slice(&bytes[at..s.range.start]);
        out.extend_from_slice(s.mask.as_bytes());
        at = s.range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_and_textual() {
        let text = "configs:\n  r:\n    auth: {username: u, password: \"s3cr,et\"}\n    x: y\n  s:\n    auth:\n      password: |\n        hunter2\n      username: me\n";
        let secrets = [
            SecretAt {
                line: 3,
                column: 36,
                key_column: 26,
            },
            SecretAt {
                line: 7,
                column: 17,
                key_column: 7,
            },
        ];
        let lines = mask_lines(text, &secrets);
        assert_eq!(lines[2], "    auth: {username: u, password: ********}");
        assert_eq!(lines[6], "      password: |");
        assert_eq!(lines[7], "        ********");
        assert_eq!(lines[8], "      username: me");
    }

    #[test]
    fn textual_pass() {
        assert_eq!(
            mask_text("      password: SecurePullPassword"),
            "      password: ********"
        );
        assert_eq!(
            mask_text("  password = \"x\\\"y\""),
            "  password = ********"
        );
        assert_eq!(
            mask_text("auth: {password: p, username: u}"),
            "auth: {password: ********, username: u}"
        );
        assert_eq!(mask_text("    auth:"), "    auth:");
        assert_eq!(
            mask_text("    auth: {username: u}"),
            "    auth: {username: u}"
        );
        assert_eq!(
            mask_text("  identity_token: 'abc' # c"),
            "  identity_token: ******** # c"
        );
        assert_eq!(
            mask_text("- https://user:pw@host/v2"),
            "- https://user:********@host/v2"
        );
        assert_eq!(mask_text("  username: admin"), "  username: admin");
        // A value read as a comment was still meant as the password.
        assert_eq!(
            mask_text("      password: #s3cret"),
            "      password: ********"
        );
    }

    #[test]
    fn masked_unless_revealed() {
        let s = Secret::new("hunter2");
        assert_eq!(s.to_string(), MASK);
        assert_eq!(format!("{s:?}"), "Secret(********)");
        assert_eq!(s.reveal(), "hunter2");
        assert_eq!(s.shown(true), "hunter2");
        assert_eq!(serde_json::to_string(&s).expect("json"), "\"********\"");
        assert_eq!(Secret::default().to_string(), "");
    }

    /// Every form of user information is masked: a token as user name after `//`, a password
    /// with or without a scheme, in a path; image references and digests are not.
    #[test]
    fn user_information_in_any_url_like_text() {
        for (text, shown) in [
            ("https://TOKEN@h.io/v2", "https://********@h.io/v2"),
            ("//u:PW@h.io", "//u:********@h.io"),
            ("u:PW@h.io:5000", "u:********@h.io:5000"),
            (
                "x \"https://u:P@W@h.io\" y",
                "x \"https://u:********@h.io\" y",
            ),
            ("certs.d/https:/u:PW@h.io", "certs.d/https:/u:********@h.io"),
            (
                "nginx@sha256:0123456789abcdef0123456789abcdef",
                "nginx@sha256:0123456789abcdef0123456789abcdef",
            ),
            (
                "invalid reference format: foo@bar",
                "invalid reference format: foo@bar",
            ),
            ("\"nginx:tag@bad\": invalid", "\"nginx:tag@bad\": invalid"),
            ("https://u:********@h.io", "https://u:********@h.io"),
        ] {
            assert_eq!(mask_userinfo(text), shown, "{text}");
        }
    }

    /// The set masks every spelling of a value, JSON keys included, and leaves short values to
    /// the structural masks.
    #[test]
    fn secrets_mask_every_spelling() {
        let mut s = Secrets::default();
        s.add("pa\"ss\u{1b}word");
        s.add("abcde");
        assert_eq!(s.mask("x pa\"ss\u{1b}word y abcde"), "x ******** y abcde");
        assert_eq!(s.mask(r#"q "pa\"ss\x1bword""#), r#"q "********""#);
        assert_eq!(s.mask(r#"j "pa\"ss\u001bword""#), r#"j "********""#);
        let mut v = serde_json::json!({"pa\"ss\u{1b}word": ["pa\"ss\u{1b}word"]});
        s.mask_json(&mut v);
        assert_eq!(v, serde_json::json!({"********": ["********"]}));
    }

    proptest::proptest! {
        /// The shortcut for printable ASCII adds what the general path adds.
        #[test]
        fn plain_values_have_one_spelling(v in "[ -~]{0,12}") {
            let (mut fast, mut general) = (Secrets::default(), Secrets::default());
            fast.add(&v);
            general.add_forms(v.as_bytes());
            let spellings = |s: &Secrets| s.values().map(|v| v.reveal().to_string()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(spellings(&fast), spellings(&general));
        }
    }

    /// Each spelling is kept once, however often it is added (looked up in a set: a scan of the
    /// list made adding n secrets quadratic), and the order of first addition is kept.
    #[test]
    fn spellings_kept_once_in_order() {
        let mut s = Secrets::default();
        for _ in 0..3 {
            s.add("second-secret");
            s.add("first-secret");
            s.add_spelling("second-secret");
        }
        let values: Vec<&str> = s.values().map(Secret::reveal).collect();
        assert_eq!(values, ["second-secret", "first-secret"]);
        assert_eq!(s.mask("first-secret second-secret"), "******** ********");
    }
}
