//! The audit printers: compiler-style text (with the source line and a caret, coloured when
//! stdout is a terminal and NO_COLOR is unset), JSON (`schema_version` 1) and SARIF 2.1.0; and
//! `--explain-code`. Findings arrive as data; URL passwords in messages and credential values in
//! source lines are masked here, and the text is sanitised for the terminal.

use std::collections::BTreeMap;
use std::io;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::sanitize::{clean, clean_keeping};
use super::sarif;
use super::{Reporter, NAME};
use crate::audit::{Report, Summary};
use crate::diag::{Diagnostic, Related, Rule, Severity};
use crate::secret::{mask_lines, mask_userinfo};

/// The JSON document's version; bumped only when a field is renamed or removed.
pub(crate) const AUDIT_JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: JsonTool,
    file: &'a str,
    refused: bool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
}

/// One finding. The fields `code`, `severity`, `file`, `line`, `column`, `message` and `help`
/// are an interface: never rename them.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: Severity,
    file: String,
    line: u32,
    column: u32,
    end_column: u32,
    message: &'a str,
    help: &'a str,
    path: Vec<String>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(report: &Report, f: &'a Diagnostic) -> Self {
        let l = report.location(f);
        JsonFinding {
            code: f.code.as_str(),
            severity: f.severity,
            end_column: l.end_column(),
            file: l.file,
            line: l.line,
            column: l.column,
            message: &f.message,
            help: &f.help,
            path: l.path,
            related: f
                .related
                .iter()
                .map(|r: &'a Related| JsonRelated {
                    file: &r.location.file,
                    line: r.location.line,
                    column: r.location.column,
                    message: &r.message,
                })
                .collect(),
        }
    }
}

/// The findings as printed: URL passwords quoted in messages masked, whatever rule quoted them.
fn masked(report: &Report) -> Vec<Diagnostic> {
    report
        .findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.message = mask_userinfo(&f.message);
            f.help = mask_userinfo(&f.help);
            for r in &mut f.related {
                r.message = mask_userinfo(&r.message);
            }
            f
        })
        .collect()
}

/// The masked lines of every source file.
fn source_lines(report: &Report) -> BTreeMap<String, Vec<String>> {
    report
        .sources
        .iter()
        .map(|(name, text, secrets)| (name.to_string(), mask_lines(text, secrets)))
        .collect()
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

/// The styles of the text output (all plain when colour is off).
struct Styles {
    error: Style,
    warning: Style,
    info: Style,
    gutter: Style,
    bold: Style,
}

impl Styles {
    fn new(color: bool) -> Styles {
        if !color {
            let plain = Style::new();
            return Styles {
                error: plain,
                warning: plain,
                info: plain,
                gutter: plain,
                bold: plain,
            };
        }
        let bold = Style::new().bold();
        Styles {
            error: bold.fg_color(Some(AnsiColor::BrightRed.into())),
            warning: bold.fg_color(Some(AnsiColor::BrightYellow.into())),
            info: bold.fg_color(Some(AnsiColor::BrightCyan.into())),
            gutter: bold.fg_color(Some(AnsiColor::BrightBlue.into())),
            bold,
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Reporter<'_> {
    /// The findings as text, then a summary line.
    pub(crate) fn audit_text(&mut self, report: &Report, color: bool) -> io::Result<()> {
        let st = Styles::new(color);
        let sources = source_lines(report);
        for f in &masked(report) {
            let l = report.location(f);
            let sev = st.severity(f.severity);
            writeln!(
                self.out,
                "{sev}{}[{}]{sev:#}{b}: {}:{}:{}: {}{b:#}",
                f.severity.as_str(),
                f.code,
                clean(&l.file),
                l.line,
                l.column,
                clean(&f.message),
                b = st.bold
            )?;
            let source = sources
                .get(&l.file)
                .and_then(|lines| lines.get(usize::try_from(l.line).ok()?.checked_sub(1)?))
                .map(|line| clean_keeping(line, &['\t']).into_owned());
            let f_line = l.line;
            let f_column = l.column;
            let f_end_column = l.end_column();
            let width = f_line.to_string().len();
            let pad = " ".repeat(width);
            let g = st.gutter;
            if let Some(src) = source {
                writeln!(self.out, "{pad} {g}|{g:#}")?;
                writeln!(self.out, "{g}{}{g:#} {g}|{g:#} {src}", f_line)?;
                // Keep tabs where the source has them, so the caret lines up.
                let before: String = src
                    .chars()
                    .take((f_column as usize).saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let available = src
                    .chars()
                    .count()
                    .saturating_sub((f_column as usize).saturating_sub(1))
                    .max(1);
                let n = (f_end_column.saturating_sub(f_column) as usize).clamp(1, available);
                writeln!(
                    self.out,
                    "{pad} {g}|{g:#} {before}{sev}{}{sev:#}",
                    "^".repeat(n)
                )?;
            }
            writeln!(
                self.out,
                "{pad} {g}={g:#} {b}help{b:#}: {}",
                clean(&f.help),
                b = st.bold
            )?;
            for r in &f.related {
                writeln!(
                    self.out,
                    "{pad} {g}={g:#} {b}note{b:#}: {}:{}:{}: {}",
                    clean(&r.location.file),
                    r.location.line,
                    r.location.column,
                    clean(&r.message),
                    b = st.bold
                )?;
            }
            writeln!(self.out)?;
        }
        let s = report.summary();
        let mut line = format!(
            "{}, {}, {}",
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            plural(s.infos, "info", "infos")
        );
        if s.allowed > 0 {
            line.push_str(&format!(" ({} allowed)", s.allowed));
        }
        if report.refused {
            line.push_str("; K3s would refuse this file and not start");
        }
        writeln!(self.out, "{b}{line}{b:#}", b = st.bold)?;
        self.out.flush()
    }

    /// The findings as a JSON document.
    pub(crate) fn audit_json(&mut self, report: &Report) -> io::Result<()> {
        let findings = masked(report);
        let doc = JsonReport {
            schema_version: AUDIT_JSON_SCHEMA_VERSION,
            tool: JsonTool {
                name: NAME,
                version: env!("CARGO_PKG_VERSION"),
            },
            file: &report.file,
            refused: report.refused,
            summary: report.summary(),
            findings: findings
                .iter()
                .map(|f| JsonFinding::new(report, f))
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *self.out, &doc).map_err(super::json_io)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// The findings as a SARIF 2.1.0 log.
    pub(crate) fn audit_sarif(&mut self, report: &Report) -> io::Result<()> {
        let findings = masked(report);
        serde_json::to_writer_pretty(&mut *self.out, &sarif::to_sarif(report, &findings))
            .map_err(super::json_io)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// `--explain-code`: the rule's long description.
    pub(crate) fn audit_explain(&mut self, rule: &Rule) -> io::Result<()> {
        writeln!(
            self.out,
            "{} ({}, {})",
            rule.code,
            rule.severity.as_str(),
            rule.needs.describe()
        )?;
        writeln!(self.out)?;
        writeln!(self.out, "{}", rule.summary)?;
        writeln!(self.out)?;
        writeln!(self.out, "{}", rule.description)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::{check, Input, NodeFiles, Options};
    use crate::k3s::node::NodeOptions;
    use crate::report::Reporter;

    fn text(yaml: &str, color: bool) -> String {
        let input = Input {
            name: "r.yaml".to_string(),
            path: None,
            bytes: yaml.as_bytes().to_vec(),
        };
        let report = check(
            &input,
            &NodeOptions::default(),
            &Options::default(),
            &NodeFiles::default(),
        )
        .expect("audit");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        Reporter::new(&mut out, &mut err)
            .audit_text(&report, color)
            .expect("print");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn compiler_style_text() {
        let out = text("configs:\n  r.example.com:\n\ttls: {}\n", false);
        assert!(
            out.starts_with("error[yaml-syntax-error]: r.yaml:3:1: "),
            "{out}"
        );
        let out = text(
            "configs:\n  r.example.com:\n    tls:\n      cafile: /ca.pem\n",
            false,
        );
        let expected = "error[unknown-key]: r.yaml:4:7: \"cafile\" is not a key K3s reads, so no CA is configured; did you mean \"ca_file\"?\n  |\n4 |       cafile: /ca.pem\n  |       ^^^^^^\n  = help: ";
        assert!(out.starts_with(expected), "{out}");
        assert!(out.ends_with("\n1 error, 0 warnings, 0 infos\n"), "{out}");
        assert!(!out.contains('\u{1b}'));
    }

    #[test]
    fn colour_only_when_asked() {
        let out = text(
            "configs:\n  r.example.com:\n    tls:\n      cafile: /ca.pem\n",
            true,
        );
        assert!(out.contains("\u{1b}["), "{out:?}");
        assert!(out.contains("error[unknown-key]"), "{out:?}");
    }
}
