//! The audit printers: compiler-style text (with the source line and a caret, coloured when
//! stdout is a terminal and NO_COLOR is unset), JSON (`schema_version` 1) and SARIF 2.1.0; and
//! `--explain-code`. Findings arrive as data, secrets already masked.

use std::io;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::sarif;
use super::{Reporter, NAME};
use crate::audit::{Finding, Report, Rule, Severity, Summary};

/// The JSON document's version; bumped only when a field is renamed or removed.
pub const AUDIT_JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: JsonTool,
    file: &'a str,
    refused: bool,
    summary: Summary,
    findings: &'a [Finding],
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
    /// Whether the text output should be coloured: stdout is a terminal, NO_COLOR is unset (and
    /// CLICOLOR/CLICOLOR_FORCE, TERM=dumb are honoured), as anstream decides.
    pub fn stdout_color() -> bool {
        anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
    }

    /// The findings as text, then a summary line.
    pub fn audit_text(&mut self, report: &Report, color: bool) -> io::Result<()> {
        let st = Styles::new(color);
        for f in &report.findings {
            let sev = st.severity(f.severity);
            writeln!(
                self.out,
                "{sev}{}[{}]{sev:#}{b}: {}:{}:{}: {}{b:#}",
                f.severity.as_str(),
                f.code,
                f.file,
                f.line,
                f.column,
                f.message,
                b = st.bold
            )?;
            let source = report.sources.line(&f.file, f.line);
            let width = f.line.to_string().len();
            let pad = " ".repeat(width);
            let g = st.gutter;
            if let Some(src) = source {
                writeln!(self.out, "{pad} {g}|{g:#}")?;
                writeln!(self.out, "{g}{}{g:#} {g}|{g:#} {src}", f.line)?;
                // Keep tabs where the source has them, so the caret lines up.
                let before: String = src
                    .chars()
                    .take((f.column as usize).saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let available = src
                    .chars()
                    .count()
                    .saturating_sub((f.column as usize).saturating_sub(1))
                    .max(1);
                let n = (f.end_column.saturating_sub(f.column) as usize).clamp(1, available);
                writeln!(
                    self.out,
                    "{pad} {g}|{g:#} {before}{sev}{}{sev:#}",
                    "^".repeat(n)
                )?;
            }
            writeln!(
                self.out,
                "{pad} {g}={g:#} {b}help{b:#}: {}",
                f.help,
                b = st.bold
            )?;
            for r in &f.related {
                writeln!(
                    self.out,
                    "{pad} {g}={g:#} {b}note{b:#}: {}:{}:{}: {}",
                    r.file,
                    r.line,
                    r.column,
                    r.message,
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
    pub fn audit_json(&mut self, report: &Report) -> io::Result<()> {
        let doc = JsonReport {
            schema_version: AUDIT_JSON_SCHEMA_VERSION,
            tool: JsonTool {
                name: NAME,
                version: env!("CARGO_PKG_VERSION"),
            },
            file: &report.file,
            refused: report.refused,
            summary: report.summary(),
            findings: &report.findings,
        };
        serde_json::to_writer_pretty(&mut *self.out, &doc).map_err(io::Error::other)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// The findings as a SARIF 2.1.0 log.
    pub fn audit_sarif(&mut self, report: &Report) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *self.out, &sarif::to_sarif(report))
            .map_err(io::Error::other)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// `--explain-code`: the rule's long description.
    pub fn audit_explain(&mut self, rule: &Rule) -> io::Result<()> {
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
    use crate::audit::{check, Input, Options};
    use crate::k3s::node::NodeOptions;
    use crate::report::Reporter;

    fn text(yaml: &str, color: bool) -> String {
        let input = Input {
            name: "r.yaml".to_string(),
            path: None,
            bytes: yaml.as_bytes().to_vec(),
        };
        let report = check(&input, &NodeOptions::default(), &Options::default()).expect("audit");
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
