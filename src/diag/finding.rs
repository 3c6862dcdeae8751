//! Findings as data: what [`crate::report`] prints as text, JSON or SARIF. Nothing here prints.
//!
//! A [`Finding`] has a stable code, a severity, a 1-based location (file, line, column, from the
//! YAML source map; line 1 column 1 when it is about a whole file), a message, a help line and
//! optional related locations. A [`Report`] is the list of findings of one run, plus the source
//! lines the text printer shows under each finding, with secrets masked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::codes::Code;
use crate::cli::DenyLevel;
use crate::cmd::Status;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// An explanation: K3s does what is written, but maybe not what is meant.
    Info,
    /// Likely wrong, or version- or environment-dependent.
    Warning,
    /// The configuration will not do what is written.
    Error,
}

impl Severity {
    /// `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// SARIF's `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Another place that explains a finding (the first of two duplicate keys, the configs entry a
/// mirror does not use ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// The file, as named on the command line.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// What is there.
    pub message: String,
}

/// One finding. The JSON fields `code`, `severity`, `file`, `line`, `column`, `message` and
/// `help` are an interface: never rename them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable kebab-case code.
    pub code: Code,
    /// Its severity.
    pub severity: Severity,
    /// The file, as named on the command line (`<stdin>` for standard input).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// The column just after the highlighted text (exclusive), on the same line.
    pub end_column: u32,
    /// What is wrong and what K3s or containerd does about it.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The YAML path of the key it is about (`["configs", "registry.example.com", "tls"]`);
    /// empty when it is about a whole file or not about registries.yaml.
    pub path: Vec<String>,
    /// Other places that explain it.
    pub related: Vec<Related>,
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// How many characters to highlight (at least 1).
    pub width: u32,
    /// The YAML path, if any.
    pub path: Vec<String>,
}

impl Loc {
    /// The start of a whole file.
    pub fn file_start(file: &str) -> Loc {
        Loc {
            file: file.to_string(),
            line: 1,
            column: 1,
            width: 1,
            path: Vec::new(),
        }
    }
}

impl Finding {
    /// A finding at `loc`.
    pub fn new(
        code: Code,
        severity: Severity,
        loc: Loc,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity,
            file: loc.file,
            line: loc.line.max(1),
            column: loc.column.max(1),
            end_column: loc.column.max(1) + loc.width.max(1),
            message: message.into(),
            help: help.into(),
            path: loc.path,
            related: Vec::new(),
        }
    }

    /// Adds a related location.
    pub fn related(mut self, loc: &Loc, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            file: loc.file.clone(),
            line: loc.line.max(1),
            column: loc.column.max(1),
            message: message.into(),
        });
        self
    }
}

/// The source lines the text printer shows, secrets already masked.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<String, Vec<String>>,
}

impl Sources {
    /// Records a file's (masked) lines.
    pub fn insert(&mut self, file: &str, lines: Vec<String>) {
        self.files.insert(file.to_string(), lines);
    }

    /// Line `n` (1-based) of `file`, masked.
    pub fn line(&self, file: &str, n: u32) -> Option<&str> {
        let i = usize::try_from(n).ok()?.checked_sub(1)?;
        self.files.get(file)?.get(i).map(String::as_str)
    }
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// Findings silenced with `--allow`.
    pub allowed: usize,
}

/// Everything one audit found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The registries file, as named on the command line.
    pub file: String,
    /// The findings, sorted by file, line, column, severity (highest first) and code.
    pub findings: Vec<Finding>,
    /// K3s would refuse the file (it does not load): audit exits 2.
    pub refused: bool,
    /// How many findings `--allow` silenced.
    pub allowed: usize,
    /// Source lines for the text printer.
    pub sources: Sources,
}

impl Report {
    /// Counts by severity.
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            allowed: self.allowed,
        }
    }

    /// The exit status: 2 when K3s would refuse the file, 1 when a finding reaches `deny`,
    /// else 0.
    pub fn status(&self, deny: DenyLevel) -> Status {
        let threshold = match deny {
            DenyLevel::Warning => Severity::Warning,
            DenyLevel::Error => Severity::Error,
        };
        if self.refused {
            Status::Error
        } else if self.findings.iter().any(|f| f.severity >= threshold) {
            Status::Findings
        } else {
            Status::Ok
        }
    }

    /// Sorts and de-duplicates (an alias expanded twice reports the same thing twice).
    pub(crate) fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                a.file != self.file,
                &a.file,
                a.line,
                a.column,
                std::cmp::Reverse(a.severity),
                a.code,
                &a.message,
            )
                .cmp(&(
                    b.file != self.file,
                    &b.file,
                    b.line,
                    b.column,
                    std::cmp::Reverse(b.severity),
                    b.code,
                    &b.message,
                ))
        });
        self.findings.dedup_by(|a, b| {
            a.code == b.code
                && a.file == b.file
                && a.line == b.line
                && a.column == b.column
                && a.message == b.message
        });
    }
}
