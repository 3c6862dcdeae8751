//! Secrets as a type: a password, `auth` string or identity token that prints masked unless the
//! printer asks for it ([`Secret::reveal`]), so values are computed once, with the real secret,
//! and masking happens only where something is shown to people (`--show-secrets` reveals).
//!
//! Text that may quote a secret without knowing it (source lines under audit findings, messages
//! quoting an endpoint URL) is masked by [`mask_lines`], [`mask_text`] and [`mask_userinfo`]:
//! - source lines: the exact positions of credential values from the YAML source map (when the
//!   file loaded) and, for every line, a textual pass over credential keys and URL
//!   user:password parts (for files that did not load, and for TOML files);
//! - messages: URL passwords are masked with [`mask_userinfo`].

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

/// The credential keys of registries.yaml and of config.toml. A value that YAML reads as a
/// comment (`password: #s3cret`) is masked too: it was meant as the password.
/// Matched without regard to case (`Password:` is dropped by K3s but is still a password).
const SECRET_KEYS: &str =
    r"(?i:password|passwd|pasword|auth|identity_token|identitytoken|token|secret)";

/// `key: value` and `key = value` with a credential key. (Constant patterns, covered by the
/// tests; should one ever fail to compile, [`mask_text`] masks whole lines instead.)
fn key_value_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            r#"(?P<key>(?:^|[\s{{,"'])(?:{SECRET_KEYS})["']?\s*[:=][ \t]*)(?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|#.*|[^\s,}}\]#{{\[|>&*!][^,}}\]#]*)"#
        ))
        .ok()
    })
    .as_ref()
}

/// The password of a URL's userinfo.
fn userinfo_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"(?P<pre>://[^/@\s:'"]*:)[^/@\s'"]+@"#).ok())
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

/// Masks credential-looking `key: value` / `key = value` pairs and URL passwords in any text.
pub(crate) fn mask_text(line: &str) -> String {
    let (Some(kv), Some(ui)) = (key_value_re(), userinfo_re()) else {
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
    ui.replace_all(&line, format!("${{pre}}{MASK}@").as_str())
        .into_owned()
}

/// Masks only the password of URLs (for messages, which never quote `key: value` pairs).
pub(crate) fn mask_userinfo(text: &str) -> String {
    match userinfo_re() {
        Some(ui) => ui
            .replace_all(text, format!("${{pre}}{MASK}@").as_str())
            .into_owned(),
        None => MASK.to_string(),
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
}
