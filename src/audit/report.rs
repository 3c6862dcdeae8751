//! One audit's result as data: the diagnostics, whether K3s would refuse the file, and the
//! source text the text printer quotes (masked when printed, by [`crate::report`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::{Diagnostic, Location, Severity};
use crate::secret::{SecretAt, Secrets};

/// The files whose lines the text printer shows under findings, with where their secrets are.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    files: BTreeMap<String, (String, Vec<SecretAt>)>,
}

impl Sources {
    /// Records a file's text and the positions of the credential values in it.
    pub(crate) fn insert(&mut self, file: &str, text: String, secrets: Vec<SecretAt>) {
        self.files.insert(file.to_string(), (text, secrets));
    }

    /// Every file: name, text, secret positions.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str, &[SecretAt])> {
        self.files
            .iter()
            .map(|(n, (t, s))| (n.as_str(), t.as_str(), s.as_slice()))
    }
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    /// Errors.
    pub(crate) errors: usize,
    /// Warnings.
    pub(crate) warnings: usize,
    /// Infos.
    pub(crate) infos: usize,
    /// Findings silenced with `--allow`.
    pub(crate) allowed: usize,
}

/// Everything one audit found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// The registries file, as named on the command line.
    pub(crate) file: String,
    /// The findings (every one has a location), sorted by file, line, column, severity (highest
    /// first) and code.
    pub(crate) findings: Vec<Diagnostic>,
    /// K3s would refuse the file (it does not load).
    pub(crate) refused: bool,
    /// How many findings `--allow` silenced.
    pub(crate) allowed: usize,
    /// Source text for the text printer.
    pub(crate) sources: Sources,
    /// The secrets of the input and of the node's files, masked wherever they are printed.
    pub(crate) secrets: Secrets,
}

impl Report {
    /// Counts by severity.
    pub(crate) fn summary(&self) -> Summary {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            allowed: self.allowed,
        }
    }

    /// Whether a finding is at or above `threshold`.
    pub(crate) fn reaches(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// Where a finding points (every audit finding has a location).
    pub(crate) fn location(&self, f: &Diagnostic) -> Location {
        f.location_or(&self.file)
    }

    /// Sorts and de-duplicates (an alias expanded twice reports the same thing twice).
    pub(crate) fn finish(&mut self) {
        // Compared in place: a key built per comparison (a Location and the message copied)
        // made sorting tens of thousands of findings a tenth of audit's time.
        fn place<'d>(f: &'d Diagnostic, file: &'d str) -> (&'d str, u32, u32) {
            match &f.location {
                Some(l) => (l.file.as_str(), l.line, l.column),
                // Location::file_start.
                None => (file, 1, 1),
            }
        }
        fn at(f: &Diagnostic) -> Option<(&str, u32, u32)> {
            f.location
                .as_ref()
                .map(|l| (l.file.as_str(), l.line, l.column))
        }
        let file = self.file.as_str();
        self.findings.sort_by(|a, b| {
            let (fa, la, ca) = place(a, file);
            let (fb, lb, cb) = place(b, file);
            (fa != file, fa, la, ca)
                .cmp(&(fb != file, fb, lb, cb))
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.findings
            .dedup_by(|a, b| a.code == b.code && at(a) == at(b) && a.message == b.message);
    }
}
