//! One catalogue of diagnostics for every message the tool can print about a configuration:
//! [`Code`] (one per fact, with its default severity, what it needs and its long description in
//! [`RULES`]) and [`Diagnostic`] (code, severity, location, message, help). explain's warnings and
//! audit's findings are both [`Diagnostic`]s, so `audit --explain-code` knows every code either
//! command prints. Data only: [`crate::report`] prints them.

mod codes;

use serde::Serialize;

pub use codes::{Code, Needs, Rule, RULES};

/// How bad a diagnostic is.
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
}

/// Where a diagnostic points: a file and a 1-based line and column (characters), with the
/// highlighted width; for registries.yaml also the YAML path of the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The file, as named on the command line (`<stdin>` for standard input).
    pub(crate) file: String,
    /// 1-based line.
    pub(crate) line: u32,
    /// 1-based column (characters).
    pub(crate) column: u32,
    /// How many characters to highlight (at least 1).
    pub(crate) width: u32,
    /// The YAML path (`["configs", "registry.example.com", "tls"]`); empty when it is about a
    /// whole file or not about registries.yaml.
    pub(crate) path: Vec<String>,
}

impl Location {
    /// The start of a whole file.
    pub(crate) fn file_start(file: &str) -> Location {
        Location {
            file: file.to_string(),
            line: 1,
            column: 1,
            width: 1,
            path: Vec::new(),
        }
    }

    /// The column just after the highlighted text (exclusive).
    pub(crate) fn end_column(&self) -> u32 {
        self.column.max(1) + self.width.max(1)
    }
}

/// Another place that explains a diagnostic (the first of two duplicate keys ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Related {
    /// Where.
    pub(crate) location: Location,
    /// What is there.
    pub(crate) message: String,
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// The stable code.
    pub(crate) code: Code,
    /// Its severity (the code's default unless a sub-case says otherwise).
    pub(crate) severity: Severity,
    /// Where, when it is about a place in a file.
    pub(crate) location: Option<Location>,
    /// What happens, and what K3s or containerd does about it.
    pub(crate) message: String,
    /// How to fix it.
    pub(crate) help: String,
    /// Other places that explain it.
    pub(crate) related: Vec<Related>,
}

impl Diagnostic {
    /// A diagnostic at `location`.
    pub(crate) fn new(
        code: Code,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        let mut location = location;
        location.line = location.line.max(1);
        location.column = location.column.max(1);
        location.width = location.width.max(1);
        Diagnostic {
            code,
            severity,
            location: Some(location),
            message: message.into(),
            help: help.into(),
            related: Vec::new(),
        }
    }

    /// A diagnostic about no one place (explain's warnings about a pull), with the code's
    /// default severity.
    pub(crate) fn unplaced(
        code: Code,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: code.rule().severity,
            location: None,
            message: message.into(),
            help: help.into(),
            related: Vec::new(),
        }
    }

    /// Adds a related location.
    pub(crate) fn related(mut self, location: &Location, message: impl Into<String>) -> Self {
        let mut location = location.clone();
        location.line = location.line.max(1);
        location.column = location.column.max(1);
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// The location, or the start of `file` when it has none.
    pub(crate) fn location_or(&self, file: &str) -> Location {
        self.location
            .clone()
            .unwrap_or_else(|| Location::file_start(file))
    }
}
