//! [`LoadError`]: why a registries file does not load, in yaml.v2's words.
//!
//! yaml.v2's `Unmarshal` fails in three ways, and this module keeps them apart: libyaml's reader
//! and parser errors (`yaml_parser_set_reader_error`, `yaml_parser_set_scanner_error`,
//! `yaml_parser_set_parser_error`, reported through decode.go's `parser.fail`), the decoder's
//! `failf` (which aborts at once), and the `cannot unmarshal` type errors the decoder collects in
//! `d.terrors` and returns together as a `*yaml.TypeError`. K3s refuses to start on any of them.

use std::fmt;

/// Which stage of yaml.v2's `Unmarshal` rejected the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// libyaml's reader rejected the bytes: invalid UTF-8 or UTF-16, or a control character.
    Encoding,
    /// libyaml's scanner or parser rejected the text, or an alias names no anchor.
    Syntax,
    /// yaml.v2's decoder gave up at once (`failf`): excessive aliasing, an anchor containing
    /// itself, bad `!!binary` data, a scalar that does not fit its explicit tag, a merge (`<<`)
    /// whose value is not a mapping.
    Decode,
    /// One or more `cannot unmarshal ... into ...` type errors (yaml.v2's `*yaml.TypeError`).
    /// yaml.v2 keeps decoding after each one; all of them are listed.
    Type,
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column (in characters), when known.
    pub column: Option<u32>,
    /// The message, in yaml.v2's and libyaml's words, without any `line N:` prefix, e.g.
    /// ``cannot unmarshal !!str `true` into bool``.
    pub message: String,
    /// The line yaml.v2 itself names in its message for this problem (`line N: ...`), when it
    /// names one. For type errors on aliased values this is the anchored node's line, as in Go.
    pub go_line: Option<u32>,
}

/// A registries file that yaml.v2 (and so K3s) would refuse.
///
/// `Display` prints one line per problem, `name:line:col: message`, e.g.
/// ``registries.yaml:3:5: cannot unmarshal !!str `true` into bool``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The source name given to the loader (a path, or `<stdin>`).
    pub name: String,
    /// Which stage failed.
    pub kind: ErrorKind,
    /// The problems, in document order as yaml.v2 meets them; never empty. Only
    /// [`ErrorKind::Type`] errors have more than one.
    pub problems: Vec<Problem>,
}

impl LoadError {
    /// An error with a single problem.
    pub(crate) fn single(
        name: &str,
        kind: ErrorKind,
        pos: Option<(u32, u32)>,
        message: String,
        go_line: Option<u32>,
    ) -> LoadError {
        LoadError {
            name: name.to_string(),
            kind,
            problems: vec![Problem {
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                message,
                go_line,
            }],
        }
    }

    fn first(&self) -> Option<&Problem> {
        self.problems.first()
    }

    /// The 1-based line of the first problem, when known.
    pub fn line(&self) -> Option<u32> {
        self.first().and_then(|p| p.line)
    }

    /// The 1-based column of the first problem, when known.
    pub fn column(&self) -> Option<u32> {
        self.first().and_then(|p| p.column)
    }

    /// The message of the first problem.
    #[cfg(test)]
    pub fn message(&self) -> &str {
        self.first().map_or("", |p| p.message.as_str())
    }

    /// The text of the error Go's `yaml.Unmarshal` returns, as K3s prints it, line numbers
    /// included (libyaml's: scanner errors name the 1-based line of the problem, parser errors
    /// the 0-based one, and a line 0 is not named).
    pub fn go_error(&self) -> String {
        match self.kind {
            ErrorKind::Type => {
                let lines: Vec<String> = self
                    .problems
                    .iter()
                    .map(|p| match p.go_line {
                        Some(l) => format!("line {l}: {}", p.message),
                        None => p.message.clone(),
                    })
                    .collect();
                format!("yaml: unmarshal errors:\n  {}", lines.join("\n  "))
            }
            _ => match self.first() {
                Some(Problem {
                    go_line: Some(l),
                    message,
                    ..
                }) => format!("yaml: line {l}: {message}"),
                Some(p) => format!("yaml: {}", p.message),
                None => "yaml: unknown problem parsing YAML content".to_string(),
            },
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match (p.line, p.column) {
                (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.name, p.message)?,
                (Some(l), None) => write!(f, "{}:{l}: {}", self.name, p.message)?,
                _ => write!(f, "{}: {}", self.name, p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}
