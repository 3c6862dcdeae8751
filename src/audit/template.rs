//! Two questions about rewrite rules that [`crate::go::regexp`] (which compiles and applies
//! them as Go does) does not answer directly: which `$` references a replacement makes, and
//! whether a pattern is anchored on a literal prefix.
//!
//! [`template_refs`] reads a replacement the way Go's `Regexp.Expand` does (regexp.go
//! `extract`): `$name` takes the longest run of letters, digits and `_`, so `$1abc` names the
//! group `1abc`; `${name}` is braced; `$$` is a literal `$`; a malformed reference is text.

/// One `$` reference in a replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateRef {
    /// The reference as written, `$` included (`$1`, `${name}`).
    pub text: String,
    /// The name (`1`, `1abc`, `name`).
    pub name: String,
    /// The group number when the name is all digits without a leading zero (Go's `num >= 0`).
    pub num: Option<usize>,
}

/// Go's `unicode.IsLetter || unicode.IsDigit || '_'`, as `extract` scans names. (Rust's
/// alphabetic/numeric sets are a little wider outside letters and decimal digits; group names
/// are ASCII, so a wider scan only ever names a group that does not exist, as Go's does.)
fn name_char(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// The references in `template`, in order.
pub(crate) fn template_refs(template: &str) -> Vec<TemplateRef> {
    let mut refs = Vec::new();
    let mut t = template;
    while let Some(i) = t.find('$') {
        t = &t[i + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            t = rest;
            continue;
        }
        let (brace, body) = match t.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let end = body
            .char_indices()
            .find(|(_, c)| !name_char(*c))
            .map_or(body.len(), |(i, _)| i);
        if end == 0 {
            continue; // an empty name: the `$` is text
        }
        let name = &body[..end];
        let consumed = if brace {
            if !body[end..].starts_with('}') {
                continue; // no closing brace: the `$` is text
            }
            end + 1
        } else {
            end
        };
        let leading_zero = name.len() > 1 && name.starts_with('0');
        let num = if name.bytes().all(|b| b.is_ascii_digit()) && !leading_zero {
            name.parse::<usize>().ok().filter(|n| *n < 100_000_000)
        } else {
            None
        };
        let written = usize::from(brace) + consumed;
        refs.push(TemplateRef {
            text: format!("${}", &t[..written]),
            name: name.to_string(),
            num,
        });
        t = &body[consumed..];
    }
    refs
}

/// The literal text of a template: everything but the references (`$$` as `$`).
pub(crate) fn template_literal_text(template: &str) -> String {
    let refs = template_refs(template);
    let mut out = String::new();
    let mut t = template;
    let mut k = 0;
    while let Some(i) = t.find('$') {
        out.push_str(&t[..i]);
        t = &t[i..];
        if let Some(rest) = t.strip_prefix("$$") {
            out.push('$');
            t = rest;
            continue;
        }
        match refs.get(k) {
            Some(r) if t.starts_with(&r.text) => {
                t = &t[r.text.len()..];
                k += 1;
            }
            _ => {
                out.push('$');
                t = &t[1..];
            }
        }
    }
    out.push_str(t);
    out
}

/// For a pattern Go accepts: when every match must start at the beginning of the repository
/// (`^` or `\A` first, no top-level `|`, no flags) followed by literal text, that text, minus a
/// last character a quantifier makes optional. Two patterns whose prefixes are not prefixes of
/// one another can never match the same repository. Conservative: anything unusual ends the
/// prefix early.
pub(crate) fn anchored_literal_prefix(pattern: &str) -> Option<String> {
    if has_top_level_bar(pattern) {
        return None;
    }
    let rest = pattern
        .strip_prefix('^')
        .or_else(|| pattern.strip_prefix(r"\A"))?;
    let chars: Vec<char> = rest.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let (lit, next) = match chars[i] {
            '\\' => match chars.get(i + 1) {
                // An escaped punctuation character is itself.
                Some(&c) if c.is_ascii_punctuation() => (c, i + 2),
                _ => break,
            },
            c if c.is_alphanumeric()
                || matches!(
                    c,
                    '/' | '-'
                        | '_'
                        | ':'
                        | '@'
                        | '='
                        | ','
                        | '%'
                        | '~'
                        | '!'
                        | '<'
                        | '>'
                        | '\''
                        | '"'
                        | '&'
                        | '#'
                        | ';'
                        | ' '
                ) =>
            {
                (c, i + 1)
            }
            _ => break,
        };
        if matches!(chars.get(next), Some('*' | '+' | '?' | '{')) {
            break;
        }
        out.push(lit);
        i = next;
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `pattern` has a `|` outside groups and classes.
fn has_top_level_bar(pattern: &str) -> bool {
    let mut depth = 0i32;
    let mut class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            // \Q...\E is literal; any other escape is one character.
            '\\' if chars.next() == Some('Q') => {
                let rest: String = chars.by_ref().collect();
                return rest
                    .split_once(r"\E")
                    .is_some_and(|(_, after)| has_top_level_bar(after));
            }
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth -= 1,
            '|' if !class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_as_go_extract_reads_them() {
        let names = |t: &str| {
            template_refs(t)
                .into_iter()
                .map(|r| (r.name, r.num))
                .collect::<Vec<_>>()
        };
        assert_eq!(names("lib/$1"), vec![("1".to_string(), Some(1))]);
        assert_eq!(names("$1abc"), vec![("1abc".to_string(), None)]);
        assert_eq!(names("${1}abc"), vec![("1".to_string(), Some(1))]);
        assert_eq!(names("$01"), vec![("01".to_string(), None)]);
        assert_eq!(names("$$1 $ ${x"), vec![]);
        assert_eq!(
            names("${name}/$2/x"),
            vec![("name".to_string(), None), ("2".to_string(), Some(2))]
        );
        assert_eq!(template_refs("a${1}b")[0].text, "${1}");
        assert_eq!(template_literal_text("Lib/${1}x$$y$"), "Lib/x$y$");
    }

    #[test]
    fn literal_prefixes() {
        let p = |s: &str| anchored_literal_prefix(s);
        assert_eq!(p(r"^library/(.*)"), Some("library/".to_string()));
        assert_eq!(p(r"^bitnami/(.*)"), Some("bitnami/".to_string()));
        assert_eq!(p(r"\Alib"), Some("lib".to_string()));
        assert_eq!(p(r"^ab*"), Some("a".to_string()));
        assert_eq!(p(r"^a\.b"), Some("a.b".to_string()));
        assert_eq!(p(r"(.*)"), None);
        assert_eq!(p(r"library/(.*)"), None);
        assert_eq!(p(r"(?m)^lib"), None);
        assert_eq!(p(r"(?i)^lib"), None);
        assert_eq!(p(r"^a|^b"), None);
        assert_eq!(p(r"^(a|b)"), None);
        assert_eq!(p(r"^lib(a|b)"), Some("lib".to_string()));
        assert_eq!(p(r"^x[|]"), Some("x".to_string()));
    }
}
