//! Reading a TOML file the way containerd does, strictly enough to say whether containerd
//! accepts it.
//!
//! containerd parses config.toml and hosts.toml with a TOML 1.0 parser (go-toml v2 and
//! BurntSushi/toml). toml_edit implements TOML 1.1, which adds the `\e` and `\xHH` escapes and
//! allows newlines and a trailing comma in inline tables: a file toml_edit accepts with any of
//! those is still one containerd rejects. So: parse with toml_edit, then look at the source text
//! of every key and value for the TOML 1.1-only forms. (Go's `%q`, which K3s uses for
//! credentials, prints `\x01` for control characters: exactly such a form.)

use std::ops::Range;

use toml_edit::{Document, Item, Table, Value};

/// Why a TOML text is not acceptable to containerd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TomlProblem {
    /// Byte offset in the text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let mut cut = offset;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// Parses `text` as containerd would; the document on success.
pub(crate) fn check(text: &str) -> Result<Document<String>, TomlProblem> {
    let doc = Document::parse(text.to_string()).map_err(|e| TomlProblem {
        offset: e.span().map_or(0, |s| s.start),
        message: e.message().trim().to_string(),
    })?;
    check_table(text, doc.as_table())?;
    Ok(doc)
}

fn check_table(text: &str, table: &Table) -> Result<(), TomlProblem> {
    for (k, item) in table.iter() {
        if let Some(key) = table.key(k) {
            check_string_span(text, key.span())?;
        }
        check_item(text, item)?;
    }
    Ok(())
}

fn check_item(text: &str, item: &Item) -> Result<(), TomlProblem> {
    match item {
        Item::None => Ok(()),
        Item::Value(v) => check_value(text, v),
        Item::Table(t) => check_table(text, t),
        Item::ArrayOfTables(a) => a.iter().try_for_each(|t| check_table(text, t)),
    }
}

fn check_value(text: &str, v: &Value) -> Result<(), TomlProblem> {
    match v {
        Value::String(_) => check_string_span(text, v.span()),
        Value::Array(a) => a.iter().try_for_each(|v| check_value(text, v)),
        Value::InlineTable(t) => {
            if let Some(span) = t.span() {
                let raw = text.get(span.clone()).unwrap_or_default();
                if let Some(i) = raw.find('\n') {
                    return Err(TomlProblem {
                        offset: span.start + i,
                        message: "a newline inside an inline table is TOML 1.1; TOML 1.0 (containerd) rejects it".to_string(),
                    });
                }
                let trimmed = raw.trim_end_matches('}').trim_end();
                if trimmed.ends_with(',') {
                    return Err(TomlProblem {
                        offset: span.start + trimmed.len() - 1,
                        message: "a trailing comma in an inline table is TOML 1.1; TOML 1.0 (containerd) rejects it".to_string(),
                    });
                }
            }
            for (k, v) in t.iter() {
                if let Some(key) = t.key(k) {
                    check_string_span(text, key.span())?;
                }
                check_value(text, v)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Looks for `\e` and `\xHH` in a basic string's source.
fn check_string_span(text: &str, span: Option<Range<usize>>) -> Result<(), TomlProblem> {
    let Some(span) = span else { return Ok(()) };
    let raw = text.get(span.clone()).unwrap_or_default();
    if !raw.starts_with('"') {
        return Ok(()); // bare keys and literal strings have no escapes
    }
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'e') | Some(b'x') => {
                    return Err(TomlProblem {
                        offset: span.start + i,
                        message: format!(
                            "the escape \\{} is TOML 1.1; TOML 1.0 (containerd) rejects it",
                            char::from(b[i + 1])
                        ),
                    })
                }
                _ => i += 2,
            }
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_1_1_forms_are_rejected() {
        assert!(check("a = \"x\\ey\"").is_err());
        assert!(check("a = \"x\\x41\"").is_err());
        assert!(check("[host.\"a\\x41\"]\nb = 1\n").is_err());
        assert!(check("a = {b = 1,\n c = 2}").is_err());
        assert!(check("a = {b = 1, }").is_err());
        assert!(check("a = \"x\\\\ey\"").is_ok());
        assert!(check("a = 'x\\ey'").is_ok());
        assert!(check("a = {b = \"\\u0001\"}\n[t]\nc = [\"\\t\"]\n").is_ok());
    }

    #[test]
    fn toml_errors_have_offsets() {
        let p = check("a = 1\nb = \"x\\.y\"\n").expect_err("invalid escape");
        assert_eq!(line_col("a = 1\nb = \"x\\.y\"\n", p.offset).0, 2);
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
